"""Fit many curves at once: a batched Levenberg-Marquardt, vectorised in numpy or compiled.

Curves are rows of padded 2-D arrays ``(n_curves, n_points)``; NaN in ``x`` or ``y`` marks an
absent point, so curves may have different lengths. Every curve gets its own damping, its own
convergence test and its own automatic start, but the arithmetic runs over all curves together:
the model and its analytic Jacobian are evaluated on whole arrays, the ``k x k`` normal equations
of every curve are solved by one batched Cholesky factorisation, and curves that have converged
leave the working set. For the 4PL and one-site competition a compiled version of the same
solver (:mod:`cxcr4lab.fit._kernels`, numba, one curve per thread) does the iterations instead;
``engine="numpy"`` forces the numpy one. Inference is the same as
:func:`~cxcr4lab.fit.solve.fit_curve`'s (asymptotic covariance ``s^2 (J^T W J)^-1``, t-based
CIs, extra-sum-of-squares F test against a horizontal line), so :meth:`BatchResult.result`
gives the :class:`FitResult` a single fit would.

A curve that cannot be fitted (no data, fewer points than parameters plus one, one concentration,
a constant response, infinities, a zero concentration on a log model without a zero-dose plateau,
bad weights) is not raised: it gets a ``bad_input: ...`` flag and the other curves finish.

>>> import numpy as np
>>> from cxcr4lab.fit import FOUR_PL
>>> x = np.linspace(-10, -5, 10)
>>> truth = np.array([[0.0, 100.0, -7.5, 1.0], [5.0, 95.0, -8.0, 1.5]])
>>> y = np.stack([FOUR_PL.f(x, p) for p in truth]) + np.sin(np.arange(10))
>>> batch = fit_many(FOUR_PL, x, y)
>>> np.round(batch.params[:, 2], 1).tolist(), batch.converged.tolist()
([-7.5, -8.0], [True, True])
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, fdtrc, stdtrit

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.tables import numeric_column, require_columns, require_nonempty
from cxcr4lab.core.units import molar_factor
from cxcr4lab.fit.effective_dose import EdKind, effective_doses, supports_ed
from cxcr4lab.fit.flags import MIN_BEYOND, FitThresholds
from cxcr4lab.fit.models import FOUR_PL, ONE_SITE_COMPETITION, Model, get_model
from cxcr4lab.fit.result import FitResult

__all__ = [
    "INFERENCE_COLUMNS_DOC",
    "SMALL_TABLE",
    "TABLE_COLUMNS",
    "BatchResult",
    "Covariance",
    "Engine",
    "FixedModel",
    "LongCurves",
    "fit_many",
    "fit_table",
    "fixed_model",
    "long_curves",
    "read_curve_csv",
]

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]
Engine = Literal["auto", "numba", "numpy"]
Covariance = Literal["jtj", "hessian"]
"""The covariance of a fit: Gauss-Newton ``s^2 (J^T W J)^-1`` (Prism, nls, curve_fit) or the
observed information (R drc's, :mod:`cxcr4lab.fit.covariance`)."""

SMALL_TABLE: Final = 2_000
"""Below this many curves :func:`fit_table`'s ``engine="auto"`` takes the numpy solver: it
finishes such a table before numba would have loaded the compiled one (about 0.5 s)."""
# (P (k, n), X (n, m), J_out (k, n, m) or None) -> F (n, m); fills J_out with the Jacobian
Evaluator = Callable[[Array, Array, Array | None], Array]

_LN10: Final = float(np.log(10.0))
_XTOL: Final = 1e-10
_FTOL: Final = 1e-12
_FTOL_HITS: Final = 3
_DRIFT_RTOL: Final = 1e-6
_DRIFT_ITERS: Final = 10
_DRIFT_RATIO: Final = 0.7
_GTOL: Final = 1e-13
_LAMBDA0: Final = 1e-3
_LAMBDA_MAX: Final = 1e16
_POTENCY_NAMES: Final = ("log10_ic50", "log10_ec50", "ic50", "ec50")

# Input problems, in the order they are checked; the code is the index + 1.
_PROBLEMS: Final = (
    "bad_input: no data",
    "bad_input: infinite response",
    "bad_input: infinite concentration",
    "bad_input: non-positive concentration on a log model",
    "bad_input: weights must be finite and positive",
    "bad_input: fewer points than parameters",
    "bad_input: all points at one concentration",
    "bad_input: constant response",
)
_NEGATIVE_CONC: Final = "bad_input: negative concentration"
_FLAG_BITS: Final = (
    "ambiguous",
    "outside_range",
    "ci_unbounded",
    "wide_ci",
    "no_effect",
    "shallow",
    "steep",
    "inverted",
    "overshoot",
)
_HILL_BOUND: Final = 30.0
"""|Hill| limit of the bounded refit of a curve the batch solver could not fit (a step between
two concentrations: any steeper slope fits as well)."""


# --- the result ----------------------------------------------------------------------------------


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Many fitted curves, one row per curve (arrays are read-only).

    ``params``, ``stderr`` are ``(n, k)`` in ``param_names`` order (NaN where not estimable);
    ``ci_lower``/``ci_upper`` are the asymptotic t-based ``1 - alpha`` CI of the potency
    parameter ``potency`` (``log10_ic50`` for the log-concentration models); ``flags`` holds
    the :func:`~cxcr4lab.fit.flags.potency_flags` codes of each curve, or one ``bad_input: ...``
    flag for a curve that could not be fitted.
    """

    model: str
    param_names: tuple[str, ...]
    params: Array
    stderr: Array
    covariance: Array
    ci_lower: Array
    ci_upper: Array
    rss: Array
    n_points: NDArray[np.int64]
    dof: NDArray[np.int64]
    converged: Mask
    no_effect_p: Array
    x_min: Array
    x_max: Array
    iterations: NDArray[np.int64]
    flags: tuple[tuple[str, ...], ...]
    potency: str | None
    alpha: float = 0.05
    weighted: bool = False
    _bad: tuple[str | None, ...] = field(default=(), repr=False)

    def __len__(self) -> int:
        return len(self.rss)

    @property
    def bad_input(self) -> Mask:
        """True for curves that were not fitted because their data are unusable."""
        return np.array([b is not None for b in self._bad], dtype=bool)

    def result(self, i: int, *, place: Place | None = None) -> FitResult:
        """Curve ``i`` as the :class:`FitResult` :func:`fit_curve` would give.

        A curve flagged ``bad_input`` raises :class:`InputError` (as ``fit_curve`` would).
        """
        if not -len(self) <= i < len(self):
            raise IndexError(f"curve {i} of a batch of {len(self)}")
        i = i % len(self)
        problem = self._bad[i]
        if problem is not None:
            raise InputError(
                problem.removeprefix("bad_input: "), place=place or Place(curve=str(i))
            )
        se = self.stderr[i]
        cov = self.covariance[i]
        ok = bool(self.converged[i])
        has_cov = ok and bool(np.all(np.isfinite(cov)))
        return FitResult(
            model=self.model,
            param_names=self.param_names,
            values=tuple(float(v) for v in self.params[i]),
            stderr=tuple(float(s) if has_cov else None for s in se),
            covariance=tuple(tuple(float(c) for c in row) for row in cov) if has_cov else None,
            free=tuple(True for _ in self.param_names),
            rss=float(self.rss[i]),
            n=int(self.n_points[i]),
            converged=ok,
            message=f"batched Levenberg-Marquardt: {'converged' if ok else 'did not converge'}"
            f" after {int(self.iterations[i])} iterations",
            x_min=float(self.x_min[i]),
            x_max=float(self.x_max[i]),
            weighted=self.weighted,
        )

    def to_frame(self, curve_ids: Sequence[Hashable] | None = None) -> pd.DataFrame:
        """One row per curve: id, parameters, SEs, potency CI, RSS, n, dof, flags (``;``-joined)."""
        ids = list(range(len(self))) if curve_ids is None else list(curve_ids)
        if len(ids) != len(self):
            raise ValueError(f"{len(ids)} curve ids for {len(self)} curves")
        cols: dict[str, Any] = {"curve_id": ids, "model": self.model, "converged": self.converged}
        for j, name in enumerate(self.param_names):
            cols[name] = self.params[:, j]
        for j, name in enumerate(self.param_names):
            cols[f"{name}_se"] = self.stderr[:, j]
        if self.potency is not None:
            cols[f"{self.potency}_lower"] = self.ci_lower
            cols[f"{self.potency}_upper"] = self.ci_upper
        cols.update(
            rss=self.rss,
            n=self.n_points,
            dof=self.dof,
            no_effect_p=self.no_effect_p,
            flags=[";".join(f) for f in self.flags],
        )
        return pd.DataFrame(cols)

    @classmethod
    def concat(cls, parts: Sequence[BatchResult]) -> BatchResult:
        """The results of consecutive batches of the same model as one result."""
        if not parts:
            raise ValueError("nothing to concatenate")
        first = parts[0]
        for p in parts[1:]:
            if (p.model, p.param_names, p.alpha, p.weighted) != (
                first.model,
                first.param_names,
                first.alpha,
                first.weighted,
            ):
                raise ValueError("batch results of different models or settings")
        arrays = {
            name: _frozen(np.concatenate([getattr(p, name) for p in parts]))
            for name in (
                "params",
                "stderr",
                "covariance",
                "ci_lower",
                "ci_upper",
                "rss",
                "n_points",
                "dof",
                "converged",
                "no_effect_p",
                "x_min",
                "x_max",
                "iterations",
            )
        }
        return cls(
            model=first.model,
            param_names=first.param_names,
            flags=tuple(f for p in parts for f in p.flags),
            potency=first.potency,
            alpha=first.alpha,
            weighted=first.weighted,
            _bad=tuple(b for p in parts for b in p._bad),
            **arrays,
        )


# --- input ---------------------------------------------------------------------------------------


def _padded(
    x: ArrayLike, y: ArrayLike, weights: ArrayLike | None
) -> tuple[Array, Array, Array | None]:
    Y = np.array(y, dtype=np.float64, ndmin=2)
    if Y.ndim != 2:
        raise InputError(f"y must be 2-D (curves, points), got shape {Y.shape}", field="y")
    X = np.asarray(x, dtype=np.float64)
    if X.ndim == 1:
        X = np.broadcast_to(X, Y.shape)
    if X.shape != Y.shape:
        raise InputError(f"x has shape {X.shape} but y has shape {Y.shape}", field="x")
    W = None
    if weights is not None:
        W = np.asarray(weights, dtype=np.float64)
        if W.ndim == 1:
            W = np.broadcast_to(W, Y.shape)
        if W.shape != Y.shape:
            raise InputError(f"weights have shape {W.shape}, y {Y.shape}", field="weights")
    return X, Y, W


def _problems(model: Model, X: Array, Y: Array, W: Array | None) -> NDArray[np.int8]:
    """0 for a usable curve, else 1 + the index of its first problem in ``_PROBLEMS``.

    A shared row of ``x`` (broadcast over the curves) is checked once, and a batch without
    absent points skips the masks (the common case of a screen: one pass per test).
    """
    shared = X.shape[0] > 1 and X.strides[0] == 0
    Xs = X[:1] if shared else X  # (1, m) or (n, m); the tests on it broadcast over the curves
    nan_y = np.isnan(Y)
    complete = not (bool(nan_y.any()) or bool(np.isnan(Xs).any()))
    present: Mask | None = None if complete else ~(np.isnan(X) | nan_y)
    n = np.full(len(Y), Y.shape[1]) if present is None else present.sum(axis=1)
    code = np.zeros(len(Y), dtype=np.int8)

    def mark(cond: Mask | np.bool_, which: int) -> None:
        code[(code == 0) & cond] = which + 1

    def any_present(bad: Mask) -> Mask:
        hit = bad.any(axis=1) if present is None else (present & bad).any(axis=1)
        return np.asarray(hit)

    with np.errstate(invalid="ignore"):
        mark(n == 0, 0)
        mark(any_present(np.isinf(Y)), 1)
        mark(any_present(np.isposinf(Xs)), 2)
        if not model.zero_dose_ok:
            mark(any_present(np.isneginf(Xs)), 3 if model.x_is_log10 else 2)
        if W is not None:
            mark(any_present(~((W > 0) & np.isfinite(W))), 4)
        mark(n < model.n_params + 1, 5)
        if present is None:
            x_lo, x_hi, y_lo, y_hi = Xs.min(axis=1), Xs.max(axis=1), Y.min(axis=1), Y.max(axis=1)
        else:
            big = np.finfo(np.float64).max
            x_lo = np.where(present, X, big).min(axis=1)
            x_hi = np.where(present, X, -big).max(axis=1)
            y_lo = np.where(present, Y, big).min(axis=1)
            y_hi = np.where(present, Y, -big).max(axis=1)
        mark(x_lo == x_hi, 6)
        mark(y_lo == y_hi, 7)
    return code


# --- fixed parameters ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FixedModel(Model):
    """``base`` with the parameters of ``fixed`` held at their values; its parameters are the
    free ones of ``base``, in ``base``'s order (made by :func:`fixed_model`)."""

    base: Model = FOUR_PL
    fixed: tuple[tuple[str, float], ...] = ()


def fixed_model(model: Model, fixed: Mapping[str, float], *, place: Place | None = None) -> Model:
    """``model`` with the parameters of ``fixed`` held at their values (``model`` if none).

    The batched solvers fit it like any model (the values, Jacobian and starting values of the
    free parameters are ``model``'s), so a fixed-parameter fit is the fit of the reduced model.

    >>> fixed_model(FOUR_PL, {"hill": 1.0}).param_names
    ('bottom', 'top', 'log10_ic50')
    """
    if not fixed:
        return model
    where = place or Place(field="fixed")
    for name, value in fixed.items():
        if name not in model.param_names:
            raise InputError(
                f"{quote(name)} is not a parameter of model {model.name} "
                f"(its parameters: {', '.join(model.param_names)})",
                place=where,
            )
        if not np.isfinite(value):
            raise InputError(f"{name} must be held at a finite value, got {value}", place=where)
    free = [i for i, n in enumerate(model.param_names) if n not in fixed]
    if not free:
        raise InputError("every parameter is fixed: nothing is left to fit", place=where)
    held = [(model.index(n), float(v)) for n, v in fixed.items()]
    k = model.n_params

    def full(p: Array) -> Array:
        q = np.asarray(p, dtype=np.float64)
        out = np.empty((k, *q.shape[1:]))
        out[free] = q
        for i, v in held:
            out[i] = v
        return out

    def f(x: Array, p: Array) -> Array:
        return model.f(x, full(p))

    def jac(x: Array, p: Array) -> Array:
        return np.asarray(model.jac(x, full(p)), dtype=np.float64)[:, free]

    def guess(x: Array, y: Array) -> Array:
        return np.asarray(model.guess(x, y), dtype=np.float64)[free]

    names = tuple(model.param_names[i] for i in free)
    flat = model.flat_when
    label = ", ".join(f"{n}={float(v):g}" for n, v in fixed.items())
    return FixedModel(
        name=f"{model.name}[{label}]",
        title=f"{model.title}; fixed {label}",
        param_names=names,
        f=f,
        jac=jac,
        guess=guess,
        x_is_log10=model.x_is_log10,
        zero_dose_ok=model.zero_dose_ok,
        flat_when=flat if flat is not None and set(flat) <= set(names) else None,
        base=model,
        fixed=tuple((n, float(v)) for n, v in fixed.items()),
    )


def _check_bounds(
    model: Model, bounds: Mapping[str, tuple[float, float]], fixed: Mapping[str, float]
) -> None:
    where = Place(field="bounds")
    for name, (lo, hi) in bounds.items():
        if name not in model.param_names:
            raise InputError(
                f"{quote(name)} is not a parameter of model {model.name} "
                f"(its parameters: {', '.join(model.param_names)})",
                place=where,
            )
        if name in fixed:
            raise InputError(f"{name} is both fixed and bounded", place=where)
        if not lo < hi or np.isnan(lo) or np.isnan(hi):
            raise InputError(
                f"the bounds of {name} must have lower < upper, got {lo}:{hi}", place=where
            )


# --- starting values -----------------------------------------------------------------------------


def _sigmoid_guess_batch(X: Array, Y: Array, present: Mask) -> tuple[Array, Array, Array, Mask]:
    """:func:`~cxcr4lab.fit.models.sigmoid_guess` for every row at once, plus ``falling``."""
    n, m = X.shape
    rows = np.arange(n)
    if present.all() and bool((X[:1] == X).all()):  # one shared row of concentrations
        one = np.argsort(X[0], kind="stable")
        xs, ys = X[:, one], Y[:, one]
    else:
        key = np.where(present, X, np.nan)  # absent points sort last; stable keeps replicates
        order = np.argsort(key, axis=1, kind="stable")
        xs = np.take_along_axis(key, order, axis=1)
        ys = np.take_along_axis(np.where(present, Y, 0.0), order, axis=1)
    length = present.sum(axis=1)
    k = np.maximum(1, length // 5)
    pos = np.arange(m)
    low_end = np.where(pos < k[:, None], ys, 0.0).sum(axis=1) / k
    high_end = (
        np.where((pos >= (length - k)[:, None]) & (pos < length[:, None]), ys, 0.0).sum(axis=1) / k
    )
    top = np.maximum(low_end, high_end)
    bottom = np.minimum(low_end, high_end)
    falling = ys[:, 0] >= ys[rows, length - 1]

    # median of the finite concentrations (zero doses, -inf, sort first)
    n_zero = (xs == -np.inf).sum(axis=1)
    c = length - n_zero
    lo_i = n_zero + np.maximum(c - 1, 0) // 2
    hi_i = n_zero + c // 2
    median = 0.5 * (xs[rows, lo_i] + xs[rows, np.minimum(hi_i, m - 1)])

    half = 0.5 * (top + bottom)
    sign = np.sign(ys - half[:, None])
    finite_pair = (pos[:-1] >= n_zero[:, None]) & (pos[1:] < length[:, None])
    cross = finite_pair & (np.diff(sign, axis=1) != 0)
    n_cross = cross.sum(axis=1)
    rank = np.cumsum(cross, axis=1)
    j = np.argmax(cross & (rank == (n_cross // 2 + 1)[:, None]), axis=1)
    x0, x1 = xs[rows, j], xs[rows, j + 1]
    y0, y1 = ys[rows, j], ys[rows, j + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        interp = np.where(y1 != y0, x0 + (half - y0) * (x1 - x0) / (y1 - y0), x0)
    mid = np.where((top != bottom) & (n_cross > 0), interp, median)
    return bottom, top, mid, falling


def _guess_four_pl(X: Array, Y: Array, present: Mask) -> Array:
    bottom, top, mid, falling = _sigmoid_guess_batch(X, Y, present)
    return np.stack([bottom, top, mid, np.where(falling, 1.0, -1.0)])


def _guess_one_site(X: Array, Y: Array, present: Mask) -> Array:
    bottom, top, mid, _ = _sigmoid_guess_batch(X, Y, present)
    return np.stack([bottom, top, mid])


def _compiled_guess(k: int) -> Callable[[Array, Array, Mask], Array]:
    from cxcr4lab.fit._kernels import sigmoid_starts

    return lambda X, Y, present: sigmoid_starts(X, Y, present, k)


def _batch_guess(
    model: Model, engine: Engine = "numpy"
) -> Callable[[Array, Array, Mask], Array] | None:
    if isinstance(model, FixedModel):  # the base model's starts, less the fixed parameters
        inner = _batch_guess(model.base, "numpy")
        if inner is None:
            return None
        keep = [model.base.index(n) for n in model.param_names]
        return lambda X, Y, present: inner(X, Y, present)[keep]
    if _compiled(model, engine):
        return _compiled_guess(model.n_params)
    # equality, not identity: a model sent to a Dask worker arrives as a copy
    if model == FOUR_PL:
        return _guess_four_pl
    if model == ONE_SITE_COMPETITION:
        return _guess_one_site
    return None


def _guess_loop(model: Model, X: Array, Y: Array, present: Mask) -> Array:
    out = np.empty((model.n_params, len(X)))
    for i in range(len(X)):
        out[:, i] = model.guess(X[i, present[i]], Y[i, present[i]])
    return out


def _starts(model: Model, X: Array, Y: Array, present: Mask, engine: Engine = "numpy") -> Array:
    """Starting values ``(k, n)``: the model's own ``guess``, vectorised for the built-ins.

    The vectorised guess is checked against ``model.guess`` on a few curves first, so a change
    to a model's guess can make the batch slower but never different.
    """
    fast = _batch_guess(model, engine)
    if fast is not None:
        probe = min(len(X), 4)
        try:
            got = fast(X[:probe], Y[:probe], present[:probe])
            ok = np.allclose(
                got,
                _guess_loop(model, X[:probe], Y[:probe], present[:probe]),
                rtol=1e-9,
                atol=1e-12,
                equal_nan=True,
            )
        except (ValueError, IndexError, TypeError):
            ok = False
        if ok:
            return fast(X, Y, present)
    return _guess_loop(model, X, Y, present)


# --- model evaluation ----------------------------------------------------------------------------


def _sigmoid_kernel(P: Array, X: Array, J: Array | None, *, hill: bool, zero_dose: bool) -> Array:
    """``bottom + (top - bottom) expit(-(x - log10_ic50) h ln10)``; ``h = 1`` unless ``hill``.

    Written for speed: one temporary per quantity, the rest in place, the Jacobian straight
    into ``J``. ``zero_dose`` says ``X`` may hold ``-inf`` (zero doses on the plateau).
    """
    b, t, c = P[0][:, None], P[1][:, None], P[2][:, None]
    h = P[3][:, None] if hill else np.ones_like(b)
    dneg = c - X  # log10_ic50 - x
    s = np.multiply(dneg, h * _LN10) if J is None else np.multiply(dneg, h * _LN10, out=J[1])
    expit(s, out=s)
    span = t - b
    F: Array = np.multiply(s, span)
    F += b
    if J is None:
        return F
    np.subtract(1.0, s, out=J[0])
    g = np.multiply(J[0], s)
    g *= span * _LN10  # dF/d(exponent); exactly 0 at a zero dose (s is exactly 0 or 1 there)
    np.multiply(g, h, out=J[2])
    if hill:
        if zero_dose:
            dneg[~np.isfinite(dneg)] = 0.0
        np.multiply(g, dneg, out=J[3])
    return F


def _kernel(model: Model, X: Array) -> Evaluator | None:
    """The hand-written evaluator of a built-in model, if it has one."""
    zero_dose = bool(np.isneginf(X).any())
    if model == FOUR_PL:  # equality, not identity: a model sent to a Dask worker is a copy
        return lambda P, X, J: _sigmoid_kernel(P, X, J, hill=True, zero_dose=zero_dose)
    if model == ONE_SITE_COMPETITION:
        return lambda P, X, J: _sigmoid_kernel(P, X, J, hill=False, zero_dose=zero_dose)
    return None


def _flat_evaluator(model: Model) -> Evaluator:
    """Any model whose ``f``/``jac`` broadcast: x flattened, each parameter repeated per point."""

    def evaluate(P: Array, X: Array, J: Array | None) -> Array:
        n, m = X.shape
        xf = X.ravel()
        Pf = np.repeat(P, m, axis=1)
        F = np.asarray(model.f(xf, Pf), dtype=np.float64).reshape(n, m)
        if J is not None:
            J[...] = np.asarray(model.jac(xf, Pf), dtype=np.float64).T.reshape(J.shape)
        return F

    return evaluate


def _loop_evaluator(model: Model) -> Evaluator:
    """The safe fallback: the model's ``f`` and ``jac`` called curve by curve."""

    def evaluate(P: Array, X: Array, J: Array | None) -> Array:
        F = np.empty(X.shape)
        for i in range(len(X)):
            F[i] = model.f(X[i], P[:, i])
            if J is not None:
                J[:, i, :] = model.jac(X[i], P[:, i]).T
        return F

    return evaluate


def _evaluator(model: Model, P: Array, X: Array) -> Evaluator:
    """The fastest evaluator that reproduces ``model.f``/``model.jac`` on a few real curves."""
    probe = min(len(X), 3)
    k = model.n_params
    reference = _loop_evaluator(model)
    Jr = np.empty((k, probe, X.shape[1]))
    Fr = reference(P[:, :probe], X[:probe], Jr)
    kernel = _kernel(model, X)
    candidates = [kernel] if kernel is not None else []
    candidates.append(_flat_evaluator(model))
    for candidate in candidates:
        J = np.empty_like(Jr)
        try:
            with np.errstate(all="ignore"):
                F = candidate(P[:, :probe], X[:probe], J)
        except (ValueError, TypeError, IndexError):
            continue
        if (
            F.shape == Fr.shape
            and np.allclose(F, Fr, rtol=1e-10, atol=1e-12, equal_nan=True)
            and np.allclose(J, Jr, rtol=1e-10, atol=1e-12, equal_nan=True)
        ):
            return candidate
    return reference


# --- linear algebra on stacks of small symmetric matrices, stored as (k, k, n) -------------------


def _cholesky_solve(A: Array, b: Array, shift: Array | None = None) -> tuple[Array, Mask]:
    """Solve ``(A + diag(shift)) x = b`` for symmetric positive definite ``A`` ``(k, k, n)``;
    ``b`` is ``(k, n)`` or ``(k, r, n)`` (``r`` right-hand sides), ``shift`` ``(k, n)`` or None.

    Returns ``x`` and a mask of the systems that were positive definite (others hold garbage).
    """
    k, n = A.shape[0], A.shape[-1]
    L: list[list[Array]] = [[] for _ in range(k)]
    ok = np.ones(n, dtype=bool)
    for j in range(k):
        s = A[j, j] + shift[j] if shift is not None else A[j, j].copy()
        for q in range(j):
            s -= L[j][q] * L[j][q]
        ok &= s > 0
        d = np.sqrt(np.where(s > 0, s, 1.0))
        L[j].append(d)  # L[j][j]
        for i in range(j + 1, k):
            if j == 0:
                L[i].append(A[i, 0] / d)
                continue
            t = A[i, j] - L[i][0] * L[j][0]
            for q in range(1, j):
                t -= L[i][q] * L[j][q]
            t /= d
            L[i].append(t)  # L[i][j]; rows are filled in column order
    z: list[Array] = []
    for i in range(k):
        if i == 0:
            z.append(b[0] / L[0][0])
            continue
        t = b[i] - L[i][0] * z[0]
        for q in range(1, i):
            t -= L[i][q] * z[q]
        t /= L[i][i]
        z.append(t)
    out = np.empty((k, *b.shape[1:]))
    for i in reversed(range(k)):
        if i == k - 1:
            np.divide(z[i], L[i][i], out=out[i])
            continue
        t = z[i] - L[i + 1][i] * out[i + 1]
        for q in range(i + 2, k):
            t -= L[q][i] * out[q]
        np.divide(t, L[i][i], out=out[i])
    finite = np.isfinite(out).reshape(-1, n).all(axis=0) if n else ok
    return out, ok & finite


def _inverse(A: Array) -> Array:
    """``A^-1`` for each symmetric ``(k, k)`` matrix of ``A`` ``(k, k, n)``, NaN if singular.

    Positive definite matrices (all but degenerate fits) are inverted by one batched Cholesky
    factorisation; the rest go one by one through ``np.linalg.inv`` (LU), as ``fit_curve``'s do.
    """
    k, _, n = A.shape
    out, ok = _cholesky_solve(A, np.broadcast_to(np.eye(k)[:, :, None], (k, k, n)))
    for i in np.nonzero(~ok)[0].tolist():
        try:
            out[:, :, i] = np.linalg.inv(A[:, :, i])
        except np.linalg.LinAlgError:
            out[:, :, i] = np.nan
    return out


# --- the solver ----------------------------------------------------------------------------------


_BLOCK_POINTS: Final = 131_072  # points per block: the Jacobian of a block stays in cache
_COMPACT: Final = 0.75  # compact the working set when fewer than this fraction are alive


def _normal_equations(
    evaluate: Evaluator,
    P: Array,
    X: Array,
    Y: Array,
    sw: Array | None,
    k: int,
    work: Array | None = None,
) -> tuple[Array, Array, Array]:
    """``J^T J`` ``(k, k, n)``, ``J^T r`` ``(k, n)`` and the RSS ``(n,)`` at ``P``.

    ``r`` and ``J`` are weighted by ``sw``. They are built block by block of curves and reduced
    at once, so the full ``(k, n, m)`` Jacobian never exists. ``work`` is an optional buffer
    for the block's Jacobian, reused across calls.
    """
    n, m = X.shape
    A = np.empty((k, k, n))
    g = np.empty((k, n))
    rss = np.empty(n)
    block = max(1, _BLOCK_POINTS // max(m, 1))
    rows = min(block, n)
    J = work if work is not None and work.shape[1] >= rows else np.empty((k, rows, m))
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        Jb = J[:, : hi - lo]
        r = evaluate(P[:, lo:hi], X[lo:hi], Jb)
        r -= Y[lo:hi]
        if sw is not None:
            r *= sw[lo:hi]
            Jb *= sw[lo:hi]
        rss[lo:hi] = np.einsum("nm,nm->n", r, r)
        for i in range(k):
            g[i, lo:hi] = np.einsum("nm,nm->n", Jb[i], r)
            for j in range(i + 1):
                A[i, j, lo:hi] = np.einsum("nm,nm->n", Jb[i], Jb[j])
    for i in range(k):
        for j in range(i):
            A[j, i] = A[i, j]
    return A, g, rss


@dataclass
class _State:
    """The working set of curves still iterating (all arrays indexed by working position).

    ``alive`` is False for curves that have finished but not yet left the working set (the set
    is compacted only when enough have finished, as compaction copies every array).
    """

    idx: NDArray[np.intp]
    alive: Mask
    X: Array
    Y: Array
    sw: Array | None
    P: Array
    A: Array
    g: Array
    rss: Array
    lam: Array
    nu: Array
    D: Array
    hits: NDArray[np.int64]
    slow: NDArray[np.int64]
    last: Array

    def take(self, keep: Mask) -> _State:
        return _State(
            idx=self.idx[keep],
            alive=self.alive[keep],
            X=self.X[keep],
            Y=self.Y[keep],
            sw=None if self.sw is None else self.sw[keep],
            P=self.P[:, keep],
            A=self.A[:, :, keep],
            g=self.g[:, keep],
            rss=self.rss[keep],
            lam=self.lam[keep],
            nu=self.nu[keep],
            D=self.D[:, keep],
            hits=self.hits[keep],
            slow=self.slow[keep],
            last=self.last[keep],
        )


def _levenberg_marquardt(
    evaluate: Evaluator, X: Array, Y: Array, sw: Array | None, P0: Array, max_iter: int
) -> tuple[Array, Array, Array, Mask, NDArray[np.int64]]:
    """Minimise ``sum(sw^2 (f(x; p) - y)^2)`` for every row.

    Returns ``P`` ``(k, n)``, ``J^T J`` at ``P`` ``(k, k, n)``, the RSS, converged, iterations.

    Marquardt's method with MINPACK's scaling (the running maximum of the diagonal of ``J^T J``)
    and Nielsen's update of the damping. A curve has converged when its scaled step falls below
    ``_XTOL`` relative to its scaled parameters, when its scaled gradient falls below ``_GTOL``,
    or when the actual and predicted relative reductions of its RSS have both fallen below
    ``_FTOL`` on ``_FTOL_HITS`` iterations (MINPACK stops at the first; the extra iterations
    polish well-determined curves to many more digits at almost no cost).

    A curve whose RSS falls, on ``_DRIFT_ITERS`` successive accepted steps, by less than
    ``_DRIFT_RTOL`` (relative) and by no less than ``_DRIFT_RATIO`` times the previous fall is
    stopped as not converged: a converging fit's reductions shrink geometrically, while these
    stay flat because the parameters drift along a valley with no minimum (a plateau or a
    slope running off towards infinity), where LM would crawl until ``max_iter``.
    """
    k, n = P0.shape
    P_out = P0.copy()
    A_out = np.full((k, k, n), np.nan)
    rss_out = np.full(n, np.nan)
    converged = np.zeros(n, dtype=bool)
    iterations = np.zeros(n, dtype=np.int64)
    with np.errstate(all="ignore"):
        m = X.shape[1]
        work = np.empty((k, min(n, max(1, _BLOCK_POINTS // max(m, 1))), m))
        A, g, rss = _normal_equations(evaluate, P0, X, Y, sw, k, work)
        st = _State(
            idx=np.arange(n),
            alive=np.ones(n, dtype=bool),
            X=X,
            Y=Y,
            sw=sw,
            P=P0.copy(),
            A=A,
            g=g,
            rss=rss,
            lam=np.full(n, _LAMBDA0),
            nu=np.full(n, 2.0),
            D=np.zeros((k, n)),
            hits=np.zeros(n, dtype=np.int64),
            slow=np.zeros(n, dtype=np.int64),
            last=np.full(n, np.inf),
        )
        for it in range(1, max_iter + 1):
            A, g = st.A, st.g
            diag = np.diagonal(A).T  # a view, (k, n)
            np.maximum(st.D, diag, out=st.D)
            D = np.where(st.D > 0, st.D, 1.0)
            # scaled gradient (MINPACK's gtol): the largest |cosine| between r and a column of J
            gnorm = np.max(np.abs(g) / np.sqrt(np.where(diag > 0, diag, np.inf) * st.rss), axis=0)
            done = (st.rss == 0) | (gnorm <= _GTOL)
            failed = ~np.isfinite(st.rss)

            step, ok = _cholesky_solve(A, -g, st.lam * D)
            step[:, ~ok] = 0.0
            trial = st.P + step
            A_t, g_t, rss_t = _normal_equations(evaluate, trial, st.X, st.Y, st.sw, k, work)
            predicted = -(2.0 * _dot(g, step) + _quad(A, step))
            actual = st.rss - rss_t
            accept = ok & np.isfinite(rss_t) & (rss_t < st.rss)
            rho = np.where(predicted > 0, actual / predicted, 0.0)
            dx = np.sqrt(_dot(D, step * step))
            xnorm = np.sqrt(_dot(D, st.P * st.P))
            small_step = ok & (dx <= _XTOL * (xnorm + _XTOL))
            st.hits += (
                accept
                & (np.abs(actual) <= _FTOL * st.rss)
                & (predicted <= _FTOL * st.rss)
                & (rho <= 2.0)
            )
            # drift: small reductions that are not shrinking (converging ones shrink geometrically)
            slow = (actual <= _DRIFT_RTOL * st.rss) & (actual >= _DRIFT_RATIO * st.last)
            st.slow = np.where(accept, np.where(slow, st.slow + 1, 0), st.slow)
            st.last = np.where(accept, actual, st.last)
            # damping: Nielsen (1999)
            factor = np.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
            st.lam = np.where(accept, st.lam * factor, st.lam * st.nu)
            st.nu = np.where(accept, 2.0, st.nu * 2.0)
            # accepted steps replace the state (rejected curves keep theirs)
            reject = ~accept
            if reject.any():
                np.copyto(trial, st.P, where=reject)
                np.copyto(A_t, A, where=reject)
                np.copyto(g_t, g, where=reject)
                np.copyto(rss_t, st.rss, where=reject)
            st.P, st.A, st.g, st.rss = trial, A_t, g_t, rss_t

            done |= small_step | (st.hits >= _FTOL_HITS)
            done &= ~failed
            drifting = st.slow >= _DRIFT_ITERS
            finished = st.alive & (done | failed | drifting | (st.lam > _LAMBDA_MAX))
            if it == max_iter:
                finished = st.alive
            if finished.any():
                where = st.idx[finished]
                iterations[where] = it
                P_out[:, where] = st.P[:, finished]
                A_out[:, :, where] = st.A[:, :, finished]
                rss_out[where] = st.rss[finished]
                converged[where] = (done & np.isfinite(st.P).all(axis=0))[finished]
                st.alive &= ~finished
                n_alive = int(st.alive.sum())
                if n_alive == 0:
                    break
                if n_alive < _COMPACT * len(st.idx):
                    st = st.take(st.alive)
    return P_out, A_out, rss_out, converged, iterations


def _compiled(model: Model, engine: Engine) -> bool:
    """Whether the compiled solver of :mod:`cxcr4lab.fit._kernels` fits ``model``."""
    # equality, not identity: a model sent to a Dask worker arrives as a copy
    return engine != "numpy" and model in (FOUR_PL, ONE_SITE_COMPETITION)


def _dot(a: Array | Sequence[Array], b: Array | Sequence[Array]) -> Array:
    """Column-wise dot products of two ``(k, n)`` arrays, summed in a fixed order.

    Every reduction over parameters is written out like this (not ``einsum``), so a curve's
    arithmetic, and so its result, does not depend on which other curves share its batch.
    """
    out: Array = a[0] * b[0]
    for i in range(1, len(a)):
        out += a[i] * b[i]
    return out


def _quad(A: Array, v: Array) -> Array:
    """``v^T A v`` for every column of ``v`` ``(k, n)`` with ``A`` ``(k, k, n)``."""
    return _dot(v, [_dot(A[i], v) for i in range(len(v))])


# --- inference and flags -------------------------------------------------------------------------


def _potency_name(model: Model) -> str | None:
    return next((p for p in _POTENCY_NAMES if p in model.param_names), None)


def _flag_table(
    model: Model,
    P: Array,
    se: Array,
    lo: Array,
    hi: Array,
    x_min: Array,
    x_max: Array,
    no_effect_p: Array,
    thresholds: FitThresholds,
    X: Array | None = None,
    t: Array | None = None,
) -> list[tuple[str, ...]]:
    """:func:`~cxcr4lab.fit.flags.potency_flags`' rules, vectorised (for converged curves):
    the names of :func:`_flag_bits`."""
    bits = _flag_bits(model, P, se, lo, hi, x_min, x_max, no_effect_p, thresholds, X, t)
    table = {int(c): _flag_names(int(c)) for c in np.unique(bits)}
    return [table[c] for c in bits.tolist()]


def _flag_names(bits: int) -> tuple[str, ...]:
    return tuple(name for b, name in enumerate(_FLAG_BITS) if bits >> b & 1)


def _flag_bits(
    model: Model,
    P: Array,
    se: Array,
    lo: Array,
    hi: Array,
    x_min: Array,
    x_max: Array,
    no_effect_p: Array,
    thresholds: FitThresholds,
    X: Array | None = None,
    t: Array | None = None,
) -> NDArray[np.int64]:
    """:func:`~cxcr4lab.fit.flags.potency_flags`' rules, vectorised (for converged curves;
    the bits in :data:`_FLAG_BITS` order). With the curves' concentrations ``X`` (``(n, m)``,
    NaN where no point; one row ``(1, m)`` if every curve has those), ``outside_range`` also
    marks an incomplete curve: fewer than :data:`MIN_BEYOND` tested concentrations beyond the
    IC50 on one side (one plateau unmeasured); with the t quantiles ``t`` of each curve,
    ``overshoot`` asks the plateau's CI to lie beyond the window's edge too."""
    n = P.shape[1]
    bits = np.zeros(n, dtype=np.int64)
    pot = _potency_name(model)
    with np.errstate(invalid="ignore"):
        tests = [np.isnan(se).any(axis=0)]
        if pot is not None and pot.startswith("log10_"):
            v = P[model.index(pot)]
            outside = ~((x_min <= v) & (v <= x_max))
            if X is not None and len(X) == 1 < n:  # one row of concentrations for all
                u = np.unique(X[0][~np.isnan(X[0])])
                above = len(u) - np.searchsorted(u, v, side="right")
                below = np.searchsorted(u, v, side="left")  # (a NaN IC50 is outside already)
                outside |= (above < MIN_BEYOND) | (below < MIN_BEYOND)
            elif X is not None:  # distinct concentrations on each side (replicates count once)
                Xs = np.sort(X, axis=1)  # NaN last
                first = np.ones_like(Xs, dtype=bool)
                first[:, 1:] = Xs[:, 1:] != Xs[:, :-1]
                above = ((Xs > v[:, None]) & first).sum(axis=1)
                below = ((Xs < v[:, None]) & first).sum(axis=1)
                outside |= (above < MIN_BEYOND) | (below < MIN_BEYOND)
            if thresholds.normalised and "top" in model.param_names:
                top = P[model.index("top")]
                bottom = P[model.index("bottom")] if "bottom" in model.param_names else 0.0
                outside |= np.abs(top - bottom) < thresholds.min_span
            tests.append(outside)
            unbounded = np.isnan(lo) | np.isnan(hi)
            tests.append(unbounded)
            tests.append(~unbounded & (hi - lo > np.log10(thresholds.max_ci_ratio)))
        else:
            tests += [np.zeros(n, dtype=bool)] * 3
        tests.append(no_effect_p >= thresholds.no_effect_alpha)  # NaN (not tested) is False
        none = np.zeros(n, dtype=bool)
        hill = P[model.index("hill")] if "hill" in model.param_names else None
        if hill is not None:
            tests.append(np.abs(hill) < thresholds.hill_range[0])
            tests.append(np.abs(hill) > thresholds.hill_range[1])
        else:
            tests += [none, none]
        if "top" in model.param_names:
            top = P[model.index("top")]
            bottom = P[model.index("bottom")] if "bottom" in model.param_names else np.zeros(n)
            tests.append((top - bottom) * (1.0 if hill is None else hill) < 0)
            tests.append(_overshoot(model, P, se, thresholds, t) if thresholds.normalised else none)
        else:
            tests += [none, none]
    for b, test in enumerate(tests):
        bits |= test.astype(np.int64) << b
    return bits


def _fit_held_hill(
    model: Model,
    X: Array,
    Y: Array,
    sw: Array | None,
    P0: Array,
    hill: float,
    max_iter: int,
    engine: Engine,
) -> tuple[Array, Array, Array, Mask]:
    """``model`` with its Hill slope held at ``hill``, fitted to the rows: ``P`` (free
    parameters, ``(k - 1, n)``), ``J^T J``, RSS, converged. The 4PL with a held slope ``h`` is
    the one-site model (slope 1) on ``h x`` with ``h log10 IC50``: a curve at finite
    concentrations is fitted that way (by the compiled solver where the engine allows, else
    the numpy one: the two agree to rounding), one with a zero dose as the reduced 4PL (numpy
    solver). Each row's result does not depend on the other rows."""
    k = P0.shape[0]
    P = np.full((k, len(X)), np.nan)
    A = np.full((k, k, len(X)), np.nan)
    rss = np.full(len(X), np.nan)
    conv = np.zeros(len(X), dtype=bool)
    finite = np.isfinite(X).all(axis=1)
    one_site = model == FOUR_PL
    for part, scaled in ((finite & one_site, True), (~(finite & one_site), False)):
        rows = np.flatnonzero(part)
        if rows.size == 0:
            continue
        w = None if sw is None else sw[rows]
        if scaled:
            Q0 = P0[:, rows].copy()
            Q0[2] *= hill
            if _compiled(ONE_SITE_COMPETITION, engine):
                from cxcr4lab.fit._kernels import lm_sigmoid

                Q, B, r, c, _ = lm_sigmoid(hill * X[rows], Y[rows], w, Q0, max_iter)
            else:
                with np.errstate(all="ignore"):
                    evaluate = _evaluator(ONE_SITE_COMPETITION, Q0, hill * X[rows])
                    Q, B, r, c, _ = _levenberg_marquardt(
                        evaluate, hill * X[rows], Y[rows], w, Q0, max_iter
                    )
            Q[2] /= hill  # back to log10 IC50; its row and column of J^T J scale by h
            B[2, :] *= hill
            B[:, 2] *= hill
        else:
            reduced = fixed_model(model, {"hill": hill})
            with np.errstate(all="ignore"):
                evaluate = _evaluator(reduced, P0[:, rows], X[rows])
                Q, B, r, c, _ = _levenberg_marquardt(
                    evaluate, X[rows], Y[rows], w, P0[:, rows].copy(), max_iter
                )
        P[:, rows], A[:, :, rows], rss[rows], conv[rows] = Q, B, r, c & np.isfinite(r)
    return P, A, rss, conv


def _rescue_runaways(
    model: Model,
    X: Array,
    Y: Array,
    sw: Array | None,
    P: Array,
    rss: Array,
    conv: Mask,
    dof: NDArray[np.int64],
    no_effect: Array,
    x_min: Array,
    x_max: Array,
    thresholds: FitThresholds,
    max_iter: int,
    engine: Engine = "numpy",
) -> tuple[NDArray[np.intp], Array, dict[int, tuple[str, ...]]]:
    """What a curve the solver did not converge on, although it differs from a flat line, ran
    away to. A Hill slope that ran beyond the ``steep`` limit is a step between two
    concentrations (any steeper slope fits as well): the curve is fitted again with the Hill
    slope held at :data:`_HILL_BOUND` (its sign kept; batched), and a converged refit replaces
    the row of ``P``, ``rss`` and ``conv`` in place, flagged ``steep``. A potency that ran
    outside the tested concentrations is an IC50 beyond the data: flagged ``outside_range``
    beside ``not_converged``. Returns the refitted rows, their covariances ``(r, k, k)`` (the
    held slope's row and column NaN: it has no SE) and the flags by row."""
    k = model.n_params
    rescued: list[NDArray[np.intp]] = []
    covs: list[Array] = []
    flags: dict[int, tuple[str, ...]] = {}
    todo = ~conv & ~(no_effect >= thresholds.no_effect_alpha)
    if todo.any() and "hill" in model.param_names:
        h = model.index("hill")
        free = np.array([i for i, n in enumerate(model.param_names) if n != "hill"])
        for sign in (1.0, -1.0):
            rows = np.flatnonzero(todo & (sign * P[h] > thresholds.hill_range[1]))
            if rows.size == 0:
                continue
            Pr, Ar, rr, cr = _fit_held_hill(
                model, X[rows], Y[rows], None if sw is None else sw[rows], P[free][:, rows],
                sign * _HILL_BOUND, max_iter, engine,
            )  # fmt: skip
            ok = np.flatnonzero(cr)
            done = rows[ok]
            P[np.ix_(free, done)] = Pr[:, ok]
            P[h, done] = sign * _HILL_BOUND
            rss[done] = rr[ok]
            conv[done] = True
            with np.errstate(all="ignore"):
                inner = _inverse(Ar[:, :, ok]) * (rr[ok] / np.maximum(dof[done], 1))
            cov = np.full((done.size, k, k), np.nan)
            cov[:, free[:, None], free[None, :]] = inner.transpose(2, 0, 1)
            rescued.append(done)
            covs.append(cov)
            flags.update(dict.fromkeys(done.tolist(), ("steep",)))
    pot = _potency_name(model)
    if todo.any() and pot is not None and pot.startswith("log10_"):
        v = P[model.index(pot)]
        with np.errstate(invalid="ignore"):
            beyond = todo & ~conv & ((v < x_min) | (v > x_max))
        flags.update(
            dict.fromkeys(np.flatnonzero(beyond).tolist(), ("not_converged", "outside_range"))
        )
    if not rescued:
        return np.zeros(0, dtype=np.intp), np.zeros((0, k, k)), flags
    return np.concatenate(rescued), np.concatenate(covs), flags


def _overshoot(
    model: Model, P: Array, se: Array, thresholds: FitThresholds, t: Array | None
) -> Mask:
    """A plateau (top or bottom) more than the margin below 0 % or above 100 %, with its CI
    (``t`` SE; none: the estimate alone) beyond that edge of the window too."""
    m = thresholds.overshoot_margin
    out = np.zeros(P.shape[1], dtype=bool)
    for name in ("top", "bottom"):
        if name not in model.param_names:
            continue
        v, e = P[model.index(name)], se[model.index(name)]
        half = np.zeros_like(v) if t is None else np.where(np.isnan(e), 0.0, t * e)
        out |= ((v < -m) & (v + half < 0.0)) | ((v > 100.0 + m) & (v - half > 100.0))
    return out


def _no_effect_p(
    Y: Array, w: Array | None, present: Mask, rss: Array, dof: NDArray[np.int64], k: int
) -> Array:
    """p of the extra-sum-of-squares F test of each fit against a horizontal line."""
    if k <= 1:
        return np.full(len(Y), np.nan)
    return _no_effect_from(_flat_rss(Y, w, present), rss, dof, k)


def _flat_rss(Y: Array, w: Array | None, present: Mask) -> Array:
    """RSS of each curve's (weighted) mean: the horizontal line."""
    wt = present.astype(np.float64) if w is None else np.where(present, w, 0.0)
    ybar = np.einsum("nm,nm->n", wt, Y) / wt.sum(axis=1)
    dev = Y - ybar[:, None]
    return np.asarray(np.einsum("nm,nm,nm->n", wt, dev, dev))


def _no_effect_from(rss0: Array, rss: Array, dof: NDArray[np.int64], k: int) -> Array:
    """:func:`_no_effect_p` from the horizontal line's RSS ``rss0``."""
    if k <= 1:
        return np.full(len(rss), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.maximum(((rss0 - rss) / (k - 1)) / (rss / dof), 0.0)
        p = fdtrc(k - 1, dof, f)
    return np.where(rss <= 0, np.where(rss0 <= 0, 1.0, 0.0), p)


def _decided_flags(
    bits: NDArray[np.int64],
    flat: Mask,
    conv: Mask,
    unsure: Mask,
    rescued: Mapping[int, tuple[str, ...]],
) -> list[tuple[str, ...]]:
    """The flags of each fitted curve: ``no_effect`` alone for a flat curve (the other flags
    say nothing); for one that did not converge, its :func:`_rescue_runaways` flags or
    ``not_converged``; for one refitted with its Hill slope held, the rescue's flags, then its
    flag ``bits`` (``ambiguous`` only if another SE is ``unsure``: the held slope has none);
    else its flag ``bits``. Curves are grouped by what decides their flags, so each distinct
    tuple is made once."""
    n_bits = 1 << len(_FLAG_BITS)
    kinds = list(dict.fromkeys(rescued.values()))
    rid = np.zeros(len(bits), dtype=np.int64)  # 1 + the index of the curve's rescue flags
    if rescued:
        rows = np.fromiter(rescued.keys(), dtype=np.int64, count=len(rescued))
        rid[rows] = [kinds.index(f) + 1 for f in rescued.values()]
    # 0 fitted, 1 fitted with a held slope, 2 not converged, 3 no effect
    state = np.where(flat, 3, np.where(~conv, 2, np.where(rid > 0, 1, 0)))
    key = state * (len(kinds) + 1) + np.where((state == 1) | (state == 2), rid, 0)
    key = (key * 2 + ((state == 1) & unsure)) * n_bits + np.where(state <= 1, bits, 0)
    codes, which = np.unique(key, return_inverse=True)
    made: list[tuple[str, ...]] = []
    for code in codes.tolist():
        b, rest = code % n_bits, code // n_bits
        u, rest = rest % 2, rest // 2
        r, st = rest % (len(kinds) + 1), rest // (len(kinds) + 1)
        if st == 3:
            made.append(("no_effect",))
        elif st == 2:
            made.append(kinds[r - 1] if r else ("not_converged",))
        elif st == 1:
            extra = tuple(x for x in _flag_names(b) if x != "ambiguous" or u)
            made.append(tuple(dict.fromkeys((*kinds[r - 1], *extra))))
        else:
            made.append(_flag_names(b))
    return [made[i] for i in which.tolist()]


def _covariances(A: Array, rss: Array, dof: NDArray[np.int64], conv: Mask) -> Array:
    """``(n, k, k)`` ``s^2 (J^T W J)^-1`` of the converged fits (``A`` ``(k, k, n)``), NaN
    where a fit did not converge or its covariance is not usable."""
    k = len(A)
    cov = np.full((len(rss), k, k), np.nan)
    # a parameter the data do not touch at all (a zero column of J) makes J^T J singular
    invert = conv & (np.stack([A[i, i] for i in range(k)]) > 0).all(axis=0)
    with np.errstate(all="ignore"):
        inv = _inverse(A[:, :, invert]) * (rss[invert] / dof[invert])
    cov[invert] = inv.transpose(2, 0, 1)
    diag = np.diagonal(cov, axis1=1, axis2=2)
    usable = conv & np.isfinite(cov).all(axis=(1, 2)) & (diag >= 0).all(axis=1)
    cov[~usable] = np.nan
    return cov


# --- the entry points ----------------------------------------------------------------------------


def _fit_padded(
    model: Model,
    X: Array,
    Y: Array,
    W: Array | None,
    *,
    alpha: float,
    max_iter: int,
    thresholds: FitThresholds,
    extra_bad: Sequence[str | None] | None = None,
    engine: Engine = "auto",
    cov_kind: Covariance = "jtj",
) -> BatchResult:
    n, k = len(Y), model.n_params
    code = _problems(model, X, Y, W)
    bad: list[str | None] = np.array([None, *_PROBLEMS], dtype=object)[code].tolist()
    if extra_bad is not None:
        bad = [e if e is not None else b for b, e in zip(bad, extra_bad, strict=True)]
    good = code == 0 if extra_bad is None else np.array([b is None for b in bad], dtype=bool)
    pot = _potency_name(model)

    params = np.full((n, k), np.nan)
    stderr = np.full((n, k), np.nan)
    covariance = np.full((n, k, k), np.nan)
    ci_lower = np.full(n, np.nan)
    ci_upper = np.full(n, np.nan)
    rss_all = np.full(n, np.nan)
    n_points = np.zeros(n, dtype=np.int64)
    converged = np.zeros(n, dtype=bool)
    no_effect_all = np.full(n, np.nan)
    x_min_all = np.full(n, np.nan)
    x_max_all = np.full(n, np.nan)
    iterations = np.zeros(n, dtype=np.int64)
    flags: list[tuple[str, ...]] = [(b,) if b is not None else () for b in bad]

    if good.any():
        # x is copied even when all are good: contiguous rows make faster ufunc loops than a
        # shared row broadcast over the curves
        Xg, Yg = X[good], (Y if good.all() else Y[good])
        present = ~(np.isnan(Xg) | np.isnan(Yg))
        rows = np.arange(len(Xg))
        first = Xg[rows, np.argmax(present, axis=1)]
        if not present.all():
            Xg = np.where(present, Xg, first[:, None])
            Yg = np.where(present, Yg, 0.0)
        w = None if W is None else np.where(present, W[good], 0.0)
        if w is not None:
            sw: Array | None = np.sqrt(w)
        elif not present.all():
            sw = present.astype(np.float64)
        else:
            sw = None
        npts = present.sum(axis=1).astype(np.int64)
        dof = npts - k

        P0 = _starts(model, Xg, Yg, present, engine)
        if _compiled(model, engine):
            from cxcr4lab.fit._kernels import fit_sigmoid  # imports numba: only when needed

            # the covariances, tested ranges and flat-line RSS come from the same compiled pass
            fused = fit_sigmoid(Xg, Yg, sw, w, P0, max_iter)
            P, A, rss, conv, iters = fused[:5]
            x_min, x_max, rss0, cov = fused.x_min, fused.x_max, fused.rss0, fused.covariance
            lu = np.flatnonzero(fused.needs_lu)  # not positive definite: LU, as _inverse does
            if lu.size:
                cov[lu] = _covariances(A[:, :, lu], rss[lu], dof[lu], conv[lu])
        else:
            with np.errstate(all="ignore"):
                evaluate = _evaluator(model, P0, Xg)
            P, A, rss, conv, iters = _levenberg_marquardt(evaluate, Xg, Yg, sw, P0, max_iter)
            conv &= np.isfinite(rss)
            x_min = np.where(present & np.isfinite(Xg), Xg, np.inf).min(axis=1)
            x_max = np.where(present, Xg, -np.inf).max(axis=1)
            rss0 = _flat_rss(Yg, w, present)
            cov = _covariances(A, rss, dof, conv)
        no_effect = _no_effect_from(rss0, rss, dof, k)
        rescued, rescued_cov, rescue_flags = _rescue_runaways(
            model, Xg, Yg, sw, P, rss, conv, dof, no_effect, x_min, x_max, thresholds,
            max_iter, engine,
        )  # fmt: skip
        if rescued.size:  # their RSS changed
            no_effect[rescued] = _no_effect_from(rss0[rescued], rss[rescued], dof[rescued], k)
        if cov_kind == "hessian":  # drc's: the observed information of every converged fit
            rows = np.flatnonzero(conv)
            if rows.size:
                from cxcr4lab.fit.covariance import observed_covariance_batch

                wt = present.astype(np.float64) if w is None else w
                with np.errstate(all="ignore"):
                    evaluate = _evaluator(model, P[:, rows], Xg[rows])
                cov[rows] = observed_covariance_batch(
                    evaluate, P[:, rows], Xg[rows], Yg[rows], wt[rows], dof[rows]
                )
        cov[rescued] = rescued_cov  # a held Hill slope: no SE of its own
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
        # t quantiles per distinct dof (stdtrit is slow and a batch has few distinct dof)
        dofs, which = np.unique(dof, return_inverse=True)
        t = stdtrit(dofs, 1.0 - alpha / 2.0)[which]

        every = bool(good.all())
        sel = slice(None) if every else good  # a slice assigns faster than an all-True mask
        params[sel] = P.T
        stderr[sel] = se
        covariance[sel] = cov
        if pot is not None:
            j = model.index(pot)
            ci_lower[sel] = P[j] - t * se[:, j]
            ci_upper[sel] = P[j] + t * se[:, j]
        rss_all[sel] = rss
        n_points[sel] = npts
        converged[sel] = conv
        no_effect_all[sel] = no_effect
        x_min_all[sel] = x_min
        x_max_all[sel] = x_max
        iterations[sel] = iters
        # one row of concentrations shared by every curve (fit_many's 1-D x) is counted once
        shared = every and len(X) > 1 and X.strides[0] == 0 and bool(present.all())
        bits = _flag_bits(
            model, P, se.T, ci_lower[sel], ci_upper[sel], x_min, x_max, no_effect, thresholds,
            X[:1] if shared else np.where(present, Xg, np.nan), t,
        )  # fmt: skip
        others = [i for i, n in enumerate(model.param_names) if n != "hill"]
        decided = _decided_flags(
            bits,
            no_effect >= thresholds.no_effect_alpha,
            conv,
            np.asarray(np.isnan(se[:, others]).any(axis=1)),
            rescue_flags,
        )
        if every:
            flags = decided
        else:
            for i, f in zip(np.flatnonzero(good).tolist(), decided, strict=True):
                flags[i] = f
    else:
        present_all = ~(np.isnan(X) | np.isnan(Y))
        n_points[:] = present_all.sum(axis=1)

    if not good.all():
        present_bad = ~(np.isnan(X[~good]) | np.isnan(Y[~good]))
        n_points[~good] = present_bad.sum(axis=1)
    return BatchResult(
        model=model.name,
        param_names=model.param_names,
        params=_frozen(params),
        stderr=_frozen(stderr),
        covariance=_frozen(covariance),
        ci_lower=_frozen(ci_lower),
        ci_upper=_frozen(ci_upper),
        rss=_frozen(rss_all),
        n_points=_frozen(n_points),
        dof=_frozen(n_points - k),
        converged=_frozen(converged),
        no_effect_p=_frozen(no_effect_all),
        x_min=_frozen(x_min_all),
        x_max=_frozen(x_max_all),
        iterations=_frozen(iterations),
        flags=tuple(flags),
        potency=pot,
        alpha=alpha,
        weighted=W is not None,
        _bad=tuple(bad),
    )


def fit_many(
    model: Model,
    x: ArrayLike,
    y: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    alpha: float = 0.05,
    max_iter: int = 200,
    thresholds: FitThresholds | None = None,
    engine: Engine = "auto",
    covariance: Covariance = "jtj",
) -> BatchResult:
    """Fit ``model`` to every row of ``y`` at once.

    ``x`` and ``y`` are ``(n_curves, n_points)`` arrays padded with NaN (``x`` may also be one
    row shared by every curve), ``x`` in the model's scale (log10 mol/L for the concentration
    models; ``-inf`` for a zero dose where the model allows it). ``weights`` are per point, like
    ``fit_curve``'s. ``alpha`` sets the level of the potency CI; ``max_iter`` caps the
    Levenberg-Marquardt iterations per curve. Curves that cannot be fitted are flagged
    ``bad_input: ...``; they never stop the others.

    ``engine`` picks the solver: ``"numba"`` a compiled one running the curves on all cores
    (the 4PL and one-site competition only), ``"numpy"`` the vectorised one (any model),
    ``"auto"`` (default) the compiled one where there is one. Both use the same method and
    stopping rules and agree to rounding. ``covariance`` ``"hessian"`` takes R drc's observed
    information instead of Gauss-Newton's ``J^T J`` (:data:`Covariance`).
    """
    X, Y, W = _padded(x, y, weights)
    if not 0 < alpha < 1:
        raise InputError(f"alpha must lie in (0, 1), got {alpha}", field="alpha")
    if max_iter < 1:
        raise InputError(f"max_iter must be at least 1, got {max_iter}", field="max_iter")
    if engine not in ("auto", "numba", "numpy"):
        raise InputError(
            f"engine must be auto, numba or numpy, got {quote(engine)}", field="engine"
        )
    if engine == "numba" and not _compiled(model, engine):
        raise InputError(f"no compiled solver for model {quote(model.name)}", field="engine")
    return _fit_padded(
        model,
        X,
        Y,
        W,
        alpha=alpha,
        max_iter=max_iter,
        thresholds=thresholds or FitThresholds(),
        engine=engine,
        cov_kind=covariance,
    )


# --- long tables ---------------------------------------------------------------------------------

TABLE_COLUMNS: Final = (
    "curve_id",
    "model",
    "converged",
    "bottom",
    "top",
    "hill",
    "ic50",
    "ic50_lower",
    "ic50_upper",
    "log10_ic50",
    "log10_ic50_se",
    "rss",
    "n",
    "flags",
)


def _numbers(df: pd.DataFrame, name: str, place: Place, *, allow_nan: bool) -> Array:
    """A numeric column; a bad cell raises :func:`numeric_column`'s error (file, row, column)."""
    raw = df[name]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    missing = raw.isna().to_numpy()
    bad = np.isinf(values) | (np.isnan(values) & (~missing | (not allow_nan)))
    if bad.any():  # let the row-by-row validator find and describe the first bad cell
        return numeric_column(df, name, place=place, allow_nan=allow_nan)
    return values


def _curve_factors(
    df: pd.DataFrame, codes: NDArray[np.intp], ids: pd.Index, conc_unit: str, place: Place
) -> Array:
    """mol/L per unit of concentration, per curve (from a ``unit`` column if there is one)."""
    if "unit" not in df.columns:
        return np.full(len(ids), molar_factor(conc_unit, place=_replace_place(place, "conc_unit")))
    units = df["unit"].astype("string").str.strip().to_numpy(dtype=object)
    factors = np.full(len(ids), np.nan)
    seen: dict[int, tuple[str, int]] = {}
    cache: dict[str, float] = {}
    for row, (code, unit) in enumerate(zip(codes.tolist(), units, strict=True)):
        where = Place(file=place.file, row=row + 2, column="unit")
        if unit is None or unit is pd.NA or unit == "":
            raise InputError("the unit is missing", place=where)
        first = seen.setdefault(code, (unit, row + 2))
        if first[0] != unit:
            raise InputError(
                f"curve {quote(ids[code])} has concentrations in {quote(first[0])} (row {first[1]}) "
                f"and in {quote(unit)}: one unit per curve",
                place=_replace_place(where, "unit", curve=str(ids[code])),
            )
        if unit not in cache:
            cache[unit] = molar_factor(unit, place=where)
        factors[code] = cache[unit]
    return factors


def _replace_place(place: Place, column: str, *, curve: str | None = None) -> Place:
    """``place`` naming ``column`` (and ``curve``)."""
    return Place(
        file=place.file, row=place.row, column=column, curve=curve if curve else place.curve
    )


@dataclass(frozen=True)
class LongCurves:
    """The curves of a long table as padded ``(n_curves, width)`` arrays, in input order.

    ``X`` is in the model's scale (log10 mol/L for the log models; NaN pads), ``Y`` the
    response (NaN: padding or a blank response), ``W`` the weights or None; ``factors`` is mol/L
    per unit of each curve's concentration; ``problems`` holds ``bad_input: ...`` for a curve
    whose table rows are unusable (a negative concentration), else None.
    """

    ids: tuple[Hashable, ...]
    X: Array
    Y: Array
    W: Array | None
    factors: Array
    problems: tuple[str | None, ...]

    def __len__(self) -> int:
        return len(self.ids)


def read_curve_csv(content: bytes, name: str) -> pd.DataFrame:
    """A long CSV of curves (``curve_id``, ``concentration``, ``response``, ...) as a frame,
    within the delimited-text limits; an unreadable file is one :class:`InputError` naming it.
    ``curve_id`` is read as text."""
    import io

    from cxcr4lab.core.limits import check_text_table

    check_text_table(content, name, delimiters=",")
    try:
        return pd.read_csv(io.BytesIO(content), dtype={"curve_id": str}, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", file=name) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file as CSV ({quote(str(exc))})", file=name) from None
    except (ValueError, OverflowError) as exc:
        raise InputError(f"cannot read the file as CSV ({type(exc).__name__})", file=name) from None


def long_curves(
    df: pd.DataFrame, model: Model, *, conc_unit: str = "M", file: str | None = None
) -> LongCurves:
    """The curves of a long table (see :func:`fit_table`) as :class:`LongCurves`; a bad table
    raises :class:`InputError` naming ``file``, row and column."""
    where = Place(file=file or "table")
    require_nonempty(df, place=where)
    require_columns(df, ("curve_id", "concentration", "response"), place=where)
    missing_id = df["curve_id"].isna().to_numpy()
    if missing_id.any():
        row = int(np.argmax(missing_id)) + 2
        raise InputError("the curve id is missing", place=where, row=row, column="curve_id")
    conc = _numbers(df, "concentration", where, allow_nan=False)
    resp = _numbers(df, "response", where, allow_nan=True)
    weight = _numbers(df, "weight", where, allow_nan=True) if "weight" in df.columns else None

    codes, ids = pd.factorize(df["curve_id"], sort=False)
    n_curves = len(ids)
    factors = _curve_factors(df, codes, pd.Index(ids), conc_unit, where)
    molar = conc * factors[codes]
    negative = np.zeros(n_curves, dtype=bool)
    negative[codes[molar < 0]] = True
    if model.x_is_log10:
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.log10(np.where(molar < 0, np.nan, molar))
    else:
        x = molar
    # padded (curve, point) arrays, points in input order
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=n_curves)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(codes)) - starts[codes[order]]
    width = int(counts.max())
    X = np.full((n_curves, width), np.nan)
    Y = np.full((n_curves, width), np.nan)
    X[codes[order], pos] = x[order]
    Y[codes[order], pos] = resp[order]
    W = None
    if weight is not None:
        W = np.full((n_curves, width), np.nan)
        W[codes[order], pos] = weight[order]
        W[np.isnan(Y)] = 1.0  # a missing point's weight does not matter
    problems = tuple(_NEGATIVE_CONC if neg else None for neg in negative.tolist())
    return LongCurves(tuple(ids), X, Y, W, factors, problems)


def fit_table(
    df: pd.DataFrame,
    model: str | Model = "4pl",
    *,
    conc_unit: str = "M",
    alpha: float = 0.05,
    max_iter: int = 200,
    file: str | None = None,
    chunk_size: int = 20_000,
    on_chunk: Callable[[int], None] | None = None,
    engine: Engine = "auto",
    fixed: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    thresholds: FitThresholds | None = None,
    inference: bool = False,
    ed: Sequence[float] = (),
    ed_type: EdKind = "relative",
    covariance: Covariance = "jtj",
    scheduler: Any = None,
) -> pd.DataFrame:
    """Fit every curve of a long table; one row per curve (``TABLE_COLUMNS``), in input order;
    the estimates of a curve flagged ``not_converged`` or ``no_effect`` are left empty.

    ``df`` has columns ``curve_id``, ``concentration``, ``response`` and optionally ``weight``
    (per point) and ``unit`` (per row; one unit per curve, else ``conc_unit`` for all). A blank
    response is a missing point. ``ic50``, ``ic50_lower`` and ``ic50_upper`` (the asymptotic
    ``1 - alpha`` CI, 95% by default) are concentrations in the curve's input unit;
    ``log10_ic50`` and ``log10_ic50_se`` are of the IC50 in **mol/L**, whatever the input unit.
    A curve that cannot be fitted gets ``converged = False`` and a ``bad_input: ...`` flag.
    Curves are fitted ``chunk_size`` at a time; ``on_chunk(n_curves)`` is called after each
    chunk (for a progress bar). ``engine`` is :func:`fit_many`'s, chosen once for the whole
    table: ``"auto"`` takes the compiled solver where there is one, except for a table of fewer
    than :data:`SMALL_TABLE` curves (the numpy solver, no numba import; the two agree to
    rounding). A bad table raises :class:`InputError` naming ``file``, row and column.

    ``fixed`` holds model parameters at values for every curve (``{"hill": 1.0}``, in the
    model's scale: ``log10_ic50`` in log10 mol/L): the batched solver fits the reduced model
    (:func:`fixed_model`; numpy engine). ``bounds`` keeps parameters within ``(lower, upper)``:
    the curves are then fitted one by one by :func:`~cxcr4lab.fit.solve.fit_curve` (scipy's
    trust-region reflective solver), and a curve with an estimate on a bound is flagged
    ``at_bound`` (its SE and CI assume the bound is not active). ``thresholds`` are the flag
    rules (:class:`~cxcr4lab.fit.flags.FitThresholds`; ``normalised=True`` for responses in %
    of control). ``inference`` adds the columns of :data:`INFERENCE_COLUMNS_DOC`, with the
    effective doses at ``ed`` levels (``ed_type`` as R drc's ``ED``,
    :mod:`cxcr4lab.fit.effective_dose`); ``covariance`` as :func:`fit_many`'s (bounded fits
    keep Gauss-Newton's).

    ``scheduler`` (a Dask scheduler address or ``Client``) fits the chunks on that cluster
    (:func:`cxcr4lab.core.cluster.map_chunks`), the same chunks with the same engine, so the
    table is the same; the table is read and the inference columns made here.
    """
    if engine not in ("auto", "numba", "numpy"):
        raise InputError(
            f"engine must be auto, numba or numpy, got {quote(engine)}", field="engine"
        )
    m = get_model(model) if isinstance(model, str) else model
    fixed = dict(fixed or {})
    bounds = dict(bounds or {})
    limits = thresholds or FitThresholds()
    fit_model = fixed_model(m, fixed)
    _check_bounds(m, bounds, fixed)
    data = long_curves(df, m, conc_unit=conc_unit, file=file)
    n_curves = len(data)
    X, Y, W = data.X, data.Y, data.W
    if engine == "numba" and not _compiled(fit_model, engine):
        raise InputError(f"no compiled solver for model {quote(fit_model.name)}", field="engine")
    if engine == "auto" and n_curves < SMALL_TABLE:
        engine = "numpy"

    spans = [(lo, min(lo + chunk_size, n_curves)) for lo in range(0, n_curves, chunk_size)]
    chunks = [
        (m, fit_model, fixed, bounds, X[lo:hi], Y[lo:hi], None if W is None else W[lo:hi],
         data.problems[lo:hi], alpha, max_iter, limits, engine, covariance)
        for lo, hi in spans
    ]  # fmt: skip
    if scheduler is None:
        parts = []
        for (lo, hi), chunk in zip(spans, chunks, strict=True):
            parts.append(_fit_table_chunk(*chunk))
            if on_chunk is not None:
                on_chunk(hi - lo)
    else:
        from cxcr4lab.core.cluster import map_chunks  # imports dask

        def finished(i: int, _: BatchResult) -> None:
            if on_chunk is not None:
                on_chunk(spans[i][1] - spans[i][0])

        parts = map_chunks(
            _fit_table_chunk, chunks, scheduler=scheduler, name="cxcr4lab-fit", done=finished
        )
    batch = BatchResult.concat(parts)
    return _table_frame(
        m,
        batch,
        list(data.ids),
        data.factors,
        fixed,
        inference=inference,
        Y=data.Y,
        W=data.W,
        ed=ed,
        ed_type=ed_type,
    )


def _fit_table_chunk(
    model: Model,
    fit_model: Model,
    fixed: Mapping[str, float],
    bounds: Mapping[str, tuple[float, float]],
    X: Array,
    Y: Array,
    W: Array | None,
    problems: Sequence[str | None],
    alpha: float,
    max_iter: int,
    thresholds: FitThresholds,
    engine: Engine,
    covariance: Covariance,
) -> BatchResult:
    """One chunk of :func:`fit_table` (a task of its own on a Dask worker)."""
    if bounds:
        return _fit_bounded(
            model, fixed, bounds, X, Y, W, alpha=alpha, thresholds=thresholds, extra_bad=problems
        )
    return _fit_padded(
        fit_model, X, Y, W, alpha=alpha, max_iter=max_iter, thresholds=thresholds,
        extra_bad=problems, engine=engine, cov_kind=covariance,
    )  # fmt: skip


def _fit_bounded(
    model: Model,
    fixed: Mapping[str, float],
    bounds: Mapping[str, tuple[float, float]],
    X: Array,
    Y: Array,
    W: Array | None,
    *,
    alpha: float,
    thresholds: FitThresholds,
    extra_bad: Sequence[str | None],
) -> BatchResult:
    """:func:`_fit_padded`'s result for bounded fits, curve by curve through ``fit_curve``.

    Parameters are those of ``fixed_model(model, fixed)``; inference is ``fit_curve``'s
    (``s^2 (J^T W J)^-1`` over the free parameters, t-based potency CI), the flags are the
    batch's plus ``at_bound``.
    """
    from cxcr4lab.core.errors import FitError
    from cxcr4lab.fit.solve import fit_curve

    reduced = fixed_model(model, fixed)
    n, k = len(Y), reduced.n_params
    code = _problems(reduced, X, Y, W)
    bad: list[str | None] = np.array([None, *_PROBLEMS], dtype=object)[code].tolist()
    bad = [e if e is not None else b for b, e in zip(bad, extra_bad, strict=True)]
    present = ~(np.isnan(X) | np.isnan(Y))
    params = np.full((n, k), np.nan)
    stderr = np.full((n, k), np.nan)
    covariance = np.full((n, k, k), np.nan)
    rss = np.full(n, np.nan)
    converged = np.zeros(n, dtype=bool)
    x_min = np.full(n, np.nan)
    x_max = np.full(n, np.nan)
    for i in range(n):
        if bad[i] is not None:
            continue
        keep = present[i]
        try:
            fit = fit_curve(
                model,
                X[i, keep],
                Y[i, keep],
                weights=None if W is None else W[i, keep],
                fixed=fixed,
                bounds=bounds,
                alpha=alpha,
            )
        except (InputError, FitError) as exc:
            bad[i] = f"bad_input: {getattr(exc, 'message', str(exc))}"
            continue
        free = np.array(fit.free)
        params[i] = np.asarray(fit.values)[free]
        stderr[i] = [
            np.nan if se is None else se for se, f in zip(fit.stderr, free, strict=True) if f
        ]
        if fit.covariance is not None:
            covariance[i] = np.asarray(fit.covariance)
        rss[i] = fit.rss
        converged[i] = fit.converged
        x_min[i], x_max[i] = fit.x_min, fit.x_max
    n_points = present.sum(axis=1).astype(np.int64)
    dof = n_points - k
    pot = _potency_name(reduced)
    ci_lower = np.full(n, np.nan)
    ci_upper = np.full(n, np.nan)
    good = np.array([b is None for b in bad], dtype=bool)
    no_effect = np.full(n, np.nan)
    flags: list[tuple[str, ...]] = [(b,) if b is not None else () for b in bad]
    if good.any():
        Yg = np.where(present[good], Y[good], 0.0)
        w = None if W is None else np.where(present[good], W[good], 0.0)
        with np.errstate(all="ignore"):
            no_effect[good] = _no_effect_p(Yg, w, present[good], rss[good], dof[good], k)
            t = stdtrit(dof[good].astype(np.float64), 1.0 - alpha / 2.0)
        if pot is not None:
            j = reduced.index(pot)
            ci_lower[good] = params[good, j] - t * stderr[good, j]
            ci_upper[good] = params[good, j] + t * stderr[good, j]
        P = params[good].T
        table = _flag_table(
            reduced, P, stderr[good].T, ci_lower[good], ci_upper[good], x_min[good],
            x_max[good], no_effect[good], thresholds, np.where(present[good], X[good], np.nan),
            t,
        )  # fmt: skip
        at_bound = np.zeros(int(good.sum()), dtype=bool)
        for name, (lo, hi) in bounds.items():
            v = P[reduced.index(name)]
            tol = 1e-6 * np.maximum(1.0, np.abs(v))
            with np.errstate(invalid="ignore"):
                at_bound |= (np.abs(v - lo) <= tol) | (np.abs(v - hi) <= tol)
        rows = np.nonzero(good)[0].tolist()
        for i, f, edge in zip(rows, table, at_bound.tolist(), strict=True):
            if not converged[i]:
                flags[i] = ("not_converged",)
            else:
                flags[i] = (*f, "at_bound") if edge else f
    return BatchResult(
        model=reduced.name,
        param_names=reduced.param_names,
        params=_frozen(params),
        stderr=_frozen(stderr),
        covariance=_frozen(covariance),
        ci_lower=_frozen(ci_lower),
        ci_upper=_frozen(ci_upper),
        rss=_frozen(rss),
        n_points=_frozen(n_points),
        dof=_frozen(dof),
        converged=_frozen(converged),
        no_effect_p=_frozen(no_effect),
        x_min=_frozen(x_min),
        x_max=_frozen(x_max),
        iterations=_frozen(np.zeros(n, dtype=np.int64)),
        flags=tuple(flags),
        potency=pot,
        alpha=alpha,
        weighted=W is not None,
        _bad=tuple(bad),
    )


def _table_frame(
    model: Model,
    batch: BatchResult,
    ids: list[Hashable],
    factors: Array,
    fixed: Mapping[str, float] | None = None,
    *,
    inference: bool = False,
    Y: Array | None = None,
    W: Array | None = None,
    ed: Sequence[float] = (),
    ed_type: EdKind = "relative",
) -> pd.DataFrame:
    n = len(batch)
    nan = np.full(n, np.nan)
    fixed = fixed or {}
    fitted = ~batch.bad_input

    def param(name: str) -> Array:
        if name in fixed:  # held at its value for every curve that was fitted
            return np.where(fitted, fixed[name], np.nan)
        if name in batch.param_names:
            return batch.params[:, batch.param_names.index(name)]
        return nan

    pot = _potency_name(model)
    if pot is None:
        ic50 = lower = upper = log_ic50 = log_se = nan
    else:
        v = param(pot)
        if pot in fixed:  # a fixed potency: no SE, no CI
            se, ci_lo, ci_hi = nan, nan, nan
        else:
            se = batch.stderr[:, batch.param_names.index(pot)]
            ci_lo, ci_hi = batch.ci_lower, batch.ci_upper
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if pot.startswith("log10_"):
                log_ic50, log_se = v, se
                ic50 = 10.0**v / factors
                lower = 10.0**ci_lo / factors
                upper = 10.0**ci_hi / factors
            else:  # a potency on the linear scale, in mol/L
                ic50, lower, upper = v / factors, ci_lo / factors, ci_hi / factors
                log_ic50 = np.where(v > 0, np.log10(v), np.nan)
                log_se = np.where(v > 0, se / (v * _LN10), np.nan)
    # estimates that mean nothing are left empty: the flags say why
    empty = np.array([("not_converged" in f or "no_effect" in f) for f in batch.flags], dtype=bool)

    def shown(values: Array) -> Array:
        return np.where(empty, np.nan, values)

    frame = pd.DataFrame(
        {
            "curve_id": ids,
            "model": model.name,
            "converged": batch.converged,
            "bottom": shown(param("bottom")),
            "top": shown(param("top")),
            "hill": shown(param("hill")),
            "ic50": shown(ic50),
            "ic50_lower": shown(lower),
            "ic50_upper": shown(upper),
            "log10_ic50": shown(log_ic50),
            "log10_ic50_se": shown(log_se),
            "rss": batch.rss,
            "n": batch.n_points,
            "flags": [";".join(f) for f in batch.flags],
        },
        columns=list(TABLE_COLUMNS),
    )
    if not inference:
        return frame
    extra = _inference_columns(model, batch, factors, fixed, Y, W, ed, ed_type)
    return pd.concat([frame, pd.DataFrame({k: shown(v) for k, v in extra.items()})], axis=1)


INFERENCE_COLUMNS_DOC: Final = (
    "every model parameter with _se, _lower, _upper (t-based, 1 - alpha); log10_ic50_lower "
    "and _upper; pic50 (-log10 IC50 in mol/L) with its CI; ed<p> with _lower, _upper in the "
    "input unit and log10_ed<p>_se; r_squared, sigma (residual SD, response unit), aicc, dof"
)


def _inference_columns(
    model: Model,
    batch: BatchResult,
    factors: Array,
    fixed: Mapping[str, float],
    Y: Array | None,
    W: Array | None,
    ed: Sequence[float],
    ed_type: EdKind,
) -> dict[str, Array]:
    """The columns of :data:`INFERENCE_COLUMNS_DOC`, by name (before the empty ones are
    blanked)."""
    n = len(batch)
    names = batch.param_names
    dof = batch.dof.astype(np.float64)
    with np.errstate(invalid="ignore"):
        t = np.where(dof > 0, stdtrit(np.maximum(dof, 1.0), 1.0 - batch.alpha / 2.0), np.nan)
    out: dict[str, Array] = {}
    full = [*model.param_names]
    pot = _potency_name(model)
    for name in full:
        if name in ("ic50", "ec50"):  # a linear-scale potency: the base columns hold it
            continue
        # the potency (IC50 or EC50, log10 M) is the base table's log10_ic50, with its SE
        label = "log10_ic50" if name == pot else name
        if name in fixed:
            for end in ("_se", "_lower", "_upper"):
                if f"{label}{end}" not in TABLE_COLUMNS:
                    out[f"{label}{end}"] = np.full(n, np.nan)
            continue
        j = names.index(name)
        v, se = batch.params[:, j], batch.stderr[:, j]
        if label not in TABLE_COLUMNS:
            out[label] = v
        if f"{label}_se" not in TABLE_COLUMNS:
            out[f"{label}_se"] = se
        out[f"{label}_lower"] = v - t * se
        out[f"{label}_upper"] = v + t * se
    if pot is not None and pot.startswith("log10_") and pot in names:
        v = batch.params[:, names.index(pot)]
        lo, hi = out["log10_ic50_lower"], out["log10_ic50_upper"]
        stem = pot.removeprefix("log10_")
        out[f"p{stem}"] = -v
        out[f"p{stem}_lower"] = -hi
        out[f"p{stem}_upper"] = -lo
    if ed and supports_ed(model):
        P = np.array(
            [
                np.full(n, fixed[name]) if name in fixed else batch.params[:, names.index(name)]
                for name in full
            ]
        )
        cov = np.zeros((n, len(full), len(full)))
        free = [full.index(name) for name in names]
        cov[:, np.ix_(free, free)[0], np.ix_(free, free)[1]] = batch.covariance
        doses = effective_doses(model, P, cov, t, tuple(ed), ed_type)
        for i, level in enumerate(doses.levels):
            label = f"ed{level:g}".replace(".", "_")
            with np.errstate(over="ignore", invalid="ignore"):
                out[label] = 10.0 ** doses.log10_ed[i] / factors
                out[f"{label}_lower"] = 10.0 ** doses.lower[i] / factors
                out[f"{label}_upper"] = 10.0 ** doses.upper[i] / factors
            out[f"log10_{label}_se"] = doses.se[i]
    rss = batch.rss
    k = len(names)
    npts = batch.n_points.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["sigma"] = np.sqrt(rss / dof)
        if Y is not None:
            present = ~np.isnan(Y)
            wt = present.astype(np.float64) if W is None else np.where(present, W, 0.0)
            y0 = np.where(present, Y, 0.0)
            ybar = (wt * y0).sum(axis=1) / wt.sum(axis=1)
            tss = (wt * (y0 - ybar[:, None]) ** 2).sum(axis=1)
            out["r_squared"] = 1.0 - rss / tss
        # AICc with the residual variance counted as a parameter (K = k + 1), as Prism
        big_k = k + 1.0
        out["aicc"] = (
            npts * np.log(rss / npts)
            + 2.0 * big_k
            + 2.0 * big_k * (big_k + 1.0) / (npts - big_k - 1.0)
        )
    out["dof"] = dof
    return out
