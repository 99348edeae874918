"""Effective doses of fitted log-logistic curves, as R drc's ``ED``, for many curves at once.

``ED p`` is the concentration at which a curve reaches a response level:

* ``relative`` (drc's default ``type = "relative"``): ``p`` % of the effect between the
  plateaus (ED50 is the IC50/EC50 of a 3/4-parameter curve; for an inhibition curve ED10 is
  the concentration that takes away 10 % of the span from the top);
* ``absolute`` (drc's ``type = "absolute"``): the response equals ``p`` in the response's unit
  (e.g. 50 % of control on normalised data); outside the plateaus there is none (NaN).

The log-logistic family (3/4/5-parameter, inhibition or stimulation, and the one-site
competition model, a 4PL with slope 1) is ``y = bottom + span (1 + a 10^(sign h (x - c)))^-s``
with ``x``, ``c`` log10 concentrations, ``a = 2^(1/s) - 1`` and ``sign`` +1 for inhibition,
-1 for stimulation; a response fraction ``q = (y - bottom) / span`` is reached at
``x = c + sign log10((q^(-1/s) - 1) / a) / h``.

Standard errors come from the delta method with a central-difference gradient of that
expression over the fitted parameters (as drc's ``ED(..., interval = "delta")``, which takes
the analytic gradient), on the log10 scale; the CI is ``log10 ED +/- t SE`` back-transformed,
so it is asymmetric on the concentration scale (drc's delta interval is symmetric in dose).
Written here because no library computes EDs for a batch of fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.fit.models import Model

__all__ = ["EdKind", "EffectiveDoses", "effective_doses", "supports_ed"]

Array = NDArray[np.float64]
EdKind = Literal["relative", "absolute"]

_STEP = 1e-6


def _potency(model: Model) -> str | None:
    return next((p for p in ("log10_ic50", "log10_ec50") if p in model.param_names), None)


def supports_ed(model: Model) -> bool:
    """Whether ``model`` is a log-logistic curve on a log10 concentration axis."""
    return model.x_is_log10 and _potency(model) is not None and "top" in model.param_names


def _log_ed(model: Model, P: Array, level: float, kind: EdKind) -> Array:
    """log10 ED of each column of ``P`` ``(k, n)`` (NaN where the level is not reached)."""
    names = model.param_names
    pot = _potency(model)
    assert pot is not None
    n = P.shape[1]
    top = P[names.index("top")]
    bottom = P[names.index("bottom")] if "bottom" in names else np.zeros(n)
    hill = P[names.index("hill")] if "hill" in names else np.ones(n)
    s = P[names.index("asymmetry")] if "asymmetry" in names else np.ones(n)
    c = P[names.index(pot)]
    sign = 1.0 if pot == "log10_ic50" else -1.0
    with np.errstate(all="ignore"):
        if kind == "relative":
            # p % of the effect: from the top down (inhibition), from the bottom up (stimulation)
            q = np.full(n, 1.0 - level / 100.0 if sign > 0 else level / 100.0)
        else:
            q = (level - bottom) / (top - bottom)
        a = np.expm1(np.log(2.0) / s)
        u = (q ** (-1.0 / s) - 1.0) / a
        x = c + sign * np.log10(u) / hill
    ok = (q > 0) & (q < 1) & np.isfinite(x)
    return np.where(ok, x, np.nan)


@dataclass(frozen=True)
class EffectiveDoses:
    """``log10_ed``, its ``se`` and the ``lower``/``upper`` CI (log10 mol/L), ``(levels, n)``."""

    levels: tuple[float, ...]
    kind: EdKind
    log10_ed: Array
    se: Array
    lower: Array
    upper: Array


def effective_doses(
    model: Model,
    P: Array,
    covariance: Array,
    t: Array,
    levels: tuple[float, ...],
    kind: EdKind = "relative",
) -> EffectiveDoses:
    """The EDs at ``levels`` of each curve: ``P`` ``(k, n)`` fitted parameters, ``covariance``
    ``(n, k, k)`` (NaN where none), ``t`` the t quantile of each curve's CI."""
    if not supports_ed(model):
        raise InputError(
            f"effective doses need a log-logistic model on log10 concentrations; "
            f"{quote(model.name)} is not one",
            field="ed",
        )
    for level in levels:
        if kind == "relative" and not 0.0 < level < 100.0:
            raise InputError(f"a relative ED level is a % in (0, 100), got {level:g}", field="ed")
    k, n = P.shape
    shape = (len(levels), n)
    out = {name: np.full(shape, np.nan) for name in ("ed", "se", "lo", "hi")}
    for i, level in enumerate(levels):
        x = _log_ed(model, P, level, kind)
        grad = np.empty((n, k))
        for j in range(k):
            h = _STEP * np.maximum(1.0, np.abs(P[j]))
            up, down = P.copy(), P.copy()
            up[j] += h
            down[j] -= h
            grad[:, j] = (_log_ed(model, up, level, kind) - _log_ed(model, down, level, kind)) / (
                2.0 * h
            )
        with np.errstate(invalid="ignore"):
            var = np.einsum("ni,nij,nj->n", grad, covariance, grad)
            se = np.sqrt(np.where(var >= 0, var, np.nan))
        out["ed"][i] = x
        out["se"][i] = se
        out["lo"][i] = x - t * se
        out["hi"][i] = x + t * se
    return EffectiveDoses(levels, kind, out["ed"], out["se"], out["lo"], out["hi"])
