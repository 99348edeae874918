"""Terminal view of a receptor-occupancy course (kind ``occupancy_course``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.occupancy_model import OccupancyCourse

__all__ = ["print_result"]


def print_result(console: Console, result: OccupancyCourse, analysis_id: int | None) -> None:
    """The model, hours at or above 50/90/99 % occupancy and the peak."""
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    m = result.model
    console.print(
        f"[bold]Receptor occupancy course[/bold] ({m.compound or 'compound'}, Kd "
        f"{m.kd_molar * 1e9:.3g} nM, fu {m.fu:g}){saved}\n{result.source}"
    )
    table = Table(title="Time at or above an occupancy")
    for h in ("occupancy (%)", "time above (h)"):
        table.add_column(h, justify="right")
    for level in (0.5, 0.9, 0.99):
        table.add_row(f"{100 * level:g}", f"{result.time_above(level):.1f}")
    console.print(table)
    peak = max(result.occupancy) if result.occupancy else float("nan")
    console.print(
        f"Peak occupancy {100 * peak:.2f}% over {result.times_h[0]:g}-{result.times_h[-1]:g} h"
    )
