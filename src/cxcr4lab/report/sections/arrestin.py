"""Report section of a beta-arrestin plate: IC50/Kb table, agonist curve, QC, curves, edge map."""

from __future__ import annotations

from cxcr4lab.assays.arrestin import ArrestinResult
from cxcr4lab.report.html import environment
from cxcr4lab.report.plate_figures import edge_heatmap_svg, inhibition_curves_svg
from cxcr4lab.report.sections._plate import plate_context

__all__ = ["render"]


def render(analysis_id: int, title: str, result: ArrestinResult) -> str:
    section = {
        "id": analysis_id,
        "title": title,
        "plate": result.plate,
        "block": result.block,
        "plate_wells": result.plate_wells,
        "ic50_name": "IC50",
        "curves_svg": inhibition_curves_svg(
            result.analysis, title="Beta-arrestin inhibition", alpha=result.settings.alpha
        ),
        "heatmap_svg": edge_heatmap_svg(
            result.analysis, title=result.plate, signal_label="luminescence (RLU)"
        ),
    }
    return (
        environment()
        .get_template("arrestin.html.j2")
        .render(s=section, p=plate_context(result.analysis, result.settings))
    )
