"""ROUT outlier detection and robust fits (Motulsky & Brown 2006)."""

from __future__ import annotations

import numpy as np
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.fit import FOUR_PL, fit_curve, fit_robust, fit_rout, rsdr

X = np.repeat(np.linspace(-10, -5, 11), 3)
TRUE = np.array([0.0, 100.0, -7.5, 1.0])


def _data(seed: int) -> np.ndarray:
    return FOUR_PL.f(X, TRUE) + np.random.default_rng(seed).normal(0, 4.0, X.size)


def test_rsdr_of_gaussian_residuals_estimates_sigma() -> None:
    r = np.random.default_rng(0).normal(0, 2.0, 20000)
    assert rsdr(r, 0) == pytest.approx(2.0, rel=0.03)  # P68.27 of |N(0, s)| is s
    assert rsdr([1.0, 2.0, 3.0, 4.0], 2) == pytest.approx(np.percentile([1, 2, 3, 4], 68.27) * 2)


def test_planted_outliers_are_found_and_masked() -> None:
    y = _data(1)
    y[[4, 20]] += np.array([60.0, -55.0])
    result = fit_rout(FOUR_PL, X, y)
    assert result.outliers == (4, 20)
    assert list(result.masked()["index"]) == [4, 20]
    assert result.fit.n == X.size - 2
    # Without the outliers the fit is back near the truth; with them, least squares is pulled off.
    clean = result.fit.params["log10_ic50"]
    dirty = fit_curve(FOUR_PL, X, y).params["log10_ic50"]
    assert abs(clean - TRUE[2]) < abs(dirty - TRUE[2])


def test_gaussian_data_rarely_lose_points() -> None:
    # Q = 1%: the paper reports false outliers in about 1-3% of Gaussian experiments.
    flagged = sum(len(fit_rout(FOUR_PL, X, _data(seed)).outliers) > 0 for seed in range(40))
    assert flagged <= 4


def test_robust_fit_resists_an_outlier_and_reports_no_se() -> None:
    y = _data(2)
    y[10] += 80.0
    robust = fit_robust(FOUR_PL, X, y)
    assert all(se is None for se in robust.stderr)
    assert abs(robust.params["log10_ic50"] - TRUE[2]) < 0.1
    assert "robust" in robust.message


def test_bad_q() -> None:
    with pytest.raises(InputError, match="Q must be"):
        fit_rout(FOUR_PL, X, _data(3), q=1.0)
