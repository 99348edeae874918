"""The terminal view of a ``response`` result (the command, ``cxcr4lab response ADRS [--adsl ADSL]
[--tr TR]``, is generated from :mod:`cxcr4lab.runs.response`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.clinical.response import FisherTest, ResponseResult

__all__ = ["print_result"]


def _ci(lo: float, hi: float) -> str:
    return f"{100 * lo:.1f}-{100 * hi:.1f}"


def _fisher(name: str, f: FisherTest | None) -> str:
    if f is None:
        return ""
    orr = "n/a" if f.odds_ratio is None else f"{f.odds_ratio:.3g}"
    ci = "" if f.ci_low is None else f" (95% CI {f.ci_low:.3g}-{f.ci_high:.3g})"
    return f"{name}: Fisher exact p = {f.p_value:.3g}; conditional MLE odds ratio {orr}{ci}"


def print_result(console: Console, result: ResponseResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{escape(f'Response rates: {result.source}')}[/bold]{saved}")
    pct = round(100 * result.level)
    table = Table(title=f"Best overall response (RECIST 1.1); exact {pct}% CIs")
    for h in ("arm", "n", "CR", "PR", "SD", "PD", "NE", "ORR (%)", "CI (%)", "CBR (%)", "CI (%)"):
        table.add_column(h, justify="left" if h == "arm" else "right")
    for a in result.arms:
        c = a.counts
        table.add_row(
            escape(a.arm),
            str(a.n),
            *(str(c.get(k, 0)) for k in ("CR", "PR", "SD", "PD", "NE")),
            f"{100 * a.orr:.1f}",
            _ci(*a.orr_ci),
            f"{100 * a.cbr:.1f}",
            _ci(*a.cbr_ci),
        )
    console.print(table)
    console.print(f"CBR: CR, PR or SD lasting >= {result.cbr_days / 7:g} weeks.")
    for line in (_fisher("ORR", result.fisher_orr), _fisher("CBR", result.fisher_cbr)):
        if line:
            console.print(escape(line))
    d = result.orr_difference
    if d is not None:
        method = "Miettinen-Nurminen" if d.method == "miettinen-nurminen" else "Newcombe"
        console.print(
            escape(
                f"ORR difference {d.arm_a} - {d.arm_b}: {100 * d.difference:+.1f} pp "
                f"({round(100 * d.level)}% {method} CI {100 * d.lower:+.1f} to "
                f"{100 * d.upper:+.1f} pp); {d.k_a}/{d.n_a} vs {d.k_b}/{d.n_b}"
            )
        )
    if result.cmh_orr is not None:
        m = result.cmh_orr
        console.print(
            f"ORR across strata: CMH X2 = {m.statistic:.4g}, p = {m.p_value:.3g}; MH common odds "
            f"ratio {m.odds_ratio:.3g} (95% CI {m.ci_low:.3g}-{m.ci_high:.3g})"
        )
    for n in result.notes[:10]:
        console.print(f"  note: {escape(n)}")
    if len(result.notes) > 10:
        console.print(f"  ... and {len(result.notes) - 10} more notes")
