"""Terminal view of a receptor-occupancy result (kind ``occupancy``; the command is declared in
:mod:`cxcr4lab.runs.occupancy`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.assays.occupancy import OccupancyResult

__all__ = ["print_result"]


def print_result(console: Console, result: OccupancyResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{escape(f'CXCR4 receptor occupancy: {result.source}')}[/bold]{saved}")
    table = Table(title=f"%RO per subject ({result.input_format}; isotype-subtracted)")
    for col in ("subject", "time (h)", "MFI", "isotype", "specific", "%RO", "flags"):
        table.add_column(col, justify="left" if col in ("subject", "flags") else "right")
    for p in result.points:
        table.add_row(
            escape(p.subject),
            f"{p.time_h:g}",
            f"{p.mfi:.1f}",
            "-" if p.isotype_mfi is None else f"{p.isotype_mfi:.1f}",
            f"{p.specific_mfi:.1f}",
            "pre-dose" if p.ro_pct is None else f"{p.ro_pct:.1f}",
            ", ".join(f for f in p.flags if f != "predose") or "-",
        )
    console.print(table)
