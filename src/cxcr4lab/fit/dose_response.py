"""Concentration-response model families: log-logistic 3/4/5-PL, Emax/Hill, operational model.

The log-logistic family is generated from one formula (the asymmetric 5PL, Prism's form with the
IC50 as a parameter, so 50% of the span is reached at IC50 whatever the asymmetry ``s``)::

    y = bottom + (top - bottom) / (1 + (2^(1/s) - 1) * exp(±z))^s
    z = hill * ln(10) * (x - log10_ic50)        concentration on a log10 scale (x = log10 M)
    z = hill * (ln x - ln ic50)                 concentration on a linear scale (x in M)

``+`` for inhibition (falls with concentration when hill > 0), ``-`` for stimulation. 4PL is
``s = 1``; 3PL additionally has ``bottom = 0`` (drc's LL.3). All terms are evaluated in log space
(``logaddexp``, ``expit``) so no concentration overflows, and a zero concentration (``x = -inf``
on the log scale, ``x = 0`` on the linear scale) sits on the plateau.

Names: ``{3,4,5}pl`` (inhibition, log scale), suffix ``_stim`` for stimulation and ``_lin`` for a
linear concentration scale, e.g. ``4pl_stim_lin``. ``emax`` is the Hill/Emax model in its
pharmacometric form ``E0 + Emax C^h / (EC50^h + C^h)``; ``operational`` is Black & Leff (1983).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from cxcr4lab.fit.models import Model, register_model, sigmoid_guess

__all__ = ["EMAX", "OPERATIONAL", "log_asymmetry_term", "log_logistic"]

Array = NDArray[np.float64]
Direction = Literal["inhibition", "stimulation"]
Scale = Literal["log", "linear"]

_LN10 = float(np.log(10.0))
_LN2 = float(np.log(2.0))


def log_asymmetry_term(s: float) -> float:
    """``ln(2^(1/s) - 1)`` of the 5PL's asymmetry ``s``, without overflow for a tiny ``s``
    (``ln(e^t - 1) = t + ln(1 - e^-t)``, ``t = ln 2 / s``); NaN for ``s <= 0`` (no curve)."""
    if not s > 0:
        return math.nan
    with np.errstate(over="ignore", divide="ignore"):
        t = float(np.divide(_LN2, s))
    if math.isinf(t):
        return math.inf
    return t + math.log(-math.expm1(-t))


def _dlog_a_ds(s: float) -> float:
    """d ln(2^(1/s) - 1) / ds ``= -(t / s) / (1 - e^-t)``, ``t = ln 2 / s`` (NaN for s <= 0)."""
    if not s > 0:
        return math.nan
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        t = float(np.divide(_LN2, s))
        return float(np.divide(-np.divide(t, s), -math.expm1(-t) if t < math.inf else 1.0))


def _finite_or_zero(values: Array, mask: NDArray[np.bool_]) -> Array:
    return np.where(mask, values, 0.0)


def log_logistic(
    n: Literal[3, 4, 5], direction: Direction = "inhibition", scale: Scale = "log"
) -> Model:
    """The ``n``-parameter log-logistic model for ``direction`` on a ``scale`` concentration axis."""
    sign = 1.0 if direction == "inhibition" else -1.0
    pot = ("log10_" if scale == "log" else "") + ("ic50" if direction == "inhibition" else "ec50")
    names = (
        (("bottom",) if n >= 4 else ()) + ("top", pot, "hill") + (("asymmetry",) if n == 5 else ())
    )

    def unpack(p: Array) -> tuple[float, float, float, float, float]:
        if n == 3:
            top, loc, hill = p
            return 0.0, float(top), float(loc), float(hill), 1.0
        if n == 4:
            bottom, top, loc, hill = p
            return float(bottom), float(top), float(loc), float(hill), 1.0
        bottom, top, loc, hill, s = p
        return float(bottom), float(top), float(loc), float(hill), float(s)

    def parts(x: Array, p: Array) -> tuple[Array, Array, Array, Array, Array, float, float, float]:
        bottom, top, loc, hill, s = unpack(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            if scale == "log":
                d = x - loc
                z = hill * _LN10 * d
                dz_dloc = np.full_like(x, -hill * _LN10)
                dz_dhill = _LN10 * d
            else:
                d = np.log(x) - np.log(loc)
                z = hill * d
                dz_dloc = np.full_like(x, -hill / loc)
                dz_dhill = d
            v = log_asymmetry_term(s) + sign * z
        return v, z, dz_dloc, dz_dhill, d, bottom, top, s

    def f(x: Array, p: Array) -> Array:
        v, *_, bottom, top, s = parts(x, p)
        w = np.exp(-s * np.logaddexp(0.0, v))
        return np.asarray(bottom + (top - bottom) * w, dtype=np.float64)

    def jac(x: Array, p: Array) -> Array:
        v, z, dz_dloc, dz_dhill, _, bottom, top, s = parts(x, p)
        on_curve = np.isfinite(z)  # zero dose: on the plateau, no dependence on slope or potency
        with np.errstate(invalid="ignore", over="ignore"):
            ln1pu = np.logaddexp(0.0, v)
            w = np.exp(-s * ln1pu)
            q = expit(v)  # u / (1 + u)
            dy_dz = (top - bottom) * (-s * w * q) * sign
            cols = [1.0 - w] if n >= 4 else []
            cols += [
                w,
                _finite_or_zero(dy_dz * dz_dloc, on_curve),
                _finite_or_zero(dy_dz * dz_dhill, on_curve),
            ]
            if n == 5:
                dlna_ds = _dlog_a_ds(s)
                d_s = (top - bottom) * w * (-ln1pu - s * q * dlna_ds)
                cols.append(_finite_or_zero(d_s, np.isfinite(ln1pu)))  # w = 0 on that plateau
        return np.column_stack(cols)

    def guess(x: Array, y: Array) -> Array:
        with np.errstate(divide="ignore"):
            lx = x if scale == "log" else np.log10(x)
        bottom, top, mid = sigmoid_guess(lx, y)
        order = np.argsort(lx)
        falling = bool(y[order][0] >= y[order][-1])
        hill = 1.0 if falling == (direction == "inhibition") else -1.0
        loc = mid if scale == "log" else 10.0**mid
        values = ([bottom] if n >= 4 else []) + [top, loc, hill] + ([1.0] if n == 5 else [])
        return np.array(values, dtype=float)

    suffix = ("" if direction == "inhibition" else "_stim") + ("" if scale == "log" else "_lin")
    title = f"{n}-parameter log-logistic, {direction}, concentration on a {scale} scale"
    return Model(
        name=f"{n}pl{suffix}",
        title=title,
        param_names=names,
        f=f,
        jac=jac,
        guess=guess,
        x_is_log10=scale == "log",
        zero_dose_ok=True,
        flat_when=("bottom", "top") if n >= 4 else None,
    )


for _n in (3, 4, 5):
    for _direction in ("inhibition", "stimulation"):
        for _scale in ("log", "linear"):
            if (_n, _direction, _scale) != (4, "inhibition", "log"):  # "4pl" is FOUR_PL
                register_model(log_logistic(_n, _direction, _scale))


# --- Emax / Hill (pharmacometric parameterisation) -----------------------------------------------

_STIM_LIN = log_logistic(4, "stimulation", "linear")


def _emax_f(x: Array, p: Array) -> Array:
    e0, emax, ec50, hill = p
    return _STIM_LIN.f(x, np.array([e0, e0 + emax, ec50, hill]))


def _emax_jac(x: Array, p: Array) -> Array:
    e0, emax, ec50, hill = p
    j = _STIM_LIN.jac(x, np.array([e0, e0 + emax, ec50, hill]))
    return np.column_stack([j[:, 0] + j[:, 1], j[:, 1], j[:, 2], j[:, 3]])


def _emax_guess(x: Array, y: Array) -> Array:
    bottom, top, ec50, hill = _STIM_LIN.guess(x, y)
    return np.array([bottom, top - bottom, ec50, abs(hill)])


EMAX = register_model(
    Model(
        name="emax",
        title="Sigmoid Emax (Hill): E0 + Emax C^h / (EC50^h + C^h), C in mol/L",
        param_names=("e0", "emax", "ec50", "hill"),
        f=_emax_f,
        jac=_emax_jac,
        guess=_emax_guess,
        x_is_log10=False,
        zero_dose_ok=True,
    )
)


# --- operational model of agonism (Black & Leff 1983, Proc R Soc Lond B 220:141) ------------------


def _operational_parts(x: Array, p: Array) -> tuple[Array, Array, Array, Array, Array]:
    _, _, log_ka, log_tau, n = p
    a = 10.0**x
    ka = 10.0**log_ka
    with np.errstate(divide="ignore"):
        ln_p = n * (log_tau * _LN10 + x * _LN10)  # ln (tau [A])^n
        ln_q = n * np.log(a + ka)  # ln ([A] + KA)^n
    r = expit(ln_p - ln_q)  # (tau A)^n / ((A + KA)^n + (tau A)^n)
    return a, ka, ln_p, ln_q, r


def _operational_f(x: Array, p: Array) -> Array:
    basal, em = p[0], p[1]
    r = _operational_parts(x, p)[4]
    return np.asarray(basal + em * r, dtype=np.float64)


def _operational_jac(x: Array, p: Array) -> Array:
    _, em, _, log_tau, n = p
    a, ka, _, ln_q, r = _operational_parts(x, p)
    g = em * r * (1.0 - r)  # dE / d(ln P - ln Q)
    on_curve = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        d_n = g * _finite_or_zero((log_tau + x) * _LN10 - ln_q / n, on_curve)
    return np.column_stack(
        [
            np.ones_like(x),
            r,
            -g * n * _LN10 * ka / (a + ka),
            g * n * _LN10,
            _finite_or_zero(d_n, on_curve),
        ]
    )


def _operational_guess(x: Array, y: Array) -> Array:
    bottom, top, mid = sigmoid_guess(x, y)
    # Start with a modest receptor reserve: tau = 3, KA a decade right of the EC50.
    return np.array([bottom, (top - bottom) * 4.0 / 3.0, mid + 0.6, np.log10(3.0), 1.0])


OPERATIONAL = register_model(
    Model(
        name="operational",
        title="Operational model of agonism (Black-Leff), x = log10 [A] (M)",
        param_names=("basal", "em", "log10_ka", "log10_tau", "n"),
        f=_operational_f,
        jac=_operational_jac,
        guess=_operational_guess,
        zero_dose_ok=True,
    )
)
