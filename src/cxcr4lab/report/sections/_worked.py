"""A report section told as steps (heading, paragraphs, tables, figures): ``worked.html.j2``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxcr4lab.report.html import environment

__all__ = ["Step", "frame_table", "render_steps"]


@dataclass(frozen=True)
class Step:
    """One step of a worked section; figures are inline SVG text."""

    heading: str = ""
    paragraphs: tuple[str, ...] = ()
    tables: tuple[dict[str, Any], ...] = ()
    figures: tuple[str, ...] = field(default=())


def _cell(value: object, digits: int) -> str:
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.{digits}g}"
    return "n/a" if value is None else str(value)


def frame_table(frame: pd.DataFrame, caption: str = "", *, digits: int = 4) -> dict[str, Any]:
    """A DataFrame as the template's table (floats to ``digits`` significant digits)."""
    return {
        "caption": caption,
        "columns": [str(c) for c in frame.columns],
        "rows": [[_cell(v, digits) for v in row] for row in frame.itertuples(index=False)],
    }


def render_steps(analysis_id: int, title: str, meta: str, steps: Sequence[Step]) -> str:
    """The HTML section of a worked analysis."""
    return (
        environment()
        .get_template("worked.html.j2")
        .render(id=analysis_id, title=title, meta=meta, steps=list(steps))
    )
