"""Fit one curve: validated data in, a frozen :class:`FitResult` out.

The minimiser is scipy's ``least_squares`` (Levenberg-Marquardt, or trust-region reflective when
a parameter is bounded) with the model's analytic Jacobian. Inference on top of it:
asymptotic covariance ``s^2 (J^T W J)^-1``, profile-likelihood CIs found by root search on the
F-based RSS threshold (Prism's and drc's method), and the extra-sum-of-squares F test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize
from scipy.special import fdtrc, fdtri

from cxcr4lab.core.errors import FitError, InputError, Place
from cxcr4lab.fit.constraints import Filler, compile_ties
from cxcr4lab.fit.minimize import minimize_lsq
from cxcr4lab.fit.models import HORIZONTAL, Model
from cxcr4lab.fit.result import FitResult, ProfileInterval

__all__ = ["extra_ss_f_test", "fit_curve", "no_effect_test", "profile_interval"]

Array = NDArray[np.float64]

RUNAWAY_SPANS = 100.0
"""A sigmoid's fit stops once a free plateau lies this many data spans (max - min of the
responses) from the middle of the data: the data define no plateau on that side (a curve
without effect walks there along a valley whose cost falls by parts per million)."""


def _validate(
    model: Model, x: ArrayLike, y: ArrayLike, weights: ArrayLike | None, n_free: int, place: Place
) -> tuple[Array, Array, Array | None]:
    xs = np.asarray(x, dtype=float).ravel()
    ys = np.asarray(y, dtype=float).ravel()
    if xs.shape != ys.shape:
        raise InputError(f"{len(xs)} x values but {len(ys)} y values", place=place)
    for label, arr in (("concentration", xs), ("response", ys)):
        # log10 of a zero concentration (-inf) is allowed where the model has a plateau there.
        ok_inf = label == "concentration" and model.zero_dose_ok
        bad = np.isnan(arr) | (np.isinf(arr) & ~(ok_inf & (arr < 0)))
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"{label} #{i + 1} is {arr[i]} (must be finite)", place=place)
    if len(xs) < n_free + 1:
        raise InputError(
            f"{len(xs)} points cannot fit {n_free} free parameters of {model.title} "
            f"with any residual degrees of freedom (need at least {n_free + 1})",
            place=place,
        )
    if len(np.unique(xs)) < 2:
        raise InputError("all points are at one concentration", place=place)
    w: Array | None = None
    if weights is not None:
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape != xs.shape or not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise InputError("weights must be finite, positive and one per point", place=place)
    return xs, ys, w


def _solve(
    model: Model,
    x: Array,
    y: Array,
    w: Array | None,
    p0: Array,
    free: NDArray[np.bool_],
    *,
    bounds: tuple[Array, Array] | None = None,
    tie: Filler | None = None,
    stop_runaway: bool = False,
) -> tuple[Array, Array, bool, str, Array]:
    """Least squares over the free parameters; returns (params, residuals, ok, message, jac).

    ``bounds`` are (lower, upper) of the free parameters; ``tie`` fills tied parameters from the
    others (see :mod:`cxcr4lab.fit.constraints`), its derivatives taken by complex step;
    ``stop_runaway`` stops at a plateau beyond :data:`RUNAWAY_SPANS`.
    """
    sw = np.sqrt(w) if w is not None else np.ones_like(y)
    base = p0.copy()
    n_free = int(free.sum())

    def full(q: Array) -> Array:
        p = base.copy()
        p[free] = q
        return p if tie is None else np.asarray(tie(p).real, dtype=np.float64)

    def resid(q: Array) -> Array:
        return sw * (model.f(x, full(q)) - y)

    def jac(q: Array) -> Array:
        j = model.jac(x, full(q))
        if tie is None:
            return sw[:, None] * j[:, free]
        # d p / d q by complex step through the ties (exact to rounding for analytic expressions).
        dp = np.zeros((len(base), n_free))
        for k in range(n_free):
            step = base.astype(complex)
            step[free] = q
            step[np.flatnonzero(free)[k]] += 1e-30j
            dp[:, k] = tie(step).imag / 1e-30
        return sw[:, None] * (j @ dp)

    missing = [n for n, f, v in zip(model.param_names, free, p0, strict=True) if f and np.isnan(v)]
    if missing:
        raise FitError(
            f"model {model.name!r} has no automatic starting values; "
            f"give start for {', '.join(missing)}"
        )
    runaway = _runaway(model, y, p0, free, full) if stop_runaway and tie is None else None
    sol = minimize_lsq(resid, jac, p0[free], bounds=bounds, runaway=runaway)
    p = full(sol.x)
    ok = sol.success and bool(np.all(np.isfinite(p))) and bool(np.all(np.isfinite(sol.fun)))
    return p, sol.fun, ok, sol.message, sol.jac


def _runaway(
    model: Model, y: Array, p0: Array, free: NDArray[np.bool_], full: Callable[[Array], Array]
) -> Callable[[Array], bool] | None:
    """Whether a point of the free parameters has a free plateau (``model.flat_when``) beyond
    :data:`RUNAWAY_SPANS` data spans from the middle of the data (and twice as far as the
    start's); ``None`` for models without plateaus."""
    plateaus = [model.index(n) for n in model.flat_when or () if free[model.index(n)]]
    finite = y[np.isfinite(y)]
    if not plateaus or not finite.size:
        return None
    middle = 0.5 * float(finite.max() + finite.min())
    start = float(np.max(np.abs(p0[plateaus] - middle)))
    reach = max(RUNAWAY_SPANS * float(finite.max() - finite.min()), 2.0 * start, 1e-300)

    def runaway(q: Array) -> bool:
        return bool(np.any(np.abs(full(q)[plateaus] - middle) > reach))

    return runaway


def _bounds(
    model: Model,
    bounds: Mapping[str, tuple[float, float]],
    free: NDArray[np.bool_],
    p0: Array,
    place: Place,
) -> tuple[Array, Array] | None:
    """(lower, upper) arrays over the free parameters, or None when nothing is bounded."""
    if not bounds:
        return None
    lower = np.full(len(p0), -np.inf)
    upper = np.full(len(p0), np.inf)
    for name, (lo, hi) in bounds.items():
        i = model.index(name)
        if not lo < hi:
            raise InputError(
                f"bounds of {name} must have lower < upper, got ({lo}, {hi})",
                place=place,
                field="bounds",
            )
        lower[i], upper[i] = lo, hi
    return lower[free], upper[free]


def _covariance(jac: Array, rss: float, dof: int) -> Array | None:
    if dof <= 0:
        return None
    try:
        with np.errstate(all="ignore"):  # a Jacobian beyond float range: no covariance
            jtj_inv = np.linalg.inv(jac.T @ jac)
            cov = np.asarray(jtj_inv * (rss / dof), dtype=np.float64)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0):
        return None
    return cov


def fit_curve(
    model: Model,
    x: ArrayLike,
    y: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    fixed: Mapping[str, float] | None = None,
    start: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    tied: Mapping[str, str] | None = None,
    profile: Sequence[str] = (),
    alpha: float = 0.05,
    place: Place | None = None,
) -> FitResult:
    """Fit ``model`` to one curve.

    ``x`` is in the model's scale (log10 mol/L for concentration models). ``fixed`` holds
    parameters at given values; ``start`` overrides the automatic starting values; ``bounds``
    maps parameters to (lower, upper); ``tied`` maps parameters to expressions of the others
    (``{"top": "bottom + 100"}``; tied parameters have no SE); ``profile`` names parameters that
    also get a profile-likelihood CI at level ``1 - alpha``.
    Bad data raise :class:`InputError` naming ``place``; a fit that goes badly is returned with
    ``converged=False`` rather than raised.
    """
    where = place or Place(curve="curve")
    fixed = dict(fixed or {})
    for name in fixed:
        model.index(name)
    tied = dict(tied or {})
    tie = compile_ties(model, tied, place=where) if tied else None
    free = np.array([n not in fixed and n not in tied for n in model.param_names])
    xs, ys, w = _validate(model, x, y, weights, int(free.sum()), where)

    p0 = np.asarray(model.guess(xs, ys), dtype=float)
    for name, value in {**(start or {}), **fixed}.items():
        p0[model.index(name)] = float(value)
    box = _bounds(model, bounds or {}, free, p0, where)
    if box is not None:  # start strictly inside the box, as the trust-region solvers require
        lo, hi = box
        margin_lo = 1e-9 * (1 + np.abs(np.where(np.isfinite(lo), lo, 0.0)))
        margin_hi = 1e-9 * (1 + np.abs(np.where(np.isfinite(hi), hi, 0.0)))
        inner_lo, inner_hi = lo + margin_lo, hi - margin_hi
        p0[free] = np.clip(p0[free], inner_lo, inner_hi)

    p, r, ok, message, jac = _solve(
        model, xs, ys, w, p0, free, bounds=box, tie=tie, stop_runaway=True
    )
    rss = float(r @ r)
    dof = len(xs) - int(free.sum())
    cov = _covariance(jac, rss, dof) if ok else None
    se_free = np.sqrt(np.diag(cov)) if cov is not None else None
    stderr: list[float | None] = []
    k = 0
    for is_free in free:
        if is_free and se_free is not None:
            stderr.append(float(se_free[k]))
            k += 1
        else:
            stderr.append(None)
    result = FitResult(
        model=model.name,
        param_names=model.param_names,
        values=tuple(float(v) for v in p),
        stderr=tuple(stderr),
        covariance=None if cov is None else tuple(tuple(float(c) for c in row) for row in cov),
        free=tuple(bool(f) for f in free),
        rss=rss,
        n=len(xs),
        converged=ok,
        message=message,
        x_min=float(xs[np.isfinite(xs)].min()),
        x_max=float(xs.max()),
        weighted=w is not None,
    )
    if ok and profile:
        intervals = tuple(
            profile_interval(model, xs, ys, result, name, weights=w, alpha=alpha, tie=tie)
            for name in profile
        )
        result = replace(result, profiles=intervals)
    return result


def profile_interval(
    model: Model,
    x: Array,
    y: Array,
    result: FitResult,
    name: str,
    *,
    weights: Array | None = None,
    alpha: float = 0.05,
    max_steps: int = 40,
    tie: Filler | None = None,
) -> ProfileInterval:
    """Profile-likelihood CI: where the RSS, re-minimised over the other parameters with ``name``
    held, reaches ``RSS_min * (1 + F(1 - alpha; 1, dof) / dof)``.

    Each side walks out in growing steps until the threshold is crossed, then refines by
    Brent's method; a side that never crosses within ``max_steps`` is ``None`` (unbounded).
    Where the model nests a horizontal line that the re-minimisation can reach whatever
    ``name`` is (``Model.flat_when``, both parameters free), the profile RSS never exceeds the
    RSS of that line: if the line is inside the threshold, neither side can close, and both
    are ``None`` without walking (a flat curve's walk is the most expensive one).
    """
    j = model.index(name)
    free = np.array(result.free)
    dof = result.dof
    if not free[j] or dof <= 0:
        return ProfileInterval(name, 1 - alpha, None, None)
    threshold = result.rss * (1.0 + float(fdtri(1, dof, 1 - alpha)) / dof)
    best = np.asarray(result.values)
    held = free.copy()
    held[j] = False
    if tie is None and _flat_rss(model, held, y, weights) < threshold:
        return ProfileInterval(name, 1 - alpha, None, None)
    se = result.stderr[j]
    step0 = se if se is not None and 0 < se < 1e3 else 0.1 * max(abs(best[j]), 1.0)

    names = [n for n, h in zip(model.param_names, held, strict=True) if h]
    linear = tie is None and all(n in model.linear for n in names)
    sw = None if weights is None else np.sqrt(weights)

    def excess(value: float) -> float:
        p0 = best.copy()
        p0[j] = value
        if linear and held.any():  # exact: least squares over parameters f is linear in
            r0 = model.f(x, p0) - y
            jac = model.jac(x, p0)[:, held]
            if sw is not None:
                r0, jac = r0 * sw, jac * sw[:, None]
            return _linear_rss(jac, r0) - threshold
        if not held.any():
            r = model.f(x, p0 if tie is None else np.asarray(tie(p0).real, dtype=float)) - y
            if weights is not None:
                r = r * np.sqrt(weights)
            return float(r @ r) - threshold
        _, r, _, _, _ = _solve(model, x, y, weights, p0, held, tie=tie)
        return float(r @ r) - threshold

    bounds: list[float | None] = []
    for direction in (-1.0, 1.0):
        inner, step, found = float(best[j]), step0, None
        for _ in range(max_steps):
            outer = inner + direction * step
            if excess(outer) > 0:
                found = float(
                    optimize.brentq(excess, min(inner, outer), max(inner, outer), xtol=1e-10)
                )
                break
            inner, step = outer, step * 1.6
        bounds.append(found)
    return ProfileInterval(name, 1 - alpha, bounds[0], bounds[1])


def _linear_rss(a: Array, r0: Array) -> float:
    """``min_s |r0 + a s|^2``: the RSS left when the parameters that the residuals are linear
    in are re-fitted (columns ``a``). One or two columns (a sigmoid's bottom and top, the
    common case) by modified Gram-Schmidt on ``[a | r0]``, backward stable for least squares
    (Björck 1967) and a tenth of the cost of an SVD call; more columns, or two nearly
    collinear ones, by ``lstsq``."""
    if a.shape[1] <= 2:
        r = r0
        basis: list[Array] = []
        for column in a.T:
            q = column
            for b in basis:
                q = q - b * (b @ q)
            size = float(np.sqrt(q @ q))
            if not size > 1e-8 * float(np.sqrt(column @ column)):  # collinear, zero, not finite
                break
            q = q / size
            basis.append(q)
            r = r - q * (q @ r)
        else:
            return float(r @ r)
    step = np.linalg.lstsq(a, -r0, rcond=None)[0]
    r = r0 + a @ step
    return float(r @ r)


def _flat_rss(model: Model, held: NDArray[np.bool_], y: Array, weights: Array | None) -> float:
    """RSS of the best horizontal line (the weighted mean) if the model can become one with its
    ``held``-free parameters alone; ``inf`` if it cannot."""
    if model.flat_when is None:
        return float("inf")
    if not all(held[model.index(p)] for p in model.flat_when):
        return float("inf")
    return _mean_rss(y, weights)


def _mean_rss(y: Array, weights: Array | None) -> float:
    """Weighted RSS of ``y`` about its weighted mean (a horizontal line's least squares)."""
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    mean = float(np.sum(w * y) / np.sum(w))
    r = y - mean
    return float(np.sum(w * r * r))


def extra_ss_f_test(simple: FitResult, complex_: FitResult) -> tuple[float, float]:
    """Extra-sum-of-squares F test of nested fits: (F, p). Small p favours ``complex_``."""
    return _f_test(simple.rss, simple.dof, complex_.rss, complex_.dof)


def _f_test(rss_s: float, dof_s: int, rss_c: float, dof_c: int) -> tuple[float, float]:
    d_df = dof_s - dof_c
    if d_df <= 0 or dof_c <= 0:
        raise ValueError("the second fit must have more free parameters than the first")
    if rss_c <= 0:
        return (0.0, 1.0) if rss_s <= 0 else (float("inf"), 0.0)
    f = ((rss_s - rss_c) / d_df) / (rss_c / dof_c)
    f = max(f, 0.0)
    return float(f), float(fdtrc(d_df, dof_c, f))


def no_effect_test(
    x: ArrayLike, y: ArrayLike, result: FitResult, weights: ArrayLike | None = None
) -> float:
    """p-value of the F test of ``result`` against a horizontal line through the same data
    (the weighted mean: the line's least-squares fit, in closed form)."""
    ys = np.asarray(y, dtype=float).ravel()
    # The flat line ignores x, so zero doses (x = -inf) need no special case.
    w = None if weights is None else np.asarray(weights, dtype=float).ravel()
    _validate(HORIZONTAL, np.arange(ys.size, dtype=float), ys, w, 1, Place(curve="curve"))
    _, p = _f_test(_mean_rss(ys, w), ys.size - 1, result.rss, result.dof)
    return p
