"""The shortcuts of the single-curve fit give what the long way gives.

* A profile re-fit over parameters the model is linear in (a sigmoid's bottom and top) is a
  linear least-squares solve: its interval equals the iterative re-fits' to 1e-9.
* The no-effect F test's horizontal line is the weighted mean: its p-value equals the one from
  fitting the line.
* A plateau that runs away along a flat valley stops at :data:`RUNAWAY_SPANS` data spans: the
  cost there is within parts per million of where the walk would end, and a curve whose
  plateaus are defined is fitted exactly as without the rule.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import cxcr4lab.fit.solve as solve
from cxcr4lab.fit import FOUR_PL, ONE_SITE_COMPETITION, fit_curve
from cxcr4lab.fit.minimize import RAN_AWAY, minimize_lsq
from cxcr4lab.fit.models import HORIZONTAL, Model
from cxcr4lab.fit.solve import extra_ss_f_test, no_effect_test

X = np.repeat(np.linspace(-11, -5, 10), 3)


@pytest.mark.parametrize("weights", [None, np.linspace(0.5, 2.0, X.size)])
@pytest.mark.parametrize("model", [ONE_SITE_COMPETITION, FOUR_PL])
def test_linear_profile_refits_equal_the_iterative_ones(
    model: Model, weights: np.ndarray | None
) -> None:
    rng = np.random.default_rng(11)
    y = 100 / (1 + 10 ** (X + 8)) + rng.normal(0, 4, X.size)
    fast = fit_curve(model, X, y, weights=weights, profile=["log10_ic50"])
    slow = fit_curve(replace(model, linear=()), X, y, weights=weights, profile=["log10_ic50"])
    assert fast.values == slow.values  # the fit itself does not change
    a, b = fast.profile("log10_ic50"), slow.profile("log10_ic50")
    assert a is not None and b is not None
    assert model is FOUR_PL or (a.lower is not None and a.upper is not None)
    for mine, theirs in ((a.lower, b.lower), (a.upper, b.upper)):
        if theirs is None:
            assert mine is None
        else:
            assert mine == pytest.approx(theirs, rel=1e-9)


@pytest.mark.parametrize("weights", [None, np.linspace(0.5, 2.0, X.size)])
def test_no_effect_p_equals_the_fitted_line(weights: np.ndarray | None) -> None:
    rng = np.random.default_rng(5)
    y = 100 - 30 / (1 + 10 ** -(X + 8)) + rng.normal(0, 5, X.size)
    fit = fit_curve(ONE_SITE_COMPETITION, X, y, weights=weights)
    line = fit_curve(HORIZONTAL, np.arange(X.size, dtype=float), y, weights=weights)
    _, expected = extra_ss_f_test(line, fit)
    assert no_effect_test(X, y, fit, weights) == pytest.approx(expected, rel=1e-10)


def _runaway_curve() -> np.ndarray:
    """Only the start of a fall at the top concentration (the midpoint half a decade beyond the
    data): the fitted IC50 leaves the data and the bottom plateau walks off towards minus
    infinity (the plate example's eribulin does the same)."""
    rng = np.random.default_rng(0)
    return 100 / (1 + 10 ** (X + 4.5)) + rng.normal(0, 3, X.size)


def test_a_runaway_plateau_stops_near_the_valley_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    y = _runaway_curve()
    stopped = fit_curve(ONE_SITE_COMPETITION, X, y)
    assert stopped.message == RAN_AWAY and stopped.converged
    span = y.max() - y.min()
    middle = 0.5 * (y.max() + y.min())
    assert abs(stopped.params["bottom"] - middle) == pytest.approx(
        solve.RUNAWAY_SPANS * span, rel=0.5
    )
    monkeypatch.setattr(solve, "RUNAWAY_SPANS", np.inf)
    walked = fit_curve(ONE_SITE_COMPETITION, X, y)
    assert walked.message != RAN_AWAY
    assert stopped.rss == pytest.approx(walked.rss, rel=1e-4)
    assert stopped.rss >= walked.rss * (1 - 1e-12)
    # the no-effect test reads the same either way
    assert no_effect_test(X, y, stopped) == pytest.approx(no_effect_test(X, y, walked), rel=1e-3)


def test_the_rule_costs_fewer_evaluations(monkeypatch: pytest.MonkeyPatch) -> None:
    y = _runaway_curve()
    counts: list[int] = []
    real = minimize_lsq

    def counting(*args: object, **kwargs: object) -> object:
        out = real(*args, **kwargs)  # type: ignore[arg-type]
        counts.append(out.nfev)
        return out

    monkeypatch.setattr(solve, "minimize_lsq", counting)
    fit_curve(ONE_SITE_COMPETITION, X, y)
    monkeypatch.setattr(solve, "RUNAWAY_SPANS", np.inf)
    fit_curve(ONE_SITE_COMPETITION, X, y)
    assert counts[0] * 3 < counts[1]


@pytest.mark.parametrize("model", [ONE_SITE_COMPETITION, FOUR_PL])
def test_defined_plateaus_are_fitted_as_without_the_rule(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    y = 100 / (1 + 10 ** (X + 8)) + np.random.default_rng(9).normal(0, 4, X.size)
    with_rule = fit_curve(model, X, y)
    monkeypatch.setattr(solve, "RUNAWAY_SPANS", np.inf)
    without = fit_curve(model, X, y)
    assert with_rule == without
