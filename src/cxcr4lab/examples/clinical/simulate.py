"""SIMULATED patient-level clinical data matching published balixafortide summaries.

Nothing here is patient data. :func:`generate` builds, from a fixed seed, CDISC-style tables for

* ``phase1b_*``: the phase 1b trial (NCT01837095): ADSL and ADAE for all 56 enrolled (AE counts of
  the published table), TR/ADRS/ADTTE for the 24-patient expansion cohort (``EFFFL = Y``):
  9 PR (ORR 37.5 %), 15 with clinical benefit (CBR 63 %), median PFS 6.2 and OS 18.0 months,
  9/24 grade 3/4 neutropenia;
* ``fortress_*``: a FORTRESS-like (NCT03786094) two-arm trial, 162 vs 168 subjects: ORR 13.0 %
  vs 13.7 % (21/162, 23/168), CBR 16.7 % vs 19.6 %, median PFS 3.5 vs 4.0 and OS 11.0 vs 11.2
  months, infusion-related reactions in 43.6 % of the combination arm; a CXCR4 H-score
  (``CXCR4HS``, 0-300) and its group (``CXCR4GR``: HIGH if >= 200, about 14 %) per subject,
  independent of outcome.

Tumour measurements come first; ADRS is derived from them by :mod:`cxcr4lab.clinical.recist`, so
the tables agree. Times are study days (ADTTE ``AVALU = DAYS``; 30.4375 days a month).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxcr4lab.clinical.recist import (
    assessment_schedule,
    assign_visits,
    derive_recist,
    recist_to_adrs,
    target_response,
)

__all__ = ["CXCR4_HIGH", "DAYS_PER_MONTH", "SEED", "ArmSpec", "generate", "simulate_arm"]

SEED = 20190101
DAYS_PER_MONTH = 30.4375
COMBINATION = "balixafortide + eribulin"
ERIBULIN = "eribulin"
CXCR4_HIGH = 200
"""H-score cut-off of the simulated CXCR4 "HIGH" subgroup (FORTRESS-like ADSL ``CXCR4GR``)."""


@dataclass(frozen=True)
class ArmSpec:
    """Quotas of one simulated arm: subjects by best response and median times (months)."""

    arm: str
    prefix: str
    n: int
    n_pr: int
    n_cb: int
    n_pd: int
    n_ne: int
    pfs_months: float
    os_months: float
    pfs_cutoff: int
    os_cutoff: int


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


def simulate_arm(
    spec: ArmSpec, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ADSL, TR and ADTTE rows of one arm (ADRS is derived later from TR)."""
    n_eval = spec.n - spec.n_ne
    n_short = n_eval - spec.n_cb - spec.n_pd
    pfs_target = round(spec.pfs_months * DAYS_PER_MONTH)
    pfs = _median_times(
        n_eval,
        pfs_target,
        [(spec.n_pd, 18, 34), (n_short, 50, 160), (spec.n_cb, 183, 450)],
    )
    kinds = ["PD"] * spec.n_pd + ["SD"] * n_short + ["CB"] * spec.n_cb
    cb_idx = [i for i, k in enumerate(kinds) if k == "CB"]
    for i in rng.choice(cb_idx, size=spec.n_pr, replace=False):
        kinds[int(i)] = "PR"
    pfs_all = np.concatenate([np.ones(spec.n_ne), pfs])
    kinds = ["NE"] * spec.n_ne + kinds
    os_target = round(spec.os_months * DAYS_PER_MONTH)
    q = -(os_target / math.log(2)) * np.log(1 - (np.arange(spec.n) + 0.5) / spec.n)
    os_t = np.sort(np.maximum(q.round(), 1.0))
    k = math.ceil(spec.n / 2) - 1
    os_t[k] = os_target
    if spec.n % 2 == 0:
        os_t[k + 1] = os_target
    os_t = np.maximum.accumulate(np.maximum(os_t, pfs_all + 14))
    order = rng.permutation(spec.n)
    schedule = assessment_schedule(spec.pfs_cutoff + 14)
    adsl, tr, tte = [], [], []
    for slot, idx in enumerate(order):
        subject = f"{spec.prefix}-{slot + 1:03d}"
        kind, t_pfs, t_os = kinds[idx], float(pfs_all[idx]), float(os_t[idx])
        pfs_cens = kind == "NE" or t_pfs > spec.pfs_cutoff
        lesions = _lesions(rng)
        base_day = -int(rng.integers(1, 15))
        for lid, target, node, diam in lesions:
            tr.append(
                _row(subject, "BASELINE", base_day, lid, target, node, diam, False, "PRESENT")
            )
        last = 1.0
        if kind != "NE":
            end = min(t_pfs, spec.pfs_cutoff)
            days = [float(v.day) for v in schedule if v.latest < end]
            if not pfs_cens:
                days.append(t_pfs)
            elif days:
                t_pfs = days[-1]
            names = assign_visits(days, schedule)
            base_sum = sum(d for _, tg, _, d in lesions if tg)
            level = 1.0
            nadir = base_sum
            for j, (day, name) in enumerate(zip(days, names, strict=True)):
                is_pd = not pfs_cens and j == len(days) - 1
                if kind == "PR":
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
                if (
                    is_pd
                    and nt != "PD"
                    and not new
                    and (
                        target_response(total, baseline=base_sum, nadir=nadir, all_gone=False)
                        != "PD"
                    )
                ):
                    new = True
                if not is_pd:
                    nadir = min(nadir, total)
                has_nt = any(not tg for _, tg, _, _ in lesions)
                if nt == "PD" and not has_nt:
                    new = True
                for lid, tg, node, _ in lesions:
                    tr.append(
                        _row(subject, name, day, lid, tg, node, diams.get(lid, math.nan), False, nt)
                    )
                if new:
                    tr.append(_row(subject, name, day, "NEW01", False, False, math.nan, True, ""))
            last = days[-1] if days else 1.0
            if pfs_cens:
                t_pfs = last
        os_cens = t_os > spec.os_cutoff
        t_os_out = float(spec.os_cutoff) if os_cens else t_os
        tte.append(_tte(subject, "PFS", "Progression-free survival", t_pfs, pfs_cens))
        tte.append(_tte(subject, "OS", "Overall survival", t_os_out, os_cens))
        adsl.append(
            {
                "USUBJID": subject,
                "ARM": spec.arm,
                "STRAT1": "TNBC" if rng.random() < 0.4 else "HR+",
                "TRTSDT": (pd.Timestamp("2019-06-01") + pd.Timedelta(days=7 * slot)).date(),
                "TRTDURD": max(t_pfs, 1.0),
                "EFFFL": "Y",
                "SAFFL": "Y",
                "SIMULATED": "Y",
            }
        )
    return pd.DataFrame(adsl), pd.DataFrame(tr), pd.DataFrame(tte)


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
) -> dict[str, object]:
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


def _tte(subject: str, code: str, label: str, aval: float, cens: bool) -> dict[str, object]:
    return {
        "USUBJID": subject,
        "PARAMCD": code,
        "PARAM": label,
        "AVAL": aval,
        "AVALU": "DAYS",
        "CNSR": int(cens),
    }


def _adae(
    rng: np.random.Generator,
    subjects: list[str],
    plan: list[tuple[str, int, list[int], bool]],
) -> list[dict[str, object]]:
    """AE rows: for each (term, subjects with it, grades to hand out, serious), pick subjects."""
    rows: list[dict[str, object]] = []
    for term, k, grades, serious in plan:
        chosen = rng.choice(len(subjects), size=k, replace=False)
        for j, i in enumerate(chosen):
            g = grades[j % len(grades)]
            for e in range(1 if g >= 3 else int(rng.integers(1, 3))):
                rows.append(
                    {
                        "USUBJID": subjects[int(i)],
                        "AEDECOD": term,
                        "AETOXGR": g,
                        "AESER": "Y" if serious else "N",
                        "ASTDY": int(rng.integers(1, 120)) + 14 * e,
                    }
                )
    return rows


def _fortress(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    specs = (
        ArmSpec(COMBINATION, "FTR-BE", 162, 21, 27, 45, 6, 3.5, 11.0, 330, 730),
        ArmSpec(ERIBULIN, "FTR-E", 168, 23, 33, 42, 6, 4.0, 11.2, 330, 730),
    )
    parts = [simulate_arm(s, rng) for s in specs]
    adsl = pd.concat([p[0] for p in parts], ignore_index=True)
    ae: list[dict[str, object]] = []
    for spec, (arm_sl, _, _) in zip(specs, parts, strict=True):
        ids = list(arm_sl["USUBJID"])
        n = len(ids)
        combo = spec.arm == COMBINATION
        plan = [
            ("NEUTROPENIA", round(0.52 * n), [3, 4, 2, 3, 1, 4], False),
            ("FATIGUE", round(0.40 * n), [1, 2, 2, 3], False),
            ("NAUSEA", round(0.25 * n), [1, 2], False),
            ("ALOPECIA", round(0.30 * n), [1, 2], False),
            ("PERIPHERAL SENSORY NEUROPATHY", round(0.21 * n), [1, 2, 3], False),
            ("FEBRILE NEUTROPENIA", round(0.05 * n), [3], True),
        ]
        if combo:
            plan.append(("INFUSION RELATED REACTION", round(0.436 * n), [1, 2, 2, 3], False))
        rows = _adae(rng, ids, plan)
        target_g3 = round((0.683 if combo else 0.642) * n)
        have = {str(r["USUBJID"]) for r in rows if int(str(r["AETOXGR"])) >= 3}
        free = [s for s in ids if s not in have]
        extra = rng.choice(len(free), size=max(0, target_g3 - len(have)), replace=False)
        for i in extra:
            rows.append(
                {
                    "USUBJID": free[int(i)],
                    "AEDECOD": "ANAEMIA",
                    "AETOXGR": 3,
                    "AESER": "N",
                    "ASTDY": int(rng.integers(1, 120)),
                }
            )
        ae.extend(rows)
    # CXCR4 IHC H-score (0-300, seed facts [biomarker.cxcr4_ihc]), drawn last and independent of
    # outcome: 300 x Beta(2, 2.75) puts about 14 % at >= 200, the "HIGH" group
    # (phase1_high_fraction = 0.14).
    hscore = np.rint(300 * rng.beta(2.0, 2.75, size=len(adsl))).astype(int)
    adsl.insert(3, "CXCR4HS", hscore)
    adsl.insert(4, "CXCR4GR", np.where(hscore >= CXCR4_HIGH, "HIGH", "LOW"))
    return _tables("fortress", adsl, parts, pd.DataFrame(ae))


def _phase1b(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    spec = ArmSpec(COMBINATION, "P1B-X", 24, 9, 15, 3, 0, 6.2, 18.0, 480, 900)
    part = simulate_arm(spec, rng)
    escalation = pd.DataFrame(
        {
            "USUBJID": [f"P1B-D-{i + 1:03d}" for i in range(32)],
            "ARM": COMBINATION,
            "STRAT1": "",
            "TRTSDT": [
                (pd.Timestamp("2013-06-01") + pd.Timedelta(days=14 * i)).date() for i in range(32)
            ],
            "TRTDURD": [float(d) for d in rng.integers(42, 300, size=32)],
            "EFFFL": "N",
            "SAFFL": "Y",
            "SIMULATED": "Y",
        }
    )
    expansion = part[0].assign(COHORT="EXPANSION")
    adsl = pd.concat([escalation.assign(COHORT="ESCALATION"), expansion], ignore_index=True)
    ids = list(adsl["USUBJID"])
    exp_ids = list(expansion["USUBJID"])
    # published: any grade of 56 (fatigue 44, neutropenia 32, IRR 27, alopecia 26,
    # constipation 26, nausea 25); 9/24 grade 3/4 neutropenia in the expansion cohort
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
    )
    severe = _adae(rng, exp_ids, [("NEUTROPENIA", 9, [3, 4, 3], False)])
    g34 = {str(r["USUBJID"]) for r in severe}
    pool = [s for s in ids if s not in g34]
    rows += severe + _adae(rng, pool, [("NEUTROPENIA", 32 - len(g34), [1, 2], False)])
    rows += _adae(
        rng,
        ids,
        [
            ("FEBRILE NEUTROPENIA", 5, [3], True),
            ("NEUTROPHIL COUNT DECREASED", 2, [4], True),
            ("PNEUMONIA", 2, [3], True),
            ("SEPSIS", 1, [5], True),
        ],
    )
    return _tables("phase1b", adsl, [part], pd.DataFrame(rows))


def _tables(
    prefix: str,
    adsl: pd.DataFrame,
    parts: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]],
    adae: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    from cxcr4lab.clinical.cdisc import validate_tr

    tr = pd.concat([p[1] for p in parts], ignore_index=True)
    visits, subjects = derive_recist(validate_tr(tr, f"{prefix}_tr.csv"))
    adrs = recist_to_adrs(visits, subjects)
    tte = pd.concat([p[2] for p in parts], ignore_index=True)
    adae = adae.sort_values(["USUBJID", "ASTDY", "AEDECOD"], kind="stable").reset_index(drop=True)
    return {
        f"{prefix}_adsl.csv": adsl,
        f"{prefix}_tr.csv": tr,
        f"{prefix}_adrs.csv": adrs,
        f"{prefix}_adtte.csv": tte,
        f"{prefix}_adae.csv": adae,
    }


def generate(out_dir: Path | None = None, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Build every simulated table (deterministic for a seed); write CSVs if ``out_dir``."""
    rng = np.random.default_rng(seed)
    tables = _phase1b(rng) | _fortress(rng)
    if out_dir is not None:
        for name, frame in tables.items():
            frame.to_csv(out_dir / name, index=False, float_format="%.10g")
    return tables


if __name__ == "__main__":  # pragma: no cover
    generate(Path(__file__).parent)
