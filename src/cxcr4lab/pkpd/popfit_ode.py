"""User ODE models (:class:`cxcr4lab.sim.Model`) as NLME predictions over a data set (popfit).

:func:`ode_prediction` is the ODE counterpart of
:func:`~cxcr4lab.pkpd.popfit_model.pk_prediction`: the same
:class:`~cxcr4lab.fit.nlme_model.StructuralModel` contract (``x`` column ``obs``, the index of
the observation; ``phi`` the model's parameters in the model's order, natural values), computed
by the compiled Dormand-Prince kernel of :func:`cxcr4lab.sim.run_packed`;
:func:`file_prediction` takes a model file (:mod:`cxcr4lab.sim.model_file`).

How a call goes. The estimator stacks copies of the subjects (one per parameter vector it
evaluates), each listing its observations in order; a new copy starts where the subject changes
or the observation index does not increase. Each copy takes its parameters from its first row:
parameters that differ within a copy (between-occasion variability, a per-observation map) are
refused. The copies' dose schedules (depot doses as boluses into the depot state, IV boluses
into the central state, infusions as rates there; from the data's dose records) are built once
per distinct sequence of copies and cached, then one kernel run integrates every copy on the
union of their observation times (h) and each row takes its value at its own time. Copies
whose parameters are not finite, whose integration fails (more than ``max_steps`` steps) or
raises, predict NaN. A call whose copies mostly keep the last call's parameters (a line
search) integrates only the others. The Jacobian (central differences, as the engine's
default) perturbs all parameters of all copies in one kernel run.

Accuracy and cost: with the default tolerances (rtol 1e-6, atol 1e-9 in the dose unit) the
one-compartment oral model agrees with the closed form to 2e-6 (relative) and its FOCE-I fit of
Theoph to 1e-6 in the estimates and 3e-5 in the OFV; tighter tolerances cost more steps. A copy
costs some 10-40 us, most fits' time goes to the Jacobian (2 runs per parameter).

Units: the ODE runs in the dose unit and the model's own volume and time (h) units; the
observed output times ``amount_scale`` is the prediction in the data's concentration unit (as in
``pk_prediction``), so a concentration parameter such as Km is in dose unit per volume unit.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.fit.nlme_model import StructuralModel
from cxcr4lab.pkpd.popfit_data import PopData
from cxcr4lab.sim import Model, Schedule, observable_names, run_packed
from cxcr4lab.sim.events import BOLUS, RATE_CHANGE, pack
from cxcr4lab.sim.model_file import ModelFile

__all__ = ["file_prediction", "ode_prediction"]

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]
Packed = tuple[Array, NDArray[np.int64], NDArray[np.int64], Array, NDArray[np.int64]]

_FD_STEP = float(np.cbrt(np.finfo(float).eps))
"""Relative step of the central-difference Jacobian (the engine's)."""
_MAX_CELLS = 4_000_000
"""Most (copies x output times) values one kernel run may hold (32 MB); more runs in blocks."""
_PARALLEL_FROM = 4096
"""Copies from which a kernel run uses all of numba's threads: below, one thread is faster
(a parallel launch costs up to ~10 ms on a loaded machine, a copy ~20-40 us)."""


@contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """numba's thread count for parallel runs of this thread (None: leave it)."""
    if n is None:
        yield
        return
    import numba

    before = numba.get_num_threads()
    most = int(getattr(numba.config, "NUMBA_NUM_THREADS", 1))
    numba.set_num_threads(max(1, min(n, most)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _schedules(
    data: PopData, n_states: int, depot: int | None, central: int | None
) -> list[Schedule]:
    """Each subject's dose schedule: depot doses into state ``depot``, others into ``central``
    (0-based); a dose with a duration (h) is an infusion of amount / duration per h."""
    out: list[Schedule] = []
    for s in range(data.n_subjects):
        idx = np.flatnonzero(data.dose_subject == s)
        changes: list[tuple[float, int, int, int, float]] = []  # time, seq, kind, state, value
        for seq, i in enumerate(idx):
            state = depot if data.dose_depot[i] else central
            assert state is not None and 0 <= state < n_states
            t, amt, dur = (
                float(data.dose_time[i]),
                float(data.dose_amount[i]),
                float(data.dose_duration[i]),
            )
            if dur > 0:
                changes.append((t, 2 * seq, RATE_CHANGE, state, amt / dur))
                changes.append((t + dur, 2 * seq + 1, RATE_CHANGE, state, -amt / dur))
            else:
                changes.append((t, 2 * seq, BOLUS, state, amt))
        changes.sort(key=lambda c: (c[0], c[1]))
        out.append(
            Schedule(
                np.array([c[0] for c in changes], dtype=float),
                np.array([c[2] for c in changes], dtype=np.int64),
                np.array([c[3] for c in changes], dtype=np.int64),
                np.array([c[4] for c in changes], dtype=float),
            )
        )
    return out


@dataclass(frozen=True)
class _Block:
    """Copies ``start:stop`` run together: their schedules, output times and rows."""

    start: int
    stop: int
    key: bytes  # the copies' subjects, for the schedule cache
    t_out: Array  # h, strictly increasing
    rows: IntArray  # rows of x in this block
    local: IntArray  # copy of each row, counted from ``start``
    tcol: IntArray  # index into t_out of each row


@dataclass
class _Layout:
    x: Array
    first: IntArray  # first row of each copy
    copy: IntArray  # copy of each row
    subject: IntArray  # subject of each copy
    blocks: tuple[_Block, ...]
    last: tuple[Array, Array] | None = None  # the last call's copy parameters and predictions


def ode_prediction(
    model: Model,
    data: PopData,
    *,
    observe: str,
    depot: str | None = None,
    central: str | None = None,
    amount_scale: float = 1.0,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    exact_linear: bool = False,
    max_steps: int | None = None,
    threads: int | None = None,
) -> StructuralModel:
    """The value of ``observe`` (an output or state of ``model``) times ``amount_scale`` at the
    observations of ``data``, for individual parameters per row in ``model.parameter_names``
    order (see the module docstring).

    ``depot`` / ``central``: the states receiving the data's depot doses and IV doses (bolus,
    infusion); each is required if the data have such doses. ``rtol`` / ``atol`` (state units):
    the kernel's tolerances. ``exact_linear``: solve a linear block of states (the PK) exactly
    by its eigenvectors; off by default since coinciding rates (ka equal to CL/V) make that
    decomposition singular. ``max_steps``: steps per copy before its integration counts as
    failed (NaN; None: 10,000 plus 100 per dose change of the busiest subject), which bounds
    the cost of stiff trial parameters; raise it for a stiff model. ``threads``: numba threads
    of a kernel run (None: one below 4096 copies, all from there).
    """
    names = observable_names(model)
    if observe not in names:
        raise InputError(
            f"no output or state {quote(observe)} in model {quote(model.name)} "
            f"(it has {', '.join(names)})",
            field="observe",
        )
    states = model.state_names
    index: dict[str, int | None] = {}
    for label, state, needed in (
        ("depot", depot, bool(data.dose_depot.any())),
        ("central", central, bool((~data.dose_depot).any())),
    ):
        if state is not None and state not in states:
            raise InputError(
                f"no state {quote(state)} in model {quote(model.name)} (states {states})",
                field=label,
            )
        if needed and state is None:
            kind = "into an absorption depot" if label == "depot" else "given IV"
            raise InputError(
                f"the data have doses {kind}; the model names no {label} state",
                file=data.source,
                field=label,
            )
        index[label] = None if state is None else states.index(state)
    if not (math.isfinite(amount_scale) and amount_scale > 0):
        raise InputError(f"must be > 0, got {quote(amount_scale)}", field="amount_scale")
    by_subject = _schedules(data, len(states), index["depot"], index["central"])
    if max_steps is None:
        max_steps = 10_000 + 100 * max((len(s.time) for s in by_subject), default=0)
    n_phi = len(model.parameters)
    packed_cache: dict[tuple[bytes, int], Packed] = {}
    layouts: dict[int, _Layout] = {}

    def layout(x: Array) -> _Layout:
        """The copies, blocks and output times of the rows of ``x`` (cached per array: the
        estimator passes the same stacked design again and again)."""
        hit = layouts.get(id(x))
        if hit is not None and hit.x is x:
            return hit
        obs = np.asarray(x[:, 0]).astype(np.intp)
        sub = data.obs_subject[obs]
        new = np.ones(len(obs), dtype=bool)
        new[1:] = (sub[1:] != sub[:-1]) | (obs[1:] <= obs[:-1])
        first = np.flatnonzero(new).astype(np.intp)
        copy = (np.cumsum(new) - 1).astype(np.intp)
        times = data.obs_time[obs]
        n_copies = len(first)
        n_times = len(np.unique(times))
        size = max(1, _MAX_CELLS // max(n_times, 1))
        blocks = []
        for start in range(0, n_copies, size):
            stop = min(start + size, n_copies)
            rows = np.flatnonzero((copy >= start) & (copy < stop)).astype(np.intp)
            t_out, tcol = np.unique(times[rows], return_inverse=True)
            blocks.append(
                _Block(
                    start,
                    stop,
                    sub[first[start:stop]].tobytes(),
                    t_out.astype(float),
                    rows,
                    (copy[rows] - start).astype(np.intp),
                    tcol.astype(np.intp).ravel(),
                )
            )
        out = _Layout(x, first, copy, sub[first].astype(np.intp), tuple(blocks))
        if len(layouts) >= 12:  # the estimators reuse a few stacked designs: drop the oldest
            del layouts[next(iter(layouts))]
        layouts[id(x)] = out
        return out

    def schedules_of(lay: _Layout, block: _Block, reps: int) -> Packed:
        """The packed schedules of the block's copies, ``reps`` times over (cached)."""
        key = (block.key, reps)
        hit = packed_cache.get(key)
        if hit is None:
            base = packed_cache.get((block.key, 1))
            if base is None:
                base = pack([by_subject[s] for s in lay.subject[block.start : block.stop]])
                packed_cache[(block.key, 1)] = base
            et, ek, ec, ev, ne = base
            hit = (
                np.tile(et, (reps, 1)),
                np.tile(ek, (reps, 1)),
                np.tile(ec, (reps, 1)),
                np.tile(ev, (reps, 1)),
                np.tile(ne, reps),
            )
            if len(packed_cache) >= 32:
                del packed_cache[next(iter(packed_cache))]
            packed_cache[key] = hit
        return hit

    def run(P: Array, packed: Packed, t_out: Array, ok: NDArray[np.bool_]) -> Array:
        """The observed value (copies, times); NaN where ``ok`` is False or the run failed."""
        out = np.full((P.shape[0], t_out.size), np.nan)
        if not ok.any():
            return out
        sel = np.flatnonzero(ok)
        sub_packed: Packed = (
            packed[0][sel], packed[1][sel], packed[2][sel], packed[3][sel], packed[4][sel]
        )  # fmt: skip
        n = threads if threads is not None else (None if sel.size >= _PARALLEL_FROM else 1)
        try:
            with _threads(n):
                values, steps = run_packed(
                    model, P[sel], sub_packed, t_out, observe=[observe], rtol=rtol, atol=atol,
                    max_steps=max_steps, exact_linear=exact_linear,
                )  # fmt: skip
        except InputError:
            raise
        except (ArithmeticError, ValueError):  # e.g. a linear algebra failure in the kernel
            return out
        values = values[:, 0, :]
        values[steps < 0] = np.nan
        out[sel] = values
        return out

    def evaluate(lay: _Layout, Pc: Array) -> Array:
        """Predictions (reps, rows) for copy parameters ``Pc`` (reps, copies, n_phi); with
        ``reps`` 1, copies whose parameters equal the last call's reuse its predictions (the
        estimator's line searches keep most subjects where they were)."""
        reps = Pc.shape[0]
        pred = np.full((reps, len(lay.copy)), np.nan)
        same = np.zeros(len(lay.first), dtype=bool)
        if reps == 1 and lay.last is not None:
            same = np.all(Pc[0] == lay.last[0], axis=1)
        for b in lay.blocks:
            P = Pc[:, b.start : b.stop, :].reshape(-1, n_phi)
            ok = np.all(np.isfinite(P), axis=1) & ~np.tile(same[b.start : b.stop], reps)
            values = run(P, schedules_of(lay, b, reps), b.t_out, ok)
            values = values.reshape(reps, b.stop - b.start, b.t_out.size)
            pred[:, b.rows] = values[:, b.local, b.tcol]
        with np.errstate(all="ignore"):
            pred *= amount_scale
        if reps == 1:
            if lay.last is not None and same.any():
                reuse = same[lay.copy]
                pred[0, reuse] = lay.last[1][reuse]
            lay.last = (Pc[0].copy(), pred[0].copy())
        return pred

    def copy_parameters(phi: Array, lay: _Layout) -> Array:
        phi = np.asarray(phi, dtype=float)
        if phi.shape != (len(lay.copy), n_phi):
            raise InputError(
                f"phi is {phi.shape}; expected ({len(lay.copy)}, {n_phi}): one row per "
                f"observation, columns {', '.join(model.parameter_names)}",
                field="phi",
            )
        Pc = phi[lay.first]
        here = Pc[lay.copy]
        differ = (phi != here) & ~(np.isnan(phi) & np.isnan(here))
        if differ.any():
            row = int(np.flatnonzero(differ.any(axis=1))[0])
            sid = data.subjects[int(lay.subject[lay.copy[row]])]
            raise InputError(
                f"the parameters of subject {quote(sid)} change between its observations: "
                "an ODE model takes one parameter set per subject (between-occasion "
                "variability is not supported)",
                file=data.source,
                field="bov",
            )
        return Pc

    def f(phi: Array, x: Array) -> Array:
        lay = layout(x)
        if len(lay.copy) == 0:
            return np.zeros(0)
        out: Array = evaluate(lay, copy_parameters(phi, lay)[None, :, :])[0]
        return out

    def jac(phi: Array, x: Array) -> Array:
        lay = layout(x)
        if len(lay.copy) == 0:
            return np.zeros((0, n_phi))
        Pc = copy_parameters(phi, lay)
        h = _FD_STEP * np.maximum(np.abs(Pc), 1.0)  # (copies, n_phi)
        stack = np.repeat(Pc[None, :, :], 2 * n_phi, axis=0)
        for k in range(n_phi):
            stack[2 * k, :, k] += h[:, k]
            stack[2 * k + 1, :, k] -= h[:, k]
        pred = evaluate(lay, stack)
        with np.errstate(all="ignore"):
            out: Array = (pred[0::2] - pred[1::2]).T / (2.0 * h[lay.copy])
        return out

    return StructuralModel(
        name=model.name,
        phi_names=model.parameter_names,
        x_names=("obs",),
        f=f,
        jac=jac,
        description=(
            f"ODE model {model.name!r} ({observe} observed), Dormand-Prince over the data's "
            "dose records"
        ),
    )


def file_prediction(
    spec: ModelFile,
    data: PopData,
    *,
    amount_scale: float = 1.0,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    exact_linear: bool = False,
    max_steps: int | None = None,
    threads: int | None = None,
) -> StructuralModel:
    """:func:`ode_prediction` of a model file, whose ``[data]`` table says what is observed
    and which states take depot and IV doses."""
    if spec.observe is None:
        raise InputError(
            "the model file has no [data] table (observe, depot, central)", file=spec.source
        )
    return ode_prediction(
        spec.model,
        data,
        observe=spec.observe,
        depot=spec.depot_state,
        central=spec.central_state,
        amount_scale=amount_scale,
        rtol=rtol,
        atol=atol,
        exact_linear=exact_linear,
        max_steps=max_steps,
        threads=threads,
    )
