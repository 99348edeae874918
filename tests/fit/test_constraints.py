"""Bounds and expressions tying parameters, checked against scipy and a reparameterised model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from cxcr4lab.core.errors import InputError
from cxcr4lab.fit import FOUR_PL, fit_curve, model_from_function

X = np.repeat(np.linspace(-10, -5, 11), 2)


def _logistic4(
    x: np.ndarray, bottom: float, top: float, log_ic50: float, hill: float
) -> np.ndarray:
    return bottom + (top - bottom) / (1 + 10 ** ((x - log_ic50) * hill))


def _data(seed: int, p: tuple[float, ...] = (-5.0, 100.0, -7.5, 1.0)) -> np.ndarray:
    return _logistic4(X, *p) + np.random.default_rng(seed).normal(0, 4.0, X.size)


def test_bounds_match_scipy_curve_fit_with_bounds() -> None:
    y = _data(1)  # the true bottom (-5) lies below the bound
    fit = fit_curve(FOUR_PL, X, y, bounds={"bottom": (0.0, 20.0)})
    popt, _ = optimize.curve_fit(
        _logistic4,
        X,
        y,
        p0=[5, 100, -7.5, 1],
        bounds=([0, -np.inf, -np.inf, -np.inf], [20, np.inf, np.inf, np.inf]),
    )
    assert fit.params["bottom"] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(fit.values, popt, rtol=1e-5, atol=1e-5)


def test_bad_bounds() -> None:
    with pytest.raises(InputError, match="lower < upper"):
        fit_curve(FOUR_PL, X, _data(2), bounds={"hill": (2.0, 1.0)})


def test_tied_top_equals_the_reparameterised_model() -> None:
    # top = bottom + 100 (a known span) is the same as fitting a 3-parameter model with that span.
    y = _data(3)
    tied = fit_curve(FOUR_PL, X, y, tied={"top": "bottom + 100"})

    def span100(x: np.ndarray, bottom: float, log_ic50: float, hill: float) -> np.ndarray:
        return _logistic4(x, bottom, bottom + 100, log_ic50, hill)

    model = model_from_function(span100, name="span100_test")
    direct = fit_curve(model, X, y, start={"bottom": 0.0, "log_ic50": -7.5, "hill": 1.0})
    assert tied.params["top"] == pytest.approx(tied.params["bottom"] + 100, rel=1e-12)
    assert tied.params["bottom"] == pytest.approx(direct.params["bottom"], rel=1e-6, abs=1e-8)
    assert tied.params["log10_ic50"] == pytest.approx(direct.params["log_ic50"], rel=1e-8)
    assert tied.se["log10_ic50"] == pytest.approx(direct.se["log_ic50"], rel=1e-5)
    assert tied.se["top"] is None and tied.n_free == 3


def test_ties_with_functions_and_profiles() -> None:
    y = _data(4, (0.0, 100.0, -7.5, 1.0))
    fit = fit_curve(FOUR_PL, X, y, tied={"hill": "log10(10)"}, profile=["log10_ic50"])
    assert fit.params["hill"] == pytest.approx(1.0)
    prof = fit.profile("log10_ic50")
    assert prof is not None and prof.lower is not None and prof.upper is not None
    assert prof.lower < -7.5 < prof.upper


@pytest.mark.parametrize(
    ("tied", "text"),
    [
        ({"top": "bottom +"}, "not an expression"),
        ({"top": "top + 1"}, "tied to itself"),
        ({"top": "hill * 100", "hill": "1.0 + bottom"}, "another tied parameter"),
        ({"top": "undefined_name + 1"}, "cannot evaluate"),
    ],
)
def test_bad_ties_name_the_parameter(tied: dict[str, str], text: str) -> None:
    with pytest.raises(InputError, match=text) as err:
        fit_curve(FOUR_PL, X, _data(5), tied=tied)
    assert "tied[" in str(err.value)
