"""Other curve shapes: exponential growth and decay, linear and quadratic calibration lines.

``x`` is on a linear scale here (time in h, or concentration in the calibration's unit).
Calibration lines are usually fitted with weights ``1/x`` or ``1/x^2`` (ICH M10 practice): pass
them to ``fit_curve(..., weights=...)``; for models linear in their parameters the fit is the
weighted least-squares solution and the first LM step lands on it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.fit.models import Model, register_model

__all__ = ["EXP_DECAY", "EXP_GROWTH", "LINEAR", "QUADRATIC"]

Array = NDArray[np.float64]


def _decay_f(x: Array, p: Array) -> Array:
    y0, plateau, k = p
    return np.asarray(plateau + (y0 - plateau) * np.exp(-k * x), dtype=np.float64)


def _decay_jac(x: Array, p: Array) -> Array:
    y0, plateau, k = p
    e = np.exp(-k * x)
    return np.column_stack([e, 1.0 - e, -(y0 - plateau) * x * e])


def _decay_guess(x: Array, y: Array) -> Array:
    order = np.argsort(x)
    xs, ys = x[order], y[order]
    y0, plateau = float(ys[0]), float(ys[-1])
    span = xs[-1] - xs[0]
    # Half-way crossing time gives k = ln 2 / t_half.
    half = 0.5 * (y0 + plateau)
    crossed = np.nonzero(np.diff(np.sign(ys - half)) != 0)[0]
    t_half = float(xs[crossed[0]] - xs[0]) if len(crossed) and xs[crossed[0]] > xs[0] else span / 3
    return np.array([y0, plateau, np.log(2.0) / max(t_half, 1e-12)])


EXP_DECAY = register_model(
    Model(
        name="exp_decay",
        title="One-phase exponential decay: plateau + (y0 - plateau) exp(-k x)",
        param_names=("y0", "plateau", "k"),
        f=_decay_f,
        jac=_decay_jac,
        guess=_decay_guess,
        x_is_log10=False,
    )
)


def _growth_f(x: Array, p: Array) -> Array:
    y0, k = p
    return np.asarray(y0 * np.exp(k * x), dtype=np.float64)


def _growth_jac(x: Array, p: Array) -> Array:
    y0, k = p
    e = np.exp(k * x)
    return np.column_stack([e, y0 * x * e])


def _growth_guess(x: Array, y: Array) -> Array:
    positive = y > 0
    if positive.sum() >= 2:
        k, ln_y0 = np.polyfit(x[positive], np.log(y[positive]), 1)
        return np.array([np.exp(ln_y0), k])
    return np.array([float(np.mean(y)) or 1.0, 0.0])


EXP_GROWTH = register_model(
    Model(
        name="exp_growth",
        title="Exponential growth: y0 exp(k x)",
        param_names=("y0", "k"),
        f=_growth_f,
        jac=_growth_jac,
        guess=_growth_guess,
        x_is_log10=False,
    )
)


def _poly_model(degree: int, name: str, title: str) -> Model:
    names = ("intercept", "slope", "curvature")[: degree + 1]

    def f(x: Array, p: Array) -> Array:
        return np.asarray(sum(c * x**i for i, c in enumerate(p)), dtype=np.float64)

    def jac(x: Array, p: Array) -> Array:
        return np.column_stack([x**i for i in range(degree + 1)])

    def guess(x: Array, y: Array) -> Array:
        return np.asarray(np.polyfit(x, y, degree)[::-1], dtype=float)

    return Model(
        name=name, title=title, param_names=names, f=f, jac=jac, guess=guess, x_is_log10=False
    )


LINEAR = register_model(_poly_model(1, "linear", "Straight line: intercept + slope x"))
QUADRATIC = register_model(
    _poly_model(2, "quadratic", "Quadratic: intercept + slope x + curvature x^2")
)
