"""ELISA (serum TRAcP 5b, IFN-γ, IL-2): standard curve, back-calculated unknowns, LLOQ/ULOQ.

The protocol (seeds: "Serum Biomarker Analysis (ELISA)" of the PC-3 bone-metastasis study):
serum at day 29, one kit per analyte, absorbance read on a plate reader, concentrations from the
kit's standard curve. Analysis, as a careful lab scientist does it:

1. optional blank subtraction (mean of ``blank`` wells);
2. 4PL or 5PL fit of signal against the standards' concentration on a linear axis (the zero
   standard sits on the lower plateau), every replicate well a point; ``auto`` keeps the 4PL
   unless the extra-sum-of-squares F test (and AICc, reported beside it) prefers the 5PL;
3. standards back-calculated through the curve: a level passes when its mean back-calculated
   concentration is within ±20% of nominal (±25% at the lowest and highest level; ICH M10,
   section 4.3, ligand-binding assays); LLOQ and ULOQ are the ends of the longest run of passing
   levels; the curve is accepted when >= 75% of the non-zero levels, and at least 6, pass;
4. unknowns (and QCs): mean signal of the replicate wells -> concentration -> times the dilution
   factor; duplicate CV (flag above ``cv_max_pct``); results outside LLOQ-ULOQ reported as
   bounds (``< LLOQ x dilution``), never as numbers.

Layout keys (wellmap): ``role`` = standard / blank / unknown / qc; ``level`` (standards, QCs:
nominal concentration in ``unit``); ``sample`` and ``dilution`` (unknowns; dilution 1 if not
given); ``group`` (optional, e.g. treatment arm); ``[expt] analyte`` and ``unit``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.layout import Layout
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.readers import PlateData
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.fit import FitResult, compare_fits, fit_curve, get_model
from cxcr4lab.fit.dose_response import log_asymmetry_term
from cxcr4lab.fit.weights import weights_for

__all__ = [
    "ElisaResult",
    "ElisaSettings",
    "ModelChoice",
    "SampleResult",
    "StandardLevel",
    "analyse",
    "back_calculate",
]

Bound = Literal["=", "<", ">"]


@dataclass(frozen=True)
class ElisaSettings:
    """Curve model, weighting and acceptance limits (defaults: ICH M10 ligand-binding assays)."""

    model: Literal["auto", "4pl", "5pl"] = "auto"
    weighting: Literal["none", "1/y", "1/y^2"] = "none"
    subtract_blank: bool = True
    accuracy_pct: float = 20.0
    accuracy_ends_pct: float = 25.0
    cv_max_pct: float = 20.0
    min_levels: int = 6
    min_fraction_passing: float = 0.75
    saturation: float = 4.0
    alpha: float = 0.05
    analyte: str | None = None
    unit: str | None = None

    def __post_init__(self) -> None:
        if self.model not in ("auto", "4pl", "5pl"):
            raise InputError(
                f"model must be auto, 4pl or 5pl, got {quote(self.model)}", field="model"
            )
        if not self.saturation > 0:
            raise InputError("saturation must be > 0", field="saturation")


@dataclass(frozen=True)
class ModelChoice:
    """4PL vs 5PL on the same standards: extra-sum-of-squares F test and AICc."""

    chosen: str
    how: str
    f_statistic: float | None = None
    p_value: float | None = None
    aicc_4pl: float | None = None
    aicc_5pl: float | None = None


@dataclass(frozen=True)
class StandardLevel:
    """One standard level: nominal, mean signal, back-calculated mean, recovery and verdict."""

    level: float
    n: int
    mean_signal: float
    cv_pct: float | None
    back_calculated: float | None
    recovery_pct: float | None
    passed: bool
    reason: str | None


@dataclass(frozen=True)
class SampleResult:
    """An unknown (or QC) at one dilution. Concentrations in the analyte's unit, in the sample
    (dilution applied). ``value`` is None when not calculable; ``bound`` marks out-of-range."""

    sample: str
    role: str
    group: str | None
    dilution: float
    wells: tuple[str, ...]
    signals: tuple[float, ...]
    mean_signal: float
    cv_pct: float | None
    in_well: float | None
    value: float | None
    bound: Bound
    nominal: float | None
    recovery_pct: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class ElisaResult(Serial):
    """One ELISA plate (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "elisa"

    plate: str
    block: str
    analyte: str
    unit: str
    settings: ElisaSettings
    blank_mean: float | None
    fit: FitResult
    choice: ModelChoice
    standards: tuple[StandardLevel, ...]
    lloq: float | None
    uloq: float | None
    samples: tuple[SampleResult, ...]
    reasons: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.reasons

    def summary(self) -> pd.DataFrame:
        """One row per unknown/QC; concentrations in the analyte's unit (column names say it)."""
        u = self.unit.replace("/", "_per_")
        rows = [
            {
                "sample": s.sample,
                "role": s.role,
                "group": s.group,
                "dilution": s.dilution,
                "n_wells": len(s.wells),
                "mean_signal": s.mean_signal,
                "cv_pct": s.cv_pct,
                f"in_well_{u}": s.in_well,
                f"conc_{u}": s.value,
                "bound": s.bound,
                "shown": _shown(s, self.lloq, self.uloq),
                "recovery_pct": s.recovery_pct,
                "flags": ",".join(s.flags),
            }
            for s in self.samples
        ]
        return pd.DataFrame(rows)

    def standards_table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(s) for s in self.standards])

    def potencies(self, source: str = "") -> list[Potency]:
        return []


def _shown(s: SampleResult, lloq: float | None, uloq: float | None) -> str:
    if s.value is None:
        return "not calculable"
    return f"{s.bound} {s.value:.4g}" if s.bound != "=" else f"{s.value:.4g}"


# --- the curve ----------------------------------------------------------------------------------


def back_calculate(fit: FitResult, signal: float) -> float | None:
    """Concentration (linear axis) where the fitted 4PL/5PL curve reaches ``signal``; None when
    the signal is not strictly between the curve's asymptotes.

    Inverts ``y = bottom + (top - bottom) (1 + a exp(±z))^-s``, ``a = 2^(1/s) - 1``,
    ``z = hill (ln x - ln c)`` (see :mod:`cxcr4lab.fit.dose_response`).
    """
    p = fit.params
    s = p.get("asymmetry", 1.0)
    loc = p["ec50"] if "ec50" in p else p["ic50"]
    sign = -1.0 if "ec50" in p else 1.0
    bottom, top, hill = p["bottom"], p["top"], p["hill"]
    if top == bottom or hill == 0 or s <= 0 or loc <= 0:
        return None
    w = (signal - bottom) / (top - bottom)
    if not 0.0 < w < 1.0:
        return None
    # z = sign ln((w^(-1/s) - 1) / a) in logs, so that no power overflows for a tiny s:
    # ln(e^u - 1) = u + ln(1 - e^-u) with u = -ln(w) / s > 0
    u = -math.log(w) / s
    log_inner = (u + math.log(-math.expm1(-u)) if u < math.inf else u) - log_asymmetry_term(s)
    e = sign * log_inner / hill
    if not math.isfinite(e) or e > 700.0:
        return None
    x = loc * math.exp(e)
    return x if math.isfinite(x) and x > 0 else None


def _fit(name: str, x: np.ndarray, y: np.ndarray, w: np.ndarray | None, place: Place) -> FitResult:
    return fit_curve(get_model(name), x, y, weights=w, place=place)


# --- analysis -------------------------------------------------------------------------------------


def analyse(plate: PlateData, layout: Layout, settings: ElisaSettings) -> ElisaResult:
    """Analyse one ELISA plate read by :func:`~cxcr4lab.assays.readers.read_plates_bytes`."""
    if layout.format.wells != plate.format.wells:
        raise InputError(
            f"layout {layout.source} describes a {layout.format.wells}-well plate but the reading "
            f"is a {plate.format.wells}-well plate",
            file=plate.source,
            block=plate.block,
        )
    layout.require_roles(("standard", "unknown"), assay="ELISA")
    analyte = settings.analyte or _expt(layout, "analyte") or "analyte"
    unit = settings.unit or _expt(layout, "unit") or "units"
    signals = plate.table.set_index("well")["signal"]
    used = layout.wells_used()
    used = used[used["exclude"].isna()]
    records = used.to_dict("records")
    reading: dict[str, float] = {}
    for rec in records:
        well = str(rec["well"])
        value = float(signals.get(well, math.nan))
        where = Place(file=plate.source, block=plate.block, well=well)
        if math.isnan(value):
            raise InputError(f"no reading for this {rec['role']} well", place=where)
        if value >= settings.saturation:
            raise InputError(
                f"signal {value:g} is at or above the detector's limit {settings.saturation:g} "
                "(saturated): dilute and re-read, or mask the well with exclude",
                place=where,
            )
        if value < -0.05 * settings.saturation:
            raise InputError(f"signal {value:g} is negative", place=where)
        reading[well] = value
    blanks = [reading[str(r["well"])] for r in records if r["role"] == "blank"]
    blank = float(np.mean(blanks)) if blanks and settings.subtract_blank else None
    offset = blank or 0.0

    std = [r for r in records if r["role"] == "standard"]
    levels = np.array([_number(r, "level", layout.source) for r in std])
    y = np.array([reading[str(r["well"])] - offset for r in std])
    if len(set(levels[levels > 0])) < 4:
        raise InputError(
            f"{len(set(levels[levels > 0]))} non-zero standard level(s); a 4PL/5PL curve "
            "needs at least 4 (5 for the 5PL)",
            file=layout.source,
            field="level",
        )
    place = Place(file=plate.source, block=plate.block, curve=f"{analyte} standards")
    rising = float(np.corrcoef(levels, y)[0, 1]) >= 0
    suffix = "_stim_lin" if rising else "_lin"
    w = (
        None
        if settings.weighting == "none"
        else weights_for(settings.weighting, levels, y, place=place)
    )
    fit4 = _fit("4pl" + suffix, levels, y, w, place)
    fit5: FitResult | None = None
    if settings.model != "4pl" and len(levels) >= 7:
        fit5 = _fit("5pl" + suffix, levels, y, w, place)
    choice, fit = _choose(settings, fit4, fit5)
    if not fit.converged:
        raise InputError(
            f"the {choice.chosen} standard curve did not converge ({fit.message})", place=place
        )

    standards = _standards(levels, y, fit, settings)
    lloq, uloq = _quantitation_range(standards)
    reasons = _acceptance(standards, settings)
    samples = tuple(_samples(records, reading, offset, fit, lloq, uloq, settings, layout.source))
    return ElisaResult(
        plate=plate.source,
        block=plate.block,
        analyte=analyte,
        unit=unit,
        settings=settings,
        blank_mean=blank,
        fit=fit,
        choice=choice,
        standards=standards,
        lloq=lloq,
        uloq=uloq,
        samples=samples,
        reasons=reasons,
    )


def _expt(layout: Layout, key: str) -> str | None:
    if key not in layout.table.columns:
        return None
    values = [v for v in layout.table[key].dropna().unique() if str(v).strip()]
    return str(values[0]) if values else None


def _number(rec: dict[Hashable, Any], key: str, source: str, default: float | None = None) -> float:
    raw = rec.get(key)
    where = Place(file=source, well=str(rec["well"]), column=key)
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        if default is not None:
            return default
        raise InputError(f"{rec['role']} well has no '{key}'", place=where)
    try:
        value = float(str(raw))
    except ValueError:
        raise InputError(f"{quote(raw)} is not a number", place=where) from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{key} must be a finite number >= 0, got {quote(raw)}", place=where)
    return value


def _choose(
    settings: ElisaSettings, fit4: FitResult, fit5: FitResult | None
) -> tuple[ModelChoice, FitResult]:
    if fit5 is None or not fit5.converged:
        how = "chosen by the user" if settings.model == "4pl" else "5PL not fitted or not converged"
        return ModelChoice("4PL", how), fit4
    cmp = compare_fits(fit4, fit5, alpha=settings.alpha)
    details = {
        "f_statistic": cmp.f_statistic,
        "p_value": cmp.p_value,
        "aicc_4pl": cmp.aicc_simple,
        "aicc_5pl": cmp.aicc_complex,
    }
    if settings.model == "5pl":
        return ModelChoice("5PL", "chosen by the user", **details), fit5
    if cmp.preferred == "complex" and fit4.converged:
        return ModelChoice(
            "5PL", f"F test p = {cmp.p_value:.3g} < {settings.alpha}", **details
        ), fit5
    if not fit4.converged:
        return ModelChoice("5PL", "4PL did not converge", **details), fit5
    return ModelChoice("4PL", f"F test p = {cmp.p_value:.3g} >= {settings.alpha}", **details), fit4


def _cv(values: np.ndarray) -> float | None:
    if len(values) < 2 or np.mean(values) == 0:
        return None
    return float(100 * np.std(values, ddof=1) / abs(np.mean(values)))


def _standards(
    levels: np.ndarray, y: np.ndarray, fit: FitResult, settings: ElisaSettings
) -> tuple[StandardLevel, ...]:
    nonzero = sorted({float(v) for v in levels if v > 0})
    ends = {nonzero[0], nonzero[-1]}
    out = []
    for level in sorted({float(v) for v in levels}):
        sig = y[levels == level]
        mean = float(np.mean(sig))
        back = back_calculate(fit, mean)
        if level == 0:
            out.append(StandardLevel(level, len(sig), mean, _cv(sig), back, None, True, None))
            continue
        limit = settings.accuracy_ends_pct if level in ends else settings.accuracy_pct
        recovery = None if back is None else 100.0 * back / level
        reason = None
        if recovery is None:
            reason = "signal outside the curve's asymptotes"
        elif abs(recovery - 100.0) > limit:
            reason = f"recovery {recovery:.1f}% outside 100 ± {limit:g}%"
        out.append(
            StandardLevel(level, len(sig), mean, _cv(sig), back, recovery, reason is None, reason)
        )
    return tuple(out)


def _quantitation_range(standards: tuple[StandardLevel, ...]) -> tuple[float | None, float | None]:
    """Ends of the longest run of consecutive passing non-zero levels."""
    best: list[StandardLevel] = []
    run: list[StandardLevel] = []
    for s in (s for s in standards if s.level > 0):
        run = [*run, s] if s.passed else []
        if len(run) > len(best):
            best = run
    return (best[0].level, best[-1].level) if best else (None, None)


def _acceptance(standards: tuple[StandardLevel, ...], settings: ElisaSettings) -> tuple[str, ...]:
    nonzero = [s for s in standards if s.level > 0]
    passing = [s for s in nonzero if s.passed]
    reasons = []
    fraction = len(passing) / len(nonzero)
    if fraction < settings.min_fraction_passing:
        reasons.append(
            f"{len(passing)}/{len(nonzero)} standard levels ({100 * fraction:.0f}%) within limits; "
            f"at least {100 * settings.min_fraction_passing:.0f}% needed"
        )
    if len(passing) < settings.min_levels:
        reasons.append(
            f"{len(passing)} standard levels pass; at least {settings.min_levels} needed"
        )
    return tuple(reasons)


def _samples(
    records: list[dict[Hashable, Any]],
    reading: dict[str, float],
    offset: float,
    fit: FitResult,
    lloq: float | None,
    uloq: float | None,
    settings: ElisaSettings,
    source: str,
) -> list[SampleResult]:
    groups: dict[tuple[str, str, float], list[dict[Hashable, Any]]] = {}
    for r in records:
        role = str(r["role"])
        if role not in ("unknown", "qc"):
            continue
        name = r.get("sample")
        if name is None or (isinstance(name, float) and math.isnan(name)):
            if role == "qc":
                name = f"QC {_number(r, 'level', source):g}"
            else:
                raise InputError(
                    "unknown well has no 'sample'",
                    file=source,
                    well=str(r["well"]),
                    column="sample",
                )
        dilution = _number(r, "dilution", source, default=1.0)
        if dilution < 1:
            raise InputError(
                f"dilution factor must be >= 1, got {dilution:g}",
                file=source,
                well=str(r["well"]),
                column="dilution",
            )
        groups.setdefault((role, str(name), dilution), []).append(r)
    out = []
    for (role, name, dilution), rows in groups.items():
        wells = tuple(str(r["well"]) for r in rows)
        sig = np.array([reading[w] - offset for w in wells])
        mean = float(np.mean(sig))
        cv = _cv(sig)
        in_well = back_calculate(fit, mean)
        flags: list[str] = []
        bound: Bound = "="
        value: float | None = None if in_well is None else in_well * dilution
        top_high = fit.params["top"] > fit.params["bottom"]
        if in_well is None:
            below = (mean <= fit.params["bottom"]) == top_high
            flags.append("below_curve" if below else "above_curve")
            edge = lloq if below else uloq
            if edge is not None:
                bound, value = ("<", edge * dilution) if below else (">", edge * dilution)
        elif lloq is None or uloq is None:
            flags.append("no_quantitation_range")
        elif in_well < lloq:
            flags.append("below_lloq")
            bound, value = "<", lloq * dilution
        elif in_well > uloq:
            flags.append("above_uloq")
            bound, value = ">", uloq * dilution
        if cv is not None and cv > settings.cv_max_pct:
            flags.append("cv_high")
        group = rows[0].get("group")
        nominal = _number(rows[0], "level", source) * dilution if role == "qc" else None
        recovery = (
            100.0 * value / nominal if nominal and value is not None and bound == "=" else None
        )
        out.append(
            SampleResult(
                sample=name,
                role=role,
                group=None if group is None or isinstance(group, float) else str(group),
                dilution=dilution,
                wells=wells,
                signals=tuple(float(v) for v in sig),
                mean_signal=mean,
                cv_pct=cv,
                in_well=in_well,
                value=value,
                bound=bound,
                nominal=nominal,
                recovery_pct=recovery,
                flags=tuple(flags),
            )
        )
    return out
