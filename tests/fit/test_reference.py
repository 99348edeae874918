"""The fitting engine against references no one here wrote: R drc, scipy, Student's t.

R drc (Ritz et al. 2015, PLoS ONE 10:e0146021), on drcData's ryegrass:

    library(drc); m <- drm(rootl ~ conc, data = ryegrass, fct = LL.4()); summary(m)
    b:(Intercept) 2.98222   c:(Intercept) 0.48141   d:(Intercept) 7.79296   e:(Intercept) 3.05795
    Residual standard error: 0.5196256 (20 degrees of freedom)

drc's LL.4 is f(x) = c + (d - c) / (1 + exp(b (log x - log e))); ours in log10 units has
bottom = c, top = d, 10^log10_ic50 = e, hill = b. Tolerance: the printed digits (rel 2e-5).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from cxcr4lab.fit import FOUR_PL, HORIZONTAL, ONE_SITE_COMPETITION, extra_ss_f_test, fit_curve

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "drc"


def _ryegrass() -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_csv(DATA / "ryegrass.csv")
    with np.errstate(divide="ignore"):
        x = np.log10(df["conc"].to_numpy(dtype=float))
    return x, df["rootl"].to_numpy(dtype=float)


def test_ryegrass_ll4_against_R_drc() -> None:
    x, y = _ryegrass()
    fit = fit_curve(FOUR_PL, x, y)
    p = fit.params
    assert p["hill"] == pytest.approx(2.98222, rel=2e-5)
    assert p["bottom"] == pytest.approx(0.48141, rel=2e-5)
    assert p["top"] == pytest.approx(7.79296, rel=2e-5)
    assert 10 ** p["log10_ic50"] == pytest.approx(3.05795, rel=2e-5)
    assert fit.sigma == pytest.approx(0.5196256, rel=2e-6)
    assert fit.dof == 20


def _logistic4(
    x: np.ndarray, bottom: float, top: float, log_ic50: float, hill: float
) -> np.ndarray:
    return bottom + (top - bottom) / (1 + 10 ** ((x - log_ic50) * hill))


def test_4pl_estimates_and_standard_errors_match_scipy_curve_fit() -> None:
    rng = np.random.default_rng(7)
    x = np.repeat(np.linspace(-10, -5, 11), 3)
    y = _logistic4(x, 3.0, 97.0, -7.6, 1.2) + rng.normal(0, 4.0, x.size)
    fit = fit_curve(FOUR_PL, x, y)
    popt, pcov = optimize.curve_fit(_logistic4, x, y, p0=[0, 100, -7.5, 1], xtol=1e-14, ftol=1e-14)
    np.testing.assert_allclose(fit.values, popt, rtol=1e-6)
    np.testing.assert_allclose([s for s in fit.stderr], np.sqrt(np.diag(pcov)), rtol=1e-4)


def test_profile_ci_of_a_mean_equals_students_t_interval() -> None:
    # For a model linear in its parameter the profile-likelihood CI is exactly the t interval.
    rng = np.random.default_rng(3)
    y = rng.normal(10.0, 2.0, 12)
    x = np.arange(12.0)
    fit = fit_curve(HORIZONTAL, x, y, profile=["mean"])
    lo, hi = stats.t.interval(0.95, len(y) - 1, loc=y.mean(), scale=stats.sem(y))
    prof = fit.profile("mean")
    assert prof is not None
    assert prof.lower == pytest.approx(lo, rel=1e-8)
    assert prof.upper == pytest.approx(hi, rel=1e-8)
    wald = fit.conf_int()["mean"]
    assert wald[0] == pytest.approx(lo, rel=1e-10) and wald[1] == pytest.approx(hi, rel=1e-10)


def test_confidence_band_matches_the_delta_method_from_curve_fit() -> None:
    rng = np.random.default_rng(11)
    x = np.repeat(np.linspace(-10, -5, 8), 2)
    y = _logistic4(x, 0.0, 100.0, -7.5, 1.0) + rng.normal(0, 5.0, x.size)
    fit = fit_curve(FOUR_PL, x, y)
    popt, pcov = optimize.curve_fit(_logistic4, x, y, p0=fit.values, xtol=1e-14, ftol=1e-14)
    at = np.array([-9.0, -7.5, -6.0])
    eps = 1e-7
    grad = np.column_stack(
        [
            (_logistic4(at, *(popt + eps * e)) - _logistic4(at, *(popt - eps * e))) / (2 * eps)
            for e in np.eye(4)
        ]
    )
    half = stats.t.ppf(0.975, x.size - 4) * np.sqrt(np.einsum("ij,jk,ik->i", grad, pcov, grad))
    lo, hi = fit.band(at)
    np.testing.assert_allclose(hi - fit.predict(at), half, rtol=1e-4)
    np.testing.assert_allclose(fit.predict(at) - lo, half, rtol=1e-4)
    plo, phi = fit.band(at, kind="prediction")
    assert np.all(phi - plo > hi - lo)


def test_extra_sum_of_squares_f_test_by_hand() -> None:
    rng = np.random.default_rng(5)
    x = np.repeat(np.linspace(-10, -5, 10), 2)
    y = _logistic4(x, 0.0, 100.0, -7.5, 2.0) + rng.normal(0, 3.0, x.size)
    simple = fit_curve(ONE_SITE_COMPETITION, x, y)  # Hill fixed at 1 (falling)
    full = fit_curve(FOUR_PL, x, y)
    f, p = extra_ss_f_test(simple, full)
    by_hand = ((simple.rss - full.rss) / 1) / (full.rss / (x.size - 4))
    assert f == pytest.approx(by_hand, rel=1e-12)
    assert p == pytest.approx(stats.f.sf(by_hand, 1, x.size - 4), rel=1e-10)
    assert p < 1e-3  # a true Hill slope of 2 is detected
    assert simple.aicc is not None and full.aicc is not None and full.aicc < simple.aicc
