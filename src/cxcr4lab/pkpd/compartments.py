"""Mammillary 1-, 2- and 3-compartment PK models in closed form, vectorised for fitting.

A :class:`Structure` is a number of compartments and a route. Parameters (amounts in the dose
unit, concentrations ``C = A1/V1`` in the concentration unit, time in h):

========  =====================================  =========================================
model     parameters                             meaning
========  =====================================  =========================================
1cmt      ``CL, V``                              clearance, volume
2cmt      ``CL, V1, Q, V2``                      + inter-compartmental clearance, peripheral V
3cmt      ``CL, V1, Q2, V2, Q3, V3``             two peripheral compartments
oral      ``+ ka`` (1/h)                         first-order absorption from a depot, F = 1
========  =====================================  =========================================

For oral doses CL and the volumes are apparent (CL/F, V/F). IV doses are boluses or zero-order
infusions (a duration > 0).

The concentration after any list of doses is the sum of each dose's response, from the
eigen-decomposition of the disposition matrix ``K`` as in :mod:`cxcr4lab.sim.linear`. Two changes
make it fast and stable enough for a least-squares loop. First, ``K`` is made symmetric,
``S = D^-1/2 K D^1/2`` with ``D = diag(V)``, so :func:`numpy.linalg.eigh` gives real rates
``k_j`` and orthonormal vectors ``U``. A unit bolus into the central compartment then gives
``C(t) = sum_j U[0, j]^2 / V1 * exp(-k_j t)``. Second, the infusion and absorption integrals are
written with ``phi(x) = (1 - exp(-x)) / x``. This stays exact when ``ka`` equals a
disposition rate (no division by ``ka - k``). Everything is numpy over a stack of parameter
sets (rows), so a Jacobian by differences or a grid of starting values costs one call.
:func:`sim_model` declares the same system as a :class:`cxcr4lab.sim.Model`; the tests check
the two against each other and against scipy's ODE solvers.

>>> s = Structure(1, oral=False)
>>> s.param_names
('CL', 'V')
>>> doses = Doses.of([(0.0, 100.0, 0.0)])
>>> c = concentrations(s, np.array([[5.0, 50.0]]), doses, np.array([0.0, 6.931471805599453]))
>>> c[0].round(6).tolist()
[2.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.pkpd.pk import mammillary_equations
from cxcr4lab.sim import Model, Output, Parameter, State

__all__ = [
    "MODEL_NAMES",
    "Doses",
    "Structure",
    "concentrations",
    "disposition",
    "sim_model",
]

Array = NDArray[np.float64]

MODEL_NAMES = ("1cmt", "2cmt", "3cmt")
"""The structural models, by number of compartments."""

_NAMES = {
    1: ("CL", "V"),
    2: ("CL", "V1", "Q", "V2"),
    3: ("CL", "V1", "Q2", "V2", "Q3", "V3"),
}


@dataclass(frozen=True)
class Structure:
    """``n_cmt`` compartments (1-3); ``oral``: doses enter a depot absorbed at rate ``ka``."""

    n_cmt: int
    oral: bool = False

    def __post_init__(self) -> None:
        if self.n_cmt not in _NAMES:
            raise InputError(f"compartments must be 1, 2 or 3, got {self.n_cmt}", field="model")
        if self.oral and self.n_cmt > 2:
            raise InputError(
                "first-order (oral) absorption is available for 1- and 2-compartment models",
                field="model",
            )

    @classmethod
    def named(cls, name: str, *, oral: bool) -> Structure:
        """``"1cmt"``, ``"2cmt"`` or ``"3cmt"``."""
        if name not in MODEL_NAMES:
            raise InputError(
                f"unknown model {quote(name)}; one of {', '.join(MODEL_NAMES)}", field="model"
            )
        return cls(int(name[0]), oral=oral)

    @property
    def name(self) -> str:
        return f"{self.n_cmt}cmt"

    @property
    def param_names(self) -> tuple[str, ...]:
        return _NAMES[self.n_cmt] + (("ka",) if self.oral else ())

    @property
    def volumes(self) -> tuple[str, ...]:
        return tuple(n for n in self.param_names if n.startswith("V"))

    @property
    def clearances(self) -> tuple[str, ...]:
        return tuple(n for n in self.param_names if n == "CL" or n.startswith("Q"))


@dataclass(frozen=True)
class Doses:
    """Dose records as arrays: time (h), amount (dose unit), duration (h; 0 = bolus)."""

    time: Array
    amount: Array
    duration: Array

    @classmethod
    def of(cls, records: Sequence[tuple[float, float, float]]) -> Doses:
        arr = np.asarray(records, dtype=float).reshape(-1, 3)
        return cls(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy())

    @property
    def total(self) -> float:
        return float(self.amount.sum())


def disposition(structure: Structure, P: Array) -> tuple[Array, Array]:
    """Rates ``k`` (1/h, ascending: terminal first) and coefficients ``c`` (concentration per
    unit amount) of ``C(t) = sum_j c_j exp(-k_j t)`` after a unit bolus into the central
    compartment; both shaped (parameter sets, compartments)."""
    P = np.atleast_2d(np.asarray(P, dtype=float))
    n = structure.n_cmt
    cl, v1 = P[:, 0], P[:, 1]
    if n == 1:
        return (cl / v1)[:, None], (1.0 / v1)[:, None]
    S = np.zeros((P.shape[0], n, n))
    S[:, 0, 0] = -cl / v1
    for j in range(1, n):
        q, vj = P[:, 2 * j], P[:, 2 * j + 1]
        S[:, 0, 0] -= q / v1
        S[:, j, j] = -q / vj
        S[:, 0, j] = S[:, j, 0] = q / np.sqrt(v1 * vj)
    w, U = np.linalg.eigh(S)  # ascending eigenvalues: most negative (fastest) first
    k = -w[:, ::-1]
    c = (U[:, 0, ::-1] ** 2) / v1[:, None]
    return k, c


def _phi(x: Array) -> Array:
    """(1 - exp(-x)) / x for x >= 0, equal to 1 at 0."""
    small = x < 1e-8
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 - 0.5 * x, -np.expm1(-safe) / safe)


def _window(k: Array, lo: Array, hi: Array) -> Array:
    """Integral of exp(-k s) over s in [lo, hi] (0 where hi <= lo)."""
    width = np.maximum(hi - lo, 0.0)
    return np.exp(-k * lo) * width * _phi(k * width)


def concentrations(structure: Structure, P: Array, doses: Doses, t: Array) -> Array:
    """Concentrations at times ``t`` (h) for each parameter set (row of ``P``, natural units,
    columns in ``structure.param_names`` order): shape (parameter sets, times).

    A time equal to a bolus time reports the concentration just after it (as
    :mod:`cxcr4lab.sim` does); doses after a time do not contribute to it.
    """
    P = np.atleast_2d(np.asarray(P, dtype=float))
    t = np.asarray(t, dtype=float)
    k, c = disposition(structure, P)
    kk, cc = k[:, :, None], c[:, :, None]  # (sets, modes, 1)
    out = np.zeros((P.shape[0], t.size))
    ka = P[:, -1][:, None, None] if structure.oral else None
    for tau, amount, duration in zip(doses.time, doses.amount, doses.duration, strict=True):
        dt = t - tau
        after = dt >= 0
        d = np.where(after, dt, 0.0)[None, None, :]
        if ka is not None:
            # amount * ka * (exp(-k d) - exp(-ka d)) / (ka - k), written without the division
            slow = np.minimum(kk, ka)
            resp = ka * np.exp(-slow * d) * d * _phi(np.abs(ka - kk) * d)
        elif duration > 0:
            resp = _window(kk, np.maximum(d - duration, 0.0), d) / duration
        else:
            resp = np.exp(-kk * d)
        out += amount * np.where(after, (cc * resp).sum(axis=1), 0.0)
    return out


def sim_model(structure: Structure, params: dict[str, float] | None = None) -> Model:
    """The same system declared for :mod:`cxcr4lab.sim` (states ``A1..An`` and, if oral,
    ``Ad``; doses go into CMT 1, or into ``Ad`` = CMT n+1 for oral; output ``C`` = A1/V1)."""
    n = structure.n_cmt
    values = {name: 1.0 for name in structure.param_names} | dict(params or {})
    v1 = "V" if n == 1 else "V1"
    peripheral = [("Q", "V2")] if n == 2 else [("Q2", "V2"), ("Q3", "V3")] if n == 3 else []
    equations = mammillary_equations(v1, peripheral)
    states = [State(f"A{k}", "mg") for k in range(1, n + 1)]
    if structure.oral:
        equations["A1"] += " + ka*Ad"
        equations["Ad"] = "-ka*Ad"
        states.append(State("Ad", "mg"))
    units = {"ka": "1/h"} | {v: "L" for v in structure.volumes}
    parameters = tuple(
        Parameter(name, float(values[name]), units.get(name, "L/h"))
        for name in structure.param_names
    )
    return Model(
        f"pkfit_{structure.name}_{'oral' if structure.oral else 'iv'}",
        states=tuple(states),
        parameters=parameters,
        equations=equations,
        outputs=(Output("C", f"A1/{v1}", "mg/L"),),
        description="compartment model of cxcr4lab.pkpd.compartments",
    )
