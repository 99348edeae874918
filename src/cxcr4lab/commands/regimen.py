"""Terminal view of a dosing regimen (kind ``regimen``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.regimens import Regimen

__all__ = ["print_result"]


def print_result(console: Console, result: Regimen, analysis_id: int | None) -> None:
    """One row per drug: dose, days, infusion length."""
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{result.title or result.name}[/bold]{saved}")
    frame = result.summary()
    table = Table(title=f"{result.cycle_days}-day cycle, BSA by {result.bsa_method}")
    for c in frame.columns:
        table.add_column(str(c), justify="left" if c in ("drug", "route") else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:g}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)
