"""Terminal view of a simulated Schild experiment (kind ``schild``); the command is
``cxcr4lab receptor schild``, declared in :mod:`cxcr4lab.runs.schild`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.studies.schild_study import SchildStudy

__all__ = ["print_result"]


def _g(v: float | None, digits: int = 4) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def _f(v: float | None) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.3f}"


def print_result(console: Console, result: SchildStudy, analysis_id: int | None) -> None:
    """pA2 and Schild slope with 95 % CIs against the model, and the dose ratios."""
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    levels = ", ".join(f"{b / 1e-9:g}" for b in sorted(set(result.antagonist)))
    console.print(
        f"[bold]Schild experiment, {result.readout} ({result.cell_line})[/bold] [SIMULATED data, "
        f"seed {result.seed}, noise {result.noise_pct:g} %]{saved}"
    )
    console.print(f"balixafortide {levels} nM; model Kb {_g(result.kb_molar / 1e-9, 3)} nM")
    lo, hi = result.pa2_ci
    inside = "[green]inside[/green]" if result.pkb_in_ci else "[red]outside[/red]"
    console.print(
        f"pA2 {result.pa2:.3f} (95% CI {_f(lo)}-{_f(hi)}) vs model pKb {result.pkb:.3f}: {inside}"
        f" the CI; Schild slope {result.schild_slope:.3f}"
    )
    table = Table(title="Estimates (95% CI) against the model")
    for h in ("estimate", "value", "95% CI", "CI method", "model", "in CI"):
        table.add_column(h, justify="left" if h in ("estimate", "CI method") else "right")
    for _, r in result.summary().iterrows():
        lo_, hi_ = r["95% CI lower"], r["95% CI upper"]
        ci = "n/a" if lo_ is None or not math.isfinite(lo_) else f"{_f(lo_)}-{_f(hi_)}"
        flag = r["model value in CI"]
        shown = "-" if flag is None else ("[green]yes[/green]" if flag else "[red]no[/red]")
        table.add_row(
            str(r["estimate"]), _f(r["value"]), ci, str(r["CI method"]) or "-",
            _f(r["model value"]), shown,
        )  # fmt: skip
    console.print(table)
    ratios = Table(title="Dose ratios (separate 4PL fits) and Gaddum's 1 + [B]/Kb")
    frame = result.dose_ratio_table()
    for c in frame.columns:
        ratios.add_column(str(c), justify="right")
    for row in frame.itertuples(index=False):
        ratios.add_row(*(_g(v) for v in row))
    console.print(ratios)
