"""Surfaces where a reference model must find no interaction, and closed forms.

* A sham combination (a drug with itself, on a dose grid: response f(a + b)) is Loewe additive:
  with the exact Loewe solver its excess is 0 to 1e-6 (measured 1.4e-14); SynergyFinder's
  100-step grid leaves at most half a grid step.
* A Bliss-independent surface (A + B - AB/100 of two LL.4 curves) has Bliss synergy 0 to 1e-9
  (measured 0) and a ZIP delta near 0 (measured 6.8e-4: drc's fits of the slices stop where the
  relative change of the residual sum of squares falls below 1e-7).
* An HSA surface (the larger single-agent response) has HSA synergy exactly 0.
* Bliss and HSA on the public blocks agree with the ``synergy`` package (1.0.0, GPL, a test-only
  dependency) to 1e-9 (measured 1.6e-14).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from cxcr4lab.combination.blocks import make_block, read_blocks
from cxcr4lab.combination.drc import DrcFit
from cxcr4lab.combination.reference import (
    SingleDrugFits,
    bliss_reference,
    hsa_reference,
    loewe_reference,
    score_block,
    score_blocks,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"
DOSES = np.array([0, 0.1, 0.2, 0.5, 1, 2, 5, 10.0])


def ll4(x: np.ndarray, b: float, c: float, d: float, e: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return c + (d - c) / (1 + np.exp(b * np.log(np.asarray(x, dtype=float) / e)))


def _sham() -> np.ndarray:
    return ll4(DOSES[:, None] + DOSES[None, :], -1.5, 0, 100, 1.0)


def test_sham_combination_has_zero_loewe_excess_with_the_exact_solver() -> None:
    block = make_block(DOSES, DOSES, _sham(), drug_row="X", drug_col="X")
    scores = score_block(block, methods=["loewe"], loewe_solver="exact")
    loewe = scores.method("loewe")
    assert np.max(np.abs(loewe.synergy)) <= 1e-6
    assert abs(loewe.score) <= 1e-6
    assert loewe.loewe is not None
    combo = np.array(loewe.loewe.case)[1:, 1:]
    assert set(combo.ravel()) == {"exact"}


def test_sham_combination_on_synergyfinders_grid_is_within_half_a_step() -> None:
    block = make_block(DOSES, DOSES, _sham())
    loewe = score_block(block, methods=["loewe"]).method("loewe")
    assert loewe.loewe is not None
    assert np.max(np.abs(loewe.synergy)) <= loewe.loewe.step / 2 + 1e-3


def test_loewe_of_exact_curves_is_exact() -> None:
    """Given the true curve for both drugs, the exact solver returns f(a + b)."""
    truth = DrcFit("LL.4", -1.5, 0.0, 100.0, 1.0, 0.0, 0, True)
    y = _sham()
    ref, _ = loewe_reference(y, DOSES, DOSES, SingleDrugFits(truth, truth), solver="exact")
    np.testing.assert_allclose(ref, y, atol=1e-9)


def test_bliss_independent_surface() -> None:
    a = ll4(DOSES, -1.2, 0, 90, 0.8)
    b = ll4(DOSES, -2.0, 0, 70, 2.0)
    y = (1 - (1 - a[:, None] / 100) * (1 - b[None, :] / 100)) * 100
    scores = score_block(make_block(DOSES, DOSES, y))
    assert np.max(np.abs(scores.method("bliss").synergy)) <= 1e-9
    assert np.max(np.abs(scores.method("zip").synergy)) <= 0.01
    assert abs(scores.score("zip")) <= 1e-3


def test_hsa_surface_and_closed_forms() -> None:
    a = ll4(DOSES, -1.2, 0, 90, 0.8)
    b = ll4(DOSES, -2.0, 0, 70, 2.0)
    y = np.maximum(a[:, None], b[None, :])
    assert np.all(hsa_reference(y) == y)
    y2 = np.array([[0.0, 20.0, 40.0], [30.0, 50.0, 70.0], [60.0, 80.0, 95.0]])
    expected = y2[:, :1] + y2[:1, :] - y2[:, :1] * y2[:1, :] / 100
    np.testing.assert_allclose(bliss_reference(y2)[1:, 1:], expected[1:, 1:], atol=1e-12)
    np.testing.assert_array_equal(bliss_reference(y2)[0], y2[0])


def test_monotherapy_cells_score_zero_in_every_method() -> None:
    rng = np.random.default_rng(7)
    y = _sham() + rng.normal(0, 3, _sham().shape)
    scores = score_block(make_block(DOSES, DOSES, y))
    for m in scores.methods:
        syn = np.array(m.synergy)
        assert np.all(syn[0, :] == 0) and np.all(syn[:, 0] == 0)
        np.testing.assert_array_equal(np.array(m.reference)[0], y[0])


def test_a_synergistic_surface_scores_positive_in_every_method() -> None:
    a = ll4(DOSES, -1.2, 0, 90, 0.8)
    b = ll4(DOSES, -2.0, 0, 70, 2.0)
    bliss = (1 - (1 - a[:, None] / 100) * (1 - b[None, :] / 100)) * 100
    y = bliss.copy()
    y[1:, 1:] = np.minimum(bliss[1:, 1:] + 15, 99)
    scores = score_block(make_block(DOSES, DOSES, y))
    for m in scores.methods:
        assert m.score > 3, m.method


def test_bliss_and_hsa_against_the_synergy_package() -> None:
    with warnings.catch_warnings():  # synergy 1.0.0's docstrings have invalid escapes
        warnings.simplefilter("ignore", SyntaxWarning)
        package = pytest.importorskip("synergy.combination")
    Bliss, HSA = package.Bliss, package.HSA
    blocks = read_blocks((DATA / "public_blocks.csv").read_bytes(), strict=False)
    for scores, block in zip(
        score_blocks(blocks, methods=["bliss", "hsa"]), blocks.blocks, strict=True
    ):
        d1, d2 = np.meshgrid(block.conc_r_shown, block.conc_c_shown, indexing="ij")
        y = block.matrix
        effect = 1 - y / 100  # the package's E: fraction unaffected
        bliss = 100 * Bliss().fit(d1.ravel(), d2.ravel(), effect.ravel()).reshape(y.shape)
        hsa = 100 * HSA().fit(d1.ravel(), d2.ravel(), effect.ravel()).reshape(y.shape)
        combo = block.combination_mask
        np.testing.assert_allclose(
            np.array(scores.method("bliss").synergy)[combo], bliss[combo], atol=1e-9
        )
        np.testing.assert_allclose(
            np.array(scores.method("hsa").synergy)[combo], hsa[combo], atol=1e-9
        )
