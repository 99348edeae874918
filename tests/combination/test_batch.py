"""``score_blocks_batched`` against the reference path (``score_blocks``) and R SynergyFinder.

The batched path runs the same algorithm as the reference path (drc's BFGS, compiled, across
curves; the closed forms and Loewe's grid search as array operations) with the same arithmetic,
and every number of every block is measured equal to the last bit: fits, per-cell references,
synergies and ZIP surfaces, block scores and p-values, on the public blocks, on seeded simulated
blocks and under each baseline correction.

Tolerances: Bliss and HSA 1e-12 (closed forms on the same numbers). Loewe and ZIP (and the
fits) 1e-9: measured 0; the tolerance leaves room for the last bits of a sum on another
machine, and no more, because the claim under test is that the optimiser takes drc's path step
for step. A real divergence (an optimiser stopping one step earlier on an ill-conditioned
slice, as the port does against R on block 2) moves a ZIP cell by 1e-3 and fails here.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cxcr4lab.combination.batch as batch_module
from cxcr4lab.combination.batch import score_blocks_batched
from cxcr4lab.combination.blocks import Block, make_block, read_blocks
from cxcr4lab.combination.drc import ZERO_DOSE, drm
from cxcr4lab.combination.reference import BlockScores, score_blocks
from cxcr4lab.core.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"
CLOSED_TOL = 1e-12
FIT_TOL = 1e-9


@cache
def _blocks(name: str) -> tuple[Block, ...]:
    return read_blocks((DATA / name).read_bytes(), name=name, strict=False).blocks


def _assert_same(ours: BlockScores, ref: BlockScores) -> None:
    """Batched ``ours`` equals reference ``ref``: identity fields exactly, Bliss/HSA within
    :data:`CLOSED_TOL`, Loewe/ZIP and the fits within :data:`FIT_TOL` (NaN where NaN)."""
    assert ours.block_id == ref.block_id
    assert (ours.conc_r_shown, ours.conc_c_shown) == (ref.conc_r_shown, ref.conc_c_shown)
    np.testing.assert_allclose(ours.response, ref.response, rtol=0, atol=CLOSED_TOL)
    assert ours.baseline == pytest.approx(ref.baseline, rel=FIT_TOL, abs=FIT_TOL, nan_ok=True)
    for got, want in ((ours.fits.row, ref.fits.row), (ours.fits.col, ref.fits.col)):
        assert (got is None) == (want is None)
        if got is not None and want is not None:
            assert got.model == want.model
            np.testing.assert_allclose(got.params, want.params, rtol=FIT_TOL)
            assert (got.iterations, got.converged) == (want.iterations, want.converged)
    assert [m.method for m in ours.methods] == [m.method for m in ref.methods]
    for got_m, want_m in zip(ours.methods, ref.methods, strict=True):
        tol = CLOSED_TOL if got_m.method in ("bliss", "hsa") else FIT_TOL
        for field in ("reference", "synergy", "fitted"):
            a, b = getattr(got_m, field), getattr(want_m, field)
            assert (a is None) == (b is None), field
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=0, atol=tol, err_msg=field)
        assert got_m.score == pytest.approx(want_m.score, abs=tol, nan_ok=True)
        assert got_m.p_value == pytest.approx(want_m.p_value, abs=tol, nan_ok=True)
        assert (got_m.loewe is None) == (want_m.loewe is None)
        if got_m.loewe is not None and want_m.loewe is not None:
            assert got_m.loewe.case == want_m.loewe.case
            assert got_m.loewe.low == pytest.approx(want_m.loewe.low, abs=FIT_TOL)
            assert got_m.loewe.high == pytest.approx(want_m.loewe.high, abs=FIT_TOL)


def _exactly_equal(a: BlockScores, b: BlockScores) -> bool:
    """Every number equal, NaN included (the stored JSON form writes NaN as null)."""
    same: bool = a.to_dict() == b.to_dict()
    return same


# --- against the reference path ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["public_blocks.csv", "blocks.csv"])
@pytest.mark.parametrize("correct_baseline", ["non", "part", "all"])
def test_public_blocks_equal_the_reference_path(name: str, correct_baseline: Any) -> None:
    """The six public blocks (6x6, 5x5, 10x10) and the three NCATS 10x10 blocks, every baseline
    correction: within the tolerances, and in fact equal in every number (measured)."""
    blocks = _blocks(name)
    ours = score_blocks_batched(blocks, correct_baseline=correct_baseline)
    ref = score_blocks(blocks, correct_baseline=correct_baseline)
    assert len(ours) == len(ref) == len(blocks)
    for a, b in zip(ours, ref, strict=True):
        _assert_same(a, b)
        assert _exactly_equal(a, b)


def _simulated(n: int, shape: tuple[int, int], seed: int) -> list[Block]:
    """Seeded SIMULATED blocks (% inhibition): two LL.4 drugs (top 70..100, IC50 log-uniform
    mid-range, Hill 0.5..3), Bliss-independent combination times a factor 0.8..1.2, noise SD 5."""
    rng = np.random.default_rng(seed)
    dose_r = np.concatenate([[0.0], np.geomspace(0.01, 10.0, shape[0] - 1)])
    dose_c = np.concatenate([[0.0], np.geomspace(0.1, 100.0, shape[1] - 1)])
    out = []
    for i in range(n):
        a = rng.uniform(70, 100) / (
            1 + (10 ** rng.uniform(-1.5, 0.5) / dose_r) ** rng.uniform(0.5, 3)
        )
        b = rng.uniform(70, 100) / (
            1 + (10 ** rng.uniform(-0.5, 1.5) / dose_c) ** rng.uniform(0.5, 3)
        )
        y = (1 - (1 - a[:, None] / 100) * (1 - b[None, :] / 100)) * 100
        y[1:, 1:] *= rng.uniform(0.8, 1.2)
        y += rng.normal(0.0, 5.0, y.shape)
        out.append(make_block(dose_r, dose_c, y, block_id=f"{shape[0]}x{shape[1]}-{i}"))
    return out


def test_simulated_blocks_of_two_shapes_equal_the_reference_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """30 seeded simulated blocks, 6x6 and 5x4 interleaved, scored in chunks of 4 (the order
    kept, progress reported after each chunk); 4,300 simulated blocks were measured equal too (outside the suite)."""
    with np.errstate(divide="ignore"):
        six = _simulated(20, (6, 6), seed=11)
        five = _simulated(10, (5, 4), seed=12)
    blocks = [b for pair in zip(six[:10], five, strict=True) for b in pair] + six[10:]
    monkeypatch.setattr(batch_module, "CHUNK", 4)
    calls: list[tuple[int, int]] = []
    ours = score_blocks_batched(blocks, progress=lambda done, total: calls.append((done, total)))
    ref = score_blocks(blocks)
    assert [s.block_id for s in ours] == [b.block_id for b in blocks]
    for a, b in zip(ours, ref, strict=True):
        _assert_same(a, b)
        assert _exactly_equal(a, b)
    assert calls[-1] == (30, 30)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert len(calls) == math.ceil(20 / 4) + math.ceil(10 / 4)


def test_methods_subset_in_the_order_given() -> None:
    blocks = _blocks("public_blocks.csv")[:2]
    ours = score_blocks_batched(blocks, methods=["HSA", "bliss"])
    ref = score_blocks(blocks, methods=["HSA", "bliss"])
    for a, b in zip(ours, ref, strict=True):
        assert [m.method for m in a.methods] == ["hsa", "bliss"]
        assert a.fits.row is None and a.fits.col is None  # no method needs a fit
        assert _exactly_equal(a, b)
    loewe = score_blocks_batched(blocks, methods=["loewe"])
    for a, b in zip(loewe, score_blocks(blocks, methods=["loewe"]), strict=True):
        assert _exactly_equal(a, b)


def test_bad_options_raise_as_the_reference_path() -> None:
    blocks = _blocks("public_blocks.csv")[:1]
    with pytest.raises(InputError, match="unknown method"):
        score_blocks_batched(blocks, methods=["zip", "chou"])
    with pytest.raises(InputError, match="correct_baseline"):
        score_blocks_batched(blocks, correct_baseline="some")  # type: ignore[arg-type]
    assert score_blocks_batched([]) == ()


# --- against R SynergyFinder 3.7.3 -----------------------------------------------------------------


@cache
def _synergyfinder() -> dict[str, pd.DataFrame]:
    ours = {s.block_id: s for s in score_blocks_batched(_blocks("blocks.csv"))}
    ref = pd.read_csv(DATA / "reference_cells.csv")
    out = {}
    for block_id, s in ours.items():
        cells = s.cells().sort_values(["conc_r", "conc_c"]).reset_index(drop=True)
        want = ref[ref.block_id == int(block_id)].sort_values(["conc_r", "conc_c"])
        want = want.reset_index(drop=True)
        np.testing.assert_allclose(cells.response, want.response, rtol=0, atol=0)
        out[block_id] = cells.join(want.add_prefix("sf_"))
    return out


def _block_reference(block_id: str, method: str) -> pd.Series:
    ref = pd.read_csv(DATA / "reference_blocks.csv")
    return ref[(ref.block_id == int(block_id)) & (ref.method.str.lower() == method)].iloc[0]


@pytest.mark.parametrize("block_id", ["1", "2", "3"])
def test_batched_scores_against_synergyfinder(block_id: str) -> None:
    """SynergyFinder's per-cell and per-block numbers within the data README's tolerances
    (tests/combination/test_reference_synergyfinder.py). Measured, as the reference path's:
    Bliss/HSA 3.6e-15 per cell; Loewe per cell 1.4e-12 / 2.7e-5 / 1.7e-10 and per block
    7.7e-13 / 1.1e-5 / 1.3e-10; ZIP per cell 3.6e-7 / 2.7e-3 / 3.3e-3 and per block
    1.2e-9 / 5.1e-5 / 6.3e-5 (blocks 1 / 2 / 3)."""
    c = _synergyfinder()[block_id]
    scores = score_blocks_batched(_blocks("blocks.csv"))[int(block_id) - 1]
    for method in ("bliss", "hsa"):
        np.testing.assert_allclose(c[f"{method}_synergy"], c[f"sf_{method}_synergy"], atol=1e-9)
        assert abs(scores.score(method) - _block_reference(block_id, method).value) <= 1e-9
    # Loewe: max(grid step, 3 delta) on grid cells, max(0.05, 3 delta) elsewhere; same branches
    delta = (c.sf_loewe_synergy - c.sf_loewe_synergy_tight).abs()
    grid = c.sf_loewe_case == "grid"
    tol = np.where(
        grid, np.maximum(c.sf_loewe_grid_step.fillna(0), 3 * delta), np.maximum(0.05, 3 * delta)
    )
    diff = (c.loewe_synergy - c.sf_loewe_synergy).abs()
    assert (diff <= tol).all()
    assert diff.max() < 1e-4
    loewe = scores.method("loewe").loewe
    assert loewe is not None
    assert list(np.array(loewe.case).ravel()) == list(c.sf_loewe_case)
    expected = _block_reference(block_id, "loewe")
    assert abs(scores.score("loewe") - expected.value) <= min(expected.tol_abs, 1e-4)
    # ZIP: max(0.5, 3 delta) per cell (measured at most 3.3e-3), its reference to 1e-6
    delta = (c.sf_zip_synergy - c.sf_zip_synergy_tight).abs()
    diff = (c.zip_synergy - c.sf_zip_synergy).abs()
    assert (diff <= np.maximum(0.5, 3 * delta)).all()
    assert diff.max() < 0.01
    np.testing.assert_allclose(c.zip_ref, c.sf_zip_ref, atol=1e-6)
    expected = _block_reference(block_id, "zip")
    assert abs(scores.score("zip") - expected.value) <= min(expected.tol_abs, 1e-3)
    for method in ("bliss", "hsa", "loewe", "zip"):
        printed = _block_reference(block_id, method).p_value_synergyfinder
        assert float(f"{scores.method(method).p_value:.3g}") == pytest.approx(printed, abs=1e-12)  # type: ignore[arg-type]


# --- degenerate input ----------------------------------------------------------------------------------

DOSE = [0.0, 0.1, 1.0, 10.0]


@pytest.mark.parametrize(
    "response",
    [
        # the row drug's monotherapy flat at 0 (drc gets 1e-10 added to its last value)
        [[0, 10, 40, 80], [0, 20, 50, 85], [0, 30, 60, 90], [0, 40, 70, 95]],
        # every cell 0: both monotherapies and every ZIP slice flat
        [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
        # both monotherapies flat at 5
        [[5, 5, 5, 5], [5, 20, 50, 85], [5, 30, 60, 90], [5, 40, 70, 95]],
        # all-or-nothing responses (step-like fits, slices falling back to L.4)
        [[0, 0, 0, 100], [0, 0, 0, 100], [0, 0, 100, 100], [100, 100, 100, 100]],
    ],
    ids=["flat-row-drug", "all-zero", "flat-both", "steps"],
)
def test_flat_or_degenerate_curves_give_the_reference_result(response: list[list[float]]) -> None:
    block = make_block(DOSE, DOSE, np.array(response, dtype=float))
    (ours,) = score_blocks_batched([block])
    (ref,) = score_blocks([block])
    _assert_same(ours, ref)
    assert _exactly_equal(ours, ref)
    assert math.isfinite(ours.score("bliss")) and math.isfinite(ours.score("zip"))


def test_a_zero_self_start_slope_gives_a_result() -> None:
    """A row-drug monotherapy symmetric in log dose makes drc's self-start slope exactly 0.
    Both paths divide as R does (an infinite ED50 start: drm stops, and the fit is redone as
    L.4 on log dose, as SynergyFinder does) and agree to the last bit."""
    dose_r = [0.0, 0.1, 10**-0.5, 1.0, 10**0.5, 10.0]
    y = np.array(
        [[0, 10, 40, 80], [1, 20, 50, 85], [-1, 30, 60, 90], [0, 40, 70, 95], [-1, 45, 75, 96],
         [1, 50, 80, 97]],
        dtype=float,
    )  # fmt: skip
    dose_c = [0.0, 1.0, 10.0, 100.0]
    block = make_block(dose_r, dose_c, y)
    (ours,) = score_blocks_batched([block])
    (ref,) = score_blocks([block])
    assert _exactly_equal(ours, ref)
    row = drm(np.log(np.where(np.array(dose_r) == 0, ZERO_DOSE, dose_r)), y[:, 0], model="L.4")
    assert ours.fits.row == row
    for m in ("loewe", "zip"):
        assert np.isfinite(ours.method(m).synergy).all()  # type: ignore[arg-type]


def test_a_block_with_a_missing_response_is_scored_by_the_reference_path() -> None:
    """A NaN response (a Block built by hand; tables refuse missing cells) is handed to
    ``score_block``, in its place among the others."""
    import dataclasses

    blocks = list(_blocks("public_blocks.csv")[:2])
    cells = [list(row) for row in blocks[0].response]
    cells[2][3] = math.nan
    holed = dataclasses.replace(blocks[0], block_id="holed", response=tuple(map(tuple, cells)))
    items = [blocks[0], holed, blocks[1]]
    ours = score_blocks_batched(items)
    assert [s.block_id for s in ours] == ["1", "holed", "2"]
    for a, b in zip(ours, score_blocks(items), strict=True):
        assert _exactly_equal(a, b)
    assert math.isnan(ours[1].score("bliss"))
