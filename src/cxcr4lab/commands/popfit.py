"""Terminal view of a population PK fit (kind ``popfit``; the command, ``cxcr4lab popfit``, is
declared in :mod:`cxcr4lab.runs.popfit`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.popfit_results import PopEstimate, PopFitResult

__all__ = ["print_result"]


def _num(v: float | None, digits: int = 4) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def _ci(e: PopEstimate) -> str:
    if e.ci_lower is None or e.ci_upper is None:
        return "-"
    return f"{e.ci_lower:.3g} - {e.ci_upper:.3g}"


def print_result(console: Console, result: PopFitResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s, f = result.settings, result.fit
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    stats = result.fit_statistics()
    console.print(
        f"[bold]{escape(f'Population PK: {result.source}')}[/bold]{saved}\n"
        f"{f.n_subjects} subjects, {f.n_obs} observations ({result.n_blq} BLQ, M3), "
        f"{result.n_doses} doses; model {s.model}; {s.method}; error {s.error}; "
        f"omega {s.omega}\n"
        f"OFV (-2 log L) {stats['ofv']:.3f} (NONMEM's, without N log 2pi: "
        f"{stats['ofv_nonmem']:.3f}); AIC {stats['aic']:.2f}; BIC {stats['bic']:.2f}; "
        f"condition number {_num(stats['condition_number'])}; "
        f"{'converged' if f.converged else 'NOT converged'}"
    )
    table = Table(title=f"Estimates ({100 * f.level:g}% CI; SE by the {f.covariance_method})")
    for name, justify in (
        ("parameter", "left"),
        ("estimate", "right"),
        ("unit", "left"),
        ("RSE %", "right"),
        ("95% CI", "right"),
        ("CV % / shr. %", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in result.estimates:
        extra = "-"
        if e.cv_percent is not None:
            extra = f"{e.cv_percent:.1f}"
            if e.shrinkage_percent is not None:
                extra += f" / {round(e.shrinkage_percent)}"
        table.add_row(escape(e.name), _num(e.value), e.unit, _num(e.rse_percent, 3), _ci(e), extra)
    console.print(table)
    if result.diagnostics_summary:
        console.print(
            "Diagnostics: " + "; ".join(f"{k} {_num(v, 3)}" for k, v in result.diagnostics_summary)
        )
    if f.flags:
        console.print(f"[yellow]Flags: {', '.join(f.flags)}[/yellow]")
    for note in result.notes:
        console.print(f"  {escape(note)}")
