"""Global fits with shared parameters, model comparison, and Gaddum/Schild analysis."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from cxcr4lab.fit import FOUR_PL, compare_fits, compare_shared, fit_curve, fit_global, fit_schild

X = np.repeat(np.linspace(-10, -5, 10), 2)


def _curves(
    rng: np.random.Generator, log_ic50s: dict[str, float]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {
        k: (X, FOUR_PL.f(X, np.array([0.0, 100.0, v, 1.0])) + rng.normal(0, 4.0, X.size))
        for k, v in log_ic50s.items()
    }


def test_no_sharing_equals_separate_fits() -> None:
    curves = _curves(np.random.default_rng(1), {"A": -8.0, "B": -7.0})
    joint = fit_global(FOUR_PL, curves)
    for cid, (x, y) in curves.items():
        alone = fit_curve(FOUR_PL, x, y)
        np.testing.assert_allclose(
            list(joint.params(cid).values()), alone.values, rtol=1e-6, atol=1e-8
        )
    # The joint fit pools the residual variance, so SEs differ from separate fits but RSS adds up.
    assert joint.fit.rss == pytest.approx(
        sum(fit_curve(FOUR_PL, *c).rss for c in curves.values()), rel=1e-8
    )


def test_shared_parameters_match_scipy_on_the_stacked_problem() -> None:
    curves = _curves(np.random.default_rng(2), {"A": -8.0, "B": -7.5})
    joint = fit_global(FOUR_PL, curves, shared=["bottom", "top", "hill"])
    xa, ya = curves["A"]
    xb, yb = curves["B"]

    def stacked(
        _: np.ndarray, bottom: float, top: float, hill: float, la: float, lb: float
    ) -> np.ndarray:
        fa = FOUR_PL.f(xa, np.array([bottom, top, la, hill]))
        fb = FOUR_PL.f(xb, np.array([bottom, top, lb, hill]))
        return np.concatenate([fa, fb])

    popt, pcov = optimize.curve_fit(
        stacked, None, np.concatenate([ya, yb]), p0=[0, 100, 1, -8, -7.5], xtol=1e-14, ftol=1e-14
    )
    a, b = joint.params("A"), joint.params("B")
    np.testing.assert_allclose(
        [a["bottom"], a["top"], a["hill"], a["log10_ic50"], b["log10_ic50"]], popt, rtol=1e-6
    )
    assert joint.stderr("B")["log10_ic50"] == pytest.approx(np.sqrt(pcov[4, 4]), rel=1e-4)
    assert a["hill"] == b["hill"]


def test_compounds_that_differ_are_told_apart() -> None:
    different = _curves(np.random.default_rng(3), {"A": -8.0, "B": -7.4})
    comparison, common, separate = compare_shared(FOUR_PL, different, "log10_ic50")
    assert comparison.preferred == "complex" and comparison.p_value < 1e-4
    assert comparison.df_numerator == 1
    # F by hand from the two joint fits.
    by_hand = (common.fit.rss - separate.fit.rss) / (separate.fit.rss / separate.fit.dof)
    assert comparison.f_statistic == pytest.approx(by_hand, rel=1e-10)
    assert comparison.p_value == pytest.approx(stats.f.sf(by_hand, 1, separate.fit.dof), rel=1e-8)


def test_identical_compounds_are_not_called_different() -> None:
    rng = np.random.default_rng(4)
    calls = [
        compare_shared(FOUR_PL, _curves(rng, {"A": -8.0, "B": -8.0}), "log10_ic50")[0].preferred
        for _ in range(20)
    ]
    assert calls.count("complex") <= 4  # alpha = 0.05: P(>= 5 of 20 false calls) < 0.3 %


def test_fixed_versus_free_hill_by_aicc() -> None:
    rng = np.random.default_rng(5)
    y = FOUR_PL.f(X, np.array([0.0, 100.0, -7.5, 2.5])) + rng.normal(0, 3.0, X.size)
    comparison = compare_fits(
        fit_curve(FOUR_PL, X, y, fixed={"hill": 1.0}), fit_curve(FOUR_PL, X, y)
    )
    assert comparison.preferred == "complex"
    assert comparison.probability_complex is not None and comparison.probability_complex > 0.99


def _schild_data(
    rng: np.random.Generator, p_kb: float, slope: float = 1.0
) -> tuple[np.ndarray, ...]:
    levels = np.array([0.0, 3e-9, 1e-8, 3e-8, 1e-7])
    xa = np.linspace(-11, -5, 13)
    x, b = np.tile(xa, levels.size), np.repeat(levels, xa.size)
    log_ec50 = -9.0 + np.log10(1 + (b * 10**p_kb) ** slope)
    y = 5 + 95 / (1 + 10 ** ((log_ec50 - x) * 1.0)) + rng.normal(0, 3.0, x.size)
    return x, b, y


def test_schild_recovers_pkb() -> None:
    x, b, y = _schild_data(np.random.default_rng(6), p_kb=8.5)
    result = fit_schild(x, b, y)
    prof = result.fit.profile("pA2")
    assert prof is not None and prof.lower is not None and prof.upper is not None
    assert prof.lower < 8.5 < prof.upper
    lo, hi = result.fit.conf_int()["schild_slope"]
    assert lo is not None and hi is not None and lo < 1.0 < hi
    # The classic two-step Schild regression agrees with the global fit.
    assert result.regression_pa2 == pytest.approx(result.pa2, abs=0.15)
    fixed = fit_schild(x, b, y, fix_slope=1.0)
    assert fixed.schild_slope == 1.0
    assert abs(fixed.pa2 - 8.5) < 0.15


def test_schild_needs_a_control_and_two_antagonist_levels() -> None:
    x, b, y = _schild_data(np.random.default_rng(7), p_kb=8.0)
    keep = b <= 3e-9
    with pytest.raises(Exception, match="at least two antagonist"):
        fit_schild(x[keep], b[keep], y[keep])
    with pytest.raises(Exception, match=">= 0"):
        fit_schild(x, -b, y)
