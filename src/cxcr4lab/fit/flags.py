"""Flags that tell users when not to trust a potency fit.

Each flag is a short stable code (stored, filtered on, shown as a badge) with a sentence for
people. The thresholds are the ones a careful reviewer of a Prism or drc fit would apply; each
rule is stated in :data:`FLAG_RULES` (and in docs/fitting.md) so a screener can sort on it:

==============  =================================================================================
code            rule (defaults of :class:`FitThresholds`)
==============  =================================================================================
not_converged   the solver did not converge; estimates left empty
no_effect       the extra-sum-of-squares F test against a horizontal line has p >= 0.05 (the
                best fit found, converged or not); estimates left empty
outside_range   the IC50 (EC50) lies outside the tested concentrations, or the curve is
                incomplete: fewer than two tested concentrations beyond the IC50 on one side
                (batch fits), or on normalised data a fitted span below 60 % points (the other
                plateau may lie beyond the tested range); also beside ``not_converged`` when
                the potency ran off beyond the data
inverted        the curve runs against the model's direction: (top - bottom) x Hill < 0 (an
                inhibition curve that rises, a stimulation curve that falls)
shallow         |Hill| < 0.5
steep           |Hill| > 5; a slope that ran off (a step between two concentrations) is held
                at 30 and the other parameters fitted again
overshoot       on normalised data (% of control): bottom < -10 % or top > 110 %, with the
                plateau's 95 % CI beyond 0 % (100 %) too
wide_ci         the 95 % CI of the IC50 spans more than 2 decades (a factor of 100)
ci_unbounded    the 95 % CI of the IC50 does not close on at least one side
ambiguous       a free parameter has no standard error (not identifiable from these data)
at_bound        a parameter sits on a bound the user gave; its SE and CI ignore the bound
==============  =================================================================================

``extreme_hill`` (|Hill| > 5 or < 0.3) is the code analyses stored before ``shallow`` and
``steep`` carry; it is still explained, never made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from cxcr4lab.core.serial import stored
from cxcr4lab.fit.result import FitResult

__all__ = [
    "FLAG_RULES",
    "FLAG_TEXT",
    "MIN_BEYOND",
    "FitThresholds",
    "hill_flags",
    "potency_flags",
    "shape_flags",
]

MIN_BEYOND = 2
"""Distinct tested concentrations a curve needs on each side of its IC50 not to be incomplete."""

FLAG_TEXT: dict[str, str] = {
    "not_converged": "the fit did not converge",
    "no_effect": "the curve is not distinguishable from a horizontal line (F test)",
    "outside_range": "the IC50 lies outside the tested concentration range",
    "inverted": "the curve runs against the model's direction (bottom above top)",
    "shallow": "the Hill slope is shallow (|slope| < 0.5)",
    "steep": "the Hill slope is steep (|slope| > 5)",
    "overshoot": "a plateau lies beyond 0-100 % of control by more than 10 points",
    "wide_ci": "the 95% CI of the IC50 spans more than a factor of 100",
    "ci_unbounded": "the 95% CI of the IC50 does not close on at least one side",
    "ambiguous": "a parameter is not identifiable from these data (no standard error)",
    "at_bound": "a parameter sits on a bound it was given; its SE and CI ignore the bound",
    "extreme_hill": "the Hill slope is extreme (|slope| > 5 or < 0.3)",
}

FLAG_RULES: dict[str, str] = {
    "not_converged": "the solver did not converge; estimates empty",
    "no_effect": "F test against a horizontal line: p >= no_effect_alpha (0.05); estimates empty",
    "outside_range": "IC50 outside the tested concentrations, fewer than two of them beyond it "
    "on one side, or (normalised data) a span below min_span (60 % points)",
    "inverted": "(top - bottom) x Hill < 0: the curve runs against the model's direction",
    "shallow": "|Hill| < hill_range[0] (0.5)",
    "steep": "|Hill| > hill_range[1] (5); a slope that ran off is held at 30 and refitted",
    "overshoot": "normalised data only: a plateau below -margin or above 100 + margin (margin "
    "10) with its 95% CI beyond 0 or 100",
    "wide_ci": "upper / lower 95% CI of the IC50 > max_ci_ratio (100, two decades)",
    "ci_unbounded": "a side of the IC50's 95% CI does not close",
    "ambiguous": "a free parameter has no standard error",
    "at_bound": "a parameter on a bound given by the user",
}


@stored(omit_default=("normalised", "overshoot_margin", "min_span"))
@dataclass(frozen=True)
class FitThresholds:
    """When a potency fit is flagged (see the module docstring). ``no_effect_alpha``: F-test
    level against a flat line; ``hill_range``: |Hill| limits; ``normalised``:
    the responses are % of control (0 and 100 the assay window), which turns on ``overshoot``
    beyond ``overshoot_margin`` percentage points."""

    no_effect_alpha: float = 0.05
    max_ci_ratio: float = 100.0
    hill_range: tuple[float, float] = (0.5, 5.0)
    """|Hill| below the first is ``shallow``, above the second ``steep``."""
    normalised: bool = False
    overshoot_margin: float = 10.0
    min_span: float = 60.0
    """On normalised data, a fitted span (|top - bottom|, % points) below this is incomplete."""


def hill_flags(hill: float, thresholds: FitThresholds) -> tuple[str, ...]:
    """``shallow`` or ``steep`` for a Hill slope (either sign), else nothing."""
    h = abs(hill)
    if h < thresholds.hill_range[0]:
        return ("shallow",)
    if h > thresholds.hill_range[1]:
        return ("steep",)
    return ()


def shape_flags(
    params: dict[str, float],
    thresholds: FitThresholds,
    ci: dict[str, tuple[float | None, float | None]] | None = None,
) -> tuple[str, ...]:
    """``inverted`` and ``overshoot`` from the plateaus of a sigmoid (other models: none);
    ``overshoot`` asks the plateau's CI (``ci``, by parameter) to lie beyond the edge too."""
    flags: list[str] = []
    if "top" not in params:
        return ()
    top, bottom = params["top"], params.get("bottom", 0.0)
    # the model's direction has top above bottom for a positive Hill slope; (bottom, top, hill)
    # and (top, bottom, -hill) are the same curve
    if (top - bottom) * params.get("hill", 1.0) < 0:
        flags.append("inverted")
    if thresholds.normalised:
        m = thresholds.overshoot_margin
        for name in ("top", "bottom"):
            v = params.get(name)
            lo, hi = (ci or {}).get(name, (v, v))
            if v is None:
                continue
            below = v < -m and (hi is None or hi < 0.0)
            above = v > 100.0 + m and (lo is None or lo > 100.0)
            if below or above:
                flags.append("overshoot")
                break
    return tuple(flags)


def potency_flags(
    result: FitResult,
    *,
    no_effect_p: float | None,
    param: str = "log10_ic50",
    thresholds: FitThresholds = FitThresholds(),
    x: ArrayLike | None = None,
) -> tuple[str, ...]:
    """Flag codes for a fit whose potency parameter ``param`` is a log10 concentration; with
    the curve's ``x`` (log10 concentrations) an incomplete curve (fewer than two distinct
    concentrations beyond the IC50 on one side) is ``outside_range`` too."""
    flags: list[str] = []
    if no_effect_p is not None and no_effect_p >= thresholds.no_effect_alpha:
        return ("no_effect",)  # no effect: the other flags say nothing
    if not result.converged:
        return ("not_converged",)
    free_se = [se for se, f in zip(result.stderr, result.free, strict=True) if f]
    if any(se is None or not math.isfinite(se) for se in free_se):
        flags.append("ambiguous")
    log_pot = result.params[param]
    incomplete = (
        thresholds.normalised
        and "top" in result.params
        and abs(result.params["top"] - result.params.get("bottom", 0.0)) < thresholds.min_span
    )
    if x is not None:
        levels = np.unique(np.asarray(x, dtype=float))
        levels = levels[~np.isnan(levels)]  # a zero dose (-inf) measures the top plateau
        beyond = min(int((levels > log_pot).sum()), int((levels < log_pot).sum()))
        incomplete = incomplete or beyond < MIN_BEYOND
    if not result.x_min <= log_pot <= result.x_max or incomplete:
        flags.append("outside_range")
    prof = result.profile(param)
    lo, hi = (prof.lower, prof.upper) if prof else result.conf_int()[param]
    if lo is None or hi is None:
        flags.append("ci_unbounded")
    elif hi - lo > math.log10(thresholds.max_ci_ratio):
        flags.append("wide_ci")
    if "hill" in result.params:
        flags.extend(hill_flags(result.params["hill"], thresholds))
    flags.extend(shape_flags(result.params, thresholds, result.conf_int()))
    return tuple(flags)
