"""HSA, Bliss, Loewe and ZIP against R SynergyFinder 3.7.3 on its three public 10x10 blocks.

The files in ``tests/data/synergy`` are copies of ``../shared/data/synergy`` (``blocks.csv``,
``reference_cells.csv``, ``reference_blocks.csv``, ``reference_singlefits.csv``). They were made
by sourcing SynergyFinder 3.7.3's ``R/Reshape_data.R``, ``R/calculate_synergy_score.R`` and
``R/fit_dose_response_model.R`` with drc 3.2-0 on R 4.2.2::

    res <- ReshapeData(data, data_type = "inhibition", impute = FALSE, noise = FALSE)
    res <- CalculateSynergy(res, method = c("ZIP", "HSA", "Bliss", "Loewe"), Emin = NA,
                            Emax = NA, correct_baseline = "non")

Tolerances are the data README's: Bliss and HSA 1e-9 per cell and block; ZIP per cell
max(0.5, 3 |default - drc tightened|), block ``tol_abs`` (0.13 / 0.10 / 0.10); Loewe per cell
max(grid step, 3 delta) on grid cells and max(0.05, 3 delta) elsewhere, block ``tol_abs``
(0.53 / 7.5 / 0.60).

Measured (this implementation, drc's algorithm ported in ``combination/drc.py``):

======  ==============  ===============  ===============  ===============
block   Bliss, HSA      Loewe cell/mean  ZIP cell/mean    single fits (rel)
======  ==============  ===============  ===============  ===============
1       3.6e-15 / 0     1.4e-12 / 7.7e-13  3.6e-07 / 1.2e-09  2.0e-13
2       3.6e-15 / 0     2.7e-05 / 1.1e-05  2.7e-03 / 5.1e-05  2.2e-06 (ill-posed)
3       3.6e-15 / 8e-17 1.7e-10 / 1.3e-10  3.3e-03 / 6.3e-05  1.7e-12
======  ==============  ===============  ===============  ===============

The p-values (SynergyFinder prints 3 significant digits) agree in every digit.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.combination.blocks import read_blocks
from cxcr4lab.combination.drc import fit_dose_response
from cxcr4lab.combination.reference import BlockScores, score_blocks

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"
BLOCKS = ("1", "2", "3")
METHODS = ("bliss", "hsa", "loewe", "zip")


@cache
def _scores() -> dict[str, BlockScores]:
    blocks = read_blocks((DATA / "blocks.csv").read_bytes(), name="blocks.csv")
    return {s.block_id: s for s in score_blocks(blocks)}


@cache
def _reference_cells() -> pd.DataFrame:
    return pd.read_csv(DATA / "reference_cells.csv")


def _cells(block_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    ours = _scores()[block_id].cells().sort_values(["conc_r", "conc_c"]).reset_index(drop=True)
    ref = _reference_cells()
    ref = ref[ref.block_id == int(block_id)].sort_values(["conc_r", "conc_c"])
    ref = ref.reset_index(drop=True)
    np.testing.assert_allclose(ours.conc_r, ref.conc_r, rtol=1e-15)
    np.testing.assert_allclose(ours.conc_c, ref.conc_c, rtol=1e-15)
    np.testing.assert_allclose(ours.response, ref.response, rtol=0, atol=0)
    return ours, ref


def _block_reference(block_id: str, method: str) -> pd.Series:
    ref = pd.read_csv(DATA / "reference_blocks.csv")
    row = ref[(ref.block_id == int(block_id)) & (ref.method.str.lower() == method)]
    return row.iloc[0]


@pytest.mark.parametrize("block_id", BLOCKS)
@pytest.mark.parametrize("method", ["bliss", "hsa"])
def test_closed_forms_per_cell_and_block_against_synergyfinder(block_id: str, method: str) -> None:
    """Bliss and HSA are closed forms: 1e-9 per cell (measured 3.6e-15) and per block."""
    ours, ref = _cells(block_id)
    for col in (f"{method}_ref", f"{method}_synergy"):
        np.testing.assert_allclose(ours[col], ref[col], rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        ours[f"{method}_synergy"], ref[f"{method}_synergy_closed"], atol=1e-9
    )
    expected = _block_reference(block_id, method)
    assert abs(_scores()[block_id].score(method) - expected.value) <= 1e-9  # type: ignore[arg-type]


@pytest.mark.parametrize("block_id", BLOCKS)
def test_loewe_per_cell_and_block_against_synergyfinder(block_id: str) -> None:
    """Loewe per cell within max(grid step, 3 delta) on grid cells and max(0.05, 3 delta)
    elsewhere (measured 1.4e-12 / 2.7e-5 / 1.7e-10); block mean within tol_abs (measured
    7.7e-13 / 1.1e-5 / 1.3e-10); every cell takes SynergyFinder's branch."""
    ours, ref = _cells(block_id)
    delta = (ref.loewe_synergy - ref.loewe_synergy_tight).abs()
    grid = ref.loewe_case == "grid"
    tol = np.where(
        grid, np.maximum(ref.loewe_grid_step.fillna(0), 3 * delta), np.maximum(0.05, 3 * delta)
    )
    diff = (ours.loewe_synergy - ref.loewe_synergy).abs()
    assert (diff <= tol).all(), diff[diff > tol]
    np.testing.assert_allclose(ours.loewe_ref, ref.loewe_ref, atol=1e-4)
    scores = _scores()[block_id].method("loewe")
    assert scores.loewe is not None
    cases = np.array(scores.loewe.case).ravel()
    assert list(cases) == list(ref.loewe_case)
    steps = ref.loewe_grid_step.dropna().unique()
    assert steps.size == 1
    assert scores.loewe.step == pytest.approx(steps[0], rel=1e-5)
    expected = _block_reference(block_id, "loewe")
    assert abs(scores.score - expected.value) <= expected.tol_abs


@pytest.mark.parametrize("block_id", BLOCKS)
def test_zip_per_cell_and_block_against_synergyfinder(block_id: str) -> None:
    """ZIP per cell within max(0.5, 3 delta) (measured 3.6e-7 / 2.7e-3 / 3.3e-3), block mean
    within tol_abs (measured 1.2e-9 / 5.1e-5 / 6.3e-5); ZIP's reference (Bliss of the free
    single-drug fits) to 1e-6."""
    ours, ref = _cells(block_id)
    delta = (ref.zip_synergy - ref.zip_synergy_tight).abs()
    tol = np.maximum(0.5, 3 * delta)
    diff = (ours.zip_synergy - ref.zip_synergy).abs()
    assert (diff <= tol).all(), diff[diff > tol]
    assert diff.max() < 0.01  # far inside the tolerance: drc's optimiser path is reproduced
    np.testing.assert_allclose(ours.zip_ref, ref.zip_ref, atol=1e-6)
    expected = _block_reference(block_id, "zip")
    assert abs(_scores()[block_id].score("zip") - expected.value) <= expected.tol_abs


@pytest.mark.parametrize("block_id", BLOCKS)
@pytest.mark.parametrize("method", METHODS)
def test_block_p_values_as_synergyfinder_prints_them(block_id: str, method: str) -> None:
    """SynergyFinder's ``exp(-0.717 z - 0.416 z^2)`` over the 81 combination cells, printed
    with three significant digits."""
    ours = _scores()[block_id].method(method).p_value  # type: ignore[arg-type]
    expected = _block_reference(block_id, method).p_value_synergyfinder
    assert float(f"{ours:.3g}") == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("block_id", BLOCKS)
def test_single_drug_fits_against_drc(block_id: str) -> None:
    """drc's LL.4 fits as SynergyFinder makes them: b, c, d, e to 1e-9 relative in blocks 1
    and 3 (measured at most 1.7e-12); block 2's fits are ill-posed (an unbounded upper
    asymptote) and agree to 1e-5 (measured 2.2e-6)."""
    ref = pd.read_csv(DATA / "reference_singlefits.csv")
    scores = _scores()[block_id]
    rtol = 1e-5 if block_id == "2" else 1e-9
    for drug, fit in (("row", scores.fits.row), ("col", scores.fits.col)):
        row = ref[(ref.block_id == int(block_id)) & (ref.drug == drug)].iloc[0]
        assert fit is not None and fit.model == row.model
        got = fit.params
        want = (row.b_hill, row.c_lower, row.d_upper, row.e_ec50)
        np.testing.assert_allclose(got, want, rtol=rtol)


def test_fit_dose_response_is_unit_free_for_ll4() -> None:
    """A dose unit 1e6 times smaller gives the same curve (drc scales doses by a power of 10;
    SynergyFinder keeps a zero dose at 0 for LL.4)."""
    cells = _reference_cells()
    mono = cells[(cells.block_id == 1) & (cells.conc_c == 0)].sort_values("conc_r")
    a = fit_dose_response(mono.conc_r.to_numpy(), mono.response.to_numpy())
    b = fit_dose_response(mono.conc_r.to_numpy() * 1e-6, mono.response.to_numpy())
    assert a is not None and b is not None
    np.testing.assert_allclose(a.params, (b.b, b.c, b.d, b.e * 1e6), rtol=1e-8)
