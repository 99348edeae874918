"""Terminal view of ``cxcr4lab analyze cfu`` (the kind is declared in :mod:`cxcr4lab.runs.cfu`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.assays.cfu import CfuResult

__all__ = ["print_result", "sci"]

_METHOD = {"poisson": "Poisson exact", "negbin": "neg. binomial"}


def sci(value: float | None) -> str:
    """A count per mL or per kg, ``3.9e+03`` style (``-`` if absent)."""
    return "-" if value is None else f"{value:.3g}"


def _ci(value: float | None, low: float | None, high: float | None, f: str = ".1f") -> str:
    if value is None or low is None or high is None:
        return "-"
    if f == "sci":
        return f"{sci(value)} ({sci(low)}-{sci(high)})"
    return f"{value:{f}} ({low:{f}}-{high:{f}})"


def print_result(console: Console, result: CfuResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    pct = f"{s.conf_level:.0%}"
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    n_samples = len({(e.sample, e.regimen) for e in result.samples})
    console.print(
        f"[bold]{escape(f'CFU assay: {result.source}')}[/bold]{saved}\n"
        f"{n_samples} samples, regimens: {escape(', '.join(result.regimens))} (reference "
        f"{escape(result.reference)}); total colonies: {result.total_source}; model: {s.model}"
    )
    disp = Table(title="Dishes around their sample's rate (index of dispersion, pooled)")
    for col in ("colony type", "X2", "df", "p", "CIs per sample", "why"):
        disp.add_column(col, justify="left" if col in ("colony type", "why") else "right")
    for d in result.dispersion:
        disp.add_row(
            d.colony_type,
            f"{d.chi2:.1f}",
            str(d.df),
            "-" if d.p is None else f"{d.p:.3g}",
            _METHOD[d.ci_method] + ("" if d.alpha is None else f" (alpha {d.alpha:.3g})"),
            escape(d.reason),
        )
    console.print(disp)
    per_ml = any(e.per_ml is not None for e in result.samples)
    per_kg = any(e.per_kg is not None for e in result.samples)
    units = "colonies per 10^5 MNC plated" + ", per mL blood" * per_ml + ", per kg" * per_kg
    table = Table(title=f"Per sample: {units} ({pct} CI)")
    columns = ["sample", "regimen", "type", "dishes", "colonies", "MNC plated", "per 10^5 MNC"]
    columns += ["per mL blood"] * per_ml + ["per kg"] * per_kg + ["CI"]
    for col in columns:
        table.add_column(col, justify="left" if col in ("sample", "regimen", "type") else "right")
    for e in result.samples:
        cells = [
            escape(e.sample),
            escape(e.regimen),
            e.colony_type,
            str(e.dishes),
            str(e.colonies),
            f"{e.cells_plated:.3g}",
            _ci(e.per_1e5, e.per_1e5_lower, e.per_1e5_upper),
        ]
        if per_ml:
            cells.append(_ci(e.per_ml, e.per_ml_lower, e.per_ml_upper, "sci"))
        if per_kg:
            cells.append(_ci(e.per_kg, e.per_kg_lower, e.per_kg_upper, "sci"))
        table.add_row(*cells, _METHOD[e.ci_method])
    console.print(table)
    if result.ratios:
        ratios = Table(
            title=f"Rate ratio vs {escape(result.reference)} per MNC plated ({pct} Wald CI); "
            "* the model reported"
        )
        for col in ("colony type", "regimen", "model", "rate ratio", "p"):
            ratios.add_column(col, justify="left" if col in ("colony type", "regimen") else "right")
        for r in result.ratios:
            ratios.add_row(
                r.colony_type,
                escape(r.regimen),
                r.model + (" *" if r.chosen else ""),
                _ci(r.ratio, r.lower, r.upper, ".3f"),
                f"{r.p:.3g}",
            )
        console.print(ratios)
        for f in result.fits:
            if f.model == "negbin" and f.alpha is not None:
                console.print(
                    f"{f.colony_type}: NB theta {1 / f.alpha:.3g} (alpha {f.alpha:.3g}); Poisson "
                    + next(
                        f"Pearson X2 {p.pearson_chi2:.1f} on {p.df_resid} df"
                        + ("" if p.dispersion_p is None else f", p = {p.dispersion_p:.3g}")
                        for p in result.fits
                        if p.colony_type == f.colony_type and p.model == "poisson"
                    )
                )
    for note in result.notes:
        console.print(f"[yellow]{escape(note)}[/yellow]")
