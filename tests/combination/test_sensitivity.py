"""IC50, RI and CSS as SynergyFinder's CalculateSensitivity defines them.

There is no R reference for these here; the tests check the definitions: the IC50 is drc's
``e`` (the reference fits of ``reference_singlefits.csv``) capped at the top concentration,
RI is the mean of the fitted curve over the tested log10-dose range, and CSS of a drug whose
partner does nothing is that drug's RI.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

from cxcr4lab.combination.blocks import make_block, read_blocks
from cxcr4lab.combination.drc import drm
from cxcr4lab.combination.sensitivity import block_sensitivity, relative_inhibition

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"


def _ll4(x: np.ndarray, b: float, c: float, d: float, e: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return c + (d - c) / (1 + np.exp(b * np.log(np.asarray(x, dtype=float) / e)))


def test_ic50_is_drcs_e_capped_at_the_top_concentration() -> None:
    ref = pd.read_csv(DATA / "reference_singlefits.csv")
    blocks = read_blocks((DATA / "blocks.csv").read_bytes())
    for block in blocks.blocks:
        s = block_sensitivity(block)
        for drug, got, shown in (
            ("row", s.row, block.conc_r_shown),
            ("col", s.col, block.conc_c_shown),
        ):
            e = ref[(ref.block_id == int(block.block_id)) & (ref.drug == drug)].e_ec50.iloc[0]
            rtol = 1e-5 if block.block_id == "2" else 1e-9
            assert got.ic50 == pytest.approx(min(e, shown[-1]), rel=rtol)
            assert got.ic50_capped == (e > shown[-1])
            assert got.ic50_molar == pytest.approx(got.ic50 * 1e-6, rel=1e-12)
            assert got.unit == "uM"
    assert block_sensitivity(blocks.block("2")).row.ic50_capped  # e = 0.093 > 0.075 uM


def test_ri_is_the_mean_of_the_fitted_curve_over_log_dose() -> None:
    dose = np.array([0, 0.1954, 0.7812, 3.125, 12.5, 50])
    y = np.array([2.95, 3.76, 18.13, 28.69, 46.66, 58.82])
    fit = drm(dose[1:], y[1:])
    lo, hi = math.log10(dose[1]), math.log10(dose[-1])
    area, _ = quad(lambda u: float(_ll4(np.array([10**u]), fit.b, fit.c, fit.d, fit.e)[0]), lo, hi)
    assert relative_inhibition(dose, y) == pytest.approx(area / (hi - lo), abs=6e-4)
    assert relative_inhibition([0, 5.0], [1.0, 33.0]) == 33.0  # one dose: its response


def test_css_of_a_drug_with_an_inactive_partner_is_its_ri() -> None:
    doses = np.array([0, 0.1, 0.3, 1, 3, 10.0])
    a = _ll4(doses, -1.2, 0, 90, 1.0) + np.array([0, 0.7, -0.4, 0.5, -0.6, 0.3])
    y = np.repeat(a[:, None], doses.size, axis=1)  # B does nothing
    s = block_sensitivity(make_block(doses, doses, y, drug_row="A", drug_col="B"))
    assert s.row.css == pytest.approx(s.row.ri, abs=1e-9)
    assert s.css == pytest.approx((s.row.css + s.col.css) / 2)


def test_sensitivity_of_the_replicate_blocks_is_finite() -> None:
    blocks = read_blocks((DATA / "oneil_replicates.csv").read_bytes())
    for block in blocks.blocks:
        s = block_sensitivity(block, correct_baseline="part")
        assert all(math.isfinite(v) for v in (s.row.ri, s.col.ri, s.row.css, s.col.css, s.css))
        assert 0 < s.row.ic50 <= block.conc_r_shown[-1]
