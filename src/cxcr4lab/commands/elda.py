"""Terminal view of ``cxcr4lab analyze elda`` (the kind is declared in :mod:`cxcr4lab.runs.elda`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.preclinical.elda import EldaResult

__all__ = ["cells", "print_elda", "print_result"]


def cells(value: float) -> str:
    """A number of cells as text (Inf as ∞)."""
    return "∞" if math.isinf(value) else f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def print_elda(console: Console, result: EldaResult, title: str) -> None:
    """The frequency table and the tests of one ELDA."""
    level = f"{100 * result.settings.confidence:g}%"
    table = Table(title=title)
    for col in (
        "group",
        "1 in (cells)",
        f"{level} CI (cells)",
        "per 10^6 cells",
        "tested",
        "positive",
        "note",
    ):
        table.add_column(col, justify="left" if col in ("group", "note") else "right")
    for g in result.groups:
        note = {
            "all_negative": "all negative: one-sided CI",
            "all_positive": "all positive: one-sided CI",
        }
        table.add_row(
            g.group,
            cells(g.estimate),
            f"{cells(g.lower)} - {cells(g.upper)}",
            f"{1e6 * g.frequency:.3g}",
            str(g.tested),
            str(g.positive),
            note.get(g.extreme, ""),
        )
    console.print(table)
    if result.difference is not None:
        d = result.difference
        console.print(
            f"Differences between groups: chi-square {d.chisq:.4f} on {d.df} df, p = {d.p:.4g}"
        )
    for t in result.pairwise:
        console.print(
            f"  {t.group_a} vs {t.group_b}: chi-square {t.chisq:.4f} on {t.df} df, p = {t.p:.4g}"
        )
    if result.slope is not None:
        s = result.slope
        console.print(
            f"Single-hit model (log-dose slope = 1): slope {s.slope:.4f} (SE {s.slope_se:.4f}); "
            f"Wald z {s.wald_z:.4f}, p = {s.wald_p:.4g}; LR z {s.lr_z:.4f}, p = {s.lr_p:.4g}; "
            f"score z {s.score_logdose_z:.4f}, p = {s.score_logdose_p:.4g}\n"
            f"Heterogeneity (score test on dose): z {s.score_dose_z:.4f}, p = {s.score_dose_p:.4g}"
        )
    if result.deviance is not None:
        v = result.deviance
        console.print(f"Deviance goodness of fit: {v.chisq:.4f} on {v.df} df, p = {v.p:.4g}")


def print_result(console: Console, result: EldaResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    observed = (
        "actual cell numbers" if result.settings.observed else "expected (Poisson) cell numbers"
    )
    console.print(
        f"[bold]{escape(f'Limiting dilution (ELDA): {result.source}')}[/bold]{saved}\n"
        f"{len(result.rows)} rows, {len(result.groups)} groups; doses as {observed}; "
        "single-hit Poisson model, complementary log-log GLM"
    )
    print_elda(console, result, "Active-cell frequency per group")
