"""LC-MS/MS bioanalysis of balixafortide in plasma: calibration, QCs, ICH M10 run acceptance.

The protocol (seeds: "Protocol for Quantification of Balixafortide in Human Plasma by
LC-MS/MS"): plasma spiked with a stable-isotope-labelled internal standard (IS), SPE, C18,
ESI+ MRM; the calibration curve plots the analyte/IS peak-area ratio against the nominal
concentration; QCs (low, medium, high) and unknowns are read off the curve.

Analysis (ICH M10, 2022, section 3.3 "Study sample analysis", chromatographic methods):

1. peak-area ratio = analyte area / IS area for every injection;
2. weighted (``1/x`` or ``1/x^2``) linear or quadratic regression of ratio on nominal
   concentration through :func:`cxcr4lab.fit.fit_curve`;
3. calibrators back-calculated: within ±15% of nominal (±20% at the LLOQ). A failing calibrator
   is rejected and the curve refitted without it (repeated until stable); the range is truncated
   to the lowest and highest accepted calibrators. >= 75% of the calibrators, and at least 6
   levels, must pass;
4. QCs: within ±15%; >= 2/3 of all QCs and >= 50% at each level must pass; at least 3 levels;
5. blanks (``blank``: no analyte, no IS; ``zero``: IS only): analyte response <= 20% of the
   LLOQ's and IS response <= 5% of the mean IS response of the calibrators (M10 3.2.2);
6. unknowns: concentration x dilution factor in ng/mL, and in nM with the molecular weight;
   below the LLOQ reported as ``< LLOQ`` (BLQ), above the ULOQ as ``> ULOQ`` (re-assay diluted).

The run passes only when no criterion fails; every failed criterion is listed in ``reasons``.

Input: one row per injection with columns ``sample_id``, ``type`` (blank, zero, calibrator,
qc, unknown), ``nominal`` (calibrators and QCs, in ``unit``), ``analyte_area``, ``is_area``;
optional ``dilution``, ``subject``, ``time_h``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.tabular import Table, text_column
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.tables import numeric_column, require_columns, require_unique
from cxcr4lab.fit import LINEAR, QUADRATIC, FitResult, fit_curve
from cxcr4lab.fit.weights import weights_for

__all__ = [
    "BioanalysisResult",
    "BioanalysisSettings",
    "Injection",
    "analyse",
    "ng_per_ml_to_nm",
]

Bound = Literal["=", "<", ">"]
_TYPES = {
    "blank": "blank",
    "double blank": "blank",
    "double_blank": "blank",
    "zero": "zero",
    "zero_sample": "zero",
    "calibrator": "calibrator",
    "cal": "calibrator",
    "standard": "calibrator",
    "std": "calibrator",
    "qc": "qc",
    "quality control": "qc",
    "unknown": "unknown",
    "sample": "unknown",
    "study sample": "unknown",
}


def ng_per_ml_to_nm(value: float, mw_g_per_mol: float) -> float:
    """ng/mL -> nmol/L: ``value * 1000 / MW``.

    >>> round(ng_per_ml_to_nm(1864.1, 1864.1), 6)
    1000.0
    """
    return value * 1000.0 / mw_g_per_mol


@dataclass(frozen=True)
class BioanalysisSettings:
    """Regression, weighting and ICH M10 acceptance limits; ``mw_g_per_mol`` for nM output."""

    regression: Literal["linear", "quadratic"] = "linear"
    weighting: Literal["none", "1/x", "1/x^2"] = "1/x^2"
    analyte: str = "balixafortide"
    unit: str = "ng/mL"
    mw_g_per_mol: float | None = None
    calibrator_limit_pct: float = 15.0
    lloq_limit_pct: float = 20.0
    qc_limit_pct: float = 15.0
    min_calibrator_fraction: float = 0.75
    min_levels: int = 6
    min_qc_fraction: float = 2.0 / 3.0
    min_qc_level_fraction: float = 0.5
    min_qc_levels: int = 3
    blank_analyte_max_pct_of_lloq: float = 20.0
    blank_is_max_pct: float = 5.0

    def __post_init__(self) -> None:
        if self.regression not in ("linear", "quadratic"):
            raise InputError(
                f"regression must be linear or quadratic, got {quote(self.regression)}",
                field="regression",
            )
        if self.weighting not in ("none", "1/x", "1/x^2"):
            raise InputError(
                f"weighting must be none, 1/x or 1/x^2, got {quote(self.weighting)}",
                field="weighting",
            )
        if self.mw_g_per_mol is not None and not self.mw_g_per_mol > 0:
            raise InputError("molecular weight must be > 0", field="mw_g_per_mol")


@dataclass(frozen=True)
class Injection:
    """One injection: its ratio, back-calculated concentration (in the run, and x dilution in
    the sample), accuracy against nominal, verdict and flags. Concentrations in the unit."""

    sample_id: str
    type: str
    row: int
    nominal: float | None
    analyte_area: float
    is_area: float
    ratio: float | None
    dilution: float
    back_calculated: float | None
    accuracy_pct: float | None
    passed: bool | None
    used_in_fit: bool
    concentration: float | None
    concentration_nm: float | None
    bound: Bound
    subject: str | None
    time_h: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class BioanalysisResult(Serial):
    """One analytical run (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "bioanalysis"

    run: str
    settings: BioanalysisSettings
    fit: FitResult
    injections: tuple[Injection, ...]
    lloq: float | None
    uloq: float | None
    reasons: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.reasons

    def of_type(self, kind: str) -> list[Injection]:
        return [i for i in self.injections if i.type == kind]

    def summary(self) -> pd.DataFrame:
        """Unknowns, one row per injection: concentration in ng/mL (and nM with the MW)."""
        u = self.settings.unit.replace("/", "_per_")
        rows = [
            {
                "sample_id": i.sample_id,
                "subject": i.subject,
                "time_h": i.time_h,
                "dilution": i.dilution,
                "ratio": i.ratio,
                f"conc_{u}": i.concentration,
                "conc_nM": i.concentration_nm,
                "bound": i.bound,
                "run_passed": self.passed,
                "flags": ",".join(i.flags),
            }
            for i in self.of_type("unknown")
        ]
        return pd.DataFrame(rows)

    def acceptance_table(self) -> pd.DataFrame:
        """Calibrators and QCs: nominal, back-calculated, accuracy (%) and verdict."""
        rows = [
            {
                "sample_id": i.sample_id,
                "type": i.type,
                "nominal": i.nominal,
                "back_calculated": i.back_calculated,
                "accuracy_pct": i.accuracy_pct,
                "passed": i.passed,
                "used_in_fit": i.used_in_fit,
            }
            for i in self.injections
            if i.type in ("calibrator", "qc")
        ]
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Potency]:
        return []


# --- the calibration line --------------------------------------------------------------------------


def _inverse(fit: FitResult, ratio: float) -> float | None:
    """Concentration giving ``ratio`` on the fitted line (the root on the calibrated branch)."""
    p = fit.params
    c, b = p["intercept"], p["slope"]
    a = p.get("curvature", 0.0)
    if a == 0.0:
        return (ratio - c) / b if b != 0 else None
    disc = b * b - 4 * a * (c - ratio)
    if disc < 0:
        return None
    roots = [(-b + s * math.sqrt(disc)) / (2 * a) for s in (1.0, -1.0)]
    # The calibrated branch: where the slope b + 2 a x has the sign of b.
    good = [x for x in roots if (b + 2 * a * x) * b > 0]
    return min(good, key=abs) if good else None


def _fit(x: np.ndarray, y: np.ndarray, settings: BioanalysisSettings, place: Place) -> FitResult:
    model = QUADRATIC if settings.regression == "quadratic" else LINEAR
    w = None if settings.weighting == "none" else weights_for(settings.weighting, x, y, place=place)
    return fit_curve(model, x, y, weights=w, place=place)


# --- analysis ------------------------------------------------------------------------------------


def analyse(table: Table, settings: BioanalysisSettings) -> BioanalysisResult:
    """Analyse one LC-MS/MS run table (one row per injection)."""
    place = Place(file=table.source)
    df = table.frame
    require_columns(df, ["sample_id", "type", "analyte_area", "is_area"], place=place)
    rb = table.row_base
    require_unique(df, ["sample_id"], place=place, row_base=rb)
    ids = text_column(table, "sample_id")
    types_raw = text_column(table, "type")
    types = []
    for i, t in enumerate(types_raw):
        kind = _TYPES.get(str(t).lower())
        if kind is None:
            raise InputError(
                f"unknown sample type {quote(t)}; one of blank, zero, calibrator, qc, unknown",
                place=place,
                row=table.line(i),
                column="type",
            )
        types.append(kind)
    area = numeric_column(df, "analyte_area", place=place, nonnegative=True, row_base=rb)
    is_area = numeric_column(df, "is_area", place=place, nonnegative=True, row_base=rb)
    nominal = (
        numeric_column(df, "nominal", place=place, allow_nan=True, nonnegative=True, row_base=rb)
        if "nominal" in df.columns
        else np.full(len(df), np.nan)
    )
    dilution = (
        numeric_column(df, "dilution", place=place, allow_nan=True, row_base=rb)
        if "dilution" in df.columns
        else np.full(len(df), np.nan)
    )
    dilution = np.where(np.isnan(dilution), 1.0, dilution)
    time_h = (
        numeric_column(df, "time_h", place=place, allow_nan=True, row_base=rb)
        if "time_h" in df.columns
        else np.full(len(df), np.nan)
    )
    subjects = (
        text_column(table, "subject", required=False)
        if "subject" in df.columns
        else [None] * len(df)
    )
    for i, kind in enumerate(types):
        where = Place(file=table.source, row=table.line(i))
        if kind in ("calibrator", "qc") and not (nominal[i] > 0):
            raise InputError(
                f"{kind} needs a nominal concentration > 0", place=where, column="nominal"
            )
        if kind != "blank" and is_area[i] <= 0:
            raise InputError(
                "internal-standard area is 0: the ratio cannot be formed (IS not added or not "
                "detected?)",
                place=where,
                column="is_area",
            )
        if dilution[i] < 1:
            raise InputError(
                f"dilution must be >= 1, got {dilution[i]:g}", place=where, column="dilution"
            )
    cal = [i for i, k in enumerate(types) if k == "calibrator"]
    if len({nominal[i] for i in cal}) < 2:
        raise InputError(
            f"{len({nominal[i] for i in cal})} calibrator level(s); a calibration curve needs "
            f"at least {settings.min_levels}",
            place=place,
            column="type",
        )
    ratio = np.where(is_area > 0, area / np.where(is_area > 0, is_area, 1.0), np.nan)

    # Fit; reject the worst failing calibrator and refit, until no used calibrator fails.
    used = set(cal)
    limit = {i: _cal_limit(nominal[i], nominal[cal], settings) for i in cal}
    fit_place = Place(file=table.source, curve="calibration")
    fit = _fit(nominal[cal], ratio[cal], settings, fit_place)
    while len(used) > 3:
        excess = {
            i: _excess(_inverse(fit, float(ratio[i])), float(nominal[i]), limit[i]) for i in used
        }
        worst = max(excess, key=lambda i: excess[i])
        if excess[worst] <= 0:
            break
        used.discard(worst)
        idx = sorted(used)
        fit = _fit(nominal[idx], ratio[idx], settings, fit_place)

    accepted = [i for i in cal if _within(_inverse(fit, ratio[i]), nominal[i], limit[i])]
    lloq = float(min(nominal[accepted])) if accepted else None
    uloq = float(max(nominal[accepted])) if accepted else None

    injections = []
    for i in range(len(df)):
        back = None if np.isnan(ratio[i]) else _inverse(fit, float(ratio[i]))
        nom = None if np.isnan(nominal[i]) else float(nominal[i])
        kind = types[i]
        accuracy = 100.0 * back / nom if back is not None and nom else None
        passed: bool | None = None
        if kind == "calibrator":
            passed = _within(back, nominal[i], limit[i])
        elif kind == "qc":
            passed = _within(back, nominal[i], settings.qc_limit_pct)
        conc, bound, flags = _reported(back, float(dilution[i]), lloq, uloq, kind)
        injections.append(
            Injection(
                sample_id=str(ids[i]),
                type=kind,
                row=table.line(i),
                nominal=nom,
                analyte_area=float(area[i]),
                is_area=float(is_area[i]),
                ratio=None if np.isnan(ratio[i]) else float(ratio[i]),
                dilution=float(dilution[i]),
                back_calculated=back,
                accuracy_pct=accuracy,
                passed=passed,
                used_in_fit=bool(i in used),
                concentration=conc,
                concentration_nm=None
                if conc is None or settings.mw_g_per_mol is None
                else ng_per_ml_to_nm(_to_ng_per_ml(conc, settings.unit), settings.mw_g_per_mol),
                bound=bound,
                subject=subjects[i],
                time_h=None if np.isnan(time_h[i]) else float(time_h[i]),
                flags=flags,
            )
        )
    reasons = _reasons(injections, nominal, area, is_area, types, lloq, settings)
    return BioanalysisResult(
        run=table.source,
        settings=settings,
        fit=fit,
        injections=tuple(injections),
        lloq=lloq,
        uloq=uloq,
        reasons=tuple(reasons),
    )


def _to_ng_per_ml(value: float, unit: str) -> float:
    factor = {"ng/ml": 1.0, "pg/ml": 1e-3, "ug/ml": 1e3, "µg/ml": 1e3, "mg/l": 1e3}
    f = factor.get(unit.lower().replace(" ", ""))
    if f is None:
        raise InputError(
            f"unit {quote(unit)} is not a mass concentration (ng/mL, pg/mL, µg/mL)", field="unit"
        )
    return value * f


def _cal_limit(level: float, levels: np.ndarray, settings: BioanalysisSettings) -> float:
    return (
        settings.lloq_limit_pct if level == float(np.min(levels)) else settings.calibrator_limit_pct
    )


def _excess(back: float | None, nominal: float, limit_pct: float) -> float:
    """How far (percentage points) the back-calculated value lies beyond its limit (<= 0: ok)."""
    if back is None:
        return math.inf
    return abs(100.0 * back / nominal - 100.0) - limit_pct


def _within(back: float | None, nominal: float, limit_pct: float) -> bool:
    return bool(_excess(back, float(nominal), limit_pct) <= 1e-9)


def _reported(
    back: float | None, dilution: float, lloq: float | None, uloq: float | None, kind: str
) -> tuple[float | None, Bound, tuple[str, ...]]:
    if kind != "unknown":
        return None, "=", ()
    if lloq is None or uloq is None:
        return None, "=", ("no_calibrated_range",)
    if back is None or back < lloq:
        return lloq * dilution, "<", ("BLQ",)
    if back > uloq:
        return uloq * dilution, ">", ("ALQ",)
    return back * dilution, "=", ()


def _reasons(
    injections: list[Injection],
    nominal: np.ndarray,
    area: np.ndarray,
    is_area: np.ndarray,
    types: list[str],
    lloq: float | None,
    s: BioanalysisSettings,
) -> list[str]:
    reasons: list[str] = []
    cals = [i for i in injections if i.type == "calibrator"]
    ok = [i for i in cals if i.passed]
    if len(ok) < s.min_calibrator_fraction * len(cals):
        reasons.append(
            f"calibrators: {len(ok)}/{len(cals)} ({100 * len(ok) / len(cals):.0f}%) within ±"
            f"{s.calibrator_limit_pct:g}% (±{s.lloq_limit_pct:g}% at the LLOQ); at least "
            f"{100 * s.min_calibrator_fraction:.0f}% needed"
        )
    levels = {i.nominal for i in ok}
    if len(levels) < s.min_levels:
        reasons.append(
            f"calibrators: {len(levels)} concentration level(s) pass; at least {s.min_levels} needed"
        )
    qcs = [i for i in injections if i.type == "qc"]
    if not qcs:
        reasons.append("no QC samples in the run")
    else:
        good = [i for i in qcs if i.passed]
        if len(good) < s.min_qc_fraction * len(qcs) - 1e-9:
            reasons.append(
                f"QCs: {len(good)}/{len(qcs)} within ±{s.qc_limit_pct:g}%; at least "
                f"{s.min_qc_fraction * 100:.0f}% (2/3) needed"
            )
        by_level: dict[float, list[Injection]] = {}
        for q in qcs:
            by_level.setdefault(float(q.nominal or 0.0), []).append(q)
        if len(by_level) < s.min_qc_levels:
            reasons.append(
                f"QCs at {len(by_level)} concentration level(s); at least {s.min_qc_levels} "
                "(low, medium, high) needed"
            )
        for level, group in sorted(by_level.items()):
            n_ok = sum(bool(q.passed) for q in group)
            if n_ok < s.min_qc_level_fraction * len(group) - 1e-9:
                reasons.append(
                    f"QC level {level:g} {s.unit}: {n_ok}/{len(group)} within ±{s.qc_limit_pct:g}%; "
                    f"at least {100 * s.min_qc_level_fraction:.0f}% per level needed"
                )
    cal_idx = [k for k, t in enumerate(types) if t == "calibrator"]
    if lloq is not None and cal_idx:
        lloq_area = float(np.mean([area[k] for k in cal_idx if nominal[k] == lloq]))
        mean_is = float(np.mean(is_area[cal_idx]))
        for inj, k in zip(injections, range(len(types)), strict=True):
            if types[k] not in ("blank", "zero"):
                continue
            if area[k] > s.blank_analyte_max_pct_of_lloq / 100 * lloq_area:
                reasons.append(
                    f"{types[k]} {inj.sample_id} (row {inj.row}): analyte response "
                    f"{100 * area[k] / lloq_area:.0f}% of the LLOQ's; at most "
                    f"{s.blank_analyte_max_pct_of_lloq:g}% allowed"
                )
            if types[k] == "blank" and is_area[k] > s.blank_is_max_pct / 100 * mean_is:
                reasons.append(
                    f"blank {inj.sample_id} (row {inj.row}): IS response "
                    f"{100 * is_area[k] / mean_is:.0f}% of the calibrators' mean; at most "
                    f"{s.blank_is_max_pct:g}% allowed"
                )
    return reasons
