"""The terminal view of a stored in-vivo study (``cxcr4lab invivo``; the kind is
``runs/invivo.py``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.studies.invivo import InvivoStudyResult

__all__ = ["print_result"]

_BURDEN = {
    "volume_mm3": "tumour volume (mm^3, calipers)",
    "total_flux_p_s": "total flux (p/s, BLI)",
}


def _num(v: Any, fmt: str = ".3g") -> str:
    if v is None:
        return "-"
    if type(v).__name__ in ("bool", "bool_"):  # Python or numpy
        return "yes" if v else "no"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "-" if not math.isfinite(f) else format(f, fmt)


def _p(v: Any) -> str:
    if v is None or not math.isfinite(float(v)):
        return "-"
    return "< 0.0001" if float(v) < 1e-4 else f"{float(v):.3g}"


def _frame_table(title: str, frame: Any, columns: list[str]) -> Table:
    table = Table(title=title)
    shown = [c for c in columns if c in frame.columns]
    for col in shown:
        table.add_column(col, justify="left" if frame[col].dtype == object else "right")
    for _, row in frame.iterrows():
        table.add_row(*(_num(row[c]) if row[c] is not None else "-" for c in shown))
    return table


def print_result(console: Console, result: InvivoStudyResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    t = result.table
    design = t.design
    n_animals = len(set(t.animal_id))
    console.print(
        f"[bold]{escape(f'In-vivo study: {design.name if design else result.source}')}[/bold]"
        f"{saved}\n{n_animals} animals in {len(t.groups)} groups ({escape(', '.join(t.groups))}); "
        f"control {escape(str(t.control))}; burden: {_BURDEN.get(result.burden, result.burden)}"
    )
    eff = result.efficacy.summary()
    console.print(_frame_table("Efficacy at the analysis day", eff, list(eff.columns)))
    if result.growth is not None:
        g = result.growth.summary()
        console.print(
            _frame_table(
                "Growth (log-scale mixed model, random intercept and slope per animal)",
                g,
                list(g.columns),
            )
        )
    if result.synergy:
        table = Table(title="In-vivo synergy (SynergyLMM; CI < 1 and SS > 0: synergy)")
        for col in ("method", "day (d)", "CI", "95% CI", "synergy score", "p"):
            table.add_column(col, justify="left" if col == "method" else "right")
        for _, row in result.synergy_table().iterrows():
            table.add_row(
                str(row["method"]),
                _num(row["day"], "g"),
                _num(row["combination_index"]),
                f"{_num(row['ci_lower'])} to {_num(row['ci_upper'])}",
                _num(row["synergy_score"]),
                _p(row["p_value"]),
            )
        console.print(table)
        first = result.synergy[0]
        for r in first.reductions:
            console.print(
                f"{escape(r.group)}: burden reduction vs {escape(str(t.control))} at day "
                f"{r.day:g} {r.reduction_pct:.1f} % (95% CI {r.lower_pct:.1f} to "
                f"{r.upper_pct:.1f} %), p {_p(r.p)}"
            )
        for c in first.versus_monotherapy:
            console.print(
                f"combination vs {escape(c.monotherapy)}: growth rate difference "
                f"{c.difference:.4f} /d ({c.lower:.4f} to {c.upper:.4f}), p {_p(c.p)}; RTV ratio "
                f"{c.rtv_ratio:.2f} at day {c.day:g}"
            )
    if result.tgi is not None:
        f = result.tgi.summary()
        console.print(
            _frame_table(
                "Simeoni TGI model (fitted to "
                f"{', '.join(result.tgi.groups)}; the PK driving it is simulated)",
                f,
                list(f.columns),
            )
        )
    combo = result.tgi_combination
    if combo is not None:
        lo, hi = combo.gamma_ci
        console.print(
            f"{escape(combo.group)} vs the TGI model's additive prediction: observed / additive "
            f"{combo.observed_geomean[-1] / combo.predicted_additive[-1]:.2f} at day "
            f"{combo.days[-1]:g}; interaction gamma {combo.gamma:.3g} (L/mg)^2/day (95% CI "
            f"{_num(lo)} to {_num(hi)}), p {_p(combo.gamma_p)}: {combo.verdict}"
        )
    if result.endpoints is not None:
        f = result.endpoints.forest_table()
        console.print(
            _frame_table(
                "Endpoints vs control (multiplicity-adjusted)",
                f,
                ["label", "effect", "estimate", "lower", "upper", "p adjusted"],
            )
        )
    if result.translation is not None:
        tr = result.translation.table()
        console.print(_frame_table("Mouse-to-human translation (unbound)", tr, list(tr.columns)))
    for _, fate in t.fates().iterrows():
        if fate["status"] not in ("alive", "", None):
            console.print(
                f"[yellow]Animal {escape(str(fate['animal_id']))}[/yellow] "
                f"({escape(str(fate['group']))}): {escape(str(fate['status']))} on day "
                f"{_num(fate['last day'], 'g')}, {escape(str(fate['reason'] or ''))}"
            )
    for note in (*t.flags, *result.notes):
        console.print(f"[yellow]Note:[/yellow] {escape(note)}")
