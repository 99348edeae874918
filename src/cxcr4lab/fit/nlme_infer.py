"""Inference for NLME fits: numerical R-matrix, sandwich, Wald CIs, shrinkage, flags.

Conventions (stated because NONMEM, nlmixr2 and R differ in them):

* the **R-matrix** is the Hessian of the objective ``OFV = -2 log L`` in the unconstrained
  estimation vector ``x`` (central differences, all points evaluated in one batched call);
  the model-based covariance is ``2 R^-1`` (the inverse observed information);
* the **S-matrix** is ``sum_i g_i g_i^T`` with ``g_i`` the gradient of subject i's
  contribution to the OFV; the **sandwich** is ``R^-1 S R^-1`` (the same as
  ``A^-1 B A^-1`` with the information ``A = R / 2`` and ``B = S / 4``);
* Wald intervals are formed on the scale given per parameter (identity, log, atanh) with the
  normal quantile, and transformed back;
* **shrinkage** of eta k is ``1 - SD(EBE_k) / omega_k`` (SD over subjects, ``ddof=1``);
* the **condition number** is the ratio of the largest to the smallest eigenvalue of the
  correlation matrix of the estimates (as NONMEM prints it), from the model-based covariance
  ``2 R^-1`` where there is one: the sandwich can look well conditioned when R is singular,
  because S is (nearly) 0 along R's null direction too;
* a fit is **not identifiable** (flags, never an exception) when the R-matrix (or the
  covariance) is not positive definite, an SE is not finite, or the condition number
  exceeds 1e6.

All of it is hand-written numpy (see :mod:`cxcr4lab.fit.nlme_model` for why).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from cxcr4lab.fit.nlme_model import ParameterLayout
from cxcr4lab.fit.nlme_result import NlmeResult

__all__ = [
    "CONDITION_LIMIT",
    "build_result",
    "covariance_from_hessian",
    "numerical_hessian",
    "subject_gradients",
]

Array = NDArray[np.float64]
BatchFn = Callable[[Array], Array]

CONDITION_LIMIT = 1e6
"""Above this condition number the fit is flagged ``ill_conditioned`` (not identifiable)."""


def fd_steps(x: Array, relative: float) -> Array:
    return relative * np.maximum(np.abs(x), 1.0)


def numerical_hessian(fun: BatchFn, x: Array, step: Array) -> Array:
    """Hessian of a scalar function by central differences; ``fun`` maps (K, P) -> (K,).

    All 1 + 2P + 2P(P-1) points are evaluated in one call.
    """
    n = len(x)
    pts = [x.copy()]
    for i in range(n):
        for s in (1.0, -1.0):
            v = x.copy()
            v[i] += s * step[i]
            pts.append(v)
    pairs = [(i, j) for i in range(n) for j in range(i)]
    for i, j in pairs:
        for si, sj in ((1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)):
            v = x.copy()
            v[i] += si * step[i]
            v[j] += sj * step[j]
            pts.append(v)
    vals = fun(np.array(pts))
    f0 = vals[0]
    h = np.empty((n, n))
    for i in range(n):
        h[i, i] = (vals[1 + 2 * i] - 2.0 * f0 + vals[2 + 2 * i]) / step[i] ** 2
    base = 1 + 2 * n
    for c, (i, j) in enumerate(pairs):
        pp, pm, mp, mm = vals[base + 4 * c : base + 4 * c + 4]
        h[i, j] = h[j, i] = (pp - pm - mp + mm) / (4.0 * step[i] * step[j])
    return h


def subject_gradients(fun: BatchFn, x: Array, step: Array) -> Array:
    """Gradients (m, P) of each subject's contribution; ``fun`` maps (K, P) -> (K, m)."""
    n = len(x)
    pts = []
    for i in range(n):
        for s in (1.0, -1.0):
            v = x.copy()
            v[i] += s * step[i]
            pts.append(v)
    vals = fun(np.array(pts))  # (2n, m)
    return np.stack([(vals[2 * i] - vals[2 * i + 1]) / (2.0 * step[i]) for i in range(n)], axis=1)


def covariance_from_hessian(h: Array, factor: float = 2.0) -> Array | None:
    """``factor * h^-1`` when ``h`` is symmetric positive definite, else ``None``."""
    if not np.all(np.isfinite(h)):
        return None
    hs = 0.5 * (h + h.T)
    try:
        c = np.linalg.cholesky(hs)
    except np.linalg.LinAlgError:
        return None
    inv = np.linalg.inv(c)
    return factor * (inv.T @ inv)


def _condition(cov: Array) -> float | None:
    d = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(d)) or np.any(d <= 0):
        return None
    corr = cov / np.outer(d, d)
    ev = np.linalg.eigvalsh(0.5 * (corr + corr.T))
    if ev[0] <= 0:
        return math.inf
    return float(ev[-1] / ev[0])


def _se_tuple(cov: Array | None, jac: Array) -> tuple[float | None, ...]:
    if cov is None:
        return (None,) * int(jac.shape[0])
    var = [float(v) for v in np.einsum("ij,jk,ik->i", jac, cov, jac)]
    return tuple(math.sqrt(v) if math.isfinite(v) and v >= 0 else None for v in var)


def _natural(value: float, scale: str) -> float:
    if scale == "log":
        return math.exp(value)
    if scale == "atanh":
        return math.tanh(value)
    return value


def _natural_se(value: float, se: float | None, scale: str) -> float | None:
    if se is None:
        return None
    if scale == "log":
        return math.exp(value) * se
    if scale == "atanh":
        return (1.0 - math.tanh(value) ** 2) * se
    return se


def build_result(
    *,
    method: str,
    model_name: str,
    layout: ParameterLayout,
    x: Array,
    ofv: float,
    subject_ids: tuple[str, ...],
    n_obs: int,
    ebe: Array,
    cov: Array | None,
    covariance_method: str,
    converged: bool,
    message: str,
    iterations: int,
    n_evaluations: int,
    level: float = 0.95,
    cov_r: Array | None = None,
    cov_sandwich: Array | None = None,
    extra_flags: tuple[str, ...] = (),
) -> NlmeResult:
    """Assemble an :class:`NlmeResult` from the estimate ``x`` and its covariance (on ``x``)."""
    names = layout.report_names()
    rep = layout.report(x)
    jac = layout.report_jacobian(x)
    se_rep = _se_tuple(cov, jac)
    z = float(ndtri(0.5 + level / 2.0))
    estimates: list[float] = []
    se_nat: list[float | None] = []
    lo: list[float | None] = []
    hi: list[float | None] = []
    for (_, _, scale), v, s in zip(names, rep, se_rep, strict=True):
        estimates.append(_natural(float(v), scale))
        se_nat.append(_natural_se(float(v), s, scale))
        if s is None:
            lo.append(None)
            hi.append(None)
        else:
            lo.append(_natural(float(v) - z * s, scale))
            hi.append(_natural(float(v) + z * s, scale))
    _, lower, _, _ = layout.unpack(x[None, :])
    omega = lower[0] @ lower[0].T
    sd = np.sqrt(np.diag(omega))
    if ebe.shape[0] > 1:
        shrink = tuple(
            float(1.0 - np.std(ebe[:, k], ddof=1) / sd[k]) if sd[k] > 0 else math.nan
            for k in range(layout.q)
        )
    else:
        shrink = (math.nan,) * layout.q
    flags: list[str] = list(extra_flags)
    if not converged:
        flags.append("not_converged")
    cond: float | None = None
    base = cov_r if cov_r is not None else cov  # the sandwich hides a singular R-matrix
    if cov is None or base is None:
        flags.append("covariance_not_positive_definite")
    else:
        cond = _condition(base)
        if cond is None or not math.isfinite(cond):
            flags.append("covariance_not_positive_definite")
        elif cond > CONDITION_LIMIT:
            flags.append("ill_conditioned")
    if any(s is None or not math.isfinite(s) for s in se_nat):
        flags.append("se_not_finite")
    unidentifiable = {"covariance_not_positive_definite", "ill_conditioned", "se_not_finite"}
    identifiable = not any(f in unidentifiable for f in flags)
    return NlmeResult(
        method=method,
        model=model_name,
        param_names=tuple(n for n, _, _ in names),
        kinds=tuple(k for _, k, _ in names),
        scales=tuple(s for _, _, s in names),
        estimates=tuple(estimates),
        stderr=tuple(se_nat),
        ci_lower=tuple(lo),
        ci_upper=tuple(hi),
        level=level,
        covariance_method=covariance_method,
        ofv=float(ofv),
        n_obs=n_obs,
        n_subjects=len(subject_ids),
        eta_names=layout.eta_names,
        subject_ids=subject_ids,
        ebe=tuple(tuple(float(v) for v in row) for row in ebe),
        shrinkage=shrink,
        omega=tuple(tuple(float(v) for v in row) for row in omega),
        condition_number=cond if cond is None or math.isfinite(cond) else None,
        identifiable=identifiable,
        flags=tuple(dict.fromkeys(flags)),
        converged=converged,
        message=message,
        iterations=iterations,
        n_evaluations=n_evaluations,
        estimation_names=layout.names,
        estimation_values=tuple(float(v) for v in x),
        estimation_covariance=None
        if cov is None
        else tuple(tuple(float(v) for v in row) for row in cov),
        stderr_r=_natural_tuple(names, rep, _se_tuple(cov_r, jac)) if cov_r is not None else (),
        stderr_sandwich=_natural_tuple(names, rep, _se_tuple(cov_sandwich, jac))
        if cov_sandwich is not None
        else (),
    )


def _natural_tuple(
    names: tuple[tuple[str, str, str], ...], rep: Array, se: tuple[float | None, ...]
) -> tuple[float | None, ...]:
    return tuple(
        _natural_se(float(v), s, scale) for (_, _, scale), v, s in zip(names, rep, se, strict=True)
    )
