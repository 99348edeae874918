"""Response rates: ORR and CBR with exact CIs, Fisher and CMH tests, count reconstruction.

ORR = (CR + PR) / n; CBR = (CR + PR + SD lasting >= ``cbr_days``, default 24 weeks) / n, with
Clopper-Pearson ("exact") CIs as R's ``binom.test``. Two arms are compared by Fisher's exact test
with the conditional maximum-likelihood odds ratio and its exact CI (as R's ``fisher.test``);
across strata by the Cochran-Mantel-Haenszel test (as R's ``mantelhaen.test``, continuity
corrected) with the Mantel-Haenszel common odds ratio. The ORR difference between the first two
arms has a Miettinen-Nurminen score CI (default) or Newcombe's hybrid score CI
(:func:`rate_difference_ci`).

>>> [round(x, 4) for x in clopper_pearson(7, 20)]
[0.1539, 0.5922]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.clinical.recist import RecistSettings, SubjectRecist, best_overall_response
from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial, stored

__all__ = [
    "DIFFERENCE_METHODS",
    "ArmResponse",
    "CmhTest",
    "CountCandidate",
    "FisherTest",
    "RateDifference",
    "ResponseResult",
    "SubjectResponse",
    "clopper_pearson",
    "cmh_test",
    "counts_for_percentage",
    "fisher_test",
    "miettinen_nurminen",
    "rate_difference",
    "rate_difference_ci",
    "reconstruct_counts",
    "response_rates",
]

DifferenceMethod = Literal["miettinen-nurminen", "newcombe"]
DIFFERENCE_METHODS: tuple[DifferenceMethod, ...] = ("miettinen-nurminen", "newcombe")
"""CI methods of a difference of two proportions: the Miettinen-Nurminen score interval and
Newcombe's hybrid score (Wilson) interval (Newcombe 1998, methods 6 and 10)."""


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) CI of a proportion k/n, as R's ``binom.test``."""
    from scipy.stats import binomtest

    if n <= 0 or not 0 <= k <= n:
        raise InputError(f"need 0 <= k <= n and n > 0, got {k}/{n}", field="counts")
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def _restricted_mle(x1: int, n1: int, x2: int, n2: int, delta: float) -> tuple[float, float]:
    """The maximum-likelihood (p1, p2) under p1 - p2 = ``delta``: the root of Miettinen and
    Nurminen's cubic (1985, Appendix; the trigonometric solution of Farrington and Manning)."""
    p1, p2 = x1 / n1, x2 / n2
    theta = n2 / n1
    a = 1.0 + theta
    b = -(1.0 + theta + p1 + theta * p2 + delta * (theta + 2.0))
    c = delta**2 + delta * (2.0 * p1 + theta + 1.0) + p1 + theta * p2
    d = -p1 * delta * (1.0 + delta)
    v = b**3 / (27.0 * a**3) - b * c / (6.0 * a**2) + d / (2.0 * a)
    u = math.copysign(math.sqrt(max(b**2 / (9.0 * a**2) - c / (3.0 * a), 0.0)), v)
    if u == 0.0:
        r1 = -b / (3.0 * a)
    else:
        w = (math.pi + math.acos(max(-1.0, min(1.0, v / u**3)))) / 3.0
        r1 = 2.0 * u * math.cos(w) - b / (3.0 * a)
    r1 = min(max(r1, 0.0), 1.0)
    return r1, min(max(r1 - delta, 0.0), 1.0)


def miettinen_nurminen(
    x1: int, n1: int, x2: int, n2: int, level: float = 0.95
) -> tuple[float, float]:
    """Miettinen-Nurminen score CI of p1 - p2 (1985): the differences ``delta`` whose score
    statistic ``(p1 - p2 - delta)^2 / V(delta)`` is within the chi-square quantile, with the
    restricted-MLE variance ``V`` times ``N / (N - 1)``; found by bisection to 1e-13.

    Written here because statsmodels' ``confint_proportions_2indep(method="score")`` uses a
    wrong coefficient in the restricted MLE for a non-zero difference (statsmodels issue
    #10269, open in 0.15): it gives 0.0526-0.3440 for Newcombe's 56/70 vs 48/80, whose
    published MN interval is 0.0528-0.3382.

    >>> [round(x, 4) for x in miettinen_nurminen(56, 70, 48, 80)]
    [0.0528, 0.3382]
    """
    from scipy.stats import chi2

    _check_counts(x1, n1, x2, n2)
    crit = float(chi2.ppf(level, 1))
    estimate = x1 / n1 - x2 / n2
    scale = (n1 + n2) / (n1 + n2 - 1)

    def inside(delta: float) -> bool:
        r1, r2 = _restricted_mle(x1, n1, x2, n2, delta)
        variance = (r1 * (1 - r1) / n1 + r2 * (1 - r2) / n2) * scale
        return (estimate - delta) ** 2 <= crit * variance

    def bound(end: float) -> float:
        if inside(end):
            return end
        near, far = estimate, end
        while abs(far - near) > 1e-13:
            mid = (near + far) / 2
            near, far = (mid, far) if inside(mid) else (near, mid)
        return (near + far) / 2

    return bound(-1.0), bound(1.0)


def _check_counts(x1: int, n1: int, x2: int, n2: int) -> None:
    if n1 <= 0 or n2 <= 0 or not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        raise InputError(f"need 0 <= k <= n and n > 0, got {x1}/{n1} and {x2}/{n2}", field="counts")


def rate_difference_ci(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    method: DifferenceMethod = "miettinen-nurminen",
    level: float = 0.95,
) -> tuple[float, float]:
    """CI of the difference of two proportions x1/n1 - x2/n2: ``"miettinen-nurminen"``
    (:func:`miettinen_nurminen`) or ``"newcombe"`` (hybrid score: Wilson intervals squared and
    added, Newcombe 1998 method 10, through statsmodels ``confint_proportions_2indep``).

    >>> [round(x, 4) for x in rate_difference_ci(56, 70, 48, 80, method="newcombe")]
    [0.0524, 0.3339]
    """
    if method == "miettinen-nurminen":
        return miettinen_nurminen(x1, n1, x2, n2, level)
    if method != "newcombe":
        raise InputError(
            f"unknown CI method {quote(method)} ({', '.join(DIFFERENCE_METHODS)})",
            field="difference_ci",
        )
    from statsmodels.stats.proportion import confint_proportions_2indep

    _check_counts(x1, n1, x2, n2)
    lo, hi = confint_proportions_2indep(
        x1, n1, x2, n2, method="newcomb", compare="diff", alpha=1 - level
    )
    return float(lo), float(hi)


@dataclass(frozen=True)
class RateDifference:
    """The difference of two arms' rates (``arm_a`` - ``arm_b``, as fractions) with its CI."""

    measure: str
    arm_a: str
    arm_b: str
    k_a: int
    n_a: int
    k_b: int
    n_b: int
    difference: float
    lower: float
    upper: float
    method: DifferenceMethod
    level: float = 0.95


def rate_difference(
    measure: str,
    a: tuple[str, int, int],
    b: tuple[str, int, int],
    *,
    method: DifferenceMethod = "miettinen-nurminen",
    level: float = 0.95,
) -> RateDifference:
    """``measure`` (e.g. "ORR") of arm ``a`` minus arm ``b``, each (name, responders, n)."""
    (arm_a, k_a, n_a), (arm_b, k_b, n_b) = a, b
    lo, hi = rate_difference_ci(k_a, n_a, k_b, n_b, method=method, level=level)
    return RateDifference(
        measure, arm_a, arm_b, k_a, n_a, k_b, n_b, k_a / n_a - k_b / n_b, lo, hi, method, level
    )


@dataclass(frozen=True)
class FisherTest(Serial):
    """Fisher's exact test of a 2x2 table [[a responders, a non], [b responders, b non]]."""

    table: tuple[tuple[int, int], tuple[int, int]]
    p_value: float
    odds_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    level: float = 0.95


def fisher_test(table: Sequence[Sequence[int]], level: float = 0.95) -> FisherTest:
    """Two-sided Fisher test; conditional MLE odds ratio and exact CI as R's ``fisher.test``.

    >>> round(fisher_test([[3, 1], [1, 3]]).p_value, 4)
    0.4857
    """
    from scipy.stats import fisher_exact
    from scipy.stats.contingency import odds_ratio

    t = np.asarray(table, dtype=int)
    if t.shape != (2, 2) or (t < 0).any():
        raise InputError("need a 2x2 table of counts >= 0", field="table")
    p = float(fisher_exact(t)[1])
    orr, lo, hi = None, None, None
    if (t.sum(axis=0) > 0).all() and (t.sum(axis=1) > 0).all():
        res = odds_ratio(t, kind="conditional")
        ci = res.confidence_interval(confidence_level=level)
        orr, lo, hi = float(res.statistic), float(ci.low), float(ci.high)
    tt = ((int(t[0, 0]), int(t[0, 1])), (int(t[1, 0]), int(t[1, 1])))
    return FisherTest(tt, min(p, 1.0), orr, lo, hi, level)


@dataclass(frozen=True)
class CmhTest(Serial):
    """Cochran-Mantel-Haenszel test over strata; Mantel-Haenszel common odds ratio and CI."""

    strata: tuple[str, ...]
    statistic: float
    p_value: float
    odds_ratio: float
    ci_low: float
    ci_high: float


def cmh_test(tables: Sequence[Sequence[Sequence[int]]], strata: Sequence[str] = ()) -> CmhTest:
    """CMH test with continuity correction, as R's ``mantelhaen.test`` (2x2xK)."""
    import warnings

    from statsmodels.stats.contingency_tables import StratifiedTable

    arr = np.asarray(tables, dtype=float)
    if arr.ndim != 3 or arr.shape[1:] != (2, 2) or (arr < 0).any():
        raise InputError("need K 2x2 tables of counts >= 0", field="strata tables")
    names = tuple(strata) or tuple(str(i + 1) for i in range(arr.shape[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # strata with a zero cell
        st = StratifiedTable([a for a in arr])
        test = st.test_null_odds(correction=True)
        lo, hi = st.oddsratio_pooled_confint()
    return CmhTest(
        names, float(test.statistic), float(test.pvalue), float(st.oddsratio_pooled), lo, hi
    )


@dataclass(frozen=True)
class CountCandidate:
    """Integer counts consistent with published percentages, and their Fisher p-value."""

    k_a: int
    n_a: int
    k_b: int
    n_b: int
    p_value: float
    p_distance: float


def counts_for_percentage(pct: float, n: int, decimals: int = 1) -> list[int]:
    """Every k with round(100 k / n, decimals) == pct (half-unit tolerance).

    >>> counts_for_percentage(29.6, 54)
    [16]
    """
    half = 0.5 * 10.0 ** (-decimals) + 1e-9
    return [k for k in range(n + 1) if abs(100.0 * k / n - pct) <= half]


def reconstruct_counts(
    pct_a: float,
    n_a: int | Sequence[int],
    pct_b: float,
    n_b: int | Sequence[int],
    p_value: float | None = None,
    decimals: int = 1,
) -> tuple[CountCandidate, ...]:
    """2x2 counts behind a publication's "x% vs y%, p = P", best p-value match first.

    ``n_a``/``n_b`` may be ranges of arm sizes when only approximate sizes are published.
    """
    sizes_a = [n_a] if isinstance(n_a, int) else list(n_a)
    sizes_b = [n_b] if isinstance(n_b, int) else list(n_b)
    out: list[CountCandidate] = []
    for na in sizes_a:
        for ka in counts_for_percentage(pct_a, na, decimals):
            for nb in sizes_b:
                for kb in counts_for_percentage(pct_b, nb, decimals):
                    p = fisher_test([[ka, na - ka], [kb, nb - kb]]).p_value
                    dist = 0.0 if p_value is None else abs(p - p_value)
                    out.append(CountCandidate(ka, na, kb, nb, p, dist))
    if not out:
        raise InputError(
            f"no integer counts give {pct_a}% of {n_a} and {pct_b}% of {n_b}", field="percentages"
        )
    return tuple(sorted(out, key=lambda c: (c.p_distance, abs(c.n_a - c.n_b), c.n_a)))


@dataclass(frozen=True)
class SubjectResponse:
    """A subject's BOR, clinical benefit, best % change in target sum and days (swimmer plot)."""

    subject: str
    arm: str
    bor: str
    benefit: bool
    best_pct_change: float | None
    last_day: float
    first_response_day: float | None
    pd_day: float | None
    stratum: str = ""


@dataclass(frozen=True)
class ArmResponse:
    """Counts by BOR, ORR and CBR with exact CIs for one arm."""

    arm: str
    n: int
    counts: Mapping[str, int]
    orr: float
    orr_ci: tuple[float, float]
    cbr: float
    cbr_ci: tuple[float, float]

    @property
    def responders(self) -> int:
        return int(self.counts.get("CR", 0) + self.counts.get("PR", 0))


@stored(omit_default=("orr_difference",))
@dataclass(frozen=True)
class ResponseResult(Serial):
    """ORR/CBR per arm, Fisher tests between the first two arms, optional CMH across strata,
    and the ORR difference of the first two arms with its CI."""

    kind: ClassVar[str] = "response"

    source: str
    arms: tuple[ArmResponse, ...]
    subjects: tuple[SubjectResponse, ...]
    fisher_orr: FisherTest | None
    fisher_cbr: FisherTest | None
    cmh_orr: CmhTest | None = None
    cbr_days: float = 168.0
    level: float = 0.95
    notes: tuple[str, ...] = field(default=())
    orr_difference: RateDifference | None = None

    def difference_table(self) -> pd.DataFrame:
        """The ORR difference (percentage points) with its CI, one row (none if not computed)."""
        d = self.orr_difference
        if d is None:
            return pd.DataFrame()
        pct = round(100 * d.level)
        return pd.DataFrame(
            [
                {
                    "measure": d.measure,
                    "comparison": f"{d.arm_a} - {d.arm_b}",
                    "responders": f"{d.k_a}/{d.n_a} vs {d.k_b}/{d.n_b}",
                    "difference (pp)": 100 * d.difference,
                    f"{pct}% CI low (pp)": 100 * d.lower,
                    f"{pct}% CI high (pp)": 100 * d.upper,
                    "CI method": d.method,
                }
            ]
        )

    def summary(self) -> pd.DataFrame:
        """One row per arm: n, CR, PR, SD, PD, NE, ORR and CBR (%) with CIs (%)."""
        pct = round(self.level * 100)
        rows = []
        for a in self.arms:
            row: dict[str, Any] = {"arm": a.arm, "n (subjects)": a.n}
            for c in ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"):
                row[f"{c} (subjects)"] = a.counts.get(c, 0)
            row["ORR (%)"] = 100 * a.orr
            row[f"ORR {pct}% CI low (%)"] = 100 * a.orr_ci[0]
            row[f"ORR {pct}% CI high (%)"] = 100 * a.orr_ci[1]
            row["CBR (%)"] = 100 * a.cbr
            row[f"CBR {pct}% CI low (%)"] = 100 * a.cbr_ci[0]
            row[f"CBR {pct}% CI high (%)"] = 100 * a.cbr_ci[1]
            rows.append(row)
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Any]:
        """Response rates yield no potencies (app protocol)."""
        return []


def _benefit(bor: str, days: list[float], resp: list[str], cbr_days: float, window: float) -> bool:
    if bor in ("CR", "PR"):
        return True
    if bor not in ("SD", "NON-CR/NON-PD"):
        return False
    stable = [d for d, r in sorted(zip(days, resp, strict=True)) if r != "PD"]
    first_pd = min((d for d, r in zip(days, resp, strict=True) if r == "PD"), default=math.inf)
    return any(cbr_days - window <= d < first_pd for d in stable)


def response_rates(
    adrs: pd.DataFrame,
    adsl: pd.DataFrame | None = None,
    *,
    by: str = "ARM",
    source: str = "",
    settings: RecistSettings | None = None,
    cbr_days: float = 168.0,
    level: float = 0.95,
    stratum: str | None = None,
    recist: Sequence[SubjectRecist] = (),
    difference: DifferenceMethod | None = None,
) -> ResponseResult:
    """ORR and CBR per group from a validated ADRS (``OVR`` visit records; ``BOR`` optional).

    The BOR is derived from the OVR records with ``settings``; a given ``BOR`` record that
    disagrees is kept out and noted. Subjects in ADSL without any ADRS record count as NE
    (intention to treat). ``recist`` adds best % change in target sum per subject.
    ``difference`` (a :data:`DIFFERENCE_METHODS` name) adds the ORR difference of the first two
    arms with that CI.
    """
    s = settings or RecistSettings()
    notes: list[str] = []
    if adsl is not None:
        if by not in adsl.columns:
            raise InputError(f"column {quote(by)} is not in ADSL", field="--by", column=by)
        groups = dict(zip(adsl["USUBJID"], adsl[by].astype(str), strict=True))
        strata = (
            dict(zip(adsl["USUBJID"], adsl[stratum].astype(str), strict=True))
            if stratum and stratum in adsl.columns
            else {}
        )
        if stratum and stratum not in adsl.columns:
            raise InputError(
                f"column {quote(stratum)} is not in ADSL", field="--strata", column=stratum
            )
        subjects_all = list(adsl["USUBJID"])
    else:
        groups = {u: "all" for u in adrs["USUBJID"]}
        strata = {}
        subjects_all = list(dict.fromkeys(adrs["USUBJID"]))
    ovr = adrs[adrs["PARAMCD"] == "OVR"]
    given_bor = dict(
        zip(
            adrs.loc[adrs["PARAMCD"] == "BOR", "USUBJID"],
            adrs.loc[adrs["PARAMCD"] == "BOR", "AVALC"],
            strict=True,
        )
    )
    by_subject = {u: r for u, r in ovr.groupby("USUBJID")}
    rec = {r.subject: r for r in recist}
    out: list[SubjectResponse] = []
    for u in subjects_all:
        rows = by_subject.get(u)
        days = [] if rows is None else [float(x) for x in rows["ADY"]]
        resp = [] if rows is None else list(rows["AVALC"])
        if rows is None and u in given_bor:
            bor = given_bor[u]
            notes.append(f"{u}: no OVR records; BOR {bor} taken as given")
        else:
            bor = best_overall_response(days, resp, s)
            if u in given_bor and given_bor[u] != bor:
                notes.append(f"{u}: BOR given as {given_bor[u]}, derived {bor} (derived used)")
        benefit = _benefit(bor, days, resp, cbr_days, s.window_days)
        pairs = sorted(zip(days, resp, strict=True))
        r = rec.get(u)
        out.append(
            SubjectResponse(
                subject=u,
                arm=groups.get(u, "all"),
                bor=bor,
                benefit=benefit,
                best_pct_change=None if r is None else r.best_pct_change,
                last_day=max(days) if days else 0.0,
                first_response_day=next((d for d, x in pairs if x in ("CR", "PR")), None),
                pd_day=next((d for d, x in pairs if x == "PD"), None),
                stratum=strata.get(u, ""),
            )
        )
    arms: list[ArmResponse] = []
    for arm in dict.fromkeys(x.arm for x in out):
        members = [x for x in out if x.arm == arm]
        n = len(members)
        counts = {
            c: sum(1 for x in members if x.bor == c)
            for c in ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
        }
        k = counts["CR"] + counts["PR"]
        kb = sum(1 for x in members if x.benefit)
        arms.append(
            ArmResponse(
                arm,
                n,
                counts,
                k / n,
                clopper_pearson(k, n, level),
                kb / n,
                clopper_pearson(kb, n, level),
            )
        )
    f_orr = f_cbr = None
    cmh = None
    diff = None
    if len(arms) >= 2:
        a, b = arms[0], arms[1]
        ka = a.responders
        kb_ = b.responders
        f_orr = fisher_test([[ka, a.n - ka], [kb_, b.n - kb_]], level)
        if difference is not None:
            diff = rate_difference(
                "ORR", (a.arm, ka, a.n), (b.arm, kb_, b.n), method=difference, level=level
            )
        ca = round(a.cbr * a.n)
        cb = round(b.cbr * b.n)
        f_cbr = fisher_test([[ca, a.n - ca], [cb, b.n - cb]], level)
        if len(arms) > 2:
            notes.append(f"Fisher tests compare {a.arm} with {b.arm} only")
        if strata:
            names = sorted(set(strata.values()))
            tabs = []
            for st in names:
                t = []
                for arm in (a.arm, b.arm):
                    m = [x for x in out if x.arm == arm and x.stratum == st]
                    r_ = sum(1 for x in m if x.bor in ("CR", "PR"))
                    t.append([r_, len(m) - r_])
                tabs.append(t)
            cmh = cmh_test(tabs, names)
    return ResponseResult(
        source, tuple(arms), tuple(out), f_orr, f_cbr, cmh, cbr_days, level, tuple(notes), diff
    )
