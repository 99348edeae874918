"""Gaddum/Schild analysis of a competitive antagonist: pA2 and the Schild slope.

Agonist curves measured at several antagonist concentrations [B] (mol/L, 0 for the control) are
fitted globally (Prism's "Gaddum/Schild EC50 shift"; Lew & Angus 1995, Trends Pharmacol Sci
16:328): one bottom, top, Hill slope and control logEC50 for all curves, and

    log10 EC50([B]) = log10 EC50 + log10(1 + ([B] / 10^-pA2) ^ s)

with ``s`` the Schild slope (1 for simple competition, when pA2 = pKB). The classic two-step
Schild regression (dose ratios from separate fits, then log(DR - 1) against log[B]) is returned
beside it for the familiar plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.fit.dose_response import log_logistic
from cxcr4lab.fit.models import MODELS, Model, data_model_name, register_model, sigmoid_guess
from cxcr4lab.fit.result import FitResult
from cxcr4lab.fit.solve import fit_curve

__all__ = ["SchildResult", "fit_schild"]

Array = NDArray[np.float64]
_LN10 = float(np.log(10.0))
_STIM = MODELS.get("4pl_stim") or log_logistic(4, "stimulation", "log")


@dataclass(frozen=True)
class SchildResult:
    """Global Gaddum/Schild fit and the classic Schild regression. Concentrations in mol/L."""

    fit: FitResult
    antagonist_molar: tuple[float, ...]
    log10_ec50_by_antagonist: tuple[float, ...]
    regression_slope: float | None
    regression_pa2: float | None

    @property
    def pa2(self) -> float:
        return self.fit.params["pA2"]

    @property
    def schild_slope(self) -> float:
        return self.fit.params["schild_slope"]

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        table = self.fit.summary(alpha)
        return table[table["parameter"].isin(["pA2", "schild_slope", "log10_ec50", "hill"])]


def _shift(b: Array, pa2: float, slope: float) -> tuple[Array, Array, Array]:
    """log10(1 + r), d/dpA2 and d/dslope, with r = ([B] 10^pA2)^slope; zero where [B] = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_term = np.log(b) + pa2 * _LN10  # ln([B] / 10^-pA2)
        ln_r = slope * ln_term
        log1p_r = np.logaddexp(0.0, ln_r) / _LN10
        q = 1.0 / (1.0 + np.exp(-ln_r))  # r / (1 + r)
        d_pa2 = q * slope
        d_slope = q * ln_term / _LN10
    has_b = b > 0
    return (
        np.where(has_b, log1p_r, 0.0),
        np.where(has_b, d_pa2, 0.0),
        np.where(has_b, d_slope, 0.0),
    )


def fit_schild(
    log_agonist: ArrayLike,
    antagonist_molar: ArrayLike,
    response: ArrayLike,
    *,
    fix_slope: float | None = None,
    alpha: float = 0.05,
    place: Place | None = None,
) -> SchildResult:
    """Fit agonist curves (x = log10 [A] in M) at antagonist concentrations ``antagonist_molar``.

    ``fix_slope=1.0`` constrains the Schild slope to unity (then pA2 is pKB).
    """
    where = place or Place(field="Schild analysis")
    x = np.asarray(log_agonist, dtype=float).ravel()
    b = np.asarray(antagonist_molar, dtype=float).ravel()
    y = np.asarray(response, dtype=float).ravel()
    if not (x.shape == b.shape == y.shape):
        raise InputError("agonist, antagonist and response columns differ in length", place=where)
    if np.any(~np.isfinite(b)) or np.any(b < 0):
        raise InputError("antagonist concentrations must be finite and >= 0", place=where)
    levels = np.unique(b)
    if len(levels) < 3 or levels[0] != 0:
        raise InputError(
            "a Schild analysis needs a control curve ([B] = 0) and at least two antagonist "
            f"concentrations; got {len(levels)} level(s)",
            place=where,
        )

    def f(point: Array, p: Array) -> Array:
        bottom, top, log_ec50, hill, pa2, slope = p
        i = point.astype(int)
        shift, _, _ = _shift(b[i], pa2, slope)
        return _STIM.f(x[i] - shift, np.array([bottom, top, log_ec50, hill]))

    def jac(point: Array, p: Array) -> Array:
        bottom, top, log_ec50, hill, pa2, slope = p
        i = point.astype(int)
        shift, d_pa2, d_slope = _shift(b[i], pa2, slope)
        j = _STIM.jac(x[i] - shift, np.array([bottom, top, log_ec50, hill]))
        d_x = -j[:, 2]  # dy/dx = -dy/dlog_ec50 for a curve in (x - log_ec50)
        return np.column_stack([j[:, 0], j[:, 1], j[:, 2], j[:, 3], -d_x * d_pa2, -d_x * d_slope])

    separate = []
    for level in levels:
        rows = b == level
        sep = fit_curve(_STIM, x[rows], y[rows], place=where)
        separate.append(sep.params["log10_ec50"])
    control = separate[0]

    def guess(point: Array, yy: Array) -> Array:
        bottom, top, _ = sigmoid_guess(x[b == 0], y[b == 0])
        dr = 10.0 ** (np.array(separate[1:]) - control)
        ok = dr > 1
        pa2 = float(np.median(np.log10(dr[ok] - 1) - np.log10(levels[1:][ok]))) if ok.any() else 8.0
        return np.array([bottom, top, control, 1.0, pa2, 1.0])

    model = register_model(
        Model(
            name=data_model_name("gaddum_schild", fix_slope, x, b, y),
            title="Gaddum/Schild global fit of agonist curves at several antagonist concentrations",
            param_names=("bottom", "top", "log10_ec50", "hill", "pA2", "schild_slope"),
            f=f,
            jac=jac,
            guess=guess,
            x_is_log10=False,
        ),
        replace=True,
    )
    fixed = {} if fix_slope is None else {"schild_slope": fix_slope}
    fit = fit_curve(
        model,
        np.arange(x.size, dtype=float),
        y,
        fixed=fixed,
        profile=["pA2"],
        alpha=alpha,
        place=where,
    )
    slope, pa2_reg = _schild_regression(levels, np.array(separate))
    return SchildResult(fit, tuple(map(float, levels)), tuple(map(float, separate)), slope, pa2_reg)


def _schild_regression(
    levels: Sequence[float] | Array, log_ec50: Array
) -> tuple[float | None, float | None]:
    """Classic Schild plot: log10(DR - 1) = slope log10[B] + slope pA2 (needs DR > 1)."""
    dr = 10.0 ** (log_ec50[1:] - log_ec50[0])
    conc = np.asarray(levels, dtype=float)[1:]
    ok = dr > 1
    if ok.sum() < 2:
        return None, None
    reg = stats.linregress(np.log10(conc[ok]), np.log10(dr[ok] - 1))
    return float(reg.slope), float(reg.intercept / reg.slope)
