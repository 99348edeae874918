"""The terminal view of a stored curve comparison; the kind is ``runs/compare.py``
(``cxcr4lab compare CURVES.csv``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.fit.comparison import CurveComparison

__all__ = ["p_text", "print_result"]


def _num(v: float | None, digits: int = 4) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def _ci(lo: float | None, hi: float | None) -> str:
    return f"{_num(lo)} – {_num(hi)}"


def _p(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}"


def p_text(p: float | None) -> str:
    """``p = 0.0123`` or ``p < 0.0001``."""
    shown = _p(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def print_result(console: Console, result: CurveComparison, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    level = round(100 * (1 - result.alpha))
    console.print(
        f"[bold]{escape(f'Compare {result.compared}: {result.source} ({result.model})')}"
        f"[/bold]{saved}"
    )
    verdict = (
        f"the curves differ in {result.compared}"
        if result.preferred == "separate"
        else f"one shared {result.compared} fits as well"
    )
    console.print(
        escape(
            f"Extra-sum-of-squares F test, shared vs separate {result.compared}: "
            f"F = {_num(result.f_statistic)} on {result.df_numerator} and "
            f"{result.df_denominator} df, {p_text(result.p_value)}: {verdict} "
            f"(alpha {result.alpha:g}). AICc shared {_num(result.aicc_shared, 5)}, separate "
            f"{_num(result.aicc_separate, 5)}."
        )
    )
    if result.fixed:
        console.print(
            escape("Every curve: fixed " + ", ".join(f"{n} = {v:g}" for n, v in result.fixed) + ".")
        )
    if not result.converged:
        console.print("[yellow]caution:[/yellow] a joint fit did not converge.")
    j = result.param_names.index(result.compared)
    unit = escape(result.unit)
    table = Table(
        title=escape(f"Per curve (separate fit; {level}% CIs; reference {result.reference})")
    )
    columns = [
        "curve",
        "n",
        escape(result.compared),
        f"{level}% CI",
        f"IC50 ({unit})",
        f"{level}% CI ({unit})",
        "fold shift",
        f"{level}% CI",
        "rel. potency",
        "p (no difference)",
    ]
    for col in columns:
        table.add_column(col, justify="left" if col == "curve" else "right")
    for c in result.curves:
        is_ref = c.curve_id == result.reference
        table.add_row(
            escape(c.curve_id) + (" (ref)" if is_ref else ""),
            str(c.n),
            _num(c.values[j]),
            _ci(c.lower[j], c.upper[j]),
            _num(c.ic50),
            _ci(c.ic50_lower, c.ic50_upper),
            "1" if is_ref else _num(c.fold),
            "-" if is_ref else _ci(c.fold_lower, c.fold_upper),
            "1" if is_ref else _num(c.relative_potency),
            "-" if is_ref else _p(c.difference_p),
        )
    console.print(table)
    console.print(
        escape(
            f"Shared fit: {result.compared} = {_num(result.shared_value)} "
            f"({level}% CI {_ci(result.shared_lower, result.shared_upper)})."
        )
    )
