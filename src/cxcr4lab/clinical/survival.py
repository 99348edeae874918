"""Time-to-event analysis: Kaplan-Meier, log-rank, Cox hazard ratios, landmark rates and RMST.

Times are in ``time_unit`` (months for the clinical endpoints PFS and OS); events are 1 (event)
or 0 (censored). The Kaplan-Meier confidence bands are R survival's default ``conf.type="log"``
(Greenwood variance of the cumulative hazard, ``S * exp(+-z * se)``, capped at 1), and the
median's CI is where those bands cross 0.5, as ``print(survfit(...))`` reports it. The log-rank
test is R's ``survdiff`` (k groups, optional strata); Cox models go through lifelines'
``CoxPHFitter`` (Efron ties, as R's ``coxph``).

>>> km = kaplan_meier([1.0, 2.0, 3.0, 4.0], [1, 1, 0, 1])
>>> km.median, km.n, km.events
(2.5, 4, 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "MONTH_DAYS",
    "HazardRatio",
    "KaplanMeier",
    "Landmark",
    "LogRank",
    "Rmst",
    "SurvivalResult",
    "analyse_adtte",
    "analyse_survival",
    "cox_hazard_ratios",
    "kaplan_meier",
    "landmark",
    "logrank",
    "rmst",
    "subgroup_hazard_ratios",
    "validate_survival",
]

FloatArray = NDArray[np.float64]
MONTH_DAYS = 365.25 / 12
"""Days per month (30.4375) for AVALU = DAYS."""
_TO_MONTHS = {"DAYS": 1 / MONTH_DAYS, "WEEKS": 7 / MONTH_DAYS, "MONTHS": 1.0, "YEARS": 12.0}


def validate_survival(
    time: ArrayLike,
    event: ArrayLike,
    *,
    subjects: Sequence[str] | None = None,
    rows: Sequence[int] | None = None,
    source: str = "data",
    time_column: str = "time",
    event_column: str = "event",
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Times (finite, >= 0) and events (0/1) as arrays; an error names the subject and record."""
    t = pd.to_numeric(pd.Series(np.asarray(time, dtype=object)), errors="coerce").to_numpy(float)
    e_raw = pd.to_numeric(pd.Series(np.asarray(event, dtype=object)), errors="coerce").to_numpy(
        float
    )
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
            raise InputError("time is missing or not a number", column=time_column, **where(i))
        if t[i] < 0:
            raise InputError(f"time {t[i]:g} is negative", column=time_column, **where(i))
        if e_raw[i] not in (0.0, 1.0):
            raise InputError(
                f"event must be coded 0 or 1, got {quote(np.asarray(event, dtype=object)[i])}",
                column=event_column,
                **where(i),
            )
    return t, e_raw.astype(np.int64)


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
class SurvivalResult(Serial):
    """A time-to-event analysis of one endpoint by group (e.g. PFS by ARM), times in time_unit."""

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

    def hazard_table(self) -> pd.DataFrame:
        """Cox terms and subgroup HRs (HR is unitless)."""
        return pd.DataFrame([asdict(h) for h in (*self.hazard_ratios, *self.subgroups)])


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
) -> SurvivalResult:
    """KM per group, log-rank across groups, Cox HR of each group vs ``reference`` (default: the
    first level), landmark rates, RMST to ``tau`` and subgroup HRs (two groups only)."""
    for c in (time, event, *(x for x in (group, subject) if x)):
        if c not in frame.columns:
            raise InputError("column not found", file=source, column=c)
    t, e = validate_survival(
        frame[time].to_numpy(),
        frame[event].to_numpy(),
        subjects=None if subject is None else [str(s) for s in frame[subject]],
        rows=[row_base + i for i in range(len(frame))],
        source=source,
        time_column=time,
        event_column=event,
    )
    data = pd.DataFrame({"_t": t, "_e": e}, index=frame.index)
    labels = ["all"] * len(t) if group is None else [str(x) for x in frame[group]]
    data["_g"] = labels
    levels = sorted(set(labels))
    ref = reference if reference is not None else levels[0]
    if group is not None and ref not in levels:
        raise InputError(f"reference {quote(ref)} is not a level of {group}", column=group)
    curves = tuple(
        kaplan_meier(t[data["_g"] == lv], e[data["_g"] == lv], group=lv, conf_level=conf_level)
        for lv in levels
    )
    lr = None
    hrs: tuple[HazardRatio, ...] = ()
    subs: tuple[HazardRatio, ...] = ()
    if len(levels) > 1:
        lr = logrank(t, e, labels)
        others = [lv for lv in levels if lv != ref]
        for lv in others:
            data[f"{lv} vs {ref}"] = (data["_g"] == lv).astype(float)
        hrs = cox_hazard_ratios(
            data, "_t", "_e", [f"{lv} vs {ref}" for lv in others], conf_level=conf_level
        )
        if subgroups and len(levels) == 2:
            sub = pd.concat([data, frame[list(subgroups)]], axis=1)
            subs = subgroup_hazard_ratios(
                sub, "_t", "_e", "_g", ref, subgroups, conf_level=conf_level
            )
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
    reference: str | None = None,
    landmarks: Sequence[float] = (6.0, 12.0),
    tau: float | None = None,
    subgroups: Sequence[str] = (),
    conf_level: float = 0.95,
) -> SurvivalResult:
    """Survival of one ADTTE endpoint (``PARAMCD``), in months, by an ADSL column (e.g. ARM).

    ``AVAL`` in ``AVALU`` (DAYS, WEEKS, MONTHS or YEARS; days if absent) becomes months;
    ``CNSR`` 1 = censored. ``SIMULATED`` = Y in ADSL marks the result as simulated.
    """
    from cxcr4lab.clinical.cdisc import validate_adsl, validate_adtte

    sl = None if adsl is None else validate_adsl(adsl, adsl_source)
    tte = validate_adtte(adtte, source, adsl=sl, row_base=row_base)
    tte["_ROW"] = np.arange(len(tte)) + row_base
    part = tte[tte["PARAMCD"] == paramcd.upper()]
    if part.empty:
        found = ", ".join(sorted(set(tte["PARAMCD"]))) or "none"
        raise InputError(
            f"no {quote(paramcd)} records (PARAMCD found: {found})", file=source, column="PARAMCD"
        )
    units = part["AVALU"].map(_TO_MONTHS)
    if units.isna().any():
        i = int(np.flatnonzero(units.isna().to_numpy())[0])
        raise InputError(
            f"unknown AVALU {quote(part['AVALU'].iloc[i])} (DAYS, WEEKS, MONTHS, YEARS)",
            file=source,
            row=int(part["_ROW"].iloc[i]),
            column="AVALU",
            field=f"subject {part['USUBJID'].iloc[i]}",
        )
    frame = pd.DataFrame(
        {
            "USUBJID": part["USUBJID"].to_numpy(),
            "months": part["AVAL"].to_numpy(float) * units.to_numpy(float),
            "event": 1 - part["CNSR"].to_numpy(int),
        }
    )
    simulated = False
    if sl is not None:
        frame = frame.merge(sl, on="USUBJID", how="left", validate="one_to_one")
        if "SIMULATED" in sl.columns:
            simulated = bool(sl["SIMULATED"].astype(str).str.upper().isin(["Y", "YES"]).any())
    for col in (by, *subgroups):
        if col is not None and col not in frame.columns:
            raise InputError("column not found in ADSL or ADTTE", file=adsl_source, column=col)
    return analyse_survival(
        frame,
        time="months",
        event="event",
        group=by,
        subject="USUBJID",
        source=source,
        endpoint=paramcd.upper(),
        time_unit="months",
        reference=reference,
        landmarks=landmarks,
        tau=tau,
        subgroups=subgroups,
        conf_level=conf_level,
        row_base=row_base,
        simulated=simulated,
    )
