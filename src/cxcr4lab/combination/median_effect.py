"""Chou-Talalay median-effect analysis: Dm, m and r per agent, combination index (CI) and
dose-reduction index (DRI), fa-CI curves and isobologram data (domain layer, no drawing).

Written by hand, on plain arrays, because every step is a closed form that fits in a few lines
and has to match the references exactly (``../shared/data/synergy/README.md``: CompuSyn's
method as R ``medianeffect`` 0.9.1 and the ``synergy`` package compute it, to rel 1e-9):

* **median-effect fit** of one agent (a drug, or a mixture at a fixed ratio by its total dose):
  ordinary least squares of ``y = ln(fa / (1 - fa))`` on ``x = ln(D)``; the slope is ``m``, the
  intercept ``b``, ``Dm = exp(-b / m)`` and ``r`` the Pearson correlation of x and y (the log
  base changes none of them). Valid for CI when it has at least 3 points with 0 < fa < 1 and
  ``m > 0``; otherwise the fit is kept but flagged and no CI is computed from it.
* ``Dx(fa) = Dm (fa / (1 - fa))^(1/m)``, the dose of the agent alone that gives ``fa``.
* **CI** (mutually exclusive drugs) ``= sum_i d_i / Dx_i(fa)``: < 1 synergy, 1 additivity,
  > 1 antagonism. At an observed point ``d_i`` are its doses and ``fa`` its observed effect
  (constant-ratio mixtures, and the non-constant-ratio per-cell form on a checkerboard); at an
  effect level of a mixture (fa = 0.5, 0.75, 0.9, 0.95 and the fa-CI grid 0.05-0.97) the
  mixture's own ``Dx`` is split by its ratio, ``d_i = f_i Dx_mix(fa)`` with ``f_i`` drug i's
  fraction of the total dose.
* **DRI** ``_i = Dx_i(fa) / d_i``: how many times the dose of drug i alone exceeds its dose in
  the combination at the same effect.

Uncertainty: the **delta method** on the OLS fits, which are independent (separate data).
``u = ln Dx(fa) = x_mean + (L - y_mean) / m`` with ``L = logit(fa)``, where ``y_mean`` and ``m``
are uncorrelated, so ``Var(u) = s^2 / (n m^2) + (L - y_mean)^2 s^2 / (m^4 S_xx)`` with
``s^2 = RSS / (n - 2)``. ``ln CI`` (and ``ln DRI``) is a smooth function of the ``u`` of each
fit involved (the single drugs, and the mixture at an effect level; an observed ``fa`` is taken
as given); its variance is the sum of the fits' contributions, and the interval
``exp(ln CI -/+ t SE)`` uses Student's t with the Welch-Satterthwaite degrees of freedom of
that sum (each fit has ``n - 2``). With two points a fit has no residual variance and the
interval is left undefined (``None``). The coverage of this interval is checked by simulation
in ``tests/combination/test_median_effect.py``.

Strictness: :func:`analyse_fixed_ratio` (a designed constant-ratio experiment, as CompuSyn
takes it) refuses a negative dose, fa outside (0, 1), fewer than 3 points or one distinct dose
of an agent with one :class:`~cxcr4lab.core.errors.InputError` naming the agent and the point.
:func:`analyse_checkerboard` (a SynergyFinder-style matrix, where monotherapy responses of 0 or
below are common) leaves such single-drug points out of the fits as the reference does, counts
them, and flags a drug whose fit is not valid; its CIs are then undefined, never an error.
Values that cannot be computed are ``None`` (JSON ``null``), so results compare equal after a
round trip through :mod:`cxcr4lab.core.serial`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import stdtrit

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "FA_GRID",
    "FA_LEVELS",
    "CIPoint",
    "CheckerboardCI",
    "FaCICurve",
    "FixedRatioResult",
    "IsoboleLevel",
    "MedianEffectFit",
    "MixtureAnalysis",
    "analyse_checkerboard",
    "analyse_fixed_ratio",
    "combination_index",
    "dose_for_effect",
    "dose_reduction_index",
    "effect_at_dose",
    "fit_median_effect",
]

Array = NDArray[np.float64]
Index = NDArray[np.intp]

FA_LEVELS = (0.5, 0.75, 0.9, 0.95)
"""The effect levels CompuSyn reports CI and DRI at (ED50, ED75, ED90, ED95)."""

FA_GRID = tuple(round(0.05 + 0.01 * k, 2) for k in range(93))
"""The fa grid of the fa-CI plot: 0.05, 0.06, ..., 0.97."""

MIN_POINTS = 3
"""A median-effect fit used for CI needs at least this many points with 0 < fa < 1."""

LOW_R = 0.9
"""A fit with r below this is flagged (CompuSyn's guide asks r > 0.95 in vitro)."""

RATIO_RTOL = 1e-6
"""Two points of one mixture have the same ratio when their dose fractions differ by less."""


# --- closed forms -------------------------------------------------------------------------------


def dose_for_effect(fa: ArrayLike, dm: float, m: float) -> Array:
    """``Dx(fa) = Dm (fa / (1 - fa))^(1/m)``, the dose giving effect ``fa``.

    >>> dose_for_effect([0.5, 0.75], dm=2.0, m=1.0).tolist()
    [2.0, 6.0]
    """
    f = np.asarray(fa, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(dm * (f / (1.0 - f)) ** (1.0 / m), dtype=float)


def effect_at_dose(dose: ArrayLike, dm: float, m: float) -> Array:
    """``fa = 1 / (1 + (Dm / D)^m)``, the median-effect equation.

    >>> effect_at_dose([2.0, 6.0], dm=2.0, m=1.0).tolist()
    [0.5, 0.75]
    """
    d = np.asarray(dose, dtype=float)
    with np.errstate(divide="ignore"):
        return np.asarray(1.0 / (1.0 + (dm / d) ** m), dtype=float)


def combination_index(
    doses: Sequence[ArrayLike], fa: ArrayLike, *, dm: Sequence[float], m: Sequence[float]
) -> Array:
    """``CI = sum_i d_i / Dx_i(fa)`` (mutually exclusive) from given ``Dm`` and ``m`` per drug.

    >>> combination_index(([1.0], [0.5]), [0.5], dm=(2.0, 1.0), m=(1.0, 2.0)).tolist()
    [1.0]
    """
    if not (len(doses) == len(dm) == len(m)):
        raise ValueError("doses, dm and m need one entry per drug")
    f = np.asarray(fa, dtype=float)
    total = np.zeros(np.broadcast_shapes(f.shape, *(np.shape(d) for d in doses)))
    for d, dm_i, m_i in zip(doses, dm, m, strict=True):
        total = total + np.asarray(d, dtype=float) / dose_for_effect(f, dm_i, m_i)
    return np.asarray(total, dtype=float)


def dose_reduction_index(dose: ArrayLike, fa: ArrayLike, *, dm: float, m: float) -> Array:
    """``DRI = Dx(fa) / d``: the dose alone over the dose in the combination at ``fa``."""
    with np.errstate(divide="ignore"):
        return np.asarray(dose_for_effect(fa, dm, m) / np.asarray(dose, dtype=float), dtype=float)


# --- results ------------------------------------------------------------------------------------


def _opt(value: float) -> float | None:
    """A finite number, or ``None`` for a value that cannot be computed."""
    v = float(value)
    return v if math.isfinite(v) else None


def _opts(values: Array) -> tuple[float | None, ...]:
    return tuple(_opt(v) for v in np.asarray(values, dtype=float).ravel())


@dataclass(frozen=True)
class MedianEffectFit(Serial):
    """The median-effect fit of one agent (a drug, or a fixed-ratio mixture by total dose).

    ``dose`` and ``fa`` are the points used (dose in ``unit``); ``n_excluded`` counts points
    left out (fa outside (0, 1) or dose 0; checkerboards only). ``m``, ``intercept`` (of
    ``logit fa`` on ``ln D``), ``dm`` (in ``unit``) and ``r`` as defined in the module
    docstring; ``m_lower``/``m_upper`` and ``dm_lower``/``dm_upper`` their t intervals at
    ``1 - alpha`` (Dm's on the log scale, by the delta method). ``x_mean``, ``y_mean``, ``sxx``
    and ``residual_var`` (``s^2``, None with 2 points) are what the delta method needs.
    ``valid``: usable for CI (at least 3 points and ``m > 0``); ``flags`` say why not;
    ``warnings`` note a fit that is usable but poor (r below :data:`LOW_R`).
    """

    agent: str
    unit: str
    m: float
    dm: float
    r: float
    intercept: float
    n: int
    n_excluded: int
    x_mean: float
    y_mean: float
    sxx: float
    residual_var: float | None
    m_lower: float | None
    m_upper: float | None
    dm_lower: float | None
    dm_upper: float | None
    dose: tuple[float, ...]
    fa: tuple[float, ...]
    valid: bool
    flags: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    alpha: float = 0.05

    @property
    def df(self) -> int:
        """Residual degrees of freedom, ``n - 2``."""
        return self.n - 2

    def dx(self, fa: ArrayLike) -> Array:
        """``Dx(fa)``, the dose of this agent alone giving ``fa`` (in ``unit``)."""
        return dose_for_effect(fa, self.dm, self.m)

    def fa_at(self, dose: ArrayLike) -> Array:
        """The fitted effect at ``dose`` (the median-effect equation)."""
        return effect_at_dose(dose, self.dm, self.m)

    def log_dx_var(self, fa: ArrayLike) -> Array:
        """Delta-method variance of ``ln Dx(fa)`` (NaN without residual variance)."""
        f = np.asarray(fa, dtype=float)
        s2 = np.nan if self.residual_var is None else self.residual_var
        with np.errstate(divide="ignore", invalid="ignore"):
            lg = np.log(f) - np.log1p(-f)
            return np.asarray(
                s2 / (self.n * self.m**2) + (lg - self.y_mean) ** 2 * s2 / (self.m**4 * self.sxx),
                dtype=float,
            )


@dataclass(frozen=True)
class CIPoint(Serial):
    """CI and DRI at one point: an observed combination (``fa_kind="observed"``, ``index`` its
    0-based row in the input arrays) or an effect level of a mixture (``"level"``, ``index``
    -1, ``doses`` the mixture's Dx split by its ratio).

    ``doses``, ``dx`` (each drug's dose alone giving ``fa``) and ``dri`` follow the drug order
    of the analysis; ``ci_lower``/``ci_upper`` and ``dri_lower``/``dri_upper`` are delta-method
    intervals (module docstring). ``None`` where a value is not defined, with ``note`` saying
    why (empty when defined).
    """

    fa_kind: Literal["level", "observed"]
    fa: float
    total_dose: float | None
    doses: tuple[float | None, ...]
    dx: tuple[float | None, ...]
    ci: float | None
    ci_lower: float | None
    ci_upper: float | None
    dri: tuple[float | None, ...]
    dri_lower: tuple[float | None, ...]
    dri_upper: tuple[float | None, ...]
    index: int = -1
    note: str = ""


@dataclass(frozen=True)
class FaCICurve(Serial):
    """The fa-CI (Chou-Talalay) plot of a mixture: CI and its interval over ``fa``."""

    fa: tuple[float, ...]
    ci: tuple[float | None, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]


@dataclass(frozen=True)
class IsoboleLevel(Serial):
    """Isobologram data at one effect level ``fa``: ``dx`` are the single-drug doses giving
    ``fa`` (for two drugs the additive isobole is the line from ``(dx[0], 0)`` to
    ``(0, dx[1])``), ``doses`` the mixture's component doses giving ``fa`` (below the line:
    synergy), ``ci`` their combination index (``sum doses / dx``)."""

    fa: float
    dx: tuple[float | None, ...]
    doses: tuple[float | None, ...]
    ci: float | None


@dataclass(frozen=True)
class MixtureAnalysis(Serial):
    """One fixed-ratio mixture: its median-effect fit by total dose, CI/DRI at the effect
    levels and at each observed point, the fa-CI curve on :data:`FA_GRID` and the isobologram
    data at the levels. ``drugs`` are the analysis's drugs and ``fractions`` each one's share of
    the total dose (0 for a drug not in the mixture); ``flags`` say why CIs are missing."""

    name: str
    drugs: tuple[str, ...]
    fractions: tuple[float, ...]
    fit: MedianEffectFit
    levels: tuple[CIPoint, ...]
    observed: tuple[CIPoint, ...]
    fa_ci: FaCICurve
    isobologram: tuple[IsoboleLevel, ...]
    flags: tuple[str, ...] = ()


def _point_rows(
    name: str, drugs: Sequence[str], points: Sequence[CIPoint]
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for p in points:
        row: dict[str, object] = {
            "mixture": name,
            "fa_kind": p.fa_kind,
            "fa": p.fa,
            "total_dose": p.total_dose,
        }
        for k, drug in enumerate(drugs):
            row[f"dose_{drug}"] = p.doses[k]
            row[f"dx_{drug}"] = p.dx[k]
            row[f"dri_{drug}"] = p.dri[k]
        row |= {"ci": p.ci, "ci_lower": p.ci_lower, "ci_upper": p.ci_upper, "note": p.note}
        rows.append(row)
    return rows


def _fit_rows(fits: Sequence[MedianEffectFit | None], names: Sequence[str]) -> pd.DataFrame:
    rows = []
    for name, f in zip(names, fits, strict=True):
        if f is None:
            rows.append({"agent": name, "valid": False})
            continue
        rows.append(
            {
                "agent": f.agent,
                "n": f.n,
                "m": f.m,
                "m_lower": f.m_lower,
                "m_upper": f.m_upper,
                "dm": f.dm,
                "dm_lower": f.dm_lower,
                "dm_upper": f.dm_upper,
                "r": f.r,
                "unit": f.unit,
                "valid": f.valid,
                "flags": "; ".join(f.flags),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class FixedRatioResult(Serial):
    """A constant-ratio design (CompuSyn's): a median-effect fit per drug (``singles``, in
    ``drugs`` order) and per mixture, with CI and DRI (see :class:`MixtureAnalysis`). Doses in
    ``unit``; intervals at ``1 - alpha`` (delta method)."""

    drugs: tuple[str, ...]
    unit: str
    singles: tuple[MedianEffectFit, ...]
    mixtures: tuple[MixtureAnalysis, ...]
    levels: tuple[float, ...] = FA_LEVELS
    alpha: float = 0.05

    def summary(self) -> pd.DataFrame:
        """One row per CI point: mixture, level or observed, doses, Dx and DRI per drug, CI."""
        rows: list[dict[str, object]] = []
        for mix in self.mixtures:
            rows += _point_rows(mix.name, self.drugs, (*mix.levels, *mix.observed))
        return pd.DataFrame(rows)

    def fits(self) -> pd.DataFrame:
        """One row per agent (drugs, then mixtures): m, Dm, r with intervals, validity."""
        fits = (*self.singles, *(mx.fit for mx in self.mixtures))
        return _fit_rows(fits, [f.agent for f in fits])


@dataclass(frozen=True)
class CheckerboardCI(Serial):
    """The non-constant-ratio CI of every combination cell of a checkerboard (``cells``, in
    input order; ``index`` is the row), from the two single-drug fits (``fits``; None for a
    drug with fewer than 2 usable points), plus a :class:`MixtureAnalysis` for each
    constant-ratio ray of the matrix with enough points (``rays``; e.g. the diagonal of two
    2-fold series). ``median_ci`` is the median of the defined cell CIs (the block score of
    the reference), ``n_defined`` their number; ``flags`` name a drug whose fit is not valid."""

    drugs: tuple[str, str]
    unit: str
    fits: tuple[MedianEffectFit | None, MedianEffectFit | None]
    cells: tuple[CIPoint, ...]
    rays: tuple[MixtureAnalysis, ...]
    median_ci: float | None
    n_defined: int
    flags: tuple[str, ...] = ()
    alpha: float = 0.05

    def summary(self) -> pd.DataFrame:
        """One row per combination cell (input order): doses, fa, Dx, DRI, CI, note."""
        return pd.DataFrame(_point_rows("checkerboard", self.drugs, self.cells))

    def normalized_isobologram(self) -> tuple[Array, Array]:
        """Per cell, ``d_a / Dx_a`` and ``d_b / Dx_b`` (the additive line is x + y = 1)."""
        x = np.array([_inv(c.dri[0]) for c in self.cells], dtype=float)
        y = np.array([_inv(c.dri[1]) for c in self.cells], dtype=float)
        return x, y


def _inv(v: float | None) -> float:
    return math.nan if v is None or v == 0 else 1.0 / v


# --- the median-effect fit ----------------------------------------------------------------------


def _exp(v: float) -> float:
    """``exp(v)``, infinite on overflow and NaN for NaN (a degenerate fit's bound)."""
    with np.errstate(over="ignore"):
        return float(np.exp(v))


def _t(df: float, alpha: float) -> float:
    return float(stdtrit(df, 1 - alpha / 2)) if df > 0 else math.nan


def _where(agent: str, i: int, dose: float | None = None) -> Place:
    """The place of point ``i`` (0-based) of ``agent``, counted from 1 as a person does."""
    shown = f" (dose {dose:g})" if dose is not None and math.isfinite(dose) else ""
    return Place(curve=agent, field=f"point {i + 1}{shown}")


def _ols(
    agent: str,
    dose: Array,
    fa: Array,
    *,
    unit: str,
    n_excluded: int,
    alpha: float,
) -> MedianEffectFit:
    """The OLS median-effect fit of points known to have dose > 0 and 0 < fa < 1 (>= 2
    distinct doses)."""
    x = np.log(dose)
    y = np.log(fa / (1.0 - fa))
    n = len(x)
    x_mean, y_mean = float(np.mean(x)), float(np.mean(y))
    dx, dy = x - x_mean, y - y_mean
    sxx, sxy, syy = float(dx @ dx), float(dx @ dy), float(dy @ dy)
    m = sxy / sxx
    intercept = y_mean - m * x_mean
    with np.errstate(divide="ignore", over="ignore"):
        dm = float(np.exp(-intercept / m)) if m != 0 else math.inf
    r = sxy / math.sqrt(sxx * syy) if syy > 0 else 0.0
    resid = dy - m * dx
    s2 = float(resid @ resid) / (n - 2) if n > 2 else math.nan
    t = _t(n - 2, alpha)
    se_m = math.sqrt(s2 / sxx) if n > 2 else math.nan
    # ln Dm = x_mean - y_mean / m: the delta method with y_mean and m uncorrelated
    se_ln_dm = (
        math.sqrt(s2 / (n * m**2) + y_mean**2 * s2 / (m**4 * sxx)) if n > 2 and m != 0 else math.nan
    )
    flags: list[str] = []
    if n < MIN_POINTS:
        flags.append(f"{agent}: needs at least {MIN_POINTS} points with 0 < fa < 1, has {n}")
    if not m > 0:
        flags.append(f"{agent}: slope m = {m:.3g} is not positive (effect does not rise with dose)")
    warnings = []
    if abs(r) < LOW_R:
        warnings.append(f"{agent}: r = {r:.3f} < {LOW_R}: the median-effect plot is not linear")
    return MedianEffectFit(
        agent=agent,
        unit=unit,
        m=m,
        dm=dm,
        r=r,
        intercept=intercept,
        n=n,
        n_excluded=n_excluded,
        x_mean=x_mean,
        y_mean=y_mean,
        sxx=sxx,
        residual_var=_opt(s2),
        m_lower=_opt(m - t * se_m),
        m_upper=_opt(m + t * se_m),
        dm_lower=_opt(dm * _exp(-t * se_ln_dm)),
        dm_upper=_opt(dm * _exp(t * se_ln_dm)),
        dose=tuple(float(v) for v in dose),
        fa=tuple(float(v) for v in fa),
        valid=n >= MIN_POINTS and m > 0,
        flags=tuple(flags),
        warnings=tuple(warnings),
        alpha=alpha,
    )


def _vector(values: ArrayLike, agent: str, what: str) -> Array:
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers", curve=agent, field=what) from None
    if a.ndim != 1:
        raise InputError(f"{what} must be one row of numbers", curve=agent, field=what)
    for i, v in enumerate(a):
        if not math.isfinite(v):
            raise InputError(f"{what} {v} is not a finite number", place=_where(agent, i))
    return a


def fit_median_effect(
    dose: ArrayLike,
    fa: ArrayLike,
    *,
    agent: str = "drug",
    unit: str = "",
    outside: Literal["error", "drop"] = "error",
    alpha: float = 0.05,
) -> MedianEffectFit:
    """The median-effect fit of one agent's points (``dose`` in ``unit``, ``fa`` the fraction
    affected).

    ``outside="error"`` (a designed experiment) refuses a dose <= 0 and fa outside (0, 1);
    ``"drop"`` (a checkerboard's monotherapy row) leaves those points out and counts them.
    Either way a negative or non-finite value, fewer than 3 usable points or fewer than 2
    distinct doses is one :class:`InputError` naming the agent (and the point).

    >>> f = fit_median_effect([1.0, 2.0, 4.0], [0.2, 1 / 3, 0.5], agent="A")
    >>> round(f.m, 12), round(f.dm, 12), round(f.r, 12)
    (1.0, 4.0, 1.0)
    """
    d = _vector(dose, agent, "dose")
    f = _vector(fa, agent, "fa")
    if len(d) != len(f):
        raise InputError(f"{len(d)} doses but {len(f)} fa values", curve=agent, field="dose and fa")
    for i in range(len(d)):
        if d[i] < 0:
            raise InputError(f"dose {d[i]:g} is negative", place=_where(agent, i))
        if outside == "error" and d[i] == 0:
            raise InputError(
                "dose 0 has no logarithm: leave control points out of a median-effect fit",
                place=_where(agent, i),
            )
        if outside == "error" and not 0 < f[i] < 1:
            raise InputError(
                f"fa = {f[i]:g} is outside (0, 1): the median-effect plot needs 0 < fa < 1",
                place=_where(agent, i, d[i]),
            )
    keep = (d > 0) & (f > 0) & (f < 1)
    n = int(keep.sum())
    if n < MIN_POINTS:
        raise InputError(
            f"needs at least {MIN_POINTS} points with dose > 0 and 0 < fa < 1, has {n}",
            curve=agent,
            field="points",
        )
    distinct = np.unique(d[keep])
    if len(distinct) < 2:
        raise InputError(
            f"all points are at one dose ({distinct[0]:g}): a median-effect fit needs at "
            "least 2 different doses",
            curve=agent,
            field="dose",
        )
    return _ols(agent, d[keep], f[keep], unit=unit, n_excluded=len(d) - n, alpha=alpha)


# --- CI and DRI with delta-method intervals -----------------------------------------------------


def _interval(
    value: Array, parts: Sequence[tuple[Array, int]], alpha: float
) -> tuple[Array, Array]:
    """``exp(ln value -/+ t SE)`` where ``Var(ln value)`` is the sum of ``parts`` (variance,
    df), t with the Welch-Satterthwaite df of the sum."""
    # a fit with 2 points has a NaN variance, which makes the interval NaN whatever its df
    var = np.sum([v for v, _ in parts], axis=0)
    denom = np.sum([v**2 / max(df, 1) for v, df in parts], axis=0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        df_eff = np.where(denom > 0, var**2 / denom, 1.0)  # var = 0: no interval to widen
        half = stdtrit(df_eff, 1 - alpha / 2) * np.sqrt(var)
        return np.asarray(value * np.exp(-half), dtype=float), np.asarray(
            value * np.exp(half), dtype=float
        )


@dataclass(frozen=True)
class _Points:
    """CI, DRI and intervals at several points, as arrays (drugs along the first axis)."""

    fa: Array
    total: Array
    doses: Array
    dx: Array
    ci: Array
    ci_lower: Array
    ci_upper: Array
    dri: Array
    dri_lower: Array
    dri_upper: Array

    def point(
        self,
        j: int,
        kind: Literal["level", "observed"],
        index: int,
        note: str,
        drugs_ok: Sequence[bool] = (),
    ) -> CIPoint:
        """Point ``j``; with a ``note`` the CI is undefined, and so are Dx and DRI except for the
        drugs marked in ``drugs_ok`` (a valid single-drug fit: its DRI is defined without the
        other drug's, e.g. beside a drug with no effect of its own)."""
        ok = not note
        keep = [ok or (i < len(drugs_ok) and drugs_ok[i]) for i in range(self.doses.shape[0])]

        def some(values: Array) -> tuple[float | None, ...]:
            return tuple(v if k else None for v, k in zip(_opts(values), keep, strict=True))

        return CIPoint(
            fa_kind=kind,
            fa=float(self.fa[j]),
            total_dose=_opt(self.total[j]),
            doses=_opts(self.doses[:, j]),
            dx=some(self.dx[:, j]),
            ci=_opt(self.ci[j]) if ok else None,
            ci_lower=_opt(self.ci_lower[j]) if ok else None,
            ci_upper=_opt(self.ci_upper[j]) if ok else None,
            dri=some(self.dri[:, j]),
            dri_lower=some(self.dri_lower[:, j]),
            dri_upper=some(self.dri_upper[:, j]),
            index=index,
            note=note,
        )


def _ci_points(
    doses: Array,
    fa: Array,
    singles: Sequence[MedianEffectFit | None],
    alpha: float,
    mixture: MedianEffectFit | None = None,
) -> _Points:
    """CI and DRI at the ``doses`` (drugs x points) and ``fa``; with ``mixture`` the doses
    were split from its Dx at ``fa`` and its fit's variance enters (effect levels)."""
    k, npts = doses.shape
    dx = np.full((k, npts), np.nan)
    var_u = np.full((k, npts), np.nan)
    dfs = [0] * k
    used = doses.sum(axis=1) > 0  # drugs in the mixture (a drug with dose 0 adds nothing)
    for i, f in enumerate(singles):
        if f is not None and used[i]:
            dx[i] = f.dx(fa)
            var_u[i] = f.log_dx_var(fa)
            dfs[i] = f.df
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(doses > 0, doses / dx, 0.0)
        ci = terms.sum(axis=0)
        dri = np.where(doses > 0, dx / doses, np.nan)
        w = terms / ci  # d ln CI / d u_i = -w_i
        mix_var = mixture.log_dx_var(fa) if mixture is not None else np.zeros(npts)
    parts = [(w[i] ** 2 * var_u[i], dfs[i]) for i in range(k) if used[i]]
    if mixture is not None:
        parts.append((mix_var, mixture.df))
    ci_lo, ci_hi = _interval(ci, parts, alpha)
    dri_lo = np.full((k, npts), np.nan)
    dri_hi = np.full((k, npts), np.nan)
    for i in range(k):
        if used[i]:
            own = [(var_u[i], dfs[i])] + ([(mix_var, mixture.df)] if mixture is not None else [])
            dri_lo[i], dri_hi[i] = _interval(dri[i], own, alpha)
    return _Points(fa, doses.sum(axis=0), doses, dx, ci, ci_lo, ci_hi, dri, dri_lo, dri_hi)


def _mixture(
    name: str,
    drugs: Sequence[str],
    fractions: Array,
    fit: MedianEffectFit,
    singles: Sequence[MedianEffectFit | None],
    observed: Array,
    observed_fa: Array,
    observed_index: Index,
    levels: Sequence[float],
    alpha: float,
) -> MixtureAnalysis:
    """Everything about one fixed-ratio mixture (see :class:`MixtureAnalysis`)."""
    flags: list[str] = []
    for i in range(len(drugs)):
        single = singles[i]
        if fractions[i] > 0:
            flags += [f"{drugs[i]}: no single-drug fit"] if single is None else list(single.flags)
    flags += fit.flags
    note = "; ".join(flags)

    def split(fa: Sequence[float]) -> _Points:
        f = np.asarray(fa, dtype=float)
        total = fit.dx(f)
        return _ci_points(fractions[:, None] * total[None, :], f, singles, alpha, fit)

    lv = split(levels)
    grid = split(FA_GRID)
    obs = _ci_points(observed, observed_fa, singles, alpha)
    obs_notes = [note or _fa_note(v) for v in observed_fa]
    ok = not note
    curve = FaCICurve(
        fa=FA_GRID,
        ci=_opts(grid.ci) if ok else (None,) * len(FA_GRID),
        lower=_opts(grid.ci_lower) if ok else (None,) * len(FA_GRID),
        upper=_opts(grid.ci_upper) if ok else (None,) * len(FA_GRID),
    )
    iso = tuple(
        IsoboleLevel(
            fa=float(levels[j]),
            dx=_opts(lv.dx[:, j]) if ok else (None,) * len(drugs),
            doses=_opts(lv.doses[:, j]) if ok else (None,) * len(drugs),
            ci=_opt(lv.ci[j]) if ok else None,
        )
        for j in range(len(levels))
    )
    return MixtureAnalysis(
        name=name,
        drugs=tuple(drugs),
        fractions=tuple(float(v) for v in fractions),
        fit=fit,
        levels=tuple(lv.point(j, "level", -1, note) for j in range(len(levels))),
        observed=tuple(
            obs.point(j, "observed", int(observed_index[j]), obs_notes[j])
            for j in range(len(observed_fa))
        ),
        fa_ci=curve,
        isobologram=iso,
        flags=tuple(flags),
    )


def _fa_note(fa: float) -> str:
    return "" if 0 < fa < 1 else f"fa = {fa:g} is outside (0, 1)"


# --- constant-ratio designs ---------------------------------------------------------------------


def _dose_matrix(doses: Sequence[ArrayLike], drugs: Sequence[str], n: int) -> Array:
    if len(doses) != len(drugs) or not drugs:
        raise InputError(f"{len(doses)} dose columns for {len(drugs)} drugs", field="doses")
    if len(set(drugs)) != len(drugs):
        raise InputError(f"drug names repeat: {quote(list(drugs))}", field="drugs")
    cols = []
    for drug, col in zip(drugs, doses, strict=True):
        a = _vector(col, drug, f"dose of {drug}")
        if len(a) != n:
            raise InputError(f"{len(a)} doses for {n} points", curve=drug, field="dose")
        cols.append(a)
    return np.vstack(cols)


def analyse_fixed_ratio(
    agent: Sequence[str],
    doses: Sequence[ArrayLike],
    fa: ArrayLike,
    *,
    drugs: Sequence[str],
    unit: str = "",
    levels: Sequence[float] = FA_LEVELS,
    alpha: float = 0.05,
) -> FixedRatioResult:
    """CompuSyn's constant-ratio analysis of points labelled by ``agent``.

    ``doses`` holds one column per drug (``drugs``; e.g. ``(dose_a, dose_b)``, in ``unit``),
    ``fa`` the fraction affected of each point. An agent whose points have one drug > 0 is
    that drug alone; one with several is a mixture, whose ratio must be the same at each of
    its points. Every drug of a mixture needs its own single-drug points. Each agent is fitted
    by its total dose; CI and DRI come at ``levels`` and at each mixture point (module
    docstring). Bad points are one :class:`InputError` naming the agent and the point.

    >>> res = analyse_fixed_ratio(
    ...     ["A"] * 3 + ["B"] * 3 + ["A+B"] * 3,
    ...     ([1, 2, 4, 0, 0, 0, 0.5, 1, 2], [0, 0, 0, 1, 2, 4, 0.5, 1, 2]),
    ...     [0.2, 1 / 3, 0.5, 0.2, 1 / 3, 0.5, 0.2, 1 / 3, 0.5],
    ...     drugs=("A", "B"),
    ... )
    >>> round(res.mixtures[0].levels[0].ci, 9)  # a drug with itself: additive
    1.0
    """
    f = _vector(fa, "fa", "fa")
    n = len(f)
    if any(not 0 < v < 1 for v in levels):
        raise InputError(
            f"effect levels must lie in (0, 1), got {quote(list(levels))}", field="levels"
        )
    if len(agent) != n:
        raise InputError(f"{len(agent)} agent labels for {n} points", field="agent")
    dm = _dose_matrix(doses, drugs, n)
    names = list(dict.fromkeys(str(a) for a in agent))
    labels = np.array([str(a) for a in agent], dtype=object)
    singles: dict[int, MedianEffectFit] = {}
    single_agent: dict[int, str] = {}
    mixes: list[tuple[str, Index, Array]] = []  # name, row indices, fractions
    for name in names:
        rows = np.flatnonzero(labels == name)
        present = dm[:, rows] > 0
        for j, i in enumerate(rows):
            for k, drug in enumerate(drugs):
                if dm[k, i] < 0:
                    raise InputError(
                        f"dose of {drug} {dm[k, i]:g} is negative", place=_where(name, int(i))
                    )
            if not present[:, j].any():
                raise InputError(
                    "no drug has a dose > 0: leave control points out of a median-effect fit",
                    place=_where(name, int(i)),
                )
            if (present[:, j] != present[:, 0]).any():
                raise InputError(
                    "holds other drugs than the agent's first point", place=_where(name, int(i))
                )
            if not 0 < f[i] < 1:
                raise InputError(
                    f"fa = {f[i]:g} is outside (0, 1): the median-effect plot needs 0 < fa < 1",
                    place=_where(name, int(i), float(dm[:, i].sum())),
                )
        total = dm[:, rows].sum(axis=0)
        which = np.flatnonzero(present[:, 0])
        if len(which) == 1:
            k = int(which[0])
            if k in singles:
                raise InputError(
                    f"{drugs[k]} alone appears under two agents, {quote(single_agent[k])} "
                    f"and {quote(name)}",
                    curve=name,
                    field="agent",
                )
            singles[k] = fit_median_effect(
                total, f[rows], agent=name, unit=unit, outside="error", alpha=alpha
            )
            single_agent[k] = name
            continue
        share = dm[:, rows] / total
        frac = share.mean(axis=1)
        for j in range(1, len(rows)):  # each point against the mixture's first
            if np.any(np.abs(share[:, j] - share[:, 0]) > RATIO_RTOL * share[:, 0]):
                shown = ":".join(f"{v:g}" for v in dm[which, rows[j]])
                raise InputError(
                    f"dose ratio {shown} differs from the mixture's first point "
                    "(a fixed-ratio mixture needs one ratio)",
                    place=_where(name, int(rows[j]), float(total[j])),
                )
        mixes.append((name, rows, frac))
    missing = [k for k in range(len(drugs)) if k not in singles]
    for name, _, frac in mixes:
        lacking = [drugs[k] for k in missing if frac[k] > 0]
        if lacking:
            raise InputError(
                f"no single-drug points for {', '.join(lacking)}: CI needs each drug alone",
                curve=name,
                field="agent",
            )
    single_fits = [singles.get(k) for k in range(len(drugs))]
    mixtures = []
    for name, rows, frac in mixes:
        total = dm[:, rows].sum(axis=0)
        mfit = fit_median_effect(
            total, f[rows], agent=name, unit=unit, outside="error", alpha=alpha
        )
        mixtures.append(
            _mixture(
                name, drugs, frac, mfit, single_fits, dm[:, rows], f[rows], rows, levels, alpha
            )
        )
    return FixedRatioResult(
        drugs=tuple(drugs),
        unit=unit,
        singles=tuple(singles[k] for k in sorted(singles)),
        mixtures=tuple(mixtures),
        levels=tuple(float(v) for v in levels),
        alpha=alpha,
    )


# --- checkerboards (non-constant ratio) ---------------------------------------------------------


def _lenient_fit(
    dose: Array, fa: Array, drug: str, unit: str, alpha: float
) -> tuple[MedianEffectFit | None, str]:
    """A checkerboard's single-drug fit: points outside (0, 1) left out; None (and why) when
    fewer than 2 usable points or one dose remain."""
    keep = (dose > 0) & (fa > 0) & (fa < 1)
    n = int(keep.sum())
    if n < 2 or len(np.unique(dose[keep])) < 2:
        return None, f"{drug}: {n} single-drug point(s) with 0 < fa < 1 at 2+ doses, no fit"
    fit = _ols(drug, dose[keep], fa[keep], unit=unit, n_excluded=len(dose) - n, alpha=alpha)
    return fit, "; ".join(fit.flags)


def analyse_checkerboard(
    dose_a: ArrayLike,
    dose_b: ArrayLike,
    fa: ArrayLike,
    *,
    drugs: tuple[str, str] = ("A", "B"),
    unit: str = "",
    rays: bool = True,
    alpha: float = 0.05,
) -> CheckerboardCI:
    """The per-cell (non-constant-ratio) CI of a checkerboard, as the reference computes it.

    One row per well or cell: ``dose_a``, ``dose_b`` (in ``unit``, >= 0) and ``fa`` (fraction
    affected; % inhibition / 100). Each drug is fitted on its monotherapy rows (the other
    dose 0, its own > 0) with 0 < fa < 1; every combination row (both doses > 0) gets
    ``CI = d_a / Dx_a(fa) + d_b / Dx_b(fa)`` at its observed fa, defined when 0 < fa < 1 and
    both fits are valid (else ``None``, with the reason in ``note``; the DRI of a drug whose own
    fit is valid is still given, e.g. beside a drug with no effect alone). Replicate rows are
    points of their own. With ``rays``, each dose ratio shared by at least 3 combination cells
    with 0 < fa < 1 (at 2+ doses) is also analysed as a fixed-ratio mixture.
    """
    name_a, name_b = drugs
    a = _vector(dose_a, name_a, f"dose of {name_a}")
    b = _vector(dose_b, name_b, f"dose of {name_b}")
    f = _vector(fa, "fa", "fa")
    if not (len(a) == len(b) == len(f)):
        raise InputError(
            f"{len(a)} doses of {name_a}, {len(b)} of {name_b} and {len(f)} fa values",
            field="doses and fa",
        )
    for i in range(len(a)):
        for drug, d in ((name_a, a[i]), (name_b, b[i])):
            if d < 0:
                raise InputError(f"dose of {drug} {d:g} is negative", field=f"point {i + 1}")
    mono_a = (b == 0) & (a > 0)
    mono_b = (a == 0) & (b > 0)
    fit_a, why_a = _lenient_fit(a[mono_a], f[mono_a], name_a, unit, alpha)
    fit_b, why_b = _lenient_fit(b[mono_b], f[mono_b], name_b, unit, alpha)
    flags = tuple(w for w in (why_a, why_b) if w)
    combo = np.flatnonzero((a > 0) & (b > 0))
    pts = _ci_points(np.vstack([a[combo], b[combo]]), f[combo], (fit_a, fit_b), alpha)
    note = "; ".join(flags)
    valid = tuple(fit is not None and fit.valid for fit in (fit_a, fit_b))
    cells = tuple(
        pts.point(
            j,
            "observed",
            int(i),
            note or _fa_note(float(f[i])),
            valid if not _fa_note(float(f[i])) else (),
        )
        for j, i in enumerate(combo)
    )
    defined = [c.ci for c in cells if c.ci is not None]
    ray_results: list[MixtureAnalysis] = []
    if rays and not flags:
        ray_results = _rays(a, b, f, combo, (fit_a, fit_b), drugs, unit, alpha)
    return CheckerboardCI(
        drugs=(name_a, name_b),
        unit=unit,
        fits=(fit_a, fit_b),
        cells=cells,
        rays=tuple(ray_results),
        median_ci=float(np.median(defined)) if defined else None,
        n_defined=len(defined),
        flags=flags,
        alpha=alpha,
    )


def _rays(
    a: Array,
    b: Array,
    f: Array,
    combo: Index,
    fits: tuple[MedianEffectFit | None, MedianEffectFit | None],
    drugs: tuple[str, str],
    unit: str,
    alpha: float,
) -> list[MixtureAnalysis]:
    """The constant-ratio rays of a checkerboard as fixed-ratio mixtures."""
    ok = combo[(f[combo] > 0) & (f[combo] < 1)]
    if len(ok) == 0:
        return []
    share = a[ok] / (a[ok] + b[ok])
    order = np.argsort(share, kind="stable")
    groups: list[list[int]] = []
    for j in order:
        if groups and abs(share[j] - share[groups[-1][0]]) <= RATIO_RTOL * share[groups[-1][0]]:
            groups[-1].append(int(j))
        else:
            groups.append([int(j)])
    out = []
    for g in groups:
        rows = ok[np.array(g)]
        total = a[rows] + b[rows]
        if len(rows) < MIN_POINTS or len(np.unique(total)) < 2:
            continue
        frac = np.array([share[g].mean(), 1.0 - share[g].mean()])
        ratio = float(np.median(b[rows] / a[rows]))
        name = f"{drugs[0]}:{drugs[1]} = 1:{ratio:.4g}"
        mfit = _ols(name, total, f[rows], unit=unit, n_excluded=0, alpha=alpha)
        mix = _mixture(
            name,
            drugs,
            frac,
            mfit,
            fits,
            np.vstack([a[rows], b[rows]]),
            f[rows],
            rows,
            FA_LEVELS,
            alpha,
        )
        out.append(mix)
    return out
