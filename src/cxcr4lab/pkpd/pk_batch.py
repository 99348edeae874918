"""Exact population courses of linear PK models on a time grid (many subjects at once).

A linear model ``dy/dt = K y + r`` with piecewise-constant dosing input ``r`` (bolus jumps and
zero-order infusions) is solved exactly between grid points by the matrix exponential (Van
Loan 1978, IEEE Trans Autom Control 23:395): ``expm([[K, I], [0, 0]] dt) = [[Phi, Gamma],
[0, I]]`` with ``Phi = e^(K dt)`` and ``Gamma = int_0^dt e^(K s) ds``, so
``y(t + dt) = Phi y(t) + Gamma r``. One ``scipy.linalg.expm`` per distinct step length serves
every subject; unlike an eigen-decomposition this stays exact when two rate constants coincide
(an effect compartment whose ``keo`` equals a disposition rate).

Every subject of a :class:`DoseChanges` is dosed at the same times (a regimen); amounts differ
(mg/kg, mg/m^2). Units follow the model: amounts in mg, volumes in L, times in h.

>>> import numpy as np
>>> K = mammillary_matrix(np.array([5.0]), np.array([50.0]))
>>> doses = DoseChanges(np.array([0.0]), np.array([0]), np.array([[100.0]]), np.array([0.0]))
>>> y = grid_states(K, doses, np.array([0.0, 10.0]))
>>> np.round(y[0, 0] / 50.0, 6).tolist()  # C = 2 mg/L * exp(-0.1 * t)
[2.0, 0.735759]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.linalg import expm

from cxcr4lab.core.errors import InputError, quote

__all__ = [
    "DoseChanges",
    "breakpoints",
    "dose_changes",
    "grid_states",
    "mammillary_matrix",
    "with_auc",
    "with_effect_compartment",
]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


def mammillary_matrix(
    cl: Array, v1: Array, q: Sequence[Array] = (), v: Sequence[Array] = ()
) -> Array:
    """``K`` (subjects x n x n) of the mammillary IV model with amounts ``A1..An`` (mg):
    clearance ``cl`` and central volume ``v1``, peripheral clearances ``q`` and volumes ``v``
    (L/h, L; one array per peripheral compartment), as :mod:`cxcr4lab.pkpd.pk` declares it."""
    cl, v1 = np.atleast_1d(np.asarray(cl, float)), np.atleast_1d(np.asarray(v1, float))
    if len(q) != len(v):
        raise InputError("one volume per inter-compartmental clearance", field="q, v")
    arrays = [cl, v1, *(np.atleast_1d(np.asarray(x, float)) for x in (*q, *v))]
    for a in arrays:
        if a.shape != cl.shape or not np.all(np.isfinite(a)) or np.any(a <= 0):
            raise InputError("PK parameters must be finite and > 0, one per subject", field="K")
    n = 1 + len(q)
    K = np.zeros((cl.size, n, n))
    K[:, 0, 0] = -cl / v1
    for k, (qk, vk) in enumerate(zip(q, v, strict=True), start=1):
        qk, vk = np.asarray(qk, float), np.asarray(vk, float)
        K[:, 0, 0] -= qk / v1
        K[:, 0, k] = qk / vk
        K[:, k, 0] = qk / v1
        K[:, k, k] = -qk / vk
    return K


def with_effect_compartment(K: Array, v1: Array, keo: float | Array) -> Array:
    """``K`` with one more state ``Ce`` (mg/L): ``dCe/dt = keo (A1/V1 - Ce)`` (keo in 1/h)."""
    n, ns = K.shape[0], K.shape[1]
    out = np.zeros((n, ns + 1, ns + 1))
    out[:, :ns, :ns] = K
    k = np.broadcast_to(np.asarray(keo, float), (n,))
    out[:, ns, 0] = k / np.asarray(v1, float)
    out[:, ns, ns] = -k
    return out


def with_auc(K: Array, v1: Array) -> Array:
    """``K`` with one more state, the running AUC of ``A1/V1`` (mg·h/L)."""
    n, ns = K.shape[0], K.shape[1]
    out = np.zeros((n, ns + 1, ns + 1))
    out[:, :ns, :ns] = K
    out[:, ns, 0] = 1.0 / np.asarray(v1, float)
    return out


@dataclass(frozen=True)
class DoseChanges:
    """Doses shared in time by every subject: ``time`` (h, m doses), 0-based ``state``,
    ``amount`` (mg, subjects x m) and infusion ``duration`` (h; 0 = bolus)."""

    time: Array
    state: IntArray
    amount: Array
    duration: Array

    def __post_init__(self) -> None:
        m = self.time.size
        if self.state.shape != (m,) or self.duration.shape != (m,) or self.amount.ndim != 2:
            raise InputError("time, state and duration need one entry per dose", field="doses")
        if self.amount.shape[1] != m:
            raise InputError("amount needs one column per dose", field="doses")
        if np.any(~np.isfinite(self.amount)) or np.any(self.amount < 0):
            raise InputError("dose amounts must be finite and >= 0 mg", field="doses")
        if np.any(self.time < 0) or np.any(self.duration < 0):
            raise InputError("dose times and durations must be >= 0 h", field="doses")

    @property
    def n_subjects(self) -> int:
        return int(self.amount.shape[0])

    @classmethod
    def empty(cls, n_subjects: int) -> DoseChanges:
        """No dose at all for ``n_subjects``."""
        return cls(np.zeros(0), np.zeros(0, np.int64), np.zeros((n_subjects, 0)), np.zeros(0))


def dose_changes(events: pd.DataFrame, ids: Sequence[object], *, state: int = 0) -> DoseChanges:
    """The dose records of one drug (columns ``ID, TIME, AMT, RATE``, as
    :func:`~cxcr4lab.pkpd.regimens.regimen_events` writes them) for subjects ``ids``, into
    ``state``. Every subject must be dosed at the same times."""
    if len(events) == 0:
        return DoseChanges.empty(len(ids))
    position = {sid: i for i, sid in enumerate(ids)}
    which = np.array([position.get(sid, -1) for sid in events["ID"].tolist()])
    if np.any(which < 0):
        raise InputError(
            f"doses for an unknown ID {quote(events['ID'].iloc[int(np.argmax(which < 0))])}",
            column="ID",
        )
    order = np.argsort(which, kind="stable")
    counts = np.bincount(which, minlength=len(ids))
    m = int(counts[0])
    bad = np.flatnonzero(counts != m)
    time = events["TIME"].to_numpy(float)[order]
    if bad.size == 0:
        time = time.reshape(len(ids), m)
        bad = np.flatnonzero(np.any(time != time[0], axis=1))
    if bad.size:
        raise InputError("every subject must be dosed at the same times", field=f"ID {ids[bad[0]]}")
    amt = events["AMT"].to_numpy(float)[order].reshape(len(ids), m)
    rate = events["RATE"].to_numpy(float)[order].reshape(len(ids), m)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        dur = np.where(rate > 0, amt[0] / np.where(rate > 0, rate, 1.0), 0.0)
    return DoseChanges(time[0].copy(), np.full(m, state, np.int64), amt, dur)


def breakpoints(doses: Sequence[DoseChanges]) -> Array:
    """Sorted distinct times (h) at which a dose starts or an infusion ends."""
    ts = [d.time for d in doses] + [
        d.time[d.duration > 0] + d.duration[d.duration > 0] for d in doses
    ]
    return np.unique(np.concatenate(ts)) if ts else np.zeros(0)


def _propagators(K: Array, dt: float) -> tuple[Array, Array]:
    n, ns = K.shape[0], K.shape[1]
    big = np.zeros((n, 2 * ns, 2 * ns))
    big[:, :ns, :ns] = K * dt
    big[:, :ns, ns:] = np.eye(ns) * dt
    e = expm(big)
    return np.ascontiguousarray(e[:, :ns, :ns]), np.ascontiguousarray(e[:, :ns, ns:])


def grid_states(
    K: Array,
    doses: DoseChanges,
    times: Array,
    y0: Array | None = None,
    *,
    cache: dict[tuple[int, float], tuple[Array, Array]] | None = None,
) -> Array:
    """States (subjects x states x times) of ``dy/dt = K y + r`` at ``times`` (h, increasing,
    from 0 or later), exact for the boluses and zero-order infusions of ``doses``. At a dose
    time the state after the dose is reported. ``cache`` keeps the propagators between calls
    (keyed by ``K`` and the step), for several regimens given to one population."""
    n, ns = K.shape[0], K.shape[1]
    t_out = np.asarray(times, float)
    if t_out.ndim != 1 or t_out.size == 0 or np.any(np.diff(t_out) <= 0) or t_out[0] < 0:
        raise InputError("output times must be increasing and >= 0 h", field="times")
    if doses.n_subjects != n:
        raise InputError(f"{doses.n_subjects} dosed subjects for {n} in K", field="doses")
    if doses.time.size and np.any(doses.state >= ns):
        raise InputError(f"dose into state {int(doses.state.max()) + 1} of {ns}", field="doses")
    y = np.zeros((n, ns)) if y0 is None else np.array(y0, float).reshape(n, ns)
    rate = np.zeros((n, ns))
    ends = doses.time + doses.duration
    grid = np.unique(np.concatenate([[0.0], t_out, doses.time, ends[doses.duration > 0]]))
    starts: dict[int, list[int]] = {}
    stops: dict[int, list[int]] = {}
    for d in range(doses.time.size):
        starts.setdefault(int(np.searchsorted(grid, doses.time[d])), []).append(d)
        if doses.duration[d] > 0:
            stops.setdefault(int(np.searchsorted(grid, ends[d])), []).append(d)
    at_output = np.searchsorted(grid, t_out)
    out = np.empty((n, ns, t_out.size))
    store: dict[tuple[int, float], tuple[Array, Array]] = {} if cache is None else cache
    k_hash = hash(np.ascontiguousarray(K).tobytes())
    j = 0
    for k in range(grid.size):
        if k:
            dt = round(float(grid[k] - grid[k - 1]), 9)
            if (k_hash, dt) not in store:
                store[(k_hash, dt)] = _propagators(K, dt)
            phi, gamma = store[(k_hash, dt)]
            y = np.einsum("nij,nj->ni", phi, y)
            if rate.any():
                y += np.einsum("nij,nj->ni", gamma, rate)
        for d in stops.get(k, ()):
            c = doses.state[d]
            rate[:, c] -= doses.amount[:, d] / doses.duration[d]
            rate[np.abs(rate[:, c]) < 1e-9 * doses.amount[:, d] / doses.duration[d], c] = 0.0
        for d in starts.get(k, ()):
            if doses.duration[d] > 0:
                rate[:, doses.state[d]] += doses.amount[:, d] / doses.duration[d]
            else:
                y[:, doses.state[d]] += doses.amount[:, d]
        while j < t_out.size and at_output[j] == k:
            out[:, :, j] = y
            j += 1
    return out
