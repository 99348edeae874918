"""Parts shared by the receptor-model report sections (calibration, Schild, virtual plates):
table cells as template data and the one template ``receptor.html.j2``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cxcr4lab.report.html import environment, fmt

__all__ = ["Cell", "TableData", "fixed", "nm", "render_receptor", "verdict"]


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and CSS class (``l`` left-aligned, ``pass``/``fail`` verdicts)."""

    text: str
    cls: str = ""


@dataclass(frozen=True)
class TableData:
    """A table for ``receptor.html.j2``: the first ``left`` columns are text (left-aligned)."""

    heading: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell | str]]
    notes: Sequence[str] = field(default=())
    left: int = 1
    collapsed: bool = False

    def context(self) -> dict[str, Any]:
        def cell(v: Cell | str, i: int) -> Cell:
            if isinstance(v, Cell):
                return v if v.cls or i >= self.left else Cell(v.text, "l")
            return Cell(v, "l" if i < self.left else "")

        return {
            "heading": self.heading,
            "collapsed": self.collapsed,
            "columns": [Cell(c, "l" if i < self.left else "") for i, c in enumerate(self.columns)],
            "rows": [[cell(v, i) for i, v in enumerate(r)] for r in self.rows],
            "notes": list(self.notes),
        }


def fixed(v: float | None, decimals: int = 3) -> str:
    """A number with fixed decimals (pA2, slopes), ``n/a`` when missing or not finite."""
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{decimals}f}"


def nm(molar: float | None, digits: int = 3) -> str:
    """mol/L shown in nM."""
    return "n/a" if molar is None else fmt(molar / 1e-9, digits)


def verdict(ok: bool, yes: str = "ok", no: str = "miss") -> Cell:
    return Cell(yes, "pass") if ok else Cell(no, "fail")


def render_receptor(
    analysis_id: int,
    title: str,
    *,
    meta: str,
    lead: Sequence[str],
    tables: Sequence[TableData],
    figures: Sequence[str],
) -> str:
    return (
        environment()
        .get_template("receptor.html.j2")
        .render(
            id=analysis_id,
            title=title,
            meta=meta,
            lead=list(lead),
            tables=[t.context() for t in tables],
            figures=list(figures),
        )
    )
