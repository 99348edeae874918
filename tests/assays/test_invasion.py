"""Matrigel invasion: invasion index (coated / uncoated, by condition), % of vehicle invasion,
the 4PL IC50 (the chemotaxis fit, reused), bad input named by place.

The fit engine itself is checked against R drc in the chemotaxis and fit tests; here the IC50
must equal a direct fit of the computed % of vehicle invasion through that engine, and the
index arithmetic is checked by hand on a small table.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cxcr4lab.assays.chemotaxis import ChemotaxisSettings
from cxcr4lab.assays.inhibition import PlateSettings
from cxcr4lab.assays.invasion import (
    InvasionResult,
    InvasionSettings,
    analyse_counts,
    analyse_plate,
    invasion_indices,
)
from cxcr4lab.assays.layout import read_layout
from cxcr4lab.assays.readers import read_plate
from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.fit import FOUR_PL, fit_curve, get_model
from cxcr4lab.runs import KINDS, example_inputs, run_kind

CONCS_NM = (1000.0, 100.0, 30.0, 10.0, 3.0, 1.0, 0.1)


def settings(readout: str = "counts") -> InvasionSettings:
    return InvasionSettings(
        ChemotaxisSettings(PlateSettings(), readout=readout)  # type: ignore[arg-type]
    )


def small_layout(*, coating_rows: tuple[str, str] = ("matrigel", "none"), extra: str = "") -> str:
    """24-well layout: row A vehicle (A1-A2) and balixafortide (A3-A6 ... ) coated, row C the
    same conditions uncoated. Rows: A/B coated, C/D uncoated; columns 1-6 (24-well: A-D x 1-6).
    A1, B1 vehicle; A2-A6, B2-B3: concentrations; mirrored on C/D uncoated."""
    top, bottom = coating_rows
    lines = ["[expt]", "plate = 24", ""]
    for first, coating in (("A", top), ("C", bottom)):
        second = "B" if first == "A" else "D"
        lines += [f"[well.{first}1]", 'role = "vehicle"', f'coating = "{coating}"', ""]
        lines += [f"[well.{second}1]", 'role = "vehicle"', f'coating = "{coating}"', ""]
        wells = [f"{first}{c}" for c in range(2, 7)] + [f"{second}{c}" for c in range(2, 4)]
        for well, conc in zip(wells, CONCS_NM, strict=True):
            lines += [
                f"[well.{well}]",
                'role = "sample"',
                'compound = "balixafortide"',
                f'conc = "{conc:g} nM"',
                f'coating = "{coating}"',
                "",
            ]
    return "\n".join(lines) + extra


# cells per insert (one field each): coated row A/B and uncoated row C/D
COATED = {"A1": 40, "B1": 60, "A2": 5, "A3": 8, "A4": 15, "A5": 30, "A6": 42, "B2": 48, "B3": 50}
UNCOATED = {"C1": 100, "D1": 100, "C2": 50, "C3": 60, "C4": 80, "C5": 100, "C6": 100}
UNCOATED |= {"D2": 100, "D3": 100}


def counts_text(values: dict[str, object]) -> str:
    return "well,count\n" + "".join(f"{w},{v}\n" for w, v in values.items())


def run_small(
    tmp_path: Path, values: dict[str, object] | None = None, lay: str | None = None
) -> InvasionResult:
    (tmp_path / "layout.toml").write_text(lay or small_layout(), encoding="utf-8")
    text = counts_text(values if values is not None else {**COATED, **UNCOATED})
    table = read_table_bytes(text.encode(), "counts.csv")
    return analyse_counts(table, read_layout(tmp_path / "layout.toml"), settings())


# --- the arithmetic, by hand ---------------------------------------------------------------------


def test_index_and_percent_of_vehicle_by_hand(tmp_path: Path) -> None:
    r = run_small(tmp_path)
    by = {i.well: i for i in r.inserts}
    # vehicle: uncoated C1, D1 mean 100; coated A1 = 40 -> 0.40, B1 = 60 -> 0.60; mean 0.50
    assert by["A1"].control_mean == 100.0
    assert by["A1"].invasion_index == pytest.approx(0.40)
    assert by["B1"].invasion_index == pytest.approx(0.60)
    assert by["A1"].pct_of_vehicle == pytest.approx(80.0)
    assert by["B1"].pct_of_vehicle == pytest.approx(120.0)
    # 1000 nM: coated A2 = 5, uncoated C2 = 50 -> 0.10 -> 20 % of vehicle (0.10 / 0.50)
    assert by["A2"].invasion_index == pytest.approx(0.10)
    assert by["A2"].pct_of_vehicle == pytest.approx(20.0)
    # 100 nM: 8 / 60; 30 nM: 15 / 80; 10 nM: 30 / 100; 0.1 nM: 50 / 100
    assert by["A3"].pct_of_vehicle == pytest.approx(100 * (8 / 60) / 0.5)
    assert by["A4"].pct_of_vehicle == pytest.approx(100 * (15 / 80) / 0.5)
    assert by["A5"].pct_of_vehicle == pytest.approx(60.0)
    assert by["B3"].pct_of_vehicle == pytest.approx(100.0)
    assert not by["C2"].coated and by["C2"].invasion_index is None
    vehicle = next(c for c in r.conditions if c.role == "vehicle")
    assert (vehicle.n_coated, vehicle.n_uncoated) == (2, 2)
    assert vehicle.invasion_index == pytest.approx(0.5)
    assert vehicle.pct_of_vehicle == pytest.approx(100.0)
    assert vehicle.sd_pct_of_vehicle == pytest.approx(math.sqrt(2) * 20.0)
    # ratio of means with a CI that contains it
    v = r.vehicle_index
    assert v.value == pytest.approx(0.5) and (v.n_high, v.n_low) == (2, 2)
    assert v.lower is not None and v.upper is not None and v.lower < 0.5 < v.upper


def test_replicate_uncoated_inserts_are_averaged() -> None:
    cond = {w: ("sample", "x", 1e-9) for w in ("A1", "B1", "C1", "D1")}
    index, control, vehicle = invasion_indices(
        {"A1": 30.0, "B1": 0.0, "C1": 50.0, "D1": 70.0, "A2": 45.0, "C2": 90.0},
        cond | {"A2": ("vehicle", None, None), "C2": ("vehicle", None, None)},
        {"A1": True, "B1": True, "C1": False, "D1": False, "A2": True, "C2": False},
        place=Place(file="t"),
    )
    assert control["A1"] == control["B1"] == 60.0
    assert index == {"A1": 0.5, "B1": 0.0, "A2": 0.5}
    assert control["A2"] == 90.0 and vehicle == 0.5


# --- the fit is the chemotaxis fit -------------------------------------------------------------


def test_ic50_equals_a_direct_fit_of_the_indices_through_the_engine() -> None:
    example = KINDS["invasion"].examples[0]
    result = run_kind("invasion", example_inputs(example), dict(example.options)).result
    assert isinstance(result, InvasionResult)
    curve = result.curve("balixafortide")
    pts = [
        i
        for i in result.inserts
        if i.coated and i.role == "sample" and i.compound == "balixafortide"
    ]
    assert len(pts) == 27
    x = np.log10([i.conc_molar for i in pts])
    y = np.array([i.pct_of_vehicle for i in pts])
    # recompute % of vehicle from the counts themselves, not from the result's own fields
    per = {c.well: c.mean_per_field for c in result.counts}
    cond_of = {i.well: (i.role, i.compound, i.conc_molar) for i in result.inserts}
    uncoated: dict[object, list[float]] = {}
    for i in result.inserts:
        if not i.coated:
            uncoated.setdefault(cond_of[i.well], []).append(per[i.well])
    idx = {
        i.well: per[i.well] / np.mean(uncoated[cond_of[i.well]]) for i in result.inserts if i.coated
    }
    vehicle = np.mean([idx[i.well] for i in result.inserts if i.coated and i.role == "max"])
    assert y == pytest.approx([100 * idx[i.well] / vehicle for i in pts], rel=1e-12)
    direct = fit_curve(get_model(FOUR_PL.name), x, y, profile=("log10_ic50",), alpha=0.05)
    prof = direct.profile("log10_ic50")
    assert prof is not None and prof.lower is not None and prof.upper is not None
    assert curve.ic50_molar == pytest.approx(10 ** direct.params["log10_ic50"], rel=1e-9)
    assert curve.ic50_lower_molar == pytest.approx(10**prof.lower, rel=1e-9)
    assert curve.ic50_upper_molar == pytest.approx(10**prof.upper, rel=1e-9)
    for name in ("top", "bottom", "hill"):
        assert curve.fit.params[name] == pytest.approx(direct.params[name], rel=1e-9)


def test_the_example_recovers_its_truth() -> None:
    """SIMULATED truth (examples/invasion/README.md): IC50 of invasion 10 nM, bottom 20 % of
    vehicle, vehicle invasion index 0.40."""
    example = KINDS["invasion"].examples[0]
    result = run_kind("invasion", example_inputs(example), dict(example.options)).result
    c = result.curve("balixafortide")
    assert c.ic50_lower_molar is not None and c.ic50_upper_molar is not None
    assert c.ic50_lower_molar <= 10e-9 <= c.ic50_upper_molar
    assert not c.flags
    assert 10 < c.fit.params["bottom"] < 30
    v = result.vehicle_index
    assert v.lower is not None and v.upper is not None and v.lower <= 0.40 <= v.upper
    potency = result.potencies()[0]
    assert "invasion" in potency.assay
    text = json.dumps(result.to_dict(), allow_nan=False)
    again = InvasionResult.from_dict(json.loads(text))
    assert again == result
    assert again.summary().equals(result.summary())


def test_absorbance_readout_reuses_the_blank_subtraction(tmp_path: Path) -> None:
    lay = small_layout(extra='\n[well.D6]\nrole = "blank"\n\n[well.D5]\nrole = "blank"\n')
    (tmp_path / "layout.toml").write_text(lay, encoding="utf-8")
    cells = {**COATED, **UNCOATED}
    grid = np.full((4, 6), np.nan)
    for well, n in cells.items():
        grid["ABCD".index(well[0]), int(well[1:]) - 1] = 0.05 + 0.01 * n
    grid[3, 4] = grid[3, 5] = 0.05
    lines = ["", "Plate 1", "," + ",".join(str(c) for c in range(1, 7))]
    for r, letter in enumerate("ABCD"):
        lines.append(letter + "," + ",".join("" if np.isnan(v) else f"{v:.4f}" for v in grid[r]))
    (tmp_path / "plate.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plate = read_plate(tmp_path / "plate.csv")
    result = analyse_plate(plate, read_layout(tmp_path / "layout.toml"), settings("absorbance"))
    by = {i.well: i for i in result.inserts}
    assert result.blank_mean == pytest.approx(0.05)
    assert by["A2"].pct_of_vehicle == pytest.approx(20.0)
    assert by["A5"].pct_of_vehicle == pytest.approx(60.0)


# --- bad input, named by place -------------------------------------------------------------------


def test_coated_insert_without_an_uncoated_control(tmp_path: Path) -> None:
    values = {w: v for w, v in {**COATED, **UNCOATED}.items() if w != "C4"}
    lay = small_layout().replace(
        '[well.C4]\nrole = "sample"\ncompound = "balixafortide"\nconc = "30 nM"\n'
        'coating = "none"\n',
        "",
    )
    with pytest.raises(InputError, match="no uncoated control insert") as err:
        run_small(tmp_path, values, lay)
    assert err.value.place.well == "A4"
    assert "balixafortide 30 nM" in str(err.value)


def test_zero_control_counts(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="mean of 0 cells") as err:
        run_small(tmp_path, {**COATED, **UNCOATED, "C5": 0})
    assert err.value.place.well == "C5"
    assert "A5" in str(err.value)


def test_zero_vehicle_invasion(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no cell crossed the Matrigel"):
        run_small(tmp_path, {**COATED, **UNCOATED, "A1": 0, "B1": 0})


@pytest.mark.parametrize(
    ("value", "message"),
    [("-3", "must be >= 0, got -3"), ("", "missing"), ("nan", "missing")],
)
def test_negative_or_missing_counts(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        run_small(tmp_path, {**COATED, **UNCOATED, "A3": value})
    assert err.value.place.column == "count"
    assert err.value.place.row == 5  # A3 is the 4th data row, line 5 below the header


def test_layout_without_coating(tmp_path: Path) -> None:
    lay = "\n".join(line for line in small_layout().splitlines() if "coating" not in line)
    with pytest.raises(InputError, match="no 'coating' key") as err:
        run_small(tmp_path, lay=lay)
    assert err.value.place.file == "layout.toml"


def test_unknown_coating_value(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="coating 'collagen'") as err:
        run_small(tmp_path, lay=small_layout(coating_rows=("matrigel", "collagen")))
    assert err.value.place.well == "C1" and err.value.place.column == "coating"


def test_no_coated_vehicle(tmp_path: Path) -> None:
    lay = small_layout().replace('role = "vehicle"', 'role = "no_agonist"')
    with pytest.raises(InputError, match="no Matrigel-coated vehicle insert"):
        run_small(tmp_path, lay=lay)


def test_role_without_meaning(tmp_path: Path) -> None:
    lay = small_layout().replace('[well.A1]\nrole = "vehicle"', '[well.A1]\nrole = "min"')
    with pytest.raises(InputError, match="no meaning in an invasion assay") as err:
        run_small(tmp_path, lay=lay)
    assert err.value.place.well == "A1"


def test_the_kind_runs_from_its_options() -> None:
    example = KINDS["invasion"].examples[0]
    outcome = run_kind(
        "invasion", example_inputs(example), {**example.options, "matrix": "Geltrex"}
    )
    assert outcome.result.settings.matrix == "Geltrex"
    assert outcome.parameters["matrix"] == "Geltrex"


def test_agonist_ec50_is_refused_since_no_kb_is_computed() -> None:
    example = KINDS["invasion"].examples[0]
    with pytest.raises(InputError, match="does not compute") as err:
        run_kind("invasion", example_inputs(example), {**example.options, "agonist_ec50": "5nM"})
    assert err.value.place.field == "agonist_ec50"
