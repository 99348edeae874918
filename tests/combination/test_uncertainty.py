"""The bootstrap over replicates (SynergyFinder Plus) and the most synergistic area, on the
O'Neil replicate blocks (``oneil_replicates.csv``: 4 replicates per cell; no reference values,
so invariants are checked)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from cxcr4lab.combination.blocks import Block, make_block, read_blocks
from cxcr4lab.combination.reference import score_block, synergy_p_value
from cxcr4lab.combination.uncertainty import (
    BlockBootstrap,
    bootstrap_block,
    most_synergistic_area,
    resample,
)
from cxcr4lab.core.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"


@cache
def _block(block_id: str = "3") -> Block:
    return read_blocks((DATA / "oneil_replicates.csv").read_bytes()).block(block_id)


@cache
def _boot(seed: int = 11, iteration: int = 12) -> BlockBootstrap:
    return bootstrap_block(_block(), iteration=iteration, seed=seed)


def test_seed_reproduces_and_another_seed_differs() -> None:
    again = bootstrap_block(_block(), iteration=12, seed=11)
    assert again == _boot()
    other = bootstrap_block(_block(), iteration=12, seed=12, methods=["bliss"])
    assert other.method("bliss").iteration_scores != _boot().method("bliss").iteration_scores


def test_intervals_contain_the_bootstrap_score_and_p_values_follow_synergyfinder() -> None:
    boot = _boot()
    assert boot.iteration == 12 and boot.seed == 11 and boot.resampling == "replicate"
    for m in boot.methods:
        assert m.ci_low <= m.score <= m.ci_high, m.method
        assert m.score == pytest.approx(np.mean(m.iteration_scores), abs=1e-9)
        assert m.sem == pytest.approx(m.sd / np.sqrt(12))
        assert m.p_value == pytest.approx(synergy_p_value(m.iteration_scores))
        low, high, mean = (np.array(v) for v in (m.cell_ci_low, m.cell_ci_high, m.cell_mean))
        assert np.all(low <= mean + 1e-12) and np.all(mean <= high + 1e-12)


def test_intervals_contain_the_point_estimate() -> None:
    """With many resamples the 95 % interval of the closed forms holds the score of the mean
    matrix (ZIP and Loewe, which refit curves, are checked with fewer)."""
    point = score_block(_block())
    many = bootstrap_block(_block(), methods=["bliss", "hsa"], iteration=300, seed=5)
    for m in many.methods:
        assert m.ci_low <= point.score(m.method) <= m.ci_high
    few = bootstrap_block(_block(), methods=["zip", "loewe"], iteration=30, seed=5)
    for m in few.methods:
        assert m.ci_low <= point.score(m.method) <= m.ci_high


def test_resampling_draws_replicates_or_normal_means() -> None:
    block = _block()
    rng = np.random.default_rng(0)
    drawn = resample(block, rng, "replicate")
    for i, row in enumerate(block.replicates):
        for j, cell in enumerate(row):
            assert drawn[i, j] in cell
    normal = resample(block, np.random.default_rng(0), "normal")
    assert not np.array_equal(normal, drawn)
    assert np.abs(normal - block.matrix).max() < 60
    boot = bootstrap_block(block, methods=["hsa"], iteration=5, seed=1, resampling="normal")
    assert boot.resampling == "normal"


def test_a_block_without_replicates_has_no_spread() -> None:
    block = make_block([0, 1, 2, 4], [0, 1, 2, 4], np.arange(16.0).reshape(4, 4) * 4)
    boot = bootstrap_block(block, methods=["bliss", "hsa"], iteration=4, seed=3)
    point = score_block(block, methods=["bliss", "hsa"])
    for m in boot.methods:
        assert m.sd == 0 and m.ci_low == m.ci_high == pytest.approx(point.score(m.method))


def test_bad_settings_are_named() -> None:
    with pytest.raises(InputError, match="iteration"):
        bootstrap_block(_block(), iteration=1)
    with pytest.raises(InputError, match="resampling"):
        bootstrap_block(_block(), resampling="jackknife")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="confidence"):
        bootstrap_block(_block(), confidence=1.5)


def test_most_synergistic_area() -> None:
    m = np.zeros((5, 6))
    m[2:5, 3:6] = 7.0
    area = most_synergistic_area(m)
    assert (area.row, area.col, area.size, area.score) == (2, 3, 3, 7.0)
    tie = np.ones((4, 4))
    assert (most_synergistic_area(tie).row, most_synergistic_area(tie).col) == (0, 0)
    scores = score_block(_block())
    zip_area = most_synergistic_area(scores, method="zip")
    syn = np.array(scores.method("zip").synergy)
    means = [
        syn[i : i + 3, j : j + 3].mean()
        for i in range(syn.shape[0] - 2)
        for j in range(syn.shape[1] - 2)
    ]
    assert zip_area.score == pytest.approx(max(means))
    with pytest.raises(InputError, match="window"):
        most_synergistic_area(np.zeros((2, 5)))
