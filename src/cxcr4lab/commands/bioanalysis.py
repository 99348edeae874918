"""Terminal view of an LC-MS/MS run (kind ``bioanalysis``; the command is declared in
:mod:`cxcr4lab.runs.bioanalysis`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.assays.bioanalysis import BioanalysisResult

__all__ = ["print_result"]


def print_result(console: Console, result: BioanalysisResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{escape(f'LC-MS/MS {s.analyte}: {result.run}')}[/bold]{saved}")
    rng = "none" if result.lloq is None else f"{result.lloq:g}-{result.uloq:g} {s.unit}"
    console.print(
        f"Calibration: {s.regression}, weighting {s.weighting}; range {escape(rng)}"
        + ("" if s.mw_g_per_mol is None else f"; MW {s.mw_g_per_mol:g} g/mol")
    )
    if result.passed:
        console.print("Run acceptance (ICH M10): [green]pass[/green]")
    else:
        console.print("Run acceptance (ICH M10): [red]fail[/red]")
        for reason in result.reasons:
            console.print(f"  - {escape(reason)}")
    acc = Table(title="Calibrators and QCs")
    for col in ("sample", "type", f"nominal ({s.unit})", "back-calc.", "accuracy %", "verdict"):
        acc.add_column(col, justify="left" if col in ("sample", "type", "verdict") else "right")
    for i in result.injections:
        if i.type not in ("calibrator", "qc"):
            continue
        acc.add_row(
            escape(i.sample_id),
            i.type,
            f"{i.nominal:g}",
            "n/a" if i.back_calculated is None else f"{i.back_calculated:.4g}",
            "n/a" if i.accuracy_pct is None else f"{i.accuracy_pct:.1f}",
            "pass" if i.passed else "[red]fail[/red]" + ("" if i.used_in_fit else " (rejected)"),
        )
    console.print(acc)
    unk = Table(title=f"Unknowns ({s.unit}; nM from the MW)")
    for col in ("sample", "subject", "time (h)", "dilution", f"conc ({s.unit})", "conc (nM)"):
        unk.add_column(col, justify="left" if col in ("sample", "subject") else "right")
    for i in result.of_type("unknown"):
        prefix = "" if i.bound == "=" else f"{i.bound} "
        unk.add_row(
            escape(i.sample_id),
            escape(i.subject or ""),
            "" if i.time_h is None else f"{i.time_h:g}",
            f"{i.dilution:g}",
            "n/a" if i.concentration is None else f"{prefix}{i.concentration:.4g}",
            "n/a" if i.concentration_nm is None else f"{prefix}{i.concentration_nm:.4g}",
        )
    console.print(unk)
