"""Effective doses (``fit.effective_dose``) against R drc's ED on its ryegrass example.

drc (drcData's ryegrass, ``drm(rootl ~ conc, data = ryegrass, fct = LL.4())``) prints
b = 2.98222, c = 0.48141, d = 7.79296, e = 3.05795 (SE(e) 0.18573, residual SE 0.5196256 on
20 df; tests/fit/test_drc_compat.py). For LL.4, drc's relative ED is
``ED(p) = e (p / (100 - p))^(1 / b)`` (R/llogistic.R, edfct), so ED10, ED20, ED90 follow from
the printed b and e; ``ED(m, 50, interval = "delta")`` is e with SE(e). The SEs are checked
with drc's covariance (the observed information, ``fit.covariance.observed_covariance``); on
the log10 scale SE(log10 ED) = SE(ED) / (ED ln 10) by the delta method.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.fit import FOUR_PL, fit_curve, get_model
from cxcr4lab.fit.covariance import with_observed_covariance
from cxcr4lab.fit.effective_dose import effective_doses

DATA = Path(__file__).resolve().parents[1] / "data" / "drc"
B, C, D, E, SE_E = 2.98222, 0.48141, 7.79296, 3.05795, 0.18573


def _fit() -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_csv(DATA / "ryegrass.csv")
    with np.errstate(divide="ignore"):
        x = np.log10(df["conc"].to_numpy(dtype=float))
    y = df["rootl"].to_numpy(dtype=float)
    fit = with_observed_covariance(FOUR_PL, x, y, fit_curve(FOUR_PL, x, y))
    assert fit.covariance is not None
    P = np.array(fit.values, dtype=float)[:, None]
    return P, np.asarray(fit.covariance, dtype=float)[None]


def test_relative_eds_against_R_drc_ryegrass() -> None:
    P, cov = _fit()
    levels = (10.0, 20.0, 50.0, 90.0)
    doses = effective_doses(FOUR_PL, P, cov, np.array([2.0]), levels)
    for i, p in enumerate(levels):
        drc = E * (p / (100.0 - p)) ** (1.0 / B)  # drc's ED from its printed b and e
        assert 10 ** doses.log10_ed[i, 0] == pytest.approx(drc, rel=5e-5), p
    # ED50 = e, with drc's delta-method SE(e), on the log10 scale
    assert doses.se[2, 0] == pytest.approx(SE_E / (E * math.log(10)), rel=2e-4)
    assert doses.se[0, 0] > doses.se[2, 0]  # the tails are less certain than the middle


def test_an_absolute_level_halfway_is_the_ed50_and_beyond_the_plateaus_is_none() -> None:
    P, cov = _fit()
    half = (C + D) / 2
    doses = effective_doses(FOUR_PL, P, cov, np.array([2.0]), (half, D + 1.0), "absolute")
    assert 10 ** doses.log10_ed[0, 0] == pytest.approx(E, rel=1e-3)
    assert np.isnan(doses.log10_ed[1, 0])  # above the top plateau: never reached


def test_the_5pl_and_a_stimulation_curve_reach_their_levels() -> None:
    """The ED is where the fitted curve takes the level's response (5PL and 4PL-stim)."""
    for name, p in (("5pl", [5.0, 95.0, -7.0, 1.3, 0.6]), ("4pl_stim", [5.0, 95.0, -7.0, 1.3])):
        model = get_model(name)
        P = np.array(p)[:, None]
        doses = effective_doses(model, P, np.zeros((1, len(p), len(p))), np.array([2.0]), (25.0,))
        y = model.f(doses.log10_ed[:, 0], np.array(p))[0]
        expected = 95.0 - 0.25 * 90.0 if name == "5pl" else 5.0 + 0.25 * 90.0
        assert y == pytest.approx(expected, rel=1e-9), name


def test_levels_and_models_it_cannot_take_are_refused() -> None:
    P, cov = _fit()
    with pytest.raises(InputError, match=r"\(0, 100\)"):
        effective_doses(FOUR_PL, P, cov, np.array([2.0]), (100.0,))
    with pytest.raises(InputError, match="log-logistic"):
        effective_doses(get_model("exp_decay"), P[:3], cov[:, :3, :3], np.array([2.0]), (50.0,))
