"""Beta-arrestin recruitment: plate + layout -> IC50 and Kb (Leff-Dougall) with CIs, QC, edge.

Expected values come from the simulation truth (tests/assays/plate_sim.py, Gaddum shift of the
agonist curve), never from the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.assays.plate_sim import expected_ic50, functional_96, series, write_grid

from cxcr4lab.assays.arrestin import ArrestinResult, analyse
from cxcr4lab.assays.inhibition import InhibitionCurve, PlateSettings
from cxcr4lab.assays.layout import read_layout
from cxcr4lab.assays.readers import read_plate
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, example_inputs, input_blobs, run_kind

CXCL12_MW = 7963.5
EC50_NM = 50.0 / CXCL12_MW * 1e3  # the bundled examples' truth: 50 ng/mL
A_NM = 200.0 / CXCL12_MW * 1e3  # 200 ng/mL, the EC80 when n = 1
EXAMPLE_KB_NM = {"balixafortide": 1.0, "plerixafor": 40.0}
FACTOR = 1.5
BAD_FLAGS = {"not_converged", "ambiguous", "outside_range", "ci_unbounded", "wide_ci", "no_effect"}
SERIES = {"potent": series(1000.0, 3.0, 10), "weak": series(10000.0, 3.0, 10)}
EXAMPLES = KINDS["arrestin"].examples


def run_example(index: int, agonist: str) -> tuple[ArrestinResult, list[str]]:
    """A bundled example through the registry (as every surface runs it): result, input roles."""
    files = example_inputs(EXAMPLES[index])
    outcome = run_kind("arrestin", files, {"agonist_conc": agonist})
    return outcome.result, [b.role for b in input_blobs(KINDS["arrestin"], files)]


def assert_recovers(curve: InhibitionCurve, kb_nm: float, ic50_nm: float) -> None:
    """Estimates within a factor 1.5 of the truth; the truth inside the 95% CI (widened by 1.5)."""
    for value, lo, hi, truth in (
        (curve.ic50_molar, curve.ic50_lower_molar, curve.ic50_upper_molar, ic50_nm * 1e-9),
        (curve.kb_molar, curve.kb_lower_molar, curve.kb_upper_molar, kb_nm * 1e-9),
    ):
        assert value is not None and lo is not None and hi is not None, curve.compound
        assert truth / FACTOR <= value <= truth * FACTOR, (curve.compound, value, truth)
        assert lo < value < hi
        assert lo / FACTOR <= truth <= hi * FACTOR, (curve.compound, lo, hi, truth)
    assert not set(curve.flags) & BAD_FLAGS, (curve.compound, curve.flags)


def assert_json_round_trip(result: ArrestinResult) -> None:
    text = json.dumps(result.to_dict(), allow_nan=False)
    again = ArrestinResult.from_dict(json.loads(text))
    assert again == result
    assert again.summary().equals(result.summary())


def run(tmp_path: Path, grid: np.ndarray, layout: str, settings: PlateSettings) -> ArrestinResult:
    plate = read_plate(write_grid(tmp_path / "plate.csv", grid))
    (tmp_path / "layout.toml").write_text(layout, encoding="utf-8")
    return analyse(plate, read_layout(tmp_path / "layout.toml"), settings)


# --- the bundled examples ------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_bundled_examples_recover_the_simulation_truth(index: int) -> None:
    result, roles = run_example(index, f"{A_NM} nM")
    assert roles == ["plate", "layout"]
    assert result.analysis.qc.passed
    for name, kb in EXAMPLE_KB_NM.items():
        assert_recovers(result.curve(name), kb, expected_ic50(kb, A_NM, EC50_NM, 1.0))
    agonist = result.analysis.agonist
    assert agonist is not None and agonist.ec50_lower_molar is not None
    assert agonist.ec50_upper_molar is not None
    assert agonist.ec50_lower_molar / FACTOR <= EC50_NM * 1e-9 <= agonist.ec50_upper_molar * FACTOR
    assert agonist.effect_at_agonist_pct == pytest.approx(80, abs=8)  # the EC80, as simulated
    # published: balixafortide IC50 < 10 nM in beta-arrestin recruitment (seed_facts.toml)
    assert result.curve("balixafortide").ic50_molar < 10e-9
    # run 2 was simulated with its outer ring 20% low; run 1 without
    assert result.analysis.edge.flagged is ("run2" in EXAMPLES[index].files["plate"])
    assert_json_round_trip(result)


# --- plates simulated here -------------------------------------------------------------------


@pytest.mark.parametrize("hill", [1.0, 1.6])
def test_simulated_plate_recovers_kb(tmp_path: Path, hill: float) -> None:
    """With an agonist slope of 1.6 the Cheng-Prusoff form would be off by ~20%; Leff-Dougall
    with the plate's own agonist curve gets Kb right."""
    ec50, a = 5.0, 5.0 * 4 ** (1 / hill)  # the EC80 for either slope
    kb = {"potent": 2.0, "weak": 60.0}
    grid, layout = functional_96(
        np.random.default_rng(11 + int(10 * hill)),
        kb_nm=kb,
        concs=SERIES,
        a_nm=a,
        ec50_nm=ec50,
        hill=hill,
        agonist_concs=series(300.0, 3.0, 10),
        cv=0.04,
    )
    result = run(tmp_path, grid, layout, PlateSettings(agonist_molar=a * 1e-9))
    assert result.analysis.qc.passed
    assert result.analysis.agonist is not None
    assert result.analysis.agonist.hill == pytest.approx(hill, rel=0.25)
    for name, k in kb.items():
        assert_recovers(result.curve(name), k, expected_ic50(k, a, ec50, hill))
    # well count and normalisation by hand
    assert len(result.analysis.wells) == 96
    a5 = next(w for w in result.analysis.wells if w.well == "A5")
    hi = np.mean(np.r_[grid[:4, 0], grid[:4, 11]])
    lo = np.mean(np.r_[grid[4:, 0], grid[4:, 11]])
    assert a5.response_pct == pytest.approx(100 * (grid[0, 4] - lo) / (hi - lo), rel=1e-9)
    assert_json_round_trip(result)


def test_kb_from_a_given_agonist_ec50_without_a_curve_on_the_plate(tmp_path: Path) -> None:
    kb = {"potent": 2.0, "weak": 60.0, "third": 10.0}
    grid, layout = functional_96(
        np.random.default_rng(5),
        kb_nm=kb,
        concs={**SERIES, "third": series(3000.0, 3.0, 10)},
        a_nm=20.0,
        ec50_nm=5.0,
        hill=1.0,
        agonist_concs=None,
    )
    settings = PlateSettings(agonist_molar=20e-9, agonist_ec50_molar=5e-9, agonist_hill=1.0)
    result = run(tmp_path, grid, layout, settings)
    assert result.analysis.agonist is None
    assert "as given" in result.analysis.kb_basis
    for name, k in kb.items():
        curve = result.curve(name)
        assert curve.kb_molar == pytest.approx(curve.ic50_molar / 5.0, rel=1e-12)  # 1 + 20/5
        assert_recovers(curve, k, 5 * k)


def test_no_agonist_concentration_means_no_kb(tmp_path: Path) -> None:
    grid, layout = functional_96(
        np.random.default_rng(6),
        kb_nm={"potent": 2.0, "weak": 60.0},
        concs=SERIES,
        a_nm=20.0,
        ec50_nm=5.0,
        hill=1.0,
        agonist_concs=series(300.0, 3.0, 10),
    )
    result = run(tmp_path, grid, layout, PlateSettings())
    assert all(c.kb_molar is None for c in result.curves)
    assert {p.parameter for p in result.potencies()} == {"IC50"}


def test_384_well_long_csv(tmp_path: Path) -> None:
    """A 384-well plate: cols 1-2 max, 23-24 no_agonist; rows A-H compound 'p' (cols 3-12)."""
    rng = np.random.default_rng(21)
    concs = series(1000.0, 3.0, 10)
    lines = ["well,rlu"]
    for r in range(16):
        for c in range(1, 25):
            if c <= 2:
                e = 0.8
            elif c >= 23:
                e = 0.0
            elif 3 <= c <= 12 and r < 8:
                # n = 1, [A] = EC80 = 4 EC50: fractional effect 4 / (4 + 1 + B/Kb), Kb = 3 nM
                e = 4 / (4 + 1 + concs[c - 3] / 3.0)
            else:
                continue
            lines.append(
                f"{'ABCDEFGHIJKLMNOP'[r]}{c},{(1000 + 50000 * e) * (1 + 0.05 * rng.standard_normal())!r}"
            )
    (tmp_path / "p384.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    blocks = "".join(
        f'[block.1x8.A{c + 3}]\nrole = "sample"\ncompound = "p"\nconc = "{x!r} nM"\n\n'
        for c, x in enumerate(concs)
    )
    layout = (
        '[expt]\nplate = 384\n\n[col."1-2"]\nrole = "max"\n\n[col."23-24"]\nrole = "no_agonist"\n\n'
        + blocks
    )
    (tmp_path / "l384.toml").write_text(layout, encoding="utf-8")
    settings = PlateSettings(agonist_molar=20e-9, agonist_ec50_molar=5e-9)
    result = analyse(
        read_plate(tmp_path / "p384.csv"), read_layout(tmp_path / "l384.toml"), settings
    )
    assert result.plate_wells == 384
    assert result.curve("p").fit.n == 80
    assert_recovers(result.curve("p"), 3.0, 15.0)


def test_potencies_for_the_cross_assay_summary() -> None:
    result, _ = run_example(0, f"{A_NM} nM")
    pots = result.potencies(source="#1")
    assert {(p.compound, p.parameter) for p in pots} == {
        (c, p) for c in EXAMPLE_KB_NM for p in ("IC50", "Kb")
    }
    assert all(p.assay == "beta-arrestin recruitment" and p.source == "#1" for p in pots)
    assert all(p.lower_molar is not None and p.upper_molar is not None for p in pots)


# --- bad inputs ---------------------------------------------------------------------------------


def _plate(rng_seed: int = 3) -> tuple[np.ndarray, str]:
    return functional_96(
        np.random.default_rng(rng_seed),
        kb_nm={"potent": 2.0, "weak": 60.0},
        concs=SERIES,
        a_nm=20.0,
        ec50_nm=5.0,
        hill=1.0,
        agonist_concs=series(300.0, 3.0, 10),
    )


def test_missing_low_controls(tmp_path: Path) -> None:
    grid, layout = _plate()
    layout = layout.replace('role = "no_agonist"', 'role = "empty"')
    with pytest.raises(InputError) as err:
        run(tmp_path, grid, layout, PlateSettings())
    assert "layout.toml" in str(err.value) and "no_agonist" in str(err.value)


def test_saturated_reading(tmp_path: Path) -> None:
    grid, layout = _plate()
    grid[2, 5] = 16777215.0  # a 24-bit detector's full scale
    with pytest.raises(InputError) as err:
        run(tmp_path, grid, layout, PlateSettings())
    assert "well C6" in str(err.value) and "saturated" in str(err.value)
    grid[2, 5] = 90000.0  # above the ceiling stated for this reader (the others are below it)
    with pytest.raises(InputError, match="well C6"):
        run(tmp_path, grid, layout, PlateSettings(saturation=80000.0))


def test_negative_reading(tmp_path: Path) -> None:
    grid, layout = _plate()
    grid[6, 3] = -12.0
    with pytest.raises(InputError) as err:
        run(tmp_path, grid, layout, PlateSettings())
    assert "well G4" in str(err.value) and "plate.csv" in str(err.value)


def test_wrong_plate_size(tmp_path: Path) -> None:
    _, layout = _plate()
    plate = read_plate(write_grid(tmp_path / "p384.csv", np.full((16, 24), 1000.0)))
    (tmp_path / "layout.toml").write_text(layout, encoding="utf-8")
    with pytest.raises(InputError) as err:
        analyse(plate, read_layout(tmp_path / "layout.toml"), PlateSettings())
    assert "p384.csv" in str(err.value) and "384-well" in str(err.value)


def test_no_assay_window(tmp_path: Path) -> None:
    grid, layout = _plate()
    grid[:, [0, 11]] = 2000.0 * (1 + 0.01 * np.arange(16).reshape(8, 2))
    with pytest.raises(InputError, match="window"):
        run(tmp_path, grid, layout, PlateSettings())


def test_masked_wells_are_kept_with_their_reason(tmp_path: Path) -> None:
    grid, layout = _plate()
    grid[1, 4] = np.nan
    layout += '\n[well.B5]\nexclude = "bubble"\n'
    result = run(tmp_path, grid, layout, PlateSettings())
    b5 = next(w for w in result.analysis.wells if w.well == "B5")
    assert b5.excluded == "bubble" and b5.signal is None
    assert result.curve("potent").fit.n == 29
    reps = result.replicate_table()
    assert reps["n"].sum() == 95
    assert_json_round_trip(result)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [("agonist_molar", {"agonist_molar": 0.0}), ("agonist_hill", {"agonist_hill": -1.0})],
)
def test_settings_refuse_bad_values(field: str, kwargs: dict[str, float]) -> None:
    with pytest.raises(InputError, match=field):
        PlateSettings(**kwargs)  # type: ignore[arg-type]
