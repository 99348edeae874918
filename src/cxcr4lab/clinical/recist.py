"""RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228-247) from lesion measurements.

Target lesions: the sum of diameters (mm; short axis for lymph nodes) at baseline, the nadir
(smallest sum so far, baseline included) and at each visit give the target response:

* CR: every non-nodal target gone (0 mm) and every nodal target < 10 mm short axis;
* PD: sum >= 1.2 x nadir **and** sum - nadir >= 5 mm;
* PR: sum <= 0.7 x baseline (a >= 30 % decrease);
* SD: otherwise; NE if a target is not measured (unless the measured ones already show PD).

Non-target lesions give CR (all absent), NON-CR/NON-PD, PD (unequivocal progression) or NE; a new
lesion is PD. The visit response combines them as in RECIST 1.1 table 1 (table 2 when the subject
has no target lesions). The best overall response (BOR) needs CR/PR confirmed by a later
assessment at least ``confirm_days`` (28) later, and SD at least ``min_sd_days`` (42) from the
first dose, both less the visit window; only visits up to the first PD count.

>>> target_response(50.0, baseline=100.0, nadir=100.0, all_gone=False)
'PR'
>>> target_response(66.0, baseline=100.0, nadir=55.0, all_gone=False)
'PD'
>>> overall_response("CR", "NON-CR/NON-PD", new_lesion=False)
'PR'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd

from cxcr4lab.core.errors import InputError, quote

__all__ = [
    "BOR_ORDER",
    "PlannedVisit",
    "RecistSettings",
    "SubjectRecist",
    "VisitRecist",
    "assessment_schedule",
    "assign_visits",
    "best_overall_response",
    "derive_recist",
    "nontarget_response",
    "overall_response",
    "recist_to_adrs",
    "target_response",
]

_TR_COLUMNS = ["USUBJID", "VISIT", "ADY", "LESIONID", "TARGET", "NODE", "DIAM", "NEW", "NTSTAT"]
BOR_ORDER = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
"""Best to worst, for ranking best overall responses."""


@dataclass(frozen=True)
class RecistSettings:
    """Confirmation and SD rules, in days from the first dose (day 1).

    ``window_days`` is the assessment window subtracted from ``min_sd_days`` and
    ``confirm_days`` (an assessment due on day 42 may be done on day 35).
    """

    confirm: bool = True
    confirm_days: float = 28.0
    min_sd_days: float = 42.0
    window_days: float = 7.0

    def __post_init__(self) -> None:
        for name in ("confirm_days", "min_sd_days", "window_days"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise InputError(f"must be a number >= 0, got {quote(v)}", field=name)


def target_response(
    total: float, *, baseline: float, nadir: float, all_gone: bool, missing: bool = False
) -> str:
    """The RECIST 1.1 target-lesion response of one visit (sums in mm)."""
    if total >= 1.2 * nadir and total - nadir >= 5.0:
        return "PD"
    if missing:
        return "NE"
    if all_gone:
        return "CR"
    if total <= 0.7 * baseline:
        return "PR"
    return "SD"


def nontarget_response(statuses: Sequence[str]) -> str:
    """Non-target response from lesion statuses (PRESENT, ABSENT, PD, NE); ``NA`` if none."""
    if not statuses:
        return "NA"
    if "PD" in statuses:
        return "PD"
    if "NE" in statuses or "" in statuses:
        return "NE"
    if all(s == "ABSENT" for s in statuses):
        return "CR"
    return "NON-CR/NON-PD"


def overall_response(target: str, nontarget: str, *, new_lesion: bool) -> str:
    """RECIST 1.1 table 1 (target lesions) or table 2 (``target == "NA"``: non-target only)."""
    if new_lesion or target == "PD" or nontarget == "PD":
        return "PD"
    if target == "NA":
        return {"CR": "CR", "NON-CR/NON-PD": "NON-CR/NON-PD"}.get(nontarget, "NE")
    if target == "CR":
        return "CR" if nontarget in ("CR", "NA") else "PR"
    if target == "PR":
        return "PR"
    if target == "SD":
        return "SD"
    return "NE"


def best_overall_response(
    days: Sequence[float], responses: Sequence[str], settings: RecistSettings | None = None
) -> str:
    """BOR from visit responses in time order (RECIST 1.1 section 4.4 and table 3)."""
    s = settings or RecistSettings()
    pairs = sorted(zip(days, responses, strict=True))
    upto: list[tuple[float, str]] = []
    for d, r in pairs:
        upto.append((d, r))
        if r == "PD":
            break
    if not upto:
        return "NE"
    for best in ("CR", "PR"):
        for i, (d, r) in enumerate(upto):
            if r != best:
                continue
            if not s.confirm:
                return best
            later = [
                (d2, r2) for d2, r2 in upto[i + 1 :] if d2 - d >= s.confirm_days - s.window_days
            ]
            if later and (later[0][1] == "CR" or (best == "PR" and later[0][1] == "PR")):
                return best
    sd_from = s.min_sd_days - s.window_days
    stable = ("CR", "PR", "SD", "NON-CR/NON-PD")
    if any(r in stable and d >= sd_from for d, r in upto):
        return "NON-CR/NON-PD" if all(r == "NON-CR/NON-PD" for _, r in upto if r != "NE") else "SD"
    if upto[-1][1] == "PD":
        return "PD"
    return "NE"


@dataclass(frozen=True)
class VisitRecist:
    """One assessment: target sum (mm), its change from baseline (%) and the responses."""

    subject: str
    visit: str
    day: float
    target_sum: float | None
    pct_change: float | None
    nadir: float | None
    target: str
    nontarget: str
    new_lesion: bool
    overall: str


@dataclass(frozen=True)
class SubjectRecist:
    """A subject's baseline sum (mm), best % change in the target sum and BOR."""

    subject: str
    baseline_sum: float | None
    best_pct_change: float | None
    bor: str
    last_day: float
    first_response_day: float | None
    pd_day: float | None


def derive_recist(
    tr: pd.DataFrame, settings: RecistSettings | None = None
) -> tuple[tuple[VisitRecist, ...], tuple[SubjectRecist, ...]]:
    """Visit responses and BOR per subject from a validated TR table (see ``cdisc.validate_tr``)."""
    s = settings or RecistSettings()
    visits: list[VisitRecist] = []
    subjects: list[SubjectRecist] = []
    by_subject: dict[str, list[dict[str, Any]]] = {}
    records = cast(list[dict[str, Any]], tr[_TR_COLUMNS].to_dict("records"))
    for rec in records:
        by_subject.setdefault(str(rec["USUBJID"]), []).append(rec)
    for sid in sorted(by_subject):
        rows = by_subject[sid]
        base = [r for r in rows if r["VISIT"] == "BASELINE"]
        targets = [r for r in base if r["TARGET"]]
        target_ids = [str(r["LESIONID"]) for r in targets]
        nodes = {str(r["LESIONID"]) for r in targets if r["NODE"]}
        base_sum = float(sum(float(r["DIAM"]) for r in targets)) if target_ids else None
        nadir = base_sum
        has_nontarget = any(not r["TARGET"] for r in base)
        days: list[float] = []
        overall: list[str] = []
        changes: list[float] = []
        groups: dict[tuple[float, str], list[dict[str, Any]]] = {}
        for r in rows:
            if r["VISIT"] != "BASELINE":
                groups.setdefault((float(r["ADY"]), str(r["VISIT"])), []).append(r)
        for (day, visit), v in sorted(groups.items()):
            new = any(bool(r["NEW"]) for r in v)
            nt_status = [str(r["NTSTAT"]) for r in v if not r["TARGET"] and not r["NEW"]]
            nt = nontarget_response(nt_status) if has_nontarget else "NA"
            total: float | None = None
            pct: float | None = None
            if target_ids and base_sum is not None and nadir is not None:
                tv = {str(r["LESIONID"]): float(r["DIAM"]) for r in v if r["TARGET"]}
                measured = {k: tv[k] for k in target_ids if k in tv and not math.isnan(tv[k])}
                missing = len(measured) < len(target_ids)
                total = float(sum(measured.values()))
                gone = all(
                    (x < 10.0) if lid in nodes else (x == 0.0) for lid, x in measured.items()
                )
                tgt = target_response(
                    total, baseline=base_sum, nadir=nadir, all_gone=gone, missing=missing
                )
                if missing:
                    total = None if tgt != "PD" else total
                if total is not None:
                    pct = 100.0 * (total - base_sum) / base_sum if base_sum > 0 else None
                    if pct is not None:
                        changes.append(pct)
                    nadir = min(nadir, total)
            else:
                tgt = "NA"
            resp = overall_response(tgt, nt, new_lesion=new)
            visits.append(VisitRecist(sid, visit, day, total, pct, nadir, tgt, nt, new, resp))
            days.append(day)
            overall.append(resp)
        bor = best_overall_response(days, overall, s)
        first_resp = next(
            (d for d, r in zip(days, overall, strict=True) if r in ("CR", "PR")), None
        )
        pd_day = next((d for d, r in zip(days, overall, strict=True) if r == "PD"), None)
        subjects.append(
            SubjectRecist(
                sid,
                base_sum,
                min(changes) if changes else None,
                bor,
                max(days) if days else 0.0,
                first_resp,
                pd_day,
            )
        )
    return tuple(visits), tuple(subjects)


def recist_to_adrs(
    visits: Sequence[VisitRecist], subjects: Sequence[SubjectRecist]
) -> pd.DataFrame:
    """An ADRS table: one ``OVR`` record per visit and one ``BOR`` record per subject."""
    rows = [
        {"USUBJID": v.subject, "PARAMCD": "OVR", "VISIT": v.visit, "ADY": v.day, "AVALC": v.overall}
        for v in visits
    ]
    rows += [
        {"USUBJID": s.subject, "PARAMCD": "BOR", "VISIT": "", "ADY": None, "AVALC": s.bor}
        for s in subjects
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "VISIT", "ADY", "AVALC"])


@dataclass(frozen=True)
class PlannedVisit:
    """A planned tumour assessment: name, target study day and window (days, inclusive)."""

    name: str
    day: int
    earliest: int
    latest: int


def assessment_schedule(
    horizon_days: int,
    *,
    first_interval_weeks: int = 6,
    first_period_weeks: int = 52,
    later_interval_weeks: int = 12,
    window_days: int = 7,
) -> tuple[PlannedVisit, ...]:
    """Planned assessments: every 6 weeks in the first year, then every 12 weeks (FORTRESS).

    >>> [v.day for v in assessment_schedule(500)]
    [42, 84, 126, 168, 210, 252, 294, 336, 420, 504]
    """
    if horizon_days <= 0:
        raise InputError(f"must be > 0, got {horizon_days}", field="horizon_days")
    out: list[PlannedVisit] = []
    day = 0
    while True:
        first = day + first_interval_weeks * 7 <= first_period_weeks * 7
        day += (first_interval_weeks if first else later_interval_weeks) * 7
        if day - window_days > horizon_days:
            break
        out.append(PlannedVisit(f"WEEK {day // 7}", day, day - window_days, day + window_days))
    return tuple(out)


def assign_visits(days: Sequence[float], schedule: Sequence[PlannedVisit]) -> list[str]:
    """The planned visit whose window holds each actual day, else ``UNSCHEDULED``."""
    out: list[str] = []
    for d in days:
        hit = [v.name for v in schedule if v.earliest <= d <= v.latest]
        out.append(hit[0] if hit else "UNSCHEDULED")
    return out
