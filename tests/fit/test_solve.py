"""Bad data, flags and serialisation of single-curve fits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.fit import (
    FOUR_PL,
    ONE_SITE_COMPETITION,
    FitResult,
    FitThresholds,
    fit_curve,
    no_effect_test,
    potency_flags,
)

X = np.repeat(np.linspace(-11, -6, 11), 2)


def _curve(rng: np.random.Generator, log_ic50: float = -8.5, sd: float = 3.0) -> np.ndarray:
    return ONE_SITE_COMPETITION.f(X, np.array([0.0, 100.0, log_ic50])) + rng.normal(0, sd, X.size)


@pytest.mark.parametrize(
    ("x", "y", "text"),
    [
        ([-9, -8, -7], [1, 2, 3], "cannot fit 3 free parameters"),
        ([-9, -8, -7, -6], [1, np.nan, 3, 4], "response #2 is nan"),
        ([-9, -8, np.inf, -6], [1, 2, 3, 4], "concentration #3 is inf"),
        ([-8, -8, -8, -8, -8], [1, 2, 3, 4, 5], "one concentration"),
        ([-9, -8, -7, -6], [1, 2, 3], "4 x values but 3 y values"),
    ],
)
def test_bad_data_raise_naming_the_curve(x: list[float], y: list[float], text: str) -> None:
    with pytest.raises(InputError, match=text) as err:
        fit_curve(ONE_SITE_COMPETITION, x, y, place=Place(file="curves.csv", curve="cmpd-7"))
    assert "curves.csv" in str(err.value) and "cmpd-7" in str(err.value)


def test_zero_dose_is_refused_where_the_model_has_no_plateau() -> None:
    with pytest.raises(InputError, match="concentration #1 is -inf"):
        fit_curve(ONE_SITE_COMPETITION, [-np.inf, -9, -8, -7, -6], [100, 90, 50, 10, 0])


def test_bad_weights() -> None:
    with pytest.raises(InputError, match="weights"):
        fit_curve(
            ONE_SITE_COMPETITION, X, _curve(np.random.default_rng(0)), weights=-np.ones(X.size)
        )


def test_weights_change_the_fit_and_are_recorded() -> None:
    rng = np.random.default_rng(1)
    y = _curve(rng)
    plain = fit_curve(ONE_SITE_COMPETITION, X, y)
    weighted = fit_curve(ONE_SITE_COMPETITION, X, y, weights=1 / np.maximum(np.abs(y), 1.0) ** 2)
    assert weighted.weighted and not plain.weighted
    assert weighted.values != plain.values


def test_fixed_parameters_are_held_and_have_no_se() -> None:
    y = _curve(np.random.default_rng(2))
    fit = fit_curve(FOUR_PL, X, y, fixed={"hill": 1.0, "bottom": 0.0})
    assert fit.params["hill"] == 1.0 and fit.params["bottom"] == 0.0
    assert fit.se["hill"] is None and fit.se["bottom"] is None
    assert fit.n_free == 2 and fit.dof == X.size - 2


def test_a_good_curve_has_no_flags() -> None:
    y = _curve(np.random.default_rng(3))
    fit = fit_curve(ONE_SITE_COMPETITION, X, y, profile=["log10_ic50"])
    assert potency_flags(fit, no_effect_p=no_effect_test(X, y, fit)) == ()
    prof = fit.profile("log10_ic50")
    assert prof is not None and prof.lower is not None and prof.upper is not None
    assert prof.lower < -8.5 < prof.upper


def test_a_flat_curve_is_flagged() -> None:
    rng = np.random.default_rng(4)
    y = 50 + rng.normal(0, 3, X.size)
    fit = fit_curve(ONE_SITE_COMPETITION, X, y, profile=["log10_ic50"])
    flags = potency_flags(fit, no_effect_p=no_effect_test(X, y, fit))
    assert flags == ("no_effect",)  # alone: the other flags of a flat curve say nothing
    assert "ci_unbounded" in potency_flags(fit, no_effect_p=None)  # the CI does not close


def test_an_ic50_beyond_the_tested_range_is_flagged() -> None:
    y = _curve(np.random.default_rng(5), log_ic50=-5.5, sd=1.0)  # only a third inhibited at the top
    fit = fit_curve(ONE_SITE_COMPETITION, X, y, profile=["log10_ic50"])
    assert "outside_range" in potency_flags(fit, no_effect_p=no_effect_test(X, y, fit))


def test_steep_and_shallow_hill_slopes_are_flagged() -> None:
    rng = np.random.default_rng(6)
    y = FOUR_PL.f(X, np.array([0.0, 100.0, -8.52, 8.0])) + rng.normal(0, 1.0, X.size)
    fit = fit_curve(FOUR_PL, X, y)
    assert "steep" in potency_flags(fit, no_effect_p=None)
    y = FOUR_PL.f(X, np.array([0.0, 100.0, -8.52, 0.35])) + rng.normal(0, 0.5, X.size)
    fit = fit_curve(FOUR_PL, X, y)
    assert fit.params["hill"] < 0.5
    assert "shallow" in potency_flags(fit, no_effect_p=None)


def test_an_inverted_curve_and_an_overshoot_are_flagged() -> None:
    """A rising curve fitted by the falling 4PL runs against the model's direction; on
    normalised data a bottom plateau at -25 % (125 % inhibition) is an overshoot."""
    rng = np.random.default_rng(7)
    rising = FOUR_PL.f(X, np.array([100.0, 0.0, -8.5, 1.0])) + rng.normal(0, 1.0, X.size)
    fit = fit_curve(FOUR_PL, X, rising)
    assert "inverted" in potency_flags(fit, no_effect_p=None)
    deep = FOUR_PL.f(X, np.array([-25.0, 100.0, -8.5, 1.0])) + rng.normal(0, 1.0, X.size)
    fit = fit_curve(FOUR_PL, X, deep)
    normalised = FitThresholds(normalised=True)
    assert "overshoot" in potency_flags(fit, no_effect_p=None, thresholds=normalised)
    assert "overshoot" not in potency_flags(fit, no_effect_p=None)  # raw signal: no window


def test_result_round_trips_through_json_and_reports() -> None:
    y = _curve(np.random.default_rng(8))
    fit = fit_curve(FOUR_PL, X, y, profile=["log10_ic50"], fixed={"bottom": 0.0})
    again = FitResult.from_dict(json.loads(json.dumps(fit.to_dict(), allow_nan=False)))
    assert again == fit
    text = fit.report()
    assert "log10_ic50" in text and "fixed" in text
    table = fit.summary()
    assert list(table["parameter"]) == list(FOUR_PL.param_names)
    assert table.loc[table.parameter == "log10_ic50", "profile_lower"].notna().all()


def test_weighting_schemes() -> None:
    from cxcr4lab.fit.weights import weights_for

    x = np.array([1.0, 2.0, 4.0])
    y = np.array([2.0, -4.0, 8.0])
    np.testing.assert_allclose(weights_for("1/y^2", x, y), [0.25, 1 / 16, 1 / 64])
    np.testing.assert_allclose(weights_for("1/x", x, y), [1.0, 0.5, 0.25])
    np.testing.assert_allclose(weights_for("none", x, y), 1.0)
    with pytest.raises(InputError, match="non-zero"):
        weights_for("1/y", x, np.array([1.0, 0.0, 2.0]))


def test_weighted_calibration_line_matches_numpy_polyfit() -> None:
    from cxcr4lab.fit import LINEAR
    from cxcr4lab.fit.weights import weights_for

    rng = np.random.default_rng(9)
    x = np.array([1, 2, 5, 10, 20, 50, 100, 200.0])
    y = 0.02 + 0.5 * x * (1 + rng.normal(0, 0.03, x.size))
    w = weights_for("1/x^2", x, y)
    fit = fit_curve(LINEAR, x, y, weights=w)
    # numpy.polyfit takes weights on the residuals (sqrt of ours).
    slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(w))
    assert fit.params["slope"] == pytest.approx(slope, rel=1e-9)
    assert fit.params["intercept"] == pytest.approx(intercept, rel=1e-7, abs=1e-12)


def test_no_effect_test_accepts_zero_doses() -> None:
    x = np.concatenate([[-np.inf, -np.inf], X])
    y = np.concatenate([[100.0, 100.0], _curve(np.random.default_rng(12))])
    fit = fit_curve(FOUR_PL, x, y)
    assert no_effect_test(x, y, fit) < 1e-6
