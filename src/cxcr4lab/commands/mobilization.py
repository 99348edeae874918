"""Terminal view of the CD34+ mobilization fit (kind ``mobilization``); the command is
``cxcr4lab simulate mobilization``, declared in :mod:`cxcr4lab.runs.mobilization`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.mobilization import MobilizationResult

__all__ = ["print_result"]


def _g(v: object) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float | int):
        return "n/a" if not math.isfinite(float(v)) else f"{float(v):.4g}"
    return "n/a" if v is None else str(v)


def print_result(console: Console, result: MobilizationResult, analysis_id: int | None) -> None:
    """Parameters with 95 % CIs, then per dose: fit, yield and P(target)."""
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    s = result.settings
    console.print(
        f"[bold]CD34+ mobilization[/bold] ({result.source}){saved}\n"
        f"Plateau {result.plateau:.1f} CD34+/µL; a {result.weight_kg:g}-kg donor needs a peak of "
        f"{s.required_peak(result.weight_kg):.1f}/µL for {s.target_per_kg:.2g} CD34+/kg "
        f"({s.blood_volumes_processed:g} blood volumes, CE {s.efficiency:g})"
    )
    for title, frame in (("Parameters", result.parameters()), ("By dose", result.summary())):
        table = Table(title=title)
        for c in frame.columns:
            table.add_column(str(c), justify="left" if c == "parameter" else "right")
        for row in frame.itertuples(index=False):
            table.add_row(*(_g(v) for v in row))
        console.print(table)
    for note in result.notes:
        console.print(f"[dim]- {note}[/dim]")
