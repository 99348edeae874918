"""The terminal view of a NONMEM dataset export (``cxcr4lab nonmem``; the kind is
``runs/nonmem.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.nonmem_export import NonmemExport

__all__ = ["print_result"]

SHOWN = 30
"""Records shown in the terminal (the whole dataset goes to --out, or the downloads)."""


def print_result(console: Console, result: NonmemExport, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    lloq = "" if result.lloq is None else f", LLOQ {result.lloq:g} {result.conc_unit}"
    console.print(
        f"[bold]{escape(f'NONMEM dataset of {result.source}')}[/bold]{saved}\n"
        f"{result.subjects} subjects, {len(result.records)} records ({result.observations} "
        f"observations, {result.blq_samples} BLQ by {result.blq_method.upper()}{lloq}); "
        f"{result.missing_samples} blank samples left out; TIME in h, AMT in "
        f"{result.dose_unit}, DV in {result.conc_unit}"
    )
    frame = result.frame()
    table = Table(title=f"First {min(SHOWN, len(frame))} records")
    for col in frame.columns:
        table.add_column(str(col), justify="left" if col == "SUBJECT" else "right")
    for row in frame.head(SHOWN).itertuples(index=False):
        table.add_row(
            *(
                "."
                if isinstance(v, float) and v != v
                else f"{v:g}"
                if isinstance(v, float)
                else str(v)
                for v in row
            )
        )
    console.print(table)
