"""Curve models: parameter names, one vectorised function, its Jacobian, and starting values.

A model is data plus three functions, so adding one is cheap (see STYLE.md, lifelines/lmfit).
Logistic terms use scipy's ``expit`` so no x overflows. Concentration-response models take ``x = log10(concentration / (mol/L))``: fitting in log space
is what Prism and drc do for potency, and it makes logIC50 a well-scaled parameter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from cxcr4lab.core.errors import NotFoundError

__all__ = [
    "FOUR_PL",
    "HORIZONTAL",
    "MODELS",
    "ONE_SITE_COMPETITION",
    "Model",
    "data_model_name",
    "get_model",
    "register_model",
    "sigmoid_guess",
]

Array = NDArray[np.float64]

_LN10 = float(np.log(10.0))


@dataclass(frozen=True)
class Model:
    """A curve model ``y = f(x; p)``.

    ``f(x, p)`` and ``jac(x, p)`` take ``p`` as a 1-D array in ``param_names`` order; ``jac``
    returns shape ``(len(x), len(p))``. ``guess(x, y)`` returns starting values from data alone.
    ``x_is_log10`` says that ``x`` is log10 of a concentration in mol/L; ``zero_dose_ok`` that
    ``x = -inf`` (no drug) is a valid point on the model's plateau. ``flat_when`` names two
    parameters (e.g. bottom and top) that, set equal, make the curve a horizontal line whatever
    the other parameters are; profile-likelihood CIs use it to see at once that a side can
    never close (:func:`~cxcr4lab.fit.solve.profile_interval`). ``linear`` names parameters the
    model is linear in once the others are fixed (a sigmoid's bottom and top): a profile refit
    over only these is solved exactly by linear least squares.
    """

    name: str
    title: str
    param_names: tuple[str, ...]
    f: Callable[[Array, Array], Array]
    jac: Callable[[Array, Array], Array]
    guess: Callable[[Array, Array], Array]
    x_is_log10: bool = True
    zero_dose_ok: bool = False
    flat_when: tuple[str, str] | None = None
    linear: tuple[str, ...] = ()

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    def index(self, name: str) -> int:
        try:
            return self.param_names.index(name)
        except ValueError:
            raise NotFoundError(
                f"model {self.name!r} has no parameter {name!r}; it has {', '.join(self.param_names)}"
            ) from None


def sigmoid_guess(x: Array, y: Array) -> tuple[float, float, float]:
    """Bottom, top and log-midpoint from the data: plateaus at the ends, midpoint by crossing."""
    order = np.argsort(x)
    xs, ys = x[order], y[order]
    finite = np.isfinite(xs)
    k = max(1, len(xs) // 5)
    low_end, high_end = float(np.mean(ys[:k])), float(np.mean(ys[-k:]))
    top, bottom = max(low_end, high_end), min(low_end, high_end)
    if top == bottom:
        return bottom, top, float(np.median(xs[finite]))
    half = 0.5 * (top + bottom)
    # First x where the (running) response crosses half-way; falls back to the median x.
    xs, ys = xs[finite], ys[finite]
    crossed = np.nonzero(np.diff(np.sign(ys - half)) != 0)[0]
    if len(crossed):
        i = int(crossed[len(crossed) // 2])
        x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
        mid = float(x0 + (half - y0) * (x1 - x0) / (y1 - y0)) if y1 != y0 else float(x0)
    else:
        mid = float(np.median(xs))
    return bottom, top, mid


# --- one-site competition (Prism "One site - Fit logIC50"): Hill slope fixed at -1 ---------------


def _one_site_f(x: Array, p: Array) -> Array:
    bottom, top, log_ic50 = p
    return np.asarray(bottom + (top - bottom) * expit(-(x - log_ic50) * _LN10), dtype=np.float64)


def _one_site_jac(x: Array, p: Array) -> Array:
    bottom, top, log_ic50 = p
    s = expit(-(x - log_ic50) * _LN10)
    return np.column_stack([1.0 - s, s, (top - bottom) * _LN10 * s * (1.0 - s)])


def _one_site_guess(x: Array, y: Array) -> Array:
    bottom, top, mid = sigmoid_guess(x, y)
    return np.array([bottom, top, mid])


ONE_SITE_COMPETITION = Model(
    name="one_site_competition",
    title="One-site competition (Hill slope -1)",
    param_names=("bottom", "top", "log10_ic50"),
    f=_one_site_f,
    jac=_one_site_jac,
    guess=_one_site_guess,
    flat_when=("bottom", "top"),
    linear=("bottom", "top"),
)


# --- four-parameter logistic, variable slope (Prism "log(inhibitor) vs. response") ---------------


def _four_pl_f(x: Array, p: Array) -> Array:
    bottom, top, log_ic50, hill = p
    return np.asarray(
        bottom + (top - bottom) * expit(-(x - log_ic50) * hill * _LN10), dtype=np.float64
    )


def _four_pl_jac(x: Array, p: Array) -> Array:
    bottom, top, log_ic50, hill = p
    d = x - log_ic50
    s = expit(-d * hill * _LN10)
    g = (top - bottom) * _LN10 * s * (1.0 - s)  # -dy/d(exponent), bounded for any x
    # A zero concentration (x = -inf) sits on a plateau: no slope, no dependence on the Hill.
    g_d = np.where(np.isfinite(d), g * np.where(np.isfinite(d), d, 0.0), 0.0)
    return np.column_stack([1.0 - s, s, g * hill, -g_d])


def _four_pl_guess(x: Array, y: Array) -> Array:
    bottom, top, mid = sigmoid_guess(x, y)
    order = np.argsort(x)
    falling = y[order][0] >= y[order][-1]
    return np.array([bottom, top, mid, 1.0 if falling else -1.0])


FOUR_PL = Model(
    name="4pl",
    title="Four-parameter logistic (variable slope)",
    param_names=("bottom", "top", "log10_ic50", "hill"),
    f=_four_pl_f,
    jac=_four_pl_jac,
    guess=_four_pl_guess,
    zero_dose_ok=True,
    flat_when=("bottom", "top"),
    linear=("bottom", "top"),
)


# --- horizontal line: the "no effect" null model -----------------------------------------------


def _horizontal_f(x: Array, p: Array) -> Array:
    return np.full_like(x, p[0], dtype=float)


def _horizontal_jac(x: Array, p: Array) -> Array:
    return np.ones((len(x), 1))


def _horizontal_guess(x: Array, y: Array) -> Array:
    return np.array([float(np.mean(y))])


HORIZONTAL = Model(
    name="horizontal",
    title="Horizontal line (no effect)",
    param_names=("mean",),
    f=_horizontal_f,
    jac=_horizontal_jac,
    guess=_horizontal_guess,
    linear=("mean",),
)

MODELS: dict[str, Model] = {m.name: m for m in (ONE_SITE_COMPETITION, FOUR_PL, HORIZONTAL)}
"""Every model known by name; results find their model here (``FitResult.get_model``)."""


def data_model_name(prefix: str, key: object, *arrays: ArrayLike) -> str:
    """The name of a model made for one data set (a global or Schild fit closes over its data):
    ``prefix`` and a digest of ``key`` and the arrays, so the same data give the same name in
    every process and run, and different data never share one.

    >>> data_model_name("global:4pl", ("hill",), [1.0, 2.0]) == data_model_name(
    ...     "global:4pl", ("hill",), [1.0, 2.0])
    True
    """
    digest = hashlib.sha256(repr(key).encode())
    for a in arrays:
        digest.update(np.ascontiguousarray(np.asarray(a, dtype=float)).tobytes())
    return f"{prefix}:{digest.hexdigest()[:12]}"


def register_model(model: Model, *, replace: bool = False) -> Model:
    """Add ``model`` to :data:`MODELS` (refusing to shadow another model unless ``replace``)."""
    if model.name in MODELS and MODELS[model.name] is not model and not replace:
        raise ValueError(f"a model named {model.name!r} exists already")
    MODELS[model.name] = model
    return model


def get_model(name: str) -> Model:
    """A model by name, e.g. ``"4pl"``, ``"one_site_competition"``, ``"emax"``."""
    try:
        return MODELS[name]
    except KeyError:
        raise NotFoundError(f"no model {name!r}; models: {', '.join(sorted(MODELS))}") from None
