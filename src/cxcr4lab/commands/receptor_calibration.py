"""Terminal view of a receptor-model calibration (kind ``receptor_calibration``); the command is
``cxcr4lab receptor calibrate``, declared in :mod:`cxcr4lab.runs.receptor_calibration`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.studies.calibration import ReceptorCalibration

__all__ = ["print_result"]


def _g(v: float | None, digits: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{digits}g}"


def print_result(console: Console, result: ReceptorCalibration, analysis_id: int | None) -> None:
    """The potency-consistency table, the Kb range and the pERK/pAKT decomposition."""
    from rich.markup import escape

    nm = 1e-9
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    met = sum(p.satisfied for p in result.predictions)
    console.print(
        "[bold]Receptor model: one balixafortide Kb against every published IC50 bound[/bold] "
        f"[SIMULATED model predictions]{saved}"
    )
    console.print(
        f"Kb {_g(result.kb_molar / nm)} nM, CXCL12 KA {_g(result.ka_molar / nm)} nM; "
        f"published bounds met: {met} of {len(result.predictions)}"
    )
    table = Table(title="Potency consistency (published: seed technical guides, upper bounds)")
    heads = (
        "assay",
        "system",
        "readout",
        "CXCL12 (nM)",
        "predicted IC50 (nM)",
        "published (nM)",
        "IC50 / Kb",
        "ok/miss",
    )
    for h in heads:
        table.add_column(h, justify="left" if h in heads[:3] else "right")
    for p in result.predictions:
        table.add_row(
            escape(p.assay),
            escape(p.system),
            p.readout,
            _g(p.agonist_molar / nm),
            _g(p.predicted_ic50_molar / nm),
            f"< {_g(p.bound_molar / nm)}",
            _g(p.predicted_ic50_molar / result.kb_molar, 4),
            "[green]ok[/green]" if p.satisfied else "[red]miss[/red]",
        )
    console.print(table)
    console.print(escape(result.kb_range_text()))
    mech = result.mechanism_table()
    if len(mech):
        shift = Table(title="Why pERK/pAKT sit right of binding: Kb x folds = IC50")
        cols = (
            "cell line",
            "readout",
            "Kb (nM)",
            "x agonist conc.",
            "x receptor reserve",
            "x amplification",
            "= IC50/Kb",
            "IC50 (nM)",
            "/ binding IC50",
        )
        for c in cols:
            shift.add_column(c, justify="left" if c in cols[:2] else "right")
        for _, r in mech.iterrows():
            shift.add_row(
                str(r["cell line"]),
                str(r["readout"]),
                _g(r["Kb (nM)"]),
                _g(r["x agonist concentration"]),
                _g(r["x receptor reserve"]),
                _g(r["x amplification"]),
                _g(r["product (IC50 / Kb)"], 4),
                _g(r["predicted IC50 (nM)"]),
                _g(r["IC50 / binding IC50"], 4),
            )
        console.print(shift)
