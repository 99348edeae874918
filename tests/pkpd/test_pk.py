"""PK declarations: the balixafortide model against the seed facts, eribulin against its label.

Facts checked from simulation (../shared/seed_facts.toml [pharmacokinetics]): terminal
half-life in man 7-15 h, dose-linear, Cmax at the end of infusion, 32 % protein bound.
The terminal half-life is measured from the simulated curve by log-linear regression
(numpy.polyfit), not from the model's eigenvalues.
"""

from __future__ import annotations

import numpy as np
import pytest

from cxcr4lab.pkpd.pk import (
    BALIXAFORTIDE_FU,
    BALIXAFORTIDE_HUMAN,
    ERIBULIN_HUMAN,
    terminal_half_life,
    three_compartment,
)
from cxcr4lab.sim import bolus, infusion, simulate, simulate_analytic

T = np.arange(0.0, 97.0, 0.25)


def _terminal_half_life(t: np.ndarray, c: np.ndarray, start: float) -> float:
    keep = t >= start
    slope = np.polyfit(t[keep], np.log(c[keep]), 1)[0]
    return float(np.log(2) / -slope)


def test_balixafortide_terminal_half_life_in_seed_range() -> None:
    res = simulate(BALIXAFORTIDE_HUMAN, infusion(385.0, duration=2.0), T, rtol=1e-10, atol=1e-12)
    t_half = _terminal_half_life(T, res["Cp"], start=24.0)
    assert 7.0 <= t_half <= 15.0
    assert t_half == pytest.approx(terminal_half_life(BALIXAFORTIDE_HUMAN), rel=1e-3)


def test_balixafortide_cmax_at_end_of_infusion() -> None:
    for duration in (1.0, 2.0, 3.0):
        res = simulate_analytic(BALIXAFORTIDE_HUMAN, infusion(385.0, duration=duration), T)
        assert T[np.argmax(res.values["Cp"][0])] == duration


def test_balixafortide_dose_linear_and_unbound_fraction() -> None:
    low = simulate_analytic(BALIXAFORTIDE_HUMAN, infusion(100.0, duration=2.0), T)
    high = simulate_analytic(BALIXAFORTIDE_HUMAN, infusion(400.0, duration=2.0), T)
    auc = [np.trapezoid(r.values["Cp"][0], T) for r in (low, high)]
    assert auc[1] / auc[0] == pytest.approx(4.0, rel=1e-9)
    np.testing.assert_allclose(low.values["Cu"][0], 0.68 * low.values["Cp"][0], rtol=1e-12)
    assert pytest.approx(0.68) == BALIXAFORTIDE_FU


def test_eribulin_matches_label_ranges() -> None:
    # Halaven label: half-life ~40 h, CL 1.16-2.42 L/h/m^2, Vd 43-114 L/m^2 (1.8 m^2 patient)
    t = np.arange(0.0, 337.0, 1.0)
    res = simulate_analytic(ERIBULIN_HUMAN, bolus(2.5), t)
    assert 30.0 <= _terminal_half_life(t, res.values["Cp"][0], start=96.0) <= 50.0
    p = dict(zip(ERIBULIN_HUMAN.parameter_names, ERIBULIN_HUMAN.parameter_vector(), strict=True))
    assert 1.16 <= p["CL"] / 1.8 <= 2.42
    assert 43.0 <= (p["V1"] + p["V2"] + p["V3"]) / 1.8 <= 114.0
    # AUC after a bolus equals dose/CL (mass balance), in ug/L*h
    t_long = np.unique(
        np.concatenate([np.linspace(0.0, 4.0, 8001), np.linspace(4.0, 4000.0, 40000)])
    )
    cp = simulate_analytic(ERIBULIN_HUMAN, bolus(2.5), t_long).values["Cp"][0]
    auc = np.trapezoid(cp, t_long)
    assert auc == pytest.approx(2500.0 / p["CL"], rel=1e-3)


def test_three_compartment_defaults_are_declared() -> None:
    m = three_compartment()
    assert m.parameter_names == ("CL", "V1", "Q2", "V2", "Q3", "V3")
    assert [m.unit_of(n) for n in m.parameter_names] == ["L/h", "L"] * 3
