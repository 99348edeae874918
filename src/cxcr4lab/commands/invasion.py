"""Terminal view of ``cxcr4lab analyze invasion`` (the kind is declared in
:mod:`cxcr4lab.runs.invasion`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.assays.invasion import InvasionResult

__all__ = ["print_result"]


def print_result(console: Console, result: InvasionResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    from cxcr4lab.core.units import format_molar
    from cxcr4lab.report.formats import potency_display

    s = result.settings
    t = s.transwell
    head = escape(
        f"Invasion ({s.matrix} Transwell): {result.source} [{result.block}], "
        f"{result.plate_wells}-well layout, readout {t.readout}"
        + (f", {t.cell_line}" if t.cell_line else "")
    )
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{head}[/bold]{saved}")
    coated = sum(i.coated for i in result.inserts)
    console.print(
        escape(
            f"Cells in {result.unit}; {coated} coated and {len(result.inserts) - coated} uncoated "
            "inserts. Invasion index = coated / mean uncoated of the same condition; % of "
            "vehicle invasion = 100 x index / mean index of the vehicle."
        )
    )
    v = result.vehicle_index
    level = round(100 * (1 - t.plate.alpha))
    if v.value is not None:
        ci = (
            ""
            if v.lower is None or v.upper is None
            else f" ({level}% CI {v.lower:.3f}-{v.upper:.3f})"
        )
        console.print(escape(f"Vehicle invasion index (coated / uncoated): {v.value:.3f}{ci}"))
    table = Table(title=f"IC50 of invasion inhibition (4PL; {level}% profile-likelihood CI)")
    for col in (
        "compound",
        "IC50 (nM)",
        f"{level}% CI (nM)",
        "Hill",
        "top %",
        "bottom %",
        "n",
        "flags",
    ):
        table.add_column(col, justify="left" if col in ("compound", "flags") else "right")
    for c in result.curves:
        p = c.fit.params
        table.add_row(
            c.compound,
            *potency_display(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c),
            f"{p['hill']:.2f}",
            f"{p['top']:.0f}",
            f"{p['bottom']:.0f}",
            str(c.fit.n),
            ", ".join(c.flags) or "-",
        )
    console.print(table)
    conditions = Table(title="Per condition (% of vehicle invasion: mean of the coated inserts)")
    for col in ("condition", "coated", "uncoated", "index", "% of vehicle", "SD"):
        conditions.add_column(col, justify="left" if col == "condition" else "right")
    for k in result.conditions:
        name = k.role if k.conc_molar is None else f"{k.compound} {format_molar(k.conc_molar)}"
        conditions.add_row(
            name,
            f"{k.coated_mean:.4g} (n={k.n_coated})",
            f"{k.uncoated_mean:.4g} (n={k.n_uncoated})",
            f"{k.invasion_index:.3f}",
            f"{k.pct_of_vehicle:.1f}",
            "-" if k.sd_pct_of_vehicle is None else f"{k.sd_pct_of_vehicle:.1f}",
        )
    console.print(conditions)
    masked = [i for i in result.inserts if i.excluded]
    if masked:
        console.print(escape("Excluded: " + ", ".join(f"{i.well} ({i.excluded})" for i in masked)))
