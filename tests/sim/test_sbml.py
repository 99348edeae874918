"""SBML export simulated by libroadrunner (CVODE) agrees with our engines to relative 1e-6."""

from __future__ import annotations

import libsbml
import numpy as np

from cxcr4lab.pkpd.neutropenia import eribulin_neutropenia_model
from cxcr4lab.pkpd.pk import two_compartment
from cxcr4lab.sim import bolus, combine, infusion, schedules, simulate, simulate_population, to_sbml
from cxcr4lab.sim.crosscheck import RoadRunnerSimulator


def test_export_is_valid_sbml() -> None:
    doc = libsbml.readSBMLFromString(to_sbml(eribulin_neutropenia_model()))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    m = doc.getModel()
    assert m.getNumRules() == 8 + 2  # one rate rule per state, one assignment per output
    assert m.getNumInitialAssignments() == 5  # Friberg states start at Circ0


def test_roadrunner_matches_solve_ivp_for_pk_with_infusions_and_boluses() -> None:
    m = two_compartment(CL=2.0, V1=8.0, Q2=4.0, V2=20.0)
    ev = combine(infusion(100.0, duration=2.0, ii=24.0, addl=2), bolus(30.0, time=7.5))
    t = np.linspace(0.0, 80.0, 161)
    ours = simulate(m, ev, t, method="LSODA", rtol=1e-11, atol=1e-13)
    rr = RoadRunnerSimulator(m, rtol=1e-11, atol=1e-14)
    theirs = rr.run(m.parameter_vector(), schedules(ev, n_states=2)[1], t)
    for i, name in enumerate(rr.names):
        ref = ours[name]
        np.testing.assert_allclose(theirs[i], ref, rtol=1e-6, atol=1e-9 * np.abs(ref).max())


def test_roadrunner_matches_batch_kernel_for_friberg() -> None:
    m = eribulin_neutropenia_model()
    ev = combine(bolus(2.5, time=0.0), bolus(2.5, time=168.0))
    t = np.arange(0.0, 21 * 24.0 + 1, 12.0)
    pop = simulate_population(m, ev, t, rtol=1e-10, atol=1e-13)
    rr = RoadRunnerSimulator(m, rtol=1e-11, atol=1e-14)
    theirs = rr.run(m.parameter_vector(), schedules(ev, n_states=len(m.states))[1], t)
    anc = pop.values["ANC"][0]
    np.testing.assert_allclose(theirs[rr.names.index("ANC")], anc, rtol=1e-6)
