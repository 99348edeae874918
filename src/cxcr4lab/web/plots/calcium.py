"""Figures of a calcium flux plate: inhibition curves, the agonist curve, the mean dF/F0 traces
and the heatmap of the analysed readout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, Figure, finite, vline
from cxcr4lab.web.plots._plate import inhibition_figures

if TYPE_CHECKING:
    from cxcr4lab.assays.calcium import CalciumResult

__all__ = ["figures"]

_NM = 1e-9


def _traces(result: CalciumResult) -> Figure:
    """Mean dF/F0 traces: one colour per compound (or control), fainter at lower concentration."""
    groups: dict[str, list[Any]] = {}
    for g in result.traces:
        groups.setdefault(g.compound or g.role, []).append(g)
    traces = []
    for i, (what, members) in enumerate(groups.items()):
        members = sorted(members, key=lambda g: -(g.conc_molar or 0.0))
        for k, g in enumerate(members):
            conc = "" if g.conc_molar is None else f" {g.conc_molar / _NM:.3g} nM"
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{what}{conc} (n={g.n_wells})",
                    "legendgroup": what,
                    "x": list(result.times_s),
                    "y": finite(g.dff0),
                    "line": {"width": 1.5, "color": COLOURS[i % len(COLOURS)]},
                    "opacity": 1.0 - 0.65 * k / max(len(members) - 1, 1),
                }
            )
    injection = result.settings.injection_s
    return {
        "data": traces,
        "layout": {
            "title": {
                "text": f"Mean dF/F0 per condition (injection at {injection:g} s; "
                "fainter = lower concentration)"
            },
            "xaxis": {"title": {"text": "time (s)"}},
            "yaxis": {"title": {"text": "dF/F0"}},
            "shapes": [vline(injection)],
            "height": 460,
            "margin": {"t": 50, "r": 20},
        },
    }


def figures(result: CalciumResult) -> dict[str, Figure]:
    unit = "dF/F0 peak" if result.settings.readout == "peak" else "dF/F0 AUC (s)"
    found = inhibition_figures(result, unit)
    heatmap = found.pop("heatmap")
    return {**found, "traces": _traces(result), "heatmap": heatmap}
