"""NOD/SCID engraftment: chimerism calls by a stated rule and thresholds, group summaries,
bad input named by place, the SRC frequency of the bundled (SIMULATED) example."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.core.errors import InputError
from cxcr4lab.preclinical.elda import elda, read_dilutions
from cxcr4lab.preclinical.engraftment import (
    EngraftmentSettings,
    TissueChimerism,
    analyse_engraftment,
)
from cxcr4lab.preclinical.engraftment import read_engraftment as read_frame
from cxcr4lab.runs import KINDS, example_inputs


def read_engraftment(
    content: bytes, name: str
) -> tuple[tuple[str, str, float, TissueChimerism], ...]:
    """Through the flow kinds' table reader, as the ``engraftment`` kind reads its input."""
    table = read_table_bytes(content, name)
    return read_frame(table.frame, name, row_base=table.row_base)


HEADER = "mouse,group,cells,tissue,hcd45_pct,cd19_pct,cd33_pct,cd34_pct\n"


def table(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


def analyse(content: bytes, **kw: object) -> object:
    return analyse_engraftment(
        read_engraftment(content, "t.csv"),
        EngraftmentSettings(**kw),
        source="t.csv",  # type: ignore[arg-type]
    )


STUDY = table(
    "M1,bali,1e5,BM,0.10,60,20,5",  # exactly at the threshold: engrafted, multilineage
    "M1,bali,1e5,spleen,0.05,60,20,5",
    "M2,bali,1e5,bone marrow,0.09,60,20,5",  # just below in marrow, above in spleen
    "M2,bali,1e5,spleen,0.5,60,20,5",
    "M3,bali,1e5,BM,5,70,0.5,5",  # lymphoid only
    "M4,G-CSF,1e5,BM,0.0,0,0,0",
    "M4,G-CSF,1e5,PB,0.0,0,0,0",
    "M5,G-CSF,1e5,BM,2,50,30,4",
)


def test_bone_marrow_rule_calls_at_the_threshold_and_multilineage() -> None:
    r = analyse(STUDY)
    calls = {m.mouse: (m.engrafted, m.multilineage) for m in r.mice}  # type: ignore[attr-defined]
    assert calls == {
        "M1": (True, True),
        "M2": (False, False),
        "M3": (True, False),
        "M4": (False, False),
        "M5": (True, True),
    }
    assert "hCD45+ >= 0.1% of bone-marrow leukocytes" in r.settings.describe()  # type: ignore[attr-defined]
    assert r.summary()["rule"].iloc[0] == r.settings.describe()  # type: ignore[attr-defined]


def test_the_cd34_progenitor_call_at_the_lineage_threshold() -> None:
    study = table(
        "P1,a,1e5,BM,1,50,20,1.0",  # CD34 exactly at 1% of hCD45: progenitors
        "P2,a,1e5,BM,1,50,20,0.99",  # just below
        "P3,a,1e5,BM,0.05,50,20,30",  # CD34 high but not engrafted: no call of progenitors
    )
    r = analyse(study)
    calls = {m.mouse: m.progenitors for m in r.mice}  # type: ignore[attr-defined]
    assert calls == {"P1": True, "P2": False, "P3": False}
    group = r.group("a")  # type: ignore[attr-defined]
    ci = stats.binomtest(1, 3).proportion_ci(method="exact")
    assert group.progenitors == 1
    assert (group.progenitors_lower_pct, group.progenitors_upper_pct) == pytest.approx(
        (100 * ci.low, 100 * ci.high)
    )
    assert "CD34+ >= 1% of hCD45+" in r.settings.describe()  # type: ignore[attr-defined]
    assert list(r.summary()["progenitors"]) == [True, False, False]  # type: ignore[attr-defined]
    no_cd34 = (
        b"mouse,group,cells,tissue,hcd45_pct,cd19_pct,cd33_pct\n"
        b"Q1,a,1e5,BM,1,50,20\nQ2,a,1e5,BM,0.01,0,0\n"
    )
    without = analyse(no_cd34)
    assert [m.progenitors for m in without.mice] == [None, None]  # type: ignore[attr-defined]
    assert without.group("a").progenitors is None  # type: ignore[attr-defined]


def test_the_other_rules_and_thresholds() -> None:
    any_tissue = analyse(STUDY, rule="any_tissue")
    assert any_tissue.mouse("M2").engrafted and any_tissue.mouse("M2").calling_tissue == "spleen"  # type: ignore[attr-defined]
    strict = analyse(STUDY, rule="bone_marrow_multilineage")
    assert not strict.mouse("M3").engrafted and strict.mouse("M1").engrafted  # type: ignore[attr-defined]
    higher = analyse(STUDY, threshold_pct=1.0)
    assert [m.engrafted for m in higher.mice] == [False, False, True, False, True]  # type: ignore[attr-defined]
    lineage = analyse(STUDY, lineage_threshold_pct=0.4)
    assert lineage.mouse("M3").multilineage  # type: ignore[attr-defined]
    assert "0.4%" in lineage.settings.describe()  # type: ignore[attr-defined]


def test_group_summaries_with_cis() -> None:
    r = analyse(STUDY)
    bali = r.group("bali")  # type: ignore[attr-defined]
    assert (bali.n, bali.engrafted, bali.multilineage) == (3, 2, 1)
    ci = stats.binomtest(2, 3).proportion_ci(method="exact")
    assert (bali.engrafted_lower_pct, bali.engrafted_upper_pct) == pytest.approx(
        (100 * ci.low, 100 * ci.high)
    )
    bm = next(t for t in r.tissue_summaries if t.group == "bali" and t.tissue == "bone_marrow")  # type: ignore[attr-defined]
    values = [0.10, 0.09, 5.0]
    half = stats.t.ppf(0.975, 2) * stats.tstd(values) / math.sqrt(3)
    assert bm.mean_pct == pytest.approx(sum(values) / 3)
    assert bm.upper_pct == pytest.approx(sum(values) / 3 + half)
    assert bm.lower_pct == 0.0  # the t interval cut at 0%
    blood = next(t for t in r.tissue_summaries if t.tissue == "blood")  # type: ignore[attr-defined]
    assert blood.n == 1 and math.isnan(blood.lower_pct)  # no CI from one mouse


def test_the_bundled_example_recovers_the_simulated_truth() -> None:
    name, content = example_inputs(KINDS["engraftment"].examples[0])["data"]
    r = analyse_engraftment(read_engraftment(content, name), source=name)
    assert (r.group("balixafortide").engrafted, r.group("G-CSF").engrafted) == (18, 12)
    assert (r.group("balixafortide").multilineage, r.group("G-CSF").multilineage) == (18, 10)
    # the SRC frequency is the ELDA of the calls: the same as the bundled dilution table
    # (checked against R statmod in tests/preclinical/test_elda.py)
    d_name, d_content = example_inputs(KINDS["elda"].examples[0])["dilutions"]
    d_table = read_table_bytes(d_content, d_name)
    direct = elda(read_dilutions(d_table.frame, d_name, row_base=d_table.row_base))
    for g in ("balixafortide", "G-CSF"):
        assert r.src.group(g).estimate == pytest.approx(direct.group(g).estimate, rel=1e-12)
    assert r.src.group("balixafortide").upper < 100_000 < r.src.group("balixafortide").lower
    assert r.src.group("G-CSF").upper < 250_000 < r.src.group("G-CSF").lower
    back = type(r).from_dict(r.to_dict())
    assert back.to_dict() == r.to_dict()


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("M1,a,1e5,BM,100.5,50,20,5", "hcd45_pct", "within 0-100"),
        ("M1,a,1e5,BM,-0.1,50,20,5", "hcd45_pct", "within 0-100"),
        ("M1,a,1e5,BM,1,101,0,5", "cd19_pct", "within 0-100"),
        ("M1,a,1e5,BM,1,50,20,100.1", "cd34_pct", "within 0-100"),
        ("M1,a,1e5,BM,1,70,40,5", "cd33_pct", "add up to more than 100%"),
        ("M1,a,1e5,BM,NaN,50,20,5", "hcd45_pct", "missing (NaN)"),
        ("M1,a,1e5,BM,1,,20,5", "cd19_pct", "missing (NaN)"),
        ("M1,a,0,BM,1,50,20,5", "cells", "must be > 0"),
        ("M1,a,1e5,liver,1,50,20,5", "tissue", "is not one of"),
    ],
)
def test_bad_values_name_file_row_and_column(line: str, column: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        read_engraftment(table(line), "t.csv")
    place = caught.value.place
    assert (place.file, place.row, place.column) == ("t.csv", 2, column)
    assert words in caught.value.message


def test_duplicates_and_inconsistent_mice_are_refused() -> None:
    with pytest.raises(InputError) as caught:
        read_engraftment(table("M1,a,1e5,BM,1,50,20,5", "M1,a,1e5,bone marrow,2,50,20,5"), "t.csv")
    assert caught.value.place.row == 3 and "duplicate mouse=M1" in caught.value.message
    assert "first seen at row 2" in caught.value.message
    with pytest.raises(InputError, match="in group 'b' here but 'a' at row 2"):
        read_engraftment(table("M1,a,1e5,BM,1,50,20,5", "M1,b,1e5,spleen,1,50,20,5"), "t.csv")
    with pytest.raises(InputError, match="received 200000 cells"):
        read_engraftment(table("M1,a,1e5,BM,1,50,20,5", "M1,a,2e5,spleen,1,50,20,5"), "t.csv")
    with pytest.raises(InputError, match="missing column"):
        read_engraftment(b"mouse,group,cells,tissue,hcd45_pct\nM1,a,1,BM,1\n", "t.csv")
    with pytest.raises(InputError, match="no bone-marrow row"):
        analyse(table("M1,a,1e5,spleen,1,50,20,5"))
    assert analyse(table("M1,a,1e5,spleen,1,50,20,5"), rule="any_tissue").mice[0].engrafted  # type: ignore[attr-defined]
    for bad in ({"threshold_pct": 0.0}, {"threshold_pct": 101.0}, {"rule": "marrow"}):
        with pytest.raises(InputError):
            EngraftmentSettings(**bad)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    marrow=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=12),
    threshold=st.floats(0.01, 50),
    factor=st.floats(1.0, 10.0),
)
def test_the_call_is_marrow_chimerism_at_or_above_the_threshold(
    marrow: list[float], threshold: float, factor: float
) -> None:
    lines = [f"M{k},g{k % 2},{10_000 * (1 + k % 3)},BM,{v!r},50,20,5" for k, v in enumerate(marrow)]
    rows = read_engraftment(table(*lines), "t.csv")
    low = analyse_engraftment(rows, EngraftmentSettings(threshold_pct=threshold))
    assert [m.engrafted for m in low.mice] == [v >= threshold for v in marrow]
    assert sum(g.engrafted for g in low.groups) == sum(v >= threshold for v in marrow)
    high = analyse_engraftment(
        rows, EngraftmentSettings(threshold_pct=min(threshold * factor, 100))
    )
    assert sum(m.engrafted for m in high.mice) <= sum(m.engrafted for m in low.mice)
    for g in low.groups:
        assert 0 <= g.engrafted_lower_pct <= 100 * g.engrafted / g.n <= g.engrafted_upper_pct <= 100
    reordered = analyse_engraftment(rows[::-1], EngraftmentSettings(threshold_pct=threshold))
    assert {m.mouse: m.engrafted for m in reordered.mice} == {
        m.mouse: m.engrafted for m in low.mice
    }


def test_flow_export_headers_are_read() -> None:
    content = (
        b"Mouse ID,Regimen,Cells Transplanted,Tissue,%hCD45+,%CD19+,%CD33+\n"
        b"M1,bali,1e5,BM,0.3,50,20\nM1,bali,1e5,PB,0.03,50,20\n"
    )
    ((mouse, group, cells, bm), (_, _, _, pb)) = read_engraftment(content, "x.csv")
    assert (mouse, group, cells) == ("M1", "bali", 1e5)
    assert (bm.tissue, bm.hcd45_pct, bm.cd19_pct, bm.cd34_pct) == ("bone_marrow", 0.3, 50.0, None)
    assert (pb.tissue, pb.origin) == ("blood", "x.csv, row 3")
