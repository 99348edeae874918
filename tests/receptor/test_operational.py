"""Gaddum/Schild and the Black-Leff operational model against their defining relations.

References: Arunlakshana & Schild (1959) Br J Pharmacol 14:48 (pA2 = -log10 of the antagonist
concentration giving a dose ratio of 2; for a competitive antagonist at [B] = Kb, DR = 2
exactly); Black & Leff (1983) Proc R Soc B 220:141 and Kenakin, "A Pharmacology Primer"
(operational EC50 = KA / ((2 + tau^n)^(1/n) - 1), KA / (1 + tau) for n = 1; maximum
tau^n / (1 + tau^n)). Numeric references are computed here by root search (scipy brentq) on the
explicit model, and the Schild regression against numpy's least-squares polyfit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from cxcr4lab.core.errors import InputError
from cxcr4lab.receptor.operational import (
    gaddum_dose_ratio,
    gaddum_occupancy,
    operational_ec50,
    operational_effect,
    operational_ic50,
    operational_max,
    pa2_from_dose_ratio,
    schild_regression,
)
from cxcr4lab.receptor.theory import leff_dougall_ic50


def test_dose_ratio_is_two_at_kb() -> None:
    # Arunlakshana & Schild: at [B] = Kb a competitive antagonist doubles the agonist EC50.
    assert gaddum_dose_ratio(antagonist=3.7e-9, kb=3.7e-9) == 2.0
    assert pa2_from_dose_ratio(dose_ratio=2.0, antagonist=3.7e-9) == pytest.approx(
        -math.log10(3.7e-9), abs=1e-12
    )


def test_dose_ratio_gives_pkb_back() -> None:
    kb = 2.5e-10
    for b in (1e-10, 1e-9, 1e-8, 1e-7):
        dr = gaddum_dose_ratio(antagonist=b, kb=kb)
        assert pa2_from_dose_ratio(dose_ratio=dr, antagonist=b) == pytest.approx(
            -math.log10(kb), abs=1e-9
        )


def test_schild_regression_against_polyfit() -> None:
    rng = np.random.default_rng(7)
    b = np.array([1e-9, 3e-9, 1e-8, 3e-8, 1e-7])
    dr = 1.0 + (b / 2e-9) ** 0.8 * np.exp(0.05 * rng.standard_normal(b.size))
    slope, pa2 = schild_regression(b, dr)
    ref_slope, ref_intercept = np.polyfit(np.log10(b), np.log10(dr - 1), 1)
    assert slope == pytest.approx(ref_slope, rel=1e-10)
    assert pa2 == pytest.approx(ref_intercept / ref_slope, rel=1e-10)


def test_schild_regression_exact_slope_and_pa2() -> None:
    b = np.array([1e-9, 1e-8, 1e-7])
    slope, pa2 = schild_regression(
        b, [gaddum_dose_ratio(antagonist=x, kb=5e-9, slope=0.7) for x in b]
    )
    assert slope == pytest.approx(0.7, rel=1e-12)
    assert pa2 == pytest.approx(-math.log10(5e-9), rel=1e-12)  # the x-intercept


def test_gaddum_occupancy_half_at_ka_without_antagonist() -> None:
    assert gaddum_occupancy(agonist=2e-9, antagonist=0.0, ka=2e-9, kb=1e-9) == 0.5
    # [B] = Kb doubles the agonist concentration needed for the same occupancy
    assert gaddum_occupancy(agonist=4e-9, antagonist=1e-9, ka=2e-9, kb=1e-9) == 0.5


def test_operational_ec50_slope_one_is_ka_over_one_plus_tau() -> None:
    assert operational_ec50(ka=1e-6, tau=9.0) == pytest.approx(1e-7, rel=1e-14)
    assert operational_max(tau=9.0) == pytest.approx(0.9, rel=1e-14)


@pytest.mark.parametrize("n", [0.7, 1.0, 1.6, 3.0])
@pytest.mark.parametrize("tau", [0.3, 1.0, 10.0, 300.0])
def test_operational_ec50_against_root_search(n: float, tau: float) -> None:
    ka = 1e-7
    half = operational_max(tau=tau, n=n) / 2

    def f(x: float) -> float:
        return float(operational_effect(10.0**x, ka=ka, tau=tau, n=n)) - half

    ref = 10.0 ** brentq(f, -16, 0, xtol=1e-14)
    assert operational_ec50(ka=ka, tau=tau, n=n) == pytest.approx(ref, rel=1e-8)


def _ic50_by_root_search(*, kb: float, agonist: float, ka: float, tau: float, n: float) -> float:
    def effect(b: float) -> float:
        return float(operational_effect(agonist, ka=ka * (1 + b / kb), tau=tau, n=n))

    half = effect(0.0) / 2
    return float(10.0 ** brentq(lambda x: effect(10.0**x) - half, -16, 2, xtol=1e-14))


@pytest.mark.parametrize("n", [0.6, 1.0, 2.0])
@pytest.mark.parametrize("tau", [0.5, 5.0, 200.0])
def test_operational_ic50_against_root_search(n: float, tau: float) -> None:
    kw = {"kb": 1.5e-10, "agonist": 12.56e-9, "ka": 3e-9, "tau": tau, "n": n}
    assert operational_ic50(**kw) == pytest.approx(_ic50_by_root_search(**kw), rel=1e-8)


def test_operational_ic50_slope_one_is_cheng_prusoff_with_observed_ec50() -> None:
    kb, a, ka, tau = 1e-9, 20e-9, 5e-9, 30.0
    closed = operational_ic50(kb=kb, agonist=a, ka=ka, tau=tau)
    assert closed == pytest.approx(kb * (1 + a * (1 + tau) / ka), rel=1e-12)
    ec50 = operational_ec50(ka=ka, tau=tau)
    assert closed == pytest.approx(leff_dougall_ic50(kb=kb, agonist=a, ec50=ec50), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    log_tau=st.floats(-1, 3),
    n=st.floats(0.5, 3),
    log_ratio=st.floats(-2, 2),
)
def test_closed_form_ic50_halves_the_response(log_tau: float, n: float, log_ratio: float) -> None:
    ka, kb, tau = 1e-8, 1e-9, 10.0**log_tau
    a = ka * 10.0**log_ratio
    ic50 = operational_ic50(kb=kb, agonist=a, ka=ka, tau=tau, n=n)
    full = operational_effect(a, ka=ka, tau=tau, n=n)
    at_ic50 = operational_effect(a, ka=ka * (1 + ic50 / kb), tau=tau, n=n)
    assert at_ic50 == pytest.approx(full / 2, rel=1e-9)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: gaddum_dose_ratio(antagonist=-1.0, kb=1e-9), "antagonist"),
        (lambda: gaddum_dose_ratio(antagonist=1e-9, kb=0.0), "kb"),
        (lambda: pa2_from_dose_ratio(dose_ratio=0.9, antagonist=1e-9), "dose_ratio"),
        (lambda: operational_ec50(ka=1e-9, tau=-2.0), "tau"),
        (lambda: operational_ic50(kb=1e-9, agonist=1e-9, ka=1e-9, tau=1.0, n=0.0), "n"),
        (lambda: operational_effect(-1e-9, ka=1e-9, tau=1.0), "agonist"),
        (lambda: schild_regression([1e-9], [3.0]), "antagonist"),
        (lambda: schild_regression([1e-9, 1e-8], [3.0, 1.0]), "dose_ratio"),
    ],
)
def test_bad_input_names_the_field(call, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=field):
        call()


@pytest.mark.parametrize("koff", [1e-4, 1e-3, 1e-2])
def test_hemi_equilibrium_against_mass_action_ode(koff: float) -> None:
    """Full mass action (agonist kon 1e10 /M/s, fast; antagonist kon = koff / Kb) integrated with
    scipy, against the closed form that assumes the agonist equilibrates instantly."""
    from scipy.integrate import solve_ivp

    from cxcr4lab.receptor.operational import hemi_equilibrium_occupancy

    ka, kb, a, b = 3e-9, 1.5e-10, 12.56e-9, 1e-9
    kon_a = 1e10
    koff_a, kon_b = kon_a * ka, koff / kb

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        ra, rb = y
        free = 1.0 - ra - rb
        return [kon_a * a * free - koff_a * ra, kon_b * b * free - koff * rb]

    y0 = [0.0, (b / kb) / (1 + b / kb)]
    times = [10.0, 300.0, 3000.0]
    sol = solve_ivp(rhs, (0, times[-1]), y0, t_eval=times, method="LSODA", rtol=1e-10, atol=1e-12)
    for t, ra in zip(times, sol.y[0], strict=True):
        closed = hemi_equilibrium_occupancy(
            agonist=a, antagonist=b, ka=ka, kb=kb, koff=koff, time_s=t
        )
        assert closed == pytest.approx(ra, rel=2e-3)


def test_hemi_equilibrium_limits() -> None:
    from cxcr4lab.receptor.operational import hemi_equilibrium_occupancy

    kw = {"agonist": 1e-8, "antagonist": 1e-9, "ka": 3e-9, "kb": 1e-10, "koff": 1e-3}
    late = hemi_equilibrium_occupancy(**kw, time_s=1e6)
    assert late == pytest.approx(gaddum_occupancy(agonist=1e-8, antagonist=1e-9, ka=3e-9, kb=1e-10))
    early = hemi_equilibrium_occupancy(**kw, time_s=0.0)
    assert early == pytest.approx((1 / 11) * (10 / 3) / (1 + 10 / 3), rel=1e-12)  # pre-block
    assert early < late
    with pytest.raises(InputError, match="koff"):
        hemi_equilibrium_occupancy(**{**kw, "koff": 0.0}, time_s=1.0)
