"""Report section of a dosing regimen: the drug table and a chart of one cycle."""

from __future__ import annotations

from matplotlib.figure import Figure

from cxcr4lab.pkpd.regimens import Regimen
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._pkpd import render_pkpd, table

__all__ = ["regimen_figure", "render"]

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def regimen_figure(regimen: Regimen) -> Figure:
    """One cycle: a bar per dose (infusions as long as they last, boluses as ticks)."""
    fig = Figure(figsize=(8.0, 0.6 * len(regimen.drugs) + 1.2))
    ax = fig.subplots()
    for i, d in enumerate(regimen.drugs):
        colour = _COLOURS[i % len(_COLOURS)]
        width = max(d.infusion_h / 24.0, 0.06)
        spans = [(day - 1 + d.time_of_day_h / 24.0, width) for day in d.days]
        ax.broken_barh(spans, (i - 0.3, 0.6), color=colour)
    ax.set_yticks(range(len(regimen.drugs)), [f"{d.drug}\n{d.dose}" for d in regimen.drugs],
                  fontsize=7)  # fmt: skip
    ax.set_xlim(0, regimen.cycle_days)
    step = 1 if regimen.cycle_days <= 28 else 7
    days = range(1, regimen.cycle_days + 1, step)
    ax.set_xticks([d - 1 for d in days], [str(d) for d in days])
    ax.tick_params(labelsize=7)
    ax.set_xlabel(f"day of the {regimen.cycle_days}-day cycle (tick: start of the day)", fontsize=8)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def render(analysis_id: int, title: str, result: Regimen) -> str:
    meta = (
        f"{result.title or result.name}; BSA by {result.bsa_method}. "
        f"Source: {result.source or 'not stated'}."
    )
    notes = [f"{d.drug}: {d.note}" for d in result.drugs if d.note]
    return render_pkpd(
        analysis_id,
        title,
        meta,
        [table(result.summary(), "Drugs")],
        [to_svg(regimen_figure(result))],
        notes,
    )
