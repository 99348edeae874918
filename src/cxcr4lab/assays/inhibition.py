"""Inhibition plates: the machinery shared by the functional antagonist assays.

Beta-arrestin recruitment, calcium flux, chemotaxis and MTT viability all come down to one
plate: a signal per well, high and low control wells, and compounds in concentration series.
This module turns such a plate into potencies, as a careful lab scientist does:

1. **Controls** (layout roles): high = ``max`` (agonist with vehicle; "max signal") or
   ``vehicle``; low = ``min`` (full inhibition, e.g. excess reference antagonist), ``no_agonist``
   (unstimulated), ``buffer`` (buffer injected instead of agonist) or ``blank`` (no cells). Which
   roles count as high and low is the assay's choice (:class:`ControlRoles`).
2. **Normalisation**: % of control = 100 (signal - low) / (high - low), and % inhibition = 100 -
   % of control, with the means of the control wells of the plate.
3. **Plate QC** from the controls (Z', S/B, S/N, CV; :mod:`cxcr4lab.assays.qc`).
4. **Replicates**: every well is fitted (as Prism does with replicate values), and the replicate
   mean, SD and CV per compound and concentration are reported beside the fit.
5. **Fit** per compound: four-parameter logistic (variable slope) of % of control against log10
   concentration, top and bottom free; IC50 with its profile-likelihood CI; flags.
6. **Agonist curve**: wells with role ``agonist`` (the agonist, e.g. CXCL12, in a concentration
   series on the same plate) are fitted with a stimulatory 4PL for the agonist's EC50 and slope.
7. **Kb** (functional antagonist constant) by Leff & Dougall (1993) from the IC50, the agonist's
   concentration in the inhibition wells and its EC50 and slope (from the plate's agonist curve
   where present, otherwise as given). The CI of Kb combines the IC50's profile CI with the
   uncertainty of the agonist's EC50 and slope (delta method, in log space).
8. **Edge effect**: residuals (well % minus the fitted curve, or minus the control mean) of the
   outer ring of wells against the interior (Welch t test), shown as a heatmap.

Raw signals must be finite and non-negative; a reading at the detector's ceiling (``saturation``,
or a 16/24/32-bit full-scale value) is an error naming the wells, since its true value is unknown.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.layout import Layout
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.qc import PlateQC, QCThresholds, percent_of_controls, plate_qc
from cxcr4lab.assays.wells import FORMATS, PlateFormat, well_position
from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.units import check_range
from cxcr4lab.fit import (
    FOUR_PL,
    FitResult,
    FitThresholds,
    fit_curve,
    get_model,
    no_effect_test,
    potency_flags,
)
from cxcr4lab.receptor.theory import leff_dougall_factor

__all__ = [
    "DETECTOR_CEILINGS",
    "AgonistCurve",
    "ControlRoles",
    "EdgeEffect",
    "InhibitionCurve",
    "InhibitionPlate",
    "PlateSettings",
    "PlateWell",
    "analyse_inhibition",
    "check_formats",
    "check_signals",
    "curve_potencies",
    "fit_inhibition_curves",
    "plate_format_of",
]

_NM = 1e-9

DETECTOR_CEILINGS = (65535.0, 16777215.0, 4294967295.0)
"""Full-scale readings of 16-, 24- and 32-bit detectors: a well reading exactly this is clipped."""


@dataclass(frozen=True)
class ControlRoles:
    """Which layout roles are the high (100 %) and low (0 %) controls of an assay."""

    high: tuple[str, ...] = ("max", "vehicle")
    low: tuple[str, ...] = ("min", "no_agonist", "buffer")
    high_label: str = "max (agonist + vehicle)"
    low_label: str = "min (no agonist)"


@dataclass(frozen=True)
class PlateSettings(Serial):
    """Assay constants (mol/L) and thresholds of an inhibition plate.

    ``agonist_molar``: the agonist's concentration in the inhibition wells (e.g. CXCL12 at its
    EC80); without it no Kb is computed. ``agonist_ec50_molar``/``agonist_hill``: the agonist's
    EC50 and slope when the plate has no agonist curve of its own. ``saturation``: the detector's
    ceiling, if known.
    """

    agonist_molar: float | None = None
    agonist_ec50_molar: float | None = None
    agonist_hill: float = 1.0
    agonist: str = "CXCL12"
    saturation: float | None = None
    alpha: float = 0.05
    edge_alpha: float = 0.01
    edge_min_pct: float = 5.0
    qc: QCThresholds = field(default_factory=QCThresholds)
    flags: FitThresholds = field(default_factory=FitThresholds)

    def __post_init__(self) -> None:
        for name in ("agonist_molar", "agonist_ec50_molar", "saturation"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise InputError(f"must be positive, got {v!r}", field=name)
            if v is not None and name != "saturation":
                check_range(v, "concentration", place=Place(field=name))
        if not (math.isfinite(self.agonist_hill) and self.agonist_hill > 0):
            raise InputError(
                f"must be a positive slope, got {self.agonist_hill!r}", field="agonist_hill"
            )
        if not 0 < self.alpha < 1:
            raise InputError(f"must be between 0 and 1, got {self.alpha!r}", field="alpha")


@dataclass(frozen=True)
class PlateWell:
    """One used well: role, compound, concentration (mol/L), the signal the analysis used and its
    % of control; ``excluded`` gives the reason a well was masked. ``residual_pct`` is the well's
    deviation from its curve (samples) or from its control mean (controls), in %-points."""

    well: str
    role: str
    compound: str | None
    conc_molar: float | None
    signal: float | None
    response_pct: float | None
    residual_pct: float | None = None
    excluded: str | None = None


@dataclass(frozen=True)
class InhibitionCurve(Serial):
    """One compound's inhibition curve; concentrations in mol/L, CIs at level 1 - alpha."""

    compound: str
    fit: FitResult
    ic50_molar: float
    ic50_lower_molar: float | None
    ic50_upper_molar: float | None
    kb_molar: float | None
    kb_lower_molar: float | None
    kb_upper_molar: float | None
    max_inhibition_pct: float
    conc_min_molar: float
    conc_max_molar: float
    no_effect_p: float | None
    flags: tuple[str, ...]
    ci_method: str = "profile likelihood"

    @property
    def hill(self) -> float:
        return self.fit.params["hill"]

    @property
    def log10_ic50(self) -> float:
        return self.fit.params["log10_ic50"]


@dataclass(frozen=True)
class AgonistCurve(Serial):
    """The agonist's own concentration-response curve on the plate (stimulatory 4PL)."""

    compound: str
    fit: FitResult
    ec50_molar: float
    ec50_lower_molar: float | None
    ec50_upper_molar: float | None
    hill: float
    flags: tuple[str, ...]
    effect_at_agonist_pct: float | None
    """Where the inhibition wells' agonist concentration sits on this curve (80 = its EC80)."""


@dataclass(frozen=True)
class EdgeEffect:
    """Outer-ring wells against interior wells, by their residuals (%-points)."""

    n_edge: int
    n_interior: int
    edge_mean_pct: float | None
    interior_mean_pct: float | None
    difference_pct: float | None
    p_value: float | None
    flagged: bool
    criterion: str


@dataclass(frozen=True)
class InhibitionPlate(Serial):
    """The analysis of one inhibition plate (the part every plate assay shares)."""

    plate_wells: int
    roles: ControlRoles
    qc: PlateQC
    wells: tuple[PlateWell, ...]
    curves: tuple[InhibitionCurve, ...]
    agonist: AgonistCurve | None
    kb_basis: str
    edge: EdgeEffect

    def curve(self, compound: str) -> InhibitionCurve:
        for c in self.curves:
            if c.compound.lower() == compound.lower():
                return c
        raise KeyError(
            f"no curve for {compound!r}; compounds: {', '.join(c.compound for c in self.curves)}"
        )

    def wells_table(self) -> pd.DataFrame:
        table = pd.DataFrame([asdict(w) for w in self.wells])
        table["inhibition_pct"] = 100.0 - table["response_pct"].astype(float)
        return table

    def replicate_table(self) -> pd.DataFrame:
        """Per compound and concentration (and per control role): n, mean and SD of the signal,
        CV (%), and mean % of control. Masked wells are left out."""
        rows = []
        groups: dict[tuple[str, str, float | None], list[PlateWell]] = {}
        for w in self.wells:
            if w.excluded is not None or w.signal is None:
                continue
            name = w.compound if w.role in ("sample", "agonist") and w.compound else w.role
            groups.setdefault((w.role, name, w.conc_molar), []).append(w)
        for (role, name, conc), ws in groups.items():
            s = np.array([w.signal for w in ws], dtype=float)
            pct = np.array([w.response_pct for w in ws], dtype=float)
            sd = float(np.std(s, ddof=1)) if len(s) > 1 else None
            mean = float(np.mean(s))
            rows.append(
                {
                    "role": role,
                    "compound": name,
                    "conc_nM": None if conc is None else conc / _NM,
                    "n": len(s),
                    "mean_signal": mean,
                    "sd_signal": sd,
                    "cv_pct": None if sd is None or mean == 0 else 100 * sd / abs(mean),
                    "mean_pct_of_control": float(np.mean(pct)),
                    "sd_pct_of_control": float(np.std(pct, ddof=1)) if len(pct) > 1 else None,
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """One row per compound: IC50 and Kb in nM with CIs, slope, plateaus, flags."""
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
                    "kb_nM": _nm(c.kb_molar),
                    "kb_lower_nM": _nm(c.kb_lower_molar),
                    "kb_upper_nM": _nm(c.kb_upper_molar),
                    "hill": p["hill"],
                    "top_pct": p["top"],
                    "bottom_pct": p["bottom"],
                    "max_inhibition_pct": c.max_inhibition_pct,
                    "tested_nM": f"{c.conc_min_molar / _NM:.3g}-{c.conc_max_molar / _NM:.3g}",
                    "qc": "pass" if self.qc.passed else "fail",
                    "flags": ",".join(c.flags),
                }
            )
        return pd.DataFrame(rows)


def _nm(v: float | None) -> float | None:
    return None if v is None else v / _NM


def _text_or_none(v: object) -> str | None:
    return v if isinstance(v, str) else None


# --- checks shared by the plate assays -------------------------------------------------------


def check_formats(plate_format: PlateFormat, layout: Layout, place: Place) -> None:
    """The layout and the reading describe the same plate size, or an error naming both."""
    if layout.format.wells != plate_format.wells:
        hint = (
            ""
            if "plate" in layout.experiment
            else f" (if the layout only uses part of a {plate_format.wells}-well plate, add "
            f"plate = {plate_format.wells} under [expt])"
        )
        raise InputError(
            f"layout {layout.source} describes a {layout.format.wells}-well plate but the reading "
            f"is a {plate_format.wells}-well plate{hint}",
            place=place,
        )


def check_signals(
    values: Mapping[str, float], wells: Sequence[str], saturation: float | None, place: Place
) -> None:
    """Refuse negative raw readings and readings at the detector's ceiling among ``wells``
    (for assays that derive their per-well signal from raw readings before the plate analysis)."""
    _check_signals(values, wells, saturation, place)


def _check_signals(
    values: Mapping[str, float], used: Sequence[str], saturation: float | None, place: Place
) -> None:
    negative = [w for w in used if values.get(w, math.nan) < 0]
    if negative:
        raise InputError(
            f"negative reading {values[negative[0]]:.4g}: a raw detector signal cannot be below "
            f"zero (background-subtracted export?); negative wells: {', '.join(negative[:8])}",
            place=place,
            well=negative[0],
        )
    ceilings = [saturation] if saturation is not None else []
    clipped = [
        w
        for w in used
        if math.isfinite(values.get(w, math.nan))
        and (
            any(values[w] >= c for c in ceilings) or any(values[w] == c for c in DETECTOR_CEILINGS)
        )
    ]
    if clipped:
        raise InputError(
            f"saturated reading {values[clipped[0]]:.6g} (the detector's ceiling): the true signal "
            f"is unknown; re-read with a lower gain or mask the well(s) {', '.join(clipped[:8])}",
            place=place,
            well=clipped[0],
        )


# --- the analysis ----------------------------------------------------------------------------


def analyse_inhibition(
    values: Mapping[str, float],
    layout: Layout,
    settings: PlateSettings,
    *,
    plate_format: PlateFormat,
    place: Place,
    roles: ControlRoles = ControlRoles(),
    assay: str,
    check_raw: bool = True,
) -> InhibitionPlate:
    """Analyse one plate whose per-well signals are ``values`` (well -> signal, NaN = no reading).

    ``place`` names the plate in errors (file and block). ``check_raw``: refuse negative and
    saturated signals (off for derived signals that may legitimately be negative).
    """
    check_formats(plate_format, layout, place)
    used = layout.wells_used()
    present = set(used["role"])
    for label, wanted in (("high", roles.high), ("low", roles.low)):
        if not present & set(wanted):
            raise InputError(
                f"the {assay} assay needs {label} control wells (role "
                f"{' or '.join(repr(r) for r in wanted)}); this layout has roles "
                f"{', '.join(sorted(present)) or 'none'}",
                file=layout.source,
            )
    if "sample" not in present:
        raise InputError(
            f"the {assay} assay needs wells with role 'sample'; this layout has roles "
            f"{', '.join(sorted(present))}",
            file=layout.source,
        )
    records = used.to_dict("records")
    active_wells = [str(r["well"]) for r in records if _text_or_none(r["exclude"]) is None]
    if check_raw:
        _check_signals(values, active_wells, settings.saturation, place)

    def signal_of(rec: dict[Hashable, Any]) -> float | None:
        well = str(rec["well"])
        value = float(values.get(well, math.nan))
        if math.isnan(value):
            if _text_or_none(rec["exclude"]) is not None:
                return None
            raise InputError(f"no reading for this {rec['role']} well", place=place, well=well)
        if not math.isfinite(value):
            raise InputError("reading is not finite", place=place, well=well)
        return value

    pairs = [(rec, signal_of(rec)) for rec in records]
    active = [(r, s) for r, s in pairs if s is not None and _text_or_none(r["exclude"]) is None]
    high = np.array([s for r, s in active if r["role"] in roles.high], dtype=float)
    low = np.array([s for r, s in active if r["role"] in roles.low], dtype=float)
    for label, arr, wanted in (("high", high, roles.high), ("low", low, roles.low)):
        if len(arr) == 0:
            raise InputError(
                f"every {label} control well ({'/'.join(wanted)}) is excluded; none is left",
                file=layout.source,
            )
    qc = plate_qc(
        high,
        low,
        high_label=roles.high_label,
        low_label=roles.low_label,
        thresholds=settings.qc,
    )
    qc = _exempt_near_zero_cv(qc)
    if qc.mean_high <= qc.mean_low:
        raise InputError(
            f"the high controls (mean {qc.mean_high:.4g}) are not above the low controls "
            f"(mean {qc.mean_low:.4g}): there is no assay window",
            place=place,
        )
    wells = [
        PlateWell(
            well=str(r["well"]),
            role=str(r["role"]),
            compound=_text_or_none(r["compound"]),
            conc_molar=None if math.isnan(r["conc_molar"]) else float(r["conc_molar"]),
            signal=s,
            response_pct=None
            if s is None
            else float(percent_of_controls(s, qc.mean_high, qc.mean_low)),
            excluded=_text_or_none(r["exclude"]),
        )
        for r, s in pairs
    ]
    agonist = _fit_agonist(wells, settings, place)
    ec50, hill, cov, t_ag, basis = _agonist_constants(agonist, settings)
    curves = tuple(
        _fit_compound(name, wells, settings, place, ec50, hill, cov, t_ag)
        for name in _compounds(wells, "sample")
    )
    wells = _with_residuals(wells, curves, agonist, roles)
    fmt = plate_format
    return InhibitionPlate(
        plate_wells=fmt.wells,
        roles=roles,
        qc=qc,
        wells=tuple(wells),
        curves=curves,
        agonist=agonist,
        kb_basis=basis,
        edge=_edge_effect(wells, fmt, settings),
    )


def _exempt_near_zero_cv(qc: PlateQC) -> PlateQC:
    """Drop the CV and S/B criteria of the low controls when their mean is near zero (within 10%
    of the window), as for baseline-corrected readouts (dF/F0, blank-subtracted): a CV or ratio
    of a mean near zero is large, negative or undefined whatever the assay's quality, while the
    low controls' spread is still judged by Z'. The values are still shown in the QC table."""
    window = qc.mean_high - qc.mean_low
    if window <= 0 or abs(qc.mean_low) >= 0.1 * window:
        return qc
    prefixes = (f"CV of {qc.low_label} controls", "signal/background")
    kept = tuple(r for r in qc.reasons if not r.startswith(prefixes))
    return replace(qc, reasons=kept)


def _compounds(wells: Sequence[PlateWell], role: str) -> list[str]:
    seen: dict[str, None] = {}
    for w in wells:
        if w.role == role and w.compound is not None:
            seen.setdefault(w.compound, None)
    return list(seen)


def _normalised(settings: PlateSettings) -> FitThresholds:
    """The flag rules for responses in % of the plate's controls (0 and 100 the window)."""
    return dataclasses.replace(settings.flags, normalised=True)


def _points(
    name: str, wells: Sequence[PlateWell], role: str, place: Place
) -> tuple[np.ndarray, np.ndarray]:
    pts = [w for w in wells if w.role == role and w.compound == name and w.excluded is None]
    for w in pts:
        if w.conc_molar is None or w.conc_molar <= 0:
            raise InputError(
                f"{role} concentration must be > 0 (use a control role for wells without compound)",
                place=place,
                curve=name,
                well=w.well,
            )
    conc = np.array([w.conc_molar for w in pts], dtype=float)
    if len(np.unique(conc)) < 4:
        raise InputError(
            f"{len(np.unique(conc))} distinct concentration(s); a 4-parameter curve needs at "
            "least 4",
            place=place,
            curve=name,
        )
    return np.log10(conc), np.array([w.response_pct for w in pts], dtype=float)


def _fit(
    model_name: str, x: np.ndarray, y: np.ndarray, param: str, alpha: float, place: Place
) -> tuple[FitResult, float | None]:
    # A flat curve can overflow inside the solver's Jacobian; it is flagged, not an error.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        fit = fit_curve(get_model(model_name), x, y, profile=(param,), alpha=alpha, place=place)
        p_flat = no_effect_test(x, y, fit) if fit.converged else None
    return fit, p_flat


def fit_inhibition_curves(
    wells: Sequence[PlateWell], settings: PlateSettings, place: Place
) -> tuple[InhibitionCurve, ...]:
    """The 4PL of every compound's ``sample`` wells (their ``response_pct`` against log10
    concentration), fitted, profiled and flagged exactly as :func:`analyse_inhibition` fits a
    plate's compounds, without Kb: for assays that normalise their wells themselves (invasion:
    % of the vehicle's invasion index)."""
    return tuple(
        _fit_compound(name, wells, settings, place, None, 1.0, None, None)
        for name in _compounds(wells, "sample")
    )


def _fit_agonist(
    wells: Sequence[PlateWell], settings: PlateSettings, place: Place
) -> AgonistCurve | None:
    names = _compounds(wells, "agonist")
    if not names:
        return None
    if len(names) > 1:
        raise InputError(
            f"agonist wells name {len(names)} compounds ({', '.join(names)}); one agonist curve "
            "per plate",
            place=place,
            field="role agonist",
        )
    name = names[0]
    where = Place(file=place.file, block=place.block, curve=name)
    x, y = _points(name, wells, "agonist", where)
    fit, p_flat = _fit("4pl_stim", x, y, "log10_ec50", settings.alpha, where)
    flags = potency_flags(
        fit, no_effect_p=p_flat, param="log10_ec50", thresholds=_normalised(settings), x=x
    )
    prof = fit.profile("log10_ec50")
    lo, hi = (prof.lower, prof.upper) if prof is not None else (None, None)
    p = fit.params
    effect = None
    if settings.agonist_molar is not None and fit.converged:
        h = p["hill"]
        r = (settings.agonist_molar / 10 ** p["log10_ec50"]) ** h
        effect = float(100 * r / (1 + r))
    return AgonistCurve(
        compound=name,
        fit=fit,
        ec50_molar=float(10 ** p["log10_ec50"]),
        ec50_lower_molar=None if lo is None else float(10**lo),
        ec50_upper_molar=None if hi is None else float(10**hi),
        hill=float(p["hill"]),
        flags=flags,
        effect_at_agonist_pct=effect,
    )


def _agonist_constants(
    agonist: AgonistCurve | None, settings: PlateSettings
) -> tuple[float | None, float, np.ndarray | None, float | None, str]:
    """(EC50, slope, their covariance in (log10 EC50, slope), t value, basis text)."""
    if settings.agonist_molar is None:
        return None, 1.0, None, None, "none: agonist concentration not given, so no Kb"
    usable = (
        agonist is not None
        and agonist.fit.converged
        and not {"no_effect", "outside_range", "not_converged"} & set(agonist.flags)
    )
    if agonist is not None and usable:
        fit = agonist.fit
        cov = None
        if fit.covariance is not None:
            free = [n for n, f in zip(fit.param_names, fit.free, strict=True) if f]
            idx = [free.index("log10_ec50"), free.index("hill")]
            cov = np.asarray(fit.covariance)[np.ix_(idx, idx)]
        return (
            agonist.ec50_molar,
            agonist.hill,
            cov,
            fit.t_critical(settings.alpha),
            f"{agonist.compound} EC50 and slope from its own curve on this plate",
        )
    if settings.agonist_ec50_molar is not None:
        why = " (the plate's agonist curve is not usable)" if agonist is not None else ""
        return (
            settings.agonist_ec50_molar,
            settings.agonist_hill,
            None,
            None,
            f"{settings.agonist} EC50 and slope as given{why}; their uncertainty is not included",
        )
    return None, 1.0, None, None, "none: no agonist curve on the plate and no agonist EC50 given"


def _kb_interval(
    ic50: float,
    lo: float | None,
    hi: float | None,
    agonist_molar: float,
    ec50: float,
    hill: float,
    cov: np.ndarray | None,
    t_ag: float | None,
) -> tuple[float, float | None, float | None]:
    factor = leff_dougall_factor(agonist=agonist_molar, ec50=ec50, hill=hill)
    kb = ic50 / factor
    extra = 0.0
    if cov is not None and t_ag is not None:
        step = 1e-6
        log_ec50 = math.log10(ec50)

        def lf(le: float, h: float) -> float:
            return math.log10(leff_dougall_factor(agonist=agonist_molar, ec50=10**le, hill=h))

        grad = np.array(
            [
                (lf(log_ec50 + step, hill) - lf(log_ec50 - step, hill)) / (2 * step),
                (lf(log_ec50, hill + step) - lf(log_ec50, hill - step)) / (2 * step),
            ]
        )
        extra = t_ag * math.sqrt(max(float(grad @ cov @ grad), 0.0))
    log_kb = math.log10(kb)

    def side(bound: float | None, sign: float) -> float | None:
        if bound is None:
            return None
        half = abs(math.log10(ic50) - math.log10(bound))
        return float(10 ** (log_kb + sign * math.hypot(half, extra)))

    return kb, side(lo, -1.0), side(hi, 1.0)


def _fit_compound(
    name: str,
    wells: Sequence[PlateWell],
    settings: PlateSettings,
    place: Place,
    ec50: float | None,
    hill: float,
    cov: np.ndarray | None,
    t_ag: float | None,
) -> InhibitionCurve:
    where = Place(file=place.file, block=place.block, curve=name)
    x, y = _points(name, wells, "sample", where)
    fit, p_flat = _fit(FOUR_PL.name, x, y, "log10_ic50", settings.alpha, where)
    flags = potency_flags(fit, no_effect_p=p_flat, thresholds=_normalised(settings), x=x)
    prof = fit.profile("log10_ic50")
    lo_log, hi_log = (prof.lower, prof.upper) if prof is not None else (None, None)
    ic50 = float(10.0 ** fit.params["log10_ic50"])
    lo = None if lo_log is None else float(10.0**lo_log)
    hi = None if hi_log is None else float(10.0**hi_log)
    kb = kb_lo = kb_hi = None
    if settings.agonist_molar is not None and ec50 is not None and math.isfinite(ic50) and ic50 > 0:
        try:
            kb, kb_lo, kb_hi = _kb_interval(
                ic50, lo, hi, settings.agonist_molar, ec50, hill, cov, t_ag
            )
        except ArithmeticError:  # e.g. ([A]/EC50)^n beyond a float: no Kb rather than 0 or inf
            kb = kb_lo = kb_hi = None
        if kb is not None and not (math.isfinite(kb) and kb > 0):
            kb = kb_lo = kb_hi = None  # never store a Kb that underflowed to 0
    return InhibitionCurve(
        compound=name,
        fit=fit,
        ic50_molar=ic50,
        ic50_lower_molar=lo,
        ic50_upper_molar=hi,
        kb_molar=kb,
        kb_lower_molar=kb_lo,
        kb_upper_molar=kb_hi,
        max_inhibition_pct=float(100.0 - fit.params["bottom"]),
        conc_min_molar=float(10 ** x.min()),
        conc_max_molar=float(10 ** x.max()),
        no_effect_p=p_flat,
        flags=flags,
    )


def _with_residuals(
    wells: Sequence[PlateWell],
    curves: Sequence[InhibitionCurve],
    agonist: AgonistCurve | None,
    roles: ControlRoles,
) -> list[PlateWell]:
    fits = {c.compound: c.fit for c in curves if c.fit.converged}
    role_means: dict[str, float] = {}
    for role in {*roles.high, *roles.low}:
        pct = [w.response_pct for w in wells if w.role == role and w.excluded is None]
        values = [p for p in pct if p is not None]
        if values:
            role_means[role] = float(np.mean(values))
    out = []
    for w in wells:
        residual = None
        if w.response_pct is not None and w.excluded is None:
            fit = None
            if w.role == "sample" and w.compound in fits:
                fit = fits[w.compound]
            elif w.role == "agonist" and agonist is not None and agonist.fit.converged:
                fit = agonist.fit
            if fit is not None and w.conc_molar:
                pred = float(fit.predict(np.array([math.log10(w.conc_molar)]))[0])
                residual = w.response_pct - pred
            elif w.role in role_means:
                residual = w.response_pct - role_means[w.role]
        out.append(
            PlateWell(
                well=w.well,
                role=w.role,
                compound=w.compound,
                conc_molar=w.conc_molar,
                signal=w.signal,
                response_pct=w.response_pct,
                residual_pct=residual,
                excluded=w.excluded,
            )
        )
    return out


def _edge_effect(
    wells: Sequence[PlateWell], fmt: PlateFormat, settings: PlateSettings
) -> EdgeEffect:
    from scipy import stats

    edge: list[float] = []
    interior: list[float] = []
    for w in wells:
        if w.residual_pct is None:
            continue
        r, c = well_position(w.well)
        outer = r in (0, fmt.rows - 1) or c in (1, fmt.cols)
        (edge if outer else interior).append(w.residual_pct)
    criterion = (
        f"flagged when p < {settings.edge_alpha} and |difference| > {settings.edge_min_pct} "
        "%-points (Welch t test on residuals)"
    )
    if len(edge) < 2 or len(interior) < 2:
        return EdgeEffect(len(edge), len(interior), None, None, None, None, False, criterion)
    e, i = np.array(edge), np.array(interior)
    diff = float(e.mean() - i.mean())
    p: float | None
    if np.std(e) == 0 and np.std(i) == 0:
        p = None
    else:
        p = float(stats.ttest_ind(e, i, equal_var=False).pvalue)
        if not math.isfinite(p):
            p = None
    flagged = p is not None and p < settings.edge_alpha and abs(diff) > settings.edge_min_pct
    return EdgeEffect(
        n_edge=len(e),
        n_interior=len(i),
        edge_mean_pct=float(e.mean()),
        interior_mean_pct=float(i.mean()),
        difference_pct=diff,
        p_value=p,
        flagged=flagged,
        criterion=criterion,
    )


def plate_format_of(wells: int) -> PlateFormat:
    """The standard plate format with ``wells`` wells."""
    return next(f for f in FORMATS if f.wells == wells)


# --- potencies -----------------------------------------------------------------------------------


def curve_potencies(
    curve: InhibitionCurve,
    *,
    assay: str,
    system: str,
    source: str,
    extra: Sequence[tuple[str, float | None, float | None, float | None]] = (),
) -> list[Potency]:
    """IC50 (and Kb where computed, and ``extra`` (parameter, value, lower, upper) rows) as
    :class:`Potency` records; bounds where the curve is incomplete, nothing if it is flat."""
    if "no_effect" in curve.flags or "not_converged" in curve.flags:
        return []
    rows: list[tuple[str, float | None, float | None, float | None]] = [
        ("IC50", curve.ic50_molar, curve.ic50_lower_molar, curve.ic50_upper_molar)
    ]
    if curve.kb_molar is not None:
        rows.append(("Kb", curve.kb_molar, curve.kb_lower_molar, curve.kb_upper_molar))
    rows.extend(extra)
    out = []
    for parameter, value, lo, hi in rows:
        if value is None:
            continue
        bound: Literal["=", "<", ">"] = "="
        if "outside_range" in curve.flags:
            above = curve.fit.params["log10_ic50"] > curve.fit.x_max
            bound = ">" if above else "<"
            edge = curve.conc_max_molar if above else curve.conc_min_molar
            value = edge * value / curve.ic50_molar
            lo = hi = None
        out.append(
            Potency(
                compound=curve.compound,
                assay=assay,
                parameter=parameter,  # type: ignore[arg-type]
                value_molar=value,
                lower_molar=lo,
                upper_molar=hi,
                bound=bound,
                system=system,
                source=source,
                flags=curve.flags,
            )
        )
    return out
