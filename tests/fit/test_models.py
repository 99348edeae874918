"""Conformance of every built-in model, discovered from BUILTIN_MODELS."""

from __future__ import annotations

import numpy as np
import pytest

from cxcr4lab.fit import BUILTIN_MODELS, MODELS, Model, fit_curve, log_logistic

LOG_X = np.linspace(-11.0, -5.0, 13)
LIN_X = 10.0**LOG_X

# True parameters per model (potencies in log10 M or M), and whether x is log10 M.
TRUE: dict[str, np.ndarray] = {
    "one_site_competition": np.array([2.0, 98.0, -8.3]),
    "horizontal": np.array([42.0]),
    "emax": np.array([5.0, 80.0, 3e-8, 1.3]),
    "operational": np.array([2.0, 100.0, -6.5, 1.0, 1.0]),
    "exp_decay": np.array([100.0, 10.0, 0.3]),
    "exp_growth": np.array([5.0, 0.2]),
    "linear": np.array([0.05, 2.0]),
    "quadratic": np.array([0.05, 2.0, -0.1]),
    # drc's models (hill, bottom, top, potency[, f]); BC.5's f per mol/L: a hump of ~1 at 10 nM
    "w1_4": np.array([1.2, 5.0, 95.0, -7.2]),
    "w2_4": np.array([-1.2, 5.0, 95.0, -7.2]),
    "ll2_4": np.array([1.4, 5.0, 95.0, -7.2 * np.log(10.0)]),
    "bc_5": np.array([1.4, 5.0, 95.0, -7.2, 1e8]),
}
for _n in (3, 4, 5):
    for _d in ("inhibition", "stimulation"):
        for _s in ("log", "linear"):
            _m = log_logistic(_n, _d, _s)  # type: ignore[arg-type]
            loc = -7.2 if _s == "log" else 10**-7.2
            full = {"bottom": 5.0, "top": 95.0, "hill": 1.4, "asymmetry": 0.6}
            TRUE[_m.name] = np.array([loc if "50" in p else full[p] for p in _m.param_names])

TIME_X = np.linspace(0.0, 12.0, 13)


def _x(model: Model) -> np.ndarray:
    if model.name.startswith("exp_") or model.name in {"linear", "quadratic"}:
        return TIME_X
    return LOG_X if model.x_is_log10 else LIN_X


def test_every_builtin_model_has_a_reference_parameter_set() -> None:
    assert set(TRUE) == set(BUILTIN_MODELS)


BUILTINS = [MODELS[name] for name in sorted(BUILTIN_MODELS)]


@pytest.mark.parametrize("model", BUILTINS, ids=lambda m: m.name)
def test_jacobian_matches_central_differences(model: Model) -> None:
    p = TRUE[model.name]
    x = _x(model)
    h = 1e-6 * np.maximum(np.abs(p), 1e-8)
    numeric = np.column_stack(
        [
            (model.f(x, p + hi * e) - model.f(x, p - hi * e)) / (2 * hi)
            for hi, e in zip(h, np.eye(len(p)), strict=True)
        ]
    )
    analytic = model.jac(x, p)
    scale = np.maximum(np.abs(numeric).max(axis=0), 1e-12)
    np.testing.assert_allclose(analytic / scale, numeric / scale, atol=1e-6)


@pytest.mark.parametrize("model", BUILTINS, ids=lambda m: m.name)
def test_exact_data_are_recovered_from_automatic_starts(model: Model) -> None:
    x = _x(model)
    # KA and tau of one operational curve are identifiable only with Em known (Black-Leff).
    fixed = {"em": 100.0} if model.name == "operational" else None
    y = model.f(x, TRUE[model.name])
    ripple = 1e-6 * np.sin(5 * np.arange(x.size))  # keeps RSS > 0 so the covariance exists
    fit = fit_curve(model, x, y + ripple * max(1.0, float(np.ptp(y))), fixed=fixed)
    assert fit.converged
    np.testing.assert_allclose(
        fit.values, TRUE[model.name], rtol=2e-3, atol=2e-3 * float(np.abs(TRUE[model.name]).min())
    )


@pytest.mark.parametrize("model", BUILTINS, ids=lambda m: m.name)
def test_functions_are_finite_far_from_the_midpoint(model: Model) -> None:
    p = TRUE[model.name]
    far = (
        np.array([-30.0, -20.0, 0.0, 5.0])
        if model.x_is_log10
        else np.array([0.0, 1e-30, 1e-3, 10.0])
    )
    if model.name.startswith("exp_") or model.name in {"linear", "quadratic"}:
        far = np.array([0.0, 1.0, 50.0])
    assert np.all(np.isfinite(model.f(far, p)))
    assert np.all(np.isfinite(model.jac(far, p)))


@pytest.mark.parametrize("name", [m for m in sorted(BUILTIN_MODELS) if MODELS[m].zero_dose_ok])
def test_zero_dose_sits_on_the_plateau(name: str) -> None:
    model = MODELS[name]
    zero = np.array([-np.inf if model.x_is_log10 else 0.0])
    value = model.f(zero, TRUE[name])[0]
    assert np.isfinite(value)
    assert np.all(np.isfinite(model.jac(zero, TRUE[name])))


def test_five_pl_reaches_half_span_at_the_ic50() -> None:
    model = MODELS["5pl"]
    p = np.array([10.0, 90.0, -7.0, 1.2, 0.4])
    assert model.f(np.array([-7.0]), p)[0] == pytest.approx(50.0, rel=1e-12)


def test_emax_is_the_textbook_formula() -> None:
    e0, emax, ec50, h = TRUE["emax"]
    c = LIN_X
    np.testing.assert_allclose(
        MODELS["emax"].f(c, TRUE["emax"]), e0 + emax * c**h / (ec50**h + c**h), rtol=1e-12
    )


def test_operational_model_is_black_leff() -> None:
    basal, em, log_ka, log_tau, n = TRUE["operational"]
    a, ka, tau = LIN_X, 10**log_ka, 10**log_tau
    expected = basal + em * (tau * a) ** n / ((a + ka) ** n + (tau * a) ** n)
    np.testing.assert_allclose(
        MODELS["operational"].f(LOG_X, TRUE["operational"]), expected, rtol=1e-12
    )
    # With Em fixed (known system maximum) KA and tau are identifiable from one curve.
    fit = fit_curve(MODELS["operational"], LOG_X, expected + 1e-3 * np.sin(LOG_X), fixed={"em": em})
    assert fit.params["log10_ka"] == pytest.approx(log_ka, abs=1e-3)
    assert fit.params["log10_tau"] == pytest.approx(log_tau, abs=1e-3)
