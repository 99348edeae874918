"""Tumour-growth efficacy of an in-vivo study: TGI, T/C, group comparisons, time to endpoint, AUC.

Everything reads an :class:`~cxcr4lab.preclinical.study.AnimalTable` (days are study days, d;
volumes mm^3; flux p/s) and compares each group with the control (and named pairs):

* **TGI**, in both conventions, named in the output: ``tgi_delta_pct = (1 - (T_t - T_0) /
  (C_t - C_0)) x 100`` on group means of volume, and ``tgi_rtv_pct = (1 - mean RTV_T /
  mean RTV_C) x 100``; means over the animals measured at both the baseline and day t;
* **T/C** (%): ``mean RTV_T / mean RTV_C x 100``, ``median RTV_T / median RTV_C x 100`` and the
  geometric-mean ratio ``10^(mean log10 RTV_T - mean log10 RTV_C) x 100``. The NCI activity
  criterion, **T/C <= 42 %**, is applied to the median T/C, as NCI's in-vivo screen defined it
  on median tumour weights or volumes (Plowman et al. 1997, "Human tumor xenograft models in
  NCI drug development", in Teicher (ed.), Anticancer Drug Development Guide, Humana Press;
  restated by Hollingshead 2008, J Natl Cancer Inst 100:1500): medians resist the single large
  tumour of a small group. The same ratios on relative total flux give the BLI T/C;
* **per-day comparisons** (:func:`compare_groups`) on log10 volume, RTV, log10 RTV or log10
  flux: Welch's t (difference with its CI; a ratio for log responses), Mann-Whitney U (exact
  without ties and n < 50, else normal with continuity correction, as R's ``wilcox.test``),
  one-way ANOVA, and Dunnett's many-to-one test (:func:`scipy.stats.dunnett`) or Holm's
  adjustment (:func:`statsmodels.stats.multitest.multipletests`) over the day's family;
* **time to endpoint** (:func:`time_to_endpoint`): first day at or above a volume, RTV or flux
  threshold, a humane endpoint, or death, from the baseline; dropouts censored with their
  reason; Kaplan-Meier medians and log-rank tests (lifelines);
* **AUC** (:func:`auc_comparison`): per animal, the trapezoid area of ``log10 V(t) - log10
  V(t0)`` from the baseline to its last measurement (log10 x d), divided by that follow-up
  (log10: the animal's mean log10 RTV). Dividing by the follow-up is the "adjusted AUC" idea of
  Hothorn (2006, Drug Inf J) and Wu & Houghton (2010, Pharm Stat 9:46, "Interval approach to
  assessing antitumor activity"), by their abstracts: animals removed early still count. Their
  full texts were not available here, so this is not checked against their worked examples;
  (Wu & Houghton 2009, J Biopharm Stat 19:755, is on log10 cell kill, not on AUC). Groups are
  compared by Welch's t on the adjusted AUC (difference and CI), Mann-Whitney and Holm over the
  comparisons, and by the ratio of mean adjusted AUCs T/C with a stratified bootstrap CI
  (:func:`scipy.stats.bootstrap`, BCa, checked against R's ``boot.ci``); Wu & Houghton's
  bootstrap-t interval is not in scipy.

:func:`analyse_efficacy` runs them all and returns one :class:`EfficacyResult`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import integrate, stats

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.preclinical.study import AnimalTable

__all__ = [
    "NCI_ACTIVE_TC_PCT",
    "RESPONSES",
    "Adjustment",
    "AnimalAuc",
    "AnimalEvent",
    "AucComparison",
    "AucResult",
    "Comparison",
    "DayComparisons",
    "EfficacyResult",
    "GroupSurvival",
    "GroupTgi",
    "LogRank",
    "Response",
    "TgiResult",
    "TimeToEndpoint",
    "analyse_efficacy",
    "anova_test",
    "auc_comparison",
    "compare_groups",
    "dunnett_test",
    "holm_adjust",
    "mann_whitney_test",
    "tgi",
    "tgi_by_day",
    "time_to_endpoint",
    "welch_test",
]

NCI_ACTIVE_TC_PCT: Final = 42.0
"""NCI's minimum for activity: median T/C <= 42 % (Plowman et al. 1997)."""

Response = Literal["log_volume", "volume", "rtv", "log_rtv", "log_flux", "log_relative_flux"]
RESPONSES: tuple[str, ...] = get_args(Response)
_RESPONSE_TEXT = {
    "log_volume": ("log10 tumour volume", "log10 mm^3"),
    "volume": ("tumour volume", "mm^3"),
    "rtv": ("relative tumour volume", "ratio"),
    "log_rtv": ("log10 relative tumour volume", "log10 ratio"),
    "log_flux": ("log10 total flux", "log10 p/s"),
    "log_relative_flux": ("log10 relative total flux", "log10 ratio"),
}
Adjustment = Literal["dunnett", "holm", "none"]
Measure = Literal["volume", "flux"]
FloatArray = NDArray[np.float64]


# --- helpers ------------------------------------------------------------------------------------


def _control(table: AnimalTable, control: str | None) -> str:
    name = control if control is not None else table.control
    if name is None:
        raise InputError(
            f"name the control group (control=...); groups: {', '.join(table.groups)}",
            file=table.source,
            field="control",
        )
    if name not in table.groups:
        raise InputError(
            f"control {quote(name)} is not a group; groups: {', '.join(table.groups)}",
            file=table.source,
            field="control",
        )
    return name


def _order(table: AnimalTable, control: str) -> list[str]:
    return [control, *(g for g in table.groups if g != control)]


def _pairs(
    table: AnimalTable, control: str, pairs: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """(group, reference): every group against the control, then the named pairs."""
    out = [(g, control) for g in _order(table, control)[1:]]
    for i, pair in enumerate(pairs, start=1):
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise InputError(
                f"pair {i} must be (group, reference), got {quote(pair)}",
                file=table.source,
                field="pairs",
            )
        g, ref = str(pair[0]), str(pair[1])
        for name in (g, ref):
            if name not in table.groups:
                raise InputError(
                    f"pair {i}: {quote(name)} is not a group; groups: {', '.join(table.groups)}",
                    file=table.source,
                    field="pairs",
                )
        if g == ref:
            raise InputError(f"pair {i} compares {quote(g)} with itself", field="pairs")
        if (g, ref) not in out:
            out.append((g, ref))
    return out


def _measure(table: AnimalTable, measure: Measure) -> None:
    need = "volume_mm3" if measure == "volume" else "total_flux_p_s"
    has = need in table.measures or (measure == "volume" and "length_mm" in table.measures)
    if not has:
        what = "tumour volumes (or caliper lengths)" if measure == "volume" else "total flux"
        raise InputError(f"the table has no {what}", file=table.source, field="measure")


def _frame(table: AnimalTable) -> pd.DataFrame:
    f = table.frame()
    with np.errstate(divide="ignore", invalid="ignore"):
        f["log_rtv"] = np.where(f["rtv"] > 0, np.log10(f["rtv"].where(f["rtv"] > 0)), np.nan)
        rf = f["relative_flux"]
        f["log_relative_flux"] = np.where(rf > 0, np.log10(rf.where(rf > 0)), np.nan)
    f["log_volume"] = f["log10_volume"]
    f["volume"] = f["volume_mm3"]
    f["log_flux"] = f["log10_flux"]
    return f


def _default_day(table: AnimalTable, column: str, control: str) -> float:
    """The last day on which every group has at least two values of ``column``."""
    f = _frame(table)
    ok = f.dropna(subset=[column])
    counts = ok.groupby(["day", "group"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(table.groups), fill_value=0)
    good = counts[(counts >= 2).all(axis=1)]
    base = table.baseline_day if table.baseline_day is not None else min(table.days)
    good = good[good.index > base]
    if good.empty:
        raise InputError(
            "no day after the baseline has two or more measured animals in every group",
            file=table.source,
            field="day",
        )
    return float(good.index.max())


def _check_day(table: AnimalTable, day: float) -> float:
    if not isinstance(day, int | float) or not math.isfinite(day):
        raise InputError(f"day must be a number, got {quote(day)}", file=table.source, field="day")
    if float(day) not in table.days:
        shown = ", ".join(f"{d:g}" for d in table.days[:30])
        raise InputError(
            f"no measurements on day {day:g}; days: {shown}", file=table.source, field="day"
        )
    return float(day)


def _baseline_values(table: AnimalTable, f: pd.DataFrame, column: str) -> dict[str, float]:
    """Each animal's ``column`` on its baseline day (the table's, or its first day)."""
    out: dict[str, float] = {}
    for fate in table.animals:
        day = table.baseline_day if table.baseline_day is not None else fate.first_day
        hit = f.loc[(f["animal_id"] == fate.animal_id) & (f["day"] == day), column]
        out[fate.animal_id] = float(hit.iloc[0]) if len(hit) else math.nan
    return out


def _pct(a: float, b: float) -> float:
    """100 a / b, NaN where b is 0 or either is NaN."""
    return 100 * a / b if b != 0 and math.isfinite(a) and math.isfinite(b) else math.nan


def _relative_summary(
    base: Sequence[float], day: Sequence[float], rel: Sequence[float]
) -> dict[str, float]:
    """n, means of baseline and day values, mean, median and mean log10 of relative values
    (NaN where empty; the log mean NaN unless every relative value is > 0)."""
    r = np.asarray(rel, dtype=float)
    n = len(r)
    return {
        "n": n,
        "base": float(np.mean(base)) if n else math.nan,
        "day": float(np.mean(day)) if n else math.nan,
        "mean": float(np.mean(r)) if n else math.nan,
        "median": float(np.median(r)) if n else math.nan,
        "log_mean": float(np.mean(np.log10(r))) if n and (r > 0).all() else math.nan,
    }


def holm_adjust(p: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (:func:`statsmodels.stats.multitest.multipletests`, R's
    ``p.adjust(p, "holm")``); NaN entries stay NaN and do not count in the family."""
    from statsmodels.stats.multitest import multipletests

    values = np.asarray(p, dtype=float)
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values)
    if ok.any():
        out[ok] = multipletests(values[ok], method="holm")[1]
    return [float(x) for x in out]


_NO_TEST = (math.nan, math.nan, math.nan, math.nan, math.nan)


def welch_test(
    x: FloatArray, y: FloatArray, conf_level: float = 0.95
) -> tuple[float, float, float, float, float]:
    """Welch's t test of mean(x) - mean(y), as R's ``t.test(x, y)``: (t, df, p, lower, upper).
    All NaN when both samples are constant (no variance to test against)."""
    if np.ptp(x) == 0 and np.ptp(y) == 0:
        return _NO_TEST
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Precision loss occurred", category=RuntimeWarning
        )
        r = stats.ttest_ind(x, y, equal_var=False)
        ci = r.confidence_interval(confidence_level=conf_level)
    return float(r.statistic), float(r.df), float(r.pvalue), float(ci.low), float(ci.high)


def mann_whitney_test(x: FloatArray, y: FloatArray) -> tuple[float, float, str]:
    """U of ``x``, two-sided p and the method, as R's ``wilcox.test`` chooses it: exact
    without ties when both groups have fewer than 50 values, else the normal approximation
    with continuity correction. p is NaN when every value is the same (R: NA)."""
    both = np.concatenate([x, y])
    if np.ptp(both) == 0:
        return len(x) * len(y) / 2, math.nan, "none (all values equal)"
    ties = len(np.unique(both)) < len(both)
    method = "exact" if not ties and len(x) < 50 and len(y) < 50 else "asymptotic"
    r = stats.mannwhitneyu(x, y, alternative="two-sided", method=method, use_continuity=True)
    return float(r.statistic), float(r.pvalue), method


def dunnett_test(
    treated: Sequence[FloatArray],
    control: FloatArray,
    *,
    seed: int,
    conf_level: float | None = None,
) -> tuple[list[float], list[float], list[float]] | None:
    """Dunnett's many-to-one test (:func:`scipy.stats.dunnett`, seeded): p-values and, with
    ``conf_level``, the simultaneous CI of each mean difference (NaN if scipy's search for the
    critical value does not converge: degenerate data). None when no group varies."""
    if all(np.ptp(v) == 0 for v in (*treated, control)):
        return None
    nan = [math.nan] * len(treated)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Precision loss occurred", category=RuntimeWarning
        )
        res = stats.dunnett(*treated, control=control, rng=seed)
        if conf_level is None:
            return [float(p) for p in res.pvalue], nan, nan
        warnings.filterwarnings("error", message="Computation of the confidence interval")
        try:
            ci = res.confidence_interval(confidence_level=conf_level)
        except UserWarning:
            return [float(p) for p in res.pvalue], nan, nan
    return (
        [float(p) for p in res.pvalue],
        [float(v) for v in ci.low],
        [float(v) for v in ci.high],
    )


def anova_test(samples: Sequence[FloatArray]) -> tuple[float, float]:
    """One-way ANOVA (:func:`scipy.stats.f_oneway`): (F, p); NaN without within-group variance
    or with fewer than two groups."""
    if len(samples) < 2 or all(np.ptp(v) == 0 for v in samples):
        return math.nan, math.nan
    r = stats.f_oneway(*samples)
    return float(r.statistic), float(r.pvalue)


# --- TGI and T/C --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupTgi(Serial):
    """TGI and T/C of one group on one day (the control's own row has TGI 0 and T/C 100).

    ``n``: animals measured at both the baseline and ``day``; means of ``measure`` in ``unit``
    (mm^3 or p/s). ``tgi_delta_pct``: (1 - (T_t - T_0)/(C_t - C_0)) x 100 on group means;
    ``tgi_rtv_pct``: (1 - mean RTV_T / mean RTV_C) x 100; ``tc_mean_pct``, ``tc_median_pct``,
    ``tc_geometric_pct``: T/C (%) of mean, median and geometric-mean relative values;
    ``nci_active``: median T/C <= 42 % (``None`` for the control).
    """

    group: str
    day: float
    n: int
    mean_baseline: float
    mean_day: float
    mean_relative: float
    median_relative: float
    tgi_delta_pct: float
    tgi_rtv_pct: float
    tc_mean_pct: float
    tc_median_pct: float
    tc_geometric_pct: float
    nci_active: bool | None


@dataclass(frozen=True)
class TgiResult(Serial):
    """TGI and T/C of every group against ``control`` on ``day`` for one ``measure``."""

    measure: Measure
    unit: str
    day: float
    baseline_day: float | None
    control: str
    groups: tuple[GroupTgi, ...]
    missing: tuple[str, ...] = ()
    nci_threshold_pct: float = NCI_ACTIVE_TC_PCT

    def summary(self) -> pd.DataFrame:
        """One row per group (units in the column names)."""
        u = self.unit
        rows = [
            {
                "group": g.group,
                "day": g.day,
                "n": g.n,
                f"mean baseline ({u})": g.mean_baseline,
                f"mean day {g.day:g} ({u})": g.mean_day,
                "mean relative": g.mean_relative,
                "median relative": g.median_relative,
                "TGI delta (%)": g.tgi_delta_pct,
                "TGI RTV (%)": g.tgi_rtv_pct,
                "T/C mean (%)": g.tc_mean_pct,
                "T/C median (%)": g.tc_median_pct,
                "T/C geometric (%)": g.tc_geometric_pct,
                f"NCI active (median T/C <= {self.nci_threshold_pct:g} %)": g.nci_active,
            }
            for g in self.groups
        ]
        return pd.DataFrame(rows)


def tgi(
    table: AnimalTable,
    day: float | None = None,
    *,
    measure: Measure = "volume",
    control: str | None = None,
) -> TgiResult:
    """TGI (both conventions) and T/C (%) of each group against the control on ``day``
    (default: the last day with two or more animals in every group).

    >>> from cxcr4lab.preclinical.study import build_animal_table
    >>> f = pd.DataFrame({"animal_id": ["c1", "c1", "c2", "c2", "t1", "t1", "t2", "t2"],
    ...                   "group": ["C"] * 4 + ["T"] * 4, "day": [0, 14] * 4,
    ...                   "volume_mm3": [100, 500, 100, 700, 100, 200, 100, 300]})
    >>> g = tgi(build_animal_table(f), 14, control="C").groups[1]
    >>> round(g.tgi_delta_pct, 6), round(g.tgi_rtv_pct, 6), round(g.tc_mean_pct, 6)
    (70.0, 58.333333, 41.666667)
    """
    ctrl = _control(table, control)
    _measure(table, measure)
    value_col, rel_col = (
        ("volume_mm3", "rtv") if measure == "volume" else ("total_flux_p_s", "relative_flux")
    )
    d = _default_day(table, rel_col, ctrl) if day is None else _check_day(table, day)
    f = _frame(table)
    missing: list[str] = []
    per_group: dict[str, dict[str, Any]] = {}
    baseline = _baseline_values(table, f, value_col)
    for g in _order(table, ctrl):
        rows = f[f["group"] == g]
        at_day = rows[rows["day"] == d]
        rel_of = dict(zip(at_day["animal_id"], at_day[rel_col].to_numpy(dtype=float), strict=True))
        value_of = dict(
            zip(at_day["animal_id"], at_day[value_col].to_numpy(dtype=float), strict=True)
        )
        animals = list(dict.fromkeys(rows["animal_id"]))
        base_vals: list[float] = []
        day_vals: list[float] = []
        rel: list[float] = []
        for a in animals:
            if not np.isfinite(rel_of.get(a, math.nan)):
                fate = next(x for x in table.animals if x.animal_id == a)
                why = (
                    f"{fate.status} on day {fate.last_day:g}"
                    + (f" ({fate.reason})" if fate.reason else "")
                    if fate.last_day < d
                    else "not measured"
                )
                missing.append(f"{g}: animal {a} has no value on day {d:g} ({why})")
                continue
            rel.append(float(rel_of[a]))
            day_vals.append(float(value_of[a]))
            base_vals.append(baseline[a])
        per_group[g] = _relative_summary(base_vals, day_vals, rel)
    c = per_group[ctrl]
    if c["n"] == 0:
        raise InputError(
            f"the control {quote(ctrl)} has no {measure} relative to baseline on day {d:g}",
            file=table.source,
            field="day",
        )
    results = []
    for g in _order(table, ctrl):
        t = per_group[g]
        tc_mean = _pct(t["mean"], c["mean"])
        tc_median = _pct(t["median"], c["median"])
        delta = 100 - _pct(t["day"] - t["base"], c["day"] - c["base"])
        results.append(
            GroupTgi(
                group=g,
                day=d,
                n=int(t["n"]),
                mean_baseline=t["base"],
                mean_day=t["day"],
                mean_relative=t["mean"],
                median_relative=t["median"],
                tgi_delta_pct=delta,
                tgi_rtv_pct=100 - tc_mean,
                tc_mean_pct=tc_mean,
                tc_median_pct=tc_median,
                tc_geometric_pct=100 * 10 ** (t["log_mean"] - c["log_mean"]),
                nci_active=None
                if g == ctrl or math.isnan(tc_median)
                else bool(tc_median <= NCI_ACTIVE_TC_PCT),
            )
        )
    return TgiResult(
        measure=measure,
        unit="mm^3" if measure == "volume" else "p/s",
        day=d,
        baseline_day=table.baseline_day,
        control=ctrl,
        groups=tuple(results),
        missing=tuple(missing),
    )


def tgi_by_day(
    table: AnimalTable, *, measure: Measure = "volume", control: str | None = None
) -> tuple[TgiResult, ...]:
    """:func:`tgi` on every day after the baseline where the control has a value."""
    ctrl = _control(table, control)
    _measure(table, measure)
    rel_col = "rtv" if measure == "volume" else "relative_flux"
    f = _frame(table)
    base = table.baseline_day if table.baseline_day is not None else min(table.days)
    days = sorted(
        {float(d) for d in f.loc[(f["group"] == ctrl) & f[rel_col].notna(), "day"] if d > base}
    )
    return tuple(tgi(table, d, measure=measure, control=ctrl) for d in days)


# --- per-day comparisons ------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison(Serial):
    """``group`` against ``reference`` on one day, on the response scale.

    ``difference`` = mean - mean_reference with its Welch CI; for a log10 response ``ratio`` =
    10^difference (ratio of geometric means) with its CI. ``p_adjusted`` is Dunnett's p
    (many-to-one, pooled variance) or Holm's adjustment of the Welch p, per ``adjustment``.
    """

    group: str
    reference: str
    day: float
    response: str
    n: int
    n_reference: int
    mean: float
    mean_reference: float
    difference: float
    ci_lower: float
    ci_upper: float
    ratio: float | None
    ratio_lower: float | None
    ratio_upper: float | None
    welch_t: float
    welch_df: float
    welch_p: float
    mann_whitney_u: float
    mann_whitney_p: float
    mann_whitney_method: str
    p_adjusted: float
    adjustment: str


@dataclass(frozen=True)
class DayComparisons(Serial):
    """All comparisons on one day: one-way ANOVA over the groups, then each pair."""

    day: float
    response: Response
    unit: str
    control: str
    anova_f: float
    anova_p: float
    comparisons: tuple[Comparison, ...]
    adjustment: Adjustment
    conf_level: float = 0.95
    flags: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """One row per comparison: means, difference (and ratio) with CI, p-values."""
        level = f"{self.conf_level:.0%}"
        rows = []
        for c in self.comparisons:
            rows.append(
                {
                    "group": c.group,
                    "reference": c.reference,
                    "day": c.day,
                    "n": c.n,
                    "n reference": c.n_reference,
                    f"mean ({self.unit})": c.mean,
                    f"mean reference ({self.unit})": c.mean_reference,
                    f"difference ({self.unit})": c.difference,
                    f"difference {level} CI": f"{c.ci_lower:.4g} to {c.ci_upper:.4g}",
                    "ratio": c.ratio,
                    f"ratio {level} CI": (
                        f"{c.ratio_lower:.4g} to {c.ratio_upper:.4g}"
                        if c.ratio_lower is not None
                        else ""
                    ),
                    "Welch p": c.welch_p,
                    "Mann-Whitney p": c.mann_whitney_p,
                    "p adjusted": c.p_adjusted,
                    "adjustment": c.adjustment,
                }
            )
        return pd.DataFrame(rows)


def compare_groups(
    table: AnimalTable,
    day: float | None = None,
    *,
    response: Response = "log_volume",
    control: str | None = None,
    pairs: Sequence[tuple[str, str]] = (),
    adjustment: Adjustment = "dunnett",
    conf_level: float = 0.95,
    seed: int = 0,
) -> DayComparisons:
    """Each group against the control (and the named ``pairs``) on ``day`` (default: the last
    day with two or more values in every group) on ``response`` (one of :data:`RESPONSES`).

    ``adjustment="dunnett"``: the comparisons with the control take Dunnett's p
    (:func:`scipy.stats.dunnett`, its multivariate-t integral seeded by ``seed``), the named
    pairs Holm's adjustment among themselves; ``"holm"``: Holm over all the day's comparisons;
    ``"none"``: the Welch p. Differences and CIs are Welch's in every case.
    """
    if response not in RESPONSES:
        raise InputError(
            f"response must be one of {', '.join(RESPONSES)}, got {quote(response)}",
            file=table.source,
            field="response",
        )
    if adjustment not in get_args(Adjustment):
        raise InputError(
            f"adjustment must be dunnett, holm or none, got {quote(adjustment)}",
            file=table.source,
            field="adjustment",
        )
    if not (isinstance(conf_level, float) and 0 < conf_level < 1):
        raise InputError(f"conf_level must be in (0, 1), got {conf_level!r}", field="conf_level")
    _measure(table, "flux" if "flux" in response else "volume")
    ctrl = _control(table, control)
    d = _default_day(table, response, ctrl) if day is None else _check_day(table, day)
    f = _frame(table)
    on_day = f[f["day"] == d]
    values = {
        g: on_day.loc[on_day["group"] == g, response].dropna().to_numpy(dtype=float)
        for g in _order(table, ctrl)
    }
    flags = [
        f"group {g} has {len(v)} value(s) on day {d:g}" for g, v in values.items() if len(v) < 2
    ]
    usable = [g for g, v in values.items() if len(v) >= 2]
    if ctrl not in usable:
        raise InputError(
            f"the control {quote(ctrl)} has fewer than two values on day {d:g}",
            file=table.source,
            field="day",
        )
    anova_f, anova_p = anova_test([values[g] for g in usable])
    family = [(g, r) for g, r in _pairs(table, ctrl, pairs) if g in usable and r in usable]
    dunnett_p: dict[str, float] = {}
    treated = [g for g, r in family if r == ctrl]
    if adjustment == "dunnett" and treated:
        res = dunnett_test([values[g] for g in treated], values[ctrl], seed=seed)
        p_values = res[0] if res is not None else [math.nan] * len(treated)
        dunnett_p = dict(zip(treated, p_values, strict=True))
    rows: list[dict[str, Any]] = []
    log = response.startswith("log")
    for g, ref in family:
        x, y = values[g], values[ref]
        t, df, p, lo, hi = welch_test(x, y, conf_level)
        if math.isnan(p):
            flags.append(f"{g} vs {ref}: every value is the same in both groups; no test")
        u, p_mw, how = mann_whitney_test(x, y)
        diff = float(np.mean(x) - np.mean(y))
        rows.append(
            {
                "group": g,
                "reference": ref,
                "day": d,
                "response": response,
                "n": len(x),
                "n_reference": len(y),
                "mean": float(np.mean(x)),
                "mean_reference": float(np.mean(y)),
                "difference": diff,
                "ci_lower": lo,
                "ci_upper": hi,
                "ratio": 10**diff if log else None,
                "ratio_lower": 10**lo if log else None,
                "ratio_upper": 10**hi if log else None,
                "welch_t": t,
                "welch_df": df,
                "welch_p": p,
                "mann_whitney_u": u,
                "mann_whitney_p": p_mw,
                "mann_whitney_method": how,
            }
        )
    if adjustment == "holm":
        for r, p in zip(rows, holm_adjust([r["welch_p"] for r in rows]), strict=True):
            r["p_adjusted"], r["adjustment"] = p, "Holm"
    elif adjustment == "dunnett":
        others = [r for r in rows if r["reference"] != ctrl]
        for r, p in zip(others, holm_adjust([r["welch_p"] for r in others]), strict=True):
            r["p_adjusted"], r["adjustment"] = p, "Holm (pairs)"
        for r in rows:
            if r["reference"] == ctrl:
                r["p_adjusted"], r["adjustment"] = dunnett_p[r["group"]], "Dunnett"
    else:
        for r in rows:
            r["p_adjusted"], r["adjustment"] = r["welch_p"], "none"
    return DayComparisons(
        day=d,
        response=response,
        unit=_RESPONSE_TEXT[response][1],
        control=ctrl,
        anova_f=anova_f,
        anova_p=anova_p,
        comparisons=tuple(Comparison(**r) for r in rows),
        adjustment=adjustment,
        conf_level=conf_level,
        flags=tuple(flags),
    )


# --- time to endpoint ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnimalEvent(Serial):
    """One animal's time to endpoint (d from its baseline): an event, or censored, and why."""

    animal_id: str
    group: str
    time: float
    event: bool
    cause: str


@dataclass(frozen=True)
class GroupSurvival(Serial):
    """Kaplan-Meier summary of one group: median time to endpoint (d) with its CI (lifelines'
    exponential Greenwood band, R's ``conf.type = "log-log"``); ``None``: not reached."""

    group: str
    n: int
    events: int
    median: float | None
    median_lower: float | None
    median_upper: float | None


@dataclass(frozen=True)
class LogRank(Serial):
    """A log-rank test: of ``group`` against ``reference``, or of all groups (``group`` =
    "all"); ``p_holm`` over the pairwise tests."""

    group: str
    reference: str
    chisq: float
    df: int
    p: float
    p_holm: float | None = None


@dataclass(frozen=True)
class TimeToEndpoint(Serial):
    """Time to endpoint by group: ``definition`` says what an event is; times in d."""

    definition: str
    control: str
    animals: tuple[AnimalEvent, ...]
    groups: tuple[GroupSurvival, ...]
    overall: LogRank | None
    pairwise: tuple[LogRank, ...]
    conf_level: float = 0.95

    def summary(self) -> pd.DataFrame:
        """One row per group: animals, events, median (d) with CI, log-rank p vs control."""
        vs = {t.group: t for t in self.pairwise if t.reference == self.control}
        level = f"{self.conf_level:.0%}"
        return pd.DataFrame(
            [
                {
                    "group": g.group,
                    "n": g.n,
                    "events": g.events,
                    "median (d)": g.median,
                    f"median lower {level} (d)": g.median_lower,
                    f"median upper {level} (d)": g.median_upper,
                    "log-rank p vs control": vs[g.group].p if g.group in vs else None,
                    "log-rank p (Holm)": vs[g.group].p_holm if g.group in vs else None,
                }
                for g in self.groups
            ]
        )


def _km_median(times: FloatArray, curve: FloatArray) -> float | None:
    """R's median of a step curve: the first time it is <= 0.5, or the midpoint to the next
    time where it sits exactly at 0.5 (survfit's rule)."""
    hit = np.flatnonzero(curve <= 0.5 + 1e-12)
    if len(hit) == 0:
        return None
    i = int(hit[0])
    if abs(curve[i] - 0.5) < 1e-12 and i + 1 < len(times):
        return float((times[i] + times[i + 1]) / 2)
    return float(times[i])


def _km(group: str, t: FloatArray, e: NDArray[np.bool_], alpha: float) -> GroupSurvival:
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter(alpha=alpha).fit(t, e, label=group)
    sf = kmf.survival_function_.iloc[:, 0]
    times = sf.index.to_numpy(dtype=float)
    # R reports no band where S = 0 (log(-log 0) is undefined); lifelines reports 0 there.
    band = kmf.confidence_interval_
    ci = band.where(np.repeat((sf.to_numpy() > 0)[:, None], band.shape[1], axis=1))
    event_times = np.unique(t[e])
    keep = np.isin(times, event_times)  # R's median steps at event times only
    return GroupSurvival(
        group=group,
        n=len(t),
        events=int(e.sum()),
        median=_km_median(times[keep], sf.to_numpy()[keep]) if keep.any() else None,
        median_lower=_km_median(times[keep], ci.iloc[:, 0].to_numpy()[keep])
        if keep.any()
        else None,
        median_upper=_km_median(times[keep], ci.iloc[:, 1].to_numpy()[keep])
        if keep.any()
        else None,
    )


def time_to_endpoint(
    table: AnimalTable,
    *,
    volume_mm3: float | None = None,
    rtv: float | None = None,
    total_flux_p_s: float | None = None,
    humane: bool = True,
    deaths: Literal["event", "censor"] = "event",
    control: str | None = None,
    conf_level: float = 0.95,
) -> TimeToEndpoint:
    """Time (d from each animal's baseline) to the first day with volume >= ``volume_mm3``,
    RTV >= ``rtv`` (4: quadrupling) or total flux >= ``total_flux_p_s``, or a humane endpoint
    (``humane``), or death/euthanasia (``deaths="event"``; ``"censor"`` censors them).
    Dropouts and animals alive at their last measurement are censored there, with the reason.
    Kaplan-Meier medians (lifelines, R's median rule) and log-rank tests: all groups, and
    each pair against the control with Holm's adjustment."""
    from lifelines.statistics import logrank_test, multivariate_logrank_test

    ctrl = _control(table, control)
    if deaths not in ("event", "censor"):
        raise InputError(f"deaths must be 'event' or 'censor', got {quote(deaths)}", field="deaths")
    for what, v in (("volume_mm3", volume_mm3), ("rtv", rtv), ("total_flux_p_s", total_flux_p_s)):
        if v is not None and not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            raise InputError(f"{what} threshold must be > 0, got {quote(v)}", field=what)
    nothing = volume_mm3 is None and rtv is None and total_flux_p_s is None and not humane
    if nothing and deaths == "censor":
        raise InputError(
            "no endpoint: give a volume, RTV or flux threshold, or count humane endpoints "
            "or deaths",
            field="endpoint",
        )
    parts = []
    if volume_mm3 is not None:
        parts.append(f"tumour volume >= {volume_mm3:g} mm^3")
    if rtv is not None:
        parts.append(f"RTV >= {rtv:g}")
    if total_flux_p_s is not None:
        parts.append(f"total flux >= {total_flux_p_s:.3g} p/s")
    if humane:
        parts.append("a humane endpoint")
    if deaths == "event":
        parts.append("death or euthanasia")
    definition = "first day with " + " or ".join(parts) + " (d from baseline)"
    f = _frame(table)
    events: list[AnimalEvent] = []
    for fate in table.animals:
        origin = table.baseline_day if table.baseline_day is not None else fate.first_day
        rows = f[(f["animal_id"] == fate.animal_id) & (f["day"] >= origin)].sort_values("day")
        hit: tuple[float, str] | None = None
        for _, r in rows.iterrows():
            causes = []
            if volume_mm3 is not None and r["volume_mm3"] >= volume_mm3:
                causes.append(f"volume {r['volume_mm3']:.4g} mm^3")
            if rtv is not None and r["rtv"] >= rtv:
                causes.append(f"RTV {r['rtv']:.3g}")
            if total_flux_p_s is not None and r["total_flux_p_s"] >= total_flux_p_s:
                causes.append(f"flux {r['total_flux_p_s']:.3g} p/s")
            if humane and r["humane"]:
                causes.append(f"humane endpoint: {r['humane']}")
            if causes:
                hit = (float(r["day"]), "; ".join(causes))
                break
        if hit is None and deaths == "event" and fate.status in ("dead", "euthanised"):
            hit = (fate.last_day, fate.status + (f" ({fate.reason})" if fate.reason else ""))
        if hit is not None:
            events.append(AnimalEvent(fate.animal_id, fate.group, hit[0] - origin, True, hit[1]))
            continue
        if fate.status == "alive":
            cause = "censored: alive at last measurement"
        else:
            cause = f"censored: {fate.status}" + (f" ({fate.reason})" if fate.reason else "")
        events.append(AnimalEvent(fate.animal_id, fate.group, fate.last_day - origin, False, cause))
    alpha = 1 - conf_level
    groups: list[GroupSurvival] = []
    data: dict[str, tuple[FloatArray, NDArray[np.bool_]]] = {}
    for g in _order(table, ctrl):
        mine = [e for e in events if e.group == g]
        t = np.array([e.time for e in mine], dtype=float)
        ev = np.array([e.event for e in mine], dtype=bool)
        data[g] = (t, ev)
        groups.append(_km(g, t, ev, alpha))
    overall = None
    if len(data) > 1:
        all_t = np.concatenate([v[0] for v in data.values()])
        all_e = np.concatenate([v[1] for v in data.values()])
        labels = np.concatenate([[g] * len(v[0]) for g, v in data.items()])
        if all_e.any():
            res = multivariate_logrank_test(all_t, labels, all_e)
            overall = LogRank(
                "all",
                "",
                float(res.test_statistic),
                int(res.degrees_of_freedom),
                float(res.p_value),
            )
    pairwise_raw = []
    for g in _order(table, ctrl)[1:]:
        (ta, ea), (tb, eb) = data[g], data[ctrl]
        if not (ea.any() or eb.any()):
            pairwise_raw.append((g, math.nan, math.nan))
            continue
        res = logrank_test(ta, tb, ea, eb)
        pairwise_raw.append((g, float(res.test_statistic), float(res.p_value)))
    holm = holm_adjust([p for _, _, p in pairwise_raw])
    pairwise = tuple(
        LogRank(g, ctrl, chi, 1, p, None if math.isnan(ph) else ph)  # undefined: None, as stored
        for (g, chi, p), ph in zip(pairwise_raw, holm, strict=True)
    )
    return TimeToEndpoint(
        definition=definition,
        control=ctrl,
        animals=tuple(events),
        groups=tuple(groups),
        overall=overall,
        pairwise=pairwise,
        conf_level=conf_level,
    )


# --- AUC of log volume --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnimalAuc(Serial):
    """One animal's area of ``log10 X(t) - log10 X(t0)`` (log10 x d) from ``first_day`` to
    ``last_day`` by the trapezoid rule, and ``adjusted_auc`` = auc / (last_day - first_day)
    (log10: the mean log10 relative value over the animal's follow-up)."""

    animal_id: str
    group: str
    first_day: float
    last_day: float
    n_points: int
    auc: float
    adjusted_auc: float


@dataclass(frozen=True)
class AucComparison(Serial):
    """Adjusted AUC of ``group`` against ``reference``: means (log10), Welch difference with
    CI, Welch and Mann-Whitney p, Holm over the comparisons, and the ratio of means T/C with
    its bootstrap CI."""

    group: str
    reference: str
    n: int
    n_reference: int
    mean: float
    mean_reference: float
    difference: float
    ci_lower: float
    ci_upper: float
    welch_p: float
    mann_whitney_p: float
    p_holm: float
    ratio: float
    ratio_lower: float
    ratio_upper: float


@dataclass(frozen=True)
class AucResult(Serial):
    """Per-animal adjusted AUCs of log10 ``measure`` and the group comparisons."""

    measure: Measure
    end_day: float
    control: str
    animals: tuple[AnimalAuc, ...]
    comparisons: tuple[AucComparison, ...]
    excluded: tuple[str, ...] = ()
    conf_level: float = 0.95
    bootstrap: str = ""

    def summary(self) -> pd.DataFrame:
        """One row per comparison (adjusted AUC in log10 units, ratio unitless)."""
        level = f"{self.conf_level:.0%}"
        return pd.DataFrame(
            [
                {
                    "group": c.group,
                    "reference": c.reference,
                    "n": c.n,
                    "n reference": c.n_reference,
                    "mean aAUC (log10)": c.mean,
                    "mean aAUC reference (log10)": c.mean_reference,
                    "difference (log10)": c.difference,
                    f"difference {level} CI": f"{c.ci_lower:.4g} to {c.ci_upper:.4g}",
                    "aAUC ratio T/C": c.ratio,
                    f"ratio {level} CI (bootstrap)": f"{c.ratio_lower:.4g} to {c.ratio_upper:.4g}",
                    "Welch p": c.welch_p,
                    "Mann-Whitney p": c.mann_whitney_p,
                    "p (Holm)": c.p_holm,
                }
                for c in self.comparisons
            ]
        )

    def animal_table(self) -> pd.DataFrame:
        """One row per animal: days, points, AUC (log10 x d) and adjusted AUC (log10)."""
        return pd.DataFrame(
            [
                {
                    "animal_id": a.animal_id,
                    "group": a.group,
                    "first day": a.first_day,
                    "last day": a.last_day,
                    "points": a.n_points,
                    "AUC (log10 x d)": a.auc,
                    "adjusted AUC (log10)": a.adjusted_auc,
                }
                for a in self.animals
            ]
        )


def _ratio_of_means(x: FloatArray, y: FloatArray, axis: int = -1) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean(x, axis=axis) / np.mean(y, axis=axis)


def _bootstrap_ratio(
    x: FloatArray, y: FloatArray, n_resamples: int, conf_level: float, rng: np.random.Generator
) -> tuple[float, float, float]:
    """mean(x) / mean(y) and its stratified BCa bootstrap CI; NaN where undefined (a zero
    mean of ``y``, or resamples too alike for BCa)."""
    if np.mean(y) == 0:
        return math.nan, math.nan, math.nan
    ratio = float(np.mean(x) / np.mean(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)  # inf/NaN resamples
        boot = stats.bootstrap(
            (x, y),
            _ratio_of_means,
            vectorized=True,
            n_resamples=n_resamples,
            confidence_level=conf_level,
            method="BCa",
            rng=rng,
        )
    lo, hi = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ratio, math.nan, math.nan
    return ratio, lo, hi


def auc_comparison(
    table: AnimalTable,
    *,
    measure: Measure = "volume",
    end_day: float | None = None,
    control: str | None = None,
    pairs: Sequence[tuple[str, str]] = (),
    conf_level: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
) -> AucResult:
    """Adjusted AUC of log10 volume (or flux) per animal up to ``end_day`` (default: the last
    day) and its comparison between groups (see the module docstring).

    Animals with fewer than two measurements up to ``end_day`` have no AUC (listed in
    ``excluded`` with the reason). The bootstrap resamples animals within each group
    (``n_resamples``, seeded by ``seed``)."""
    ctrl = _control(table, control)
    _measure(table, measure)
    log_col = "log10_volume" if measure == "volume" else "log10_flux"
    last = max(table.days) if end_day is None else _check_day(table, end_day)
    if not (isinstance(n_resamples, int) and 99 <= n_resamples <= 1_000_000):
        raise InputError(f"n_resamples must be 99 to 1e6, got {n_resamples!r}", field="n_resamples")
    f = _frame(table)
    animals: list[AnimalAuc] = []
    excluded: list[str] = []
    for fate in table.animals:
        rows = f[(f["animal_id"] == fate.animal_id) & (f["day"] <= last)].dropna(subset=[log_col])
        rows = rows.sort_values("day")
        if len(rows) < 2:
            excluded.append(f"animal {fate.animal_id} ({fate.group}): {len(rows)} measurement(s)")
            continue
        x = rows["day"].to_numpy(dtype=float)
        y = rows[log_col].to_numpy(dtype=float)
        area = float(integrate.trapezoid(y - y[0], x))
        animals.append(
            AnimalAuc(
                animal_id=fate.animal_id,
                group=fate.group,
                first_day=float(x[0]),
                last_day=float(x[-1]),
                n_points=len(x),
                auc=area,
                adjusted_auc=area / float(x[-1] - x[0]),
            )
        )
    by_group = {
        g: np.array([a.adjusted_auc for a in animals if a.group == g], dtype=float)
        for g in _order(table, ctrl)
    }
    rows_out: list[dict[str, Any]] = []
    rng = np.random.default_rng(seed)
    for g, ref in _pairs(table, ctrl, pairs):
        x, y = by_group[g], by_group[ref]
        if len(x) < 2 or len(y) < 2:
            excluded.append(f"{g} vs {ref}: fewer than two animals with an AUC")
            continue
        _, _, p, lo, hi = welch_test(x, y, conf_level)
        _, p_mw, _ = mann_whitney_test(x, y)
        ratio, ratio_lo, ratio_hi = _bootstrap_ratio(x, y, n_resamples, conf_level, rng)
        if math.isnan(ratio_lo):
            excluded.append(f"{g} vs {ref}: no bootstrap CI of the aAUC ratio (degenerate)")
        rows_out.append(
            {
                "group": g,
                "reference": ref,
                "n": len(x),
                "n_reference": len(y),
                "mean": float(np.mean(x)),
                "mean_reference": float(np.mean(y)),
                "difference": float(np.mean(x) - np.mean(y)),
                "ci_lower": lo,
                "ci_upper": hi,
                "welch_p": p,
                "mann_whitney_p": p_mw,
                "ratio": ratio,
                "ratio_lower": ratio_lo,
                "ratio_upper": ratio_hi,
            }
        )
    for r, p in zip(rows_out, holm_adjust([r["welch_p"] for r in rows_out]), strict=True):
        r["p_holm"] = p
    return AucResult(
        measure=measure,
        end_day=last,
        control=ctrl,
        animals=tuple(animals),
        comparisons=tuple(AucComparison(**r) for r in rows_out),
        excluded=tuple(excluded),
        conf_level=conf_level,
        bootstrap=f"BCa, {n_resamples} stratified resamples (scipy.stats.bootstrap), seed {seed}",
    )


# --- everything ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EfficacyResult(Serial):
    """The efficacy analysis of one study (see :func:`analyse_efficacy`)."""

    source: str
    control: str
    day: float
    caliper_formula: str
    tgi: tuple[TgiResult, ...]
    flux_tgi: tuple[TgiResult, ...]
    comparisons: DayComparisons | None
    flux_comparisons: DayComparisons | None
    time_to_endpoint: TimeToEndpoint | None
    auc: AucResult | None
    flags: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """One row per group on ``day``: volume TGI/T-C, flux T/C and the adjusted p-values."""
        rows: dict[str, dict[str, Any]] = {}
        for res, prefix in ((self.tgi, ""), (self.flux_tgi, "flux ")):
            at = next((r for r in res if r.day == self.day), None)
            if at is None:
                continue
            for g in at.groups:
                row = rows.setdefault(g.group, {"group": g.group, "day": self.day})
                row[f"{prefix}n"] = g.n
                if not prefix:
                    row["TGI delta (%)"] = g.tgi_delta_pct
                row[f"{prefix}TGI RTV (%)"] = g.tgi_rtv_pct
                row[f"{prefix}T/C median (%)"] = g.tc_median_pct
                row[f"{prefix}T/C geometric (%)"] = g.tc_geometric_pct
                row[f"{prefix}NCI active"] = g.nci_active
        for comp, prefix in ((self.comparisons, ""), (self.flux_comparisons, "flux ")):
            if comp is None:
                continue
            for c in comp.comparisons:
                if c.reference == self.control and c.group in rows:
                    rows[c.group][f"{prefix}p vs control ({c.adjustment})"] = c.p_adjusted
        return pd.DataFrame(list(rows.values()))


def analyse_efficacy(
    table: AnimalTable,
    *,
    day: float | None = None,
    control: str | None = None,
    pairs: Sequence[tuple[str, str]] = (),
    response: Response = "log_volume",
    adjustment: Adjustment = "dunnett",
    endpoint_volume_mm3: float | None = None,
    endpoint_rtv: float | None = None,
    endpoint_flux_p_s: float | None = None,
    conf_level: float = 0.95,
    seed: int = 0,
) -> EfficacyResult:
    """TGI and T/C on every day, comparisons on ``day`` (volume, and log10 flux when the table
    has flux), time to endpoint (the thresholds given, humane endpoints, deaths) and the
    adjusted-AUC comparison up to ``day``, for a volume or a flux study alike."""
    ctrl = _control(table, control)
    has_volume = "volume_mm3" in table.measures or "length_mm" in table.measures
    has_flux = "total_flux_p_s" in table.measures
    if not (has_volume or has_flux):
        raise InputError("the table has neither tumour volume nor flux", file=table.source)
    has_volume = has_volume and table.burden != "total_flux_p_s"  # BLI chosen as the burden
    primary: Measure = "volume" if has_volume else "flux"
    rel = "rtv" if has_volume else "relative_flux"
    d = _default_day(table, rel, ctrl) if day is None else _check_day(table, day)
    if not has_volume and response in ("log_volume", "volume", "rtv", "log_rtv"):
        response = "log_flux"
    comparisons = compare_groups(
        table,
        d,
        response=response,
        control=ctrl,
        pairs=pairs,
        adjustment=adjustment,
        conf_level=conf_level,
        seed=seed,
    )
    flux_comparisons = (
        compare_groups(
            table,
            d,
            response="log_flux",
            control=ctrl,
            pairs=pairs,
            adjustment=adjustment,
            conf_level=conf_level,
            seed=seed,
        )
        if has_flux and has_volume
        else None
    )
    tte = time_to_endpoint(
        table,
        volume_mm3=endpoint_volume_mm3,
        rtv=endpoint_rtv,
        total_flux_p_s=endpoint_flux_p_s,
        control=ctrl,
        conf_level=conf_level,
    )
    auc = auc_comparison(
        table,
        measure=primary,
        end_day=d,
        control=ctrl,
        pairs=pairs,
        conf_level=conf_level,
        seed=seed,
    )
    return EfficacyResult(
        source=table.source,
        control=ctrl,
        day=d,
        caliper_formula=table.formula_text if "length_mm" in table.measures else "",
        tgi=tgi_by_day(table, control=ctrl) if has_volume else (),
        flux_tgi=tgi_by_day(table, measure="flux", control=ctrl) if has_flux else (),
        comparisons=comparisons,
        flux_comparisons=flux_comparisons,
        time_to_endpoint=tte,
        auc=auc,
        flags=table.flags,
    )
