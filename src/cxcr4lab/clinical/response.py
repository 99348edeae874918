"""Response rates: ORR and CBR with exact CIs, Fisher and CMH tests, count reconstruction.

ORR = (CR + PR) / n; CBR = (CR + PR + SD lasting >= ``cbr_days``, default 24 weeks) / n, with
Clopper-Pearson ("exact") CIs as R's ``binom.test``. Two arms are compared by Fisher's exact test
with the conditional maximum-likelihood odds ratio and its exact CI (as R's ``fisher.test``);
across strata by the Cochran-Mantel-Haenszel test (as R's ``mantelhaen.test``, continuity
corrected) with the Mantel-Haenszel common odds ratio.

>>> [round(x, 4) for x in clopper_pearson(7, 20)]
[0.1539, 0.5922]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cxcr4lab.clinical.recist import RecistSettings, SubjectRecist, best_overall_response
from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "ArmResponse",
    "CmhTest",
    "CountCandidate",
    "FisherTest",
    "ResponseResult",
    "SubjectResponse",
    "clopper_pearson",
    "cmh_test",
    "counts_for_percentage",
    "fisher_test",
    "reconstruct_counts",
    "response_rates",
]


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) CI of a proportion k/n, as R's ``binom.test``."""
    from scipy.stats import binomtest

    if n <= 0 or not 0 <= k <= n:
        raise InputError(f"need 0 <= k <= n and n > 0, got {k}/{n}", field="counts")
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


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


@dataclass(frozen=True)
class ResponseResult(Serial):
    """ORR/CBR per arm, Fisher tests between the first two arms, optional CMH across strata."""

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
) -> ResponseResult:
    """ORR and CBR per group from a validated ADRS (``OVR`` visit records; ``BOR`` optional).

    The BOR is derived from the OVR records with ``settings``; a given ``BOR`` record that
    disagrees is kept out and noted. Subjects in ADSL without any ADRS record count as NE
    (intention to treat). ``recist`` adds best % change in target sum per subject.
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
    if len(arms) >= 2:
        a, b = arms[0], arms[1]
        ka = a.responders
        kb_ = b.responders
        f_orr = fisher_test([[ka, a.n - ka], [kb_, b.n - kb_]], level)
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
        source, tuple(arms), tuple(out), f_orr, f_cbr, cmh, cbr_days, level, tuple(notes)
    )
