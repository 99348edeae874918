"""Competitive radioligand binding: plate counts to IC50 and Ki with 95% CIs.

The protocol (seeds: "Competitive Radioligand Binding Assay"): CXCR4 membranes, a fixed
concentration of [125I]SDF-1α at or below its Kd, increasing competitor concentrations; total
binding wells (no competitor) and non-specific binding wells (excess unlabelled antagonist,
e.g. AMD3100). Analysis, as a careful lab scientist does it:

1. specific binding (%) = 100 (counts - mean NSB) / (mean total - mean NSB);
2. plate QC from total vs NSB wells (Z', S/B, CV);
3. per compound, a one-site competition fit (Hill slope -1) of % specific binding against
   log10 concentration, top and bottom free; IC50 with its 95% profile-likelihood CI;
4. Ki = IC50 / (1 + [L]/Kd) (Cheng-Prusoff), the CI transformed the same way ([L], Kd known);
5. flags for fits not to trust (not converged, IC50 outside the tested range, flat, wide CI).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.layout import Layout
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.qc import PlateQC, QCThresholds, percent_of_controls, plate_qc
from cxcr4lab.assays.readers import PlateData
from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.units import check_range
from cxcr4lab.fit import (
    ONE_SITE_COMPETITION,
    FitResult,
    FitThresholds,
    fit_curve,
    no_effect_test,
    potency_flags,
)
from cxcr4lab.receptor.theory import cheng_prusoff_ki

__all__ = ["BindingResult", "BindingSettings", "CompetitionCurve", "WellRecord", "analyse"]

_NM = 1e-9


@dataclass(frozen=True)
class BindingSettings(Serial):
    """Assay constants (mol/L) and the QC / fit thresholds."""

    radioligand_molar: float
    kd_molar: float
    radioligand: str = "[125I]SDF-1α"
    alpha: float = 0.05
    qc: QCThresholds = field(default_factory=QCThresholds)
    flags: FitThresholds = field(default_factory=FitThresholds)

    def __post_init__(self) -> None:
        for name in ("radioligand_molar", "kd_molar"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"must be a positive concentration, got {v!r} mol/L", field=name)
            check_range(v, "concentration", place=Place(field=name))


@dataclass(frozen=True)
class WellRecord:
    """One used well: its role, reading and % specific binding; ``excluded`` gives a reason.

    ``signal`` and ``specific_pct`` are None only for a masked well without a reading.
    """

    well: str
    role: str
    compound: str | None
    conc_molar: float | None
    signal: float | None
    specific_pct: float | None
    excluded: str | None = None


@dataclass(frozen=True)
class CompetitionCurve(Serial):
    """One compound's competition curve. Concentrations in mol/L; CIs at level 1 - alpha."""

    compound: str
    fit: FitResult
    ic50_molar: float
    ic50_lower_molar: float | None
    ic50_upper_molar: float | None
    ki_molar: float
    ki_lower_molar: float | None
    ki_upper_molar: float | None
    conc_min_molar: float
    conc_max_molar: float
    no_effect_p: float | None
    flags: tuple[str, ...]
    ci_method: str = "profile likelihood"

    @property
    def log10_ic50(self) -> float:
        return self.fit.params["log10_ic50"]

    @property
    def log10_ic50_se(self) -> float | None:
        return self.fit.se["log10_ic50"]


@dataclass(frozen=True)
class BindingResult(Serial):
    """The analysis of one binding plate (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "binding"

    plate: str
    block: str
    plate_wells: int
    settings: BindingSettings
    qc: PlateQC
    wells: tuple[WellRecord, ...]
    curves: tuple[CompetitionCurve, ...]

    def curve(self, compound: str) -> CompetitionCurve:
        for c in self.curves:
            if c.compound.lower() == compound.lower():
                return c
        raise KeyError(
            f"no curve for {compound!r}; compounds: {', '.join(c.compound for c in self.curves)}"
        )

    def summary(self) -> pd.DataFrame:
        """One row per compound; concentrations in nM, CIs 95% (or 1 - alpha)."""
        rows = []
        for c in self.curves:
            p = c.fit.params
            rows.append(
                {
                    "compound": c.compound,
                    "n_points": c.fit.n,
                    "ic50_nM": c.ic50_molar / _NM,
                    "ic50_lower_nM": _nm(c.ic50_lower_molar),
                    "ic50_upper_nM": _nm(c.ic50_upper_molar),
                    "ki_nM": c.ki_molar / _NM,
                    "ki_lower_nM": _nm(c.ki_lower_molar),
                    "ki_upper_nM": _nm(c.ki_upper_molar),
                    "log10_ic50_M": c.log10_ic50,
                    "log10_ic50_se": c.log10_ic50_se,
                    "top_pct": p["top"],
                    "bottom_pct": p["bottom"],
                    "tested_nM": f"{c.conc_min_molar / _NM:.3g}-{c.conc_max_molar / _NM:.3g}",
                    "qc": "pass" if self.qc.passed else "fail",
                    "flags": ",".join(c.flags),
                }
            )
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Potency]:
        """IC50 and Ki per compound (bounds where the curve is incomplete; none if flat)."""
        out: list[Potency] = []
        for c in self.curves:
            if "no_effect" in c.flags:
                continue
            for parameter, value, lo, hi in (
                ("IC50", c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar),
                ("Ki", c.ki_molar, c.ki_lower_molar, c.ki_upper_molar),
            ):
                bound: Literal["=", "<", ">"] = "="
                if "outside_range" in c.flags:
                    above = c.fit.params["log10_ic50"] > c.fit.x_max
                    bound = ">" if above else "<"
                    edge = c.conc_max_molar if above else c.conc_min_molar
                    value = (
                        edge
                        if parameter == "IC50"
                        else cheng_prusoff_ki(
                            ic50=edge,
                            ligand=self.settings.radioligand_molar,
                            kd=self.settings.kd_molar,
                        )
                    )
                    lo = hi = None
                out.append(
                    Potency(
                        compound=c.compound,
                        assay="CXCR4 binding / antagonism",
                        parameter=parameter,  # type: ignore[arg-type]
                        value_molar=value,
                        lower_molar=lo,
                        upper_molar=hi,
                        bound=bound,
                        system=f"membranes, {self.settings.radioligand}",
                        source=source or self.plate,
                        flags=c.flags,
                    )
                )
        return out

    def wells_table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(w) for w in self.wells])


def _nm(v: float | None) -> float | None:
    return None if v is None else v / _NM


def analyse(plate: PlateData, layout: Layout, settings: BindingSettings) -> BindingResult:
    """Analyse one binding plate read by :func:`~cxcr4lab.assays.readers.read_plate`."""
    _check_formats(plate, layout)
    layout.require_roles(("total", "nsb", "sample"), assay="binding")
    used = layout.wells_used()
    signals = plate.table.set_index("well")["signal"]

    def signal_of(rec: dict[Hashable, Any]) -> float | None:
        well, role = str(rec["well"]), str(rec["role"])
        value = float(signals.get(well, math.nan))
        if math.isnan(value):
            if _text_or_none(rec["exclude"]) is not None:
                return None  # a masked well may lack a reading (that may be why it is masked)
            raise InputError(
                f"no reading for this {role} well", file=plate.source, block=plate.block, well=well
            )
        return value

    records = [(rec, signal_of(rec)) for rec in used.to_dict("records")]
    active = [(r, s) for r, s in records if s is not None and _text_or_none(r["exclude"]) is None]
    total = np.array([s for r, s in active if r["role"] == "total"])
    nsb = np.array([s for r, s in active if r["role"] == "nsb"])
    for role, arr in (("total", total), ("nsb", nsb)):
        if len(arr) == 0:
            raise InputError(
                f"every {role} well is excluded; no {role} control is left", file=layout.source
            )
    qc = plate_qc(total, nsb, high_label="total", low_label="nsb", thresholds=settings.qc)
    if qc.mean_high <= qc.mean_low:
        raise InputError(
            f"total binding (mean {qc.mean_high:.4g}) is not above non-specific binding "
            f"(mean {qc.mean_low:.4g}): there is no specific binding window",
            file=plate.source,
            block=plate.block,
        )
    wells = tuple(
        WellRecord(
            well=str(r["well"]),
            role=str(r["role"]),
            compound=_text_or_none(r["compound"]),
            conc_molar=None if math.isnan(r["conc_molar"]) else float(r["conc_molar"]),
            signal=s,
            specific_pct=None
            if s is None
            else float(percent_of_controls(s, qc.mean_high, qc.mean_low)),
            excluded=_text_or_none(r["exclude"]),
        )
        for r, s in records
    )
    curves = tuple(
        _fit_compound(name, [w for w in wells if w.compound == name], plate, settings)
        for name in _compounds(wells)
    )
    return BindingResult(
        plate=plate.source,
        block=plate.block,
        plate_wells=plate.format.wells,
        settings=settings,
        qc=qc,
        wells=wells,
        curves=curves,
    )


def _text_or_none(v: object) -> str | None:
    return v if isinstance(v, str) else None


def _compounds(wells: tuple[WellRecord, ...]) -> list[str]:
    seen: dict[str, None] = {}
    for w in wells:
        if w.role == "sample" and w.compound is not None:
            seen.setdefault(w.compound, None)
    return list(seen)


def _check_formats(plate: PlateData, layout: Layout) -> None:
    if layout.format.wells != plate.format.wells:
        stated = "plate" in layout.experiment
        hint = (
            ""
            if stated
            else f" (if the layout only uses part of a {plate.format.wells}-well plate, add plate = {plate.format.wells} under [expt])"
        )
        raise InputError(
            f"layout {layout.source} describes a {layout.format.wells}-well plate but the reading "
            f"is a {plate.format.wells}-well plate{hint}",
            file=plate.source,
            block=plate.block,
        )


def _fit_compound(
    name: str, wells: list[WellRecord], plate: PlateData, settings: BindingSettings
) -> CompetitionCurve:
    place = Place(file=plate.source, block=plate.block, curve=name)
    points = [w for w in wells if w.role == "sample" and w.excluded is None]
    for w in points:
        if w.conc_molar is None or w.conc_molar <= 0:
            raise InputError(
                "sample concentration must be > 0 (use role 'total' for wells without competitor)",
                place=place,
                well=w.well,
            )
    conc = np.array([w.conc_molar for w in points], dtype=float)
    if len(np.unique(conc)) < 3:
        raise InputError(
            f"{len(np.unique(conc))} distinct concentration(s); a competition curve needs at least 3",
            place=place,
        )
    x = np.log10(conc)
    y = np.array([w.specific_pct for w in points], dtype=float)
    fit = fit_curve(
        ONE_SITE_COMPETITION, x, y, profile=("log10_ic50",), alpha=settings.alpha, place=place
    )
    p_flat = no_effect_test(x, y, fit) if fit.converged else None
    flags = potency_flags(
        fit,
        no_effect_p=p_flat,
        thresholds=dataclasses.replace(settings.flags, normalised=True),  # % specific binding
        x=x,
    )
    prof = fit.profile("log10_ic50")
    lo, hi = (prof.lower, prof.upper) if prof is not None else (None, None)
    ic50 = 10.0 ** fit.params["log10_ic50"]
    factor = 1.0 + settings.radioligand_molar / settings.kd_molar
    if not (math.isfinite(ic50) and ic50 > 0 and ic50 / factor > 0):
        # a Ki that underflows to 0 (or an IC50 that overflows) is never stored as a number
        raise InputError(
            f"the fitted log10 IC50 {fit.params['log10_ic50']:.4g} gives no usable Ki "
            f"(outside what a float holds): check the concentrations of {name}",
            place=place,
        )
    ic50_lo = None if lo is None else 10.0**lo
    ic50_hi = None if hi is None else 10.0**hi

    def ki(v: float | None) -> float | None:  # a CI bound beyond what a float holds: open
        if v is None or not (math.isfinite(v) and v / factor > 0):
            return None
        return cheng_prusoff_ki(ic50=v, ligand=settings.radioligand_molar, kd=settings.kd_molar)

    return CompetitionCurve(
        compound=name,
        fit=fit,
        ic50_molar=ic50,
        ic50_lower_molar=ic50_lo,
        ic50_upper_molar=ic50_hi,
        ki_molar=cheng_prusoff_ki(
            ic50=ic50, ligand=settings.radioligand_molar, kd=settings.kd_molar
        ),
        ki_lower_molar=ki(ic50_lo),
        ki_upper_molar=ki(ic50_hi),
        conc_min_molar=float(conc.min()),
        conc_max_molar=float(conc.max()),
        no_effect_p=p_flat,
        flags=flags,
    )
