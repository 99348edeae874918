"""Figures of a competition binding plate: the curves with their fits and confidence bands, and
the raw counts per well."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxcr4lab.web.figures import Figure, Series, dose_response_figure, heatmap_figure
from cxcr4lab.web.plots._plate import label, points, signal_cells

if TYPE_CHECKING:
    from cxcr4lab.assays.binding import BindingResult

__all__ = ["figures"]


def figures(result: BindingResult) -> dict[str, Figure]:
    from cxcr4lab.report.sections.binding import potency_text

    series = []
    for c in result.curves:
        pts = [w for w in result.wells if w.compound == c.compound and w.role == "sample"]
        estimate, _ = potency_text(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c)
        used, masked = points(pts, "specific_pct")
        series.append(Series(c.compound, used, masked, c.fit, label(c.compound, "IC50", estimate)))
    curves = dose_response_figure(
        series,
        title="Competition binding",
        x_title="competitor concentration (M)",
        y_title="specific binding (% of total)",
        alpha=result.settings.alpha,
    )
    title = f"Plate {result.plate} [{result.block}]: raw signal"
    heat = heatmap_figure(
        signal_cells(result.wells), result.plate_wells, title=title, unit="counts"
    )
    return {"curves": curves, "heatmap": heat}
