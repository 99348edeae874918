"""End-of-study biomarkers and tissue scores: reading, and comparisons against R.

The values below are SIMULATED (written for these tests, shaped like the PC-3-luc study's
serum TRAcP 5b and Ki67 IHC); the reference numbers are R 4.2.2 (stats, multcomp) on them::

    g <- factor(rep(c("vehicle", "docetaxel", "balixafortide", "combination"), each = 6),
                levels = c("vehicle", "docetaxel", "balixafortide", "combination"))
    tracp <- c(5.8, 6.4, 7.1, 5.2, 6.9, 6.0,  4.9, 5.6, 4.4, 6.1, 5.0, 5.3,
               5.5, 6.2, 5.9, 4.8, 6.6, 5.7,  3.1, 3.9, 4.2, 2.8, 3.6, 4.4)
    ki67 <- c(42, 38, 51, 45, 47, 40,  30, 35, 28, 33, 38, 31,
              40, 36, 44, 39, 46, 37,  18, 22, 25, 15, 20, 27)
"""

from __future__ import annotations

import contextlib
import io
import json
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError, UnitError
from cxcr4lab.preclinical.endpoints import (
    EndpointComparison,
    EndpointTable,
    build_endpoint_table,
    compare_endpoints,
    read_endpoints,
)

ARMS = ("vehicle", "docetaxel", "balixafortide", "combination")
TRACP = [5.8, 6.4, 7.1, 5.2, 6.9, 6.0, 4.9, 5.6, 4.4, 6.1, 5.0, 5.3,
         5.5, 6.2, 5.9, 4.8, 6.6, 5.7, 3.1, 3.9, 4.2, 2.8, 3.6, 4.4]  # fmt: skip
KI67 = [42, 38, 51, 45, 47, 40, 30, 35, 28, 33, 38, 31,
        40, 36, 44, 39, 46, 37, 18, 22, 25, 15, 20, 27]  # fmt: skip
PAIRS = [("combination", "docetaxel")]


def _wide() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "animal_id": [f"M{i + 1}" for i in range(24)],
            "group": [g for g in ARMS for _ in range(6)],
            "TRAcP_5b_U_L": TRACP,
            "Ki67 (%)": KI67,
        }
    )


@pytest.fixture(scope="module")
def table() -> EndpointTable:
    return build_endpoint_table(_wide(), source="endpoints")


# --- reading --------------------------------------------------------------------------------------


def test_wide_headers_carry_the_units(table: EndpointTable) -> None:
    assert table.markers == ("TRAcP_5b", "Ki67")
    assert (table.unit_of("TRAcP_5b"), table.unit_of("Ki67")) == ("U/L", "%")
    assert table.groups == ARMS and table.flags == ()
    s = table.summary()
    row = s[(s["marker"] == "TRAcP_5b") & (s["group"] == "vehicle")].iloc[0]
    assert row["mean"] == pytest.approx(sum(TRACP[:6]) / 6, rel=1e-14)
    assert row["geometric mean"] == pytest.approx(
        math.exp(sum(math.log(v) for v in TRACP[:6]) / 6), rel=1e-14
    )


def test_table_json_round_trip(table: EndpointTable) -> None:
    d = json.loads(json.dumps(table.to_dict()))
    assert EndpointTable.from_dict(d) == table


def test_tidy_and_wide_agree(table: EndpointTable) -> None:
    tidy = table.frame()[["animal_id", "group", "marker", "value", "unit"]]
    again = read_endpoints(tidy.to_csv(index=False).encode(), "tidy.csv")
    assert again.value == pytest.approx(table.value) and again.unit == table.unit
    assert again.row[:3] == (2, 3, 4)


def test_tidy_units_are_converted_within_a_marker() -> None:
    text = (
        "animal_id,group,marker,value,unit\n"
        "M1,vehicle,IFN-gamma,120,pg/mL\n"
        "M2,vehicle,IFN-gamma,0.15,ng/mL\n"
        "M3,combo,IFN-gamma,300,pg/ml\n"
        "M1,vehicle,CD34 MVD,12,per field\n"
    )
    t = read_endpoints(text.encode(), "serum.csv")
    assert t.value[:3] == pytest.approx((120.0, 150.0, 300.0))
    assert t.unit[:3] == ("pg/mL",) * 3
    assert any("fewer than 3" in f for f in t.flags)


def test_xlsx_wide_table() -> None:
    buf = io.BytesIO()
    _wide().to_excel(buf, index=False)
    t = read_endpoints(buf.getvalue(), "ihc.xlsx")
    assert t.markers == ("TRAcP_5b", "Ki67") and t.row[0] == 2


@pytest.mark.parametrize(
    ("text", "error", "match", "row"),
    [
        ("animal_id,group,TRAcP\nM1,v,4\n", UnitError, "column 'TRAcP' has no unit", None),
        ("animal_id,group,marker,value\nM1,v,TRAcP,4\n", InputError, "needs a unit column", None),
        ("animal_id,group,marker,value,unit\nM1,v,TRAcP,4,\n", UnitError, "has no unit", 2),
        ("animal_id,group,Ki67_pct\nM1,v,40\nM1,w,30\n", InputError, "is in group 'v'", 3),
        ("animal_id,group,Ki67_pct\nM1,v,-4\n", InputError, "is negative", 2),
        ("animal_id,group,Ki67_pct\nM1,v,140\n", InputError, "above 100 %", 2),
        ("animal_id,group,Ki67_pct\nM1,v,abc\n", InputError, "'abc' is not a number", 2),
        (
            "animal_id,group,marker,value,unit\nM1,v,TRAcP,4,U/L\nM2,v,TRAcP,4,pg/mL\n",
            UnitError,
            "cannot be converted",
            3,
        ),
        (
            "animal_id,group,marker,value,unit\nM1,v,TRAcP,4,U/L\nM1,v,TRAcP,5,U/L\n",
            InputError,
            r"two TRAcP values \(rows 2 and 3\)",
            3,
        ),
        ("animal_id,Ki67_pct\nM1,40\n", InputError, "missing column", None),
    ],
)
def test_bad_tables_name_the_place(
    text: str, error: type[InputError], match: str, row: int | None
) -> None:
    with pytest.raises(error, match=match) as err:
        read_endpoints(text.encode(), "endpoints.csv")
    assert err.value.place.file == "endpoints.csv"
    assert err.value.place.row == row
    if row is not None:
        assert err.value.place.field == "animal M1" or err.value.place.field == "animal M2"


def test_blank_cells_are_not_measured() -> None:
    t = read_endpoints(b"animal_id,group,Ki67_pct,CC3_per_field\nM1,v,40,\nM2,v,,7\n", "ihc.csv")
    assert t.marker == ("Ki67", "CC3") and t.unit == ("%", "per field")
    assert "2 blank value(s): not measured" in t.flags


# --- comparisons against R ----------------------------------------------------------------------


def test_holm_family_against_r(table: EndpointTable) -> None:
    c = compare_endpoints(table, control="vehicle", pairs=PAIRS)
    effects = {(e.marker, e.group, e.reference): e for e in c.effects}
    # R: tt <- t.test(log(x1), log(x0)); exp(mean(log(x1)) - mean(log(x0))), exp(tt$conf.int),
    #    tt$p.value, wilcox.test(x1, x0)$p.value
    tracp = {
        ("docetaxel", "vehicle"): (0.837060949842, 0.722220074472, 0.970162777963,
                                   0.0228774506169, 0.0411255411255),
        ("balixafortide", "vehicle"): (0.928394879284, 0.802920019465, 1.07347809369,
                                       0.280694476327, 0.309523809524),
        ("combination", "vehicle"): (0.584054175523, 0.479954989474, 0.710731813247,
                                     0.000180687488169, 0.0021645021645),
    }  # fmt: skip
    for (g, ref), (ratio, lo, hi, p, p_mw) in tracp.items():
        e = effects[("TRAcP_5b", g, ref)]
        assert e.scale == "log" and e.effect_kind == "ratio of geometric means"
        assert e.effect == pytest.approx(ratio, rel=1e-10)
        assert (e.ci_lower, e.ci_upper) == (
            pytest.approx(lo, rel=1e-10),
            pytest.approx(hi, rel=1e-10),
        )
        assert e.p == pytest.approx(p, rel=1e-9)
        assert e.mann_whitney_p == pytest.approx(p_mw, rel=1e-10)
    # R: t.test(log(comb), log(doc)): conf.int exp 0.573901753745 0.848309929732, p 0.00259194883161
    e = effects[("TRAcP_5b", "combination", "docetaxel")]
    assert (e.ci_lower, e.ci_upper, e.p) == (
        pytest.approx(0.573901753745, rel=1e-10),
        pytest.approx(0.848309929732, rel=1e-10),
        pytest.approx(0.00259194883161, rel=1e-9),
    )
    # R: t.test(x1, x0) for Ki67 (difference of means, %): estimate, conf.int, p.value,
    #    suppressWarnings(wilcox.test(x1, x0))$p.value (ties: normal approximation)
    ki67 = {
        ("docetaxel", "vehicle"): (-11.3333333333, -16.8521152976, -5.81455136902,
                                   0.00114514145663, 0.00639226887077),
        ("balixafortide", "vehicle"): (-3.5, -9.16848559177, 2.16848559177,
                                       0.197908436909, 0.199397262754),
        ("combination", "vehicle"): (-22.6666666667, -28.617533232, -16.7158001013,
                                     7.20423827587e-06, 0.0021645021645),
        ("combination", "docetaxel"): (-11.3333333333, -16.577445235, -6.08922143169,
                                       0.000762189929367, None),
    }  # fmt: skip
    for (g, ref), (diff, lo, hi, p, p_mw) in ki67.items():
        e = effects[("Ki67", g, ref)]
        assert e.scale == "linear" and e.unit == "%"
        assert e.effect == pytest.approx(diff, rel=1e-10)
        assert (e.ci_lower, e.ci_upper) == (
            pytest.approx(lo, rel=1e-9),
            pytest.approx(hi, rel=1e-9),
        )
        assert e.p == pytest.approx(p, rel=1e-9)
        if p_mw is not None:
            assert e.mann_whitney_p == pytest.approx(p_mw, rel=1e-9)
    # R: p.adjust(c(the 4 TRAcP p, the 4 Ki67 p), "holm")
    holm = [6.86323518507e-02, 3.95816873818e-01, 1.26481241718e-03, 1.03677953264e-02,
            5.72570728315e-03, 3.95816873818e-01, 5.76339062069e-05, 4.57313957620e-03]  # fmt: skip
    assert [e.p_adjusted for e in c.effects] == pytest.approx(holm, rel=1e-9)
    assert {e.adjustment for e in c.effects} == {"Holm"}


def test_dunnett_against_r_multcomp(table: EndpointTable) -> None:
    c = compare_endpoints(table, control="vehicle", pairs=PAIRS, adjustment="dunnett")
    effects = {(e.marker, e.group, e.reference): e for e in c.effects}
    # R: set.seed(1); gl <- glht(aov(log(tracp) ~ g), linfct = mcp(g = "Dunnett"))
    #    summary(gl, test = adjusted("single-step", maxpts = 2e6, abseps = 1e-9)); exp(confint(gl))
    tracp = {
        "docetaxel": (7.52725408176e-02, 0.689930644486, 1.015567346299),
        "balixafortide": (6.48440490684e-01, 0.765210797998, 1.126378579779),
        "combination": (1.46400021683e-06, 0.481394901780, 0.708605925581),
    }
    # R: the same with ki67 ~ g (difference of means, %)
    ki67 = {
        "docetaxel": (4.36869201983e-04, -17.52729033314, -5.13937633352),
        "balixafortide": (3.63366672922e-01, -9.69395699981, 2.69395699981),
        "combination": (6.74575395543e-10, -28.86062366648, -16.47270966686),
    }
    # Both are randomised integrals of the multivariate t; R's was run to 1e-9, scipy's
    # quasi-Monte Carlo integral (no setting) is good to about 1e-4: p to 1e-4 absolute, and
    # the critical value (so the CI half-width) to 1e-3 relative.
    for marker, ref in (("TRAcP_5b", tracp), ("Ki67", ki67)):
        log = marker == "TRAcP_5b"
        for g, (p, lo, hi) in ref.items():
            e = effects[(marker, g, "vehicle")]
            assert e.adjustment == "Dunnett" and e.ci_kind == "Dunnett simultaneous 95%"
            assert e.p_adjusted == pytest.approx(p, abs=1e-4)
            scale = math.log if log else (lambda v: v)
            half = (scale(hi) - scale(lo)) / 2
            assert scale(e.ci_lower) == pytest.approx(scale(lo), abs=1e-3 * half)
            assert scale(e.ci_upper) == pytest.approx(scale(hi), abs=1e-3 * half)
    # R: p.adjust(c(p_tracp_comb_vs_doc, p_ki67_comb_vs_doc), "holm")
    pairs = [effects[(m, "combination", "docetaxel")] for m in ("TRAcP_5b", "Ki67")]
    assert [e.p_adjusted for e in pairs] == pytest.approx(
        [0.00259194883161, 0.00152437985873], rel=1e-9
    )
    assert {e.adjustment for e in pairs} == {"Holm (pairs)"}


def test_forest_table_and_round_trip(table: EndpointTable) -> None:
    c = compare_endpoints(table, control="vehicle", pairs=PAIRS)
    f = c.forest_table()
    assert list(f["null"].unique()) == [1.0, 0.0]
    assert f["label"].iloc[0] == "TRAcP_5b: docetaxel vs vehicle"
    assert (f["lower"] <= f["estimate"]).all() and (f["estimate"] <= f["upper"]).all()
    d = json.loads(json.dumps(c.to_dict()))
    assert EndpointComparison.from_dict(d).to_dict() == d
    assert len(c.groups) == 8 and c.summary().shape[0] == 8


def test_scales_can_be_overridden_and_zero_needs_linear() -> None:
    t = read_endpoints(
        b"animal_id,group,IL2_pg_mL\nM1,v,0\nM2,v,5\nM3,v,4\nM4,c,3\nM5,c,2\nM6,c,1\n", "il2.csv"
    )
    with pytest.raises(InputError, match="log scale but has the value 0 pg/mL") as err:
        compare_endpoints(t, control="v")
    assert (err.value.place.row, err.value.place.field) == (2, "animal M1")
    c = compare_endpoints(t, control="v", scales={"IL2": "linear"})
    assert c.effects[0].effect == pytest.approx(2.0 - 3.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"control": "saline"}, "control 'saline' is not a group"),
        ({"control": "vehicle", "adjustment": "bonferroni"}, "adjustment must be"),
        ({"control": "vehicle", "scales": {"PSA": "log"}}, "'PSA', which is not a marker"),
        ({"control": "vehicle", "scales": {"Ki67": "sqrt"}}, "must be 'log' or 'linear'"),
        ({"control": "vehicle", "pairs": [("combination",)]}, "must be \\(group, reference\\)"),
        ({"control": "vehicle", "conf_level": 95}, "conf_level"),
    ],
)
def test_bad_settings(table: EndpointTable, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        compare_endpoints(table, **kwargs)  # type: ignore[arg-type]


# --- robustness -------------------------------------------------------------------------------------

HEADERS = st.sampled_from(
    ["animal_id", "group", "marker", "value", "unit", "TRAcP_U_L", "Ki67 (%)", "CD34", "x"]
)
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "M1",
            "M2",
            "v",
            "c",
            "4",
            "-1",
            "0",
            "1e400",
            "nan",
            "U/L",
            "pg/mL",
            "per field",
            "%",
            "TRAcP",
            "150",
            "abc",
            "1,5",
        ]
    ),
    st.text(max_size=6),
)


@settings(max_examples=150, deadline=None)
@given(
    headers=st.lists(HEADERS, min_size=1, max_size=6),
    rows=st.lists(st.lists(CELLS, min_size=1, max_size=7), max_size=8),
)
def test_random_tables_raise_only_input_errors(headers: list[str], rows: list[list[str]]) -> None:
    text = ",".join(headers) + "\n" + "\n".join(",".join(r) for r in rows)
    try:
        t = read_endpoints(text.encode("utf-8", "surrogatepass"), "random.csv")
    except InputError:
        return
    assert all(v >= 0 for v in t.value)
    with contextlib.suppress(InputError):
        compare_endpoints(t, control=t.groups[0])
