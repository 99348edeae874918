"""The terminal view of a stored batch of curve fits; the kind is ``runs/fit.py``
(``cxcr4lab fit CURVES.csv``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.fit.batch_result import BatchFitResult

__all__ = ["SHOWN", "print_result"]

SHOWN = 50
"""Rows the terminal shows (every row is in the stored result, ``--json`` and ``--out``)."""


def _num(v: float | None) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.4g}"


def print_result(console: Console, result: BatchFitResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    n = len(result.rows)
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"Fitted {n:,} curves ({escape(result.model)}): {result.n_converged:,} converged, "
        f"{result.n_flagged:,} flagged{saved}"
    )
    constrained = result.constraint_text()
    if constrained:
        console.print(escape(f"Every curve: {constrained}."))
    shown = f" (first {SHOWN} of {n:,})" if n > SHOWN else ""
    level = round(100 * (1 - result.alpha))
    table = Table(title=escape(f"{result.source}: {result.model} fits{shown}"))
    unit = escape(result.unit)
    for col in ("curve_id", f"IC50 ({unit})", f"{level}% CI ({unit})", "hill", "flags"):
        table.add_column(col, justify="left" if col in ("curve_id", "flags") else "right")
    for row in result.rows[:SHOWN]:
        ci = f"{_num(row.ic50_lower)} – {_num(row.ic50_upper)}"
        table.add_row(
            escape(row.curve_id), _num(row.ic50), ci, _num(row.hill), escape(row.flags) or "-"
        )
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]Note:[/yellow] {escape(note)}")
