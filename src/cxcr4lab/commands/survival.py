"""The terminal view of a ``survival`` result (the command, ``cxcr4lab survival TABLE --time T
--event E --by G`` or ``cxcr4lab survival ADTTE --adsl ADSL --paramcd PFS --by ARM``, is
generated from :mod:`cxcr4lab.runs.survival`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.clinical.survival import HazardRatio, SurvivalResult

__all__ = ["print_result"]


def _f(x: float | None, digits: int = 3) -> str:
    return "NA" if x is None or not math.isfinite(x) else f"{x:.{digits}g}"


def _p(p: float) -> str:
    return "NA" if not math.isfinite(p) else f"{p:.4g}"


def _hr(h: HazardRatio) -> str:
    return f"{h.hr:.3f} ({h.lower:.3f}-{h.upper:.3f})"


def print_result(console: Console, result: SurvivalResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    u = result.time_unit
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    sim = " [SIMULATED data]" if result.simulated else ""
    by = f" by {result.group_column}" if result.group_column else " (one group)"
    heading = f"{result.endpoint or 'Survival'}{by}: {result.source}"
    console.print(f"[bold]{escape(heading)}[/bold]{sim}{saved}")
    level = round(100 * (result.curves[0].conf_level if result.curves else 0.95))
    table = Table(title=f"Kaplan-Meier ({level}% CI, log scale as R survfit), times in {u}")
    for h in ("group", "n", "events", f"median ({u})", f"{level}% CI ({u})"):
        table.add_column(h, justify="left" if h == "group" else "right")
    for c in result.curves:
        table.add_row(
            escape(c.group),
            str(c.n),
            str(c.events),
            "not reached" if c.median is None else _f(c.median),
            f"{_f(c.median_lower)}-{_f(c.median_upper)}",
        )
    console.print(table)
    for lm in result.landmarks:
        console.print(
            f"  S({lm.time:g} {u}) {escape(lm.group)}: {100 * lm.survival:.1f}% "
            f"({level}% CI {100 * lm.lower:.1f}-{100 * lm.upper:.1f}%), {lm.n_risk} at risk"
        )
    for r in result.rmst:
        console.print(
            f"  RMST to {r.tau:g} {u} {escape(r.group)}: {r.rmst:.2f} {u} "
            f"({level}% CI {r.lower:.2f}-{r.upper:.2f} {u})"
        )
    if result.logrank is not None:
        lr = result.logrank
        console.print(f"Log-rank: chi-square {lr.chisq:.3f} on {lr.df} df, p = {lr.p:.4g}")
    for hr in result.hazard_ratios:
        console.print(
            escape(f"  Cox HR {hr.term}: {_hr(hr)}, p = {hr.p:.4g}  [n {hr.n}, {hr.events} events]")
        )
    if result.subgroups:
        tested = bool(result.interactions)
        sub = Table(
            title=f"Subgroup hazard ratios (vs {result.reference}, {level}% CI)"
            + (", with the treatment x subgroup interaction (Cox LR test)" if tested else "")
        )
        heads = ("subgroup", "HR (CI)", "p", "events/n", *(("interaction p",) if tested else ()))
        for h in heads:
            sub.add_column(h, justify="left" if h == "subgroup" else "right")
        shown: set[str] = set()
        for hr in result.subgroups:
            test = result.interaction(hr.term)
            first = test is not None and test.column not in shown
            if test is not None:
                shown.add(test.column)
            cells = [escape(hr.term), _hr(hr), f"{hr.p:.4g}", f"{hr.events}/{hr.n}"]
            if tested:
                cells.append(f"{_p(test.p)} ({test.df} df)" if first and test is not None else "")
            sub.add_row(*cells)
        console.print(sub)
        for test in result.interactions:
            if test.note:
                console.print(f"  note ({escape(test.column)}): {escape(test.note)}")
    for note in result.notes:
        console.print(f"  note: {escape(note)}")
