"""libroadrunner with the dosing template as SBML events agrees with scipy and our kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.neutropenia import eribulin_neutropenia_model
from cxcr4lab.pkpd.pk import two_compartment
from cxcr4lab.sim import (
    Schedule,
    bolus,
    combine,
    infusion,
    run_packed,
    schedules,
    simulate,
)
from cxcr4lab.sim.crosscheck import RoadRunnerEventSimulator, RoadRunnerSimulator
from cxcr4lab.sim.events import pack


def test_events_match_solve_ivp_with_a_dose_at_zero_and_doses_at_output_times() -> None:
    m = two_compartment(CL=2.0, V1=8.0, Q2=4.0, V2=20.0)

    def doses(f: float) -> pd.DataFrame:
        return combine(
            bolus(30.0 * f, time=0.0),
            infusion(100.0 * f, duration=2.0, time=6.0),
            bolus(30.0 * f, time=12.0),
        )

    ev = doses(1.0)
    t = np.arange(0.0, 30.5, 0.5)  # 0, 6, 8 and 12 h are output times
    scale = np.array([1.7, 1.0])  # doses into the central compartment x 1.7
    ours = simulate(m, doses(1.7), t, method="LSODA", rtol=1e-11, atol=1e-13)
    rr = RoadRunnerEventSimulator(m, schedules(ev, n_states=2)[1], rtol=1e-11, atol=1e-14)
    theirs = rr.run(m.parameter_vector(), t, scale)
    for i, name in enumerate(rr.names):
        ref = ours[name]
        np.testing.assert_allclose(theirs[i], ref, rtol=1e-6, atol=1e-9 * np.abs(ref).max())


def test_event_runner_nadirs_match_kernel_and_segment_runner() -> None:
    m = eribulin_neutropenia_model(with_balixafortide=True)
    one = combine(
        *[infusion(5.5, duration=2.0, time=(d - 1) * 24.0, cmt=1) for d in (1, 2, 3, 8, 9, 10)],
        *[bolus(1.4, time=(d - 1) * 24.0, cmt=2) for d in (2, 9)],
    )
    template = schedules(one, n_states=len(m.states))[1]
    t = np.arange(0.0, 21 * 24.0 + 1.0)
    rng = np.random.default_rng(7)
    P = np.tile(m.parameter_vector(), (3, 1))
    for name in ("CL", "V1", "Circ0", "MTT", "SLOPE"):
        P[:, m.parameter_names.index(name)] *= np.exp(rng.normal(0.0, 0.3, 3))
    wt, bsa = np.array([55.0, 70.0, 95.0]), np.array([1.6, 1.8, 2.1])
    et, ek, ec, ev, ne = pack([template] * 3)
    ev = ev * np.where(ec == 0, wt[:, None], bsa[:, None])
    out, _ = run_packed(m, P, (et, ek, ec, ev, ne), t, observe=["ANC"], rtol=1e-9, atol=1e-12)
    kernel = out[:, 0, :].min(axis=1)
    events = RoadRunnerEventSimulator(m, template, rtol=1e-9, atol=1e-12, observe=["ANC"])
    segments = RoadRunnerSimulator(m, rtol=1e-9, atol=1e-12)
    i_anc = segments.names.index("ANC")
    scale = np.ones(len(m.states))
    for s in range(3):
        scale[0], scale[1] = wt[s], bsa[s]
        nadir = events.run(P[s], t, scale)[0].min()
        q = int(ne[s])
        sched = Schedule(et[s, :q], ek[s, :q], ec[s, :q], ev[s, :q])
        by_segment = segments.run(P[s], sched, t)[i_anc].min()
        assert nadir == pytest.approx(kernel[s], rel=1e-4)
        assert nadir == pytest.approx(by_segment, rel=1e-4)
        assert nadir < 0.9 * P[s, m.parameter_names.index("Circ0")]  # the doses did act


def test_event_runner_refuses_resets_and_bad_scales() -> None:
    m = two_compartment(CL=2.0, V1=8.0, Q2=4.0, V2=20.0)
    reset = Schedule(np.array([0.0]), np.array([2]), np.array([0]), np.array([0.0]))
    with pytest.raises(InputError, match="resets"):
        RoadRunnerEventSimulator(m, reset)
    rr = RoadRunnerEventSimulator(m, schedules(bolus(1.0), n_states=2)[1])
    with pytest.raises(InputError, match="scale"):
        rr.run(m.parameter_vector(), np.arange(3.0), np.array([1.0, -1.0]))
