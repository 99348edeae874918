"""The batch kernel shares the subjects among numba's threads in chunks claimed as threads come
free, and computes only what the chosen observables read: no trajectory may depend on the
number of threads, the chunk size or which other observables were asked for."""

from __future__ import annotations

import numba
import numpy as np

from cxcr4lab.core.parallel import run_chunked
from cxcr4lab.pkpd.neutropenia import eribulin_neutropenia_model
from cxcr4lab.sim import bolus, combine, infusion, run_packed, schedules
from cxcr4lab.sim.codegen import generated_module
from cxcr4lab.sim.events import pack

MODEL = eribulin_neutropenia_model(with_balixafortide=True)
T = np.arange(0.0, 24.0 * 21 + 1, 2.0)


def _population(n: int) -> tuple[np.ndarray, tuple]:  # type: ignore[type-arg]
    rng = np.random.default_rng(41)
    P = np.tile(MODEL.parameter_vector(), (n, 1))
    for name in ("CL", "V1", "CL_B", "SLOPE", "MTT"):
        P[:, MODEL.parameter_names.index(name)] *= np.exp(rng.normal(0.0, 0.3, n))
    dosing = combine(infusion(385.0, duration=2.0, time=0.0, cmt=1), bolus(2.5, time=24.0, cmt=2))
    base = schedules(dosing, n_states=len(MODEL.states))[1]
    return P, pack([base] * n)


def test_one_thread_equals_all_threads() -> None:
    P, packed = _population(13)
    every, steps = run_packed(MODEL, P, packed, T, observe=["ANC", "Ce"])
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        one, steps_1 = run_packed(MODEL, P, packed, T, observe=["ANC", "Ce"])
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, every)
    np.testing.assert_array_equal(steps_1, steps)
    assert np.isfinite(every).all() and (steps > 0).all()


def test_chunks_and_threads_do_not_change_a_trajectory() -> None:
    n = 11
    P, packed = _population(n)
    mod = generated_module(MODEL)
    names = MODEL.output_names + MODEL.state_names
    sel = np.array([names.index("ANC"), names.index("Ce")], dtype=np.int64)
    need = mod.DEPS[sel].any(axis=0)
    args = (P, *(np.ascontiguousarray(a) for a in packed), T, sel, need, 1e-6, 1e-9, np.inf, 10**6)

    def run(n_threads: int, chunk: int) -> np.ndarray:
        out = np.full((n, 2, T.size), np.nan)
        steps = np.zeros(n, dtype=np.int64)
        run_chunked(mod.simulate_chunks, n, *args, out, steps, n_threads=n_threads, chunk=chunk)
        return out

    serial = run(1, n)
    for n_threads, chunk in [(1, 1), (2, 1), (2, 4), (3, 2)]:
        np.testing.assert_array_equal(run(n_threads, chunk), serial)


def test_observing_a_few_gives_what_observing_all_gives() -> None:
    # the kernel interpolates only the states the chosen observables read (and, of the exactly
    # solved PK block, only the modes those use): the values must be those of a full run
    P, packed = _population(5)
    names = list(MODEL.output_names + MODEL.state_names)
    every, steps = run_packed(MODEL, P, packed, T)
    for chosen in (["ANC"], ["Ce"], ["Cb", "T2"], ["E3", "ANC", "B2"]):
        some, steps_some = run_packed(MODEL, P, packed, T, observe=chosen)
        np.testing.assert_array_equal(some, every[:, [names.index(c) for c in chosen]])
        np.testing.assert_array_equal(steps_some, steps)
