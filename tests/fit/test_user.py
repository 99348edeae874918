"""User models from Python functions, and the robust minimiser underneath every fit."""

from __future__ import annotations

import numpy as np
import pytest

from cxcr4lab.core.errors import FitError
from cxcr4lab.fit import fit_curve, get_model
from cxcr4lab.fit.minimize import minimize_lsq
from cxcr4lab.fit.user import jacobian_method, model_from_function, register_user_model

T = np.linspace(0.0, 10.0, 15)


def _hill(x: np.ndarray, top: float, ec50: float, n: float) -> np.ndarray:
    return top * x**n / (ec50**n + x**n)


def test_names_from_the_signature_and_complex_step_jacobian() -> None:
    model = model_from_function(_hill, name="test_hill")
    assert model.param_names == ("top", "ec50", "n")
    p = np.array([80.0, 3.0, 1.5])
    jac = model.jac(T[1:], p)
    assert jacobian_method(model) == "complex-step"
    h = 1e-6
    numeric = np.column_stack(
        [(model.f(T[1:], p + h * e) - model.f(T[1:], p - h * e)) / (2 * h) for e in np.eye(3)]
    )
    np.testing.assert_allclose(jac, numeric, rtol=1e-6, atol=1e-8)


def test_functions_that_drop_imaginary_parts_fall_back_to_central_differences() -> None:
    def bent(x: np.ndarray, a: float, b: float) -> np.ndarray:
        return np.abs(a) * np.exp(-b * x)  # abs() loses the complex step's sign

    model = model_from_function(bent, name="test_bent")
    fit = fit_curve(model, T, 4.0 * np.exp(-0.3 * T), start={"a": 1.0, "b": 1.0})
    assert jacobian_method(model) == "central-difference"
    assert fit.params["b"] == pytest.approx(0.3, rel=1e-6)


def test_analytic_jacobian_is_used_and_checked() -> None:
    def line(x: np.ndarray, a: float, b: float) -> np.ndarray:
        return a + b * x

    def line_jac(x: np.ndarray, a: float, b: float) -> np.ndarray:
        return np.column_stack([np.ones_like(x), x])

    model = model_from_function(line, name="test_line", jac=line_jac, guess=lambda x, y: [0, 1])
    assert jacobian_method(model) == "analytic"
    fit = fit_curve(model, T, 2.0 + 0.5 * T + np.sin(T))
    slope, intercept = np.polyfit(T, 2.0 + 0.5 * T + np.sin(T), 1)
    assert fit.params["b"] == pytest.approx(slope, rel=1e-10)
    assert fit.params["a"] == pytest.approx(intercept, rel=1e-10)

    bad = model_from_function(line, name="test_bad_jac", jac=lambda x, a, b: np.ones(3))
    with pytest.raises(FitError, match="shape"):
        fit_curve(bad, T, T, start={"a": 0.0, "b": 1.0})


def test_without_a_guess_every_free_parameter_needs_a_start() -> None:
    model = model_from_function(_hill, name="test_hill_nostart")
    with pytest.raises(FitError, match="give start for ec50, n"):
        fit_curve(model, T, _hill(T, 80.0, 3.0, 1.5), start={"top": 70.0})
    fit = fit_curve(
        model, T, _hill(T, 80.0, 3.0, 1.5), start={"top": 70.0, "ec50": 2.0}, fixed={"n": 1.5}
    )
    assert fit.params["ec50"] == pytest.approx(3.0, rel=1e-8)


def test_results_find_their_user_model_by_name() -> None:
    model = model_from_function(_hill, name="test_hill_registry")
    assert get_model("test_hill_registry") is model
    fit = fit_curve(model, T, _hill(T, 80.0, 3.0, 1.5) + 0.1 * np.cos(T), start=dict(
        top=70.0, ec50=2.0, n=1.0))  # fmt: skip
    lo, hi = fit.band([2.0, 5.0])
    assert np.all(lo < fit.predict([2.0, 5.0])) and np.all(hi > fit.predict([2.0, 5.0]))
    again = model_from_function(_hill, name="test_hill_registry")  # re-running a cell is fine
    assert get_model("test_hill_registry") is again


def test_built_in_names_are_refused() -> None:
    with pytest.raises(FitError, match="built-in"):
        model_from_function(_hill, name="4pl")
    with pytest.raises(FitError, match="built-in"):
        register_user_model(model_from_function(_hill, name="emax", register=False))


def test_a_signature_without_parameters_is_refused() -> None:
    with pytest.raises(FitError, match="at least one parameter"):
        model_from_function(lambda x: x, name="test_empty")


def test_minimiser_honours_bounds_and_reports_unusable_starts() -> None:
    y = 5.0 * np.exp(-0.4 * T)

    def resid(p: np.ndarray) -> np.ndarray:
        return p[0] * np.exp(-p[1] * T) - y

    def jac(p: np.ndarray) -> np.ndarray:
        e = np.exp(-p[1] * T)
        return np.column_stack([e, -p[0] * T * e])

    free = minimize_lsq(resid, jac, [1.0, 1.0])
    assert free.success and free.method == "lm"
    np.testing.assert_allclose(free.x, [5.0, 0.4], rtol=1e-10)
    bounded = minimize_lsq(resid, jac, [1.0, 1.0], bounds=([0.0, 0.5], [np.inf, np.inf]))
    assert bounded.x[1] == pytest.approx(0.5) and bounded.method in ("trf", "dogbox")
    bad = minimize_lsq(lambda p: np.full(3, np.nan), lambda p: np.ones((3, 1)), [1.0])
    assert not bad.success and "not finite" in bad.message
