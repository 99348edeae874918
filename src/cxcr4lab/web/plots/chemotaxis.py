"""Figures of a chemotaxis plate: inhibition of CXCL12-induced migration, heatmap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxcr4lab.web.figures import Figure
from cxcr4lab.web.plots._plate import inhibition_figures

if TYPE_CHECKING:
    from cxcr4lab.assays.chemotaxis import ChemotaxisResult

__all__ = ["figures"]


def figures(result: ChemotaxisResult) -> dict[str, Figure]:
    return inhibition_figures(result, result.unit or "signal")
