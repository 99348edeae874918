"""Terminal view of the virtual-plate recovery (kind ``virtual_recovery``); the command is
``cxcr4lab receptor recover``, declared in :mod:`cxcr4lab.runs.virtual_recovery`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.studies.recovery import VirtualRecovery

__all__ = ["print_result"]


def _nm(v: float | None) -> str:
    return "n/a" if v is None else f"{v / 1e-9:.3g}"


def print_result(console: Console, result: VirtualRecovery, analysis_id: int | None) -> None:
    """One row per virtual plate: the analysis' Ki/Kb with its 95 % CI against the model's Kb."""
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    covered = sum(r.covered for r in result.rows)
    console.print(
        "[bold]Virtual plates: do the assay analyses recover the model's Kb?[/bold] "
        f"[SIMULATED plates]{saved}"
    )
    console.print(
        f"Model Kb {_nm(result.kb_molar)} nM; the 95% CI covers it for {covered} of "
        f"{len(result.rows)} plates"
    )
    table = Table(title="Recovered Ki / Kb (the assay modules' 95% CIs)")
    heads = ("assay", "system", "analysis", "seed", "estimate (nM)", "95% CI (nM)", "covers Kb")
    for h in heads:
        table.add_column(h, justify="left" if h in heads[:3] else "right")
    for r in result.rows:
        table.add_row(
            r.assay,
            escape(r.system),
            escape(r.method),
            str(r.seed),
            f"{r.parameter} {_nm(r.estimate_molar)}",
            f"{_nm(r.lower_molar)}-{_nm(r.upper_molar)}",
            "[green]yes[/green]" if r.covered else "[red]no[/red]",
        )
    console.print(table)
