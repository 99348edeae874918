"""Figures of an invasion experiment: % of vehicle invasion with the 4PL per compound, and the
invasion index (coated / uncoated) of every coated insert."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxcr4lab.web.figures import Figure, Series, dose_response_figure
from cxcr4lab.web.plots._plate import label, points

if TYPE_CHECKING:
    from cxcr4lab.assays.invasion import InvasionResult

__all__ = ["figures"]


def figures(result: InvasionResult) -> dict[str, Figure]:
    from cxcr4lab.report.formats import potency_display

    alpha = result.settings.transwell.plate.alpha
    wells = result.wells()
    pct, index = [], []
    for c in result.curves:
        estimate, _ = potency_display(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c)
        pts = [w for w in wells if w.role == "sample" and w.compound == c.compound]
        used, masked = points(pts, "response_pct")
        pct.append(Series(c.compound, used, masked, c.fit, label(c.compound, "IC50", estimate)))
        used, masked = points(pts, "signal")
        index.append(Series(c.compound, used, masked, None, c.compound))
    return {
        "curves": dose_response_figure(
            pct,
            title="Inhibition of invasion",
            x_title="antagonist concentration (M)",
            y_title="invasion (% of vehicle)",
            alpha=alpha,
        ),
        "index": dose_response_figure(
            index,
            title="Invasion index per coated insert (coated / mean uncoated)",
            x_title="antagonist concentration (M)",
            y_title="invasion index",
            alpha=alpha,
        ),
    }
