"""Terminal view of ``cxcr4lab analyze ihc`` (the kind is declared in
:mod:`cxcr4lab.runs.ihc`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.assays.ihc import IhcResult

__all__ = ["print_result"]


def print_result(console: Console, result: IhcResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]{escape(f'IHC {s.marker} H-score: {result.source}')}[/bold]{saved}\n"
        f"{len(result.patients)} patients ({result.input_format} input); high = H-score > "
        f"{s.cutoff:g}: {sum(p.high for p in result.patients)} "
        f"({100 * result.fraction_high:.0f}%)"
    )
    table = Table(title="Per patient (% of tumour cells)")
    for col in ("patient", "0", "1+", "2+", "3+", "H-score", "call", "regions", "cells"):
        table.add_column(col, justify="left" if col in ("patient", "call") else "right")
    for p in result.patients:
        table.add_row(
            p.patient,
            *(f"{v:.1f}" for v in (p.pct_0, p.pct_1, p.pct_2, p.pct_3)),
            f"{p.h_score:.1f}",
            "[bold]high[/bold]" if p.high else "low",
            str(p.n_regions),
            "-" if p.n_cells is None else str(p.n_cells),
        )
    console.print(table)
