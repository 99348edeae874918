"""Terminal view of a regimen population simulation (kind ``regimen_simulation``); the command
is ``cxcr4lab simulate regimen``, declared in :mod:`cxcr4lab.runs.regimen_simulation`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.regimen_simulation import RegimenSimulation

__all__ = ["print_result"]


def print_result(console: Console, result: RegimenSimulation, analysis_id: int | None) -> None:
    """The regimen, then per cycle: median [5-95 %] of each quantity and P(grade) with CIs."""
    from cxcr4lab.report.sections.regimen_simulation import cycle_table

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    s = result.settings
    console.print(
        f"[bold]Regimen simulation[/bold] [SIMULATED: {result.n_patients} virtual patients, "
        f"seed {s.seed}]{saved}\n{result.regimen.title or result.regimen.name}; {s.cycles} cycles "
        f"of {result.regimen.cycle_days} days; occupancy target {100 * s.target:g}% "
        f"(Kd {s.kd_molar * 1e9:.3g} nM)"
    )
    frame = cycle_table(result)
    table = Table(title="Per cycle: median [5th-95th percentile]; probabilities % (exact 95% CI)")
    for c in frame.columns:
        table.add_column(str(c), justify="left" if c == "cycle" else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console.print(table)
    lo, hi = result.p_grade3_ci()
    console.print(
        f"Over the course: P(grade >= 3 neutropenia) {100 * result.overall.p_grade3:.1f}% "
        f"(95% CI {100 * lo:.1f}-{100 * hi:.1f}); nadir ANC median "
        f"{result.overall.nadir[1]:.2f} (90% band {result.overall.nadir[0]:.2f}-"
        f"{result.overall.nadir[2]:.2f}) x 10^9/L."
    )
    for note in result.notes[1:]:
        console.print(f"[dim]- {note}[/dim]")
