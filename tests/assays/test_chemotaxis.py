"""Chemotaxis (Transwell): counts, crystal violet or Calcein-AM -> chemotactic index, % inhibition
of CXCL12-induced migration, IC50 with CI.

Expected values come from the simulation truth (scripts/simulate_chemotaxis.py for the bundled
examples, and the plates simulated below), never from the code under test. No published worked
example of a Transwell analysis with its raw numbers was found.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from tests.assays.plate_sim import layout_text, series, write_grid

from cxcr4lab.assays.chemotaxis import (
    ChemotaxisResult,
    ChemotaxisSettings,
    analyse_counts,
    analyse_plate,
)
from cxcr4lab.assays.inhibition import PlateSettings
from cxcr4lab.assays.layout import read_layout
from cxcr4lab.assays.readers import read_plate
from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, Example, example_inputs, input_blobs, run_kind

FACTOR = 1.5
CXCL12_NM = 100.0 / 7963.5 * 1e3  # 100 ng/mL
# truth of the bundled examples (scripts/simulate_chemotaxis.py)
EXAMPLE_IC50_NM = {
    "fluorescence": {"balixafortide": 3.0, "plerixafor": 100.0},
    "absorbance": {"balixafortide": 8.0, "plerixafor": 100.0},
    "counts": {"balixafortide": 8.0, "plerixafor": 100.0},
}
PUBLISHED_BELOW_NM = {"Jurkat": 10.0, "MDA-MB-231": 20.0}  # seed_facts.toml [[potency]]
CONTROLS = {
    "block.1x4.A1": "max",
    "block.1x4.A12": "max",
    "block.1x4.E1": "no_agonist",
    "block.1x4.E12": "no_agonist",
}
CONCS = {"potent": series(300.0, 3.0, 10), "weak": series(10000.0, 3.0, 10)}
TRUTH = {"potent": 4.0, "weak": 150.0}
BASAL, INDUCED = 2000.0, 8000.0  # chemotactic index 5


def settings(readout: str, model: str = "linear") -> ChemotaxisSettings:
    return ChemotaxisSettings(
        PlateSettings(agonist_molar=CXCL12_NM * 1e-9),
        readout=readout,  # type: ignore[arg-type]
        standard_model=model,  # type: ignore[arg-type]
    )


def migrated_cells(rng: np.random.Generator) -> np.ndarray:
    """Cells per insert on a 96-well layout (NaN where no insert): controls in cols 1/12,
    'potent' in rows A-C and 'weak' in rows D-F (cols 2-11); 8% insert variation."""
    grid = np.full((8, 12), np.nan)
    for r, letter in enumerate("ABCDEFGH"):
        for c in range(12):
            if c in (0, 11):
                cells = BASAL + (INDUCED if letter in "ABCD" else 0.0)
            elif letter in "ABCDEF":
                name = "potent" if letter in "ABC" else "weak"
                cells = BASAL + INDUCED / (1 + CONCS[name][c - 1] / TRUTH[name])
            else:
                continue
            grid[r, c] = cells * (1 + 0.08 * rng.standard_normal())
    return grid


def layout(extra: str = "", controls: dict[str, str] | None = None) -> str:
    blocks = [
        ("A2", "sample", "potent", CONCS["potent"], 3),
        ("D2", "sample", "weak", CONCS["weak"], 3),
    ]
    return layout_text(plate=96, controls=controls or CONTROLS, series_blocks=blocks, extra=extra)


STANDARD_CELLS = [0.0, 500.0, 1000.0, 2000.0, 3000.0, 4000.0, 6000.0, 8000.0, 10000.0, 14000.0]
STANDARDS = "".join(
    f'[block.1x2.G{k + 2}]\nrole = "standard"\ncells = {c:g}\n\n'
    for k, c in enumerate(STANDARD_CELLS)
)


def rfu_linear(cells: float) -> float:
    return 100.0 + 3.0 * cells


def rfu_saturating(cells: float) -> float:
    """A reader/dye that saturates: 4PL in cells (bottom 100, top 50000, EC50 12000, Hill 1)."""
    return 100.0 + (50000.0 - 100.0) * cells / (cells + 12000.0)


def calcein_plate(rng: np.random.Generator, rfu: object) -> np.ndarray:
    assert callable(rfu)
    grid = migrated_cells(rng)
    out = np.full_like(grid, np.nan)
    for (r, c), cells in np.ndenumerate(grid):
        if not math.isnan(cells):
            out[r, c] = rfu(cells) * (1 + 0.01 * rng.standard_normal())
    for k, cells in enumerate(STANDARD_CELLS):
        for r in (6, 7):
            out[r, k + 1] = rfu(cells) * (1 + 0.01 * rng.standard_normal())
    return out


def run_plate(
    tmp_path: Path, grid: np.ndarray, text: str, s: ChemotaxisSettings
) -> ChemotaxisResult:
    plate = read_plate(write_grid(tmp_path / "plate.csv", grid))
    (tmp_path / "layout.toml").write_text(text, encoding="utf-8")
    return analyse_plate(plate, read_layout(tmp_path / "layout.toml"), s)


def counts_csv(rng: np.random.Generator, fields: int = 4, scale: float = 50.0) -> str:
    grid = migrated_cells(rng)
    lines = ["well,field,count"]
    for (r, c), cells in np.ndenumerate(grid):
        if not math.isnan(cells):
            for f in range(1, fields + 1):
                lines.append(f"{'ABCDEFGH'[r]}{c + 1},{f},{rng.poisson(cells / scale)}")
    return "\n".join(lines) + "\n"


def run_counts(tmp_path: Path, text: str, lay: str | None = None) -> ChemotaxisResult:
    (tmp_path / "layout.toml").write_text(lay or layout(), encoding="utf-8")
    table = read_table_bytes(text.encode(), "counts.csv")
    return analyse_counts(table, read_layout(tmp_path / "layout.toml"), settings("counts"))


def assert_json_round_trip(result: ChemotaxisResult) -> None:
    text = json.dumps(result.to_dict(), allow_nan=False)
    again = ChemotaxisResult.from_dict(json.loads(text))
    assert again == result
    assert again.summary().equals(result.summary())


def assert_recovers(
    result: ChemotaxisResult, truth: dict[str, float], widen: float, factor: float = FACTOR
) -> None:
    """Estimates within ``factor`` of the truth; the truth inside the CI widened by ``widen``."""
    for name, ic50 in truth.items():
        c = result.curve(name)
        assert c.ic50_lower_molar is not None and c.ic50_upper_molar is not None
        assert ic50 / factor <= c.ic50_molar * 1e9 <= ic50 * factor, (name, c.ic50_molar)
        assert c.ic50_lower_molar / widen <= ic50 * 1e-9 <= c.ic50_upper_molar * widen, name
        assert not {"no_effect", "not_converged", "outside_range"} & set(c.flags)


# --- the bundled examples ------------------------------------------------------------------------


@pytest.mark.parametrize("example", KINDS["chemotaxis"].examples, ids=lambda e: e.files["data"])
def test_bundled_examples_recover_the_simulation_truth(example: Example) -> None:
    readout, cell_line = example.options["readout"], example.options["cell_line"]
    files = example_inputs(example)
    options = {"readout": readout, "cell_line": cell_line, "agonist_conc": f"{CXCL12_NM} nM"}
    result = run_kind("chemotaxis", files, options).result
    assert isinstance(result, ChemotaxisResult)
    assert result.settings.plate.agonist_molar == pytest.approx(CXCL12_NM * 1e-9)
    assert result.analysis.qc.passed
    # the truth inside the 95% CIs (not widened); Transwell replicates vary by ~10%, so the
    # estimates themselves are only asked to lie within a factor 2
    assert_recovers(result, EXAMPLE_IC50_NM[readout], widen=1.0, factor=2.0)
    # chemotactic index: simulated 5.0 in every example
    i = result.index
    assert i.lower is not None and i.upper is not None and i.lower < 5.0 < i.upper
    # published bound for balixafortide in this cell line (seed_facts.toml)
    assert result.curve("balixafortide").ic50_molar < PUBLISHED_BELOW_NM[cell_line] * 1e-9
    assert not result.analysis.edge.flagged
    pots = result.potencies("#1")
    assert {p.parameter for p in pots} == {"IC50"}  # no Kb without the CXCL12 EC50
    assert all(p.assay == "chemotaxis (SDF-1 dependent)" and cell_line in p.system for p in pots)
    assert [b.role for b in input_blobs(KINDS["chemotaxis"], files)] == ["data", "layout"]
    if readout == "fluorescence":
        assert result.standard is not None
        assert result.standard.fit.params["slope"] == pytest.approx(2.0, rel=0.05)
    assert_json_round_trip(result)


# --- simulated here --------------------------------------------------------------------------------


def test_calcein_with_a_linear_standard_curve(tmp_path: Path) -> None:
    grid = calcein_plate(np.random.default_rng(1), rfu_linear)
    result = run_plate(tmp_path, grid, layout(STANDARDS), settings("fluorescence"))
    st = result.standard
    assert st is not None and st.model == "linear" and st.r_squared > 0.999
    assert st.fit.params["slope"] == pytest.approx(3.0, rel=0.02)
    # cells read from the curve: the CXCL12 controls hold BASAL + INDUCED = 10000 cells
    high = [m.migration for m in result.migration if m.well in ("A1", "B1", "C1", "D1")]
    assert np.mean(high) == pytest.approx(BASAL + INDUCED, rel=0.1)
    assert_recovers(result, TRUTH, widen=FACTOR)
    # % of control by hand for well B6: (cells - mean no CXCL12) / (mean max - mean no CXCL12)
    cells = {m.well: m.migration for m in result.migration}
    hi = np.mean([cells[f"{r}{c}"] for r in "ABCD" for c in (1, 12)])
    lo = np.mean([cells[f"{r}{c}"] for r in "EFGH" for c in (1, 12)])
    b6 = next(w for w in result.analysis.wells if w.well == "B6")
    assert b6.response_pct == pytest.approx(100 * (cells["B6"] - lo) / (hi - lo), rel=1e-9)
    assert result.index.value == pytest.approx(hi / lo, rel=1e-12)
    assert_json_round_trip(result)


def test_calcein_with_a_saturating_reader_needs_the_4pl_standard_curve(tmp_path: Path) -> None:
    grid = calcein_plate(np.random.default_rng(2), rfu_saturating)
    curved = run_plate(tmp_path, grid, layout(STANDARDS), settings("fluorescence", "4pl"))
    st = curved.standard
    assert st is not None and st.model == "4pl_stim_lin"
    assert st.fit.params["ec50"] == pytest.approx(12000, rel=0.15)
    assert_recovers(curved, TRUTH, widen=FACTOR)
    assert curved.index.value == pytest.approx((BASAL + INDUCED) / BASAL, rel=0.15)
    # a straight line through curved standards misreads the cells: the index comes out lower
    straight = run_plate(tmp_path, grid, layout(STANDARDS), settings("fluorescence"))
    assert straight.index.value is not None and curved.index.value is not None
    assert straight.index.value < curved.index.value
    assert abs(curved.index.value - 5.0) < abs(straight.index.value - 5.0)


def test_crystal_violet_blank_is_subtracted(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    cells = migrated_cells(rng)
    grid = 0.1 + 1e-4 * cells
    grid[6, 1:4] = grid[7, 1:4] = 0.1
    result = run_plate(
        tmp_path, grid, layout('[block.3x2.G2]\nrole = "blank"\n'), settings("absorbance")
    )
    assert result.blank_mean == pytest.approx(0.1)
    a1 = next(m for m in result.migration if m.well == "A1")
    assert a1.migration == pytest.approx(1e-4 * cells[0, 0], rel=1e-9)
    assert result.index.value == pytest.approx(
        np.mean(np.r_[cells[:4, 0], cells[:4, 11]]) / np.mean(np.r_[cells[4:, 0], cells[4:, 11]]),
        rel=1e-9,
    )
    assert_recovers(result, TRUTH, widen=FACTOR)


def test_counts_over_fields(tmp_path: Path) -> None:
    result = run_counts(tmp_path, counts_csv(np.random.default_rng(4)))
    assert len(result.counts) == 76 and {c.fields for c in result.counts} == {4}
    assert result.unit == "cells per field"
    a1 = next(c for c in result.counts if c.well == "A1")
    assert a1.mean_per_field == pytest.approx(a1.total / 4)
    assert result.index.value == pytest.approx(5.0, rel=0.15)
    assert_recovers(result, TRUTH, widen=FACTOR)
    table = result.index_table()
    assert set(table["role"]) == {"max", "no_agonist", "sample"}
    assert_json_round_trip(result)


# --- bad inputs ---------------------------------------------------------------------------------


def test_negative_count(tmp_path: Path) -> None:
    text = counts_csv(np.random.default_rng(5)).replace("\nB2,3,", "\nB2,3,-", 1)
    with pytest.raises(InputError) as err:
        run_counts(tmp_path, text)
    assert "counts.csv" in str(err.value) and "column 'count'" in str(err.value)
    assert ">= 0" in str(err.value)


def test_fractional_count(tmp_path: Path) -> None:
    lines = counts_csv(np.random.default_rng(5)).splitlines()
    lines[3] = lines[3] + ".5"
    with pytest.raises(InputError) as err:
        run_counts(tmp_path, "\n".join(lines))
    assert "row 4" in str(err.value) and "whole number" in str(err.value)


def test_duplicate_well_and_field(tmp_path: Path) -> None:
    lines = counts_csv(np.random.default_rng(6)).splitlines()
    lines.append(lines[2])
    with pytest.raises(InputError) as err:
        run_counts(tmp_path, "\n".join(lines))
    message = str(err.value)
    assert "row 306" in message and "duplicate well=A1, field=2 (first seen at row 3)" in message


def test_counts_for_a_well_off_the_plate(tmp_path: Path) -> None:
    text = counts_csv(np.random.default_rng(7)) + "M14,1,30\n"
    with pytest.raises(InputError) as err:
        run_counts(tmp_path, text)
    assert "M14" in str(err.value) and "96-well" in str(err.value)


def test_missing_counts_for_an_insert(tmp_path: Path) -> None:
    text = "\n".join(
        line
        for line in counts_csv(np.random.default_rng(8)).splitlines()
        if not line.startswith("F7,")
    )
    with pytest.raises(InputError) as err:
        run_counts(tmp_path, text)
    assert "well F7" in str(err.value) and "no counts" in str(err.value)


def test_missing_no_cxcl12_controls(tmp_path: Path) -> None:
    controls = {k: "max" for k in CONTROLS}
    with pytest.raises(InputError) as err:
        run_counts(tmp_path, counts_csv(np.random.default_rng(9)), layout(controls=controls))
    assert "layout.toml" in str(err.value) and "no_agonist" in str(err.value)


def test_absorbance_without_blank_wells(tmp_path: Path) -> None:
    grid = 0.1 + 1e-4 * migrated_cells(np.random.default_rng(10))
    with pytest.raises(InputError, match="blank"):
        run_plate(tmp_path, grid, layout(), settings("absorbance"))


def test_fluorescence_without_standards(tmp_path: Path) -> None:
    grid = calcein_plate(np.random.default_rng(11), rfu_linear)
    with pytest.raises(InputError) as err:
        run_plate(tmp_path, grid, layout(), settings("fluorescence"))
    assert "standard" in str(err.value) and "layout.toml" in str(err.value)


def test_saturated_fluorescence(tmp_path: Path) -> None:
    grid = calcein_plate(np.random.default_rng(12), rfu_linear)
    grid[1, 7] = 65535.0
    with pytest.raises(InputError) as err:
        run_plate(tmp_path, grid, layout(STANDARDS), settings("fluorescence"))
    assert "well B8" in str(err.value) and "saturated" in str(err.value)


def test_negative_absorbance(tmp_path: Path) -> None:
    grid = 0.1 + 1e-4 * migrated_cells(np.random.default_rng(13))
    grid[6, 1:4] = grid[7, 1:4] = 0.1
    grid[2, 2] = -0.02
    with pytest.raises(InputError) as err:
        run_plate(
            tmp_path, grid, layout('[block.3x2.G2]\nrole = "blank"\n'), settings("absorbance")
        )
    assert "well C3" in str(err.value) and "plate.csv" in str(err.value)


def test_wrong_plate_size(tmp_path: Path) -> None:
    (tmp_path / "layout.toml").write_text(layout(STANDARDS), encoding="utf-8")
    plate = read_plate(write_grid(tmp_path / "p384.csv", np.full((16, 24), 1000.0)))
    with pytest.raises(InputError) as err:
        analyse_plate(plate, read_layout(tmp_path / "layout.toml"), settings("fluorescence"))
    assert "p384.csv" in str(err.value) and "384-well" in str(err.value)


def test_bad_standard_cells(tmp_path: Path) -> None:
    grid = calcein_plate(np.random.default_rng(14), rfu_linear)
    bad = STANDARDS.replace("cells = 500\n", "cells = -500\n")
    with pytest.raises(InputError) as err:
        run_plate(tmp_path, grid, layout(bad), settings("fluorescence"))
    assert "well G3" in str(err.value) and "cells" in str(err.value)


def test_settings_refuse_unknown_readout() -> None:
    with pytest.raises(InputError, match="readout"):
        settings("luminescence")
    with pytest.raises(InputError, match="standard_model"):
        settings("fluorescence", "5pl")
