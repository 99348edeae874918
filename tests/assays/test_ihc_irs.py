"""IHC immunoreactive score (IRS, Remmele & Stegner 1987) beside the H-score, and the one
high/low rule (``>`` or ``>=``) the IHC assay shares with the clinical analyses.

Expected values are written by hand from the published definition: IRS = intensity (0 none,
1 weak, 2 moderate, 3 strong) x proportion of positive cells (0 none, 1 < 10 %, 2 10-50 %,
3 51-80 %, 4 > 80 %), range 0-12.
"""

from __future__ import annotations

import json

import pytest

from cxcr4lab.assays.ihc import (
    IhcResult,
    IhcSettings,
    analyse,
    immunoreactive_score,
    predominant_intensity,
    proportion_score,
)
from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.core.cutoff import CutoffRule
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, example_inputs, run_kind

# Remmele & Stegner's table: rows intensity 0-3, columns proportion score 0-4
PUBLISHED_IRS = [
    [0, 0, 0, 0, 0],
    [0, 1, 2, 3, 4],
    [0, 2, 4, 6, 8],
    [0, 3, 6, 9, 12],
]


def run(text: str, **settings: object) -> IhcResult:
    return analyse(
        read_table_bytes(text.encode(), "scores.csv"),
        IhcSettings(**settings),  # type: ignore[arg-type]
    )


def test_the_published_irs_table() -> None:
    for intensity, row in enumerate(PUBLISHED_IRS):
        for proportion, irs in enumerate(row):
            assert immunoreactive_score(intensity, proportion) == irs
    with pytest.raises(ValueError):
        immunoreactive_score(4, 1)
    with pytest.raises(ValueError):
        immunoreactive_score(1, 5)


@pytest.mark.parametrize(
    ("pct", "score"),
    [
        (0, 0),
        (0.5, 1),
        (9.99, 1),
        (10, 2),  # "10-50 %": exactly 10 % is 2
        (50, 2),  # exactly 50 % is still 2
        (50.01, 3),
        (51, 3),
        (80, 3),  # "51-80 %": exactly 80 % is 3
        (80.01, 4),
        (100, 4),
    ],
)
def test_proportion_score_boundaries(pct: float, score: int) -> None:
    assert proportion_score(pct) == score


@pytest.mark.parametrize("pct", [-1, 100.5, float("nan")])
def test_proportion_score_refuses_a_percentage_outside_0_100(pct: float) -> None:
    with pytest.raises(ValueError):
        proportion_score(pct)


def test_predominant_intensity_rule() -> None:
    assert predominant_intensity(0, 0, 0) == 0
    assert predominant_intensity(30, 10, 5) == 1
    assert predominant_intensity(10, 30, 40) == 3
    assert predominant_intensity(20, 20, 10) == 1  # a tie goes to the weaker class
    assert predominant_intensity(0, 25, 25) == 2


PERCENT = """patient,pct_1,pct_2,pct_3
A,5,0,0
B,10,0,0
C,20,20,10
D,10,30,40
E,5,15,61
F,0,0,0
G,0,60,25
H,0,100,0
"""
# by hand: % positive -> proportion; predominant intensity; IRS; H-score
BY_HAND = {
    "A": (1, 1, 1, 5.0),
    "B": (1, 2, 2, 10.0),
    "C": (1, 2, 2, 90.0),
    "D": (3, 3, 9, 190.0),
    "E": (3, 4, 12, 218.0),
    "F": (0, 0, 0, 0.0),
    "G": (2, 4, 8, 195.0),
    "H": (2, 4, 8, 200.0),
}


def test_irs_derived_from_percentages_by_hand() -> None:
    r = run(PERCENT, cutoff=7, scale="irs")
    assert r.input_format == "percent"
    for p in r.patients:
        intensity, proportion, irs, h = BY_HAND[p.patient]
        assert (p.intensity_score, p.proportion_score, p.irs) == (intensity, proportion, irs)
        assert p.h_score == pytest.approx(h)  # the H-score stays beside it
    assert {p.patient for p in r.patients if p.high} == {"D", "E", "G", "H"}
    table = r.summary()
    assert list(table["irs_0_12"]) == [BY_HAND[k][2] for k in "ABCDEFGH"]
    assert set(table["rule"]) == {"high = IRS > 7"}
    strat = r.stratification_table()
    assert list(strat.columns) == ["patient", "cxcr4_irs", "cxcr4_high", "cxcr4_category"]
    assert strat.attrs["rule"] == "high = IRS > 7"


def test_score_exactly_at_the_cutoff_with_strict_and_non_strict_rules() -> None:
    strict = run(PERCENT, cutoff=8, scale="irs")
    inclusive = run(PERCENT, cutoff=8, scale="irs", comparison=">=")
    assert {p.patient for p in strict.patients if p.high} == {"D", "E"}
    assert {p.patient for p in inclusive.patients if p.high} == {"D", "E", "G", "H"}
    assert inclusive.settings.rule.text == "high = IRS >= 8"
    # the H-score too: patient H is exactly 200
    h_strict = run(PERCENT, cutoff=200)
    h_inclusive = run(PERCENT, cutoff=200, comparison=">=")
    assert {p.patient for p in h_strict.patients if p.high} == {"E"}
    assert {p.patient for p in h_inclusive.patients if p.high} == {"E", "H"}
    assert set(h_inclusive.summary()["rule"]) == {"high = H-score >= 200"}


DIRECT = """patient,intensity_score,proportion_score
T1,3,4
T2,2,4
T3,3,3
T4,0,0
T5,1,2
"""


def test_irs_given_directly() -> None:
    r = run(DIRECT, cutoff=7, scale="irs")
    assert r.input_format == "irs"
    assert [p.irs for p in r.patients] == [12, 8, 9, 0, 2]
    assert [p.high for p in r.patients] == [True, True, True, False, False]
    back = IhcResult.from_dict(json.loads(json.dumps(r.to_dict(), allow_nan=False)))
    assert back.summary().equals(r.summary())


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("T9,4,2", "intensity_score", "not a score from 0 to 3"),
        ("T9,-1,2", "intensity_score", "not a score from 0 to 3"),
        ("T9,2,5", "proportion_score", "not a score from 0 to 4"),
        ("T9,2,2.5", "proportion_score", "not a score from 0 to 4"),
        ("T9,2,", "proportion_score", "missing"),
    ],
)
def test_direct_scores_out_of_range(row: str, column: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        run(DIRECT + row + "\n", cutoff=7, scale="irs")
    assert err.value.place.row == 7 and err.value.place.column == column


@pytest.mark.parametrize(
    ("row", "message"), [("X,101,0,0", "more than 100%"), ("X,-5,0,0", ">= 0")]
)
def test_percent_outside_0_100(row: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        run(PERCENT + row + "\n", cutoff=7, scale="irs")
    assert err.value.place.row == 10


def test_direct_scores_need_the_irs_scale() -> None:
    with pytest.raises(InputError, match="use scale irs") as err:
        run(DIRECT, cutoff=7)
    assert err.value.place.field == "scale"


def test_irs_cutoff_and_comparison_are_checked() -> None:
    with pytest.raises(InputError, match=r"IRS cut-off must be in \[0, 12\)"):
        IhcSettings(cutoff=200, scale="irs")
    with pytest.raises(InputError, match="comparison must be > or >="):
        IhcSettings(cutoff=7, scale="irs", comparison="<")  # type: ignore[arg-type]


def test_h_score_results_are_stored_as_before() -> None:
    """The default (H-score, ">") writes no new key: analyses stored before keep their form."""
    r = run(PERCENT, cutoff=200)
    d = r.to_dict()
    assert set(d["settings"]) == {"cutoff", "marker", "compartment", "sum_tolerance_pct"}
    assert "irs" not in d["patients"][0] and "intensity_score" not in d["patients"][0]
    inclusive = run(PERCENT, cutoff=200, comparison=">=").to_dict()
    assert inclusive["settings"]["comparison"] == ">="


def test_the_irs_example_recovers_its_truth() -> None:
    """examples/ihc/README.md: 40 SIMULATED tumours, 6 with IRS > 7."""
    example = next(e for e in KINDS["ihc"].examples if e.files["scores"] == "irs_scores.csv")
    outcome = run_kind("ihc", example_inputs(example), dict(example.options))
    r = outcome.result
    assert len(r.patients) == 40 and sum(p.high for p in r.patients) == 6
    assert outcome.parameters["rule"] == "high = IRS > 7"
    assert r.patient("T005").proportion_score == 2  # truth: exactly 10 % positive
    assert r.patient("T012").proportion_score == 2  # exactly 50 %
    assert r.patient("T019").proportion_score == 3  # exactly 80 %
    assert r.patient("T026").irs == 0  # no positive cell


def test_the_rule_object() -> None:
    rule = CutoffRule.parse(" IRS>7 ", field="cut")
    assert (rule.score, rule.threshold, rule.comparison) == ("IRS", 7.0, ">")
    assert rule.text == "high = IRS > 7" and not rule.is_high(7) and rule.is_high(7.5)
    assert not rule.is_high(float("nan"))
    with pytest.raises(InputError, match="is not a cut-off rule") as err:
        CutoffRule.parse("IRS < 7", field="cut")
    assert err.value.place.field == "cut"
    with pytest.raises(InputError, match="is not a cut-off rule"):
        CutoffRule.parse("IRS > high", field="cut")
