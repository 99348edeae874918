"""Figures of a beta-arrestin plate: inhibition curves, the plate's agonist curve, heatmap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxcr4lab.web.figures import Figure
from cxcr4lab.web.plots._plate import inhibition_figures

if TYPE_CHECKING:
    from cxcr4lab.assays.arrestin import ArrestinResult

__all__ = ["figures"]


def figures(result: ArrestinResult) -> dict[str, Figure]:
    return inhibition_figures(result, "RLU")
