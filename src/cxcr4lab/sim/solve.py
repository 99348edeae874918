"""Simulate one subject with scipy (``solve_ivp``) or many with the compiled batch kernel.

Both paths integrate segment by segment between dosing changes (bolus times, infusion starts
and ends, resets), so a step never straddles a discontinuity. An output time that coincides with
a dosing change reports the state after the change (a bolus at 0 h gives ``C(0) = dose/V``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from cxcr4lab.core.errors import InputError
from cxcr4lab.sim.codegen import generated_module
from cxcr4lab.sim.events import BOLUS, RATE_CHANGE, Schedule, pack, schedules
from cxcr4lab.sim.model import Model
from cxcr4lab.sim.result import PopulationResult, SimResult

__all__ = [
    "METHODS",
    "observable_names",
    "observable_units",
    "parameter_matrix",
    "run_batch",
    "run_packed",
    "simulate",
    "simulate_population",
]

METHODS = ("LSODA", "BDF", "RK45", "DOP853", "Radau")
Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


def observable_names(model: Model) -> tuple[str, ...]:
    """Outputs first, then states: the rows the engines report."""
    return model.output_names + model.state_names


def observable_units(model: Model) -> dict[str, str]:
    return {n: model.unit_of(n) for n in observable_names(model)}


def _times(times: ArrayLike) -> Array:
    t = np.asarray(times, dtype=float).ravel()
    if t.size == 0:
        raise InputError("no output times", field="times")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise InputError("output times must be finite and >= 0 h", field="times")
    if np.any(np.diff(t) <= 0):
        raise InputError("output times must be strictly increasing", field="times")
    return t


def _one_schedule(model: Model, events: pd.DataFrame | None, id: Hashable | None) -> Schedule:
    if events is None or len(events) == 0:
        return Schedule(np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    all_ = schedules(events, n_states=len(model.states))
    if id is None:
        if len(all_) != 1:
            raise InputError(f"events hold {len(all_)} IDs; say which one", column="ID")
        return next(iter(all_.values()))
    if id not in all_:
        raise InputError(f"ID {id!r} not in the events", column="ID")
    return all_[id]


def simulate(
    model: Model,
    events: pd.DataFrame | None,
    times: ArrayLike,
    params: Mapping[str, float] | None = None,
    *,
    method: str = "LSODA",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    id: Hashable | None = None,
) -> SimResult:
    """One subject through :func:`scipy.integrate.solve_ivp` (``method`` one of :data:`METHODS`)."""
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, got {method!r}", field="method")
    t_out = _times(times)
    p = model.parameter_vector(params)
    sched = _one_schedule(model, events, id)
    mod = generated_module(model)
    ns, no = len(model.states), len(observable_names(model))
    y = np.empty(ns)
    mod.init_py(p, y)
    r = np.zeros(ns)
    out = np.full((no, t_out.size), np.nan)
    ob = np.empty(no)

    def fun(t: float, yy: Array) -> Array:
        dy = np.empty(ns)
        mod.rhs_py(t, yy, p, r, dy)
        return dy

    t = float(min(t_out[0], sched.time[0])) if sched.time.size else float(t_out[0])
    k = j = 0
    while True:
        while k < sched.time.size and sched.time[k] <= t:
            kind, c, v = sched.kind[k], sched.state[k], sched.value[k]
            if kind == BOLUS:
                y[c] += v
            elif kind == RATE_CHANGE:
                r[c] += v
                if abs(r[c]) < 1e-12 * abs(v):
                    r[c] = 0.0
            else:
                mod.init_py(p, y)
                r[:] = 0.0
            k += 1
        while j < t_out.size and t_out[j] <= t:
            mod.observe_py(t_out[j], y, p, ob)
            out[:, j] = ob
            j += 1
        if j >= t_out.size:
            break
        t_end = float(t_out[-1])
        if k < sched.time.size and sched.time[k] < t_end:
            t_end = float(sched.time[k])
        inside = t_out[(t_out > t) & (t_out < t_end)]
        sol = solve_ivp(
            fun, (t, t_end), y, method=method, t_eval=np.append(inside, t_end), rtol=rtol, atol=atol
        )
        if not sol.success:
            raise InputError(f"integration failed at {t:g} h: {sol.message}", field="simulate")
        for col, ti in enumerate(inside):
            mod.observe_py(ti, sol.y[:, col], p, ob)
            out[:, j] = ob
            j += 1
        y = sol.y[:, -1].copy()
        t = t_end
    names = observable_names(model)
    return SimResult(
        model.name,
        method,
        tuple(float(x) for x in t_out),
        {n: tuple(float(v) for v in out[i]) for i, n in enumerate(names)},
        observable_units(model),
    )


def parameter_matrix(
    model: Model, params: pd.DataFrame | Mapping[str, ArrayLike] | None, n: int | None = None
) -> Array:
    """Subjects x parameters, defaults filling absent columns; bad values name subject and field."""
    if params is None:
        return np.tile(model.parameter_vector(), (n or 1, 1))
    frame = pd.DataFrame(dict(params)) if not isinstance(params, pd.DataFrame) else params
    names = model.parameter_names
    unknown = sorted(set(frame.columns) - set(names) - {"ID"})
    if unknown:
        raise InputError(f"unknown parameter column(s) {unknown}", field=f"model {model.name!r}")
    m = len(frame)
    P = np.empty((m, len(names)))
    for i, p in enumerate(model.parameters):
        if p.name in frame.columns:
            col = pd.to_numeric(frame[p.name], errors="coerce").to_numpy(dtype=float)
            bad = np.flatnonzero(~np.isfinite(col))
            if bad.size:
                raise InputError(
                    f"value {frame[p.name].iloc[bad[0]]!r} is not finite",
                    row=int(bad[0]) + 2,
                    column=p.name,
                )
            P[:, i] = col
        else:
            P[:, i] = p.value
    return P


def run_packed(
    model: Model,
    P: Array,
    packed: tuple[Array, IntArray, IntArray, Array, IntArray],
    t_out: Array,
    *,
    observe: Sequence[str] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    h_max: float = math.inf,
    max_steps: int = 1_000_000,
    exact_linear: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The compiled kernel on packed schedules (see :func:`~cxcr4lab.sim.events.pack`).

    Returns ``(subjects x observables x times, steps per subject)``; ``observe`` picks the
    observables to keep (default all: outputs, then states), which bounds memory for big runs.
    """
    mod = generated_module(model, exact_linear=exact_linear)
    from cxcr4lab.core.parallel import run_chunked  # numba, which the kernel has loaded

    names = observable_names(model)
    chosen = list(names) if observe is None else list(observe)
    unknown = [c for c in chosen if c not in names]
    if unknown:
        raise InputError(f"no observable {unknown[0]!r} in model {model.name!r}", field="observe")
    sel = np.array([names.index(c) for c in chosen], dtype=np.int64)
    et, ek, ec, ev, ne = packed
    n = P.shape[0]
    if et.shape[0] != n:
        raise InputError(f"{et.shape[0]} schedules for {n} subjects", field="schedules")
    out = np.full((n, sel.size, t_out.size), np.nan)
    steps = np.zeros(n, dtype=np.int64)
    run_chunked(  # the subjects in chunks of at most 16, as threads come free
        mod.simulate_chunks,
        n,
        np.ascontiguousarray(P, dtype=float),
        np.ascontiguousarray(et, dtype=float),
        np.ascontiguousarray(ek, dtype=np.int64),
        np.ascontiguousarray(ec, dtype=np.int64),
        np.ascontiguousarray(ev, dtype=float),
        np.ascontiguousarray(ne, dtype=np.int64),
        np.ascontiguousarray(t_out, dtype=float),
        sel,
        np.ascontiguousarray(mod.DEPS[sel].any(axis=0)),  # the states those observables read
        float(rtol),
        float(atol),
        float(h_max),
        int(max_steps),
        out,
        steps,
        most=16,
    )
    return out, steps


def run_batch(
    model: Model,
    P: Array,
    scheds: Sequence[Schedule],
    t_out: Array,
    **options: Any,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """:func:`run_packed` on a list of schedules (one per row of ``P``)."""
    return run_packed(model, P, pack(scheds), t_out, **options)


def simulate_population(
    model: Model,
    events: pd.DataFrame,
    times: ArrayLike,
    params: pd.DataFrame | Mapping[str, ArrayLike] | None = None,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    h_max: float = math.inf,
    exact_linear: bool = True,
) -> PopulationResult:
    """Many subjects at once through the compiled Dormand-Prince kernel.

    With ``exact_linear`` a closed linear block of states (the PK) is solved exactly and only
    the rest is integrated (see :func:`~cxcr4lab.sim.codegen.linear_block`). ``params`` has one row per subject (an ``ID`` column to match the events, else rows follow
    the event IDs in order). Events holding one ID are given to every subject.
    """
    t_out = _times(times)
    by_id = schedules(events, n_states=len(model.states))
    if params is None:
        ids: list[Any] = list(by_id)
        P = parameter_matrix(model, None, len(ids))
    else:
        frame = pd.DataFrame(dict(params)) if not isinstance(params, pd.DataFrame) else params
        P = parameter_matrix(model, frame)
        if "ID" in frame.columns:
            ids = frame["ID"].tolist()
        elif len(by_id) == len(frame):
            ids = list(by_id)
        else:
            ids = list(range(1, len(frame) + 1))
    if len(by_id) == 1:
        only = next(iter(by_id.values()))
        scheds = [by_id.get(i, only) for i in ids]
    else:
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise InputError(f"no events for ID {missing[0]!r}", column="ID")
        scheds = [by_id[i] for i in ids]
    out, steps = run_batch(
        model, P, scheds, t_out, rtol=rtol, atol=atol, h_max=h_max, exact_linear=exact_linear
    )
    failed = np.flatnonzero(steps < 0)
    if failed.size:
        raise InputError(
            "integration did not finish (too many steps)", field=f"ID {ids[failed[0]]}"
        )
    names = observable_names(model)
    return PopulationResult(
        model.name,
        tuple(ids),
        t_out,
        {n: out[:, i, :] for i, n in enumerate(names)},
        observable_units(model),
        steps,
    )
