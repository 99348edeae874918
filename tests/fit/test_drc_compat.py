"""ED50 and its delta-method CI against R drc's LL.4, with drc's covariance.

Reference (drcData's ryegrass, tests/data/drc/ryegrass.csv):

    drc summary(drm(rootl ~ conc, data = ryegrass, fct = LL.4()))
                  Estimate Std. Error
    b:(Intercept)  2.98222    0.46506
    c:(Intercept)  0.48141    0.21219
    d:(Intercept)  7.79296    0.18857
    e:(Intercept)  3.05795    0.18573
    Residual standard error: 0.5196256 (20 degrees of freedom)

drc's vcov for continuous data is solve(H / (2 s^2)) with H the Hessian of the RSS from
optim(hessian = TRUE) (drc R/vcov.drc.R vcCont, R/drmOpt.R), i.e. the observed information,
not Gauss-Newton's J^T J. For LL.4, ED(m, 50, interval = "delta") is e with SE(e), and its CI
is e +/- qt(0.975, 20) * SE(e) (R/ED.drc.R, confint.basic). The CI below is derived from the
printed e and SE(e) by that formula, not printed by R. Tolerance: the printed digits (5 sig.
figures: rel 1e-4 on SEs, whose last digit drc's finite-difference Hessian also moves).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxcr4lab.fit import FOUR_PL, fit_curve
from cxcr4lab.fit.covariance import ed_delta, observed_covariance, with_observed_covariance

DATA = Path(__file__).resolve().parents[1] / "data" / "drc"


def _ryegrass() -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_csv(DATA / "ryegrass.csv")
    with np.errstate(divide="ignore"):
        x = np.log10(df["conc"].to_numpy(dtype=float))
    return x, df["rootl"].to_numpy(dtype=float)


def test_ryegrass_ll4_standard_errors_against_R_drc() -> None:
    x, y = _ryegrass()
    fit = with_observed_covariance(FOUR_PL, x, y, fit_curve(FOUR_PL, x, y))
    se = fit.se
    assert se["hill"] == pytest.approx(0.46506, rel=1e-4)
    assert se["bottom"] == pytest.approx(0.21219, rel=1e-4)
    assert se["top"] == pytest.approx(0.18857, rel=1e-4)
    ed, se_ed, _, _ = ed_delta(fit)
    assert ed == pytest.approx(3.05795, rel=2e-5)
    assert se_ed == pytest.approx(0.18573, rel=1e-4)


def test_ryegrass_ed50_delta_ci_against_R_drc() -> None:
    x, y = _ryegrass()
    fit = with_observed_covariance(FOUR_PL, x, y, fit_curve(FOUR_PL, x, y))
    _, _, lower, upper = ed_delta(fit)
    t = stats.t.ppf(0.975, 20)
    assert lower == pytest.approx(3.05795 - t * 0.18573, rel=1e-4)
    assert upper == pytest.approx(3.05795 + t * 0.18573, rel=1e-4)


def test_gauss_newton_differs_from_drc_on_ryegrass() -> None:
    # Why the option exists: J^T J gives SE(b) 0.4584, drc 0.46506 (1.4 % apart).
    x, y = _ryegrass()
    fit = fit_curve(FOUR_PL, x, y)
    assert fit.se["hill"] == pytest.approx(0.45843, rel=1e-4)
    assert not math.isclose(fit.se["hill"] or 0.0, 0.46506, rel_tol=1e-3)


def test_observed_equals_gauss_newton_when_residuals_are_tiny() -> None:
    rng = np.random.default_rng(2)
    x = np.linspace(-10, -5, 12)
    y = FOUR_PL.f(x, np.array([0.0, 100.0, -7.5, 1.0])) + rng.normal(0, 1e-6, x.size)
    fit = fit_curve(FOUR_PL, x, y)
    cov = observed_covariance(FOUR_PL, x, y, fit)
    assert cov is not None and fit.covariance is not None
    np.testing.assert_allclose(cov, np.asarray(fit.covariance), rtol=1e-3, atol=1e-20)


def test_observed_covariance_respects_fixed_parameters() -> None:
    x, y = _ryegrass()
    fit = fit_curve(FOUR_PL, x, y, fixed={"bottom": 0.0})
    drc_like = with_observed_covariance(FOUR_PL, x, y, fit)
    assert drc_like.se["bottom"] is None
    assert drc_like.covariance is not None and len(drc_like.covariance) == 3
    assert drc_like.values == fit.values


def test_the_batch_fit_with_drc_covariance_gives_drc_standard_errors() -> None:
    """``fit_many(..., covariance="hessian")`` (the ``fit`` kind's ``--covariance hessian``)
    reproduces drc's SEs of the ryegrass LL.4 fit, as the single fit does; Gauss-Newton's
    differ by a few percent (Hill slope 0.4584 vs drc's 0.46506)."""
    from cxcr4lab.fit.batch import fit_many

    x, y = _ryegrass()
    drc = fit_many(FOUR_PL, x, y[None, :], covariance="hessian")
    se = dict(zip(drc.param_names, drc.stderr[0], strict=True))
    assert se["hill"] == pytest.approx(0.46506, rel=1e-4)
    assert se["bottom"] == pytest.approx(0.21219, rel=1e-4)
    assert se["top"] == pytest.approx(0.18857, rel=1e-4)
    # SE(log10 e) by the delta method from drc's SE(e) = 0.18573, e = 3.05795
    assert se["log10_ic50"] == pytest.approx(0.18573 / (3.05795 * math.log(10)), rel=2e-4)
    gauss_newton = fit_many(FOUR_PL, x, y[None, :])
    assert gauss_newton.stderr[0, 3] == pytest.approx(0.4584288191, rel=1e-6)  # R nls
