"""Exact analytic superposition for linear models (compartment PK): no ODE solver involved.

For ``dy/dt = K y + r(t)`` with ``K = V diag(lambda) V^-1`` (eigen-decomposition, per subject),
a bolus ``a`` into state ``c`` at ``tau`` contributes ``V diag(exp(lambda (t - tau))) V^-1 e_c a``
and a rate switch ``R`` at ``tau`` (infusion start ``+R``, end ``-R``) contributes
``V diag((exp(lambda (t - tau)) - 1) / lambda) V^-1 e_c R`` for ``t >= tau``. Summing over the
dosing changes gives the exact solution of any event list; a reset (EVID 3/4) drops everything
before it. ``K`` is read from the model itself (its right-hand side at unit vectors) and the
model is refused if it is not linear and time-invariant. Vectorised across subjects with numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import InputError
from cxcr4lab.sim.codegen import generated_module
from cxcr4lab.sim.events import BOLUS, RESET, Schedule, pack, schedules
from cxcr4lab.sim.model import TIME, Model
from cxcr4lab.sim.result import PopulationResult
from cxcr4lab.sim.solve import _times, observable_names, observable_units, parameter_matrix

__all__ = ["analytic_batch", "simulate_analytic", "system_matrix"]

Array = NDArray[np.float64]


def system_matrix(model: Model, p: Array) -> Array:
    """``K`` with ``dy/dt = K y`` for parameters ``p``; refuses a nonlinear or time-varying model."""
    mod = generated_module(model)
    ns = len(model.states)
    zero = np.zeros(ns)
    K = np.empty((ns, ns))
    col = np.empty(ns)
    with np.errstate(all="ignore"):
        for i in range(ns):
            e = np.zeros(ns)
            e[i] = 1.0
            mod.rhs_py(0.0, e, p, zero, col)
            K[:, i] = col
    rng = np.random.default_rng(0)
    for _ in range(2):
        y = rng.uniform(0.5, 2.0, ns) * 10 ** rng.uniform(-2, 2)
        t = float(rng.uniform(0, 100))
        f = np.empty(ns)
        with np.errstate(all="ignore"):
            mod.rhs_py(t, y, p, zero, f)
        if not np.all(np.isfinite(K)) or not np.allclose(
            f, K @ y, rtol=1e-9, atol=1e-12 * np.abs(K).max() * np.abs(y).max()
        ):
            raise InputError("model is not linear and time-invariant", field=f"model {model.name}")
    if any(TIME in model.expression("d" + s).symbols for s in model.state_names):
        raise InputError("model depends on time t", field=f"model {model.name}")
    return K


def analytic_batch(model: Model, P: Array, scheds: Sequence[Schedule], t_out: Array) -> Array:
    """States (subjects x states x times) by superposition; see the module docstring."""
    n, ns = P.shape[0], len(model.states)
    K = np.stack([system_matrix(model, P[s]) for s in range(n)])
    lam, V = np.linalg.eig(K)
    if np.any(np.abs(lam) < 1e-14 * np.abs(K).max()):
        raise InputError("linear model has a zero eigenvalue (no elimination)", field=model.name)
    Vinv = np.linalg.inv(V)
    et, ek, ec, ev, ne = pack(scheds)
    mod = generated_module(model)
    y0 = np.empty((n, ns))
    for s in range(n):
        mod.init_py(P[s], y0[s])
    m = et.shape[1]
    idx = np.arange(m)
    # index of the last reset at or before each output time (-1: none)
    last_reset = np.full((n, t_out.size), -1)
    for k in range(m):
        is_reset = (ek[:, k] == RESET) & (idx[k] < ne)
        hit = is_reset[:, None] & (et[:, k, None] <= t_out[None, :])
        last_reset = np.where(hit, k, last_reset)
    start = np.where(ne > 0, np.minimum(et[:, 0], t_out[0]), t_out[0])
    t_from = np.where(
        last_reset >= 0, np.take_along_axis(et, np.maximum(last_reset, 0), axis=1), start[:, None]
    )
    Y = np.zeros((n, t_out.size, ns), dtype=complex)
    if np.any(y0 != 0):
        w = np.einsum("nij,nj->ni", Vinv, y0)
        E = np.exp(lam[:, None, :] * (t_out[None, :] - t_from)[:, :, None])
        Y += np.einsum("nij,ntj->nti", V, E * w[:, None, :])
    for k in range(m):
        active = (idx[k] < ne) & (ek[:, k] != RESET)
        dt = t_out[None, :] - et[:, k, None]
        use = active[:, None] & (dt >= 0) & (k > last_reset)
        if not use.any():
            continue
        dtc = np.where(use, dt, 0.0)[:, :, None]
        E = np.exp(lam[:, None, :] * dtc)
        factor = (
            np.where((ek[:, k] == BOLUS)[:, None, None], E, (E - 1.0) / lam[:, None, :])
            * use[:, :, None]
        )
        w = Vinv[np.arange(n), :, ec[:, k]] * ev[:, k, None]
        Y += np.einsum("nij,ntj->nti", V, factor * w[:, None, :])
    return np.ascontiguousarray(np.real(Y).transpose(0, 2, 1))


def _observe(model: Model, P: Array, Y: Array, t_out: Array) -> Array:
    env: dict[str, Any] = {"math": np, "abs": np.abs, TIME: t_out[None, :]}
    env.update({p: P[:, i, None] for i, p in enumerate(model.parameter_names)})
    env.update({s: Y[:, i, :] for i, s in enumerate(model.state_names)})
    outs = []
    for o in model.output_names:
        code = model.expression(f"out {o}").python({})
        value = eval(code, {"__builtins__": {}}, env)  # ast-checked arithmetic only
        outs.append(np.broadcast_to(value, Y[:, 0, :].shape))
    return np.concatenate([np.stack(outs, axis=1), Y], axis=1) if outs else Y


def simulate_analytic(
    model: Model,
    events: pd.DataFrame,
    times: ArrayLike,
    params: pd.DataFrame | Mapping[str, ArrayLike] | None = None,
) -> PopulationResult:
    """Like :func:`~cxcr4lab.sim.solve.simulate_population`, exactly, for linear models."""
    t_out = _times(times)
    by_id = schedules(events, n_states=len(model.states))
    ids = list(by_id)
    if params is None:
        P = parameter_matrix(model, None, len(ids))
    else:
        frame = pd.DataFrame(dict(params)) if not isinstance(params, pd.DataFrame) else params
        P = parameter_matrix(model, frame)
        if "ID" in frame.columns:
            ids = frame["ID"].tolist()
        elif len(ids) != len(frame):
            ids = list(range(1, len(frame) + 1))
    only = next(iter(by_id.values())) if len(by_id) == 1 else None
    try:
        scheds = [by_id[i] if i in by_id or only is None else only for i in ids]
    except KeyError as exc:
        raise InputError(f"no events for ID {exc.args[0]!r}", column="ID") from None
    Y = analytic_batch(model, P, scheds, t_out)
    out = _observe(model, P, Y, t_out)
    names = observable_names(model)
    return PopulationResult(
        model.name,
        tuple(ids),
        t_out,
        {nm: np.ascontiguousarray(out[:, i, :]) for i, nm in enumerate(names)},
        observable_units(model),
        np.zeros(len(ids), dtype=np.int64),
    )
