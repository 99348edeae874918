"""Time-to-event analysis: Kaplan-Meier, log-rank, Cox hazard ratios, landmark rates and RMST.

Times are in ``time_unit`` (days, weeks, months or years: :data:`TIME_UNITS`, converted with
30.4375 days per month and 365.25 per year); events are 1 (event) or 0 (censored). The
Kaplan-Meier confidence bands are R survival's default ``conf.type="log"`` (Greenwood variance of
the cumulative hazard, ``S * exp(+-z * se)``, capped at 1), and the median's CI is where those
bands cross 0.5, as ``print(survfit(...))`` reports it. The log-rank test is R's ``survdiff`` (k
groups, optional strata); Cox models go through lifelines' ``CoxPHFitter`` (Efron ties, as R's
``coxph``); the treatment x subgroup interaction is the likelihood-ratio test of
``arm * subgroup`` against ``arm + subgroup`` (R ``anova(coxph(...), coxph(...))``).

Two ways in: :func:`analyse_table` for a plain subject table (a time column, an event or
censoring column, any group and subgroup columns, matched whatever their case) and
:func:`analyse_adtte` for a CDISC ADTTE (``AVAL`` in ``AVALU``, ``CNSR``) with its ADSL.

>>> km = kaplan_meier([1.0, 2.0, 3.0, 4.0], [1, 1, 0, 1])
>>> km.median, km.n, km.events
(2.5, 4, 3)
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial, stored

__all__ = [
    "DAYS_PER_UNIT",
    "DEFAULT_LANDMARKS",
    "MONTH_DAYS",
    "TIME_UNITS",
    "HazardRatio",
    "Interaction",
    "KaplanMeier",
    "Landmark",
    "LogRank",
    "Rmst",
    "SurvivalResult",
    "analyse_adtte",
    "analyse_survival",
    "analyse_table",
    "cox_hazard_ratios",
    "interaction_test",
    "kaplan_meier",
    "landmark",
    "logrank",
    "risk_times",
    "rmst",
    "subgroup_hazard_ratios",
    "time_factor",
    "validate_survival",
]

FloatArray = NDArray[np.float64]
MONTH_DAYS = 365.25 / 12
"""Days per month (30.4375)."""
TIME_UNITS = ("days", "weeks", "months", "years")
"""The time units of an analysis (the unit its results are shown in) and of its input."""
DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": MONTH_DAYS, "years": 365.25}
"""Days in one of each :data:`TIME_UNITS`."""
DEFAULT_LANDMARKS = {
    "days": (180.0, 365.0),
    "weeks": (26.0, 52.0),
    "months": (6.0, 12.0),
    "years": (1.0, 2.0),
}
"""The landmark times (6 and 12 months, 1 and 2 years) when none are given, per time unit."""
_AVALU = {
    "DAYS": "days",
    "DAY": "days",
    "WEEKS": "weeks",
    "WEEK": "weeks",
    "MONTHS": "months",
    "MONTH": "months",
    "YEARS": "years",
    "YEAR": "years",
}


def time_factor(from_unit: str, to_unit: str) -> float:
    """What a time in ``from_unit`` is multiplied by to be in ``to_unit``.

    >>> time_factor("days", "months") * 30.4375, time_factor("years", "months")
    (1.0, 12.0)
    """
    for unit in (from_unit, to_unit):
        if unit not in DAYS_PER_UNIT:
            raise InputError(
                f"unknown time unit {quote(unit)} ({', '.join(TIME_UNITS)})", field="time_unit"
            )
    return DAYS_PER_UNIT[from_unit] / DAYS_PER_UNIT[to_unit]


def validate_survival(
    time: ArrayLike,
    event: ArrayLike,
    *,
    subjects: Sequence[str] | None = None,
    rows: Sequence[int] | None = None,
    source: str = "data",
    time_column: str = "time",
    event_column: str = "event",
    censored: bool = False,
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Times (finite, >= 0) and events (0/1) as arrays; an error names the file, the record (row
    ``rows[i]``, else ``i + 1``), the column and the subject. With ``censored`` the second column
    is a censoring flag (1 = censored, as ADTTE ``CNSR``) and the events returned are 1 - flag."""
    raw_t = np.asarray(time, dtype=object)
    raw_e = np.asarray(event, dtype=object)
    t = pd.to_numeric(pd.Series(raw_t), errors="coerce").to_numpy(float)
    e_raw = pd.to_numeric(pd.Series(raw_e), errors="coerce").to_numpy(float)
    if len(t) != len(e_raw):
        raise InputError("times and events differ in length", file=source, column=event_column)
    if len(t) == 0:
        raise InputError("no survival records", file=source, column=time_column)

    def where(i: int) -> dict[str, Any]:
        row = rows[i] if rows is not None else i + 1
        subject = None if subjects is None else f"subject {subjects[i]}"
        return {"file": source, "row": int(row), "field": subject}

    for i in range(len(t)):
        if not math.isfinite(t[i]):
            text = "" if _missing(raw_t[i]) else str(raw_t[i]).strip()
            problem = (
                "time is missing"
                if text.lower() in ("", "nan", "na", ".")
                else f"time {quote(text)} is not a number"
            )
            raise InputError(problem, column=time_column, **where(i))
        if t[i] < 0:
            raise InputError(f"time {t[i]:g} is negative", column=time_column, **where(i))
        if e_raw[i] not in (0.0, 1.0):
            shown = "nothing" if _missing(raw_e[i]) else quote(raw_e[i])
            what = (
                "censoring flag must be 0 (event) or 1 (censored)"
                if censored
                else "event must be coded 0 or 1 (0 = censored, 1 = event)"
            )
            raise InputError(f"{what}, got {shown}", column=event_column, **where(i))
    e = e_raw.astype(np.int64)
    return t, (1 - e) if censored else e


def _missing(value: object) -> bool:
    """A blank cell: None, NaN or empty text."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return isinstance(value, str) and not value.strip()


def _label(value: object) -> str | None:
    """A group or subgroup level as text (``2.0`` -> ``"2"``); None for a blank cell."""
    if _missing(value) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _z(conf_level: float) -> float:
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must be in (0, 1), got {conf_level}", field="conf_level")
    return float(stats.norm.ppf(0.5 + conf_level / 2))


def _first_below(times: FloatArray, curve: FloatArray, p: float = 0.5) -> float | None:
    """R's quantile rule: first time the step curve is <= p (the midpoint if it sits at p)."""
    eps = 1e-12
    hit = np.flatnonzero(curve <= p + eps)
    if len(hit) == 0:
        return None
    i = int(hit[0])
    if abs(curve[i] - p) < eps and i + 1 < len(times):
        return float((times[i] + times[i + 1]) / 2)
    return float(times[i])


@dataclass(frozen=True)
class KaplanMeier(Serial):
    """A Kaplan-Meier curve at its distinct event/censoring times, with log-scale CI bands."""

    group: str
    n: int
    events: int
    median: float | None
    median_lower: float | None
    median_upper: float | None
    times: tuple[float, ...]
    n_risk: tuple[int, ...]
    n_event: tuple[int, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    conf_level: float = 0.95

    def at(self, t: float) -> tuple[float, float, float]:
        """(S, lower, upper) at time t (step function, right-continuous)."""
        i = int(np.searchsorted(np.asarray(self.times), t, side="right")) - 1
        if i < 0:
            return 1.0, 1.0, 1.0
        return self.survival[i], self.lower[i], self.upper[i]

    def n_at_risk(self, t: float) -> int:
        """Patients still at risk at time t (time >= t)."""
        i = int(np.searchsorted(np.asarray(self.times), t, side="left"))
        return 0 if i >= len(self.times) else self.n_risk[i]

    def censored(self) -> tuple[tuple[float, ...], tuple[float, ...], tuple[int, ...]]:
        """Times, survival and count of the censored observations (those leaving the risk set
        without an event): where a KM plot draws its censoring ticks."""
        times: list[float] = []
        surv: list[float] = []
        counts: list[int] = []
        for i, t in enumerate(self.times):
            after = self.n_risk[i + 1] if i + 1 < len(self.times) else 0
            c = self.n_risk[i] - self.n_event[i] - after
            if c > 0:
                times.append(t)
                surv.append(self.survival[i])
                counts.append(c)
        return tuple(times), tuple(surv), tuple(counts)


def risk_times(t_max: float, count: int = 6) -> tuple[float, ...]:
    """Times of a numbers-at-risk table from 0 to ``t_max``: the round step (1, 2, 2.5 or 5 times
    a power of ten) giving the number of intervals nearest ``count``.

    >>> risk_times(1022.0)
    (0.0, 200.0, 400.0, 600.0, 800.0, 1000.0)
    >>> risk_times(27.5)
    (0.0, 5.0, 10.0, 15.0, 20.0, 25.0)
    """
    if not (math.isfinite(t_max) and t_max > 0):
        return (0.0,)
    raw = t_max / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = min(
        (m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0)), key=lambda x: abs(t_max / x - count)
    )
    n = math.floor(t_max / step + 1e-9)
    return tuple(round(i * step, 10) for i in range(n + 1))


def kaplan_meier(
    time: ArrayLike, event: ArrayLike, *, group: str = "all", conf_level: float = 0.95
) -> KaplanMeier:
    """Kaplan-Meier estimate with R's default log CI and the median with its CI."""
    t, e = validate_survival(time, event)
    z = _z(conf_level)
    ut, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e, minlength=len(ut))
    c = np.bincount(inv, minlength=len(ut)).astype(float)
    n_risk = len(t) - np.concatenate([[0.0], np.cumsum(c)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.cumprod(1 - d / n_risk)
        term = np.where(d > 0, d / (n_risk * (n_risk - d)), 0.0)
    var = np.cumsum(term)
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(s > 0, s * np.exp(-z * se), np.nan)
        hi = np.where(s > 0, np.minimum(s * np.exp(z * se), 1.0), np.nan)
    # Bands stop where S reaches 0 or the variance is infinite (R reports NA there).
    lo = np.where(np.isfinite(lo), lo, np.nan)
    hi = np.where(np.isfinite(hi), hi, np.nan)
    lo_for_q = np.where(np.isnan(lo), 0.0, lo)
    hi_for_q = np.where(np.isnan(hi), 0.0, hi)
    return KaplanMeier(
        group=group,
        n=len(t),
        events=int(e.sum()),
        median=_first_below(ut, s),
        median_lower=_first_below(ut, lo_for_q),
        median_upper=_first_below(ut, hi_for_q) if np.any(~np.isnan(hi) & (hi <= 0.5)) else None,
        times=tuple(float(x) for x in ut),
        n_risk=tuple(int(x) for x in n_risk),
        n_event=tuple(int(x) for x in d),
        survival=tuple(float(x) for x in s),
        lower=tuple(float(x) if math.isfinite(x) else 0.0 for x in lo),
        upper=tuple(float(x) if math.isfinite(x) else 0.0 for x in hi),
        conf_level=conf_level,
    )


@dataclass(frozen=True)
class Landmark:
    """Survival probability at a landmark time (e.g. 12-month OS) with its log CI."""

    group: str
    time: float
    survival: float
    lower: float
    upper: float
    n_risk: int


def landmark(km: KaplanMeier, t: float) -> Landmark:
    """S(t) with the KM curve's CI, e.g. 12-month OS rate."""
    s, lo, hi = km.at(t)
    return Landmark(km.group, float(t), s, lo, hi, km.n_at_risk(t))


@dataclass(frozen=True)
class Rmst:
    """Restricted mean survival time up to tau, with a normal CI (survival:::print rmean SE)."""

    group: str
    tau: float
    rmst: float
    se: float
    lower: float
    upper: float


def rmst(km: KaplanMeier, tau: float, *, conf_level: float = 0.95) -> Rmst:
    """Area under the KM curve up to tau; SE sum A_i^2 d_i / (n_i (n_i - d_i)) as R's survfit."""
    if not tau > 0:
        raise InputError(f"tau must be > 0, got {tau}", field="tau")
    t = np.asarray(km.times)
    s = np.asarray(km.survival)
    d = np.asarray(km.n_event, dtype=float)
    n = np.asarray(km.n_risk, dtype=float)
    keep = t <= tau
    knots = np.concatenate([[0.0], t[keep], [tau]])
    heights = np.concatenate([[1.0], s[keep]])
    pieces = heights * np.diff(knots)
    area = float(pieces.sum())
    # A_i = area from t_i to tau, for each event time t_i <= tau.
    tail = np.cumsum(pieces[::-1])[::-1][1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(
            (d[keep] > 0) & (n[keep] > d[keep]), d[keep] / (n[keep] * (n[keep] - d[keep])), 0.0
        )
    se = float(np.sqrt(np.sum(tail**2 * w)))
    z = _z(conf_level)
    return Rmst(km.group, float(tau), area, se, area - z * se, area + z * se)


@dataclass(frozen=True)
class LogRank:
    """Log-rank (survdiff) test: chi-square on k - 1 df; ``strata`` names the stratifier."""

    chisq: float
    df: int
    p: float
    groups: tuple[str, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    strata: str | None = None


def _o_e_v(
    t: FloatArray, e: NDArray[np.int64], g: NDArray[np.int64], k: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observed, expected and the (k x k) variance of O - E within one stratum."""
    ut, inv = np.unique(t, return_inverse=True)
    m = len(ut)
    d = np.zeros((m, k))
    r = np.zeros((m, k))
    np.add.at(d, (inv, g), e)
    np.add.at(r, (inv, g), 1.0)
    at_risk = np.cumsum(r[::-1], axis=0)[::-1]  # n_j at each time: still in with time >= t
    n = at_risk.sum(axis=1)
    dt = d.sum(axis=1)
    ok = n > 0
    frac = np.divide(at_risk, n[:, None], out=np.zeros_like(at_risk), where=ok[:, None])
    expected = (dt[:, None] * frac).sum(axis=0)
    factor = np.divide(dt * (n - dt), n - 1, out=np.zeros_like(n), where=n > 1)
    v = np.einsum("t,ti,tj->ij", factor, frac, frac) * -1
    v[np.diag_indices(k)] += (factor[:, None] * frac).sum(axis=0)
    return d.sum(axis=0), expected, v


def logrank(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    strata: ArrayLike | None = None,
    strata_name: str = "strata",
) -> LogRank:
    """k-sample log-rank test (R ``survdiff``), stratified when ``strata`` is given."""
    t, e = validate_survival(time, event)
    labels = np.asarray([str(x) for x in np.asarray(group, dtype=object)])
    levels = sorted(set(labels.tolist()))
    if len(levels) < 2:
        raise InputError("the log-rank test needs at least two groups", field="group")
    g = np.searchsorted(np.asarray(levels), labels).astype(np.int64)
    k = len(levels)
    s_lab = (
        np.zeros(len(t), dtype=object)
        if strata is None
        else np.asarray([str(x) for x in np.asarray(strata, dtype=object)])
    )
    obs = np.zeros(k)
    exp = np.zeros(k)
    var = np.zeros((k, k))
    for s in sorted(set(s_lab.tolist())):
        idx = s_lab == s
        o1, e1, v1 = _o_e_v(t[idx], e[idx], g[idx], k)
        obs += o1
        exp += e1
        var += v1
    diff = (obs - exp)[1:]
    chisq = float(diff @ np.linalg.solve(var[1:, 1:], diff))
    return LogRank(
        chisq=chisq,
        df=k - 1,
        p=float(stats.chi2.sf(chisq, k - 1)),
        groups=tuple(levels),
        observed=tuple(float(x) for x in obs),
        expected=tuple(float(x) for x in exp),
        strata=None if strata is None else strata_name,
    )


@dataclass(frozen=True)
class HazardRatio:
    """One Cox model term: log-HR coefficient, its SE, HR with Wald CI and p-value."""

    term: str
    coef: float
    se: float
    hr: float
    lower: float
    upper: float
    p: float
    n: int = 0
    events: int = 0


def cox_hazard_ratios(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    *,
    conf_level: float = 0.95,
    strata: Sequence[str] | None = None,
) -> tuple[HazardRatio, ...]:
    """Cox PH fit (lifelines, Efron ties as R coxph); numeric covariates, one HR per term."""
    from lifelines import CoxPHFitter

    cols = [duration, event, *covariates, *(strata or ())]
    for c in cols:
        if c not in frame.columns:
            raise InputError("column not found", column=c)
    data = frame[cols].dropna()
    z = _z(conf_level)
    cph = CoxPHFitter(alpha=1 - conf_level)
    cph.fit(data, duration_col=duration, event_col=event, strata=list(strata) if strata else None)
    out = []
    n, ev = len(data), int(data[event].sum())
    for term in covariates:
        b = float(cph.params_[term])
        se = float(cph.standard_errors_[term])
        p = float(2 * stats.norm.sf(abs(b / se)))
        out.append(
            HazardRatio(
                term, b, se, math.exp(b), math.exp(b - z * se), math.exp(b + z * se), p, n, ev
            )
        )
    return tuple(out)


def _arm_indicator(frame: pd.DataFrame, arm: str, reference: str) -> pd.Series:
    return (frame[arm].astype(str) != reference).astype(float)


def subgroup_hazard_ratios(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    arm: str,
    reference: str,
    subgroups: Sequence[str],
    *,
    conf_level: float = 0.95,
) -> tuple[HazardRatio, ...]:
    """HR of the non-reference arm vs ``reference``, overall and within each level of each
    subgroup column (``term`` = "column=level"), for a forest plot."""
    data = frame.assign(_treated=_arm_indicator(frame, arm, reference))
    out = [
        HazardRatio(**{**asdict(h), "term": "all"})
        for h in cox_hazard_ratios(data, duration, event, ["_treated"], conf_level=conf_level)
    ]
    for col in subgroups:
        if col not in frame.columns:
            raise InputError("subgroup column not found", column=col)
        for level, part in data.groupby(col, sort=True):
            if part["_treated"].nunique() < 2 or part[event].sum() < 2:
                continue
            (h,) = cox_hazard_ratios(part, duration, event, ["_treated"], conf_level=conf_level)
            out.append(HazardRatio(**{**asdict(h), "term": f"{col}={level}"}))
    return tuple(out)


@dataclass(frozen=True)
class Interaction:
    """Treatment x subgroup interaction of one subgroup column: the likelihood-ratio test of the
    Cox model ``arm * column`` against ``arm + column`` (R ``anova(coxph(Surv(t, e) ~ arm * sub),
    coxph(Surv(t, e) ~ arm + sub))``), on the ``n`` subjects with a value of the column."""

    column: str
    chisq: float
    df: int
    p: float
    n: int
    events: int
    levels: tuple[str, ...]
    note: str = ""


def _partial_loglik(data: pd.DataFrame, duration: str, event: str, columns: list[str]) -> float:
    """Cox partial log-likelihood (Efron ties, as R coxph's ``loglik[2]``) of ``columns``."""
    from lifelines import CoxPHFitter

    cph = CoxPHFitter()
    cph.fit(data[[duration, event, *columns]], duration_col=duration, event_col=event)
    return float(cph.log_likelihood_)


def _estimable(design: pd.DataFrame, candidates: list[str], kept: list[str]) -> list[str]:
    """The ``candidates`` that add a dimension to ``kept`` plus a constant (the baseline hazard
    absorbs a constant): R coxph's NA coefficients for aliased columns left out."""
    chosen = list(kept)
    base = np.column_stack([np.ones(len(design)), design[chosen].to_numpy(float)])
    rank = int(np.linalg.matrix_rank(base))
    for c in candidates:
        trial = np.column_stack([base, design[c].to_numpy(float)])
        if int(np.linalg.matrix_rank(trial)) > rank:
            base, rank = trial, rank + 1
            chosen.append(c)
    return chosen[len(kept) :]


def interaction_test(
    frame: pd.DataFrame, duration: str, event: str, treated: str, column: str
) -> Interaction:
    """LR test of the treatment x ``column`` interaction: ``treated`` is the 0/1 arm indicator,
    ``column`` a categorical subgroup (rows without a value left out, as R does); the
    subgroup's dummy and product columns that are aliased (a level in one arm only) are
    dropped, so ``df`` is the number of estimable interaction terms."""
    data = frame[[duration, event, treated, column]].dropna().reset_index(drop=True)
    levels = tuple(sorted({str(v) for v in data[column]}))
    design = pd.DataFrame({"_t": data[duration].to_numpy(float), "_e": data[event].to_numpy(float)})
    design["arm"] = data[treated].to_numpy(float)
    labels = data[column].astype(str).to_numpy()
    for k, level in enumerate(levels[1:]):
        design[f"s{k}"] = (labels == level).astype(float)
        design[f"x{k}"] = design["arm"] * design[f"s{k}"]
    dummies = _estimable(design, [f"s{k}" for k in range(len(levels) - 1)], ["arm"])
    products = _estimable(design, [f"x{k}" for k in range(len(levels) - 1)], ["arm", *dummies])
    n, events = len(data), int(design["_e"].sum())
    if not products:
        return Interaction(
            column, math.nan, 0, math.nan, n, events, levels, "no estimable interaction term"
        )
    note = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reduced = _partial_loglik(design, "_t", "_e", ["arm", *dummies])
        full = _partial_loglik(design, "_t", "_e", ["arm", *dummies, *products])
    if caught:
        note = "Cox fit warned: " + str(caught[0].message).splitlines()[0][:200]
    chisq = max(2.0 * (full - reduced), 0.0)
    df = len(products)
    return Interaction(column, chisq, df, float(stats.chi2.sf(chisq, df)), n, events, levels, note)


@stored(omit_default=("interactions", "notes"))
@dataclass(frozen=True)
class SurvivalResult(Serial):
    """A time-to-event analysis of one endpoint by group (e.g. PFS by ARM), times in time_unit;
    ``interactions`` the treatment x subgroup tests of the subgroup columns, ``notes`` what was
    left out and why."""

    kind: ClassVar[str] = "survival"

    source: str
    endpoint: str
    time_unit: str
    group_column: str | None
    curves: tuple[KaplanMeier, ...]
    logrank: LogRank | None
    hazard_ratios: tuple[HazardRatio, ...]
    landmarks: tuple[Landmark, ...]
    rmst: tuple[Rmst, ...]
    subgroups: tuple[HazardRatio, ...] = ()
    reference: str | None = None
    simulated: bool = False
    interactions: tuple[Interaction, ...] = ()
    notes: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """One row per group: n, events, median with CI, landmark rates and RMST (units shown)."""
        u = self.time_unit
        rows = []
        for c in self.curves:
            row: dict[str, Any] = {
                "group": c.group,
                "n": c.n,
                "events": c.events,
                f"median ({u})": c.median,
                f"median lower {c.conf_level:.0%} ({u})": c.median_lower,
                f"median upper {c.conf_level:.0%} ({u})": c.median_upper,
            }
            for lm in self.landmarks:
                if lm.group == c.group:
                    row[f"S({lm.time:g} {u}) (%)"] = 100 * lm.survival
                    row[f"S({lm.time:g} {u}) CI (%)"] = f"{100 * lm.lower:.1f}-{100 * lm.upper:.1f}"
            for r in self.rmst:
                if r.group == c.group:
                    row[f"RMST to {r.tau:g} ({u})"] = r.rmst
                    row[f"RMST CI ({u})"] = f"{r.lower:.2f}-{r.upper:.2f}"
            rows.append(row)
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []

    def interaction(self, term: str) -> Interaction | None:
        """The interaction test of the subgroup column of a forest row (``"STRAT1=TNBC"``)."""
        column = term.split("=", 1)[0] if "=" in term else None
        return next((i for i in self.interactions if i.column == column), None)

    def hazard_table(self) -> pd.DataFrame:
        """Cox terms and subgroup HRs (HR is unitless), with the interaction p-value of each
        subgroup row's column when it was tested."""
        rows = []
        for h in (*self.hazard_ratios, *self.subgroups):
            row: dict[str, Any] = asdict(h)
            if self.interactions:
                found = self.interaction(h.term) if h in self.subgroups else None
                row["interaction p"] = None if found is None else found.p
            rows.append(row)
        return pd.DataFrame(rows)

    def interaction_table(self) -> pd.DataFrame:
        """One row per subgroup column: the treatment x subgroup LR test."""
        return pd.DataFrame(
            [
                {
                    "subgroup": i.column,
                    "levels": ", ".join(i.levels),
                    "LR chi-square": i.chisq,
                    "df": i.df,
                    "interaction p": i.p,
                    "n": i.n,
                    "events": i.events,
                    "note": i.note,
                }
                for i in self.interactions
            ]
        )


def _loose(name: str) -> str:
    """A column name compared whatever its case and spacing (``"OS Time"`` = ``os_time``, as
    the table reader writes it)."""
    return re.sub(r"[\s\-/]+", "_", name.strip().casefold()).strip("_")


def _column(frame: pd.DataFrame, name: str, source: str, what: str = "") -> str:
    """The frame's column called ``name``: exactly, else whatever its case (one match)."""
    if name in frame.columns:
        return name
    found = [str(c) for c in frame.columns if _loose(str(c)) == _loose(name)]
    if len(found) == 1:
        return found[0]
    shown = ", ".join(map(str, list(frame.columns)[:30]))
    problem = "names two columns" if found else "column not found"
    raise InputError(f"{what}{problem}; the columns are {shown}", file=source, column=name)


def _column_labels(values: Sequence[object]) -> list[str | None]:
    """A column's cells as level labels (None for a blank); a column of whole numbers written
    as decimals (``1.0``, from a numeric export) is labelled ``1``."""
    labels = [_label(v) for v in values]
    try:
        numbers = [float(x) for x in labels if x is not None]
    except ValueError:
        return labels
    if numbers and all(math.isfinite(x) and x.is_integer() for x in numbers):
        return [None if x is None else str(int(float(x))) for x in labels]
    return labels


def _levels(frame: pd.DataFrame, column: str, source: str, rows: Sequence[int]) -> list[str]:
    """A group column as level labels; a blank cell is an error naming its row."""
    out: list[str] = []
    for i, label in enumerate(_column_labels(frame[column].tolist())):
        if label is None:
            raise InputError(
                "group is missing (every subject needs one)",
                file=source,
                row=int(rows[i]),
                column=column,
            )
        out.append(label)
    return out


def _analyse(
    data: pd.DataFrame,
    *,
    group: str | None,
    subgroups: Sequence[str],
    source: str,
    endpoint: str,
    time_unit: str,
    reference: str | None,
    landmarks: Sequence[float],
    tau: float | None,
    conf_level: float,
    simulated: bool,
    interaction: bool,
    notes: Sequence[str] = (),
) -> SurvivalResult:
    """The analysis of clean data: ``_t`` (times in ``time_unit``), ``_e`` (0/1), ``_g`` (the
    group labels, "all" without a group) and the ``subgroups`` columns (labels, None blank)."""
    t = data["_t"].to_numpy(float)
    e = data["_e"].to_numpy(np.int64)
    labels = [str(x) for x in data["_g"]]
    levels = sorted(set(labels))
    if group is None and reference is not None:
        raise InputError("a reference group needs a group column (--by)", field="reference")
    ref = reference if reference is not None else levels[0]
    if group is not None and ref not in levels:
        raise InputError(
            f"reference {quote(ref)} is not a level of {group} ({', '.join(levels)})",
            column=group,
            field="reference",
        )
    if subgroups and len(levels) != 2:
        raise InputError(
            f"subgroup hazard ratios compare two groups; {group or 'the data'} has "
            f"{len(levels)} ({', '.join(levels)}): give --by a column with two groups",
            field="subgroup",
        )
    curves = tuple(
        kaplan_meier(t[data["_g"] == lv], e[data["_g"] == lv], group=lv, conf_level=conf_level)
        for lv in levels
    )
    lr = None
    hrs: tuple[HazardRatio, ...] = ()
    subs: tuple[HazardRatio, ...] = ()
    tests: list[Interaction] = []
    found_notes = list(notes)
    if len(levels) > 1:
        lr = logrank(t, e, labels)
        others = [lv for lv in levels if lv != ref]
        cox = data[["_t", "_e"]].copy()
        for lv in others:
            cox[f"{lv} vs {ref}"] = (data["_g"] == lv).astype(float)
        hrs = cox_hazard_ratios(
            cox, "_t", "_e", [f"{lv} vs {ref}" for lv in others], conf_level=conf_level
        )
        if subgroups:
            sub = data[["_t", "_e", "_g", *subgroups]]
            subs = subgroup_hazard_ratios(
                sub, "_t", "_e", "_g", ref, subgroups, conf_level=conf_level
            )
            treated = sub.assign(_treated=_arm_indicator(sub, "_g", ref))
            for col in subgroups:
                blank = int(sub[col].isna().sum())
                if blank:
                    found_notes.append(
                        f"{col}: {blank} subject(s) without a value left out of its subgroup "
                        + ("HRs and interaction test" if interaction else "HRs")
                    )
                if interaction:
                    tests.append(interaction_test(treated, "_t", "_e", "_treated", col))
    lms = tuple(landmark(c, x) for c in curves for x in landmarks)
    rm = () if tau is None else tuple(rmst(c, tau, conf_level=conf_level) for c in curves)
    return SurvivalResult(
        source=source,
        endpoint=endpoint,
        time_unit=time_unit,
        group_column=group,
        curves=curves,
        logrank=lr,
        hazard_ratios=hrs,
        landmarks=lms,
        rmst=rm,
        subgroups=subs,
        reference=ref if group is not None else None,
        simulated=simulated,
        interactions=tuple(tests),
        notes=tuple(found_notes),
    )


def _subgroup_labels(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The subgroup columns as level labels (None for a blank cell)."""
    return pd.DataFrame({c: _column_labels(frame[c].tolist()) for c in columns}, index=frame.index)


def analyse_survival(
    frame: pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str | None = None,
    subject: str | None = None,
    source: str = "data",
    endpoint: str = "",
    time_unit: str = "months",
    reference: str | None = None,
    landmarks: Sequence[float] = (),
    tau: float | None = None,
    subgroups: Sequence[str] = (),
    conf_level: float = 0.95,
    row_base: int = 2,
    simulated: bool = False,
    interaction: bool = False,
) -> SurvivalResult:
    """KM per group, log-rank across groups, Cox HR of each group vs ``reference`` (default: the
    first level), landmark rates, RMST to ``tau`` and subgroup HRs (two groups only), with the
    treatment x subgroup interaction tests if ``interaction``. Columns are named exactly and
    times are taken as they are (in ``time_unit``); :func:`analyse_table` finds columns
    whatever their case and converts units."""
    for c in (time, event, *(x for x in (group, subject) if x), *subgroups):
        if c not in frame.columns:
            raise InputError("column not found", file=source, column=c)
    rows = [row_base + i for i in range(len(frame))]
    t, e = validate_survival(
        frame[time].to_numpy(),
        frame[event].to_numpy(),
        subjects=None if subject is None else [str(s) for s in frame[subject]],
        rows=rows,
        source=source,
        time_column=time,
        event_column=event,
    )
    data = pd.DataFrame({"_t": t, "_e": e}, index=frame.index)
    data["_g"] = ["all"] * len(t) if group is None else _levels(frame, group, source, rows)
    data = pd.concat([data, _subgroup_labels(frame, subgroups)], axis=1)
    return _analyse(
        data,
        group=group,
        subgroups=tuple(subgroups),
        source=source,
        endpoint=endpoint,
        time_unit=time_unit,
        reference=reference,
        landmarks=landmarks,
        tau=tau,
        conf_level=conf_level,
        simulated=simulated,
        interaction=interaction,
    )


def _subject_level(adsl: pd.DataFrame, source: str, row_base: int) -> pd.DataFrame:
    """ADSL validated (one row per USUBJID); an ADSL without ARM/TRT01A is taken too, since
    the groups may be any of its columns (--by SEX)."""
    from cxcr4lab.clinical.cdisc import validate_adsl

    names = {str(c).strip().upper() for c in adsl.columns}
    if names & {"ARM", "TRT01A"}:
        return validate_adsl(adsl, source, row_base=row_base)
    return validate_adsl(adsl.assign(ARM=""), source, row_base=row_base).drop(columns="ARM")


def _join_adsl(
    frame: pd.DataFrame, sl: pd.DataFrame, subject: str, source: str, rows: Sequence[int]
) -> pd.DataFrame:
    """``frame`` with the ADSL columns it lacks, by subject; a subject missing from ADSL is an
    error naming its row."""
    known = set(sl["USUBJID"])
    ids = [str(_label(v) or "") for v in frame[subject]]
    for i, u in enumerate(ids):
        if u not in known:
            raise InputError(
                f"subject {quote(u)} is not in ADSL", file=source, row=int(rows[i]), column=subject
            )
    have = {str(c).casefold() for c in frame.columns}
    extra = [c for c in sl.columns if c != "USUBJID" and str(c).casefold() not in have]
    lookup = sl.set_index("USUBJID")[extra]
    added = lookup.reindex(ids)
    added.index = frame.index
    return pd.concat([frame, added], axis=1)


def analyse_table(
    frame: pd.DataFrame,
    *,
    time: str,
    event: str | None = None,
    censor: str | None = None,
    by: str | None = None,
    subgroups: Sequence[str] = (),
    adsl: pd.DataFrame | None = None,
    source: str = "table.csv",
    adsl_source: str = "adsl.csv",
    row_base: int = 2,
    adsl_row_base: int = 2,
    input_time_unit: str | None = None,
    time_unit: str = "months",
    paramcd: str | None = None,
    reference: str | None = None,
    landmarks: Sequence[float] = (),
    tau: float | None = None,
    conf_level: float = 0.95,
    interaction: bool = True,
) -> SurvivalResult:
    """Survival from a plain subject table: one row per subject, ``time`` in
    ``input_time_unit`` (default: ``time_unit``, the unit the results are shown in), ``event``
    (1 = event, 0 = censored) or ``censor`` (1 = censored, as CNSR), groups ``by`` any column
    and subgroup columns; column names match whatever their case. With ``adsl``, the table's
    ``USUBJID`` brings in the ADSL columns it lacks (for ``by`` and ``subgroups``); with
    ``paramcd``, only the rows of that endpoint (``PARAMCD`` column) are analysed.

    >>> table = pd.DataFrame({"Time": [5, 8, 3, 12], "Dead": [1, 0, 1, 1], "Arm": list("AABB")})
    >>> r = analyse_table(table, time="time", event="dead", by="arm", input_time_unit="days",
    ...                   time_unit="weeks")
    >>> [round(c.median, 3) for c in r.curves], r.time_unit
    ([0.929, 1.071], 'weeks')
    """
    if (event is None) == (censor is None):
        raise InputError(
            "give the event column (--event, 1 = event) or the censoring column (--censor, "
            "1 = censored), not both"
            if event
            else "is needed: the event column (--event, "
            "1 = event) or the censoring column (--censor, 1 = censored)",
            field="event",
        )
    rows = [row_base + i for i in range(len(frame))]
    endpoint = ""
    if paramcd is not None:
        column = _column(frame, "PARAMCD", source)
        keep = (frame[column].astype(str).str.strip().str.upper() == paramcd.upper()).to_numpy()
        if not keep.any():
            found = ", ".join(sorted({str(v) for v in frame[column]})) or "none"
            raise InputError(
                f"no {quote(paramcd)} rows (PARAMCD found: {found})", file=source, column=column
            )
        rows = [r for r, k in zip(rows, keep, strict=True) if k]
        frame = frame[keep]
        endpoint = paramcd.upper()
    time_col = _column(frame, time, source, "time: ")
    flag_col = _column(frame, str(event or censor), source, "event: " if event else "censor: ")
    ids = next((str(c) for c in frame.columns if str(c).upper() == "USUBJID"), None)
    subjects = None if ids is None else [str(_label(v) or "") for v in frame[ids]]
    t, e = validate_survival(
        frame[time_col].to_numpy(),
        frame[flag_col].to_numpy(),
        subjects=subjects,
        rows=rows,
        source=source,
        time_column=time_col,
        event_column=flag_col,
        censored=censor is not None,
    )
    given = input_time_unit or time_unit
    t = t * time_factor(given, time_unit)
    unit_note = f"time column {time_col!r} taken in {given}" + (
        f", shown in {time_unit}" if given != time_unit else ""
    )
    if adsl is not None:
        if ids is None:
            raise InputError(
                "joining ADSL needs a USUBJID column in the table", file=source, column="USUBJID"
            )
        frame = _join_adsl(
            frame, _subject_level(adsl, adsl_source, adsl_row_base), ids, source, rows
        )
    where = source if adsl is None else f"{source} or {adsl_source}"
    group = None if by is None else _column(frame, by, where, "by: ")
    subs = tuple(dict.fromkeys(_column(frame, s, where, "subgroup: ") for s in subgroups))
    data = pd.DataFrame({"_t": t, "_e": e}, index=frame.index)
    data["_g"] = ["all"] * len(t) if group is None else _levels(frame, group, source, rows)
    data = pd.concat([data, _subgroup_labels(frame, subs)], axis=1)
    return _analyse(
        data,
        group=group,
        subgroups=subs,
        source=source,
        endpoint=endpoint,
        time_unit=time_unit,
        reference=reference,
        landmarks=landmarks,
        tau=tau,
        conf_level=conf_level,
        simulated=False,
        interaction=interaction,
        notes=(unit_note,),
    )


def analyse_adtte(
    adtte: pd.DataFrame,
    *,
    paramcd: str,
    adsl: pd.DataFrame | None = None,
    by: str | None = None,
    source: str = "adtte.csv",
    adsl_source: str = "adsl.csv",
    row_base: int = 2,
    adsl_row_base: int = 2,
    reference: str | None = None,
    landmarks: Sequence[float] = (6.0, 12.0),
    tau: float | None = None,
    subgroups: Sequence[str] = (),
    conf_level: float = 0.95,
    time_unit: str = "months",
    interaction: bool = False,
) -> SurvivalResult:
    """Survival of one ADTTE endpoint (``PARAMCD``) in ``time_unit``, by any ADSL or ADTTE
    column (``by``: ARM, SEX, ...; None: one group), with subgroup HRs and, if
    ``interaction``, the treatment x subgroup tests.

    ``AVAL`` in ``AVALU`` (DAYS, WEEKS, MONTHS or YEARS; days if absent) is converted to
    ``time_unit``; ``CNSR`` 1 = censored. ``SIMULATED`` = Y in ADSL marks the result as
    simulated. ADSL needs no ARM column when ``by`` names another.
    """
    from cxcr4lab.clinical.cdisc import validate_adtte

    factor_of = {u: time_factor(u, time_unit) for u in TIME_UNITS}
    sl = None if adsl is None else _subject_level(adsl, adsl_source, adsl_row_base)
    tte = validate_adtte(adtte, source, adsl=sl, row_base=row_base)
    tte["_ROW"] = np.arange(len(tte)) + row_base
    part = tte[tte["PARAMCD"] == paramcd.upper()]
    if part.empty:
        found = ", ".join(sorted(set(tte["PARAMCD"]))) or "none"
        raise InputError(
            f"no {quote(paramcd)} records (PARAMCD found: {found})", file=source, column="PARAMCD"
        )
    units = part["AVALU"].map(_AVALU).map(factor_of)
    if units.isna().any():
        i = int(np.flatnonzero(units.isna().to_numpy())[0])
        raise InputError(
            f"unknown AVALU {quote(part['AVALU'].iloc[i])} (DAYS, WEEKS, MONTHS, YEARS)",
            file=source,
            row=int(part["_ROW"].iloc[i]),
            column="AVALU",
            field=f"subject {part['USUBJID'].iloc[i]}",
        )
    frame = part.reset_index(drop=True)
    rows = [int(r) for r in frame["_ROW"]]
    simulated = False
    if sl is not None:
        frame = _join_adsl(frame, sl, "USUBJID", source, rows)
        if "SIMULATED" in sl.columns:
            simulated = bool(sl["SIMULATED"].astype(str).str.upper().isin(["Y", "YES"]).any())
    where = source if adsl is None else f"{source} or {adsl_source}"
    group = None if by is None else _column(frame, by, where, "by: ")
    subs = tuple(dict.fromkeys(_column(frame, s, where, "subgroup: ") for s in subgroups))
    data = pd.DataFrame(
        {
            "_t": frame["AVAL"].to_numpy(float) * units.to_numpy(float),
            "_e": 1 - frame["CNSR"].to_numpy(int),
        }
    )
    data["_g"] = ["all"] * len(data) if group is None else _levels(frame, group, source, rows)
    data = pd.concat([data, _subgroup_labels(frame, subs)], axis=1)
    return _analyse(
        data,
        group=group,
        subgroups=subs,
        source=source,
        endpoint=paramcd.upper(),
        time_unit=time_unit,
        reference=reference,
        landmarks=landmarks,
        tau=tau,
        conf_level=conf_level,
        simulated=simulated,
        interaction=interaction,
    )
