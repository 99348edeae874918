"""Vectorised log-rank against scipy.stats.logrank; simulator properties."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cxcr4lab.clinical.design import logrank_power
from cxcr4lab.clinical.trials import (
    ArmSpec,
    TrialDesign,
    TrialSimulation,
    logrank_batch,
    proportion_ci,
    sample_piecewise_exponential,
    simulate_trials,
)
from cxcr4lab.core.errors import InputError


def _scipy(t: np.ndarray, e: np.ndarray, a: np.ndarray) -> tuple[float, float]:
    x = stats.CensoredData(uncensored=t[(a == 0) & e], right=t[(a == 0) & ~e])
    y = stats.CensoredData(uncensored=t[(a == 1) & e], right=t[(a == 1) & ~e])
    with warnings.catch_warnings():  # scipy divides by a zero variance when nothing is at risk
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        r = stats.logrank(x, y)
    return float(r.statistic), float(r.pvalue)


@pytest.mark.parametrize("ties", [False, True])
def test_logrank_batch_equals_scipy(ties: bool) -> None:
    rng = np.random.default_rng(11)
    t = rng.exponential(5.0, (60, 50))
    if ties:
        t = np.round(t)  # many tied times, including ties across event and censoring
    e = rng.random(t.shape) < 0.7
    a = (rng.random(t.shape) < 0.5).astype(int)
    z, p = logrank_batch(t, e, a)
    for i in range(len(t)):
        sz, sp = _scipy(t[i], e[i], a[i])
        assert abs(sp - p[i]) < 1e-10 and abs(sz - z[i]) < 1e-10


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.booleans(), st.integers(0, 1)), min_size=4, max_size=30
    ).filter(lambda r: 0 < sum(x[2] for x in r) < len(r) and any(x[1] for x in r))
)
def test_logrank_batch_equals_scipy_on_heavy_ties(rows: list[tuple[int, bool, int]]) -> None:
    t = np.array([[float(r[0]) for r in rows]])
    e = np.array([[r[1] for r in rows]])
    a = np.array([[r[2] for r in rows]])
    z, p = logrank_batch(t, e, a)
    sz, sp = _scipy(t[0], e[0], a[0])
    if np.isnan(sp):
        assert np.isnan(p[0])
    else:
        assert abs(sp - p[0]) < 1e-10 and abs(sz - z[0]) < 1e-10


def test_logrank_batch_refuses_bad_times() -> None:
    with pytest.raises(InputError, match="time"):
        logrank_batch(np.array([[1.0, -1.0]]), np.array([[True, True]]), np.array([[0, 1]]))
    with pytest.raises(InputError, match="arm must be 0"):
        logrank_batch(np.array([[1.0, 2.0]]), np.array([[True, True]]), np.array([[0, 2]]))


def test_logrank_batch_across_chunks_with_a_shared_arm_row(monkeypatch: pytest.MonkeyPatch) -> None:
    import cxcr4lab.clinical.trials as trials

    monkeypatch.setattr(trials, "_CHUNK_BYTES", 8 * 40 * 7)  # 7 rows of 40 patients per chunk
    rng = np.random.default_rng(4)
    t = rng.exponential(5.0, (30, 40))
    t[3] = np.round(t[3])  # one tied row among untied ones, in the first chunk
    t[22, :2] = 0.0  # zero times (and a -0.0) in a later chunk
    t[22, 2] = -0.0
    e = rng.random(t.shape) < 0.6
    arm_row = np.r_[np.ones(20, dtype=np.int64), np.zeros(20, dtype=np.int64)]
    z, p = logrank_batch(t, e, arm_row)  # one arm row for every replicate (broadcast)
    for i in range(len(t)):
        sz, sp = _scipy(t[i], e[i], arm_row)
        assert abs(sp - p[i]) < 1e-10 and abs(sz - z[i]) < 1e-10


def test_piecewise_exponential_median_and_pieces() -> None:
    rng = np.random.default_rng(2)
    t = sample_piecewise_exponential(rng, (200_000,), (4.0,))
    assert np.median(t) == pytest.approx(4.0, rel=0.01)
    t2 = sample_piecewise_exponential(rng, (200_000,), (2.0, 8.0), (2.0,))
    # P(T > 2) = 0.5 (first piece's median is 2); beyond, hazard ln2/8.
    assert np.mean(t2 > 2.0) == pytest.approx(0.5, abs=0.005)
    assert np.median(t2[t2 > 2.0] - 2.0) == pytest.approx(8.0, rel=0.02)
    with pytest.raises(InputError, match="medians"):
        sample_piecewise_exponential(rng, (3,), (1.0, 2.0))


def test_null_type_i_error_and_power_against_schoenfeld() -> None:
    null = TrialDesign(ArmSpec("c", 0.13, (4.0,)), ArmSpec("t", 0.13, (4.0,)), n=200)
    sim = simulate_trials(null, 4000, seed=5)
    assert sim.power_tte_ci[0] < 0.05 < sim.power_tte_ci[1] + 0.01
    assert sim.power_orr < 0.07
    # Alternative, no censoring to speak of: power close to Schoenfeld's with the mean events.
    alt = TrialDesign(
        ArmSpec("c", 0.13, (4.0,)), ArmSpec("t", 0.30, (6.0,)), n=200, analysis_months=60
    )
    s2 = simulate_trials(alt, 4000, seed=6)
    expected = logrank_power(4.0 / 6.0, s2.mean_events)
    assert s2.power_tte == pytest.approx(expected, abs=0.03)
    # ORR power vs the normal approximation (R power.prop.test formula) at 100 per arm.
    from cxcr4lab.clinical.design import two_proportion_power

    assert s2.power_orr == pytest.approx(two_proportion_power(0.13, 0.30, 100), abs=0.03)
    assert TrialSimulation.from_dict(json.loads(json.dumps(s2.to_dict()))) == s2


def test_wilson_interval_against_published() -> None:
    # Wilson 95% interval for 81/263 (Newcombe 1998, Table I example): 0.2553-0.3662
    lo, hi = proportion_ci(81, 263)
    assert (lo, hi) == (pytest.approx(0.2553, abs=1e-4), pytest.approx(0.3662, abs=1e-4))


def test_bad_designs() -> None:
    with pytest.raises(InputError, match="ORR"):
        ArmSpec("c", 1.3, (4.0,))
    with pytest.raises(InputError, match="medians"):
        ArmSpec("c", 0.1, (-4.0,))
    with pytest.raises(InputError, match="n must be"):
        TrialDesign(ArmSpec("c", 0.1, (4.0,)), ArmSpec("t", 0.1, (4.0,)), n=2)
    with pytest.raises(InputError, match="replicates"):
        simulate_trials(TrialDesign(ArmSpec("c", 0.1, (4.0,)), ArmSpec("t", 0.1, (4.0,))), 0)
