"""CD34+ stem-cell mobilization: a dose-response fitted to Karpova 2017, and apheresis yield.

Peak peripheral-blood CD34+ count (cells/uL) after one IV infusion of ``D`` ug/kg, as a sigmoid
Emax model above a fixed baseline ``E0``::

    peak(D) = E0 + Emax * D^h / (ED50^h + D^h)

fitted with the project's fit engine (``cxcr4lab.fit``, model ``emax``) with weights 1/SEM^2 to
the healthy-volunteer dose table shipped in ``pkpd/mobilization.toml`` (Karpova et al., J Transl
Med 2017; seed_facts.toml [[mobilization]]). The baseline is not in that table: it is fixed at
:data:`DEFAULT_BASELINE` (an assumption; see docs/pkpd.md for how much it matters).

Apheresis yield (CD34+ cells per kg of donor)::

    yield = peak (cells/uL) * processed blood volume (L) * 1e6 uL/L * CE / weight (kg)

The probability that a donor reaches the target treats the donor's peak as log-normal around the
model prediction with a between-donor CV (:class:`ApheresisSettings`).

>>> round(apheresis_yield(38.0, processed_l=19.6, efficiency=0.5, weight_kg=70.0) / 1e6, 3)
5.32
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import norm

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.fit import EMAX, FitResult, fit_curve

__all__ = [
    "DEFAULT_BASELINE",
    "ApheresisSettings",
    "DoseLevel",
    "MobilizationResult",
    "apheresis_yield",
    "donor_cv_from_sem",
    "fit_mobilization",
    "karpova_2017",
    "probability_reaching_target",
]

DEFAULT_BASELINE = 2.0
"""Assumed steady-state CD34+ count before dosing (cells/uL); healthy adults have ~1-5 /uL."""


@dataclass(frozen=True)
class DoseLevel:
    """One dose cohort: dose (ug/kg), mean peak CD34+ (cells/uL) and its SEM (cells/uL)."""

    dose_ug_per_kg: float
    mean_per_ul: float
    sem_per_ul: float


def karpova_2017() -> tuple[DoseLevel, ...]:
    """The healthy-volunteer dose table (Karpova et al., J Transl Med 2017), shipped as TOML."""
    text = resources.files("cxcr4lab.pkpd").joinpath("mobilization.toml").read_text("utf-8")
    table = tomllib.loads(text)
    return tuple(
        DoseLevel(float(d["dose_ug_per_kg"]), float(d["mean_per_uL"]), float(d["sem_per_uL"]))
        for d in table["dose"]
    )


@dataclass(frozen=True)
class ApheresisSettings:
    """How one apheresis is assumed to go.

    - ``blood_volume_ml_per_kg``: total blood volume, 70 mL/kg (adult average; Nadler's
      formula gives about 65-75 mL/kg).
    - ``blood_volumes_processed``: 4 (large-volume leukapheresis processes 3-4 or more blood
      volumes); or ``processed_l`` to give the processed volume in L directly.
    - ``efficiency``: CD34+ collection efficiency, 0.5 (median CE2 51-58 % on current devices,
      J Clin Apher 2025;40:e70081; mean 0.59 +/- 0.27 in Sarkodee-Adoo et al., Bone Marrow
      Transplant 2003).
    - ``target_per_kg``: 4e6 CD34+ cells/kg (seed_facts.toml [mobilization_claims]).
    - ``donor_cv_percent``: between-donor CV of the peak CD34+ count, 35 % (assumed; the dose
      table gives SEMs without cohort sizes, see :func:`donor_cv_from_sem`).
    """

    blood_volume_ml_per_kg: float = 70.0
    blood_volumes_processed: float = 4.0
    processed_l: float | None = None
    efficiency: float = 0.5
    target_per_kg: float = 4e6
    donor_cv_percent: float = 35.0

    def __post_init__(self) -> None:
        checks = (
            ("blood_volume_ml_per_kg", self.blood_volume_ml_per_kg > 0),
            ("blood_volumes_processed", self.blood_volumes_processed > 0),
            ("processed_l", self.processed_l is None or self.processed_l > 0),
            ("efficiency", 0 < self.efficiency <= 1),
            ("target_per_kg", self.target_per_kg > 0),
            ("donor_cv_percent", self.donor_cv_percent >= 0),
        )
        for name, ok in checks:
            if not ok:
                raise InputError(f"out of range: {quote(getattr(self, name))}", field=name)

    def processed_volume_l(self, weight_kg: float) -> float:
        """Blood volume processed (L) for a donor of ``weight_kg``."""
        if self.processed_l is not None:
            return self.processed_l
        return self.blood_volumes_processed * self.blood_volume_ml_per_kg * weight_kg / 1000.0

    def required_peak(self, weight_kg: float) -> float:
        """The peak CD34+ count (cells/uL) at which the yield just reaches the target."""
        return (
            self.target_per_kg
            * weight_kg
            / (self.processed_volume_l(weight_kg) * 1e6 * self.efficiency)
        )


def apheresis_yield(
    peak_per_ul: float, *, processed_l: float, efficiency: float, weight_kg: float
) -> float:
    """CD34+ cells/kg collected: peak (cells/uL) x processed volume (L) x 1e6 uL/L x CE / kg."""
    for name, v in (
        ("peak_per_ul", peak_per_ul),
        ("processed_l", processed_l),
        ("weight_kg", weight_kg),
    ):
        if not (math.isfinite(v) and v >= 0) or (name != "peak_per_ul" and v == 0):
            raise InputError(f"out of range: {quote(v)}", field=name)
    if not 0 < efficiency <= 1:
        raise InputError(f"must be in (0, 1], got {quote(efficiency)}", field="efficiency")
    return peak_per_ul * processed_l * 1e6 * efficiency / weight_kg


def probability_reaching_target(
    mean_peak_per_ul: float, settings: ApheresisSettings, weight_kg: float = 70.0
) -> float:
    """P(yield >= target) for a donor whose peak is log-normal with mean ``mean_peak_per_ul`` and
    CV ``settings.donor_cv_percent`` (0 % gives 0 or 1)."""
    if not (math.isfinite(mean_peak_per_ul) and mean_peak_per_ul > 0):
        raise InputError(f"must be > 0, got {quote(mean_peak_per_ul)}", field="mean_peak_per_ul")
    need = settings.required_peak(weight_kg)
    cv = settings.donor_cv_percent / 100.0
    if cv == 0:
        return 1.0 if mean_peak_per_ul >= need else 0.0
    s2 = math.log1p(cv * cv)
    mu = math.log(mean_peak_per_ul) - s2 / 2  # log-normal with that arithmetic mean
    return float(norm.sf((math.log(need) - mu) / math.sqrt(s2)))


def donor_cv_from_sem(levels: Sequence[DoseLevel], n_per_dose: int | Sequence[int]) -> float:
    """Pooled between-donor CV (%) from cohort SEMs: SD = SEM * sqrt(n), CV = SD / mean, pooled
    as the root mean square over cohorts."""
    ns = [n_per_dose] * len(levels) if isinstance(n_per_dose, int) else list(n_per_dose)
    if len(ns) != len(levels) or any(n < 2 for n in ns):
        raise InputError("one cohort size >= 2 per dose level", field="n_per_dose")
    cvs = [lv.sem_per_ul * math.sqrt(n) / lv.mean_per_ul for lv, n in zip(levels, ns, strict=True)]
    return 100.0 * math.sqrt(sum(c * c for c in cvs) / len(cvs))


_UNITS = {"e0": "CD34+/uL", "emax": "CD34+/uL", "ec50": "ug/kg", "hill": "1"}
_LABELS = {"e0": "E0 (baseline)", "emax": "Emax", "ec50": "ED50", "hill": "Hill"}


@dataclass(frozen=True)
class MobilizationResult(Serial):
    """The fitted dose-response of peak CD34+ and what it predicts for apheresis."""

    kind: ClassVar[str] = "mobilization"

    fit: FitResult
    levels: tuple[DoseLevel, ...]
    settings: ApheresisSettings
    weight_kg: float = 70.0
    plateau_doses: tuple[float, ...] = (1500.0, 2000.0, 2500.0)
    source: str = ""
    alpha: float = 0.05
    notes: tuple[str, ...] = field(default=())

    @property
    def params(self) -> dict[str, float]:
        return self.fit.params

    @property
    def emax(self) -> float:
        return self.fit.params["emax"]

    @property
    def ed50(self) -> float:
        return self.fit.params["ec50"]

    @property
    def baseline(self) -> float:
        return self.fit.params["e0"]

    def conf_int(self) -> dict[str, tuple[float | None, float | None]]:
        """Asymptotic (t-based) CIs at level 1 - alpha of every parameter."""
        return self.fit.conf_int(self.alpha)

    def predict(self, dose_ug_per_kg: ArrayLike) -> np.ndarray:
        """Predicted mean peak CD34+ (cells/uL) at doses (ug/kg)."""
        d = np.asarray(dose_ug_per_kg, dtype=float)
        if np.any(~np.isfinite(d)) or np.any(d < 0):
            raise InputError("doses must be finite and >= 0 ug/kg", field="dose_ug_per_kg")
        return self.fit.predict(d)

    @property
    def plateau(self) -> float:
        """Mean predicted peak CD34+ (cells/uL) over the plateau doses (1500-2500 ug/kg)."""
        return float(np.mean(self.predict(np.asarray(self.plateau_doses))))

    @property
    def asymptote(self) -> float:
        """E0 + Emax (cells/uL): the peak at an infinite dose."""
        return self.baseline + self.emax

    def yield_per_kg(self, dose_ug_per_kg: float) -> float:
        """Predicted apheresis yield (CD34+ cells/kg) for the mean donor at a dose."""
        peak = float(self.predict(np.asarray([dose_ug_per_kg]))[0])
        return apheresis_yield(
            peak,
            processed_l=self.settings.processed_volume_l(self.weight_kg),
            efficiency=self.settings.efficiency,
            weight_kg=self.weight_kg,
        )

    def probability(self, dose_ug_per_kg: float) -> float:
        """P(a donor's yield reaches the target) at a dose, between-donor CV as set."""
        peak = float(self.predict(np.asarray([dose_ug_per_kg]))[0])
        return probability_reaching_target(peak, self.settings, self.weight_kg)

    def parameters(self) -> pd.DataFrame:
        """One row per model parameter with unit, SE, asymptotic and profile 95% CIs."""
        ci = self.conf_int()
        rows = []
        for name in self.fit.param_names:
            prof = self.fit.profile(name)
            rows.append(
                {
                    "parameter": _LABELS[name],
                    "unit": _UNITS[name],
                    "value": self.fit.params[name],
                    "SE": self.fit.se[name],
                    "CI lower": ci[name][0],
                    "CI upper": ci[name][1],
                    "profile CI lower": None if prof is None else prof.lower,
                    "profile CI upper": None if prof is None else prof.upper,
                    "fixed": self.fit.se[name] is None,
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """One row per dose level: observed and predicted peak (with the 95% confidence band),
        predicted yield for the mean donor and the probability of reaching the target."""
        doses = np.array([lv.dose_ug_per_kg for lv in self.levels])
        pred = self.predict(doses)
        lo, hi = self.fit.band(doses, self.alpha)
        target = f"P(yield >= {self.settings.target_per_kg:.3g}/kg)"
        return pd.DataFrame(
            {
                "dose (ug/kg)": doses,
                "observed peak (CD34+/uL)": [lv.mean_per_ul for lv in self.levels],
                "SEM (CD34+/uL)": [lv.sem_per_ul for lv in self.levels],
                "predicted peak (CD34+/uL)": pred,
                "95% CI lower (CD34+/uL)": lo,
                "95% CI upper (CD34+/uL)": hi,
                "yield (CD34+ cells/kg)": [self.yield_per_kg(float(d)) for d in doses],
                target: [self.probability(float(d)) for d in doses],
            }
        )

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies (app protocol: result kinds list the potencies they estimate)."""
        return []


def _check_levels(levels: Sequence[DoseLevel]) -> None:
    if len(levels) < 4:
        raise InputError(
            f"{len(levels)} dose levels cannot fit Emax, ED50 and Hill with a residual",
            field="levels",
        )
    seen: set[float] = set()
    for i, lv in enumerate(levels):
        where = f"dose level {i + 1}"
        for name in ("dose_ug_per_kg", "mean_per_ul", "sem_per_ul"):
            v = getattr(lv, name)
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"{name} must be > 0, got {quote(v)}", field=where)
        if lv.dose_ug_per_kg in seen:
            raise InputError(f"dose {lv.dose_ug_per_kg:g} ug/kg is listed twice", field=where)
        seen.add(lv.dose_ug_per_kg)


def fit_mobilization(
    levels: Sequence[DoseLevel] | None = None,
    *,
    baseline: float = DEFAULT_BASELINE,
    hill: float | None = None,
    settings: ApheresisSettings | None = None,
    weight_kg: float = 70.0,
    alpha: float = 0.05,
    profile: bool = False,
    source: str = "",
) -> MobilizationResult:
    """Fit peak CD34+ = E0 + Emax D^h / (ED50^h + D^h) (weights 1/SEM^2, E0 fixed at
    ``baseline``, ``hill`` free unless given) to ``levels`` (default: Karpova 2017).

    ``profile`` adds profile-likelihood CIs of the free parameters (slow; with 2 residual
    degrees of freedom several sides stay open)."""
    data = tuple(levels) if levels is not None else karpova_2017()
    src = source or ("Karpova et al., J Transl Med 2017" if levels is None else "user table")
    _check_levels(data)
    if not (math.isfinite(baseline) and baseline >= 0):
        raise InputError(f"baseline must be >= 0 CD34+/uL, got {quote(baseline)}", field="baseline")
    if not (math.isfinite(weight_kg) and weight_kg > 0):
        raise InputError(f"weight must be > 0 kg, got {quote(weight_kg)}", field="weight_kg")
    x = np.array([lv.dose_ug_per_kg for lv in data])
    y = np.array([lv.mean_per_ul for lv in data])
    w = 1.0 / np.array([lv.sem_per_ul for lv in data]) ** 2
    fixed = {"e0": baseline} | ({} if hill is None else {"hill": hill})
    top = float(y.max())
    start = {
        "emax": max(top - baseline, 1.0),
        "ec50": float(np.interp(baseline + 0.5 * (top - baseline), np.sort(y), x[np.argsort(y)])),
        "hill": 1.0 if hill is None else hill,
    }
    free = [n for n in ("emax", "ec50", "hill") if n not in fixed]
    result = fit_curve(
        EMAX,
        x,
        y,
        weights=w,
        fixed=fixed,
        start=start,
        profile=free if profile else (),
        alpha=alpha,
        place=Place(field="mobilization dose table"),
    )
    notes = [f"E0 fixed at {baseline:g} CD34+/uL (baseline not in the dose table)"]
    if not result.converged:
        notes.append(f"the fit did not converge: {result.message}")
    return MobilizationResult(
        fit=result,
        levels=data,
        settings=settings or ApheresisSettings(),
        weight_kg=weight_kg,
        source=src,
        alpha=alpha,
        notes=tuple(notes),
    )
