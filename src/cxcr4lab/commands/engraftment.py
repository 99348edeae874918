"""Terminal view of ``cxcr4lab analyze engraftment`` (the kind is declared in
:mod:`cxcr4lab.runs.engraftment`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from cxcr4lab.commands.elda import print_elda

if TYPE_CHECKING:
    from cxcr4lab.preclinical.engraftment import EngraftmentResult

__all__ = ["print_result"]


def _pct(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.3g}"


def print_result(console: Console, result: EngraftmentResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    level = f"{100 * s.confidence:g}%"
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]{escape(f'NOD/SCID engraftment: {result.source}')}[/bold]{saved}\n"
        f"{len(result.mice)} mice, {len(result.groups)} groups; {escape(s.describe())}"
    )
    calls = Table(title=f"Calls per group ({level} exact CIs)")
    columns = ["group", "mice", "cell doses", "engrafted", "CI (%)", "multilineage", "CI (%)"]
    progenitors = all(g.progenitors is not None for g in result.groups)
    if progenitors:
        columns += ["CD34+ progenitors", "CI (%)"]
    for col in columns:
        calls.add_column(col, justify="left" if col == "group" else "right")
    for g in result.groups:
        cells = [
            g.group,
            str(g.n),
            ", ".join(f"{c:,.0f}" for c in g.cells),
            f"{g.engrafted} ({100 * g.engrafted / g.n:.0f}%)",
            f"{g.engrafted_lower_pct:.0f}-{g.engrafted_upper_pct:.0f}",
            f"{g.multilineage} ({100 * g.multilineage / g.n:.0f}%)",
            f"{g.multilineage_lower_pct:.0f}-{g.multilineage_upper_pct:.0f}",
        ]
        if progenitors and g.progenitors is not None:
            cells += [
                f"{g.progenitors} ({100 * g.progenitors / g.n:.0f}%)",
                f"{g.progenitors_lower_pct:.0f}-{g.progenitors_upper_pct:.0f}",
            ]
        calls.add_row(*cells)
    console.print(calls)
    chim = Table(
        title=f"% human CD45+ of leukocytes per tissue (mean, {level} t CI; median, range)"
    )
    for col in ("group", "tissue", "n", "mean", "CI", "median", "range"):
        chim.add_column(col, justify="left" if col in ("group", "tissue") else "right")
    for t in result.tissue_summaries:
        chim.add_row(
            t.group,
            t.tissue.replace("_", " "),
            str(t.n),
            _pct(t.mean_pct),
            f"{_pct(t.lower_pct)}-{_pct(t.upper_pct)}",
            _pct(t.median_pct),
            f"{_pct(t.min_pct)}-{_pct(t.max_pct)}",
        )
    console.print(chim)
    print_elda(
        console, result.src, "SCID-repopulating cell frequency (ELDA of the engrafted calls)"
    )
