"""RECIST 1.1 rules (Eisenhauer et al. 2009, section 4.3 and tables 1-3) on hand-built cases."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxcr4lab.clinical.cdisc import read_clinical_bytes, validate_adrs, validate_tr
from cxcr4lab.clinical.recist import (
    BOR_ORDER,
    RecistSettings,
    assessment_schedule,
    assign_visits,
    best_overall_response,
    derive_recist,
    nontarget_response,
    overall_response,
    target_response,
)
from cxcr4lab.core.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "clinical"


@pytest.mark.parametrize(
    ("total", "baseline", "nadir", "gone", "expected"),
    [
        (70.0, 100.0, 100.0, False, "PR"),  # exactly a 30 % decrease
        (71.0, 100.0, 100.0, False, "SD"),
        (24.0, 30.0, 20.0, False, "SD"),  # +20 % from nadir but only 4 mm: not PD
        (25.0, 30.0, 20.0, False, "PD"),  # +25 % and 5 mm
        (119.0, 100.0, 100.0, False, "SD"),
        (120.0, 100.0, 100.0, False, "PD"),
        (8.0, 60.0, 8.0, True, "CR"),  # nodes < 10 mm count towards the sum, still CR
        (40.0, 100.0, 30.0, False, "PD"),  # PR from baseline but PD from the nadir
    ],
)
def test_target_response_rules(
    total: float, baseline: float, nadir: float, gone: bool, expected: str
) -> None:
    assert target_response(total, baseline=baseline, nadir=nadir, all_gone=gone) == expected


def test_missing_target_is_ne_unless_already_pd() -> None:
    assert target_response(50.0, baseline=60.0, nadir=60.0, all_gone=False, missing=True) == "NE"
    assert target_response(80.0, baseline=60.0, nadir=60.0, all_gone=False, missing=True) == "PD"


@pytest.mark.parametrize(
    ("target", "nontarget", "new", "expected"),
    [  # RECIST 1.1 table 1
        ("CR", "CR", False, "CR"),
        ("CR", "NA", False, "CR"),
        ("CR", "NON-CR/NON-PD", False, "PR"),
        ("CR", "NE", False, "PR"),
        ("PR", "NON-CR/NON-PD", False, "PR"),
        ("PR", "NE", False, "PR"),
        ("SD", "NON-CR/NON-PD", False, "SD"),
        ("SD", "NE", False, "SD"),
        ("NE", "NON-CR/NON-PD", False, "NE"),
        ("PD", "CR", False, "PD"),
        ("SD", "PD", False, "PD"),
        ("CR", "CR", True, "PD"),
        # table 2: non-target disease only
        ("NA", "CR", False, "CR"),
        ("NA", "NON-CR/NON-PD", False, "NON-CR/NON-PD"),
        ("NA", "NE", False, "NE"),
        ("NA", "PD", False, "PD"),
    ],
)
def test_overall_response_tables(target: str, nontarget: str, new: bool, expected: str) -> None:
    assert overall_response(target, nontarget, new_lesion=new) == expected


def test_nontarget_response() -> None:
    assert nontarget_response([]) == "NA"
    assert nontarget_response(["ABSENT", "ABSENT"]) == "CR"
    assert nontarget_response(["ABSENT", "PRESENT"]) == "NON-CR/NON-PD"
    assert nontarget_response(["PRESENT", "NE"]) == "NE"
    assert nontarget_response(["NE", "PD"]) == "PD"


@pytest.mark.parametrize(
    ("days", "responses", "expected"),
    [  # RECIST 1.1 table 3 (first / subsequent time point), SD minimum 6 weeks
        ([42, 84], ["CR", "CR"], "CR"),
        ([42, 84], ["PR", "CR"], "PR"),
        ([42, 84], ["PR", "PR"], "PR"),
        ([42, 84], ["PR", "SD"], "SD"),
        ([42, 84], ["PR", "PD"], "SD"),
        ([21, 42], ["PR", "PD"], "PD"),  # SD minimum not met before PD
        ([42, 84], ["CR", "NE"], "SD"),
        ([21, 42], ["CR", "NE"], "NE"),
        ([42, 84], ["NE", "NE"], "NE"),
        ([42, 50], ["PR", "PR"], "SD"),  # second PR too early (< 4 weeks) to confirm
        ([42, 84, 126], ["PR", "SD", "PR"], "SD"),
        ([42, 84, 126, 168], ["PR", "SD", "PR", "PR"], "PR"),
        ([42, 84, 126], ["PD", "PR", "PR"], "PD"),  # nothing after PD counts
        ([], [], "NE"),
    ],
)
def test_best_overall_response_with_confirmation(
    days: list[float], responses: list[str], expected: str
) -> None:
    assert best_overall_response(days, responses) == expected


def test_confirmation_and_sd_duration_are_settings() -> None:
    assert best_overall_response([42], ["PR"], RecistSettings(confirm=False)) == "PR"
    assert best_overall_response([42], ["PR"]) == "SD"
    assert best_overall_response([42, 84], ["SD", "PD"], RecistSettings(min_sd_days=49)) == "SD"
    assert best_overall_response([42, 84], ["SD", "PD"], RecistSettings(min_sd_days=56)) == "PD"
    with pytest.raises(InputError, match="min_sd_days"):
        RecistSettings(min_sd_days=-1)


_RESP = st.sampled_from(["CR", "PR", "SD", "PD", "NE"])


@given(st.lists(_RESP, max_size=8), st.lists(_RESP, max_size=3))
def test_visits_after_the_first_pd_do_not_change_bor(before: list[str], after: list[str]) -> None:
    seq = [*before, "PD", *after]
    days = [42.0 * (i + 1) for i in range(len(seq))]
    head = seq[: len(before) + 1]
    assert best_overall_response(days, seq) == best_overall_response(days[: len(head)], head)


@given(st.lists(_RESP, min_size=1, max_size=8))
def test_bor_is_never_better_than_the_best_visit(seq: list[str]) -> None:
    days = [42.0 * (i + 1) for i in range(len(seq))]
    bor = best_overall_response(days, seq)
    best_visit = min(BOR_ORDER.index(r) for r in seq)
    assert BOR_ORDER.index(bor) >= best_visit or bor == "NE"


@given(
    st.sampled_from(["CR", "PR", "SD", "PD", "NE", "NA"]),
    st.sampled_from(["CR", "NON-CR/NON-PD", "PD", "NE", "NA"]),
)
def test_new_lesion_or_any_pd_dominates(target: str, nontarget: str) -> None:
    assert overall_response(target, nontarget, new_lesion=True) == "PD"
    if "PD" in (target, nontarget):
        assert overall_response(target, nontarget, new_lesion=False) == "PD"


@given(
    st.floats(10, 500),
    st.floats(0.05, 1.0),
    st.floats(0.0, 3.0),
)
def test_target_response_is_a_function_of_the_sums(base: float, nf: float, tf: float) -> None:
    nadir, total = base * nf, base * nf * tf
    r = target_response(total, baseline=base, nadir=nadir, all_gone=False)
    is_pd = total >= 1.2 * nadir and total - nadir >= 5.0
    assert (r == "PD") == is_pd
    if not is_pd:
        assert r == ("PR" if total <= 0.7 * base else "SD")


def _lesion_table() -> pd.DataFrame:
    rows = [
        # subject, visit, day, lesion, target, node, diam, new, ntstat
        ("A", "BASELINE", -5, "T1", "Y", "N", 30, "N", ""),
        ("A", "BASELINE", -5, "T2", "Y", "Y", 20, "N", ""),  # node, short axis
        ("A", "BASELINE", -5, "NT1", "N", "N", None, "N", "PRESENT"),
        ("A", "WEEK 6", 42, "T1", "Y", "N", 0, "N", ""),
        ("A", "WEEK 6", 42, "T2", "Y", "Y", 9, "N", ""),
        ("A", "WEEK 6", 42, "NT1", "N", "N", None, "N", "ABSENT"),
        ("A", "WEEK 12", 84, "T1", "Y", "N", 0, "N", ""),
        ("A", "WEEK 12", 84, "T2", "Y", "Y", 8, "N", ""),
        ("A", "WEEK 12", 84, "NT1", "N", "N", None, "N", "ABSENT"),
        ("B", "BASELINE", -2, "T1", "Y", "N", 50, "N", ""),
        ("B", "WEEK 6", 40, "T1", "Y", "N", 30, "N", ""),
        ("B", "WEEK 12", 85, "T1", "Y", "N", 36, "N", ""),  # +20 % and 6 mm from nadir: PD
        ("C", "BASELINE", -2, "T1", "Y", "N", 50, "N", ""),
        ("C", "WEEK 6", 42, "T1", "Y", "N", 45, "N", ""),
        ("C", "WEEK 6", 42, "X1", "N", "N", None, "Y", ""),  # new lesion
    ]
    cols = ["USUBJID", "VISIT", "ADY", "LESIONID", "TARGET", "NODE", "DIAM", "NEW", "NTSTAT"]
    return validate_tr(pd.DataFrame(rows, columns=cols), "tr.csv")


def test_derive_recist_on_hand_built_lesions() -> None:
    visits, subjects = derive_recist(_lesion_table())
    by = {s.subject: s for s in subjects}
    # A: non-nodal gone and the node < 10 mm: CR with the sum still 9 and 8 mm
    assert [v.overall for v in visits if v.subject == "A"] == ["CR", "CR"]
    assert by["A"].bor == "CR" and by["A"].best_pct_change == pytest.approx(-84.0)
    assert [v.overall for v in visits if v.subject == "B"] == ["PR", "PD"]
    assert by["B"].bor == "SD" and by["B"].pd_day == 85
    assert by["C"].bor == "PD" and by["C"].best_pct_change == pytest.approx(-10.0)


def test_schedule_every_6_weeks_then_every_12() -> None:
    sched = assessment_schedule(600)
    days = [v.day for v in sched]
    assert days[:8] == [42 * i for i in range(1, 9)]
    assert all(b - a == 84 for a, b in pairwise(days[7:]))
    assert assign_visits([40, 60, 90], sched) == ["WEEK 6", "UNSCHEDULED", "WEEK 12"]
    with pytest.raises(InputError):
        assessment_schedule(0)


def test_example_adrs_is_the_recist_derivation_of_the_measurements() -> None:
    for trial in ("phase1b", "fortress"):
        tr = validate_tr(
            read_clinical_bytes((EXAMPLES / f"{trial}_tr.csv").read_bytes(), "tr.csv")[0], "tr"
        )
        adrs = validate_adrs(
            read_clinical_bytes((EXAMPLES / f"{trial}_adrs.csv").read_bytes(), "rs.csv")[0], "rs"
        )
        _, subjects = derive_recist(tr)
        bor = adrs[adrs["PARAMCD"] == "BOR"].set_index("USUBJID")["AVALC"]
        assert {s.subject: s.bor for s in subjects} == bor.to_dict()


def test_an_unmeasured_target_makes_the_visit_ne_unless_already_pd() -> None:
    cols = ["USUBJID", "VISIT", "ADY", "LESIONID", "TARGET", "NODE", "DIAM", "NEW", "NTSTAT"]
    rows = [
        ("D", "BASELINE", -1, "T1", "Y", "N", 40, "N", ""),
        ("D", "BASELINE", -1, "T2", "Y", "N", 20, "N", ""),
        ("D", "WEEK 6", 42, "T1", "Y", "N", 38, "N", ""),
        ("D", "WEEK 6", 42, "T2", "Y", "N", None, "N", ""),  # not measured: NE
        ("D", "WEEK 12", 84, "T1", "Y", "N", 80, "N", ""),
        ("D", "WEEK 12", 84, "T2", "Y", "N", None, "N", ""),  # 80 mm alone is PD
    ]
    tr = validate_tr(pd.DataFrame(rows, columns=cols), "tr.csv")
    visits, subjects = derive_recist(tr)
    assert [(v.target, v.overall, v.target_sum) for v in visits] == [
        ("NE", "NE", None),
        ("PD", "PD", 80.0),
    ]
    assert subjects[0].bor == "PD"
