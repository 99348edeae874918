"""IHC H-score: reference arithmetic, recovery of the simulated truth, bad inputs, JSON.

H-score = 1 x %1+ + 2 x %2+ + 3 x %3+, range 0-300 (McCarty et al. 1985, Cancer Res
46:4244s; the seed's "Measurement of CXCR4 Expression" protocol gives the same formula).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cxcr4lab.assays.ihc import IhcResult, IhcSettings, analyse, h_score
from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.core.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "ihc"
SETTINGS = IhcSettings(cutoff=200)


def run(text: str, settings: IhcSettings = SETTINGS, name: str = "scores.csv") -> IhcResult:
    return analyse(read_table_bytes(text.encode(), name), settings)


def truth() -> dict[str, tuple[float, str]]:
    """Patient -> (true H-score, call) from the example README (scripts/simulate_ihc.py)."""
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (P\d+) \|.*\| ([\d.]+) \| (high|low) \|$", text, flags=re.M)
    return {p: (float(h), call) for p, h, call in rows}


# --- reference arithmetic (hand-worked from the published formula) ---------------------------------


@pytest.mark.parametrize(
    ("pct", "expected"),
    [
        ((100, 0, 0, 0), 0.0),  # all negative
        ((0, 0, 0, 100), 300.0),  # all strong: the maximum
        ((0, 100, 0, 0), 100.0),
        ((40, 10, 20, 30), 140.0),  # 10 + 2*20 + 3*30
        ((25, 25, 25, 25), 150.0),  # 25 + 50 + 75
    ],
)
def test_h_score_worked_examples(pct: tuple[int, ...], expected: float) -> None:
    text = "patient,pct_0,pct_1,pct_2,pct_3\nX," + ",".join(map(str, pct)) + "\n"
    assert run(text).patients[0].h_score == pytest.approx(expected)
    assert h_score(*pct[1:]) == pytest.approx(expected)


def test_per_cell_classes_give_the_same_score_as_percentages() -> None:
    # 10 cells: 4 negative, 1 weak, 2 moderate, 3 strong = 40/10/20/30 % -> H = 140.
    classes = ["0"] * 4 + ["1+"] + ["moderate"] * 2 + ["3"] * 3
    text = "patient,cell_id,intensity\n" + "".join(f"Y,{i},{c}\n" for i, c in enumerate(classes))
    p = run(text).patients[0]
    assert p.h_score == pytest.approx(140.0) and p.n_cells == 10
    assert (p.pct_0, p.pct_1, p.pct_2, p.pct_3) == pytest.approx((40, 10, 20, 30))


def test_cutoff_is_strict_and_pct_0_optional() -> None:
    text = "patient,pct_1,pct_2,pct_3\nA,0,100,0\nB,0,0,70\n"  # H = 200 and 210
    result = run(text)
    assert [p.high for p in result.patients] == [False, True]  # high means > cut-off
    assert result.patient("B").pct_0 == pytest.approx(30)


def test_regions_are_averaged_weighted_by_cells() -> None:
    text = "patient,core,pct_0,pct_1,pct_2,pct_3,n_cells\nA,1,100,0,0,0,100\nA,2,0,0,0,100,300\n"
    p = run(text).patients[0]
    assert p.h_score == pytest.approx(225.0) and p.n_regions == 2 and p.n_cells == 400


# --- the bundled simulated examples -------------------------------------------------------------


def test_percent_example_recovers_the_truth() -> None:
    """Two cores of 200 cells rounded to 5%: H within 30 of the truth; every call right (the
    truth keeps a gap of 180-210 around the cut-off); 8 of 56 high (14%)."""
    result = analyse(
        read_table_bytes((EXAMPLES / "scores_percent.csv").read_bytes(), "scores_percent.csv"),
        SETTINGS,
    )
    true = truth()
    assert len(result.patients) == len(true) == 56
    for p in result.patients:
        h, call = true[p.patient]
        assert abs(p.h_score - h) < 30, p.patient
        assert ("high" if p.high else "low") == call, p.patient
    assert sum(p.high for p in result.patients) == 8
    strat = result.stratification_table()
    assert list(strat.columns) == ["patient", "cxcr4_h_score", "cxcr4_high", "cxcr4_category"]
    assert strat["patient"].is_unique


def test_cell_example_recovers_the_truth() -> None:
    result = analyse(
        read_table_bytes(
            (EXAMPLES / "cells_image_analysis.csv").read_bytes(), "cells_image_analysis.csv"
        ),
        SETTINGS,
    )
    true = truth()
    for p in result.patients:
        h, call = true[p.patient]
        # 300 cells: SD of the H-score is at most ~100 * 1.5 / sqrt(300) < 9; allow 4 SD.
        assert abs(p.h_score - h) < 36 and ("high" if p.high else "low") == call
        assert p.n_cells == 300


def test_json_round_trip() -> None:
    result = run("patient,pct_0,pct_1,pct_2,pct_3\nA,40,10,20,30\nB,0,0,0,100\n")
    again = IhcResult.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert again == result
    assert again.summary().equals(result.summary())
    assert result.potencies() == []


# --- bad inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("pt,pct_1,pct_2,pct_3\nA,1,2,3\n", "no patient column"),
        ("patient,pct_1,pct_2\nA,1,2\n", "pct_3"),
        ("patient,pct_0,pct_1,pct_2,pct_3\nA,40,10,20,-30\n", "row 2, column 'pct_3'"),
        ("patient,pct_0,pct_1,pct_2,pct_3\nA,40,10,20,20\n", "add up to 90%"),
        ("patient,pct_1,pct_2,pct_3\nA,50,40,30\n", "more than 100%"),
        ("patient,pct_1,pct_2,pct_3\nA,150,0,0\n", "more than 100%"),
        ("patient,pct_1,pct_2,pct_3\nA,1,2,x\n", "'x' is not a number"),
        ("patient,pct_1,pct_2,pct_3\nA,1,2,3\nB,1,1,1\nA,3,2,1\n", "row 4: duplicate patient=A"),
        ("patient,intensity\nA,4\n", "above 3+"),
        ("patient,intensity\nA,-1\n", "is negative"),
        ("patient,intensity\nA,1+\nA,purple\n", "row 3, column 'intensity'"),
        ("patient,cell_id,intensity\nA,1,1+\nA,1,2+\n", "duplicate"),
        ("", "empty"),
    ],
)
def test_bad_input_names_the_place(text: str, needle: str) -> None:
    with pytest.raises(InputError) as info:
        run(text)
    assert "scores.csv" in str(info.value)
    assert needle in str(info.value)


@pytest.mark.parametrize("cutoff", [-1.0, 300.0, float("nan")])
def test_bad_cutoff(cutoff: float) -> None:
    with pytest.raises(InputError, match="cutoff"):
        IhcSettings(cutoff=cutoff)
