"""Terminal view of a regimen comparison (kind ``regimen_comparison``); the command is
``cxcr4lab simulate compare``, declared in :mod:`cxcr4lab.runs.regimen_comparison`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.comparison import RegimenComparison

__all__ = ["print_result"]


def print_result(console: Console, result: RegimenComparison, analysis_id: int | None) -> None:
    """One row per schedule with the verdict in colour."""
    from cxcr4lab.report.sections.regimen_comparison import comparison_table

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    s = result.settings
    n = result.rows[0].n if result.rows else 0
    console.print(
        f"[bold]Regimen comparison[/bold] [SIMULATED: the same {n} virtual patients for every "
        f"schedule, {s.cycles} cycles, seed {s.seed}]{saved}\n"
        f"Meets both: target {100 * s.target:g}% held on every eribulin day by >= "
        f"{100 * result.hold_fraction:g}% of patients and P(grade >= 3) <= "
        f"{100 * result.limit:g}%"
    )
    frame = comparison_table(result)
    table = Table(title="Schedules: median [5th-95th percentile]; probabilities % (exact 95% CI)")
    for c in frame.columns:
        table.add_column(str(c), justify="left" if c in ("#", "schedule") else "right")
    for row in frame.itertuples(index=False):
        values = [str(v) for v in row]
        values[-1] = "[green]yes[/green]" if values[-1] == "yes" else "[red]no[/red]"
        table.add_row(*values)
    console.print(table)
    for note in result.notes[1:]:
        console.print(f"[dim]- {note}[/dim]")
