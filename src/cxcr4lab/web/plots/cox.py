"""Figure of a Cox regression: the forest plot of its terms' hazard ratios with their CIs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxcr4lab.web.figures import Figure
from cxcr4lab.web.plots._clinical import forest_figure

if TYPE_CHECKING:
    from cxcr4lab.clinical.cox import CoxResult

__all__ = ["figures"]


def figures(result: CoxResult) -> dict[str, Figure]:
    from cxcr4lab.clinical.survival import HazardRatio

    hrs = [
        HazardRatio(
            t.term, t.coef, t.se, t.hr, t.hr_lower, t.hr_upper, t.p, result.n, result.events
        )
        for t in result.terms
    ]
    sim = "SIMULATED: " if result.simulated else ""
    return {
        "forest": forest_figure(
            hrs,
            title=f"{sim}{result.source}: Cox hazard ratios (n = {result.n}, {result.events} "
            f"events, {result.model.ties.capitalize()} ties, concordance "
            f"{result.concordance:.3f})",
            level=result.model.conf_level,
        )
    }
