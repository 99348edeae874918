"""Profile CIs of curves that nest a horizontal line (``Model.flat_when``): the shortcut that
skips the walk when the line is inside the threshold gives exactly what the full walk gives."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import cxcr4lab.fit.solve as solve
from cxcr4lab.fit import FOUR_PL, ONE_SITE_COMPETITION, fit_curve
from cxcr4lab.fit.models import Model

X = np.repeat(np.linspace(-11, -5, 10), 3)


def _walked(model: Model) -> Model:
    """The same model without ``flat_when``: every profile walks (the reference algorithm)."""
    return replace(model, flat_when=None)


def _flat_data(seed: int) -> np.ndarray:
    return 100 + np.random.default_rng(seed).normal(0, 6, X.size)


@pytest.mark.parametrize(
    ("model", "y"),
    [
        (ONE_SITE_COMPETITION, _flat_data(1)),
        # a small effect the noise hides: the 4PL converges, its IC50 never closes
        (FOUR_PL, 100 - 8 / (1 + 10 ** -(X + 8)) + np.random.default_rng(3).normal(0, 6, X.size)),
    ],
)
def test_a_flat_curve_is_unbounded_both_ways_without_walking(
    model: Model, y: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    param = "log10_ic50"
    walked = fit_curve(_walked(model), X, y, profile=[param]).profile(param)
    calls = 0
    real = solve._solve

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(solve, "_solve", counting)
    fast = fit_curve(model, X, y, profile=[param]).profile(param)
    assert walked is not None and (walked.lower, walked.upper) == (None, None)
    assert fast == walked
    assert calls == 1  # the fit itself; no profile re-fits


@pytest.mark.parametrize("weights", [None, np.linspace(0.5, 2.0, X.size)])
def test_a_curve_with_an_effect_gets_the_same_interval_to_the_bit(
    weights: np.ndarray | None,
) -> None:
    rng = np.random.default_rng(7)
    y = 100 / (1 + 10 ** (X + 8)) + rng.normal(0, 4, X.size)
    a = fit_curve(ONE_SITE_COMPETITION, X, y, weights=weights, profile=["log10_ic50"])
    b = fit_curve(_walked(ONE_SITE_COMPETITION), X, y, weights=weights, profile=["log10_ic50"])
    assert a.profiles == b.profiles
    assert a.profiles[0].lower is not None and a.profiles[0].upper is not None


def test_the_profile_rss_never_exceeds_the_flat_line() -> None:
    # The bound behind the shortcut: with log10_ic50 held anywhere, bottom = top = mean is a
    # candidate, so the re-minimised RSS is at most the horizontal line's.
    y = _flat_data(3)
    fit = fit_curve(ONE_SITE_COMPETITION, X, y)
    flat = float(np.sum((y - y.mean()) ** 2))
    held = np.array([True, True, False])
    for value in (-20.0, -12.0, -8.0, -3.0, 5.0):
        p0 = np.asarray(fit.values).copy()
        p0[2] = value
        _, r, _, _, _ = solve._solve(ONE_SITE_COMPETITION, X, y, None, p0, held)
        assert float(r @ r) <= flat * (1 + 1e-9)


def test_no_shortcut_when_the_plateaus_are_not_both_free() -> None:
    y = _flat_data(4)
    fixed = fit_curve(ONE_SITE_COMPETITION, X, y, fixed={"bottom": 0.0}, profile=["log10_ic50"])
    walked = fit_curve(
        _walked(ONE_SITE_COMPETITION), X, y, fixed={"bottom": 0.0}, profile=["log10_ic50"]
    )
    assert fixed.profiles == walked.profiles
