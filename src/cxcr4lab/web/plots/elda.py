"""Figures of a limiting-dilution analysis: ELDA's log-fraction plot (log fraction of negative
recipients against dose, fitted single-hit lines with their CIs) and the frequencies with CIs."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, Figure, axis, error_bars, figure, layout

if TYPE_CHECKING:
    from cxcr4lab.preclinical.elda import EldaResult

__all__ = ["figures", "log_fraction_figure"]


def log_fraction_figure(
    result: EldaResult, *, dose_title: str = "dose (cells per recipient)"
) -> Figure:
    """Points per dose (an all-positive dose at positive - 0.5, a down triangle, as statmod), the
    fitted line through the origin (solid) and its CI ends (dashed), per group."""
    traces: list[dict[str, Any]] = []
    dmax = max(r.dose for r in result.rows)
    for k, g in enumerate(result.groups):
        colour = COLOURS[k % len(COLOURS)]
        rows = [r for r in result.rows if r.group == g.group]
        ys = [
            math.log(1 - (r.positive - (0.5 if r.positive == r.tested else 0.0)) / r.tested)
            for r in rows
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": g.group,
                "legendgroup": g.group,
                "x": [r.dose for r in rows],
                "y": ys,
                "text": [f"{r.positive}/{r.tested} positive" for r in rows],
                "marker": {
                    "color": colour,
                    "symbol": [
                        "triangle-down-open" if r.positive == r.tested else "circle-open"
                        for r in rows
                    ],
                    "size": 9,
                },
                "hovertemplate": f"{g.group}: %{{x:,}} cells, %{{text}}<extra></extra>",
            }
        )
        for value, dash, label in (
            (g.estimate, "solid", "fit"),
            (g.lower, "dash", "CI"),
            (g.upper, "dash", "CI"),
        ):
            slope = 0.0 if math.isinf(value) else -1.0 / value
            shown = "∞" if math.isinf(value) else f"{value:,.0f}"
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": [0.0, dmax],
                    "y": [0.0, slope * dmax],
                    "line": {"color": colour, "dash": dash, "width": 2 if dash == "solid" else 1},
                    "legendgroup": g.group,
                    "showlegend": False,
                    "name": f"{g.group} {label}",
                    "hovertemplate": f"{g.group} {label}: 1 in {shown} cells<extra></extra>",
                }
            )
    level = f"{100 * result.settings.confidence:g}%"
    return figure(
        traces,
        layout(
            f"Log fraction non-responding; single-hit fits (solid) with {level} CIs (dashed)",
            axis(dose_title, rangemode="tozero"),
            "log fraction non-responding",
        ),
    )


def figures(result: EldaResult) -> dict[str, Figure]:
    finite = [g for g in result.groups if math.isfinite(g.estimate)]
    level = f"{100 * result.settings.confidence:g}%"
    frequencies = figure(
        [
            {
                "type": "scatter",
                "mode": "markers",
                "x": [g.group for g in finite],
                "y": [g.estimate for g in finite],
                "error_y": error_bars(
                    [g.estimate for g in finite],
                    [g.upper for g in finite],
                    [g.lower for g in finite],
                ),
                "marker": {"color": COLOURS[0], "size": 10},
                "hovertemplate": "%{x}: 1 in %{y:,.0f} cells<extra></extra>",
            }
        ],
        layout(
            f"Cells per active cell (1/frequency) with {level} CIs",
            axis("group", type="category"),
            axis("1 in ... cells", type="log"),
        ),
    )
    return {"log_fraction": log_fraction_figure(result), "frequencies": frequencies}
