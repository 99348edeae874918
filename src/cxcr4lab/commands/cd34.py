"""Terminal view of an ISHAGE CD34+ enumeration (kind ``cd34``; the command is declared in
:mod:`cxcr4lab.runs.cd34`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.assays.cd34 import Cd34Result

__all__ = ["print_result"]


def print_result(console: Console, result: Cd34Result, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{escape(f'CD34+ enumeration (ISHAGE): {result.source}')}[/bold]{saved}")
    table = Table(title=f"Absolute CD34+ per µL, 95% CI ({result.input_format})")
    for col in ("sample", "CD34+/µL", "95% CI", "CD34+ ev.", "CD45+ ev.", "beads", "viab. %", "QC"):
        table.add_column(col, justify="left" if col in ("sample", "QC") else "right")
    for s in result.samples:
        c = s.counts
        qc = "pass" if s.passed else f"[red]fail[/red] ({escape('; '.join(s.reasons))})"
        if s.flags:
            qc += f" · {escape(', '.join(s.flags))}"
        table.add_row(
            escape(c.sample),
            f"{s.cd34_per_ul:.1f}",
            f"{s.lower_per_ul:.1f}-{s.upper_per_ul:.1f}",
            str(c.cd34_events),
            f"{c.cd45_events:,}",
            str(c.bead_events),
            "-" if s.viability_cd45_pct is None else f"{s.viability_cd45_pct:.1f}",
            qc,
        )
    console.print(table)
