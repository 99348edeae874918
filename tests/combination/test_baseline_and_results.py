"""SynergyFinder's baseline correction, and the result objects (tables, JSON round trip)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cxcr4lab.combination.blocks import Block, make_block, read_blocks
from cxcr4lab.combination.reference import (
    BlockScores,
    conc_ratio,
    correct_baseline,
    score_block,
    single_drug_fits,
)
from cxcr4lab.core.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"


def _block() -> Block:
    return read_blocks((DATA / "blocks.csv").read_bytes()).block("1")


def test_correct_baseline_as_synergyfinder() -> None:
    """``CorrectBaseLine``: baseline = the lowest fitted value of the two single-drug fits;
    ``r - (100 - r)/100 * baseline`` on the negative responses ("part") or all ("all")."""
    block = _block()
    y, dr, dc = block.matrix, np.array(block.conc_r_shown), np.array(block.conc_c_shown)
    fits = single_drug_fits(y, dr, dc)
    assert fits.row is not None and fits.col is not None
    baseline = min(fits.row.predict(dr).min(), fits.col.predict(dc).min())
    assert baseline < 0
    same, b0 = correct_baseline(y, dr, dc, "non")
    assert b0 == 0 and np.array_equal(same, y)
    part, b1 = correct_baseline(y, dr, dc, "part")
    assert b1 == pytest.approx(baseline, rel=1e-12)
    neg = y < 0
    np.testing.assert_allclose(part[neg], y[neg] - (100 - y[neg]) / 100 * baseline, rtol=1e-14)
    np.testing.assert_array_equal(part[~neg], y[~neg])
    every, _ = correct_baseline(y, dr, dc, "all")
    np.testing.assert_allclose(every, y - (100 - y) / 100 * baseline, rtol=1e-14)
    scores = score_block(block, correct_baseline="all", methods=["bliss"])
    assert scores.baseline == pytest.approx(baseline) and scores.correct_baseline == "all"
    np.testing.assert_allclose(np.array(scores.response), every)
    with pytest.raises(InputError, match="correct_baseline"):
        correct_baseline(y, dr, dc, "some")  # type: ignore[arg-type]


def test_results_round_trip_and_tables() -> None:
    scores = score_block(_block())
    again = BlockScores.from_dict(json.loads(json.dumps(scores.to_dict())))
    assert again == scores
    cells = scores.cells()
    assert len(cells) == 100
    assert {
        "block_id",
        "conc_r",
        "conc_c",
        "response",
        "zip_fit",
        "loewe_ref",
        "bliss_synergy",
    } <= set(cells.columns)
    summary = scores.summary()
    assert list(summary.method) == ["zip", "hsa", "bliss", "loewe"]
    with pytest.raises(InputError, match="unknown method 'chou'"):
        score_block(_block(), methods=["chou"])


def test_summed_dose_across_units() -> None:
    """The ``above_all_single_drug_maxima`` rule adds the two doses; across units the column
    drug's dose is converted into the row drug's unit first (SynergyFinder assumes one unit)."""
    y = np.array([[0.0, 10.0, 20.0], [10.0, 30.0, 40.0], [20.0, 40.0, 95.0]])
    same = make_block([0, 1, 2], [0, 1, 2], y, unit_r="uM")
    mixed = make_block([0, 1, 2], [0, 1000, 2000], y, unit_r="uM", unit_c="nM")
    assert conc_ratio(same) == 1.0
    assert conc_ratio(mixed) == pytest.approx(1e-3)
    a = score_block(same, methods=["loewe", "zip"])
    b = score_block(mixed, methods=["loewe", "zip"])
    grid = b.method("loewe").loewe
    assert grid is not None and grid.case[2][2] == "above_all_single_drug_maxima"
    for m in ("loewe", "zip"):
        np.testing.assert_allclose(a.method(m).synergy, b.method(m).synergy, atol=1e-6)  # type: ignore[arg-type]
