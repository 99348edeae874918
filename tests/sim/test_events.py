"""Dosing events: NONMEM semantics (ADDL/II, infusions, resets) and bad records naming the row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.pk import one_compartment
from cxcr4lab.sim import (
    bolus,
    combine,
    cycles,
    expand,
    infusion,
    observations,
    schedules,
    simulate,
    simulate_analytic,
    validate_events,
)
from cxcr4lab.sim.events import BOLUS, RATE_CHANGE, RESET
from cxcr4lab.sim.linear import analytic_batch


def _rec(**kw: float) -> dict[str, float]:
    base = {"ID": 1, "TIME": 0.0, "EVID": 1, "AMT": 10.0, "RATE": 0.0, "II": 0.0, "ADDL": 0,
            "CMT": 1}  # fmt: skip
    base.update(kw)
    return base


def test_addl_ii_expands_to_explicit_doses() -> None:
    ev = bolus(10.0, ii=12.0, addl=3)
    ex = expand(validate_events(ev))
    assert ex["TIME"].tolist() == [0.0, 12.0, 24.0, 36.0]
    assert (ex["ADDL"] == 0).all() and (ex["AMT"] == 10.0).all()


def test_infusion_becomes_two_rate_switches() -> None:
    s = schedules(infusion(100.0, duration=4.0, time=2.0), n_states=1)[1]
    assert s.time.tolist() == [2.0, 6.0]
    assert s.kind.tolist() == [RATE_CHANGE, RATE_CHANGE]
    assert s.value.tolist() == [25.0, -25.0]


def test_cycles_repeat_the_pattern() -> None:
    one = combine(infusion(5.0, duration=2.0, time=0.0), bolus(1.0, time=24.0, cmt=1))
    ev = cycles(one, n_cycles=3, cycle_h=504.0)
    assert ev["TIME"].tolist() == [0.0, 24.0, 504.0, 528.0, 1008.0, 1032.0]


def test_overlapping_infusions_are_refused_unless_allowed() -> None:
    ev = combine(infusion(10.0, duration=4.0), infusion(10.0, duration=4.0, time=2.0))
    with pytest.raises(InputError, match="overlaps") as err:
        validate_events(ev)
    assert err.value.place.row == 3
    s = schedules(ev, n_states=1, allow_overlap=True)[1]
    # rates add while both run: +2.5 at 0, +2.5 at 2, -2.5 at 4, -2.5 at 6
    assert s.time.tolist() == [0.0, 2.0, 4.0, 6.0]
    model = one_compartment(CL=2.0, V1=10.0)
    times = np.array([1.0, 3.0, 5.0, 8.0])
    got = analytic_batch(model, model.parameter_vector()[None, :], [s], times)[0, 0]
    k = 0.2

    def one(t: np.ndarray, start: float) -> np.ndarray:  # 1-cmt infusion, textbook form
        tau = np.clip(t - start, 0.0, None)
        during = 2.5 / k * (1 - np.exp(-k * np.minimum(tau, 4.0)))
        return np.where(tau > 4.0, during * np.exp(-k * (tau - 4.0)), during)

    np.testing.assert_allclose(got, one(times, 0.0) + one(times, 2.0), rtol=1e-12)


def test_reset_evid3_returns_to_initial_state_and_stops_infusion() -> None:
    model = one_compartment(CL=1.0, V1=10.0)
    ev = pd.DataFrame([_rec(TIME=0.0, RATE=1.0, AMT=100.0), _rec(TIME=10.0, EVID=3, AMT=0.0)])
    times = np.array([5.0, 10.0, 20.0])
    res = simulate(model, ev, times)
    assert res["A1"][1] == 0.0 and res["A1"][2] == 0.0  # infusion stopped by the reset
    assert res["A1"][0] > 0


def test_reset_and_dose_evid4_equals_a_fresh_dose() -> None:
    model = one_compartment(CL=1.0, V1=10.0)
    ev = pd.DataFrame([_rec(TIME=0.0, AMT=50.0), _rec(TIME=10.0, EVID=4, AMT=20.0)])
    times = np.array([10.0, 15.0])
    res = simulate(model, ev, times)
    expected = 20.0 * np.exp(-0.1 * (times - 10.0))  # closed form; the first dose is gone
    np.testing.assert_allclose(res["A1"], expected, rtol=1e-7)
    ana = simulate_analytic(model, ev, times)
    np.testing.assert_allclose(ana.values["A1"][0], expected, rtol=1e-12)
    assert schedules(ev, n_states=1)[1].kind.tolist() == [BOLUS, RESET, BOLUS]


def test_observation_records_pass() -> None:
    ev = combine(bolus(1.0), observations([1.0, 2.0]))
    assert len(validate_events(ev)) == 3


@pytest.mark.parametrize(
    ("records", "column", "row", "message"),
    [
        ([_rec(AMT=-1.0)], "AMT", 2, "negative"),
        ([_rec(TIME=5.0), _rec(TIME=1.0)], "TIME", 3, "backwards"),
        ([_rec(CMT=3)], "CMT", 2, "out of range"),
        ([_rec(CMT=0)], "CMT", 2, "out of range"),
        ([_rec(TIME=-1.0)], "TIME", 2, "negative"),
        ([_rec(EVID=7)], "EVID", 2, "EVID"),
        ([_rec(ADDL=2, II=0.0)], "II", 2, "II > 0"),
        ([_rec(AMT=0.0)], "AMT", 2, "AMT > 0"),
        ([_rec(TIME=float("nan"))], "TIME", 2, "finite"),
        ([_rec(ID=1), _rec(ID=2, TIME=1.0), _rec(ID=1, TIME=2.0)], "ID", 4, "together"),
    ],
)
def test_bad_records_name_row_and_column(
    records: list[dict[str, float]], column: str, row: int, message: str
) -> None:
    with pytest.raises(InputError, match=message) as err:
        validate_events(pd.DataFrame(records), n_states=2)
    assert err.value.place.row == row
    assert err.value.place.column == column
    assert "ID" in str(err.value)


def test_duplicated_record_is_refused() -> None:
    with pytest.raises(InputError, match="duplicated") as err:
        validate_events(pd.DataFrame([_rec(), _rec()]))
    assert err.value.place.row == 3


def test_missing_required_column() -> None:
    with pytest.raises(InputError) as err:
        validate_events(pd.DataFrame({"ID": [1], "TIME": [0.0]}))
    assert err.value.place.column == "EVID"
