"""Figures of a survival analysis: Kaplan-Meier step curves with their CI bands, censoring marks
('+' at each censored time, counts on hover) and a numbers-at-risk table under the curves, and
the forest plot of the hazard ratios (overall and per subgroup level) with the treatment x
subgroup interaction p-value of each subgroup column."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, LEGEND_BELOW, Figure, axis, band, figure, finite, layout
from cxcr4lab.web.plots._clinical import forest_figure

if TYPE_CHECKING:
    from cxcr4lab.clinical.survival import SurvivalResult

__all__ = ["figures"]

_TABLE = 0.2
"""The share of the figure's height given to the numbers-at-risk table."""


def _kaplan_meier(result: SurvivalResult) -> Figure:
    from cxcr4lab.clinical.survival import risk_times

    unit = result.time_unit
    traces: list[dict[str, Any]] = []
    t_max = max((c.times[-1] for c in result.curves if c.times), default=1.0)
    ticks = list(risk_times(t_max))
    right = max(t_max, ticks[-1])
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
        ct, cs, cn = km.censored()
        if ct:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{km.group} censored",
                    "legendgroup": km.group,
                    "showlegend": False,
                    "x": list(ct),
                    "y": finite(cs),
                    "customdata": list(cn),
                    "marker": {"color": colour, "symbol": "cross-thin-open", "size": 9},
                    "hovertemplate": f"{km.group}: %{{customdata}} censored at %{{x:.3g}} {unit}"
                    "<extra></extra>",
                }
            )
        traces.append(
            {
                "type": "scatter",
                "mode": "text",
                "name": f"{km.group} at risk",
                "legendgroup": km.group,
                "showlegend": False,
                "x": ticks,
                "y": [km.group] * len(ticks),
                "text": [str(km.n_at_risk(t)) for t in ticks],
                "textfont": {"color": colour, "size": 11},
                "yaxis": "y2",
                "hovertemplate": f"{km.group}: %{{text}} at risk at %{{x:.3g}} {unit}"
                "<extra></extra>",
            }
        )
    level = round(100 * (result.curves[0].conf_level if result.curves else 0.95))
    test = ""
    if result.logrank is not None:
        test = f"; log-rank p = {result.logrank.p:.3g}"
    sim = "SIMULATED: " if result.simulated else ""
    endpoint = result.endpoint or "survival"
    groups = [c.group for c in result.curves]
    return figure(
        traces,
        layout(
            f"{sim}{endpoint} by {result.group_column or 'all'}, {level}% CI bands, "
            f"+: censored{test}",
            axis(
                f"time ({unit})",
                range=[-0.03 * right, 1.03 * right],
                tickvals=ticks,
                zeroline=False,
            ),
            axis(f"{endpoint} probability", range=[0, 1.02], domain=[_TABLE + 0.16, 1.0]),
            yaxis2=axis(
                "",
                domain=[0.0, _TABLE],
                anchor="x",
                type="category",
                categoryorder="array",
                categoryarray=groups,
                range=[len(groups) - 0.5, -0.5],
                showgrid=False,
                zeroline=False,
                ticks="",
            ),
            annotations=[
                {
                    "text": f"number at risk (time in {unit})",
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.0,
                    "y": _TABLE + 0.02,
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 11},
                }
            ],
            legend=LEGEND_BELOW,
            height=560 + 20 * len(groups),
        ),
    )


def _forest(result: SurvivalResult) -> Figure:
    hrs = result.subgroups or result.hazard_ratios
    found = forest_figure(
        hrs,
        title=f"Cox hazard ratios of {result.endpoint or 'survival'}"
        + (" by subgroup" if result.subgroups else ""),
        reference=result.reference,
    )
    if not result.interactions:
        return found
    notes: list[dict[str, Any]] = []
    shown: set[str] = set()
    for h in result.subgroups:
        test = result.interaction(h.term)
        if test is None or test.column in shown:
            continue
        shown.add(test.column)
        p = "NA" if test.p != test.p else f"{test.p:.3g}"
        notes.append(
            {
                "text": f"interaction p = {p}",
                "xref": "paper",
                "yref": "y",
                "x": 1.0,
                "y": h.term,
                "xanchor": "right",
                "yanchor": "bottom",
                "yshift": 6,
                "showarrow": False,
                "font": {"size": 11, "color": "#555"},
                "hovertext": f"{test.column}: treatment x subgroup LR chi-square "
                f"{test.chisq:.3g} on {test.df} df (Cox), n = {test.n}",
            }
        )
    found["layout"]["annotations"] = [*found["layout"].get("annotations", []), *notes]
    found["layout"]["title"]["text"] += "; interaction p: Cox LR test of arm x subgroup"
    return found


def figures(result: SurvivalResult) -> dict[str, Figure]:
    found = {"kaplan_meier": _kaplan_meier(result)}
    if result.subgroups or result.hazard_ratios:
        found["forest"] = _forest(result)
    return found
