"""Compartmental PK models as NLME predictions over a data set's dose records (``popfit``).

:func:`pk_prediction` turns a :class:`~cxcr4lab.pkpd.popfit_data.PopData` and a model name
into the engine's :class:`~cxcr4lab.fit.nlme_model.StructuralModel`: the concentration at each
observation is the superposition of every earlier dose's response, in the closed form of
:mod:`cxcr4lab.pkpd.compartments` (eigen-decomposition of the disposition matrix; infusions
and first-order absorption written with ``(1 - exp(-x)) / x``, exact when ka equals a
disposition rate). The (observation, dose) pairs are found once; a call evaluates all pairs of
all observations (and of every parameter vector the estimator stacks) in one numpy pass. The
Jacobian in the parameters is analytic (the responses' derivatives in their rates, ka and the
lag time; the disposition's in closed form for one compartment, by differences of the cheap
per-observation rates for more) and comes from the same pass as the prediction.

Model names: ``{1,2,3}cmt-{iv,infusion,oral}`` with ``-lag`` for an absorption lag time on
oral models (``iv`` and ``infusion`` are the same model: the dose records say bolus or
infusion). Parameters (natural units; the prediction is in dose unit / volume unit):

=====================  ===========================================
``1cmt``               CL, V
``2cmt``               CL, V1, Q, V2
``3cmt``               CL, V1, Q2, V2, Q3, V3
oral                   + ka (1/h); ``-lag``: + tlag (h)
=====================  ===========================================

For oral models CL and the volumes are apparent (CL/F, V/F).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.fit.nlme_model import StructuralModel
from cxcr4lab.pkpd.compartments import Structure, disposition
from cxcr4lab.pkpd.popfit_data import PopData
from cxcr4lab.pkpd.popfit_names import MODEL_NAMES

__all__ = [
    "MODEL_NAMES",
    "PkModelSpec",
    "disposition_rates",
    "dose_pairs",
    "pk_prediction",
    "pk_spec",
]

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class PkModelSpec:
    """A parsed model name: the compartments, oral or not, with a lag time or not."""

    name: str
    structure: Structure
    lag: bool

    @property
    def oral(self) -> bool:
        return self.structure.oral

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.structure.param_names + (("tlag",) if self.lag else ())


def pk_spec(name: str) -> PkModelSpec:
    """The spec of a model name (see the module docstring).

    >>> pk_spec("2cmt-infusion").param_names
    ('CL', 'V1', 'Q', 'V2')
    """
    if name not in MODEL_NAMES:
        raise InputError(
            f"unknown model {quote(name)}; one of {', '.join(MODEL_NAMES)}", field="model"
        )
    parts = name.split("-")
    return PkModelSpec(name, Structure(int(parts[0][0]), oral=parts[1] == "oral"), "lag" in parts)


@dataclass(frozen=True)
class DosePairs:
    """Every (observation, earlier dose) pair: CSR by observation (``start``, ``count``)."""

    start: IntArray
    count: IntArray
    time: Array  # time since the dose (h)
    amount: Array
    duration: Array
    depot: NDArray[np.bool_]


def dose_pairs(data: PopData) -> DosePairs:
    """The pairs of each observation with the doses of its subject given at or before it
    (doses into a depot may still be lagged: the prediction masks those)."""
    counts: list[int] = []
    tad: list[Array] = []
    idx: list[IntArray] = []
    by_subject = [np.flatnonzero(data.dose_subject == i) for i in range(data.n_subjects)]
    for s, t in zip(data.obs_subject, data.obs_time, strict=True):
        d = by_subject[s]
        before = d[data.dose_time[d] <= t]
        counts.append(len(before))
        tad.append(t - data.dose_time[before])
        idx.append(before)
    count = np.array(counts, np.intp)
    start = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.intp)
    di = np.concatenate(idx) if idx else np.zeros(0, np.intp)
    return DosePairs(
        start=start,
        count=count,
        time=np.concatenate(tad) if tad else np.zeros(0),
        amount=data.dose_amount[di],
        duration=data.dose_duration[di],
        depot=data.dose_depot[di],
    )


def disposition_rates(structure: Structure, P: Array) -> tuple[Array, Array]:
    """:func:`~cxcr4lab.pkpd.compartments.disposition` (rates ascending, coefficients per unit
    amount), in closed form for 1 and 2 compartments: the 2-compartment rates are the roots of
    ``k^2 - (k10 + k12 + k21) k + k10 k21``, the smaller one computed as ``k10 k21 / alpha``
    (no cancellation), and ``c = (k21 - k) / (V1 (alpha - beta))`` with the sign of each root.
    Three compartments go through the eigen-decomposition."""
    n = structure.n_cmt
    if n == 3:
        return disposition(structure, P)
    cl, v1 = P[:, 0], P[:, 1]
    k10 = cl / v1
    if n == 1:
        return k10[:, None], (1.0 / v1)[:, None]
    k12, k21 = P[:, 2] / v1, P[:, 2] / P[:, 3]
    total = k10 + k12 + k21
    alpha = 0.5 * (total + np.sqrt(np.maximum(total * total - 4.0 * k10 * k21, 0.0)))
    beta = k10 * k21 / alpha
    gap = alpha - beta
    k = np.column_stack([beta, alpha])
    c = np.column_stack([(k21 - beta) / gap, (alpha - k21) / gap]) / v1[:, None]
    return k, c


@dataclass(frozen=True)
class _Responses:
    """The pairs of one call: their observation rows and scaled amounts, the disposition
    rates and coefficients per observation (R, M), the unit responses (P, M) and, when asked,
    their derivatives in the mode's rate, ka and the lag time."""

    rows: IntArray
    amount: Array
    k: Array
    c: Array
    resp: Array
    d_k: Array | None
    d_ka: Array | None
    d_lag: Array | None


def _psi(y: Array, derivs: bool = True) -> tuple[Array, Array | None]:
    """``psi(y) = (1 - exp(-y)) / y`` and (with ``derivs``) its derivative
    ``(exp(-y) (1 + y) - 1) / y^2`` for y >= 0, by their series below 1e-3 (where the closed
    forms cancel)."""
    small = np.flatnonzero(y < 1e-3)
    safe = y.copy()
    safe.flat[small] = 1.0
    em1 = np.expm1(-safe)
    psi = -em1 / safe
    ys = y.flat[small]
    psi.flat[small] = 1.0 - ys / 2.0 + ys * ys / 6.0 - ys**3 / 24.0
    if not derivs:
        return psi, None
    dpsi = (em1 + safe * (1.0 + em1)) / (safe * safe)
    dpsi.flat[small] = -0.5 + ys / 3.0 - ys * ys / 8.0 + ys**3 / 30.0
    return psi, dpsi


def _infusion(k: Array, d: Array, dur: Array, derivs: bool) -> tuple[Array, Array | None]:
    """Response at time d after the start of a unit infusion of length dur into a mode of
    rate k: ``exp(-k lo) w psi(k w) / dur`` with ``lo = max(d - dur, 0)``, ``w = d - lo``;
    and its derivative in k."""
    lo = np.maximum(d - dur, 0.0)
    width = d - lo
    decay = np.exp(-k * lo)
    psi, dpsi = _psi(k * width, derivs)
    resp = decay * width * psi / dur
    if dpsi is None:
        return resp, None
    return resp, -lo * resp + decay * width * width * dpsi / dur


def _oral(k: Array, ka: Array, a: Array, derivs: bool) -> tuple[Array, ...]:
    """First-order absorption into a mode of rate k, at time a after the (lagged) dose:
    ``R = ka E``, ``E = (exp(-k a) - exp(-ka a)) / (ka - k) = a exp(-s a) psi(|ka - k| a)``
    with ``s = min(k, ka)``, 0 for a < 0; with ``derivs`` also dR/dk, dR/dka and dR/da.

    With ``P = a^2 exp(-s a) psi'(|ka - k| a)``: for k <= ka, ``dE/dk = -a E - P`` and
    ``dE/dka = P``; for k > ka the two swap; ``dE/da = exp(-max(k, ka) a) - s E``.
    """
    after = np.maximum(a, 0.0)
    slow = np.minimum(k, ka)
    x = np.abs(ka - k) * after
    psi, dpsi = _psi(x, derivs)
    decay = np.exp(-slow * after)
    e = after * decay * psi
    given = a >= 0
    resp = np.where(given, ka * e, 0.0)
    if dpsi is None:
        return (resp,)
    p = after * after * decay * dpsi
    k_slow = k <= ka
    de_k = np.where(k_slow, -after * e - p, p)
    de_ka = np.where(k_slow, p, -after * e - p)
    de_a = np.exp(-np.maximum(k, ka) * after) - slow * e
    return (
        resp,
        np.where(given, ka * de_k, 0.0),
        np.where(given, e + ka * de_ka, 0.0),
        np.where(given, ka * de_a, 0.0),
    )


def disposition_derivatives(
    structure: Structure, P: Array, k: Array, c: Array
) -> tuple[Array, Array]:
    """d k / d P and d c / d P (R, M, n_disp) of :func:`disposition_rates` at ``P`` (whose
    rates and coefficients are ``k`` and ``c``): closed form for one compartment, central
    differences (relative step 1e-6) for more."""
    if structure.n_cmt == 1:
        v = P[:, 1]
        zero = np.zeros_like(v)
        dk = np.stack([1.0 / v, -k[:, 0] / v], axis=1)[:, None, :]
        dc = np.stack([zero, -c[:, 0] / v], axis=1)[:, None, :]
        return dk, dc
    n = P.shape[1]
    dk = np.empty((*k.shape, n))
    dc = np.empty((*c.shape, n))
    for j in range(n):
        h = 1e-6 * np.abs(P[:, j])
        up, down = P.copy(), P.copy()
        up[:, j] += h
        down[:, j] -= h
        k_up, c_up = disposition_rates(structure, up)
        k_down, c_down = disposition_rates(structure, down)
        dk[:, :, j] = (k_up - k_down) / (2.0 * h[:, None])
        dc[:, :, j] = (c_up - c_down) / (2.0 * h[:, None])
    return dk, dc


def pk_prediction(spec: PkModelSpec, data: PopData, amount_scale: float = 1.0) -> StructuralModel:
    """The concentrations at the observations of ``data`` (x column ``obs``: the index of the
    observation), for individual parameters per row in ``spec.param_names`` order;
    ``amount_scale`` takes dose / volume into the concentration unit."""
    pairs = dose_pairs(data)
    structure = spec.structure
    n_disp = len(structure.param_names) - (1 if spec.oral else 0)

    expanded: dict[int, tuple[Array, IntArray, IntArray, tuple[IntArray, ...]]] = {}

    def expand(x: Array) -> tuple[IntArray, IntArray, tuple[IntArray, ...]]:
        """Pair rows, pair indices and the positions of bolus, infusion and depot pairs of the
        observations in ``x`` (cached per array: the estimator passes the same stacked design
        again and again)."""
        hit = expanded.get(id(x))
        if hit is not None and hit[0] is x:
            return hit[1], hit[2], hit[3]
        obs = x[:, 0].astype(np.intp)
        cnt = pairs.count[obs]
        rows = np.repeat(np.arange(len(obs)), cnt)
        first = np.repeat(pairs.start[obs], cnt)
        p = first + np.arange(len(rows)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        depot = pairs.depot[p]
        infusion = (pairs.duration[p] > 0) & ~depot
        kinds = (
            np.flatnonzero(~depot & ~infusion),
            np.flatnonzero(infusion),
            np.flatnonzero(depot),
        )
        if len(expanded) > 16:
            expanded.clear()
        expanded[id(x)] = (x, rows, p, kinds)
        return rows, p, kinds

    def responses(phi: Array, x: Array, derivs: bool) -> _Responses:
        """Each pair's unit response per disposition mode (P, M), and with ``derivs`` its
        derivatives in the mode's rate, in ka and in the lag time (see :func:`_oral`)."""
        rows, p, (bolus, infusion, depot) = expand(x)
        k, c = disposition_rates(structure, phi[:, :n_disp])  # (R, modes)
        kk = k[rows]
        d = pairs.time[p][:, None]
        resp = np.empty_like(kk)
        d_k = np.empty_like(kk) if derivs else None
        d_ka = np.zeros_like(kk) if derivs and spec.oral else None
        d_lag = np.zeros_like(kk) if derivs and spec.lag else None
        if bolus.size:
            resp[bolus] = np.exp(-kk[bolus] * d[bolus])
            if d_k is not None:
                d_k[bolus] = -d[bolus] * resp[bolus]
        if infusion.size:
            dur = pairs.duration[p[infusion]][:, None]
            r_, rk = _infusion(kk[infusion], d[infusion], dur, derivs)
            resp[infusion] = r_
            if d_k is not None and rk is not None:
                d_k[infusion] = rk
        if depot.size:
            r = rows[depot]
            ka = phi[r, n_disp][:, None]
            dd = d[depot] - phi[r, n_disp + 1][:, None] if spec.lag else d[depot]
            oral = _oral(kk[depot], ka, dd, derivs)
            resp[depot] = oral[0]
            if d_k is not None:
                d_k[depot] = oral[1]
            if d_ka is not None:
                d_ka[depot] = oral[2]
            if d_lag is not None:
                d_lag[depot] = -oral[3]
        return _Responses(rows, pairs.amount[p] * amount_scale, k, c, resp, d_k, d_ka, d_lag)

    def f(phi: Array, x: Array) -> Array:
        with np.errstate(all="ignore"):
            r = responses(phi, x, False)
            per_pair = r.amount * np.sum(r.c[r.rows] * r.resp, axis=1)
            out = np.bincount(r.rows, weights=per_pair, minlength=x.shape[0])
        return np.asarray(out, dtype=float)

    def f_and_jac(phi: Array, x: Array) -> tuple[Array, Array]:
        """f and df/dphi (N, n_phi) from one pass: the responses' derivatives in closed form,
        those of the disposition rates and coefficients in closed form for one compartment
        and by central differences (cheap: one row per observation) for two and three."""
        n_rows = x.shape[0]
        out = np.zeros((n_rows, phi.shape[1]))
        with np.errstate(all="ignore"):
            r = responses(phi, x, True)
            assert r.d_k is not None
            n_modes = r.k.shape[1]
            # per observation and mode: sum over pairs of amount x response (and x c x dR/dk)
            s_resp = np.empty((n_rows, n_modes))
            s_k = np.empty((n_rows, n_modes))
            c_pairs = r.c[r.rows]
            for mode in range(n_modes):
                s_resp[:, mode] = np.bincount(
                    r.rows, weights=r.amount * r.resp[:, mode], minlength=n_rows
                )
                s_k[:, mode] = np.bincount(
                    r.rows, weights=r.amount * c_pairs[:, mode] * r.d_k[:, mode],
                    minlength=n_rows,
                )  # fmt: skip
            f = np.sum(r.c * s_resp, axis=1)
            dk, dc = disposition_derivatives(structure, phi[:, :n_disp], r.k, r.c)
            out[:, :n_disp] = np.sum(dc * s_resp[:, :, None] + dk * s_k[:, :, None], axis=1)
            for col, dr in ((n_disp, r.d_ka), (n_disp + 1, r.d_lag)):
                if dr is not None:
                    out[:, col] = np.bincount(
                        r.rows, weights=r.amount * np.sum(c_pairs * dr, axis=1),
                        minlength=n_rows,
                    )  # fmt: skip
        return f, out

    def jac(phi: Array, x: Array) -> Array:
        return f_and_jac(phi, x)[1]

    return StructuralModel(
        name=spec.name,
        phi_names=spec.param_names,
        x_names=("obs",),
        f=f,
        jac=jac,
        f_and_jac=f_and_jac,
        description=f"{spec.name} PK model, superposition over the data's dose records",
    )
