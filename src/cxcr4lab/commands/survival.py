"""The terminal view of a ``survival`` result (the command, ``cxcr4lab survival ADTTE --adsl ADSL
--paramcd PFS --by ARM``, is generated from :mod:`cxcr4lab.runs.survival`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.clinical.survival import SurvivalResult

__all__ = ["print_result"]


def _f(x: float | None, digits: int = 3) -> str:
    return "NA" if x is None else f"{x:.{digits}g}"


def print_result(console: Console, result: SurvivalResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    u = result.time_unit
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    sim = " [SIMULATED data]" if result.simulated else ""
    console.print(f"[bold]{escape(f'{result.endpoint}: {result.source}')}[/bold]{sim}{saved}")
    table = Table(title=f"Kaplan-Meier (95% CI, log scale as R survfit), {u}")
    for h in ("group", "n", "events", f"median ({u})", "95% CI"):
        table.add_column(h, justify="left" if h == "group" else "right")
    for c in result.curves:
        table.add_row(
            escape(c.group),
            str(c.n),
            str(c.events),
            _f(c.median),
            f"{_f(c.median_lower)}-{_f(c.median_upper)}",
        )
    console.print(table)
    for lm in result.landmarks:
        console.print(
            f"  S({lm.time:g} {u}) {escape(lm.group)}: {100 * lm.survival:.1f}% "
            f"(95% CI {100 * lm.lower:.1f}-{100 * lm.upper:.1f}%)"
        )
    for r in result.rmst:
        console.print(
            f"  RMST to {r.tau:g} {u} {escape(r.group)}: {r.rmst:.2f} {u} "
            f"(95% CI {r.lower:.2f}-{r.upper:.2f})"
        )
    if result.logrank is not None:
        lr = result.logrank
        console.print(f"Log-rank: chi-square {lr.chisq:.3f} on {lr.df} df, p = {lr.p:.4g}")
    for hr in (*result.hazard_ratios, *result.subgroups):
        console.print(
            f"  HR {escape(hr.term)}: {hr.hr:.3f} (95% CI {hr.lower:.3f}-{hr.upper:.3f}), "
            f"p = {hr.p:.4g}  [n {hr.n}, {hr.events} events]"
        )
