"""Terminal view of the signalling-model SBML cross-check (kind ``signalling_sbml``); the
command is ``cxcr4lab receptor sbml``, declared in :mod:`cxcr4lab.runs.signalling_sbml`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.studies.signalling_sbml import SignallingSbmlCheck

__all__ = ["print_result"]


def print_result(console: Console, result: SignallingSbmlCheck, analysis_id: int | None) -> None:
    """The cross-check table (read-out, max relative difference, tolerance, pass) and IC50s."""
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    verdict = "[green]pass[/green]" if result.passed else "[red]FAIL[/red]"
    console.print(
        f"[bold]Signalling model SBML vs the Python model[/bold] [model, not data; SIMULATED "
        f"read-outs]{saved}"
    )
    grid_a = ", ".join(f"{a / 1e-9:.4g}" for a in result.agonist_molar)
    grid_b = ", ".join(f"{b / 1e-9:.4g}" for b in result.antagonist_molar)
    console.print(
        f"{result.source}; SBML evaluated by {result.engine}; cell lines "
        f"{', '.join(result.cells)}; CXCL12 {grid_a} nM x balixafortide {grid_b} nM: {verdict} "
        f"(largest relative difference {result.max_rel_diff:.2e})"
    )
    table = Table(title="Read-outs: SBML against the Python model")
    for h in ("read-out", "unit", "n", "max rel. difference", "where", "tolerance", "pass"):
        table.add_column(h, justify="right" if h in ("n", "max rel. difference", "tolerance")
                         else "left")  # fmt: skip
    for c in result.checks:
        table.add_row(
            c.readout, c.unit, str(c.n), f"{c.max_rel_diff:.2e}", c.worst, f"{c.tolerance:.0e}",
            "[green]yes[/green]" if c.passed else "[red]no[/red]",
        )  # fmt: skip
    console.print(table)
    ic50 = Table(
        title=f"Functional IC50s at CXCL12 {result.ic50_agonist_molar / 1e-9:.4g} nM",
        show_lines=False,
    )
    frame = result.ic50_table()
    for h in frame.columns:
        ic50.add_column(str(h), justify="left" if h == "cell line: read-out" else "right")
    for row in frame.itertuples(index=False):
        ic50.add_row(str(row[0]), f"{row[1]:.5g}", f"{row[2]:.5g}", f"{row[3]:.1e}")
    console.print(ic50)
    sizes = ", ".join(f"{len(t) / 1000:.0f} kB" for t in result.sbml)
    console.print(
        f"SBML text kept with the result ({sizes}); write it with `cxcr4lab simulate sbml`."
    )
