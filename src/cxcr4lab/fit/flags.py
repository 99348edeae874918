"""Flags that tell users when not to trust a potency fit.

Each flag is a short stable code (stored, filtered on, shown as a badge) with a sentence for
people. The thresholds are the ones a careful reviewer of a Prism or drc fit would apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cxcr4lab.fit.result import FitResult

__all__ = ["FLAG_TEXT", "FitThresholds", "potency_flags"]

FLAG_TEXT: dict[str, str] = {
    "not_converged": "the fit did not converge",
    "ambiguous": "a parameter is not identifiable from these data (no standard error)",
    "outside_range": "the IC50 lies outside the tested concentration range",
    "ci_unbounded": "the 95% CI of the IC50 does not close on at least one side",
    "wide_ci": "the 95% CI of the IC50 spans more than a factor of 100",
    "no_effect": "the curve is not distinguishable from a horizontal line (F test)",
    "extreme_hill": "the Hill slope is extreme (|slope| > 5 or < 0.3)",
    "at_bound": "a parameter sits on a bound it was given; its SE and CI ignore the bound",
}


@dataclass(frozen=True)
class FitThresholds:
    """When a potency fit is flagged. ``no_effect_alpha``: F-test level against a flat line."""

    no_effect_alpha: float = 0.05
    max_ci_ratio: float = 100.0
    hill_range: tuple[float, float] = (0.3, 5.0)


def potency_flags(
    result: FitResult,
    *,
    no_effect_p: float | None,
    param: str = "log10_ic50",
    thresholds: FitThresholds = FitThresholds(),
) -> tuple[str, ...]:
    """Flag codes for a fit whose potency parameter ``param`` is a log10 concentration."""
    flags: list[str] = []
    if not result.converged:
        return ("not_converged",)
    free_se = [se for se, f in zip(result.stderr, result.free, strict=True) if f]
    if any(se is None or not math.isfinite(se) for se in free_se):
        flags.append("ambiguous")
    log_pot = result.params[param]
    if not result.x_min <= log_pot <= result.x_max:
        flags.append("outside_range")
    prof = result.profile(param)
    lo, hi = (prof.lower, prof.upper) if prof else result.conf_int()[param]
    if lo is None or hi is None:
        flags.append("ci_unbounded")
    elif hi - lo > math.log10(thresholds.max_ci_ratio):
        flags.append("wide_ci")
    if no_effect_p is not None and no_effect_p >= thresholds.no_effect_alpha:
        flags.append("no_effect")
    if "hill" in result.params:
        h = abs(result.params["hill"])
        if not thresholds.hill_range[0] <= h <= thresholds.hill_range[1]:
            flags.append("extreme_hill")
    return tuple(flags)
