"""Terminal view of ``cxcr4lab analyze western`` (the kind is declared in
:mod:`cxcr4lab.runs.western`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.assays.western import WesternResult

__all__ = ["print_result"]


def _ci(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return "unbounded"
    return f"{lo / 1e-9:.3g} – {hi / 1e-9:.3g}"


def print_result(console: Console, result: WesternResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    head = f"Western densitometry: {result.source}, {len(result.blots)} blot(s)" + (
        f", {s.cell_line}" if s.cell_line else ""
    )
    console.print(f"[bold]{escape(head)}[/bold]{saved}")
    norm = "total protein" if s.normalise_to == "total" else s.loading_control
    floor = (
        "100 (ratio - unstimulated) / (CXCL12 + vehicle - unstimulated)"
        if s.floor
        else "100 ratio / (CXCL12 + vehicle)"
    )
    console.print(escape(f"ratio = phospho / {norm}; response = {floor}, per blot"))
    table = Table(title="IC50 (4PL; 95% profile-likelihood CI); combined = shared IC50 and Hill")
    for col in ("target", "compound", "fit", "IC50 (nM)", "95% CI (nM)", "Hill", "n", "flags"):
        table.add_column(
            col, justify="left" if col in ("target", "compound", "fit", "flags") else "right"
        )
    for c in result.combined:
        for b in result.blot_curves:
            if (b.target, b.compound) != (c.target, c.compound):
                continue
            table.add_row(
                b.target,
                b.compound,
                f"blot {b.blot}",
                f"{b.ic50_molar / 1e-9:.3g}",
                _ci(b.ic50_lower_molar, b.ic50_upper_molar),
                f"{b.fit.params['hill']:.2f}",
                str(b.fit.n),
                ", ".join(b.flags) or "-",
            )
        table.add_row(
            f"[bold]{escape(c.target)}[/bold]",
            escape(c.compound),
            f"[bold]combined ({len(c.blots)} blots)[/bold]",
            f"[bold]{c.ic50_molar / 1e-9:.3g}[/bold]",
            _ci(c.ic50_lower_molar, c.ic50_upper_molar),
            f"{c.hill:.2f}",
            str(c.fit.n),
            ", ".join(c.flags) or "-",
        )
    console.print(table)
    for note in result.notes:
        console.print(escape(f"note: {note}"))
