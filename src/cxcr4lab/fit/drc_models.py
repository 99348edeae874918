"""R drc's other common dose-response models: Weibull W1.4 and W2.4, LL2.4 and the
Brain-Cousens hormesis model BC.5, on the engine's log10 concentration axis.

drc writes them on the dose ``x`` with natural logs; here ``x`` is log10 of the concentration
(``-inf`` a zero dose, on the plateau), so ``b (ln x - ln e) = b ln10 (x - log10 e)`` and the
slope ``b`` (``hill``) keeps drc's value and sign:

* ``w1_4`` (drc ``W1.4``): ``bottom + (top - bottom) exp(-exp(b ln10 (x - log10_e)))``;
  falling for ``b > 0``, asymmetric, inflection at ``e``;
* ``w2_4`` (drc ``W2.4``): ``bottom + (top - bottom) (1 - exp(-exp(b ln10 (x - log10_e))))``;
  falling for ``b < 0``;
* ``ll2_4`` (drc ``LL2.4``): ``bottom + (top - bottom) / (1 + exp(b (ln10 x - ln_ed50)))``: the
  4PL with the potency as the natural log of the ED50 (drc's ``e``), whose Wald CI is the one
  drc users quote;
* ``bc_5`` (drc ``BC.5``, Brain & Cousens 1989): ``bottom + (top - bottom + f 10^x) /
  (1 + exp(b ln10 (x - log10_e)))``: a hormetic rise at low doses (``f > 0``) before the fall;
  ``f`` is per unit of concentration (per mol/L in ``cxcr4lab fit``).

The parameters are named as the engine's (``hill`` for drc's ``b``, ``bottom`` for ``c``,
``top`` for ``d``, ``log10_e`` for log10 of ``e``) and listed in drc's order. Checked against R's
``nls`` with drc's formulas on drc's ryegrass data (``tests/fit/test_drc_models.py``); drc
itself, which minimises the same sum of squares, gives the same estimates. Written by hand
because no Python library ships these models.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from cxcr4lab.fit.models import Model, register_model, sigmoid_guess

__all__ = ["BC_5", "LL2_4", "W1_4", "W2_4"]

Array = NDArray[np.float64]
_LN10 = float(np.log(10.0))


def _finite(values: Array) -> Array:
    """0 where a zero dose makes a derivative undefined (the curve is on its plateau there)."""
    return np.where(np.isfinite(values), values, 0.0)


def _falling(x: Array, y: Array) -> bool:
    order = np.argsort(x)
    return bool(y[order][0] >= y[order][-1])


def _exp_terms(x: Array, b: float, g: float) -> tuple[Array, Array]:
    """``u = exp(b ln10 (x - g))`` and ``exp(-u)`` (0 and 1 at a zero dose for ``b > 0``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        u = np.exp(b * _LN10 * (x - g))
        return u, np.exp(-u)


def _weibull(kind: int) -> Model:
    """W1.4 (``kind`` 1: falling tail ``exp(-u)``) or W2.4 (``kind`` 2: ``1 - exp(-u)``)."""
    sign = 1.0 if kind == 1 else -1.0

    def f(x: Array, p: Array) -> Array:
        b, c, d, g = p
        _, e = _exp_terms(x, b, g)
        return np.asarray(c + (d - c) * (e if kind == 1 else 1.0 - e), dtype=np.float64)

    def jac(x: Array, p: Array) -> Array:
        b, c, d, g = p
        u, e = _exp_terms(x, b, g)
        with np.errstate(over="ignore", invalid="ignore"):
            eu = np.where(u == 0, 0.0, e * u)  # u exp(-u): 0 at a zero dose
            d_b = _finite(-sign * (d - c) * eu * _LN10 * (x - g))
            d_g = _finite(sign * (d - c) * eu * b * _LN10)
        d_c = 1.0 - e if kind == 1 else e
        d_d = e if kind == 1 else 1.0 - e
        return np.column_stack([d_b, d_c, d_d, d_g])

    def guess(x: Array, y: Array) -> Array:
        with np.errstate(invalid="ignore"):
            bottom, top, mid = sigmoid_guess(x, y)
        b = (1.0 if _falling(x, y) else -1.0) * sign
        return np.array([b, bottom, top, mid])

    side = "upper" if kind == 1 else "lower"
    return Model(
        name=f"w{kind}_4",
        title=f"Weibull type {kind}, 4 parameters (drc W{kind}.4; asymmetric, {side} tail longer)",
        param_names=("hill", "bottom", "top", "log10_e"),
        f=f,
        jac=jac,
        guess=guess,
        zero_dose_ok=True,
        flat_when=("bottom", "top"),
    )


def _ll2_f(x: Array, p: Array) -> Array:
    b, c, d, e = p
    with np.errstate(over="ignore", invalid="ignore"):
        s = expit(-(b * (_LN10 * x - e)))
    return np.asarray(c + (d - c) * s, dtype=np.float64)


def _ll2_jac(x: Array, p: Array) -> Array:
    b, c, d, e = p
    with np.errstate(over="ignore", invalid="ignore"):
        s = expit(-(b * (_LN10 * x - e)))
        slope = s * (1.0 - s)
        d_b = _finite(-(d - c) * slope * (_LN10 * x - e))
    return np.column_stack([d_b, 1.0 - s, s, (d - c) * slope * b])


def _ll2_guess(x: Array, y: Array) -> Array:
    with np.errstate(invalid="ignore"):
        bottom, top, mid = sigmoid_guess(x, y)
    return np.array([1.0 if _falling(x, y) else -1.0, bottom, top, mid * _LN10])


def _bc_f(x: Array, p: Array) -> Array:
    b, c, d, g, h = p
    with np.errstate(over="ignore", invalid="ignore"):
        q = expit(-(b * _LN10 * (x - g)))
        dose = np.power(10.0, x)
    return np.asarray(c + (d - c + h * dose) * q, dtype=np.float64)


def _bc_jac(x: Array, p: Array) -> Array:
    b, c, d, g, h = p
    with np.errstate(over="ignore", invalid="ignore"):
        q = expit(-(b * _LN10 * (x - g)))
        dose = np.power(10.0, x)
        top = d - c + h * dose
        slope = q * (1.0 - q)
        d_b = _finite(-top * slope * _LN10 * (x - g))
        d_g = _finite(top * slope * b * _LN10)
    return np.column_stack([d_b, 1.0 - q, q, d_g, dose * q])


def _bc_guess(x: Array, y: Array) -> Array:
    with np.errstate(invalid="ignore"):
        bottom, top, mid = sigmoid_guess(x, y)
    return np.array([1.0 if _falling(x, y) else -1.0, bottom, top, mid, 0.0])


W1_4 = register_model(_weibull(1))
W2_4 = register_model(_weibull(2))
LL2_4 = register_model(
    Model(
        name="ll2_4",
        title="Log-logistic, 4 parameters, potency as ln ED50 (drc LL2.4)",
        param_names=("hill", "bottom", "top", "ln_ed50"),
        f=_ll2_f,
        jac=_ll2_jac,
        guess=_ll2_guess,
        zero_dose_ok=True,
        flat_when=("bottom", "top"),
    )
)
BC_5 = register_model(
    Model(
        name="bc_5",
        title="Brain-Cousens hormesis, 5 parameters (drc BC.5)",
        param_names=("hill", "bottom", "top", "log10_e", "f"),
        f=_bc_f,
        jac=_bc_jac,
        guess=_bc_guess,
        zero_dose_ok=True,
    )
)
