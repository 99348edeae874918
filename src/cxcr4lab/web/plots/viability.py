"""Figures of an MTT viability plate: the curves, heatmap of OD."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxcr4lab.web.figures import Figure
from cxcr4lab.web.plots._plate import inhibition_figures

if TYPE_CHECKING:
    from cxcr4lab.assays.viability import ViabilityResult

__all__ = ["figures"]


def figures(result: ViabilityResult) -> dict[str, Figure]:
    return inhibition_figures(result, "OD")
