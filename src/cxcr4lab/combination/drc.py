"""The single-drug curve fits SynergyFinder 3 makes, reproduced step by step from R drc 3.2-0.

Written by hand because SynergyFinder's ZIP score depends on *which* local optimum drc's
optimiser stops at, not on the least-squares optimum: many ZIP slices are nearly flat, step-like
curves, and another parameter set often has a lower residual sum of squares (26 of the 60 slice
fits of the reference blocks). A generic least-squares fit (``cxcr4lab.fit``, scipy
``least_squares``) differs from SynergyFinder by several % inhibition per cell there. No
maintained Python library reproduces drc; this module follows its code path exactly:

1. SynergyFinder's ``FitDoseResponse``: a constant response gets ``1e-10`` added to its last
   value; ``drm(response ~ dose, fct = LL.4(fixed = c(NA, Emin, Emax, NA)))`` with a zero dose
   kept at 0 (its prediction is the curve's limit); should drm stop with an error, the fit is
   redone as ``L.4`` on ``log(dose)``, a zero dose taken as ``1e-10`` (in the user's unit). A
   trial point with a negative ED50 gives R's "NaNs produced" warning and a NaN sum of squares,
   which the line search steps back from: since SynergyFinder 2.1 warnings no longer trigger
   the fallback. drc reports a failed optimisation as a warning and an unfitted model, on which
   SynergyFinder 3 would stop; here that falls back to L.4 too.
2. drm's scaling: doses are divided by ``10^floor(log10(median(dose)))`` and responses by
   ``10^floor(log10(median(response)))`` (each 1 when not positive); fixed values are scaled too.
3. drc's self-start (``llogistic.ssf`` method 1): ``c = min(y) - 0.001 range(y)``,
   ``d = max(y) + 0.001 range(y)``; ``b`` and ``e`` from the least-squares line of
   ``log((d - y)/(y - c))`` on ``log(dose)`` (``e = exp(-intercept/b)``). A fixed ``c`` does not
   change the start of ``b`` and ``e``.
4. ``optim(method = "BFGS", control = list(maxit = 500, reltol = 1e-7, parscale = |start|))``
   on the residual sum of squares, with R's numerical gradient (central differences, step
   ``ndeps = 1e-3`` in the parscale units), followed by R's finite-difference Hessian (which
   can also fail). :func:`vmmin` is a line-by-line port of R's ``vmmin`` (src/appl/optim.c).

Parameters are drc's: ``f(x) = c + (d - c) / (1 + exp(b (log x - log e)))`` for LL.4 and
``f(x) = c + (d - c) / (1 + exp(b (x - e)))`` with ``x = log(dose)`` for the L.4 fallback.
Arithmetic follows R where it matters for the path the optimiser takes: the sum of squares is
summed exactly (R accumulates in long double), ``exp``/``log`` are the C library's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from cxcr4lab.core.serial import Serial

__all__ = [
    "DrcControl",
    "DrcFailure",
    "DrcFit",
    "drm",
    "fit_dose_response",
    "r_pow",
    "refine_fit",
    "vmmin",
]

Array = NDArray[np.float64]
Model = Literal["LL.4", "L.4"]

ZERO_DOSE = 1e-10
"""SynergyFinder's stand-in for a zero dose (``FitDoseResponse``), in the user's unit."""


class DrcFailure(Exception):
    """drm would stop with an error or leave the model unfitted (the caller falls back)."""


@dataclass(frozen=True)
class DrcControl(Serial):
    """drc's ``drmc()`` settings that matter here (defaults are drc 3.2-0's as SynergyFinder calls
    it: ``reltol`` 1e-7, ``maxit`` 500) and optim's finite-difference step ``ndeps``."""

    rel_tol: float = 1e-7
    max_it: int = 500
    ndeps: float = 1e-3


DEFAULT_CONTROL = DrcControl()


@dataclass(frozen=True)
class DrcFit(Serial):
    """A drc fit in drc's parameterisation.

    ``model`` is ``"LL.4"`` (``e`` is the EC50, in the dose unit) or ``"L.4"`` (fitted on
    ``log(dose)``: ``e`` is log EC50). ``fixed`` names the parameters held fixed (``"c"``,
    ``"d"``). ``rss`` is the residual sum of squares, ``iterations`` optim's gradient count,
    ``converged`` False when optim stopped at ``maxit``.
    """

    model: Model
    b: float
    c: float
    d: float
    e: float
    rss: float
    iterations: int
    converged: bool
    fixed: tuple[str, ...] = ()

    @property
    def params(self) -> tuple[float, float, float, float]:
        """``(b, c, d, e)``, SynergyFinder's ``FindModelPar`` order."""
        return (self.b, self.c, self.d, self.e)

    @property
    def ec50(self) -> float:
        """The EC50 in the dose unit (``e``, or ``exp(e)`` for L.4)."""
        return self.e if self.model == "LL.4" else _safe_exp(self.e)

    def predict(self, dose: Sequence[float] | Array | float) -> Array:
        """Predicted response at ``dose``: at a zero dose LL.4 gives its limit (``c`` for a
        negative ``b``), L.4 its value at ``1e-10`` (the dose it was fitted at)."""
        x = np.atleast_1d(np.asarray(dose, dtype=float)).copy()
        with np.errstate(all="ignore"):
            if self.model == "LL.4":
                z = self.b * np.log(x / self.e)
            else:
                x[x == 0] = ZERO_DOSE
                z = self.b * (np.log(x) - self.e)
            out: Array = self.c + (self.d - self.c) / (1 + np.exp(z))
        return out

    def dose_for(self, y: float) -> float:
        """The dose at which the curve reaches ``y`` (SynergyFinder's ``.SolveExpDose``): NaN
        (unreachable) becomes ``inf`` above both asymptotes and ``0`` otherwise."""
        b, c, d, e = self.params
        if self.model == "LL.4":
            res = e * r_pow(_ieee_div(y - d, c - y), _ieee_div(1.0, b))
        else:
            res = _safe_exp(e + _ieee_div(_r_log(_ieee_div(d - y, y - c)), b))
        if math.isnan(res):
            return math.inf if y > max(c, d) else 0.0
        return float(res)


def r_pow(x: float, y: float) -> float:
    """R's ``x ^ y`` (``R_pow``): differs from C ``pow`` at ``(-Inf)^y`` for a non-integer ``y``
    (NaN in R) and at ``0^y`` with ``y < 0`` (always ``+Inf``).

    >>> r_pow(-math.inf, 0.5), r_pow(-8.0, 1 / 3), r_pow(-2.0, -1.0)
    (nan, nan, -0.5)
    """
    if y == 2.0:
        return x * x
    if x == 1.0 or y == 0.0:
        return 1.0
    if x == 0.0:
        return 0.0 if y > 0 else (math.inf if y < 0 else y)
    if math.isfinite(x) and math.isfinite(y):
        try:
            return math.pow(x, y)
        except ValueError:  # a negative base with a non-integer exponent
            return math.nan
        except OverflowError:
            return math.inf if x > 0 or (float(y).is_integer() and y % 2 == 0) else -math.inf
    if math.isnan(x) or math.isnan(y):
        return x + y
    if not math.isfinite(x):
        if x > 0:
            return 0.0 if y < 0 else math.inf
        if math.isfinite(y) and y == math.floor(y):
            return 0.0 if y < 0 else (x if math.fmod(y, 2.0) != 0 else -x)
    if not math.isfinite(y) and x >= 0:
        if y > 0:
            return math.inf if x >= 1 else 0.0
        return math.inf if x < 1 else 0.0
    return math.nan


def _r_log(x: float) -> float:
    """R's ``log``: NaN for a negative argument, ``-Inf`` at 0."""
    if math.isnan(x) or x < 0:
        return math.nan
    if x == 0:
        return -math.inf
    return math.log(x)


# --- R's optim(method = "BFGS") -------------------------------------------------------------------

_STEPREDN = 0.2
_ACCTOL = 0.0001
_RELTEST = 10.0


@dataclass(frozen=True)
class _VmminResult:
    par: list[float]
    value: float
    fncount: int
    grcount: int
    fail: int


def vmmin(
    fn: Callable[[list[float]], float],
    gr: Callable[[list[float]], list[float]],
    b0: Sequence[float],
    *,
    maxit: int,
    reltol: float,
    abstol: float = -math.inf,
) -> _VmminResult:
    """R's variable-metric minimiser ``vmmin`` (Nash 1990, as in R's src/appl/optim.c), line by
    line: the same line search (step reduction 0.2, acceptance 1e-4), the same resets of the
    inverse-Hessian approximation and the same stopping test on the relative change of ``fn``.
    Raises :class:`DrcFailure` where R raises an error (non-finite initial value)."""
    n = len(b0)
    b = [float(v) for v in b0]
    f = fn(b)
    if not math.isfinite(f):
        raise DrcFailure("initial value in 'vmmin' is not finite")
    fmin = f
    funcount = gradcount = 1
    g = gr(b)
    it = 1
    ilast = gradcount
    bmat = [[0.0] * n for _ in range(n)]
    t = [0.0] * n
    xv = [0.0] * n
    cv = [0.0] * n
    count = 0
    while True:
        if ilast == gradcount:
            for i in range(n):
                for j in range(i):
                    bmat[i][j] = 0.0
                bmat[i][i] = 1.0
        for i in range(n):
            xv[i] = b[i]
            cv[i] = g[i]
        gradproj = 0.0
        for i in range(n):
            s = 0.0
            for j in range(i + 1):
                s -= bmat[i][j] * g[j]
            for j in range(i + 1, n):
                s -= bmat[j][i] * g[j]
            t[i] = s
            gradproj += s * g[i]
        if gradproj < 0.0:
            steplength = 1.0
            accpoint = False
            while True:
                count = 0
                for i in range(n):
                    b[i] = xv[i] + steplength * t[i]
                    if _RELTEST + xv[i] == _RELTEST + b[i]:
                        count += 1
                if count < n:
                    f = fn(b)
                    funcount += 1
                    accpoint = math.isfinite(f) and f <= fmin + gradproj * steplength * _ACCTOL
                    if not accpoint:
                        steplength *= _STEPREDN
                if count == n or accpoint:
                    break
            enough = f > abstol and abs(f - fmin) > reltol * (abs(fmin) + reltol)
            if not enough:
                count = n
                fmin = f
            if count < n:
                fmin = f
                g = gr(b)
                gradcount += 1
                it += 1
                d1 = 0.0
                for i in range(n):
                    t[i] = steplength * t[i]
                    cv[i] = g[i] - cv[i]
                    d1 += t[i] * cv[i]
                if d1 > 0:
                    d2 = 0.0
                    for i in range(n):
                        s = 0.0
                        for j in range(i + 1):
                            s += bmat[i][j] * cv[j]
                        for j in range(i + 1, n):
                            s += bmat[j][i] * cv[j]
                        xv[i] = s
                        d2 += s * cv[i]
                    d2 = 1.0 + d2 / d1
                    for i in range(n):
                        for j in range(i + 1):
                            bmat[i][j] += (d2 * t[i] * t[j] - xv[i] * t[j] - t[i] * xv[j]) / d1
                else:
                    ilast = gradcount
            elif ilast < gradcount:
                count = 0
                ilast = gradcount
        else:
            count = 0
            if ilast == gradcount:
                count = n
            else:
                ilast = gradcount
        if it >= maxit:
            break
        if gradcount - ilast > 2 * n:
            ilast = gradcount
        if count == n and ilast == gradcount:
            break
    return _VmminResult(b, fmin, funcount, gradcount, 0 if it < maxit else 1)


def _numeric_gradient(
    fn: Callable[[list[float]], float], ndeps: float
) -> Callable[[list[float]], list[float]]:
    """optim's ``fmingr`` without an analytic gradient: central differences of step ``ndeps``
    in the scaled parameters; a non-finite difference is an error in R."""

    def gr(p: list[float]) -> list[float]:
        out = []
        for i in range(len(p)):
            x = list(p)
            x[i] = p[i] + ndeps
            v1 = fn(x)
            x[i] = p[i] - ndeps
            v2 = fn(x)
            df = (v1 - v2) / (2 * ndeps)
            if not math.isfinite(df):
                raise DrcFailure(f"non-finite finite-difference value [{i + 1}]")
            out.append(df)
        return out

    return gr


def _check_hessian(
    gr: Callable[[list[float]], list[float]],
    p: list[float],
    parscale: Sequence[float],
    ndeps: float,
) -> None:
    """R's ``optimhess`` after ``optim(hessian = TRUE)``: its gradient evaluations can fail too
    (a non-finite difference); the Hessian itself is not needed here."""
    q = list(p)
    for i in range(len(q)):
        eps = ndeps / parscale[i]
        q[i] = q[i] + eps
        gr(q)
        q[i] = q[i] - 2 * eps
        gr(q)
        q[i] = q[i] + eps


# --- drm -----------------------------------------------------------------------------------------


def _scaling(values: Array) -> float:
    """drm's ``10^floor(log10(median(x)))``, 1 when that is NaN or below 1e-15."""
    med = float(np.median(values))
    with np.errstate(all="ignore"):
        scale = 10.0 ** math.floor(math.log10(med)) if med > 0 else math.nan
    if math.isnan(scale) or scale < 1e-15:
        return 1.0
    return scale


def _lm_line(x: Array, y: Array) -> tuple[float, float]:
    """Intercept and slope of ``lm(y ~ x)`` (rows with a non-finite ``x`` dropped); an error where
    R's lm would fail or give NA."""
    ok = np.isfinite(x)
    x, y = x[ok], y[ok]
    if x.size < 2 or not np.all(np.isfinite(y)):
        raise DrcFailure("self-start regression has non-finite values")
    design = np.column_stack([np.ones_like(x), x])
    coef, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    if rank < 2:
        raise DrcFailure("self-start regression is rank deficient")
    return float(coef[0]), float(coef[1])


def _self_start(model: Model, x: Array, y: Array) -> list[float]:
    """drc's self-start, method "1" (``findcd`` + ``findbe1``), on scaled data: ``[b, c, d, e]``."""
    lo, hi = float(np.min(y)), float(np.max(y))
    inc = 0.001 * (hi - lo)
    c_val, d_val = lo - inc, hi + inc
    with np.errstate(all="ignore"):
        ytr = np.log((d_val - y) / (y - c_val))
        xtr = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan) if model == "LL.4" else x
    intercept, slope = _lm_line(xtr, ytr)
    b_val = slope
    e_val = _ieee_div(-intercept, b_val)  # a slope of exactly 0 divides as R does
    if model == "LL.4":
        e_val = _safe_exp(e_val)
    return [b_val, c_val, d_val, e_val]


def _sum_squares(resid: list[float]) -> float:
    return math.fsum(r * r for r in resid)


def drm(
    dose: Sequence[float] | Array,
    response: Sequence[float] | Array,
    *,
    model: Model = "LL.4",
    fixed_c: float | None = None,
    fixed_d: float | None = None,
    control: DrcControl = DEFAULT_CONTROL,
) -> DrcFit:
    """``drm(response ~ dose, fct = LL.4(fixed = c(NA, fixed_c, fixed_d, NA)))`` (or ``L.4``,
    where ``dose`` is already ``log(dose)``), as drc 3.2-0 computes it. Raises
    :class:`DrcFailure` where drm stops with an error or leaves the model unfitted."""
    x = np.asarray(dose, dtype=float)
    y = np.asarray(response, dtype=float)
    keep = ~np.isnan(y)  # na.action = na.omit
    x, y = x[keep], y[keep]
    if x.size < 2:
        raise DrcFailure("too few points")
    if model == "LL.4":
        ds, rs = _scaling(x), _scaling(y)
    else:
        ds = rs = 1.0
    xs, ys = x / ds, y / rs
    start = _self_start(model, xs, ys)
    free = [True, fixed_c is None, fixed_d is None, True]
    fixed_vals = [0.0, (fixed_c or 0.0) / rs, (fixed_d or 0.0) / rs, 0.0]
    start_free = [v for v, f in zip(start, free, strict=True) if f]
    parscale = [abs(v) if abs(v) >= 1e-4 else 1.0 for v in start_free]
    if not all(math.isfinite(v) for v in start_free):
        raise DrcFailure("non-finite value supplied by optim")
    xl = [float(v) for v in xs]
    yl = [float(v) for v in ys]
    is_ll4 = model == "LL.4"

    def curve(theta: list[float]) -> list[float]:
        it = iter(theta)
        b, c, d, e = (next(it) if f else fixed_vals[k] for k, f in enumerate(free))
        # R: log(dose / e); a negative e gives NaN (R warns; drc carries on)
        lx = [_r_log(_ieee_div(xi, e)) for xi in xl] if is_ll4 else [xi - e for xi in xl]
        return [c + (d - c) / (1 + _safe_exp(b * v)) for v in lx]

    def objective(p: list[float]) -> float:
        theta = [p[i] * parscale[i] for i in range(len(p))]
        if not all(math.isfinite(v) for v in theta):
            raise DrcFailure("non-finite value supplied by optim")
        pred = curve(theta)
        return _sum_squares([yi - fi for yi, fi in zip(yl, pred, strict=True)])

    gr = _numeric_gradient(objective, control.ndeps)
    p0 = [start_free[i] / parscale[i] for i in range(len(start_free))]
    res = vmmin(objective, gr, p0, maxit=control.max_it, reltol=control.rel_tol)
    _check_hessian(gr, res.par, parscale, control.ndeps)
    theta = [res.par[i] * parscale[i] for i in range(len(res.par))]
    rss = objective(res.par) * rs * rs
    it = iter(theta)
    b, c, d, e = (next(it) if f else fixed_vals[k] for k, f in enumerate(free))
    fixed_names = tuple(n for n, f in zip(("b", "c", "d", "e"), free, strict=True) if not f)
    return DrcFit(
        model=model,
        b=b,
        c=c * rs if free[1] else float(fixed_c),  # type: ignore[arg-type]
        d=d * rs if free[2] else float(fixed_d),  # type: ignore[arg-type]
        e=e * ds,
        rss=rss,
        iterations=res.grcount,
        converged=res.fail == 0,
        fixed=fixed_names,
    )


def _ieee_div(a: float, b: float) -> float:
    """``a / b`` as C computes it (Python raises at ``b == 0``)."""
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _safe_exp(z: float) -> float:
    if math.isnan(z):
        return math.nan
    try:
        return math.exp(z)
    except OverflowError:
        return math.inf


def fit_dose_response(
    dose: Sequence[float] | Array,
    response: Sequence[float] | Array,
    *,
    emin: float | None = None,
    emax: float | None = None,
    control: DrcControl = DEFAULT_CONTROL,
) -> DrcFit | None:
    """SynergyFinder's ``FitDoseResponse(data, Emin, Emax)``: LL.4 with ``c`` fixed at ``emin``
    and ``d`` at ``emax`` (when given), falling back to L.4 on ``log(dose)`` when drm fails.
    ``None`` when the L.4 fit fails too (drm then returns no coefficients)."""
    x = np.asarray(dose, dtype=float).copy()
    y = np.asarray(response, dtype=float).copy()
    if y.size != 1 and float(np.ptp(y)) == 0:  # R: var(response) == 0
        y[-1] = y[-1] + ZERO_DOSE
    try:
        return drm(x, y, model="LL.4", fixed_c=emin, fixed_d=emax, control=control)
    except DrcFailure:
        pass
    x[x == 0] = ZERO_DOSE
    try:
        return drm(np.log(x), y, model="L.4", fixed_c=emin, fixed_d=emax, control=control)
    except DrcFailure:
        return None


def refine_fit(
    fit: DrcFit, dose: Sequence[float] | Array, response: Sequence[float] | Array
) -> DrcFit:
    """``fit`` carried on to the least-squares optimum nearest to it (Levenberg-Marquardt with
    the analytic Jacobian, from drc's estimate; fixed parameters stay fixed).

    Not SynergyFinder's: drc's BFGS with a numerical gradient stops where the relative change of
    the residual sum of squares falls below ``reltol``, which on noise-free data leaves the
    parameters about 1e-5 from the truth. The exact Loewe solver uses refined fits so that a
    drug combined with itself has a Loewe excess of 0 to 1e-6. The refined fit replaces ``fit``
    only if its residual sum of squares is lower."""
    x = np.asarray(dose, dtype=float).copy()
    y = np.asarray(response, dtype=float)
    if fit.model == "L.4":
        x[x == 0] = ZERO_DOSE
        u = np.log(x)
    free = [True, "c" not in fit.fixed, "d" not in fit.fixed, True]
    p0 = np.array([v for v, f in zip(fit.params, free, strict=True) if f])

    def unpack(p: Array) -> tuple[float, float, float, float]:
        it = iter(p)
        vals = [float(next(it)) if f else v for v, f in zip(fit.params, free, strict=True)]
        return vals[0], vals[1], vals[2], vals[3]

    def parts(p: Array) -> tuple[float, float, float, float, Array, Array]:
        b, c, d, e = unpack(p)
        with np.errstate(all="ignore"):
            lx = np.log(x / e) if fit.model == "LL.4" else u - e
            s = 1 / (1 + np.exp(b * lx))
        return b, c, d, e, s, lx

    def residuals(p: Array) -> Array:
        _, c, d, _, s, _ = parts(p)
        out: Array = c + (d - c) * s - y
        return out

    def jacobian(p: Array) -> Array:
        b, c, d, e, s, lx = parts(p)
        w = s * (1 - s)
        with np.errstate(all="ignore"):
            db = np.where(w > 0, -(d - c) * w * lx, 0.0)
            de = np.where(w > 0, (d - c) * w * b / (e if fit.model == "LL.4" else 1.0), 0.0)
        cols = [db, 1 - s, s, de]
        return np.column_stack([col for col, f in zip(cols, free, strict=True) if f])

    if fit.model == "LL.4" and not fit.e > 0:
        return fit
    try:
        res = least_squares(
            residuals,
            p0,
            jac=jacobian,
            method="lm",
            x_scale="jac",
            ftol=1e-15,
            xtol=1e-15,
            gtol=1e-15,
            max_nfev=2000,
        )
    except (ValueError, np.linalg.LinAlgError):
        return fit
    b, c, d, e = unpack(res.x)
    rss = float(np.sum(residuals(res.x) ** 2))
    if not (math.isfinite(rss) and rss < fit.rss) or (fit.model == "LL.4" and not e > 0):
        return fit
    return DrcFit(fit.model, b, c, d, e, rss, fit.iterations, fit.converged, fit.fixed)
