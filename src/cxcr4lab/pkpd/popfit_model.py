"""Compartmental PK models as NLME predictions over a data set's dose records (``popfit``).

:func:`pk_prediction` turns a :class:`~cxcr4lab.pkpd.popfit_data.PopData` and a model name
into the engine's :class:`~cxcr4lab.fit.nlme_model.StructuralModel`: the concentration at each
observation is the superposition of every earlier dose's response, in the closed form of
:mod:`cxcr4lab.pkpd.compartments` (eigen-decomposition of the disposition matrix; infusions
and first-order absorption written with ``(1 - exp(-x)) / x``, exact when ka equals a
disposition rate). The (observation, dose) pairs are found once; a call evaluates all pairs of
all observations (and of every parameter vector the estimator stacks) in one numpy pass.

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


def _phi(x: Array) -> Array:
    """(1 - exp(-x)) / x for x >= 0, 1 at 0."""
    small = x < 1e-8
    safe = np.where(small, 1.0, x)
    out: Array = np.where(small, 1.0 - 0.5 * x, -np.expm1(-safe) / safe)
    return out


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

    def f(phi: Array, x: Array) -> Array:
        rows, p, (bolus, infusion, depot) = expand(x)
        with np.errstate(all="ignore"):
            k, c = disposition_rates(structure, phi[:, :n_disp])  # (R, modes)
            kk = k[rows]
            d = pairs.time[p][:, None]
            resp = np.empty_like(kk)
            if bolus.size:
                resp[bolus] = np.exp(-kk[bolus] * d[bolus])
            if infusion.size:
                kb, db = kk[infusion], d[infusion]
                dur = pairs.duration[p[infusion]][:, None]
                lo = np.maximum(db - dur, 0.0)
                width = db - lo
                resp[infusion] = np.exp(-kb * lo) * width * _phi(kb * width) / dur
            if depot.size:
                r = rows[depot]
                ka = phi[r, n_disp][:, None]
                dd = d[depot] - phi[r, n_disp + 1][:, None] if spec.lag else d[depot]
                kb = kk[depot]
                after = np.maximum(dd, 0.0)
                slow = np.minimum(kb, ka)
                oral = ka * np.exp(-slow * after) * after * _phi(np.abs(ka - kb) * after)
                resp[depot] = np.where(dd >= 0, oral, 0.0)
            per_pair = pairs.amount[p] * np.einsum("pm,pm->p", c[rows], resp)
            out: Array = np.bincount(
                rows, weights=per_pair * amount_scale, minlength=x.shape[0]
            ).astype(float)
        return out

    return StructuralModel(
        name=spec.name,
        phi_names=spec.param_names,
        x_names=("obs",),
        f=f,
        description=f"{spec.name} PK model, superposition over the data's dose records",
    )
