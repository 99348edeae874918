"""MTT viability: plate + layout -> % of vehicle, IC50 (4PL midpoint), GI50 (50 % of vehicle),
maximal effect, tidy table for combination analysis.

Expected values come from the simulation truth (written here and in
scripts/simulate_viability.py), never from the code under test. No published worked example of
an MTT analysis with its raw absorbances was found; the GI50 formula is checked against a root
search on the fitted curve instead.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq
from tests.assays.plate_sim import layout_text, series, write_grid

from cxcr4lab.assays.inhibition import PlateSettings
from cxcr4lab.assays.layout import read_layout
from cxcr4lab.assays.readers import read_plate
from cxcr4lab.assays.viability import ViabilityResult, ViabilitySettings, analyse
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, example_inputs, input_blobs, run_kind

FACTOR = 1.5
SETTINGS = ViabilitySettings(PlateSettings(saturation=4.0), cell_line="PC-3", exposure_h=48)
# the bundled example's truth (scripts/simulate_viability.py; seed_facts.toml [[docetaxel_ic50]])
DOC_IC50_NM, DOC_HILL, DOC_BOTTOM = 3.72, 1.2, 15.0
DOC_GI50_NM = DOC_IC50_NM * (50.0 / (50.0 - DOC_BOTTOM)) ** (1 / DOC_HILL)  # 5.01 nM
CONTROLS = {
    "block.1x4.A1": "vehicle",
    "block.1x4.A12": "vehicle",
    "block.1x4.E1": "blank",
    "block.1x4.E12": "blank",
}
CONCS = series(1000.0, 3.0, 10)


def four_pl(c_nm: float, ic50: float, hill: float, bottom: float, top: float = 100.0) -> float:
    return float(bottom + (top - bottom) / (1 + (c_nm / ic50) ** hill))


def mtt_plate(
    rng: np.random.Generator,
    truth: dict[str, tuple[float, float, float]],
    *,
    blank: float = 0.05,
    cells: float = 1.2,
    cv: float = 0.04,
) -> tuple[np.ndarray, str]:
    """Cols 1/12: A-D vehicle, E-H blank; rows A-C first compound, D-F second (cols 2-11).
    ``truth``: compound -> (IC50 nM, Hill, bottom %); bottom 100 means no effect."""
    names = list(truth)
    rows = {**dict.fromkeys("ABC", names[0]), **dict.fromkeys("DEF", names[1])}
    grid = np.full((8, 12), np.nan)
    for r, letter in enumerate("ABCDEFGH"):
        for c in range(12):
            if c in (0, 11):
                pct = 100.0 if letter in "ABCD" else 0.0
            elif letter in rows:
                ic50, hill, bottom = truth[rows[letter]]
                pct = four_pl(CONCS[c - 1], ic50, hill, bottom)
            else:
                continue
            grid[r, c] = blank + cells * pct / 100 * (1 + cv * rng.standard_normal())
    blocks = [("A2", "sample", names[0], CONCS, 3), ("D2", "sample", names[1], CONCS, 3)]
    return grid, layout_text(plate=96, controls=CONTROLS, series_blocks=blocks)


def run(
    tmp_path: Path, grid: np.ndarray, layout: str, settings: ViabilitySettings = SETTINGS
) -> ViabilityResult:
    plate = read_plate(write_grid(tmp_path / "plate.csv", grid))
    (tmp_path / "layout.toml").write_text(layout, encoding="utf-8")
    return analyse(plate, read_layout(tmp_path / "layout.toml"), settings)


def assert_json_round_trip(result: ViabilityResult) -> None:
    text = json.dumps(result.to_dict(), allow_nan=False)
    again = ViabilityResult.from_dict(json.loads(text))
    assert again == result
    assert again.summary().equals(result.summary())


def assert_within(value: float | None, lo: float | None, hi: float | None, truth: float) -> None:
    assert value is not None and lo is not None and hi is not None
    assert truth / FACTOR <= value <= truth * FACTOR, (value, truth)
    assert lo < value < hi
    assert lo / FACTOR <= truth <= hi * FACTOR, (lo, hi, truth)


# --- the bundled example --------------------------------------------------------------------------


def test_bundled_example_recovers_the_simulation_truth() -> None:
    (example,) = KINDS["viability"].examples
    files = example_inputs(example)
    result = run_kind("viability", files, {"cell_line": "PC-3", "hours": "48"}).result
    assert result.settings == SETTINGS
    assert [b.role for b in input_blobs(KINDS["viability"], files)] == ["plate", "layout"]
    assert result.analysis.qc.passed
    doc = result.curve("docetaxel")
    # truth inside the 95% CIs (not widened): IC50 3.72 nM, GI50 5.01 nM
    assert doc.ic50_lower_molar is not None and doc.ic50_upper_molar is not None
    assert doc.ic50_lower_molar < DOC_IC50_NM * 1e-9 < doc.ic50_upper_molar
    g = result.gi50_of("docetaxel")
    assert g.bound == "=" and g.gi50_lower_molar is not None and g.gi50_upper_molar is not None
    assert g.gi50_lower_molar < DOC_GI50_NM * 1e-9 < g.gi50_upper_molar
    assert g.max_effect_fitted_pct == pytest.approx(100 - DOC_BOTTOM, abs=5)
    assert not set(doc.flags)
    # balixafortide alone is not cytotoxic (seeds): flagged, and no potency reported for it
    balix = result.curve("balixafortide")
    assert "no_effect" in balix.flags
    assert result.gi50_of("balixafortide").gi50_molar is None
    assert result.gi50_of("balixafortide").max_effect_observed_pct < 10
    pots = result.potencies(source="#3")
    assert {(p.compound, p.parameter) for p in pots} == {
        ("docetaxel", "IC50"),
        ("docetaxel", "GI50"),
    }
    assert all(p.assay == "cell viability (MTT)" and "PC-3, 48 h" in p.system for p in pots)
    assert_json_round_trip(result)


# --- plates simulated here ------------------------------------------------------------------------


@pytest.mark.parametrize(("bottom", "seed"), [(0.0, 1), (30.0, 2)])
def test_simulated_plate_recovers_ic50_and_gi50(tmp_path: Path, bottom: float, seed: int) -> None:
    truth = {"active": (8.0, 1.0, bottom), "weak": (300.0, 1.5, 10.0)}
    grid, layout = mtt_plate(np.random.default_rng(seed), truth)
    result = run(tmp_path, grid, layout)
    for name, (ic50, hill, b) in truth.items():
        c = result.curve(name)
        assert_within(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, ic50 * 1e-9)
        gi50 = ic50 * ((100 - 50) / (50 - b)) ** (1 / hill)
        g = result.gi50_of(name)
        assert_within(g.gi50_molar, g.gi50_lower_molar, g.gi50_upper_molar, gi50 * 1e-9)
    if bottom == 0.0:  # a curve that falls to 0 %: GI50 and IC50 coincide (nearly)
        g = result.gi50_of("active")
        assert g.gi50_molar == pytest.approx(result.curve("active").ic50_molar, rel=0.15)
    assert_json_round_trip(result)


def test_gi50_is_where_the_fitted_curve_crosses_half_the_vehicle(tmp_path: Path) -> None:
    grid, layout = mtt_plate(
        np.random.default_rng(4), {"a": (5.0, 0.8, 25.0), "b": (50.0, 2.0, 20.0)}
    )
    result = run(tmp_path, grid, layout)
    for c in result.curves:
        root = brentq(lambda x, fit=c.fit: float(fit.predict(np.array([x]))[0]) - 50.0, -12.0, -5.0)
        assert result.gi50_of(c.compound).gi50_molar == pytest.approx(10**root, rel=1e-9)


def test_a_curve_that_stays_above_half_gives_a_bound(tmp_path: Path) -> None:
    grid, layout = mtt_plate(
        np.random.default_rng(5), {"partial": (10.0, 1.2, 70.0), "full": (10.0, 1.0, 5.0)}
    )
    result = run(tmp_path, grid, layout)
    g = result.gi50_of("partial")
    assert g.bound == ">" and g.gi50_molar == pytest.approx(1e-6)
    assert g.display() == ("> 1e+03", "—")
    assert g.max_effect_fitted_pct == pytest.approx(30, abs=6)
    gi50 = {p.compound: p for p in result.potencies() if p.parameter == "GI50"}
    assert gi50["partial"].bound == ">" and gi50["full"].bound == "="


def test_combination_table_is_tidy_and_blank_subtracted(tmp_path: Path) -> None:
    grid, layout = mtt_plate(
        np.random.default_rng(6), {"a": (5.0, 1.0, 0.0), "b": (50.0, 1.0, 0.0)}
    )
    result = run(tmp_path, grid, layout)
    table = result.combination_table()
    assert list(table.columns) == [
        "compound",
        "concentration_M",
        "viability_pct",
        "replicate",
        "well",
    ]
    assert len(table) == 60 + 8
    assert (table.groupby(["compound", "concentration_M"])["replicate"].max() == 3).sum() == 20
    vehicle = table[table["compound"] == "vehicle"]
    assert len(vehicle) == 8 and (vehicle["concentration_M"] == 0).all()
    hi = np.mean(np.r_[grid[:4, 0], grid[:4, 11]])
    lo = np.mean(np.r_[grid[4:, 0], grid[4:, 11]])
    b3 = table[table["well"] == "B3"].iloc[0]
    assert b3["viability_pct"] == pytest.approx(100 * (grid[1, 2] - lo) / (hi - lo), rel=1e-12)
    assert b3["concentration_M"] == pytest.approx(CONCS[1] * 1e-9) and b3["replicate"] == 2


def test_masked_wells_are_left_out_with_their_reason(tmp_path: Path) -> None:
    grid, layout = mtt_plate(np.random.default_rng(7), {"a": (5.0, 1.0, 0.0), "b": (50.0, 1, 0)})
    grid[0, 3] = np.nan
    layout += '\n[well.A4]\nexclude = "pipetting error"\n'
    result = run(tmp_path, grid, layout)
    a4 = next(w for w in result.analysis.wells if w.well == "A4")
    assert a4.excluded == "pipetting error"
    assert "A4" not in set(result.combination_table()["well"])
    assert result.curve("a").fit.n == 29
    assert_json_round_trip(result)


# --- bad inputs ---------------------------------------------------------------------------------


def _bad() -> tuple[np.ndarray, str]:
    return mtt_plate(np.random.default_rng(8), {"a": (5.0, 1.0, 0.0), "b": (50.0, 1.0, 0.0)})


def test_missing_blank_wells(tmp_path: Path) -> None:
    grid, layout = _bad()
    layout = layout.replace('role = "blank"', 'role = "empty"')
    with pytest.raises(InputError) as err:
        run(tmp_path, grid, layout)
    assert "layout.toml" in str(err.value) and "'blank'" in str(err.value)


def test_missing_vehicle_wells(tmp_path: Path) -> None:
    grid, layout = _bad()
    layout = layout.replace('role = "vehicle"', 'role = "empty"')
    with pytest.raises(InputError, match="vehicle"):
        run(tmp_path, grid, layout)


def test_saturated_absorbance(tmp_path: Path) -> None:
    grid, layout = _bad()
    grid[3, 6] = 4.0  # the reader's ceiling
    with pytest.raises(InputError) as err:
        run(tmp_path, grid, layout)
    assert "well D7" in str(err.value) and "saturated" in str(err.value)


def test_negative_absorbance(tmp_path: Path) -> None:
    grid, layout = _bad()
    grid[4, 0] = -0.01
    with pytest.raises(InputError) as err:
        run(tmp_path, grid, layout)
    assert "well E1" in str(err.value) and "plate.csv" in str(err.value)


def test_wrong_plate_size(tmp_path: Path) -> None:
    _, layout = _bad()
    plate = read_plate(write_grid(tmp_path / "p384.csv", np.full((16, 24), 1.0)))
    (tmp_path / "layout.toml").write_text(layout, encoding="utf-8")
    with pytest.raises(InputError) as err:
        analyse(plate, read_layout(tmp_path / "layout.toml"), SETTINGS)
    assert "p384.csv" in str(err.value) and "384-well" in str(err.value)


def test_duplicate_well_in_a_long_export(tmp_path: Path) -> None:
    (tmp_path / "long.csv").write_text("well,od\nA1,1.2\nB1,1.1\nA01,1.3\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_plate(tmp_path / "long.csv")
    assert "long.csv" in str(err.value) and "A1" in str(err.value)


def test_settings_refuse_a_bad_exposure() -> None:
    with pytest.raises(InputError, match="exposure_h"):
        ViabilitySettings(PlateSettings(), exposure_h=-48.0)
    assert math.isfinite(SETTINGS.plate.saturation or math.nan)
