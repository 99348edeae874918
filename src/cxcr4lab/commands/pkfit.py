"""Terminal view of compartmental PK fits (kind ``pkfit``; the command, ``cxcr4lab pkfit`` and
``cxcr4lab analyze pkfit``, is declared in :mod:`cxcr4lab.runs.pkfit`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.pkfit import Estimate, PkFitResult

__all__ = ["print_result"]


def _with_ci(e: Estimate) -> str:
    if e.ci_lower is None or e.ci_upper is None:
        return f"{e.value:.4g}"
    return f"{e.value:.4g} [{e.ci_lower:.3g}, {e.ci_upper:.3g}]"


def print_result(console: Console, result: PkFitResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    from cxcr4lab.pkpd.pkfit import PKFIT_FLAGS

    s = result.settings
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]{escape(f'PK fit: {result.source}')}[/bold]{saved}\n"
        f"{len(result.subjects)} subjects; model {s.model}; weights {s.weights}; "
        "estimates with 95% CI \\[lower, upper] (log-scale, t-based)"
    )
    for route in dict.fromkeys(sub.route for sub in result.subjects):
        subjects = [sub for sub in result.subjects if sub.route == route]
        fitted = [sub for sub in subjects if sub.estimates]
        names = list(dict.fromkeys(e.name for sub in fitted for e in sub.estimates))
        extra = ["t1/2 terminal", "Vss", "AUCinf"]
        unit = {e.name: e.unit for sub in fitted for e in (*sub.estimates, *sub.secondary)}
        table = Table(
            title=f"Route {route}" + (" (CL, V, Q apparent: /F)" if route == "oral" else "")
        )
        table.add_column("subject")
        table.add_column("model")
        for n in [*names, *extra]:
            table.add_column(f"{result.label(n, route)} ({unit.get(n, '')})", justify="right")
        table.add_column("AICc", justify="right")
        table.add_column("flags")
        for sub in subjects:
            cells = []
            for n in [*names, *extra]:
                try:
                    cells.append(_with_ci(sub.estimate(n)))
                except KeyError:
                    cells.append("-")
            table.add_row(
                sub.subject,
                sub.model,
                *cells,
                "-" if sub.aicc is None else f"{sub.aicc:.2f}",
                ", ".join(sub.flags) or "-",
            )
        console.print(table)
    used = sorted({f for sub in result.subjects for f in sub.flags})
    if used:
        console.print("Flags:\n" + "\n".join(f"  {f}: {PKFIT_FLAGS[f]}" for f in used))
    notes = [f"{sub.subject}: {n}" for sub in result.subjects for n in sub.notes]
    if notes:
        console.print("Notes:\n" + "\n".join(f"  {escape(n)}" for n in notes))
