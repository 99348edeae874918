"""User models from a plain Python function with named parameters (as lmfit's ``Model`` does).

>>> import numpy as np
>>> from cxcr4lab.fit import fit_curve
>>> def decay(t, a, k):
...     return a * np.exp(-k * t)
>>> m = model_from_function(decay, name="doc_decay", x_is_log10=False)
>>> m.param_names, jacobian_method(m)
(('a', 'k'), 'undecided')
>>> t = np.linspace(0.0, 5.0, 8)
>>> fit = fit_curve(m, t, decay(t, 3.0, 0.7), start={"a": 1.0, "k": 1.0})
>>> round(fit.params["k"], 6), jacobian_method(m)
(0.7, 'complex-step')

``func(x, a, b, ...)`` must be vectorised over ``x``. The Jacobian is ``jac`` if given (same
signature as ``func``, returning shape ``(len(x), n_params)``); otherwise it is computed by
complex step (exact to rounding; needs ``func`` to accept complex parameters) and, if ``func``
does not work with complex input, by central differences with a step scaled to each parameter.
Which one is used is decided on the first call and reported by :func:`jacobian_method`.
Without ``guess`` there are no automatic starting values: ``fit_curve`` then needs ``start``
for every free parameter and raises :class:`FitError` naming those missing.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.core.errors import FitError
from cxcr4lab.fit.models import MODELS, Model, register_model

__all__ = ["jacobian_method", "model_from_function", "register_user_model"]

Array = NDArray[np.float64]
UserFunc = Callable[..., Any]

_USER_MODELS: set[str] = set()
"""Names registered through :func:`register_user_model`; only these may be replaced."""

_COMPLEX_STEP = 1e-30
"""Imaginary step h of the complex-step derivative Im f(p + ih) / h (no cancellation)."""

_CENTRAL_STEP = float(np.cbrt(np.finfo(float).eps))
"""Relative step of central differences (balances truncation and rounding, ~6e-6)."""


def register_user_model(model: Model, *, replace: bool = True) -> Model:
    """Put a user model in the registry (:func:`cxcr4lab.fit.models.register_model`) so that
    results can find it by name.

    Refuses (:class:`FitError`) a name that belongs to a built-in model; a user model of the
    same name is replaced when ``replace`` (the default: re-running a notebook cell works).
    """
    if model.name in MODELS and MODELS[model.name] is not model:
        if model.name not in _USER_MODELS:
            raise FitError(f"{model.name!r} is the name of a built-in model; choose another name")
        if not replace:
            raise FitError(f"a user model named {model.name!r} is registered already")
    register_model(model, replace=True)
    _USER_MODELS.add(model.name)
    return model


def jacobian_method(model: Model) -> str:
    """How ``model``'s Jacobian is computed: ``"analytic"``, ``"complex-step"``,
    ``"central-difference"``, or ``"undecided"`` (automatic, not called yet)."""
    method = getattr(model.jac, "method", None)
    return "analytic" if method is None else str(method)


class _AutoJacobian:
    """Jacobian of ``func`` by complex step, falling back to central differences for good."""

    def __init__(self, func: UserFunc, n_params: int) -> None:
        self.func = func
        self.n_params = n_params
        self.method = "undecided"

    def __call__(self, x: Array, p: Array) -> Array:
        if self.method == "undecided":
            self.method = "complex-step" if self._complex_step_works(x, p) else "central-difference"
        if self.method == "complex-step":
            return self._complex_step(x, p)
        return self._central(x, p)

    def _complex_step(self, x: Array, p: Array) -> Array:
        cols = []
        for j in range(self.n_params):
            q = p.astype(complex)
            q[j] += 1j * _COMPLEX_STEP
            cols.append(np.imag(np.asarray(self.func(x, *q))) / _COMPLEX_STEP)
        return np.column_stack(np.broadcast_arrays(*cols, np.empty(np.shape(x)))[:-1])

    def _central(self, x: Array, p: Array) -> Array:
        cols = []
        for j in range(self.n_params):
            h = _CENTRAL_STEP * (abs(float(p[j])) or 1.0)
            up, down = p.astype(float), p.astype(float)
            up[j] += h
            down[j] -= h
            diff = np.asarray(self.func(x, *up), dtype=float) - np.asarray(
                self.func(x, *down), dtype=float
            )
            cols.append(diff / (up[j] - down[j]))
        return np.column_stack(np.broadcast_arrays(*cols, np.empty(np.shape(x)))[:-1])

    def _complex_step_works(self, x: Array, p: Array) -> bool:
        """True if ``func`` takes complex parameters and agrees with central differences."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with np.errstate(all="ignore"):
                    out = np.asarray(self.func(x, *p.astype(complex)))
                    if not np.iscomplexobj(out):
                        return False
                    cs = self._complex_step(x, p)
                    cd = self._central(x, p)
        except Exception:
            return False
        ok = np.isfinite(cd)
        if not np.all(np.isfinite(cs) | ~ok):
            return False
        # A function that silently drops imaginary parts (abs, maximum, casts) gives a wrong
        # derivative: it must agree with the finite difference, column by column, to well
        # within the latter's truncation error.
        scale = np.max(np.abs(np.where(ok, cd, 0.0)), axis=0) + 1e-300
        return bool(np.all(np.abs(np.where(ok, cs - cd, 0.0)) <= 1e-2 * scale))


def _param_names(func: UserFunc, given: tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if given is not None:
        names = tuple(given)
    else:
        params = list(inspect.signature(func).parameters.values())
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        if any(p.kind not in kinds for p in params):
            raise FitError(
                f"{getattr(func, '__name__', func)!r} must take plain positional arguments "
                "(x, then one per parameter); give param_names otherwise"
            )
        names = tuple(p.name for p in params[1:])
    if not names:
        raise FitError("a model needs at least one parameter after x")
    if len(set(names)) != len(names):
        raise FitError(f"parameter names repeat: {', '.join(names)}")
    return names


def model_from_function(
    func: UserFunc,
    *,
    name: str | None = None,
    param_names: tuple[str, ...] | list[str] | None = None,
    x_is_log10: bool = False,
    jac: UserFunc | None = None,
    guess: Callable[[Array, Array], Any] | None = None,
    title: str | None = None,
    register: bool = True,
) -> Model:
    """A :class:`Model` from ``func(x, a, b, ...)``; parameter names from its signature.

    ``jac(x, a, b, ...)`` gives the analytic Jacobian, shape ``(len(x), n_params)``; without it
    the Jacobian is automatic (complex step, else central differences). ``guess(x, y)`` returns
    starting values in parameter order. ``x_is_log10`` says that ``x`` is log10 of a
    concentration in mol/L. The model is registered under ``name`` (default: the function's
    name) unless ``register=False``.
    """
    names = _param_names(func, param_names)
    model_name = str(name or getattr(func, "__name__", None) or "user_model")
    k = len(names)

    def f(x: Array, p: Array) -> Array:
        return np.asarray(np.broadcast_to(func(x, *p), np.shape(x)), dtype=np.float64)

    jacobian: Callable[[Array, Array], Array]
    if jac is not None:
        user_jac = jac

        def jacobian(x: Array, p: Array) -> Array:
            out = np.asarray(user_jac(x, *p), dtype=np.float64)
            if out.shape != (len(x), k):
                raise FitError(
                    f"jac of model {model_name!r} returned shape {out.shape}, not {(len(x), k)}"
                )
            return out

    else:
        jacobian = _AutoJacobian(func, k)

    def start(x: Array, y: Array) -> Array:
        if guess is None:
            return np.full(k, np.nan)  # fit_curve then asks for ``start`` (FitError)
        return np.asarray(guess(x, y), dtype=np.float64).reshape(k)

    model = Model(
        name=model_name,
        title=title or f"User model {model_name}({', '.join(('x', *names))})",
        param_names=names,
        f=f,
        jac=jacobian,
        guess=start,
        x_is_log10=x_is_log10,
    )
    return register_user_model(model) if register else model
