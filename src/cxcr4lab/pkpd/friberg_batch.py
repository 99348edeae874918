"""The Friberg neutropenia model for a whole virtual population at once (scipy ``solve_ivp``).

Same equations as :func:`cxcr4lab.pkpd.neutropenia.eribulin_neutropenia_model` (Friberg et al.
2002 with the eribulin parameters of van Hasselt et al. 2013), solved for every subject in one
vectorised ``solve_ivp`` call per dosing interval. The eribulin plasma concentration that drives
it is not integrated: the 3-compartment PK is linear, so ``C(t)`` (ug/L) is a sum of exponential
modes ``C = sum_i z_i``, ``dz_i/dt = lambda_i z_i + c_i r`` (``lambda_i`` the eigenvalues of
``K``, ``c_i = 1000/V1 * V[0, i] Vinv[i, 0]``, ``r`` the infusion rate in mg/h; a bolus adds
``c_i * amount``). Integrating only the five Friberg states removes the stiffness of eribulin's
5-minute distribution phase, and works in a fresh process with no compilation (the numba batch
kernel of :mod:`cxcr4lab.sim` needs about 40 s to compile once per machine).

The step-size control of ``solve_ivp`` uses the RMS error over all subjects' states, so the
default tolerances are tighter than for one subject; the tests hold the nadirs to the
single-subject LSODA solution of the declared model (:func:`cxcr4lab.sim.simulate`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.pk_batch import DoseChanges, breakpoints

__all__ = ["FRIBERG_PARAMETERS", "friberg_anc", "modal_concentration"]

Array = NDArray[np.float64]

#: Per-subject Friberg parameters :func:`friberg_anc` needs (units 1e9/L, h, 1, L/ug).
FRIBERG_PARAMETERS = ("Circ0", "MTT", "gamma", "SLOPE")


def modal_concentration(K: Array, v1: Array, scale: float = 1000.0) -> tuple[Array, Array]:
    """Eigenvalues ``lambda`` (1/h) and weights ``c`` (subjects x n) of the central
    concentration ``scale * A1 / V1`` after a unit bolus into ``A1``."""
    lam, V = np.linalg.eig(K)
    Vinv = np.linalg.inv(V)
    c = (scale / np.asarray(v1, float))[:, None] * V[:, 0, :] * Vinv[:, :, 0]
    if np.abs(lam.imag).max(initial=0.0) > 1e-9 * np.abs(lam.real).max(initial=1.0):
        raise InputError("the PK model has oscillating modes", field="K")
    if np.any(lam.real >= 0):
        raise InputError("the PK model has a mode that does not decay", field="K")
    return np.asarray(lam.real, float), np.asarray(c.real, float)


def friberg_anc(
    K: Array,
    v1: Array,
    doses: DoseChanges,
    params: Mapping[str, Array],
    times: Array,
    *,
    rtol: float = 1e-7,
    atol: float = 1e-9,
) -> Array:
    """ANC (10^9/L; subjects x times) under eribulin dosed into the central compartment of the
    linear PK ``K`` (mg, L, h; ``v1`` in L, concentrations in ug/L). Times start at 0 h, when
    every subject is at its baseline ``Circ0``."""
    n = K.shape[0]
    t_out = np.asarray(times, float)
    if t_out.ndim != 1 or t_out.size == 0 or t_out[0] < 0 or np.any(np.diff(t_out) <= 0):
        raise InputError("output times must be increasing and >= 0 h", field="times")
    missing = [p for p in FRIBERG_PARAMETERS if p not in params]
    if missing:
        raise InputError(f"missing Friberg parameter(s) {missing}", field="params")
    p = {k: np.broadcast_to(np.asarray(params[k], float), (n,)) for k in FRIBERG_PARAMETERS}
    for k, v in p.items():
        if not np.all(np.isfinite(v)) or np.any(v <= 0):
            raise InputError("must be finite and > 0 for every subject", field=k)
    if doses.time.size and np.any(doses.state != 0):
        raise InputError("eribulin doses go into the central compartment", field="doses")
    lam, c = modal_concentration(K, v1)
    ktr, circ0, gamma, slope = 4.0 / p["MTT"], p["Circ0"], p["gamma"], p["SLOPE"]
    ends = doses.time + doses.duration
    stops = np.unique(np.concatenate([breakpoints([doses]), [t_out[-1]]]))
    stops = stops[(stops > 0) & (stops <= t_out[-1])]
    z = np.zeros_like(lam)  # modal amplitudes (ug/L) at the segment start
    rate = np.zeros(n)  # mg/h
    y = np.tile(circ0, 5)
    out = np.empty((n, t_out.size))
    out[:, t_out == 0.0] = circ0[:, None]
    t = 0.0
    for b in stops:
        on = np.isclose(doses.time, t, rtol=0, atol=1e-9)
        off = np.isclose(ends, t, rtol=0, atol=1e-9) & (doses.duration > 0)
        for d in np.flatnonzero(off):
            rate -= doses.amount[:, d] / doses.duration[d]
        for d in np.flatnonzero(on):
            if doses.duration[d] > 0:
                rate += doses.amount[:, d] / doses.duration[d]
            else:
                z = z + doses.amount[:, d, None] * c
        rate[np.abs(rate) < 1e-12] = 0.0
        z0, r0, t0 = z, rate.copy(), t

        def rhs(tt: float, yy: Array, z0: Array = z0, r0: Array = r0, t0: float = t0) -> Array:
            e = np.exp(lam * (tt - t0))
            conc = (z0 * e + c * r0[:, None] * (e - 1.0) / lam).sum(axis=1)
            prol, t1, t2, t3, circ = yy.reshape(5, n)
            feedback = (circ0 / np.maximum(circ, 1e-12)) ** gamma
            dy = np.empty((5, n))
            dy[0] = ktr * prol * ((1.0 - slope * conc) * feedback - 1.0)
            dy[1] = ktr * (prol - t1)
            dy[2] = ktr * (t1 - t2)
            dy[3] = ktr * (t2 - t3)
            dy[4] = ktr * (t3 - circ)
            return dy.ravel()

        inside = (t_out > t) & (t_out < b)
        at_end = np.flatnonzero(t_out == b)
        t_eval = np.append(t_out[inside], b)
        sol = solve_ivp(rhs, (t, float(b)), y, method="RK45", t_eval=t_eval, rtol=rtol, atol=atol)
        if not sol.success:
            raise InputError(f"integration failed at {t:g} h: {sol.message}", field="simulate")
        out[:, inside] = sol.y[4 * n :, :-1]
        y = sol.y[:, -1]
        out[:, at_end] = y[4 * n :, None]
        e = np.exp(lam * (b - t))
        z = z * e + c * rate[:, None] * (e - 1.0) / lam
        t = float(b)
    return out
