"""The terminal view of a ``safety`` result (the command, ``cxcr4lab safety ADAE --adsl ADSL``, is
generated from :mod:`cxcr4lab.runs.safety`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.clinical.safety import SafetyResult

__all__ = ["print_result"]


def print_result(console: Console, result: SafetyResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{escape(f'Adverse events: {result.source}')}[/bold]{saved}")
    for a in result.arms:
        py = "" if a.patient_years is None else f", {a.patient_years:.1f} patient-years"
        console.print(escape(f"{a.arm}: n = {a.n}{py}"))
    pct = round(100 * result.level)
    table = Table(title=f"Subjects with the event (% of arm, exact {pct}% CI)")
    for h in ("term", "arm", "any grade", "grade >= 3", "serious", "EAIR /100 PY (CI)"):
        table.add_column(h, justify="left" if h in ("term", "arm") else "right")
    for t in result.terms:
        eair = (
            "-"
            if t.eair is None or t.eair_ci is None
            else f"{t.eair:.3g} ({t.eair_ci[0]:.3g}-{t.eair_ci[1]:.3g})"
        )
        table.add_row(
            escape(t.term),
            escape(t.arm),
            f"{t.n_any} ({t.pct_any:.1f}%; {t.ci_any[0]:.1f}-{t.ci_any[1]:.1f})",
            f"{t.n_grade3} ({t.pct_grade3:.1f}%)",
            f"{t.n_serious} ({t.pct_serious:.1f}%)",
            eair,
        )
    console.print(table)
    for n in result.notes:
        console.print(f"  note: {escape(n)}")
