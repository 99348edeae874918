"""ODE paths against each other and against textbook closed forms.

References no one here wrote: the closed forms of the 1-compartment bolus (C0 e^-kt) and the
2-compartment bolus (A e^-alpha t + B e^-beta t, alpha/beta from the micro-constants; Gibaldi &
Perrier, Pharmacokinetics, 2nd ed., ch. 2), scipy's ``solve_ivp`` and ``scipy.linalg.expm``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import expm

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.neutropenia import eribulin_neutropenia_model
from cxcr4lab.pkpd.pk import one_compartment, three_compartment, two_compartment
from cxcr4lab.sim import (
    PopulationResult,
    SimResult,
    bolus,
    combine,
    infusion,
    simulate,
    simulate_analytic,
    simulate_population,
    system_matrix,
)

TIMES = np.linspace(0.0, 72.0, 73)
EVENTS = combine(
    infusion(100.0, duration=2.0, ii=24.0, addl=2), bolus(40.0, time=5.5), bolus(10.0, time=30.0)
)


def test_one_compartment_bolus_closed_form() -> None:
    m = one_compartment(CL=3.0, V1=30.0)
    t = np.array([0.0, 0.5, 3.0, 10.0, 48.0])
    expected = 100.0 / 30.0 * np.exp(-0.1 * t)
    np.testing.assert_allclose(simulate_analytic(m, bolus(100.0), t).values["Cp"][0], expected,
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(simulate(m, bolus(100.0), t, rtol=1e-11, atol=1e-14)["Cp"],
                               expected, rtol=1e-8)  # fmt: skip


def test_two_compartment_bolus_closed_form() -> None:
    CL, V1, Q, V2, dose = 4.0, 10.0, 6.0, 40.0, 200.0
    k10, k12, k21 = CL / V1, Q / V1, Q / V2
    s = k10 + k12 + k21
    alpha = (s + math.sqrt(s * s - 4 * k10 * k21)) / 2
    beta = (s - math.sqrt(s * s - 4 * k10 * k21)) / 2
    A = dose / V1 * (alpha - k21) / (alpha - beta)
    B = dose / V1 * (k21 - beta) / (alpha - beta)
    t = np.array([0.0, 0.1, 1.0, 5.0, 24.0, 72.0])
    expected = A * np.exp(-alpha * t) + B * np.exp(-beta * t)
    m = two_compartment(CL=CL, V1=V1, Q2=Q, V2=V2)
    np.testing.assert_allclose(simulate_analytic(m, bolus(dose), t).values["Cp"][0], expected,
                               rtol=1e-11)  # fmt: skip
    for method in ("LSODA", "BDF", "RK45"):
        got = simulate(m, bolus(dose), t, method=method, rtol=1e-10, atol=1e-12)["Cp"]
        np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("model", [one_compartment(), two_compartment(), three_compartment()])
def test_analytic_matches_solve_ivp_for_any_event_list(model: object) -> None:
    from cxcr4lab.sim import Model

    assert isinstance(model, Model)
    ana = simulate_analytic(model, EVENTS, TIMES)
    ode = simulate(model, EVENTS, TIMES, method="LSODA", rtol=1e-10, atol=1e-12)
    for name in ("Cp", *model.state_names):
        np.testing.assert_allclose(ana.values[name][0], ode[name], rtol=1e-6,
                                   atol=1e-9 * np.abs(ode[name]).max())  # fmt: skip


def test_system_matrix_matches_expm_propagation() -> None:
    m = three_compartment()
    K = system_matrix(m, m.parameter_vector())
    y = expm(K * 7.0) @ np.array([50.0, 0.0, 0.0])
    got = simulate_analytic(m, bolus(50.0), [7.0])
    np.testing.assert_allclose([got.values[s][0, 0] for s in m.state_names], y, rtol=1e-10)


def test_analytic_refuses_nonlinear_model() -> None:
    with pytest.raises(InputError, match="not linear"):
        simulate_analytic(eribulin_neutropenia_model(), bolus(1.0), [0.0, 1.0])


def test_batched_matches_solve_ivp_per_subject() -> None:
    m = eribulin_neutropenia_model()
    ev = combine(bolus(2.5, time=0.0), bolus(2.5, time=168.0))
    t = np.arange(0.0, 21 * 24.0 + 1, 6.0)
    params = pd.DataFrame({"SLOPE": [0.03, 0.0451, 0.08], "MTT": [90.0, 109.0, 130.0]})
    pop = simulate_population(m, ev, t, params, rtol=1e-9, atol=1e-12)
    for s in range(3):
        ref = simulate(m, ev, t, dict(params.iloc[s]), method="LSODA", rtol=1e-10, atol=1e-12)
        for name in ("ANC", "Ce", "Prol"):
            np.testing.assert_allclose(pop.values[name][s], ref[name], rtol=1e-6,
                                       atol=1e-9 * np.abs(ref[name]).max())  # fmt: skip
    assert (pop.steps > 0).all()


def test_batched_without_drug_stays_at_baseline() -> None:
    m = eribulin_neutropenia_model()
    t = np.linspace(0.0, 500.0, 11)
    pop = simulate_population(m, bolus(1e-300, time=0.0), t, {"Circ0": [2.0, 5.0]})
    np.testing.assert_allclose(pop.values["ANC"][0], 2.0, rtol=1e-12)
    np.testing.assert_allclose(pop.values["ANC"][1], 5.0, rtol=1e-12)


def test_results_round_trip_through_json() -> None:
    m = two_compartment()
    r = simulate(m, EVENTS, TIMES[:5])
    assert SimResult.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    p = simulate_analytic(m, EVENTS, TIMES[:5])
    assert PopulationResult.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    summary = p.summary()
    assert "time of min (h)" in summary.columns and len(summary) == len(p.values)
    assert "Cp (mg/L)" in r.summary().columns


def test_bad_times_and_method() -> None:
    m = one_compartment()
    with pytest.raises(InputError, match="increasing"):
        simulate(m, bolus(1.0), [0.0, 2.0, 1.0])
    with pytest.raises(InputError, match="method"):
        simulate(m, bolus(1.0), [0.0, 1.0], method="Euler")
    with pytest.raises(InputError) as err:
        simulate_analytic(m, bolus(1.0), [0.0, 1.0], {"CL": [1.0, float("nan")]})
    assert err.value.place.column == "CL" and err.value.place.row == 3
