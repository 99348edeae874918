"""Covariance from the observed information, as R's drc computes it for continuous responses.

``fit_curve`` gives the Gauss-Newton covariance ``s^2 (J^T W J)^-1`` (Prism, nls, lmfit,
curve_fit). R drc fits by ``optim(..., hessian = TRUE)`` (``drmOpt.R``; derivatives unused by
default, ``drmc(useD = FALSE)``) and takes ``vcov = solve(H / (2 s^2))`` (``vcov.drc.R``,
``vcCont``): ``H`` is the full Hessian of the residual sum of squares, which adds the
curvature term ``sum_i w_i r_i d2f_i/dp2`` to ``J^T W J``. The two agree when residuals are
small or the model is nearly linear, and differ by a few percent on real data (ryegrass LL.4:
SE of the Hill slope 0.4584 by Gauss-Newton, 0.4651 by drc). :func:`with_observed_covariance`
gives a result with drc's covariance; :func:`ed_delta` drc's ``ED(m, 50, interval = "delta")``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import stdtrit

from cxcr4lab.fit.models import Model
from cxcr4lab.fit.result import FitResult

__all__ = [
    "ed_delta",
    "observed_covariance",
    "observed_covariance_batch",
    "with_observed_covariance",
]

Array = NDArray[np.float64]

_STEP = float(np.cbrt(np.finfo(float).eps))
"""Relative step of the central differences of the analytic Jacobian (~6e-6)."""


def observed_covariance(
    model: Model,
    x: ArrayLike,
    y: ArrayLike,
    result: FitResult,
    *,
    weights: ArrayLike | None = None,
) -> Array | None:
    """``s^2 (J^T W J + sum_i w_i r_i d2f_i/dp2)^-1`` over the free parameters of ``result``.

    ``x``, ``y`` and ``weights`` are the data ``result`` was fitted to (``x`` in the model's
    scale). Second derivatives are central differences of the model's analytic Jacobian.
    ``None`` when the Hessian is not positive definite (no minimum to speak of) or dof <= 0.
    """
    xs = np.asarray(x, dtype=float).ravel()
    ys = np.asarray(y, dtype=float).ravel()
    w = np.ones_like(ys) if weights is None else np.asarray(weights, dtype=float).ravel()
    free = np.asarray(result.free)
    p = np.asarray(result.values, dtype=float)
    dof = len(ys) - int(free.sum())
    if dof <= 0:
        return None
    with np.errstate(all="ignore"):
        r = model.f(xs, p) - ys
        jac = model.jac(xs, p)[:, free]
        rss = float(w @ r**2)
        curvature = np.zeros((jac.shape[1], jac.shape[1]))
        for col, j in enumerate(np.flatnonzero(free)):
            h = _STEP * (abs(p[j]) or 1.0)
            up, down = p.copy(), p.copy()
            up[j] += h
            down[j] -= h
            d_jac = (model.jac(xs, up)[:, free] - model.jac(xs, down)[:, free]) / (up[j] - down[j])
            curvature[:, col] = (w * r) @ d_jac
    hessian = jac.T @ (w[:, None] * jac) + 0.5 * (curvature + curvature.T)
    if not np.all(np.isfinite(hessian)):
        return None
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return None
    cov = np.asarray(np.linalg.inv(hessian) * (rss / dof), dtype=np.float64)
    return cov if np.all(np.isfinite(cov)) else None


def observed_covariance_batch(
    evaluate: Callable[[Array, Array, Array | None], Array],
    P: Array,
    X: Array,
    Y: Array,
    w: Array,
    dof: NDArray[np.int64],
) -> Array:
    """:func:`observed_covariance` of many curves at once: ``P`` ``(k, n)`` fitted
    parameters, ``X``, ``Y`` ``(n, m)`` data (absent points with weight 0 in ``w``),
    ``evaluate(P, X, J)`` the batch evaluator of the model (values ``(n, m)``, Jacobian into
    ``J`` ``(k, n, m)``). Returns ``(n, k, k)``, NaN where the Hessian is not positive definite
    or dof <= 0; ``2k + 1`` evaluations of the whole batch."""
    k, n = P.shape
    J = np.empty((k, *X.shape))
    with np.errstate(all="ignore"):
        r = evaluate(P, X, J) - Y
        wr = w * r
        rss = np.einsum("nm,nm->n", wr, r)
        A = np.einsum("anm,nm,bnm->nab", J, w, J)
        curvature = np.empty((n, k, k))
        Jp, Jm = np.empty_like(J), np.empty_like(J)
        for j in range(k):
            h = _STEP * np.where(P[j] != 0, np.abs(P[j]), 1.0)
            up, down = P.copy(), P.copy()
            up[j] += h
            down[j] -= h
            evaluate(up, X, Jp)
            evaluate(down, X, Jm)
            d_jac = (Jp - Jm) / (up[j] - down[j])[None, :, None]
            curvature[:, :, j] = np.einsum("nm,anm->na", wr, d_jac)
        H = A + 0.5 * (curvature + curvature.transpose(0, 2, 1))
        out = np.full((n, k, k), np.nan)
        for i in range(n):
            if dof[i] <= 0 or not np.all(np.isfinite(H[i])):
                continue
            try:
                np.linalg.cholesky(H[i])
            except np.linalg.LinAlgError:
                continue
            out[i] = np.linalg.inv(H[i]) * (rss[i] / dof[i])
    return out


def with_observed_covariance(
    model: Model,
    x: ArrayLike,
    y: ArrayLike,
    result: FitResult,
    *,
    weights: ArrayLike | None = None,
) -> FitResult:
    """``result`` with covariance and standard errors from the observed information (drc's).

    Estimates, RSS and profiles are unchanged; where the observed information is not positive
    definite the covariance and the free parameters' SEs become ``None`` (as drc cannot
    invert it either without regularising).
    """
    cov = observed_covariance(model, x, y, result, weights=weights)
    se_free = iter(np.sqrt(np.diag(cov))) if cov is not None else None
    stderr = tuple(
        (float(next(se_free)) if se_free is not None else None) if f else None for f in result.free
    )
    return replace(
        result,
        stderr=stderr,
        covariance=None if cov is None else tuple(tuple(float(c) for c in row) for row in cov),
    )


def ed_delta(
    result: FitResult, *, param: str = "log10_ic50", alpha: float = 0.05
) -> tuple[float, float | None, float | None, float | None]:
    """ED50 in mol/L with drc's delta-method SE and CI: ``(ed, se, lower, upper)``.

    As ``ED(m, 50, interval = "delta")`` for LL.4 (ED.drc.R, confint.basic): ``ed = 10^param``,
    ``se = ed ln(10) SE(param)``, and ``ed +/- t(1 - alpha/2, dof) se`` on the concentration
    scale (Student's t for continuous responses). Use a result from
    :func:`with_observed_covariance` to reproduce drc's numbers.
    """
    j = result.param_names.index(param)
    ed = 10.0 ** result.values[j]
    se_log = result.stderr[j]
    if se_log is None or result.dof <= 0:
        return ed, None, None, None
    se = ed * math.log(10.0) * se_log
    t = float(stdtrit(result.dof, 1 - alpha / 2))
    return ed, se, ed - t * se, ed + t * se
