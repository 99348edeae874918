"""One synergy analysis of a table: every method per block, tables as users read them, bad
blocks carried, not fatal."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxcr4lab.combination import (
    ALL_METHODS,
    BlockProblem,
    BlockSet,
    SynergySettings,
    analyse_blocks,
    bliss_reference,
    fit_median_effect,
    interpret,
    make_block,
    read_blocks,
)
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import synergy as run_synergy
from tests.combination.test_reference_synergyfinder import DATA

DOSE = [0.0, 1.0, 3.0, 10.0]


def _hill(d: np.ndarray, ic50: float, h: float, emax: float = 100.0) -> np.ndarray:
    return emax * d**h / (d**h + ic50**h)


def _bliss_block(block_id: str = "1", *, replicates: bool = False) -> object:
    """A Bliss-independent surface of two Hill drugs (% inhibition), optionally with three
    noisy replicates per cell (seeded)."""
    d = np.array(DOSE)
    a = _hill(d, 3.0, 1.0)
    b = _hill(d, 5.0, 1.5)
    y = 100 * (1 - (1 - a[:, None] / 100) * (1 - b[None, :] / 100))
    reps = None
    if replicates:
        rng = np.random.default_rng(7)
        reps = [[list(v + rng.normal(0, 3, 3)) for v in row] for row in y]
    return make_block(DOSE, DOSE, y, block_id=block_id, drug_row="A", drug_col="B", replicates=reps)


def test_the_methods_agree_with_the_command_line_names() -> None:
    assert run_synergy._METHODS == ALL_METHODS


def test_a_bliss_independent_surface_scores_zero_and_reads_additive() -> None:
    block = _bliss_block()
    result = analyse_blocks(BlockSet("t", (block,)), SynergySettings(methods=("bliss", "ci")))
    row = result.summary().iloc[0]
    assert abs(row["bliss"]) < 1e-9
    assert interpret(row["bliss"]) == "likely additive"
    assert row["bliss_ci95_low"] is None  # no replicates: no bootstrap interval
    assert "no replicates" in row["flags"]
    cells = result.cells()
    y = np.array(block.response)
    expected = bliss_reference(y)
    assert np.allclose(cells["bliss_ref"].to_numpy(), expected.ravel(), atol=1e-12)
    assert list(cells.columns[:9]) == [
        "block_id",
        "drug_row",
        "drug_col",
        "conc_r",
        "conc_c",
        "conc_r_unit",
        "conc_c_unit",
        "response",
        "n_replicates",
    ]


def test_replicates_give_bootstrap_intervals_around_the_block_mean() -> None:
    block = _bliss_block(replicates=True)
    settings = SynergySettings(methods=("bliss", "hsa"), iteration=20)
    result = analyse_blocks(BlockSet("t", (block,)), settings)
    row = result.summary().iloc[0]
    for m in ("bliss", "hsa"):
        assert row[f"{m}_ci95_low"] < row[m] < row[f"{m}_ci95_high"]
    assert row["bliss_ci95_low"] < 0 < row["bliss_ci95_high"]  # truth: Bliss 0
    cells = result.cells()
    assert set(cells["n_replicates"]) == {3}
    assert {"bliss_synergy_ci95_low", "bliss_synergy_ci95_high"} <= set(cells.columns)


def test_the_summary_columns_of_every_method_and_the_most_synergistic_area() -> None:
    raw = (DATA / "public_blocks.csv").read_bytes()
    blocks = read_blocks(raw, strict=False)
    one = BlockSet(blocks.source, blocks.blocks[:1])
    result = analyse_blocks(one, SynergySettings())
    frame = result.summary()
    for col in ("bliss", "hsa", "loewe", "zip", "css", "ci_median", "musyc_alpha12", "musyc_beta"):
        assert col in frame.columns
    assert list(frame.columns[8:12]) == ["bliss", "hsa", "loewe", "zip"]
    b = result.blocks[0]
    assert b.scores is not None
    for m, area in zip(b.scores.methods, b.areas, strict=True):
        assert area is not None and area.size == 3
        window = np.array(m.synergy)[area.row : area.row + 3, area.col : area.col + 3]
        assert area.score == pytest.approx(float(np.mean(window)))
    assert b.musyc is not None  # its monotherapy start once overflowed exp(ln h)
    assert len(result.musyc_table()) == 13  # 12 parameters and beta
    assert not result.chou_table().empty


def test_a_drug_without_effect_leaves_ci_undefined_and_the_other_drugs_dri_defined() -> None:
    """Balixafortide-like: B inhibits nothing alone, A's IC50 falls with B. CI needs both Dx;
    A's DRI = Dx_A(fa) / d_A needs only A's fit (checked against the median-effect fit)."""
    d = np.array(DOSE)
    y = np.array([_hill(d, 3.0 / (1 + 2 * j / 3), 1.0, 90.0) for j in range(4)]).T
    y[0, :] = [0.0, 0.4, -0.3, 0.2]  # B alone: noise around 0
    block = make_block(DOSE, DOSE, y, drug_row="A", drug_col="B")
    result = analyse_blocks(BlockSet("t", (block,)), SynergySettings(methods=("ci",)))
    chou = result.blocks[0].chou
    assert chou is not None and chou.median_ci is None and chou.n_defined == 0
    single = fit_median_effect(d[1:], y[1:, 0] / 100, agent="A")
    for cell in chou.cells:
        assert cell.ci is None and "B" in cell.note
        fa = cell.fa
        dx = single.dm * (fa / (1 - fa)) ** (1 / single.m)
        assert cell.dri[0] == pytest.approx(dx / cell.doses[0], rel=1e-9)
        assert cell.dri[1] is None
    assert any("Chou-Talalay" in n for n in result.blocks[0].notes)


def test_refused_blocks_are_carried_and_others_scored() -> None:
    problem = BlockProblem("bad", "no single-drug rows of 'X'", 7)
    result = analyse_blocks(
        BlockSet("t", (_bliss_block(),), (problem,)), SynergySettings(methods=("hsa",))
    )
    assert result.problems == (problem,)
    assert [b.block_id for b in result.blocks] == ["1"]


def test_no_sound_block_is_one_error_naming_why() -> None:
    problem = BlockProblem("bad", "cell (conc_r=1 uM, conc_c=3 uM) is missing", 9)
    with pytest.raises(InputError, match=r"no block can be scored: block 'bad', row 9: cell"):
        analyse_blocks(BlockSet("t.csv", (), (problem,)))


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (SynergySettings(methods=("bliss", "synergy")), "method"),
        (SynergySettings(methods=()), "method"),
        (SynergySettings(area_size=1), "area_size"),
    ],
)
def test_bad_settings_name_the_setting(settings: SynergySettings, field: str) -> None:
    with pytest.raises(InputError) as err:
        analyse_blocks(BlockSet("t", (_bliss_block(),)), settings)
    assert err.value.place.field == field


def test_a_small_block_has_one_area_and_musyc_failure_is_a_note() -> None:
    y = [[0.0, 10.0, 20.0], [15.0, 30.0, 40.0], [25.0, 45.0, 60.0]]
    block = make_block([0, 1, 2], [0, 1, 2], y)
    result = analyse_blocks(BlockSet("t", (block,)), SynergySettings(methods=("bliss", "musyc")))
    b = result.blocks[0]
    assert b.areas[0] is not None and b.areas[0].row == 0  # 3 x 3: the one window
    assert b.musyc is None
    assert any(n.startswith("MuSyC not computed") for n in b.notes)
    assert math.isfinite(result.summary().iloc[0]["bliss"])
