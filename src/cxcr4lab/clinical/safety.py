"""Adverse-event incidence, exposure-adjusted rates and the infusion-reaction aid.

Per arm and preferred term (``AEDECOD``): subjects with the event at any grade, at CTCAE grade
>= 3 and serious, as % of the arm with Clopper-Pearson CIs; each subject counts once, at their
maximum grade. Exposure-adjusted incidence rate (EAIR): events per 100 patient-years (exposure
``TRTDURD`` in days from ADSL, 365.25 days a year) with the exact Poisson CI (as R's
``poisson.test``).

>>> [round(x, 4) for x in poisson_rate_ci(137, 24.19893)]
[5.6614, 4.7531, 6.6927]
>>> irr_action(2).action
'stop or slow the infusion; antihistamines; restart at a reduced rate once symptoms resolve'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from cxcr4lab.clinical.response import clopper_pearson
from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "IRR_SOURCE",
    "ArmExposure",
    "IrrAction",
    "SafetyResult",
    "TermIncidence",
    "ae_incidence",
    "irr_action",
    "poisson_rate_ci",
]

DAYS_PER_YEAR = 365.25
ANY_TEAE = "ANY TEAE"


def poisson_rate_ci(
    events: int, exposure: float, level: float = 0.95
) -> tuple[float, float, float]:
    """Rate = events / exposure and its exact (Garwood, chi-square) CI, as R's ``poisson.test``."""
    from scipy.stats import chi2

    if events < 0 or not (math.isfinite(exposure) and exposure > 0):
        raise InputError(
            f"need events >= 0 and exposure > 0, got {events}, {exposure}", field="exposure"
        )
    a = 1.0 - level
    lo = 0.0 if events == 0 else float(chi2.ppf(a / 2, 2 * events)) / 2 / exposure
    hi = float(chi2.ppf(1 - a / 2, 2 * events + 2)) / 2 / exposure
    return events / exposure, lo, hi


@dataclass(frozen=True)
class TermIncidence:
    """One preferred term in one arm: subjects (any grade, grade >= 3, serious), % and CIs (%),
    events and, with exposure, events per 100 patient-years with exact CI."""

    term: str
    arm: str
    n: int
    n_any: int
    pct_any: float
    ci_any: tuple[float, float]
    n_grade3: int
    pct_grade3: float
    ci_grade3: tuple[float, float]
    n_serious: int
    pct_serious: float
    n_events: int
    eair: float | None
    eair_ci: tuple[float, float] | None


@dataclass(frozen=True)
class ArmExposure:
    """An arm's size and total exposure (patient-years; None if ADSL has no TRTDURD)."""

    arm: str
    n: int
    patient_years: float | None
    max_grade_counts: Mapping[str, int]


@dataclass(frozen=True)
class SafetyResult(Serial):
    """AE table per arm and term (``ANY TEAE`` first), with exposure per arm."""

    kind: ClassVar[str] = "safety"

    source: str
    arms: tuple[ArmExposure, ...]
    terms: tuple[TermIncidence, ...]
    level: float = 0.95
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> pd.DataFrame:
        """One row per term and arm; percentages and rates carry their units."""
        pct = round(self.level * 100)
        rows = []
        for t in self.terms:
            rows.append(
                {
                    "term": t.term,
                    "arm": t.arm,
                    "n (subjects)": t.n,
                    "any grade (subjects)": t.n_any,
                    "any grade (%)": t.pct_any,
                    f"any grade {pct}% CI low (%)": t.ci_any[0],
                    f"any grade {pct}% CI high (%)": t.ci_any[1],
                    "grade >=3 (subjects)": t.n_grade3,
                    "grade >=3 (%)": t.pct_grade3,
                    f"grade >=3 {pct}% CI low (%)": t.ci_grade3[0],
                    f"grade >=3 {pct}% CI high (%)": t.ci_grade3[1],
                    "serious (subjects)": t.n_serious,
                    "serious (%)": t.pct_serious,
                    "events": t.n_events,
                    "EAIR (events/100 patient-years)": t.eair,
                    f"EAIR {pct}% CI low (events/100 patient-years)": (
                        None if t.eair_ci is None else t.eair_ci[0]
                    ),
                    f"EAIR {pct}% CI high (events/100 patient-years)": (
                        None if t.eair_ci is None else t.eair_ci[1]
                    ),
                }
            )
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Any]:
        """Safety tables yield no potencies (app protocol)."""
        return []


def ae_incidence(
    adae: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    by: str = "ARM",
    source: str = "",
    level: float = 0.95,
    min_pct: float = 0.0,
) -> SafetyResult:
    """Incidence by preferred term and maximum grade per subject, per arm (validated tables).

    Denominators are the ADSL subjects of each arm (the safety population). Terms below
    ``min_pct`` (any grade, in every arm) are left out of the table but not out of ``ANY TEAE``.
    """
    if by not in adsl.columns:
        raise InputError(f"column {quote(by)} is not in ADSL", field="--by", column=by)
    arm_of = dict(zip(adsl["USUBJID"], adsl[by].astype(str), strict=True))
    ae = adae.assign(_ARM=[arm_of.get(u, "") for u in adae["USUBJID"]])
    missing = ae.loc[ae["_ARM"] == "", "USUBJID"]
    if len(missing):
        raise InputError("subject is not in ADSL", field=str(missing.iloc[0]), column="USUBJID")
    arms_order = list(dict.fromkeys(arm_of.values()))
    exposure: dict[str, float | None] = {}
    arms: list[ArmExposure] = []
    for arm in arms_order:
        members = adsl[adsl[by].astype(str) == arm]
        n = len(members)
        py = None
        if "TRTDURD" in adsl.columns and members["TRTDURD"].notna().all():
            py = float(members["TRTDURD"].sum()) / DAYS_PER_YEAR
        exposure[arm] = py
        sub = ae[ae["_ARM"] == arm]
        worst = sub.groupby("USUBJID")["AETOXGR"].max()
        grades = {"none": n - len(worst)}
        grades |= {f"grade {g}": int((worst == g).sum()) for g in range(1, 6)}
        arms.append(ArmExposure(arm, n, py, grades))
    terms_all = [ANY_TEAE, *sorted(ae["AEDECOD"].unique())]
    rows: list[TermIncidence] = []
    for term in terms_all:
        per_arm = []
        for a in arms:
            sub = ae[ae["_ARM"] == a.arm]
            if term != ANY_TEAE:
                sub = sub[sub["AEDECOD"] == term]
            worst = sub.groupby("USUBJID")["AETOXGR"].max()
            serious = sub.groupby("USUBJID")["AESER"].any()
            k_any, k3, kser = len(worst), int((worst >= 3).sum()), int(serious.sum())
            py = exposure[a.arm]
            eair = eci = None
            if py is not None and py > 0:
                r, lo, hi = poisson_rate_ci(len(sub), py, level)
                eair, eci = 100 * r, (100 * lo, 100 * hi)
            lo_a, hi_a = clopper_pearson(k_any, a.n, level)
            lo3, hi3 = clopper_pearson(k3, a.n, level)
            per_arm.append(
                TermIncidence(
                    term,
                    a.arm,
                    a.n,
                    k_any,
                    100 * k_any / a.n,
                    (100 * lo_a, 100 * hi_a),
                    k3,
                    100 * k3 / a.n,
                    (100 * lo3, 100 * hi3),
                    kser,
                    100 * kser / a.n,
                    len(sub),
                    eair,
                    eci,
                )
            )
        if term == ANY_TEAE or max(t.pct_any for t in per_arm) >= min_pct:
            rows.extend(per_arm)
    first = [r for r in rows if r.term == ANY_TEAE]
    rest = sorted(
        (r for r in rows if r.term != ANY_TEAE),
        key=lambda r: (-max(x.pct_any for x in rows if x.term == r.term), r.term),
    )
    notes = (
        ()
        if all(e is not None for e in exposure.values())
        else ("EAIR not computed: ADSL has no complete TRTDURD (exposure, days)",)
    )
    return SafetyResult(source, tuple(arms), tuple(first + rest), level, notes)


IRR_SOURCE = (
    "seeds/001_90d0abc8e2ccc4e9.txt (balixafortide technical-support notes, section 5 "
    "'Management of Infusion-Related Reactions' and troubleshooting 'Issue 1'); a vendor "
    "summary of the FORTRESS protocol, not a clinical guideline"
)


@dataclass(frozen=True)
class IrrAction:
    """What the source says to do for an infusion-related reaction of a CTCAE grade."""

    grade: int
    action: str
    detail: str
    source: str = IRR_SOURCE


def irr_action(grade: int) -> IrrAction:
    """CTCAE grade (1-5) of an infusion-related reaction -> the management action."""
    if grade not in (1, 2, 3, 4, 5):
        raise InputError(f"CTCAE grade must be 1-5, got {quote(grade)}", field="grade")
    if grade <= 2:
        return IrrAction(
            grade,
            "stop or slow the infusion; antihistamines; restart at a reduced rate once symptoms "
            "resolve",
            "mild/moderate: antihistamine (e.g. diphenhydramine) and an H2 antagonist (e.g. "
            "famotidine); premedicate later infusions with antihistamines",
        )
    if grade <= 4:
        return IrrAction(
            grade,
            "stop the infusion immediately and permanently discontinue treatment",
            "severe: emergency protocol, which may include corticosteroids (e.g. hydrocortisone) "
            "and epinephrine",
        )
    return IrrAction(grade, "fatal event: report as a serious adverse event", "grade 5 (death)")
