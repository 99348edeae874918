"""Single-drug and combination sensitivity of a block (IC50, RI, CSS) as SynergyFinder 3 computes
them (``CalculateSensitivity``, ``CalculateRI``, ``CalculateCSS``, ``CalculateIC50`` in
``calculate_sensitivity_score.R``).

Written by hand for the same reason as :mod:`.reference`: the numbers are SynergyFinder's, with
drc's fits (:mod:`.drc`), and no Python library computes them.

* **IC50** (relative): ``e`` of the drug's free LL.4 fit (``exp(e)`` for the L.4 fallback),
  capped at the highest concentration tested, in the unit as given and in mol/L.
* **RI** (relative inhibition, Malyutina et al. 2019): the area under the fitted LL.4 curve of the
  non-zero doses, over log10 dose from the lowest to the highest dose, divided by that range:
  the mean % inhibition across the tested log-dose range, rounded to 3 decimals. A curve that
  cannot be fitted as LL.4 is fitted as L.4 on log10 dose.
* **CSS** of drug A (combination sensitivity score): for each concentration of A, the response
  at B's IC50 is predicted from the fit along B (the observed value when B has a single
  non-zero concentration; predictions above 100 are capped at 100 where SynergyFinder draws a
  value in [99.99, 100]); the RI of that curve over A's doses is CSS_A. The block's CSS is the
  mean of CSS_A and CSS_B.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.combination.blocks import Block
from cxcr4lab.combination.drc import (
    DEFAULT_CONTROL,
    DrcControl,
    DrcFailure,
    DrcFit,
    drm,
    fit_dose_response,
)
from cxcr4lab.combination.reference import BaselineCorrection, correct_baseline
from cxcr4lab.core.serial import Serial

__all__ = [
    "BlockSensitivity",
    "DrugSensitivity",
    "block_sensitivity",
    "relative_inhibition",
    "sensitivity_matrix",
]

Array = NDArray[np.float64]

RESPONSE_CAP = 100.0
"""Predictions above this are capped (SynergyFinder: a random value in [99.99, 100])."""


@dataclass(frozen=True)
class DrugSensitivity(Serial):
    """One drug of a block: relative IC50 (unit as given, and mol/L), RI, and CSS with the other
    drug at its IC50."""

    drug: str
    unit: str
    ic50: float
    ic50_molar: float
    ic50_capped: bool
    ri: float
    css: float
    fit: DrcFit | None


@dataclass(frozen=True)
class BlockSensitivity(Serial):
    """Both drugs' sensitivity and the block's CSS (mean of the two)."""

    block_id: str
    row: DrugSensitivity
    col: DrugSensitivity
    css: float
    correct_baseline: BaselineCorrection = "non"


def _own_log(b: float, c: float, x: float) -> float:
    """SynergyFinder's ``.Own_log``: ``ln(1 + 10^(b (c - x)))``, linear where it overflows."""
    try:
        arg = 1 + 10 ** (b * (c - x))
    except OverflowError:
        arg = math.inf
    if math.isinf(arg):
        return b * (c - x) * math.log(10)
    return math.log(arg)


def _own_log2(x: float) -> float:
    """SynergyFinder's ``.Own_log2``: ``ln(1 + e^x)``, ``x`` where it overflows."""
    try:
        return math.log(1 + math.exp(x))
    except OverflowError:
        return x


def _score_curve_ll4(b: float, c: float, d: float, m: float, c1: float, c2: float) -> float:
    """``.ScoreCurve`` (t = 0): 100 x the mean of the LL.4 curve over log10 dose [c1, c2]."""
    ln10 = math.log(10)
    int_y = (((d - c) * _own_log(-b, c2, m)) / ((-b) * ln10) + c * c2) - (
        ((d - c) * _own_log(-b, c1, m)) / ((-b) * ln10) + c * c1
    )
    return int_y / (c2 - c1) * 100


def _score_curve_l4(b: float, c: float, d: float, e: float, c1: float, c2: float) -> float:
    """``.ScoreCurve_L4`` (t = 0), for a curve fitted on log10 dose."""
    int_y = d * (c2 - c1) + ((c - d) / b) * (_own_log2(b * (c2 - e)) - _own_log2(b * (c1 - e)))
    return int_y / (c2 - c1) * 100


def relative_inhibition(
    dose: Array | list[float],
    response: Array | list[float],
    *,
    control: DrcControl = DEFAULT_CONTROL,
) -> float:
    """SynergyFinder's ``CalculateRI``: RI of a dose-response curve (zero doses are dropped;
    a single dose gives its response).

    >>> x = [0, 0.1954, 0.7812, 3.125, 12.5, 50]
    >>> y = [2.95, 3.76, 18.13, 28.69, 46.66, 58.82]
    >>> relative_inhibition(x, y)  # the data of SynergyFinder's CalculateRI example
    31.049
    """
    x = np.asarray(dose, dtype=float)
    y = np.asarray(response, dtype=float)
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    keep = x != 0
    x, y = x[keep], y[keep].copy()
    if x.size == 0:
        return math.nan
    if x.size == 1:
        return float(y[0])
    if float(np.ptp(y)) == 0:
        y[-1] = y[-1] + 1e-10
    c1, c2 = math.log10(float(np.min(x))), math.log10(float(np.max(x)))
    if c1 == c2:
        return float(np.mean(y))
    try:
        f = drm(x, y, model="LL.4", control=control)
        score = _score_curve_ll4(f.b, f.c / 100, f.d / 100, math.log10(f.e), c1, c2)
    except (DrcFailure, ValueError, ZeroDivisionError):
        try:
            f = drm(np.log10(x), y, model="L.4", control=control)
            score = _score_curve_l4(f.b, f.c / 100, f.d / 100, f.e, c1, c2)
        except (DrcFailure, ZeroDivisionError):
            return math.nan
    return round(score, 3) if math.isfinite(score) else math.nan


def _predict_response(dose: Array, response: Array, at: float, control: DrcControl) -> float:
    """SynergyFinder's ``PredictResponse``: the fitted response at dose ``at``."""
    if float(np.ptp(response)) == 0:
        return float(response[0])
    fit = fit_dose_response(dose, response, control=control)
    if fit is None:
        return math.nan
    pred = float(fit.predict([at])[0])
    return min(pred, RESPONSE_CAP) if not math.isnan(pred) else pred


def _css(y: Array, dose_a: Array, dose_b: Array, ic50_b: float, control: DrcControl) -> float:
    """CSS of drug A (rows of ``y``) with drug B (columns) fixed at its IC50."""
    at_ic50 = np.empty(dose_a.size)
    for i in range(dose_a.size):
        if dose_b.size == 2:
            at_ic50[i] = y[i, 1]
        else:
            at_ic50[i] = _predict_response(dose_b, y[i, :], ic50_b, control)
    return relative_inhibition(dose_a, at_ic50, control=control)


def sensitivity_matrix(
    y: Array,
    dose_r: Array,
    dose_c: Array,
    *,
    control: DrcControl = DEFAULT_CONTROL,
) -> tuple[
    tuple[float, float],
    tuple[float, float],
    tuple[float, float],
    tuple[DrcFit | None, DrcFit | None],
]:
    """``((ic50_r, ic50_c), (ri_r, ri_c), (css_r, css_c), fits)`` of one response matrix
    (doses in the unit the IC50s are wanted in)."""
    fits = (
        fit_dose_response(dose_r, y[:, 0], control=control),
        fit_dose_response(dose_c, y[0, :], control=control),
    )
    ic50 = []
    for fit, dose in zip(fits, (dose_r, dose_c), strict=True):
        value = fit.ec50 if fit is not None else math.nan
        ic50.append(min(value, float(np.max(dose))) if not math.isnan(value) else value)
    ri = (
        relative_inhibition(dose_r, y[:, 0], control=control),
        relative_inhibition(dose_c, y[0, :], control=control),
    )
    css = (
        _css(y, dose_r, dose_c, ic50[1], control),
        _css(y.T, dose_c, dose_r, ic50[0], control),
    )
    return (ic50[0], ic50[1]), ri, css, fits


def block_sensitivity(
    block: Block,
    *,
    correct_baseline: BaselineCorrection = "non",
    control: DrcControl = DEFAULT_CONTROL,
) -> BlockSensitivity:
    """IC50, RI and CSS of both drugs of ``block`` (mean responses), after SynergyFinder's
    baseline correction if asked."""
    dr = np.asarray(block.conc_r_shown, dtype=float)
    dc = np.asarray(block.conc_c_shown, dtype=float)
    y, _ = _correct(block.matrix, dr, dc, correct_baseline, control=control)
    ic50, ri, css, fits = sensitivity_matrix(y, dr, dc, control=control)
    drugs = []
    for k, (drug, unit, shown, molar) in enumerate(
        (
            (block.drug_row, block.unit_r, block.conc_r_shown, block.conc_r),
            (block.drug_col, block.unit_c, block.conc_c_shown, block.conc_c),
        )
    ):
        factor = molar[-1] / shown[-1]
        raw = fits[k].ec50 if fits[k] is not None else math.nan  # type: ignore[union-attr]
        drugs.append(
            DrugSensitivity(
                drug=drug,
                unit=unit,
                ic50=ic50[k],
                ic50_molar=ic50[k] * factor,
                ic50_capped=bool(raw > shown[-1]),
                ri=ri[k],
                css=css[k],
                fit=fits[k],
            )
        )
    with np.errstate(all="ignore"):
        mean_css = float(np.mean(css))
    return BlockSensitivity(block.block_id, drugs[0], drugs[1], mean_css, correct_baseline)


_correct = correct_baseline
