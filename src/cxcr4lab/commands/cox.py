"""The terminal view of a stored Cox regression (``cxcr4lab cox``; the kind is ``runs/cox.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.clinical.cox import CoxResult

__all__ = ["print_result"]


def print_result(console: Console, result: CoxResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    m = result.model
    strata = f"; strata {', '.join(m.strata)}" if m.strata else ""
    console.print(
        f"[bold]{escape(f'Cox regression: {result.source}')}[/bold]{saved}\n"
        f"n = {result.n} ({result.events} events; {result.dropped} rows with a missing value "
        f"left out){escape(strata)}; times in {result.time_unit}"
    )
    level = f"{m.conf_level:.0%}"
    table = Table(title=f"Hazard ratios ({m.ties.capitalize()} ties; {level} Wald CI)")
    for col in ("term", "coef", "SE", "HR", f"{level} CI", "z", "p"):
        table.add_column(col, justify="left" if col == "term" else "right")
    for t in result.terms:
        table.add_row(
            t.term,
            f"{t.coef:.4f}",
            f"{t.se:.4f}",
            f"{t.hr:.3f}",
            f"{t.hr_lower:.3f}-{t.hr_upper:.3f}",
            f"{t.z:.2f}",
            f"{t.p:.3g}",
        )
    console.print(table)
    refs = ", ".join(f"{c} (reference {r})" for c, r in m.categorical)
    if refs:
        console.print(f"Categorical: {escape(refs)}")
    score = (
        ""
        if result.score_chisq is None
        else f"score (log-rank) test {result.score_chisq:.2f}, p = {result.score_p:.3g}; "
    )
    console.print(
        f"Likelihood ratio test {result.lr_chisq:.2f} on {result.df} df, p = {result.lr_p:.3g}; "
        f"Wald test {result.wald_chisq:.2f}, p = {result.wald_p:.3g}; {score}"
        f"concordance {result.concordance:.3f}"
    )
    ph = ", ".join(f"{p.term} p = {p.p:.3g}" for p in result.ph_tests)
    console.print(f"Proportional hazards ({result.ph_method}): {escape(ph)}")
