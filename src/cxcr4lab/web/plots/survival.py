"""Figures of a survival analysis: Kaplan-Meier step curves with their CI bands and censoring
marks (numbers at risk on hover), and the forest plot of the hazard ratios (overall and per
subgroup level)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, LEGEND_BELOW, Figure, axis, band, figure, finite, layout
from cxcr4lab.web.plots._clinical import forest_figure

if TYPE_CHECKING:
    from cxcr4lab.clinical.survival import KaplanMeier, SurvivalResult

__all__ = ["figures"]


def _censored(km: KaplanMeier) -> tuple[list[float], list[float], list[int]]:
    """Times, survival and count of the censored observations (those leaving the risk set
    without an event)."""
    times, surv, counts = [], [], []
    for i, t in enumerate(km.times):
        after = km.n_risk[i + 1] if i + 1 < len(km.times) else 0
        c = km.n_risk[i] - km.n_event[i] - after
        if c > 0:
            times.append(t)
            surv.append(km.survival[i])
            counts.append(c)
    return times, surv, counts


def _kaplan_meier(result: SurvivalResult) -> Figure:
    unit = result.time_unit
    traces: list[dict[str, Any]] = []
    for i, km in enumerate(result.curves):
        colour = COLOURS[i % len(COLOURS)]
        x = [0.0, *km.times]
        median = "not reached" if km.median is None else f"{km.median:.3g} {unit}"
        name = f"{km.group} (n = {km.n}, {km.events} events, median {median})"
        traces.append(
            band(x, [1.0, *km.lower], [1.0, *km.upper], colour, group=km.group, shape="hv")
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "legendgroup": km.group,
                "x": x,
                "y": finite([1.0, *km.survival]),
                "customdata": [km.n, *km.n_risk],
                "line": {"color": colour, "width": 2, "shape": "hv"},
                "hovertemplate": f"{km.group}: S(%{{x:.3g}} {unit}) = %{{y:.3f}}, "
                "%{customdata} at risk<extra></extra>",
            }
        )
        ct, cs, cn = _censored(km)
        if ct:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{km.group} censored",
                    "legendgroup": km.group,
                    "showlegend": False,
                    "x": ct,
                    "y": finite(cs),
                    "customdata": cn,
                    "marker": {"color": colour, "symbol": "line-ns-open", "size": 8},
                    "hovertemplate": f"{km.group}: %{{customdata}} censored at %{{x:.3g}} {unit}"
                    "<extra></extra>",
                }
            )
    level = round(100 * (result.curves[0].conf_level if result.curves else 0.95))
    test = ""
    if result.logrank is not None:
        test = f"; log-rank p = {result.logrank.p:.3g}"
    sim = "SIMULATED: " if result.simulated else ""
    return figure(
        traces,
        layout(
            f"{sim}{result.endpoint} by {result.group_column or 'all'}, {level}% CI bands, "
            f"ticks: censored{test}",
            axis(f"time ({unit})", rangemode="tozero"),
            axis(f"{result.endpoint or 'survival'} probability", range=[0, 1.02]),
            legend=LEGEND_BELOW,
            height=500,
        ),
    )


def figures(result: SurvivalResult) -> dict[str, Figure]:
    found = {"kaplan_meier": _kaplan_meier(result)}
    hrs = result.subgroups or result.hazard_ratios
    if hrs:
        found["forest"] = forest_figure(
            hrs,
            title=f"Cox hazard ratios of {result.endpoint}"
            + (" by subgroup" if result.subgroups else ""),
            reference=result.reference,
        )
    return found
