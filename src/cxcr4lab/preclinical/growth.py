"""Tumour growth on the log scale: a linear mixed model of ``ln(burden) ~ group * day`` with a
random intercept and slope per animal, the model R users write as
``nlme::lme(log(volume) ~ group * day, random = ~ day | animal, method = "REML")`` (or ``"ML"``).

Burden is any positive per-animal measure (calliper volume in mm³, BLI flux in photons/s): the
model is on its natural log, so a group's slope on ``day`` is its exponential growth rate
(per day, whatever the unit of burden) and ``ln 2 / rate`` its doubling time (days). With
``response="log_rtv"`` the response is ``ln(V / V_baseline)`` (relative tumour volume, RTV) and
the baseline rows, zero by construction, are left out, as SynergyLMM does.

**Fit.** statsmodels' ``MixedLM``: fixed effects in R's treatment contrasts (control first),
random intercept and slope per animal with an unstructured 2x2 covariance (nlme's default
``pdLogChol``), residuals independent with one variance. Its optimisers do not agree on these
problems and a ``converged`` flag is no proof of the optimum: on R's Orthodont data L-BFGS says
converged at a lower log-likelihood than nlme's, and with a random-effect variance at zero it
raises ``LinAlgError`` or returns an infinite likelihood. So every optimiser (lbfgs, bfgs,
powell, nm) is run with its warnings (``ConvergenceWarning``, the boundary warning) silenced,
the finite fit with the highest (restricted) log-likelihood is restarted from its optimum with
cg and lbfgs (the likelihood is flat near a variance component's optimum and the first stop is
often early), and the best of all is kept. Its ``converged`` flag, every optimiser's outcome
(:class:`OptimiserRun`) and a **boundary** flag (a random-effect variance below 1e-4 of the
residual variance, the slope's over the span of days, or a correlation beyond ±0.99: the fit
sits on the edge of the parameter space and its variance components are not estimable) are
reported, never hidden.

**Inference.** Fixed effects with nlme's covariance ``sigma^2 (X' V^-1 X)^-1`` (computed here
from the kept fit's variance components; under ML scaled by ``n / (n - p)``, as nlme's
``summary()`` does with its default ``adjustSigma``) and t tests with nlme's
"between/within" degrees of freedom (Pinheiro & Bates 2000, §2.4.2; ``nlme:::getFixDF``): a
column constant within every animal is estimated between
animals (``n_animals - n_between - 1`` df), any other within (``n_obs - n_animals - n_within``
df), the intercept takes the larger. statsmodels reports normal-theory tests only, so this rule
(a few lines) is written here. Every group's growth rate (per day) and every rate contrast is a
linear combination of day terms, so it has the within df; CIs are ``estimate ± t SE`` at
``conf_level``, doubling-time CIs are the rate CI mapped through ``ln 2 / rate`` (undefined,
``None``, where the rate can be <= 0). Contrasts: each group against the control, and every
pair of treated groups, with Holm-adjusted p-values within each set. AIC and BIC as nlme
(BIC with ``n - p`` observations under REML).

Input is a tidy table (one row per animal and day): ``animal_id``, ``group``, ``day`` and a
burden column (``volume_mm3`` by default). :func:`check_tumour_table` checks it once for both
this module and :mod:`cxcr4lab.preclinical.invivo_synergy`: one :class:`InputError` naming the
row, animal or group for a missing or non-numeric day, a burden <= 0, an animal measured twice
on a day or listed in two groups, a group with fewer than 3 animals, or (for RTV) an animal
without a baseline measurement. Rows with an empty burden cell are missing measurements: left
out and counted.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "MIN_ANIMALS",
    "OPTIMISERS",
    "POLISHERS",
    "FixedEffect",
    "GroupGrowth",
    "GrowthModelResult",
    "MixedFit",
    "OptimiserRun",
    "RateContrast",
    "check_tumour_table",
    "fit_growth",
    "fit_mixedlm",
    "fixed_effects_cov",
    "nlme_fixed_df",
]

Array = NDArray[np.float64]

MIN_ANIMALS = 3
"""The fewest animals a group may have."""

OPTIMISERS = ("lbfgs", "bfgs", "powell", "nm")
"""The statsmodels ``MixedLM`` optimisers tried, in this order."""

POLISHERS = ("cg", "lbfgs")
"""The optimisers restarted from the best fit's optimum."""

BOUNDARY_RATIO = 1e-4
"""A random-effect variance below this fraction of the residual variance (the slope's over
the span of days) is taken as zero: the fit is on the boundary."""

BOUNDARY_CORRELATION = 0.99
"""A random intercept-slope correlation beyond this (in absolute value) is on the boundary."""


# --- the input table ----------------------------------------------------------------------------


def _label(value: object) -> str:
    """An id or group as text; 2.0 (a float column read from CSV) is '2'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _natural(labels: Sequence[str]) -> list[str]:
    """Labels sorted as numbers when all are numbers (R's factor of integer ids), else as text."""
    try:
        return sorted(labels, key=float)
    except ValueError:
        return sorted(labels)


def check_tumour_table(
    frame: pd.DataFrame,
    *,
    value: str = "volume_mm3",
    groups: Sequence[str] = (),
    only: Sequence[str] = (),
    baseline: bool = False,
    source: str = "",
    row_base: int = 2,
) -> pd.DataFrame:
    """The tidy tumour table checked and cleaned: columns ``animal_id`` and ``group`` (text),
    ``day`` and ``value`` (floats, burden > 0), ``row`` (the row in the file, counted from
    ``row_base`` for the first data row), sorted by animal and day; rows with an empty burden
    are left out (``attrs["n_missing"]`` counts them); ``attrs["groups"]`` lists the groups in
    the order of their first row in ``frame``.

    ``groups``: names that must be present (the control, the combination arms). ``only``: if
    given, the groups kept (the others are left out before the per-group checks and listed in
    ``attrs["excluded_groups"]``). ``baseline``: every animal must be measured on the first day
    of the study (the RTV reference).
    """
    file = source or None
    for column in ("animal_id", "group", "day", value):
        if column not in frame.columns:
            shown = ", ".join(map(str, frame.columns[:30]))
            raise InputError(f"column not found; the columns are {shown}", file=file, column=column)
    if len(frame) == 0:
        raise InputError("the table has no rows", file=file, field="tumour table")
    rows = np.arange(len(frame)) + row_base
    for column in ("animal_id", "group"):
        empty = frame[column].isna().to_numpy()
        if empty.any():
            raise InputError("is empty", file=file, row=int(rows[empty.argmax()]), column=column)
    day = pd.to_numeric(frame["day"], errors="coerce").to_numpy(dtype=float)
    bad_day = ~np.isfinite(day)
    if bad_day.any():
        i = int(bad_day.argmax())
        raise InputError(
            f"must be a number of days; got {quote(frame['day'].iloc[i])}",
            file=file,
            row=int(rows[i]),
            column="day",
        )
    raw = frame[value]
    burden = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    missing = raw.isna().to_numpy()
    not_number = np.isnan(burden) & ~missing
    bad = not_number | (~missing & ~(burden > 0)) | np.isinf(burden)
    if bad.any():
        i = int(bad.argmax())
        raise InputError(
            f"must be a burden > 0 (its log is modelled); got {quote(raw.iloc[i])}",
            file=file,
            row=int(rows[i]),
            column=value,
        )
    table = pd.DataFrame(
        {
            "animal_id": [_label(v) for v in frame["animal_id"]],
            "group": [_label(v) for v in frame["group"]],
            "day": day,
            "value": burden,
            "row": rows,
        }
    )
    twice = table.duplicated(["animal_id", "day"], keep="first").to_numpy()
    if twice.any():
        i = int(twice.argmax())
        raise InputError(
            f"animal {quote(table['animal_id'].iloc[i])} is measured twice on day "
            f"{table['day'].iloc[i]:g}",
            file=file,
            row=int(rows[i]),
        )
    for animal, sub in table.groupby("animal_id", sort=False):
        names = list(dict.fromkeys(sub["group"]))
        if len(names) > 1:
            other = int(sub["row"].to_numpy()[(sub["group"] != names[0]).to_numpy().argmax()])
            raise InputError(
                f"animal {quote(animal)} is listed in two groups, {quote(names[0])} and "
                f"{quote(names[1])}",
                file=file,
                row=other,
                column="group",
            )
    excluded: tuple[str, ...] = ()
    if only:
        excluded = tuple(g for g in dict.fromkeys(table["group"]) if g not in only)
        table = table[table["group"].isin(only)]
    start = float(table["day"].min())
    if baseline:
        for animal, sub in table.groupby("animal_id", sort=False):
            at_start = sub["day"].to_numpy() == start
            if not (at_start & np.isfinite(sub["value"].to_numpy())).any():
                raise InputError(
                    f"has no burden measured on the baseline day {start:g} (the first day of "
                    "the study), which relative tumour volume is taken against",
                    file=file,
                    field=f"animal {quote(animal)}",
                )
    n_missing = int(np.isnan(table["value"]).sum())
    table = table[np.isfinite(table["value"])]
    present = set(table["group"])
    for name in groups:
        if name not in present:
            shown = ", ".join(quote(g) for g in dict.fromkeys(table["group"]))
            raise InputError(
                f"group {quote(name)} has no measurements; the groups are {shown}",
                file=file,
                column="group",
            )
    counts = table.groupby("group", sort=False)["animal_id"].nunique()
    for name, n in counts.items():
        if n < MIN_ANIMALS:
            raise InputError(
                f"has {n} animal{'s' if n != 1 else ''} with measurements; at least "
                f"{MIN_ANIMALS} are needed to estimate its growth",
                file=file,
                field=f"group {quote(name)}",
            )
    group_order = tuple(dict.fromkeys(table["group"]))
    order = {a: k for k, a in enumerate(_natural(list(dict.fromkeys(table["animal_id"]))))}
    table = table.assign(_order=table["animal_id"].map(order))
    table = table.sort_values(["_order", "day"], kind="stable").drop(columns="_order")
    cleaned: pd.DataFrame = table.reset_index(drop=True)
    cleaned.attrs["n_missing"] = n_missing
    cleaned.attrs["groups"] = group_order
    cleaned.attrs["excluded_groups"] = excluded
    return cleaned


# --- statsmodels MixedLM, every optimiser -------------------------------------------------------


@dataclass(frozen=True)
class OptimiserRun:
    """One optimiser's outcome: converged (statsmodels' flag), its (restricted)
    log-likelihood, or the error it raised (empty if none)."""

    method: str
    converged: bool
    loglik: float | None
    error: str = ""


@dataclass(frozen=True)
class MixedFit:
    """The kept ``MixedLM`` fit: ``result`` (statsmodels' ``MixedLMResults``), the optimiser
    that found it, and what every optimiser did."""

    result: Any
    method: str
    runs: tuple[OptimiserRun, ...]

    @property
    def converged(self) -> bool:
        return bool(self.result.converged)


def _usable(result: Any, p: int) -> bool:
    llf = float(result.llf)
    bse = np.asarray(result.bse_fe, dtype=float)
    cov_re = np.asarray(result.cov_re, dtype=float)
    return bool(
        math.isfinite(llf)
        and np.all(np.isfinite(bse))
        and np.all(bse > 0)
        and bse.size == p
        and np.all(np.isfinite(cov_re))
        and float(result.scale) > 0
        and np.linalg.eigvalsh(cov_re).min() >= -1e-12 * max(1.0, float(np.abs(cov_re).max()))
    )


def _try_fit(
    model_args: tuple[Array, Array, NDArray[np.intp], Array],
    reml: bool,
    method: str,
    start: Any,
    label: str,
) -> tuple[Any, OptimiserRun]:
    from statsmodels.regression.mixed_linear_model import MixedLM

    y, x, animals, z = model_args
    model = MixedLM(y, x, groups=animals, exog_re=z)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # ConvergenceWarning, boundary: judged by the caller
        try:
            result = model.fit(reml=reml, method=method, start_params=start)
        except (np.linalg.LinAlgError, ValueError, ArithmeticError) as exc:
            return None, OptimiserRun(label, False, None, f"{type(exc).__name__}: {exc}")
    if not _usable(result, x.shape[1]):
        return None, OptimiserRun(label, bool(result.converged), None, "no finite optimum")
    return result, OptimiserRun(label, bool(result.converged), float(result.llf))


def fit_mixedlm(
    y: Array,
    x: Array,
    animals: NDArray[np.intp],
    z: Array,
    *,
    reml: bool = True,
    methods: Sequence[str] = OPTIMISERS,
    polish: Sequence[str] = POLISHERS,
) -> MixedFit:
    """Fit ``MixedLM(y, x, groups=animals, exog_re=z)`` with every optimiser in ``methods``,
    restart the best from its optimum with each of ``polish`` (the likelihood is flat near a
    variance component's optimum and the first stop is often early), and keep the finite fit
    with the highest (restricted) log-likelihood. Raises :class:`ValueError` if none gives one.
    """
    args = (y, x, animals, z)
    runs: list[OptimiserRun] = []
    best: Any = None
    best_method = ""

    def consider(result: Any, label: str) -> None:
        nonlocal best, best_method
        if result is None:
            return
        better = best is None or result.llf > best.llf + 1e-9
        tie = best is not None and abs(result.llf - best.llf) <= 1e-9
        if better or (tie and result.converged and not best.converged):
            best, best_method = result, label

    for method in methods:
        result, run = _try_fit(args, reml, method, None, method)
        runs.append(run)
        consider(result, method)
    if best is None:
        tried = "; ".join(f"{r.method}: {r.error}" for r in runs)
        raise ValueError(f"no optimiser found a finite mixed-model fit ({tried})")
    first, first_method = best, best_method
    for method in polish:
        label = f"{first_method}, then {method}"
        result, run = _try_fit(args, reml, method, first.params_object, label)
        runs.append(run)
        consider(result, label)
    return MixedFit(best, best_method, tuple(runs))


def fixed_effects_cov(
    x: Array, z: Array, animals: NDArray[np.intp], psi: Array, weights: Array | None = None
) -> Array:
    """``(X' V^-1 X)^-1`` with ``V`` block-diagonal by animal, ``V_i = W_i + Z_i psi Z_i'``:
    ``psi`` the random-effect covariance relative to the residual variance and ``W_i`` the
    diagonal of relative residual variances (``weights``, 1 by default). Times the residual
    variance it is nlme's ``vcov`` of the fixed effects."""
    p = x.shape[1]
    info = np.zeros((p, p))
    w = np.ones(len(x)) if weights is None else weights
    for i in range(int(animals.max()) + 1):
        rows = animals == i
        zi, xi = z[rows], x[rows]
        v = np.diag(w[rows]) + zi @ psi @ zi.T
        info += xi.T @ np.linalg.solve(v, xi)
    return np.asarray(np.linalg.inv(info), dtype=float)


def nlme_fixed_df(x: Array, animals: NDArray[np.intp]) -> NDArray[np.int64]:
    """nlme's degrees of freedom of each fixed-effect column (``nlme:::getFixDF``, one level
    of grouping): a column constant within every animal is "between", any other "within";
    an all-constant column is the intercept. Data sorted by animal is not required."""
    n, p = x.shape
    n_animals = int(np.unique(animals).size)
    constant = np.all(np.isclose(x, x[:1]), axis=0)
    within = np.zeros(p, dtype=bool)
    for j in np.flatnonzero(~constant):
        col = x[:, j]
        lo = np.full(n_animals, np.inf)
        hi = np.full(n_animals, -np.inf)
        np.minimum.at(lo, animals, col)
        np.maximum.at(hi, animals, col)
        within[j] = bool(np.any(hi > lo))
    between = ~constant & ~within
    df_between = n_animals - int(between.sum())
    df_within = n - n_animals - int(within.sum())
    if constant.any():
        df_between -= 1
    else:
        df_within += 1
    out = np.where(within, df_within, df_between)
    out[constant] = max(df_between, df_within)
    return np.asarray(out, dtype=np.int64)


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixedEffect:
    """One fixed-effect coefficient as nlme's ``summary()`` prints it (R's term names), with
    its t interval at the result's ``conf_level``. Units: ln(burden) (intercept, group),
    ln(burden) per day (day terms)."""

    term: str
    estimate: float
    se: float
    df: int
    t: float
    p: float
    lower: float
    upper: float


@dataclass(frozen=True)
class GroupGrowth:
    """A group's exponential growth rate (per day; the slope of ln burden), its SE and t
    interval, and its doubling time ``ln 2 / rate`` (days) with its delta-method SE
    (``ln 2 SE / rate^2``) and the interval mapped from the rate's; ``None`` where the rate (or
    a bound) is <= 0 (no doubling)."""

    group: str
    n_animals: int
    n_obs: int
    rate: float
    se: float
    df: int
    lower: float
    upper: float
    doubling_time: float | None
    doubling_se: float | None
    doubling_lower: float | None
    doubling_upper: float | None


@dataclass(frozen=True)
class RateContrast:
    """``rate(group) - rate(reference)`` (per day) with its SE, t test, interval and the
    Holm-adjusted p-value within its set of contrasts."""

    group: str
    reference: str
    difference: float
    se: float
    df: int
    t: float
    p: float
    lower: float
    upper: float
    p_holm: float


@dataclass(frozen=True)
class GrowthModelResult(Serial):
    """A fitted log-scale tumour-growth mixed model (see the module docstring).

    ``groups`` in model order (control first); ``rates`` one per group; ``versus_control``
    each treated group against the control; ``pairwise`` every pair of treated groups.
    Variance components on the log scale: ``intercept_sd`` (ln burden), ``slope_sd`` (ln
    burden per day), their ``correlation`` (``None`` when a variance is zero), ``residual_sd``.
    ``loglik`` is the REML criterion under ``method="REML"``. ``boundary``: a variance
    component at zero (see the module docstring); ``flags`` say what to mistrust.
    """

    kind: ClassVar[str] = "tumour_growth"

    source: str
    response: Literal["log_volume", "log_rtv"]
    value: str
    unit: str
    method: Literal["REML", "ML"]
    control: str
    groups: tuple[str, ...]
    n_animals: int
    n_obs: int
    n_missing: int
    fixed: tuple[FixedEffect, ...]
    rates: tuple[GroupGrowth, ...]
    versus_control: tuple[RateContrast, ...]
    pairwise: tuple[RateContrast, ...]
    intercept_sd: float
    slope_sd: float
    correlation: float | None
    residual_sd: float
    loglik: float
    aic: float
    bic: float
    optimiser: str
    converged: bool
    boundary: bool
    runs: tuple[OptimiserRun, ...]
    flags: tuple[str, ...] = ()
    conf_level: float = 0.95

    def summary(self) -> pd.DataFrame:
        """One row per group: growth rate (per day) with its CI, doubling time (days) with
        its CI, and the difference in rate from the control with its p-value."""
        level = f"{self.conf_level:.0%}"
        versus = {c.group: c for c in self.versus_control}
        rows = []
        for g in self.rates:
            c = versus.get(g.group)
            rows.append(
                {
                    "group": g.group,
                    "animals": g.n_animals,
                    "rate (/day)": g.rate,
                    "SE": g.se,
                    f"lower {level}": g.lower,
                    f"upper {level}": g.upper,
                    "doubling time (days)": g.doubling_time,
                    "doubling SE": g.doubling_se,
                    f"doubling lower {level}": g.doubling_lower,
                    f"doubling upper {level}": g.doubling_upper,
                    "vs control (/day)": None if c is None else c.difference,
                    "p vs control": None if c is None else c.p,
                }
            )
        return pd.DataFrame(rows)

    def contrasts(self) -> pd.DataFrame:
        """Every rate contrast (against the control, then between treated groups)."""
        level = f"{self.conf_level:.0%}"
        return pd.DataFrame(
            [
                {
                    "group": c.group,
                    "reference": c.reference,
                    "difference (/day)": c.difference,
                    "SE": c.se,
                    "df": c.df,
                    "t": c.t,
                    "p": c.p,
                    "p (Holm)": c.p_holm,
                    f"lower {level}": c.lower,
                    f"upper {level}": c.upper,
                }
                for c in (*self.versus_control, *self.pairwise)
            ]
        )

    def fixed_effects(self) -> pd.DataFrame:
        """The coefficient table (R's ``summary(lme)$tTable`` with intervals)."""
        return pd.DataFrame([vars(f) for f in self.fixed])

    def variance_components(self) -> pd.DataFrame:
        """Random-effect and residual SDs (log scale) as R's ``VarCorr``."""
        return pd.DataFrame(
            [
                {"component": "intercept (animal)", "sd": self.intercept_sd},
                {"component": "day slope (animal)", "sd": self.slope_sd},
                {"component": "residual", "sd": self.residual_sd},
                {"component": "intercept-slope correlation", "sd": self.correlation},
            ]
        )


# --- the fit ------------------------------------------------------------------------------------


def _doubling(rate: float) -> float | None:
    return math.log(2.0) / rate if rate > 0 else None


def _contrast(
    group: str,
    reference: str,
    c: Array,
    beta: Array,
    cov: Array,
    df: int,
    t_crit: float,
) -> RateContrast:
    diff = float(c @ beta)
    se = float(math.sqrt(c @ cov @ c))
    t = diff / se
    p = float(2 * stats.t.sf(abs(t), df))
    return RateContrast(
        group, reference, diff, se, df, t, p, diff - t_crit * se, diff + t_crit * se, p
    )


def _holm(contrasts: list[RateContrast]) -> tuple[RateContrast, ...]:
    from dataclasses import replace

    from statsmodels.stats.multitest import multipletests

    if not contrasts:
        return ()
    adjusted = multipletests([c.p for c in contrasts], method="holm")[1]
    return tuple(replace(c, p_holm=float(a)) for c, a in zip(contrasts, adjusted, strict=True))


def fit_growth(
    frame: pd.DataFrame,
    *,
    control: str,
    value: str = "volume_mm3",
    unit: str = "mm3",
    response: Literal["log_volume", "log_rtv"] = "log_volume",
    method: Literal["REML", "ML"] = "REML",
    conf_level: float = 0.95,
    source: str = "",
    row_base: int = 2,
) -> GrowthModelResult:
    """Fit ``ln(burden) ~ group * day`` with a random intercept and slope per animal to the
    tidy table ``frame`` (``animal_id, group, day, <value>``; burden in ``unit``, days) and
    report growth rates, doubling times and rate contrasts (module docstring)."""
    if response not in ("log_volume", "log_rtv"):
        raise InputError(
            f"must be 'log_volume' or 'log_rtv'; got {quote(response)}", field="response"
        )
    if method not in ("REML", "ML"):
        raise InputError(f"must be 'REML' or 'ML'; got {quote(method)}", field="method")
    if not 0 < conf_level < 1:
        raise InputError(f"must be between 0 and 1; got {conf_level!r}", field="conf_level")
    table = check_tumour_table(
        frame,
        value=value,
        groups=(control,),
        baseline=response == "log_rtv",
        source=source,
        row_base=row_base,
    )
    n_missing = int(table.attrs.get("n_missing", 0))
    groups = [control, *(g for g in table.attrs["groups"] if g != control)]
    if response == "log_rtv":
        start = float(table["day"].min())
        base = table[table["day"] == start].set_index("animal_id")["value"]
        y_all = np.log(table["value"].to_numpy() / table["animal_id"].map(base).to_numpy())
        keep = table["day"].to_numpy() != start
        table, y = table[keep].reset_index(drop=True), y_all[keep]
    else:
        y = np.log(table["value"].to_numpy())
    if table["day"].nunique() < 2:
        raise InputError(
            "has measurements on fewer than 2 days: no growth rate can be estimated",
            file=source or None,
            field="tumour table",
        )
    day = table["day"].to_numpy(dtype=float)
    member = {g: (table["group"] == g).to_numpy(dtype=float) for g in groups}
    treated = groups[1:]
    names = [
        "(Intercept)",
        *(f"group{g}" for g in treated),
        "day",
        *(f"group{g}:day" for g in treated),
    ]
    x = np.column_stack(
        [np.ones(len(day)), *(member[g] for g in treated), day, *(member[g] * day for g in treated)]
    )
    animals = pd.factorize(table["animal_id"])[0].astype(np.intp)
    z = np.column_stack([np.ones(len(day)), day])
    reml = method == "REML"
    try:
        fit = fit_mixedlm(y, x, animals, z, reml=reml)
    except ValueError as exc:
        raise InputError(str(exc), file=source or None, field="growth model") from None
    r = fit.result
    p = x.shape[1]
    beta = np.asarray(r.fe_params, dtype=float)
    cov_re = np.asarray(r.cov_re, dtype=float)
    scale = float(r.scale)
    cov = scale * fixed_effects_cov(x, z, animals, cov_re / scale)
    if not reml:  # nlme's summary() (adjustSigma): ML standard errors from sigma sqrt(n/(n-p))
        cov *= len(y) / (len(y) - p)
    dfs = nlme_fixed_df(x, animals)
    alpha = 1 - conf_level
    fixed = []
    for j, term in enumerate(names):
        se = float(math.sqrt(cov[j, j]))
        t = float(beta[j] / se)
        t_crit = float(stats.t.ppf(1 - alpha / 2, dfs[j]))
        fixed.append(
            FixedEffect(
                term,
                float(beta[j]),
                se,
                int(dfs[j]),
                t,
                float(2 * stats.t.sf(abs(t), dfs[j])),
                float(beta[j] - t_crit * se),
                float(beta[j] + t_crit * se),
            )
        )
    df_rate = int(dfs[names.index("day")])
    t_crit = float(stats.t.ppf(1 - alpha / 2, df_rate))

    def rate_vector(g: str) -> Array:
        c = np.zeros(p)
        c[names.index("day")] = 1.0
        if g != control:
            c[names.index(f"group{g}:day")] = 1.0
        return c

    rates = []
    for g in groups:
        c = rate_vector(g)
        est = float(c @ beta)
        se = float(math.sqrt(c @ cov @ c))
        lo, hi = est - t_crit * se, est + t_crit * se
        sub = table[table["group"] == g]
        rates.append(
            GroupGrowth(
                g,
                int(sub["animal_id"].nunique()),
                len(sub),
                est,
                se,
                df_rate,
                lo,
                hi,
                _doubling(est),
                math.log(2.0) * se / est**2 if est > 0 else None,
                _doubling(hi),
                _doubling(lo),
            )
        )
    versus = [
        _contrast(g, control, rate_vector(g) - rate_vector(control), beta, cov, df_rate, t_crit)
        for g in treated
    ]
    pairs = [
        _contrast(b, a, rate_vector(b) - rate_vector(a), beta, cov, df_rate, t_crit)
        for i, a in enumerate(treated)
        for b in treated[i + 1 :]
    ]
    span = float(day.max() - day.min())
    var_i, var_s = max(float(cov_re[0, 0]), 0.0), max(float(cov_re[1, 1]), 0.0)
    correlation = (
        float(cov_re[0, 1] / math.sqrt(var_i * var_s)) if var_i > 0 and var_s > 0 else None
    )
    flags: list[str] = []
    if var_i < BOUNDARY_RATIO * scale:
        flags.append(
            "the random-intercept variance is (near) zero: the fit is on the boundary and the "
            "animals' baselines do not differ beyond residual noise"
        )
    if var_s * span**2 < BOUNDARY_RATIO * scale:
        flags.append(
            "the random-slope variance is (near) zero: the fit is on the boundary and the "
            "animals' growth rates do not differ beyond residual noise"
        )
    if correlation is not None and abs(correlation) > BOUNDARY_CORRELATION:
        flags.append(
            f"the random intercept and slope are correlated {correlation:+.3f}: their "
            "covariance is singular (on the boundary)"
        )
    boundary = bool(flags)
    if not fit.converged:
        flags.insert(
            0,
            f"the optimiser ({fit.method}) did not report convergence; no optimiser did better",
        )
    n = len(y)
    k = p + 3 + 1  # fixed effects, the 2x2 random-effect covariance, the residual variance
    loglik = float(r.llf)
    n_bic = n - p if reml else n
    return GrowthModelResult(
        source=source,
        response=response,
        value=value,
        unit=unit,
        method=method,
        control=control,
        groups=tuple(groups),
        n_animals=int(animals.max() + 1),
        n_obs=n,
        n_missing=n_missing,
        fixed=tuple(fixed),
        rates=tuple(rates),
        versus_control=_holm(versus),
        pairwise=_holm(pairs),
        intercept_sd=math.sqrt(var_i),
        slope_sd=math.sqrt(var_s),
        correlation=correlation,
        residual_sd=math.sqrt(scale),
        loglik=loglik,
        aic=-2 * loglik + 2 * k,
        bic=-2 * loglik + k * math.log(n_bic),
        optimiser=fit.method,
        converged=fit.converged,
        boundary=boundary,
        runs=fit.runs,
        flags=tuple(flags),
        conf_level=conf_level,
    )
