"""Stock solutions and serial dilutions: worked examples, properties, bad input."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxcr4lab.compounds import HALF_LOG, dilution_series, parse_factor, stock_solution
from cxcr4lab.core.errors import InputError, UnitError

BALIXAFORTIDE_MW = 1864.1  # g/mol, seed_facts.toml
PLERIXAFOR_MW = 502.8


def test_balixafortide_10mM_dmso_stock_from_5mg() -> None:
    # V = m / (MW * c) = 0.005 g / (1864.1 g/mol * 0.010 mol/L) = 2.6823e-4 L = 268.2 µL
    s = stock_solution(mw_g_per_mol=BALIXAFORTIDE_MW, concentration="10 mM", mass="5 mg")
    assert s.solved_for == "volume"
    assert s.volume_l == pytest.approx(0.005 / (1864.1 * 0.010), rel=1e-12)
    assert round(s.volume_l * 1e6, 1) == 268.2
    assert s.solvent == "DMSO"
    assert s.describe() == "Dissolve 5 mg in 268.2 µL DMSO -> 10 mM"
    row = s.summary().set_index("field").loc["volume"]
    assert (round(row["value"], 1), row["unit"], row["solved"]) == (268.2, "µL", True)


def test_solve_mass_and_concentration() -> None:
    # m = c * V * MW = 0.010 mol/L * 500e-6 L * 502.8 g/mol = 2.514e-3 g = 2.514 mg
    s = stock_solution(mw_g_per_mol=PLERIXAFOR_MW, concentration="10 mM", volume="500 µL")
    assert s.solved_for == "mass"
    assert s.mass_g == pytest.approx(2.514e-3, rel=1e-12)
    back = stock_solution(mw_g_per_mol=PLERIXAFOR_MW, mass="2.514 mg", volume="0.5 mL")
    assert back.solved_for == "concentration"
    assert back.concentration_molar == pytest.approx(0.010, rel=1e-12)


def test_si_floats_and_mass_concentration() -> None:
    s = stock_solution(mw_g_per_mol=PLERIXAFOR_MW, concentration=0.01, mass=2.514e-3)
    assert s.volume_l == pytest.approx(5e-4, rel=1e-12)
    # 1 mg/mL of a 502.8 g/mol compound is 1.989 mM
    t = stock_solution(mw_g_per_mol=PLERIXAFOR_MW, concentration="1 mg/mL", volume="1 mL")
    assert t.concentration_molar == pytest.approx(1 / 502.8, rel=1e-12)
    assert t.mass_g == pytest.approx(1e-3, rel=1e-12)
    assert json.loads(json.dumps(t.to_dict()))["solved_for"] == "mass"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"concentration": "10 mM"}, "concentration/mass/volume"),
        ({"concentration": "10 mM", "mass": "5 mg", "volume": "1 mL"}, "concentration/mass/volume"),
        ({"concentration": "10 mM", "mass": "-5 mg"}, "mass"),
        ({"concentration": "10 mM", "mass": 0.0}, "mass"),
        ({"concentration": "10 mM", "volume": "0 µL"}, "volume"),
        ({"concentration": "-1 mM", "volume": "1 mL"}, "concentration"),
        ({"concentration": "5 mL", "mass": "5 mg"}, "concentration"),
        ({"concentration": "10 mM", "mass": "5 mM"}, "mass"),
        ({"concentration": "10 mM", "volume": "5 mg"}, "volume"),
        ({"concentration": "10 mM", "volume": True}, "volume"),
    ],
)
def test_stock_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        stock_solution(mw_g_per_mol=BALIXAFORTIDE_MW, **kwargs)  # type: ignore[arg-type]
    assert info.value.place.field == field


def test_wrong_unit_is_a_unit_error() -> None:
    with pytest.raises(UnitError, match="not a concentration"):
        stock_solution(mw_g_per_mol=BALIXAFORTIDE_MW, concentration="5 mL", mass="5 mg")


@pytest.mark.parametrize("mw", [0, -1.0, math.nan, "1864"])
def test_bad_molecular_weight(mw: object) -> None:
    with pytest.raises(InputError) as info:
        stock_solution(mw_g_per_mol=mw, concentration="10 mM", mass="5 mg")  # type: ignore[arg-type]
    assert info.value.place.field == "mw_g_per_mol"


def test_dilution_worked_example_with_stock() -> None:
    # 3 tubes, 3-fold from 1 µM, each tube ends with 90 µL; stock 100 µM.
    # tube 3: 90 µL total -> 30 µL from tube 2 + 60 µL diluent   (30 * 1/3 µM = 90 * 1/9 µM)
    # tube 2: 90 + 30 out = 120 µL -> 40 µL from tube 1 + 80 µL diluent
    # tube 1: 90 + 40 out = 130 µL; C1 V1 = C2 V2: 100 µM * V1 = 1 µM * 130 µL -> V1 = 1.3 µL
    #         stock + 128.7 µL diluent
    d = dilution_series(top="1 µM", points=3, factor="3-fold", well_volume="90 µL", stock="100 µM")
    assert [round(v * 1e6, 9) for v in d.transfer_l] == [40.0, 30.0]
    assert [round(v * 1e6, 9) for v in d.diluent_l] == [80.0, 60.0]
    assert d.top_total_l == pytest.approx(130e-6, rel=1e-12)
    assert d.top_stock_l == pytest.approx(1.3e-6, rel=1e-12)
    assert d.top_diluent_l == pytest.approx(128.7e-6, rel=1e-12)
    assert d.concentrations_molar == pytest.approx((1e-6, 1e-6 / 3, 1e-6 / 9), rel=1e-12)
    assert d.cautions == ()

    table = d.summary()
    assert list(table.columns) == [
        "tube",
        "concentration_nM",
        "source",
        "transfer_uL",
        "diluent_uL",
        "total_uL",
        "transfer_out_uL",
        "final_uL",
    ]
    assert table["concentration_nM"].tolist() == pytest.approx([1000, 1000 / 3, 1000 / 9])
    assert table["final_uL"].tolist() == pytest.approx([90, 90, 90])
    assert table["source"].tolist() == ["stock", "tube 1", "tube 2"]
    assert "concentration_uM" in d.summary("µM").columns
    assert json.loads(json.dumps(d.to_dict(), allow_nan=False))["points"] == 3


def test_dilution_without_stock_and_half_log_default() -> None:
    d = dilution_series(top="10 µM")
    assert d.points == 10
    assert d.factor == pytest.approx(math.sqrt(10), rel=1e-15)
    assert d.top_stock_l is None
    assert d.concentrations_molar[2] == pytest.approx(1e-6, rel=1e-12)  # 2 half-logs = 1 log
    first = d.summary().iloc[0]
    assert first["source"] == "make at top concentration"
    assert math.isnan(first["transfer_uL"])


def test_dilution_flags_unpipettable_stock_volume() -> None:
    d = dilution_series(top="10 µM", points=4, stock="10 mM", well_volume="100 µL")
    assert any("intermediate dilution" in c for c in d.cautions)


@pytest.mark.parametrize(
    ("factor", "value"),
    [
        ("half-log", HALF_LOG),
        ("Half log", HALF_LOG),
        ("log", 10.0),
        ("3-fold", 3.0),
        ("2x", 2.0),
        ("2.5", 2.5),
        (4, 4.0),
        (1.5, 1.5),
    ],
)
def test_parse_factor(factor: object, value: float) -> None:
    assert parse_factor(factor) == value


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"factor": 1}, "factor"),
        ({"factor": 0.5}, "factor"),
        ({"factor": "1-fold"}, "factor"),
        ({"factor": "lots"}, "factor"),
        ({"factor": True}, "factor"),
        ({"points": 1}, "points"),
        ({"points": 2.5}, "points"),
        ({"top": "0 nM"}, "top"),
        ({"top": "-1 nM"}, "top"),
        ({"top": "5 mL"}, "top"),
        ({"top": "1 µg/mL"}, "top"),  # mass concentration without a molecular weight
        ({"top": "20 mM", "stock": "10 mM"}, "top"),
        ({"stock": "0 mM"}, "stock"),
        ({"well_volume": "0 µL"}, "well_volume"),
        ({"well_volume": "100 nM"}, "well_volume"),
        ({"mw_g_per_mol": 0}, "mw_g_per_mol"),
    ],
)
def test_dilution_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"top": "10 µM", **kwargs}
    with pytest.raises(InputError) as info:
        dilution_series(**args)  # type: ignore[arg-type]
    assert info.value.place.field == field


def test_mass_concentration_top_with_mw() -> None:
    # CXCL12 100 ng/mL at 7963.5 g/mol = 12.557 nM
    d = dilution_series(top="100 ng/mL", points=2, factor=2, mw_g_per_mol=7963.5)
    assert d.top_molar == pytest.approx(1e-4 / 7963.5, rel=1e-12)


@given(
    top=st.floats(min_value=1e-12, max_value=1e-1),
    factor=st.floats(min_value=1.01, max_value=100.0),
    points=st.integers(min_value=2, max_value=24),
    well=st.floats(min_value=1e-6, max_value=1e-3),
    stock_over_top=st.one_of(st.none(), st.floats(min_value=1.0, max_value=50.0)),  # <= 5 M
)
def test_dilution_properties(
    top: float, factor: float, points: int, well: float, stock_over_top: float | None
) -> None:
    stock = None if stock_over_top is None else top * stock_over_top
    d = dilution_series(top=top, factor=factor, points=points, well_volume=well, stock=stock)
    conc = d.concentrations_molar
    assert len(conc) == points
    for i, c in enumerate(conc):
        assert c == pytest.approx(top / factor**i, rel=1e-12)
    outs = [*d.transfer_l, 0.0]  # what each tube passes on; the last passes nothing
    for k, (t, dil) in enumerate(zip(d.transfer_l, d.diluent_l, strict=True)):
        assert min(t, dil) > 0
        # tube k+2 holds transfer + diluent = well_volume + its own transfer out
        assert t + dil == pytest.approx(well + outs[k + 1], rel=1e-12)
        # and the mixture has the intended concentration
        assert t * conc[k] / (t + dil) == pytest.approx(conc[k + 1], rel=1e-12)
    assert d.top_total_l == pytest.approx(well + d.transfer_l[0], rel=1e-12)
    if stock is not None:
        assert d.top_stock_l is not None
        assert d.top_diluent_l is not None
        assert d.top_stock_l > 0
        assert d.top_diluent_l >= 0
        assert d.top_stock_l + d.top_diluent_l == pytest.approx(d.top_total_l, rel=1e-12)
        assert d.top_stock_l * stock == pytest.approx(d.top_total_l * top, rel=1e-12)
    table = d.summary("M")
    assert table["final_uL"].to_numpy() == pytest.approx([well * 1e6] * points, rel=1e-9)
