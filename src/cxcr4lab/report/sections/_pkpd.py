"""Shared pieces of the PK/PD report sections: tables of formatted cells and the template."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from cxcr4lab.report.html import environment

__all__ = ["cell", "render_pkpd", "table"]


def cell(value: object, digits: int = 3) -> str:
    """A table cell: numbers to ``digits`` significant figures, ``n/a`` for missing values."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        v = float(value)
        if not math.isfinite(v):
            return "n/a"
        if 10**digits <= abs(v) < 1e7:
            return f"{v:.0f}"
        return f"{v:.{digits}g}"
    return "n/a" if value is None else str(value)


def table(frame: pd.DataFrame, caption: str = "", digits: int = 3) -> dict[str, Any]:
    """A DataFrame as the template's table (columns, formatted rows, caption)."""
    return {
        "caption": caption,
        "columns": [str(c) for c in frame.columns],
        "rows": [[cell(v, digits) for v in row] for row in frame.itertuples(index=False)],
    }


def render_pkpd(
    analysis_id: int,
    title: str,
    meta: str,
    tables: Sequence[dict[str, Any]],
    figures: Sequence[str],
    notes: Sequence[str] = (),
) -> str:
    """The section HTML (template ``pkpd.html.j2``)."""
    return (
        environment()
        .get_template("pkpd.html.j2")
        .render(
            id=analysis_id,
            title=title,
            meta=meta,
            tables=list(tables),
            figures=list(figures),
            notes=list(notes),
        )
    )
