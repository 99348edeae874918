"""Calcium flux (Fluo-4 / FLIPR): kinetic traces -> F0, peak dF/F0 and AUC -> IC50 and Kb.

The protocol (seeds: "Calcium Flux Assay", "SDF-1α-Induced Calcium Mobilization Assay"):
CXCR4-expressing cells (e.g. Jurkat) loaded with Fluo-4 AM, pre-incubated with the antagonist;
the reader records a baseline, injects CXCL12 and keeps recording. Analysis, per well:

1. F0 = mean fluorescence before the injection (``injection_s``); at least two baseline points;
2. dF/F0 = (F - F0) / F0 over time, which removes the well-to-well differences in cell number
   and dye loading that raw fluorescence carries;
3. peak dF/F0 (maximum after the injection, within ``window_s`` if given) and the area under
   dF/F0 after the injection (AUC, in s); the response used for potency is ``readout``;

then the plate as any inhibition plate (:mod:`.inhibition`): agonist-only wells (role ``max``)
are 100 %, buffer-injected wells (role ``buffer`` or ``no_agonist``) 0 %; a 4PL per compound
gives the IC50, the plate's CXCL12 curve (role ``agonist``) its EC50 and slope, and Leff-Dougall
the Kb. Mean dF/F0 traces per compound and concentration are kept for the report.

Raw fluorescence must be non-negative and below the detector's ceiling at every time point;
errors name the well and the time.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.inhibition import (
    DETECTOR_CEILINGS,
    ControlRoles,
    InhibitionCurve,
    InhibitionPlate,
    PlateSettings,
    analyse_inhibition,
    check_formats,
    curve_potencies,
)
from cxcr4lab.assays.kinetic import KineticData
from cxcr4lab.assays.layout import Layout
from cxcr4lab.assays.potency import Potency
from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "ASSAY",
    "ROLES",
    "CalciumResult",
    "CalciumSettings",
    "TraceGroup",
    "WellKinetics",
    "analyse",
    "well_kinetics",
]

ASSAY = "calcium flux"
ROLES = ControlRoles(
    high=("max", "vehicle"),
    low=("buffer", "no_agonist", "min"),
    high_label="max (CXCL12 only)",
    low_label="buffer (no CXCL12)",
)
Readout = Literal["peak", "auc"]


@dataclass(frozen=True)
class CalciumSettings(Serial):
    """``injection_s``: time of the agonist injection (s); baseline is everything before it.
    ``window_s``: length of the response window after the injection (None: to the end)."""

    plate: PlateSettings
    injection_s: float
    readout: Readout = "peak"
    window_s: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.injection_s) and self.injection_s > 0):
            raise InputError(
                f"must be a positive time in s, got {quote(self.injection_s)}", field="injection_s"
            )
        if self.readout not in ("peak", "auc"):
            raise InputError(f"must be 'peak' or 'auc', got {quote(self.readout)}", field="readout")
        if self.window_s is not None and not (math.isfinite(self.window_s) and self.window_s > 0):
            raise InputError(
                f"must be a positive time in s, got {quote(self.window_s)}", field="window_s"
            )


@dataclass(frozen=True)
class WellKinetics:
    """Per-well trace summary: F0 (raw units), peak dF/F0, AUC of dF/F0 (s), time to peak (s)."""

    well: str
    f0: float
    peak_dff0: float
    auc_dff0_s: float
    time_to_peak_s: float


@dataclass(frozen=True)
class TraceGroup:
    """Mean dF/F0 trace of the replicate wells of one compound and concentration (or control)."""

    role: str
    compound: str | None
    conc_molar: float | None
    n_wells: int
    dff0: tuple[float, ...]


@dataclass(frozen=True)
class CalciumResult(Serial):
    """One calcium-flux plate analysed (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "calcium"

    plate: str
    block: str
    settings: CalciumSettings
    times_s: tuple[float, ...]
    kinetics: tuple[WellKinetics, ...]
    traces: tuple[TraceGroup, ...]
    analysis: InhibitionPlate

    @property
    def plate_wells(self) -> int:
        return self.analysis.plate_wells

    @property
    def curves(self) -> tuple[InhibitionCurve, ...]:
        return self.analysis.curves

    def curve(self, compound: str) -> InhibitionCurve:
        return self.analysis.curve(compound)

    def summary(self) -> pd.DataFrame:
        """One row per compound: IC50 and Kb (nM) with 95% CIs, slope, plateaus, flags."""
        table = self.analysis.summary()
        table.insert(1, "readout", "peak dF/F0" if self.settings.readout == "peak" else "AUC")
        return table

    def kinetics_table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(k) for k in self.kinetics])

    def wells_table(self) -> pd.DataFrame:
        return self.analysis.wells_table().merge(self.kinetics_table(), on="well", how="left")

    def replicate_table(self) -> pd.DataFrame:
        return self.analysis.replicate_table()

    def potencies(self, source: str = "") -> list[Potency]:
        s = self.settings.plate
        system = f"Fluo-4 kinetic, {'peak dF/F0' if self.settings.readout == 'peak' else 'AUC'}"
        if s.agonist_molar is not None:
            system += f", {s.agonist} {s.agonist_molar / 1e-9:.3g} nM"
        return [
            p
            for c in self.curves
            for p in curve_potencies(c, assay=ASSAY, system=system, source=source or self.plate)
        ]


def well_kinetics(
    times: np.ndarray,
    trace: np.ndarray,
    settings: CalciumSettings,
    *,
    well: str,
    data: KineticData,
) -> tuple[WellKinetics, np.ndarray]:
    """F0, peak, AUC and time to peak of one trace, and its dF/F0 (errors name the well)."""
    base = times < settings.injection_s
    if base.sum() < 2:
        raise InputError(
            f"only {int(base.sum())} reading(s) before the injection at {settings.injection_s:g} s; "
            "F0 needs a baseline of at least 2",
            place=data.place(well=well),
            field="injection_s",
        )
    end = math.inf if settings.window_s is None else settings.injection_s + settings.window_s
    post = (times >= settings.injection_s) & (times <= end)
    if post.sum() < 2:
        raise InputError(
            f"fewer than 2 readings after the injection at {settings.injection_s:g} s",
            place=data.place(well=well),
            field="injection_s",
        )
    f0 = float(np.mean(trace[base]))
    if f0 <= 0:
        raise InputError(
            f"baseline fluorescence F0 = {f0:.4g} is not positive; dF/F0 is undefined",
            place=data.place(well=well),
        )
    dff0 = (trace - f0) / f0
    k = int(np.argmax(np.where(post, dff0, -np.inf)))
    t_post, y_post = times[post], dff0[post]
    auc = float(np.sum(np.diff(t_post) * (y_post[1:] + y_post[:-1]) / 2))
    return (
        WellKinetics(
            well=well,
            f0=f0,
            peak_dff0=float(dff0[k]),
            auc_dff0_s=auc,
            time_to_peak_s=float(times[k] - settings.injection_s),
        ),
        dff0,
    )


def _check_raw(data: KineticData, wells: list[str], saturation: float | None) -> None:
    times = data.times_s
    for well in wells:
        if well not in data.wells:
            continue
        trace = data.trace(well)
        low = np.nonzero(trace < 0)[0]
        if low.size:
            k = int(low[0])
            raise InputError(
                f"negative fluorescence {trace[k]:.4g} at {times[k]:g} s: raw fluorescence cannot "
                "be below zero (background-subtracted export?)",
                place=data.place(well=well),
            )
        clipped = np.isin(trace, DETECTOR_CEILINGS)
        if saturation is not None:
            clipped |= trace >= saturation
        hit = np.nonzero(clipped)[0]
        if hit.size:
            k = int(hit[0])
            raise InputError(
                f"saturated fluorescence {trace[k]:.6g} at {times[k]:g} s (the detector's "
                f"ceiling) in {hit.size} reading(s): the peak is unknown; lower the gain or mask "
                "the well",
                place=data.place(well=well),
            )


def analyse(data: KineticData, layout: Layout, settings: CalciumSettings) -> CalciumResult:
    """Analyse one kinetic calcium plate read by :func:`~cxcr4lab.assays.kinetic.read_kinetic`."""
    check_formats(data.format, layout, data.place())
    used = layout.wells_used()
    active = [
        str(w)
        for w, ex in zip(used["well"], used["exclude"], strict=True)
        if not isinstance(ex, str)
    ]
    _check_raw(data, active, settings.plate.saturation)
    times = np.asarray(data.times_s, dtype=float)
    kin: dict[str, WellKinetics] = {}
    dff: dict[str, np.ndarray] = {}
    for well in used["well"]:
        w = str(well)
        if w in data.wells:
            kin[w], dff[w] = well_kinetics(times, data.trace(w), settings, well=w, data=data)
    metric = "peak_dff0" if settings.readout == "peak" else "auc_dff0_s"
    values = {w: float(getattr(k, metric)) for w, k in kin.items()}
    analysis = analyse_inhibition(
        values,
        layout,
        settings.plate,
        plate_format=data.format,
        place=data.place(),
        roles=ROLES,
        assay="calcium flux",
        check_raw=False,
    )
    return CalciumResult(
        plate=data.source,
        block=data.block,
        settings=settings,
        times_s=tuple(float(t) for t in times),
        kinetics=tuple(kin[str(w)] for w in used["well"] if str(w) in kin),
        traces=_trace_groups(analysis, dff),
        analysis=analysis,
    )


def _trace_groups(plate: InhibitionPlate, dff: dict[str, np.ndarray]) -> tuple[TraceGroup, ...]:
    groups: dict[tuple[str, str | None, float | None], list[np.ndarray]] = {}
    for w in plate.wells:
        if w.excluded is not None or w.well not in dff:
            continue
        key = (w.role, w.compound if w.role in ("sample", "agonist") else None, w.conc_molar)
        groups.setdefault(key, []).append(dff[w.well])
    out = []
    for (role, compound, conc), traces in groups.items():
        mean = np.mean(np.vstack(traces), axis=0)
        out.append(
            TraceGroup(
                role=role,
                compound=compound,
                conc_molar=conc,
                n_wells=len(traces),
                dff0=tuple(round(float(v), 6) for v in mean),
            )
        )
    return tuple(out)
