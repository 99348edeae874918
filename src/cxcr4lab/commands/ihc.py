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
    import math

    from rich.markup import escape

    s = result.settings
    irs = result.scale == "irs"
    name = "IRS" if irs else "H-score"
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]{escape(f'IHC {s.marker} {name}: {result.source}')}[/bold]{saved}\n"
        f"{len(result.patients)} patients ({result.input_format} input); "
        f"{escape(s.rule.text)}: {sum(p.high for p in result.patients)} "
        f"({100 * result.fraction_high:.0f}%)"
    )
    if irs:
        console.print(
            "IRS = intensity score (0-3) x proportion score (0-4: none, < 10%, 10-50%, "
            "51-80%, > 80% positive cells); from percentages the intensity is the predominant "
            "class among positive cells (a tie goes to the weaker)"
        )
    table = Table(title="Per patient (% of tumour cells)")
    cols = ["patient", "0", "1+", "2+", "3+", "H-score"]
    cols += ["int.", "prop.", "IRS"] if irs else []
    for col in (*cols, "call", "regions", "cells"):
        table.add_column(col, justify="left" if col in ("patient", "call") else "right")

    def num(v: float) -> str:
        return "-" if math.isnan(v) else f"{v:.1f}"

    for p in result.patients:
        extra = [str(p.intensity_score), str(p.proportion_score), str(p.irs)] if irs else []
        table.add_row(
            p.patient,
            *(num(v) for v in (p.pct_0, p.pct_1, p.pct_2, p.pct_3, p.h_score)),
            *extra,
            "[bold]high[/bold]" if p.high else "low",
            str(p.n_regions),
            "-" if p.n_cells is None else str(p.n_cells),
        )
    console.print(table)
