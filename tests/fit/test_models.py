"""Conformance of every built-in model, found automatically from MODELS."""

from __future__ import annotations

import numpy as np
import pytest

from cxcr4lab.fit import MODELS, Model, fit_curve

TRUE = {
    "one_site_competition": np.array([2.0, 98.0, -8.3]),
    "4pl": np.array([5.0, 95.0, -7.2, 1.4]),
    "horizontal": np.array([42.0]),
}
X = np.linspace(-11.0, -5.0, 13)


def test_every_model_has_a_reference_parameter_set() -> None:
    assert set(TRUE) == set(MODELS)


@pytest.mark.parametrize("model", MODELS.values(), ids=lambda m: m.name)
def test_jacobian_matches_central_differences(model: Model) -> None:
    p = TRUE[model.name]
    h = 1e-6
    numeric = np.column_stack(
        [(model.f(X, p + h * e) - model.f(X, p - h * e)) / (2 * h) for e in np.eye(model.n_params)]
    )
    np.testing.assert_allclose(model.jac(X, p), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("model", MODELS.values(), ids=lambda m: m.name)
def test_exact_data_are_recovered_from_automatic_starts(model: Model) -> None:
    y = model.f(X, TRUE[model.name])
    ripple = 1e-3 * np.sin(5 * X)  # keeps RSS > 0 so the covariance exists
    fit = fit_curve(model, X, y + ripple)
    assert fit.converged
    np.testing.assert_allclose(fit.values, TRUE[model.name], rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("model", MODELS.values(), ids=lambda m: m.name)
def test_functions_are_finite_far_from_the_midpoint(model: Model) -> None:
    far = np.array([-30.0, -20.0, 0.0, 5.0])
    p = TRUE[model.name]
    assert np.all(np.isfinite(model.f(far, p)))
    assert np.all(np.isfinite(model.jac(far, p)))


def test_4pl_allows_zero_dose_on_its_plateau() -> None:
    p = TRUE["4pl"]
    x = np.array([-np.inf, -8.0])
    assert model_value(x, p)[0] == pytest.approx(p[1])  # top, for a falling curve
    assert np.all(np.isfinite(MODELS["4pl"].jac(x, p)))


def model_value(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    return MODELS["4pl"].f(x, p)
