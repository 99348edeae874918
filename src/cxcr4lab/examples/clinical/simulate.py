"""SIMULATED patient-level clinical data that reproduce the published balixafortide figures.

Nothing here is patient data. :func:`generate` builds, from a fixed seed, CDISC-style tables
(ADSL, TR, ADRS, ADTTE, ADAE) for two trials, with their analysis populations flagged in ADSL:

* ``phase1b_*`` (NCT01837095, seed facts ``[trial.phase1b]``): 56 enrolled and treated
  (``SAFFL = Y``; 32 dose escalation ``P1B-D-*``, 24 expansion ``P1B-X-*``), 54 evaluable for
  efficacy (``EFFFL = Y``; two escalation subjects never reached a tumour assessment: one died of
  sepsis, one withdrew) and the expansion cohort (``EXPFL = Y``, ``COHORT = EXPANSION``). TR, ADRS
  and ADTTE hold the 54 evaluable subjects; ADSL and ADAE all 56.
* ``fortress_*`` (NCT03786094, ``[trial.fortress]``): 432 randomised (``ITTFL = Y``; 220
  combination, 212 eribulin), 422 treated (``SAFFL = Y``; 218 and 204), and the >= 3rd-line
  primary efficacy population (``EFFFL = Y``; 162 and 168). TR, ADRS and ADTTE hold the efficacy
  population; ADAE the treated. The safety sizes are inferred: 218 and 204 are the only arm sizes
  up to 432 in total for which whole subject counts give every published safety percentage.

Exact by construction (the figure the workbench computes rounds to the published one): every
count and percentage (Phase 1b ORR 16/54, CBR 24/54, expansion ORR 9/24 and CBR 15/24, grade 3/4
neutropenia 9/24, the AE and SAE counts of 56; FORTRESS ORR 21/162 and 23/168, CBR 27/162 and
33/168, serious TEAEs 61/218 and 54/204, TEAEs leading to death 15/218 and 13/204, TEAEs >= grade
3 149/218 and 131/204, infusion-related reactions 95/218, 432 randomised), the FORTRESS ORR
p = 1.00 (the Cochran-Mantel-Haenszel test by ``STRAT1``: responders are spread over the strata so
that it is; Fisher's unstratified p is 0.87), every Kaplan-Meier median (event days placed at the
order statistics so the median is the published value rounded to whole days, e.g. 6.2 months =
189 days) and the expansion cohort's 12-month OS (6 of 24 deaths by day 365, no censoring
before). Approximate: the arm sizes of the >= 3rd-line analysis (162 and 168, "about 165") and
the CXCR4 H-score HIGH fraction (drawn, about 14 %). ``tests/clinical/test_published_figures.py``
computes each figure with the workbench's analysis functions beside its published value.

Tumour measurements come first; ADRS is derived from them by :mod:`cxcr4lab.clinical.recist`, so
the tables agree. Times are study days (ADTTE ``AVALU = DAYS``; 30.4375 days a month).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxcr4lab.clinical.recist import (
    PlannedVisit,
    assessment_schedule,
    assign_visits,
    derive_recist,
    recist_to_adrs,
    target_response,
)

__all__ = [
    "CXCR4_HIGH",
    "DAYS_PER_MONTH",
    "SEED",
    "ArmSpec",
    "SubjectPlan",
    "generate",
    "plan_arm",
]

SEED = 20190101
DAYS_PER_MONTH = 30.4375
COMBINATION = "balixafortide + eribulin"
ERIBULIN = "eribulin"
CXCR4_HIGH = 200
"""H-score cut-off of the simulated CXCR4 "HIGH" subgroup (FORTRESS-like ADSL ``CXCR4GR``)."""
TEAE_DAYS = 30
"""Days after the last dose within which an adverse event is treatment-emergent."""

Row = dict[str, object]


@dataclass(frozen=True)
class SubjectPlan:
    """What happens to one simulated subject, in study days.

    ``kind``: ``PR`` (confirmed partial response), ``CB`` (stable disease for >= 24 weeks), ``SD``
    (shorter stable disease), ``PD`` (progression before the first scan) or ``NE`` (no tumour
    assessment). ``pfs`` is the day of progression, or if ``pfs_event`` is false the day up to
    which scans are done (PFS is censored at the last one); ``os`` the day of death, or of
    censoring if ``os_event`` is false.
    """

    kind: str
    pfs: float
    pfs_event: bool
    os: float
    os_event: bool


@dataclass(frozen=True)
class ArmSpec:
    """Quotas of one simulated FORTRESS-like arm: subjects by best response and median times
    (months); PFS is censored after ``pfs_cutoff`` and OS after ``os_cutoff`` days."""

    arm: str
    n: int
    n_pr: int
    n_cb: int
    n_pd: int
    n_ne: int
    pfs_months: float
    os_months: float
    pfs_cutoff: int
    os_cutoff: int


def _days(months: float) -> float:
    """A time in months as whole study days (6.2 months -> 189 days)."""
    return float(round(months * DAYS_PER_MONTH))


def _median_times(n: int, target: float, groups: list[tuple[int, float, float]]) -> np.ndarray:
    """Sorted event times from (count, low, high) groups with the KM median forced to target."""
    times = np.concatenate([np.linspace(lo, hi, k) if k else np.zeros(0) for k, lo, hi in groups])
    times = np.sort(np.round(times))
    k = math.ceil(n / 2) - 1
    times[k] = target
    if n % 2 == 0:
        times[k + 1] = target
    times[: k + 1] = np.minimum(times[: k + 1], target)
    times[k + 1 :] = np.maximum(times[k + 1 :], target)
    return times


def _spread(rng: np.random.Generator, bins: Sequence[tuple[int, int, int]]) -> np.ndarray:
    """Whole days, ``count`` drawn uniformly from [low, high] per (count, low, high), sorted.

    Bins follow each other without overlap, so the count below any bin edge is fixed: that is
    how a Kaplan-Meier median or landmark rate is placed exactly (a bin with low = high is a
    tie at that day)."""
    parts = [np.sort(rng.integers(lo, hi + 1, size=k)).astype(float) for k, lo, hi in bins]
    return np.concatenate(parts)


def _pair(
    kinds: Sequence[str],
    pfs: np.ndarray,
    pfs_event: Sequence[bool],
    os_days: np.ndarray,
    os_cutoff: float,
) -> list[SubjectPlan]:
    """Plans pairing sorted PFS with sorted OS by rank; death at least 14 days after PFS ends,
    OS censored at ``os_cutoff``."""
    plans = []
    for kind, p, pe, o in zip(kinds, pfs, pfs_event, os_days, strict=True):
        death = max(float(o), float(p) + 14)
        plans.append(SubjectPlan(kind, float(p), pe, min(death, os_cutoff), death <= os_cutoff))
    return plans


def _with_responders(rng: np.random.Generator, kinds: list[str], n_pr: int) -> list[str]:
    """``n_pr`` of the subjects with lasting benefit (``CB``) made partial responders."""
    cb = [i for i, k in enumerate(kinds) if k == "CB"]
    out = list(kinds)
    for i in rng.choice(cb, size=n_pr, replace=False):
        out[int(i)] = "PR"
    return out


def plan_arm(spec: ArmSpec, rng: np.random.Generator) -> list[SubjectPlan]:
    """Subject plans of a FORTRESS-like arm, sorted by PFS: quotas by response, exact medians."""
    n_eval = spec.n - spec.n_ne
    n_short = n_eval - spec.n_cb - spec.n_pd
    pfs = _median_times(
        n_eval,
        _days(spec.pfs_months),
        [(spec.n_pd, 18, 34), (n_short, 50, 160), (spec.n_cb, 183, 450)],
    )
    kinds = _with_responders(
        rng, ["PD"] * spec.n_pd + ["SD"] * n_short + ["CB"] * spec.n_cb, spec.n_pr
    )
    pfs_all = np.concatenate([np.ones(spec.n_ne), pfs])
    os_target = _days(spec.os_months)
    q = -(os_target / math.log(2)) * np.log(1 - (np.arange(spec.n) + 0.5) / spec.n)
    os_t = np.sort(np.maximum(q.round(), 1.0))
    k = math.ceil(spec.n / 2) - 1
    os_t[k] = os_target
    if spec.n % 2 == 0:
        os_t[k + 1] = os_target
    os_t = np.maximum.accumulate(np.maximum(os_t, pfs_all + 14))
    events = [False] * spec.n_ne + [bool(p <= spec.pfs_cutoff) for p in pfs]
    pfs_all = np.minimum(pfs_all, spec.pfs_cutoff)
    return _pair(["NE"] * spec.n_ne + kinds, pfs_all, events, os_t, spec.os_cutoff)


def _lesions(rng: np.random.Generator) -> list[tuple[str, bool, bool, float]]:
    """(id, target, node, baseline diameter mm): 2-3 targets (>= 1 non-nodal), 0-2 non-targets."""
    out: list[tuple[str, bool, bool, float]] = []
    n_target = int(rng.integers(2, 4))
    for i in range(n_target):
        node = i > 0 and rng.random() < 0.25
        diam = float(rng.integers(15, 31) if node else rng.integers(15, 56))
        out.append((f"T{i + 1:02d}", True, node, diam))
    for j in range(int(rng.integers(0, 3))):
        out.append((f"NT{j + 1:02d}", False, False, math.nan))
    return out


def _measurements(
    subject: str,
    plan: SubjectPlan,
    rng: np.random.Generator,
    schedule: Sequence[PlannedVisit],
) -> tuple[list[Row], float]:
    """TR rows of one subject and the day PFS ends (progression, or the last scan if censored).

    Scans follow ``schedule``; progression is an extra (often unscheduled) assessment on the
    planned day, by target growth, a new lesion or non-target progression."""
    lesions = _lesions(rng)
    base_day = -int(rng.integers(1, 15))
    rows = [
        _row(subject, "BASELINE", base_day, lid, target, node, diam, False, "PRESENT")
        for lid, target, node, diam in lesions
    ]
    if plan.kind == "NE":
        return rows, 1.0
    if plan.pfs_event:
        days = [float(v.day) for v in schedule if v.latest < plan.pfs] + [plan.pfs]
    else:
        days = [float(v.day) for v in schedule if v.day <= plan.pfs]
    names = assign_visits(days, schedule)
    base_sum = sum(d for _, tg, _, d in lesions if tg)
    has_nt = any(not tg for _, tg, _, _ in lesions)
    level = 1.0
    nadir = base_sum
    for j, (day, name) in enumerate(zip(days, names, strict=True)):
        is_pd = plan.pfs_event and j == len(days) - 1
        if plan.kind == "PR":
            level = 0.6 if j == 0 else 0.55
        elif j == 0:
            level = float(rng.uniform(0.82, 1.08))
        else:
            level = level * float(rng.uniform(0.99, 1.01))
        new = False
        nt = "PRESENT"
        if is_pd:
            route = rng.random()
            if route < 0.6:
                level = (nadir / base_sum) * 1.45
            elif route < 0.85:
                new = True
            else:
                nt = "PD"
        diams = {lid: round(d * level) for lid, tg, _, d in lesions if tg}
        total = float(sum(diams.values()))
        grown = target_response(total, baseline=base_sum, nadir=nadir, all_gone=False) == "PD"
        if is_pd and nt != "PD" and not new and not grown:
            new = True
        if not is_pd:
            nadir = min(nadir, total)
        if nt == "PD" and not has_nt:
            new = True
        for lid, tg, node, _ in lesions:
            rows.append(
                _row(subject, name, day, lid, tg, node, diams.get(lid, math.nan), False, nt)
            )
        if new:
            rows.append(_row(subject, name, day, "NEW01", False, False, math.nan, True, ""))
    return rows, days[-1]


def _row(
    subject: str,
    visit: str,
    day: float,
    lid: str,
    target: bool,
    node: bool,
    diam: float,
    new: bool,
    nt: str,
) -> Row:
    return {
        "USUBJID": subject,
        "VISIT": visit,
        "ADY": day,
        "LESIONID": lid,
        "TARGET": "Y" if target else "N",
        "NODE": "Y" if node else "N",
        "DIAM": None if math.isnan(diam) else diam,
        "NEW": "Y" if new else "N",
        "NTSTAT": "" if target or new else nt,
    }


def _tte(subject: str, code: str, label: str, aval: float, cens: bool) -> Row:
    return {
        "USUBJID": subject,
        "PARAMCD": code,
        "PARAM": label,
        "AVAL": aval,
        "AVALU": "DAYS",
        "CNSR": int(cens),
    }


def _efficacy(
    subjects: Sequence[str],
    plans: Sequence[SubjectPlan],
    rng: np.random.Generator,
) -> tuple[list[Row], list[Row], dict[str, float]]:
    """TR and ADTTE rows of subjects with their plans, and each subject's days on treatment
    (until progression or the last scan)."""
    horizon = int(max(p.pfs for p in plans)) + 14
    schedule = assessment_schedule(horizon)
    tr: list[Row] = []
    tte: list[Row] = []
    exposure: dict[str, float] = {}
    for subject, plan in zip(subjects, plans, strict=True):
        rows, pfs_end = _measurements(subject, plan, rng, schedule)
        tr.extend(rows)
        tte.append(_tte(subject, "PFS", "Progression-free survival", pfs_end, not plan.pfs_event))
        tte.append(_tte(subject, "OS", "Overall survival", plan.os, not plan.os_event))
        exposure[subject] = max(pfs_end, 1.0)
    return tr, tte, exposure


def _ae(
    rng: np.random.Generator,
    subject: str,
    term: str,
    grade: int,
    serious: bool,
    last_day: float,
    day: float | None = None,
) -> Row:
    """One ADAE record, starting on ``day`` or on a day drawn from 1..``last_day``."""
    onset = int(rng.integers(1, int(last_day) + 1)) if day is None else int(day)
    return {
        "USUBJID": subject,
        "AEDECOD": term,
        "AETOXGR": grade,
        "AESER": "Y" if serious else "N",
        "ASTDY": onset,
    }


def _adae(
    rng: np.random.Generator,
    subjects: Sequence[str],
    plan: Sequence[tuple[str, int, Sequence[int], bool]],
    window: dict[str, float],
) -> list[Row]:
    """AE rows: for each (term, subjects with it, grades to hand out, serious), pick subjects;
    grade 1-2 terms recur once or twice. Onsets fall on days 1..``window[subject]`` (the end
    of treatment + :data:`TEAE_DAYS`, or death)."""
    rows: list[Row] = []
    for term, k, grades, serious in plan:
        chosen = rng.choice(len(subjects), size=k, replace=False)
        for j, i in enumerate(chosen):
            s = subjects[int(i)]
            g = grades[j % len(grades)]
            for _ in range(1 if g >= 3 else int(rng.integers(1, 3))):
                rows.append(_ae(rng, s, term, g, serious, window[s]))
    return rows


def _tables(
    prefix: str,
    adsl: pd.DataFrame,
    tr_rows: list[Row],
    tte_rows: list[Row],
    ae_rows: list[Row],
) -> dict[str, pd.DataFrame]:
    from cxcr4lab.clinical.cdisc import validate_tr

    tr = pd.DataFrame(tr_rows)
    visits, subjects = derive_recist(validate_tr(tr, f"{prefix}_tr.csv"))
    adrs = recist_to_adrs(visits, subjects)
    adae = pd.DataFrame(ae_rows)
    adae = adae.sort_values(["USUBJID", "ASTDY", "AEDECOD"], kind="stable").reset_index(drop=True)
    return {
        f"{prefix}_adsl.csv": adsl,
        f"{prefix}_tr.csv": tr,
        f"{prefix}_adrs.csv": adrs,
        f"{prefix}_adtte.csv": pd.DataFrame(tte_rows),
        f"{prefix}_adae.csv": adae,
    }


# --- Phase 1b ---------------------------------------------------------------------------------


def _sorted_plans(
    rng: np.random.Generator,
    groups: Sequence[tuple[str, np.ndarray, bool]],
    n_pr: int,
    os_days: np.ndarray,
    pfs_cutoff: float,
    os_cutoff: float,
) -> list[SubjectPlan]:
    """Plans from (kind, PFS days, progression?) groups, sorted by PFS and paired with sorted OS;
    ``n_pr`` of the ``CB`` subjects become partial responders; PFS censored after the cutoff."""
    entries = sorted(
        ((kind, float(p), event) for kind, days, event in groups for p in days),
        key=lambda e: e[1],
    )
    kinds = _with_responders(rng, [e[0] for e in entries], n_pr)
    pfs = np.array([min(p, pfs_cutoff) for _, p, _ in entries])
    events = [bool(event and p <= pfs_cutoff) for _, p, event in entries]
    return _pair(kinds, pfs, events, os_days, os_cutoff)


def _phase1b_plans(rng: np.random.Generator) -> tuple[list[SubjectPlan], list[SubjectPlan]]:
    """Plans of the 24 expansion and the 30 evaluable escalation subjects.

    Expansion (published ORR 9/24, CBR 15/24, median PFS 6.2 and OS 18.0 months, 12-month OS
    75 %): PFS ends before day 189 for 11 and on it for 2 (S falls from 13/24 to 11/24 there);
    6 die by day 365 with no one censored before, 11 die before day 548 and 2 on it: medians 189
    and 548 days (6.21 and 18.00 months), S(12 months) = 18/24. Escalation, which with the
    expansion makes the 54 evaluable (ORR 16/54, CBR 24/54, median PFS 6.2 and OS 16.8 months):
    7 PR and 2 SD >= 24 weeks progress after day 189, 12 progress before day 161 and 9 stop
    without progression (PFS censored at their week-12 or week-18 scan); 17 die before day 511
    and 2 on it, so 26 of the 54 die before day 511 (median 511 days, 16.79 months). With CBR
    24/54 < 50 %, the 9 censored subjects are what holds the 54's median PFS at day 189 (S falls
    from 0.52 to 0.48 there).
    """
    pfs_day, os_exp, os_all = int(_days(6.2)), int(_days(18.0)), int(_days(16.8))
    year = int(_days(12.0))
    expansion = _sorted_plans(
        rng,
        [
            ("PD", _spread(rng, [(3, 18, 34)]), True),
            ("SD", _spread(rng, [(6, 50, 160)]), True),
            ("CB", _spread(rng, [(2, 176, pfs_day - 1), (2, pfs_day, pfs_day)]), True),
            ("CB", _spread(rng, [(11, pfs_day + 7, 540)]), True),
        ],
        9,
        _spread(
            rng,
            [
                (6, 60, year),
                (3, year + 1, os_all - 1),
                (2, os_all + 1, os_exp - 1),
                (2, os_exp, os_exp),
                (11, os_exp + 12, 1100),
            ],
        ),
        480,
        900,
    )
    escalation = _sorted_plans(
        rng,
        [
            ("PD", _spread(rng, [(5, 18, 34)]), True),
            ("SD", _spread(rng, [(7, 50, 160)]), True),
            ("SD", rng.choice([84.0, 126.0], size=9), False),
            ("CB", _spread(rng, [(9, pfs_day + 7, 700)]), True),
        ],
        7,
        _spread(rng, [(17, 60, os_all - 1), (2, os_all, os_all), (11, os_all + 19, 1500)]),
        660,
        1400,
    )
    return expansion, escalation


def _window(plan: SubjectPlan | None, exposure: float) -> float:
    """Last study day of treatment-emergent AEs: treatment + 30 days, and not after death."""
    last = exposure + TEAE_DAYS
    return min(last, plan.os) if plan is not None and plan.os_event else last


def _phase1b(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    expansion, escalation = _phase1b_plans(rng)
    exp_ids = [f"P1B-X-{i + 1:03d}" for i in range(24)]
    esc_ids = [f"P1B-D-{i + 1:03d}" for i in range(32)]
    not_evaluable = sorted(str(s) for s in rng.choice(esc_ids, size=2, replace=False))
    sepsis, withdrawn = not_evaluable
    evaluable = [s for s in esc_ids if s not in not_evaluable]
    plans = dict(zip(evaluable, [escalation[i] for i in rng.permutation(30)], strict=True))
    plans |= dict(zip(exp_ids, [expansion[i] for i in rng.permutation(24)], strict=True))
    efficacy_ids = evaluable + exp_ids
    tr, tte, exposure = _efficacy(efficacy_ids, [plans[s] for s in efficacy_ids], rng)
    sepsis_day = 15.0
    exposure |= {sepsis: 12.0, withdrawn: 8.0}
    window = {s: _window(plans.get(s), exposure[s]) for s in esc_ids + exp_ids}
    window[sepsis] = sepsis_day
    starts = [pd.Timestamp("2013-06-01") + pd.Timedelta(days=14 * i) for i in range(32)]
    starts += [pd.Timestamp("2014-10-01") + pd.Timedelta(days=14 * i) for i in range(24)]
    ids = esc_ids + exp_ids
    adsl = pd.DataFrame(
        {
            "USUBJID": ids,
            "ARM": COMBINATION,
            "COHORT": ["ESCALATION"] * 32 + ["EXPANSION"] * 24,
            "TRTSDT": [d.date() for d in starts],
            "TRTDURD": [exposure[s] for s in ids],
            "SAFFL": "Y",
            "EFFFL": ["Y" if s in plans else "N" for s in ids],
            "EXPFL": ["N"] * 32 + ["Y"] * 24,
            "SIMULATED": "Y",
        }
    )
    # Published (n = 56): any grade fatigue 44, neutropenia 32, infusion-related reaction 27,
    # alopecia 26, constipation 26, nausea 25; grade 3/4 neutropenia 9/24 in the expansion
    # cohort; serious: febrile neutropenia 5, neutrophil count decreased 2, pneumonia 2, one
    # death from sepsis (here the escalation subject who died before the first scan).
    rows = _adae(
        rng,
        ids,
        [
            ("FATIGUE", 44, [1, 2, 2], False),
            ("INFUSION RELATED REACTION", 27, [1, 2], False),
            ("ALOPECIA", 26, [1, 2], False),
            ("CONSTIPATION", 26, [1, 2], False),
            ("NAUSEA", 25, [1, 2], False),
        ],
        window,
    )
    severe = _adae(rng, exp_ids, [("NEUTROPENIA", 9, [3, 4, 3], False)], window)
    g34 = {str(r["USUBJID"]) for r in severe}
    pool = [s for s in ids if s not in g34]
    rows += severe + _adae(rng, pool, [("NEUTROPENIA", 32 - len(g34), [1, 2], False)], window)
    rows += _adae(
        rng,
        [s for s in ids if s != sepsis],
        [
            ("FEBRILE NEUTROPENIA", 5, [3], True),
            ("NEUTROPHIL COUNT DECREASED", 2, [4], True),
            ("PNEUMONIA", 2, [3], True),
        ],
        window,
    )
    rows.append(_ae(rng, sepsis, "SEPSIS", 5, True, sepsis_day, day=sepsis_day))
    return _tables("phase1b", adsl, tr, tte, rows)


# --- FORTRESS ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FortressArm:
    """One FORTRESS-like arm: its >= 3rd-line efficacy quotas, the other randomised subjects and
    the published safety percentages of the treated (serious, fatal, grade >= 3 TEAEs, IRR)."""

    spec: ArmSpec
    prefix: str
    second_line: int
    untreated: int
    serious_pct: float
    fatal_pct: float
    grade3_pct: float
    irr_pct: float


_FORTRESS_ARMS = (
    _FortressArm(
        ArmSpec(COMBINATION, 162, 21, 27, 45, 6, 3.5, 11.0, 330, 730),
        "FTR-BE",
        56,
        2,
        28.0,
        6.9,
        68.3,
        43.6,
    ),
    _FortressArm(
        ArmSpec(ERIBULIN, 168, 23, 33, 42, 6, 4.0, 11.2, 330, 730),
        "FTR-E",
        36,
        8,
        26.5,
        6.4,
        64.2,
        0.0,
    ),
)
_SERIOUS = (
    ("FEBRILE NEUTROPENIA", 0.4, (3, 4)),
    ("PNEUMONIA", 0.2, (3,)),
    ("SEPSIS", 0.1, (3, 4)),
    ("DYSPNOEA", 0.1, (3,)),
    ("PLEURAL EFFUSION", 0.1, (3,)),
    ("PYREXIA", 0.1, (3,)),
)
_FATAL = (
    ("SEPSIS", 0.35),
    ("PNEUMONIA", 0.25),
    ("RESPIRATORY FAILURE", 0.2),
    ("GENERAL PHYSICAL HEALTH DETERIORATION", 0.2),
)
_SEVERE = (
    ("NEUTROPENIA", 0.75, (3, 4)),
    ("ANAEMIA", 0.1, (3,)),
    ("FATIGUE", 0.1, (3,)),
    ("PERIPHERAL SENSORY NEUROPATHY", 0.05, (3,)),
)
_MILD = (
    ("FATIGUE", 0.40),
    ("ALOPECIA", 0.35),
    ("NAUSEA", 0.28),
    ("PERIPHERAL SENSORY NEUROPATHY", 0.22),
    ("NEUTROPENIA", 0.20),
    ("CONSTIPATION", 0.20),
    ("DIARRHOEA", 0.15),
)
_IRR = "INFUSION RELATED REACTION"
_IRR_GRADE3 = 4
"""Subjects whose infusion-related reaction is grade 3 (their only grade >= 3 TEAE)."""


def _count(pct: float, n: int) -> int:
    """Subjects of ``n`` making ``pct`` % (rounded: 28.0 % of 218 is 61)."""
    return round(pct * n / 100)


def _pick(
    rng: np.random.Generator, table: Sequence[tuple[str, float, tuple[int, ...]]]
) -> tuple[str, int]:
    """A (term, grade) drawn from (term, probability, grades) rows."""
    i = int(rng.choice(len(table), p=[p for _, p, _ in table]))
    term, _, grades = table[i]
    return term, int(rng.choice(grades))


def _fortress_adae(
    rng: np.random.Generator,
    arm: _FortressArm,
    treated: Sequence[str],
    window: dict[str, float],
    deaths: dict[str, float],
    efficacy: set[str],
) -> list[Row]:
    """ADAE of one arm's treated subjects with the published subject counts exactly.

    Of the treated, ``fatal_pct`` % have a grade 5 TEAE, ``serious_pct`` % a serious one (the
    fatal ones included), ``grade3_pct`` % one of grade >= 3 (the serious included) and
    ``irr_pct`` % an infusion-related reaction; everything else is grade 1-2. ``deaths`` holds
    the subjects who may die of a TEAE (within 30 days of the last dose) and their day of death;
    the fatal TEAEs are shared between the ``efficacy`` population and the other treated subjects
    in proportion to their sizes (a fatal TEAE of an efficacy subject is its OS event)."""
    n = len(treated)
    k_fatal, k_serious = _count(arm.fatal_pct, n), _count(arm.serious_pct, n)
    k_g3, k_irr = _count(arm.grade3_pct, n), _count(arm.irr_pct, n)
    eligible = sorted(s for s in deaths if s in efficacy)
    k_eff = min(len(eligible), round(k_fatal * len(efficacy) / n))
    others = sorted(s for s in deaths if s not in efficacy)
    fatal = [str(s) for s in rng.choice(eligible, size=k_eff, replace=False)]
    fatal += [str(s) for s in rng.choice(others, size=k_fatal - k_eff, replace=False)]
    rest = [str(s) for s in rng.permutation([s for s in treated if s not in fatal])]
    serious = rest[: k_serious - k_fatal]
    severe = rest[k_serious - k_fatal : k_g3 - k_fatal]
    rows: list[Row] = []
    for s in fatal:
        i = int(rng.choice(len(_FATAL), p=[p for _, p in _FATAL]))
        rows.append(_ae(rng, s, _FATAL[i][0], 5, True, deaths[s], day=deaths[s]))
        window[s] = deaths[s]
    for s in serious:
        term, grade = _pick(rng, _SERIOUS)
        rows.append(_ae(rng, s, term, grade, True, window[s]))
    irr_severe = severe[:_IRR_GRADE3] if k_irr else []
    for s in severe:
        if s in irr_severe:
            rows.append(_ae(rng, s, _IRR, 3, False, min(window[s], 10.0)))
        else:
            term, grade = _pick(rng, _SEVERE)
            rows.append(_ae(rng, s, term, grade, False, window[s]))
    if k_irr:
        pool = [s for s in treated if s not in irr_severe]
        for i in rng.choice(len(pool), size=k_irr - len(irr_severe), replace=False):
            s = pool[int(i)]
            grade = int(rng.choice([1, 2]))
            rows.append(_ae(rng, s, _IRR, grade, False, min(window[s], 10.0)))
    for term, share in _MILD:
        rows += _adae(rng, treated, [(term, round(share * n), [1, 2], False)], window)
    return rows


def _cmh_strata(
    n_a: int, r_a: int, n_b: int, r_b: int, share: float = 0.4
) -> tuple[int, int, int, int]:
    """Subjects and responders of the first stratum per arm, (t_a, k_a, t_b, k_b), near
    ``share`` of each arm, for which the Cochran-Mantel-Haenszel test of ORR across the two
    strata gives p = 1.00: sum(O - E) is just over 1/2, so the continuity-corrected statistic
    (|O - E| - 1/2)^2 / V is ~0 (p > 0.995), as R's ``mantelhaen.test`` and statsmodels compute
    it (R leaves the correction out when |O - E| < 1/2, statsmodels does not)."""
    ca, cb = round(share * n_a), round(share * n_b)
    best: tuple[tuple[bool, float, float], tuple[int, int, int, int]] | None = None
    for ta in range(ca - 8, ca + 9):
        for tb in range(cb - 8, cb + 9):
            ea, eb = r_a * ta / n_a, r_b * tb / n_b
            for ka in range(max(0, round(ea) - 4), min(r_a, ta, round(ea) + 4) + 1):
                for kb in range(max(0, round(eb) - 4), min(r_b, tb, round(eb) + 4) + 1):
                    diff = var = 0.0
                    for a, na, b, nb in (
                        (ka, ta, kb, tb),
                        (r_a - ka, n_a - ta, r_b - kb, n_b - tb),
                    ):
                        n, m = na + nb, a + b
                        diff += a - na * m / n
                        var += na * nb * m * (n - m) / (n * n * (n - 1))
                    if abs(diff) < 0.5 + 1e-6:  # R drops the correction below 1/2
                        continue
                    stat = (abs(diff) - 0.5) ** 2 / var
                    far = abs(ta - ca) + abs(tb - cb) + abs(ka - ea) + abs(kb - eb)
                    key = (stat > 1e-5, far, stat)
                    if best is None or key < best[0]:
                        best = (key, (ta, ka, tb, kb))
    assert best is not None
    return best[1]


def _fortress(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The FORTRESS-like tables: per arm the >= 3rd-line efficacy subjects (plans of
    :func:`plan_arm`), the 2nd-line treated and the never treated, in random order; strata
    placed for the CMH p-value, AEs with the published safety counts, H-scores drawn last."""
    arms = []
    for arm in _FORTRESS_ARMS:
        plans = plan_arm(arm.spec, rng)
        n = arm.spec.n + arm.second_line + arm.untreated
        roles = ["EFF"] * arm.spec.n + ["2L"] * arm.second_line + ["NT"] * arm.untreated
        order = [int(i) for i in rng.permutation(n)]
        ids = [f"{arm.prefix}-{slot + 1:03d}" for slot in range(n)]
        role = {s: roles[i] for s, i in zip(ids, order, strict=True)}
        plan = {s: plans[i] for s, i in zip(ids, order, strict=True) if i < arm.spec.n}
        arms.append((arm, ids, role, plan))
    eff = [[s for s in ids if s in plan] for _, ids, _, plan in arms]
    resp = [[s for s in ids if s in plan and plan[s].kind == "PR"] for _, ids, _, plan in arms]
    ta, ka, tb, kb = _cmh_strata(len(eff[0]), len(resp[0]), len(eff[1]), len(resp[1]))
    tnbc: set[str] = set()
    for e, r, t, k in zip(eff, resp, (ta, tb), (ka, kb), strict=True):
        others = [s for s in e if s not in r]
        tnbc |= {str(s) for s in rng.choice(r, size=k, replace=False)}
        tnbc |= {str(s) for s in rng.choice(others, size=t - k, replace=False)}
    adsl_rows: list[Row] = []
    tr: list[Row] = []
    tte: list[Row] = []
    ae: list[Row] = []
    for arm, ids, role, plan in arms:
        eff_ids = [s for s in ids if s in plan]
        rows, times, exposure = _efficacy(eff_ids, [plan[s] for s in eff_ids], rng)
        tr += rows
        tte += times
        window = {s: _window(plan[s], exposure[s]) for s in eff_ids}
        deaths = {
            s: plan[s].os
            for s in eff_ids
            if plan[s].os_event and plan[s].os <= exposure[s] + TEAE_DAYS
        }
        for s in ids:
            if role[s] == "2L":
                exposure[s] = float(min(1 + round(rng.exponential(120.0)), 720))
                window[s] = exposure[s] + TEAE_DAYS
                deaths[s] = exposure[s] + float(rng.integers(1, TEAE_DAYS + 1))
            elif role[s] == "NT":
                exposure[s] = 0.0
        treated = [s for s in ids if role[s] != "NT"]
        ae += _fortress_adae(rng, arm, treated, window, deaths, set(eff_ids))
        step = 730 / len(ids)
        for slot, s in enumerate(ids):
            start = pd.Timestamp("2019-03-01") + pd.Timedelta(days=round(slot * step))
            in_eff = role[s] == "EFF"
            tnbc_s = s in tnbc if in_eff else bool(rng.random() < 0.4)
            adsl_rows.append(
                {
                    "USUBJID": s,
                    "ARM": arm.spec.arm,
                    "STRAT1": "TNBC" if tnbc_s else "HR+",
                    "PRIORCT": int(rng.choice([2, 3, 4], p=[0.5, 0.3, 0.2])) if in_eff else 1,
                    "TRTSDT": None if role[s] == "NT" else start.date(),
                    "TRTDURD": exposure[s],
                    "ITTFL": "Y",
                    "SAFFL": "N" if role[s] == "NT" else "Y",
                    "EFFFL": "Y" if in_eff else "N",
                    "SIMULATED": "Y",
                }
            )
    adsl = pd.DataFrame(adsl_rows)
    # CXCR4 IHC H-score (0-300, seed facts [biomarker.cxcr4_ihc]), drawn last and independent of
    # outcome: 300 x Beta(2, 2.75) puts about 14 % at >= 200, the "HIGH" group
    # (phase1_high_fraction = 0.14).
    hscore = np.rint(300 * rng.beta(2.0, 2.75, size=len(adsl))).astype(int)
    adsl.insert(3, "CXCR4HS", hscore)
    adsl.insert(4, "CXCR4GR", np.where(hscore >= CXCR4_HIGH, "HIGH", "LOW"))
    return _tables("fortress", adsl, tr, tte, ae)


def generate(out_dir: Path | None = None, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Build every simulated table (deterministic for a seed); write CSVs if ``out_dir``.

    Each trial draws from its own stream of ``seed``, so changing one leaves the other as is."""
    phase1b_seed, fortress_seed = np.random.SeedSequence(seed).spawn(2)
    tables = _phase1b(np.random.default_rng(phase1b_seed))
    tables |= _fortress(np.random.default_rng(fortress_seed))
    if out_dir is not None:
        for name, frame in tables.items():
            frame.to_csv(out_dir / name, index=False, float_format="%.10g")
    return tables


if __name__ == "__main__":  # pragma: no cover
    generate(Path(__file__).parent)
