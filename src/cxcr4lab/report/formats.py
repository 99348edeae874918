"""Results as text people should read (a view: domains return numbers, never format them).

Shared by the report sections, the terminal views (``commands/``) and the web figures.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxcr4lab.assays.inhibition import InhibitionCurve

__all__ = ["potency_display"]

_NM = 1e-9


def potency_display(
    value: float | None, lower: float | None, upper: float | None, curve: InhibitionCurve
) -> tuple[str, str]:
    """(estimate, CI) in nM as people should read them: bounds when the curve is incomplete."""

    def f(v: float | None) -> str:
        return "n/a" if v is None or not math.isfinite(v) else f"{v / _NM:.3g}"

    if "no_effect" in curve.flags:
        return "not determined (no effect)", "—"
    if value is None:
        return "n/a", "—"
    if "outside_range" in curve.flags:
        scale = value / curve.ic50_molar
        if curve.fit.params["log10_ic50"] > curve.fit.x_max:
            return f"> {f(curve.conc_max_molar * scale)}", "—"
        return f"< {f(curve.conc_min_molar * scale)}", "—"
    return f(value), f"{f(lower)} – {f(upper)}"
