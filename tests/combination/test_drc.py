"""The port of R's optimiser and drc's LL.4 fit that SynergyFinder's scores rest on."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxcr4lab.combination.drc import (
    DrcControl,
    DrcFailure,
    DrcFit,
    _numeric_gradient,
    drm,
    fit_dose_response,
    r_pow,
    refine_fit,
    vmmin,
)


def _rosenbrock(p: list[float]) -> float:
    return 100 * (p[1] - p[0] ** 2) ** 2 + (1 - p[0]) ** 2


def _rosenbrock_gradient(p: list[float]) -> list[float]:
    return [-400 * p[0] * (p[1] - p[0] * p[0]) - 2 * (1 - p[0]), 200 * (p[1] - p[0] * p[0])]


def test_vmmin_against_r_optim_bfgs() -> None:
    """R's ``?optim`` example (R 4.x)::

        fr <- function(x) 100 * (x[2] - x[1]^2)^2 + (1 - x[1])^2
        grr <- function(x) c(-400 * x[1] * (x[2] - x[1]^2) - 2 * (1 - x[1]), 200 * (x[2] - x[1]^2))
        optim(c(-1.2, 1), fr, grr, method = "BFGS")
        # $par 1 1; $value 9.594956e-18; $counts function 110 gradient 43
        optim(c(-1.2, 1), fr, NULL, method = "BFGS")
        # $par 0.9998044 0.9996084; $value 3.827383e-08; $counts function 118 gradient 38

    (R's default reltol is sqrt(.Machine$double.eps); optim's numerical gradient uses
    ndeps = 1e-3.)"""
    reltol = math.sqrt(np.finfo(float).eps)
    exact = vmmin(_rosenbrock, _rosenbrock_gradient, [-1.2, 1.0], maxit=100, reltol=reltol)
    assert (exact.fncount, exact.grcount) == (110, 43)
    assert exact.value == pytest.approx(9.594956e-18, rel=1e-6)
    numeric = vmmin(
        _rosenbrock, _numeric_gradient(_rosenbrock, 1e-3), [-1.2, 1.0], maxit=100, reltol=reltol
    )
    assert (numeric.fncount, numeric.grcount) == (118, 38)
    assert numeric.par == pytest.approx([0.9998044, 0.9996084], abs=5e-8)
    assert numeric.value == pytest.approx(3.827383e-08, rel=1e-6)


def test_vmmin_refuses_a_non_finite_start() -> None:
    with pytest.raises(DrcFailure, match="not finite"):
        vmmin(lambda p: math.nan, lambda p: [0.0], [1.0], maxit=10, reltol=1e-8)


def test_r_pow_follows_r() -> None:
    assert math.isnan(r_pow(-math.inf, 0.3))
    assert r_pow(-math.inf, 3.0) == -math.inf and r_pow(-math.inf, -2.0) == 0.0
    assert r_pow(0.0, -1.0) == math.inf and r_pow(-0.0, -1.0) == math.inf
    assert math.isnan(r_pow(-2.0, 0.5)) and r_pow(-2.0, -1.0) == -0.5
    assert r_pow(2.0, 2.0) == 4.0 and r_pow(1.0, math.nan) == 1.0


def _ll4(x: np.ndarray, b: float, c: float, d: float, e: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return c + (d - c) / (1 + np.exp(b * np.log(x / e)))


def test_drm_recovers_a_curve_and_keeps_a_fixed_lower_asymptote() -> None:
    dose = np.array([0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10.0])
    y = _ll4(dose, -1.3, 2.0, 95.0, 0.4) + np.array([0, 0.8, -0.5, 0.3, -0.9, 0.4, 0.2, -0.3])
    fit = drm(dose, y)
    assert fit.model == "LL.4" and fit.converged
    assert fit.b == pytest.approx(-1.3, rel=0.1) and fit.e == pytest.approx(0.4, rel=0.1)
    fixed = fit_dose_response(dose, y, emin=0.0)
    assert fixed is not None and fixed.c == 0.0 and fixed.fixed == ("c",)
    assert fixed.predict([0.0])[0] == 0.0  # LL.4 at dose 0 is its limit c (b < 0)


def test_dose_for_is_synergyfinders_solve_exp_dose() -> None:
    fit = DrcFit("LL.4", -1.3, 0.0, 100.0, 2.0, 0.0, 0, True)
    assert fit.dose_for(50.0) == pytest.approx(2.0)
    assert fit.dose_for(120.0) == math.inf  # above both asymptotes: unreachable
    assert fit.dose_for(-5.0) == 0.0  # below: already reached at no dose
    assert fit.ec50 == 2.0
    # R's ^ of a negative base and an integer exponent is real: SynergyFinder then gets a
    # negative dose, not an unreachable one; kept as R has it
    assert DrcFit("LL.4", -1.0, 0.0, 100.0, 2.0, 0.0, 0, True).dose_for(120.0) == -12.0
    assert DrcFit("L.4", -1.0, 0.0, 100.0, math.log(2.0), 0.0, 0, True).ec50 == pytest.approx(2.0)


def test_fit_falls_back_to_l4_on_log_dose() -> None:
    """One positive dose: drc's self-start regression cannot be made, drm stops with an error
    and SynergyFinder refits as L.4 on log(dose) (a zero dose as 1e-10)."""
    fit = fit_dose_response([0, 0, 0, 1, 1, 1], [1.0, 2.0, 0.5, 60.0, 62.0, 58.0])
    assert fit is not None and fit.model == "L.4"
    assert fit.predict([1.0])[0] == pytest.approx(60.0, abs=0.5)


def test_refine_fit_reaches_the_least_squares_optimum() -> None:
    dose = np.array([0, 0.1, 0.2, 0.5, 1, 2, 5, 10.0])
    y = _ll4(dose, -1.5, 0.0, 100.0, 1.0)
    fit = drm(dose, y)
    assert abs(fit.b + 1.5) > 1e-7  # drc's reltol stops short on exact data
    refined = refine_fit(fit, dose, y)
    np.testing.assert_allclose(refined.params, (-1.5, 0.0, 100.0, 1.0), atol=1e-9)
    assert refined.rss < fit.rss


def test_control_is_drcs() -> None:
    assert DrcControl() == DrcControl(rel_tol=1e-7, max_it=500, ndeps=1e-3)
