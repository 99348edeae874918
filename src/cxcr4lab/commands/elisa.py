"""The terminal view of a stored elisa result (standard curve, back-calculated unknowns, LLOQ/ULOQ); the kind is
``runs/elisa.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.assays.elisa import ElisaResult

__all__ = ["print_result"]


def print_result(console: Console, result: ElisaResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]{escape(f'ELISA {result.analyte}: {result.plate} [{result.block}]')}[/bold]{saved}"
    )
    c = result.choice
    verdict = "[green]pass[/green]" if result.passed else "[red]fail[/red]"
    rng = (
        "none"
        if result.lloq is None or result.uloq is None
        else f"{result.lloq:.4g}-{result.uloq:.4g} {result.unit} (in the well)"
    )
    console.print(
        f"Standard curve: {c.chosen} ({escape(c.how)}); quantitation range {escape(rng)}; "
        f"standards {verdict}"
        + (f" ({escape('; '.join(result.reasons))})" if result.reasons else "")
    )
    table = Table(title=f"{result.analyte} ({result.unit}, in the sample, dilution applied)")
    for col in ("sample", "group", "dilution", "mean OD", "CV %", "concentration", "flags"):
        table.add_column(col, justify="left" if col in ("sample", "group", "flags") else "right")
    for s in result.samples:
        shown = (
            "n/a"
            if s.value is None
            else (f"{s.value:.4g}" if s.bound == "=" else f"{s.bound} {s.value:.4g}")
        )
        table.add_row(
            escape(s.sample),
            escape(s.group or ("QC" if s.role == "qc" else "")),
            f"{s.dilution:g}",
            f"{s.mean_signal:.3f}",
            "-" if s.cv_pct is None else f"{s.cv_pct:.1f}",
            shown,
            ", ".join(s.flags) or "-",
        )
    console.print(table)
