"""Virtual populations: covariates, log-normal between-subject variability, allometry, bands.

Individual parameter i of subject j::

    P_ij = TV_i * (WT_j / 70 kg)^a_i * exp(eta_ij),    eta_j ~ N(0, Omega)

with ``Omega = D R D`` (``D`` the standard deviations of eta, ``R`` their correlation matrix).
A between-subject CV% is turned into a variance by ``omega^2 = ln(1 + CV^2)`` (exact for a
log-normal). Allometric exponents default to 0.75 for clearances and 1 for volumes.

Covariates default to :data:`MBC_WOMEN` (adult women, the metastatic breast cancer setting of the
balixafortide + eribulin trials); see that constant for where the numbers come from.

>>> pop = sample_population(
...     [TypicalParameter("CL", 10.0, "L/h", cv_percent=30.0, exponent=0.75)], n=4, seed=1
... )
>>> list(pop.columns), pop.attrs["units"]["CL"]
(['ID', 'SEX', 'WT', 'HT', 'BSA', 'CL'], 'L/h')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.pkpd.regimens import bsa

__all__ = [
    "MBC_WOMEN",
    "CovariateDistribution",
    "TypicalParameter",
    "omega_from_cv",
    "percentile_bands",
    "sample_covariates",
    "sample_population",
]

Array = NDArray[np.float64]
REFERENCE_WEIGHT_KG = 70.0


def omega_from_cv(cv_percent: float) -> float:
    """Variance of eta giving a log-normal parameter the coefficient of variation ``cv_percent``.

    >>> round(omega_from_cv(30.0), 6)
    0.086178
    """
    if not (math.isfinite(cv_percent) and cv_percent >= 0):
        raise InputError(f"CV% must be >= 0, got {quote(cv_percent)}", field="cv_percent")
    return math.log1p((cv_percent / 100.0) ** 2)


@dataclass(frozen=True)
class TypicalParameter:
    """A typical value ``value`` (in ``unit``) at 70 kg, its between-subject variability
    (``cv_percent`` or ``omega2``, the variance of eta; none = no variability) and its
    allometric body-weight exponent (0.75 for clearances, 1 for volumes, 0 for none)."""

    name: str
    value: float
    unit: str
    cv_percent: float | None = None
    omega2: float | None = None
    exponent: float = 0.0

    def __post_init__(self) -> None:
        where = f"parameter {quote(self.name)}"
        if not self.name.strip():
            raise InputError("parameter name is empty", field="parameter")
        if not (math.isfinite(self.value) and self.value > 0):
            raise InputError(f"typical value must be > 0, got {quote(self.value)}", field=where)
        if self.cv_percent is not None and self.omega2 is not None:
            raise InputError("give cv_percent or omega2, not both", field=where)
        if self.omega2 is not None and not (math.isfinite(self.omega2) and self.omega2 >= 0):
            raise InputError(f"omega2 must be >= 0, got {quote(self.omega2)}", field=where)
        if self.cv_percent is not None:
            omega_from_cv(self.cv_percent)
        if not math.isfinite(self.exponent):
            raise InputError(f"exponent must be finite, got {quote(self.exponent)}", field=where)

    @property
    def variance(self) -> float:
        """Variance of eta (omega^2)."""
        if self.omega2 is not None:
            return self.omega2
        return 0.0 if self.cv_percent is None else omega_from_cv(self.cv_percent)


@dataclass(frozen=True)
class CovariateDistribution:
    """Body weight log-normal (geometric mean ``weight_gm_kg``, ``weight_cv_percent``), height
    normal (``height_mean_cm``, ``height_sd_cm``), correlation ``rho`` between ln(WT) and HT,
    truncated to ``weight_range_kg`` and ``height_range_cm`` (resampled); ``female_fraction``.
    """

    weight_gm_kg: float
    weight_cv_percent: float
    height_mean_cm: float
    height_sd_cm: float
    rho: float = 0.0
    female_fraction: float = 1.0
    weight_range_kg: tuple[float, float] = (35.0, 180.0)
    height_range_cm: tuple[float, float] = (130.0, 200.0)
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        checks = (
            ("weight_gm_kg", self.weight_gm_kg > 0),
            ("weight_cv_percent", self.weight_cv_percent >= 0),
            ("height_mean_cm", self.height_mean_cm > 0),
            ("height_sd_cm", self.height_sd_cm >= 0),
            ("rho", -1 < self.rho < 1),
            ("female_fraction", 0 <= self.female_fraction <= 1),
            ("weight_range_kg", self.weight_range_kg[0] < self.weight_range_kg[1]),
            ("height_range_cm", self.height_range_cm[0] < self.height_range_cm[1]),
        )
        for name, ok in checks:
            if not ok:
                raise InputError(f"value out of range: {quote(getattr(self, name))}", field=name)


MBC_WOMEN = CovariateDistribution(
    weight_gm_kg=70.0,
    weight_cv_percent=22.0,
    height_mean_cm=162.0,
    height_sd_cm=7.0,
    rho=0.3,
    female_fraction=1.0,
    source=(
        "Adult women, as in metastatic breast cancer trials. Means from the US NHANES 2015-2018 "
        "anthropometric reference data for women >= 20 y (Fryar et al., Vital Health Stat 3(46), "
        "2021: mean weight ~77 kg, height ~161 cm), with the geometric-mean weight lowered to "
        "70 kg for a cancer population; CV 22 %, height SD 7 cm and the ln(WT)-HT correlation "
        "0.3 are assumptions of this workbench, not fitted to trial data."
    ),
)
"""Default covariates: adult women with metastatic breast cancer (see ``source``)."""


def sample_covariates(
    n: int, dist: CovariateDistribution = MBC_WOMEN, *, seed: int | np.random.Generator = 0
) -> pd.DataFrame:
    """``n`` subjects: ``ID`` (1..n), ``SEX`` (1 female, 0 male), ``WT`` (kg), ``HT`` (cm)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n must be a whole number >= 1, got {quote(n)}", field="n")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    s_w = math.sqrt(math.log1p((dist.weight_cv_percent / 100) ** 2))
    wt = np.empty(n)
    ht = np.empty(n)
    todo = np.arange(n)
    for _ in range(100):
        z = rng.standard_normal((len(todo), 2))
        z2 = dist.rho * z[:, 0] + math.sqrt(1 - dist.rho**2) * z[:, 1]
        w = dist.weight_gm_kg * np.exp(s_w * z[:, 0])
        h = dist.height_mean_cm + dist.height_sd_cm * z2
        ok = (
            (w >= dist.weight_range_kg[0])
            & (w <= dist.weight_range_kg[1])
            & (h >= dist.height_range_cm[0])
            & (h <= dist.height_range_cm[1])
        )
        wt[todo[ok]], ht[todo[ok]] = w[ok], h[ok]
        todo = todo[~ok]
        if len(todo) == 0:
            break
    else:
        raise InputError("the covariate ranges exclude almost every draw", field="covariates")
    sex = (rng.random(n) < dist.female_fraction).astype(int)
    frame = pd.DataFrame({"ID": np.arange(1, n + 1), "SEX": sex, "WT": wt, "HT": ht})
    frame.attrs["units"] = {"WT": "kg", "HT": "cm", "SEX": "1 = female"}
    return frame


def _correlation(corr: ArrayLike | None, k: int) -> Array:
    if corr is None:
        return np.eye(k)
    r = np.asarray(corr, dtype=float)
    if r.shape != (k, k):
        raise InputError(f"correlation must be {k} x {k}, got shape {r.shape}", field="correlation")
    if not np.allclose(r, r.T) or not np.allclose(np.diag(r), 1.0) or np.any(np.abs(r) > 1):
        raise InputError(
            "correlation must be symmetric with 1 on the diagonal and |r| <= 1", field="correlation"
        )
    if np.min(np.linalg.eigvalsh(r)) < -1e-10:
        raise InputError("correlation matrix is not positive semi-definite", field="correlation")
    return r


def sample_population(
    params: Sequence[TypicalParameter],
    n: int | None = None,
    *,
    covariates: pd.DataFrame | None = None,
    distribution: CovariateDistribution = MBC_WOMEN,
    correlation: ArrayLike | None = None,
    bsa_method: str = "mosteller",
    seed: int = 0,
) -> pd.DataFrame:
    """Per-subject parameters: columns ``ID, SEX, WT, HT, BSA`` and one per parameter.

    Covariates are sampled from ``distribution`` (``n`` subjects) unless ``covariates`` (with
    ``ID`` and ``WT``, and ``HT`` for BSA) is given. ``correlation`` is the correlation matrix of
    the etas in ``params`` order. ``attrs["units"]`` maps each column to its unit and
    ``attrs["omega"]`` holds the variance-covariance matrix of eta (a list of lists).
    """
    if not params:
        raise InputError("no parameters given", field="params")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise InputError(f"a parameter name is repeated: {names}", field="params")
    rng = np.random.default_rng(seed)
    if covariates is None:
        if n is None:
            raise InputError("give n or a covariates table", field="n")
        cov = sample_covariates(n, distribution, seed=rng)
    else:
        cov = covariates.reset_index(drop=True).copy()
        for col in ("ID", "WT"):
            if col not in cov.columns:
                raise InputError(f"covariates need column {col}", field="covariates", column=col)
        wt = pd.to_numeric(cov["WT"], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(wt) & (wt > 0))
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(
                f"ID {cov['ID'].iloc[i]}: WT must be > 0 kg, got {quote(cov['WT'].iloc[i])}",
                field="covariates",
                row=i + 1,
                column="WT",
            )
        cov["WT"] = wt
    k = len(params)
    r = _correlation(correlation, k)
    sd = np.sqrt([p.variance for p in params])
    omega = r * np.outer(sd, sd)
    m = len(cov)
    eta = rng.standard_normal((m, k)) @ _sqrt_psd(omega).T
    wt = cov["WT"].to_numpy(dtype=float)
    out = cov.copy()
    if "HT" in out.columns:
        out["BSA"] = [
            bsa(bsa_method, height_cm=float(h), weight_kg=float(w))
            for h, w in zip(out["HT"], wt, strict=True)
        ]
    for j, p in enumerate(params):
        out[p.name] = p.value * (wt / REFERENCE_WEIGHT_KG) ** p.exponent * np.exp(eta[:, j])
    out.attrs["units"] = {
        "WT": "kg",
        "HT": "cm",
        "BSA": "m^2",
        "SEX": "1 = female",
        **{p.name: p.unit for p in params},
    }
    out.attrs["omega"] = omega.tolist()
    return out


def _sqrt_psd(a: Array) -> Array:
    """A matrix square root L with L @ L.T == a, for positive semi-definite ``a``."""
    w, v = np.linalg.eigh(a)
    return np.asarray(v * np.sqrt(np.clip(w, 0.0, None)), dtype=np.float64)


def percentile_bands(
    times: ArrayLike, values: ArrayLike, levels: Sequence[float] = (5.0, 50.0, 95.0)
) -> pd.DataFrame:
    """Population bands: column ``time`` and one column ``p<level>`` per percentile level.

    ``values`` has one row per subject and one column per time (NaN ignored); percentiles use
    linear interpolation between order statistics (numpy's default, R type 7).

    >>> percentile_bands([0, 1], [[1, 10], [2, 20], [3, 30]], (50,)).values.tolist()
    [[0.0, 2.0], [1.0, 20.0]]
    """
    t = np.asarray(times, dtype=float).ravel()
    v = np.asarray(values, dtype=float)
    if v.ndim == 1:
        v = v[None, :]
    if v.ndim != 2 or v.shape[1] != len(t):
        raise InputError(
            f"values must have one column per time ({len(t)}), got shape {v.shape}",
            field="values",
        )
    lv = [float(x) for x in levels]
    if not lv or any(not 0 <= x <= 100 for x in lv):
        raise InputError(
            f"levels must be percentages in [0, 100], got {quote(levels)}", field="levels"
        )
    if np.isnan(v).all(axis=0).any():
        i = int(np.argmax(np.isnan(v).all(axis=0)))
        raise InputError(f"no value at time {t[i]:g}", field="values", column=f"time {t[i]:g}")
    q = np.nanpercentile(v, lv, axis=0)
    frame = pd.DataFrame({"time": t})
    for level, row in zip(lv, q, strict=True):
        frame[f"p{level:g}"] = row
    return frame
