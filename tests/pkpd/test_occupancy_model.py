"""Unbound concentration -> occupancy: hand-worked cases, invariants, time above target."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from cxcr4lab.core.errors import InputError, UnitError
from cxcr4lab.pkpd.occupancy_model import (
    BALIXAFORTIDE_FU,
    OccupancyCourse,
    OccupancyModel,
    occupancy_course,
    time_above,
)


def test_balixafortide_defaults_from_registry_and_seed_facts() -> None:
    m = OccupancyModel.for_compound("POL6326", kd_molar=1e-9)
    assert m.compound == "balixafortide"
    assert m.mw_g_per_mol == pytest.approx(1864.1)
    assert m.fu == BALIXAFORTIDE_FU == pytest.approx(1 - 0.32)
    with pytest.raises(InputError, match="fu"):
        OccupancyModel.for_compound("plerixafor", kd_molar=1e-9)


def test_hand_worked_occupancy() -> None:
    m = OccupancyModel.for_compound("balixafortide", kd_molar=1e-9)
    # 1000 ng/mL = 1e-3 g/L; / 1864.1 g/mol = 5.36452e-7 mol/L total; x 0.68 unbound
    total = m.to_molar([1000.0], "ng/mL")[0]
    assert total == pytest.approx(1e-3 / 1864.1, rel=1e-12)
    cu = 0.68 * 1e-3 / 1864.1
    assert m.occupancy(total) == pytest.approx(cu / (cu + 1e-9), rel=1e-12)
    # total 3/0.68 nM -> unbound 3 nM = 3 Kd -> RO = 3/4
    assert m.occupancy(3e-9 / 0.68) == pytest.approx(0.75, rel=1e-12)
    assert m.to_molar([2.0], "nM")[0] == pytest.approx(2e-9)
    assert m.occupancy(0.0) == 0.0


def test_hill_and_competition_hand_worked() -> None:
    # Hill 2 at Cu = 2 Kd: 4 / (4 + 1) = 0.8
    assert OccupancyModel(1e-9, fu=1.0, hill=2.0).occupancy(2e-9) == pytest.approx(0.8)
    # CXCL12 at L = 3 KL quadruples the apparent Kd: Cu = Kd gives 1/5
    m = OccupancyModel(1e-9, fu=1.0, ligand_molar=3e-9, kl_molar=1e-9)
    assert m.apparent_kd == pytest.approx(4e-9)
    assert m.occupancy(1e-9) == pytest.approx(0.2)


def test_unbound_for_occupancy_inverts_occupancy() -> None:
    m = OccupancyModel(2e-9, fu=0.68, hill=1.3, ligand_molar=1e-9, kl_molar=5e-9)
    for target in (0.1, 0.5, 0.9, 0.99):
        ref = optimize.brentq(
            lambda c, target=target: float(m.occupancy_of_unbound(c)) - target,
            1e-15,
            1e-3,
            xtol=1e-20,
        )
        assert m.unbound_for_occupancy(target) == pytest.approx(ref, rel=1e-8)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e-3, allow_subnormal=False), min_size=2, max_size=20),
    st.floats(1e-12, 1e-6),
    st.floats(0.3, 3.0),
    st.floats(0.0, 1e-6),
)
def test_occupancy_is_bounded_and_monotone(
    conc: list[float], kd: float, hill: float, ligand: float
) -> None:
    m = OccupancyModel(kd, fu=0.68, hill=hill, ligand_molar=ligand, kl_molar=1e-9)
    c = np.sort(np.asarray(conc))
    ro = m.occupancy(c)
    assert np.all((ro >= 0) & (ro <= 1))
    assert np.all(np.diff(ro) >= 0)
    # more CXCL12 never raises occupancy
    more = OccupancyModel(kd, fu=0.68, hill=hill, ligand_molar=ligand + 1e-9, kl_molar=1e-9)
    assert np.all(more.occupancy(c) <= ro + 1e-15)


def test_time_above_hand_worked() -> None:
    # triangle 0 -> 1 -> 0 over 2 h: above 0.5 from 0.5 h to 1.5 h
    assert time_above([0, 1, 2], [0, 1, 0], 0.5) == pytest.approx(1.0)
    # always above, never above, exactly on the threshold counts as above
    assert time_above([0, 2, 5], [1, 1, 1], 0.5) == pytest.approx(5.0)
    assert time_above([0, 2, 5], [0, 0.2, 0.1], 0.5) == 0.0
    # two excursions: [0, 4] with values 0, 1, 0, 1, 0 above 0.75: 4 x 0.25 h
    assert time_above([0, 1, 2, 3, 4], [0, 1, 0, 1, 0], 0.75) == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=12), st.floats(0.05, 0.95))
def test_time_above_matches_a_dense_grid(values: list[float], threshold: float) -> None:
    t = np.arange(len(values), dtype=float)
    grid = np.linspace(0, t[-1], 200001)
    dense = np.interp(grid, t, values) >= threshold
    approx = dense[:-1].mean() * t[-1]
    assert time_above(t, values, threshold) == pytest.approx(approx, abs=2e-4 * len(values))


def test_course_round_trip_and_summary() -> None:
    m = OccupancyModel.for_compound("balixafortide", kd_molar=1e-9)
    times = [0.0, 1.0, 2.0, 6.0, 12.0, 24.0]
    conc = [0.0, 5000.0, 8000.0, 900.0, 150.0, 10.0]  # ng/mL
    course = occupancy_course(m, times, conc, "ng/mL", source="simulated")
    assert course.kind == "occupancy_course"
    back = OccupancyCourse.from_dict(json.loads(json.dumps(course.to_dict())))
    assert back == course
    s = course.summary()
    assert list(s.columns) == ["time (h)", "C total (nM)", "C unbound (nM)", "occupancy (%)"]
    assert s["C unbound (nM)"].to_numpy() == pytest.approx(0.68 * s["C total (nM)"].to_numpy())
    assert course.time_above(0.9) == pytest.approx(time_above(times, list(course.occupancy), 0.9))
    assert 0 < course.time_above(0.99) < course.time_above(0.9) <= 24.0


def test_bad_input() -> None:
    m = OccupancyModel(1e-9)
    with pytest.raises(UnitError, match="molecular weight"):
        m.to_molar([1.0], "ng/mL")
    with pytest.raises(UnitError):
        m.to_molar([1.0], "mg")
    with pytest.raises(InputError, match="negative"):
        m.occupancy([-1e-9])
    with pytest.raises(InputError, match="kl_molar"):
        OccupancyModel(1e-9, ligand_molar=1e-9)
    with pytest.raises(InputError, match="fu"):
        OccupancyModel(1e-9, fu=1.5)
    with pytest.raises(InputError, match="times must increase"):
        occupancy_course(m, [0, 2, 1], [1, 1, 1], "nM")
    with pytest.raises(InputError, match="3 times but 2"):
        occupancy_course(m, [0, 1, 2], [1, 1], "nM")
    with pytest.raises(InputError, match="times must increase"):
        time_above([0, 0], [1, 1], 0.5)
    with pytest.raises(InputError, match="target"):
        occupancy_course(m, [0, 1], [1, 1], "nM").time_above(1.5)
    with pytest.raises(InputError, match="occupancy must be in"):
        m.unbound_for_occupancy(1.0)


def test_course_follows_the_result_protocol() -> None:
    course = occupancy_course(OccupancyModel(1e-9), [0.0, 1.0], [1.0, 2.0], "nM")
    assert course.potencies() == []
    assert OccupancyCourse.kind == "occupancy_course"
