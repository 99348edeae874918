"""The terminal view of a stored binding result (competitive radioligand binding); the kind is
``runs/binding.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.assays.binding import BindingResult

__all__ = ["print_result"]


def print_result(console: Console, result: BindingResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    from cxcr4lab.report.sections.binding import potency_text

    head = escape(f"Binding: {result.plate} [{result.block}], {result.plate_wells}-well plate")
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{head}[/bold]{saved}")
    table = Table(title="Potency (one-site competition; 95% profile-likelihood CI)")
    for col in ("compound", "IC50 (nM)", "95% CI (nM)", "Ki (nM)", "95% CI (nM)", "n", "flags"):
        table.add_column(
            col,
            justify="left" if col in ("compound", "flags") else "right",
            no_wrap=col == "compound",
        )
    for c in result.curves:
        ic50, ic50_ci = potency_text(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c)
        ki, ki_ci = potency_text(c.ki_molar, c.ki_lower_molar, c.ki_upper_molar, c)
        table.add_row(c.compound, ic50, ic50_ci, ki, ki_ci, str(c.fit.n), ", ".join(c.flags) or "-")
    console.print(table)
    qc = result.qc
    verdict = "[green]pass[/green]" if qc.passed else "[red]fail[/red]"
    z = "n/a" if qc.z_prime is None else f"{qc.z_prime:.2f}"
    sb = "n/a" if qc.signal_to_background is None else f"{qc.signal_to_background:.1f}"
    reasons = f" ({escape('; '.join(qc.reasons))})" if qc.reasons else ""
    console.print(f"Plate QC {verdict}: Z' = {z}, S/B = {sb}{reasons}")
