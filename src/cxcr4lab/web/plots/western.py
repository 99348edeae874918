"""Figures of western blot densitometry: per phospho target and compound (a drop-down), each
blot's normalised lanes with the shared curve drawn with that blot's plateaus and the blot's own
4PL dashed; and every IC50 (per blot and combined) with its CI on a log axis."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.web.figures import (
    COLOURS,
    Figure,
    axis,
    error_bars,
    figure,
    finite,
    hline,
    layout,
    selector,
)

if TYPE_CHECKING:
    from cxcr4lab.assays.western import CombinedCurve, WesternResult

__all__ = ["figures"]

_NM = 1e-9


def _ic50_text(value: float, lower: float | None, upper: float | None) -> str:
    lo = "n/a" if lower is None else f"{lower / _NM:.3g}"
    hi = "n/a" if upper is None else f"{upper / _NM:.3g}"
    return f"{value / _NM:.3g} nM ({lo}-{hi})"


def _curve_traces(result: WesternResult, c: CombinedCurve) -> list[dict[str, Any]]:
    lo_x = math.log10(c.conc_min_molar) - 1.0
    hi_x = math.log10(c.conc_max_molar) + 0.5
    x = np.linspace(lo_x + 0.3, hi_x, 160)
    conc = finite(10.0**x)
    traces: list[dict[str, Any]] = []
    for i, blot in enumerate(c.blots):
        colour = COLOURS[i % len(COLOURS)]
        group = f"{c.target} {c.compound} blot {blot}"
        lanes = [lane for lane in result.lanes if lane.blot == blot and lane.target == c.target]
        samples = [lane for lane in lanes if lane.role == "sample" and lane.compound == c.compound]
        controls = [
            (10**lo_x, lane, "vehicle (CXCL12)", "square")
            for lane in lanes
            if lane.role == "stimulated"
        ] + [(10**hi_x, lane, "unstimulated", "x") for lane in lanes if lane.role == "unstimulated"]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"blot {blot}",
                "legendgroup": group,
                "x": [lane.conc_molar for lane in samples],
                "y": finite(lane.response_pct for lane in samples),
                "text": [
                    f"blot {blot} lane {lane.lane}: {c.target}/{lane.normaliser} ratio "
                    f"{lane.ratio:.4g}"
                    for lane in samples
                ],
                "marker": {"color": colour, "size": 8},
                "hovertemplate": "%{text}<br>%{x:.3g} M: %{y:.1f}%<extra></extra>",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"blot {blot} controls",
                "legendgroup": group,
                "showlegend": False,
                "x": [x0 for x0, _, _, _ in controls],
                "y": finite(lane.response_pct for _, lane, _, _ in controls),
                "text": [f"blot {blot} lane {lane.lane}: {what}" for _, lane, what, _ in controls],
                "marker": {"color": colour, "size": 9, "symbol": [s for _, _, _, s in controls]},
                "hovertemplate": "%{text}: %{y:.1f}%<extra></extra>",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"blot {blot}: shared curve",
                "legendgroup": group,
                "showlegend": False,
                "x": conc,
                "y": finite(c.predict(blot, x)),
                "line": {"color": colour, "width": 2},
                "hovertemplate": f"shared curve, blot {blot} plateaus: %{{x:.3g}} M, %{{y:.1f}}%"
                "<extra></extra>",
            }
        )
        own = [
            b
            for b in result.blot_curves
            if (b.target, b.compound, b.blot) == (c.target, c.compound, blot)
        ]
        own_y: list[float | None] = [None] * len(conc)
        if own and own[0].fit.converged:
            with np.errstate(all="ignore"):
                own_y = finite(own[0].fit.predict(x))
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"blot {blot}: own 4PL",
                "legendgroup": group,
                "showlegend": False,
                "x": conc,
                "y": own_y,
                "line": {"color": colour, "width": 1, "dash": "dash"},
                "opacity": 0.7,
                "hovertemplate": f"blot {blot}'s own 4PL: %{{x:.3g}} M, %{{y:.1f}}%<extra></extra>",
            }
        )
    return traces


def _curves(result: WesternResult) -> Figure:
    s = result.settings
    traces: list[dict[str, Any]] = []
    groups = []
    for c in result.combined:
        these = _curve_traces(result, c)
        traces += these
        title = (
            f"{c.target}, {c.compound}: shared IC50 "
            f"{_ic50_text(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar)}; solid: shared "
            "curve with the blot's plateaus, dashed: the blot's own fit"
        )
        groups.append((f"{c.target}, {c.compound}", len(these), title))
    menu, visible = selector(groups) if groups else ({}, [])
    for trace, shown in zip(traces, visible, strict=True):
        trace["visible"] = shown
    y_title = "% of CXCL12-induced phosphorylation" if s.floor else "% of the CXCL12 + vehicle lane"
    return figure(
        traces,
        layout(
            groups[0][2] if groups else result.source,
            axis(
                "concentration (M); ■ vehicle at the left, × unstimulated at the right", type="log"
            ),
            y_title,
            updatemenus=[menu] if len(groups) > 1 else [],
            shapes=[hline(0.0, dash="solid", colour="#bbb"), hline(100.0)],
            legend={"title": {"text": "blot"}},
        ),
    )


def _potency(result: WesternResult) -> Figure:
    rows: list[tuple[str, float, float | None, float | None, str]] = []
    for c in result.combined:
        for b in result.blot_curves:
            if (b.target, b.compound) == (c.target, c.compound):
                rows.append(
                    (
                        f"{c.target} {c.compound}, blot {b.blot}",
                        b.ic50_molar,
                        b.ic50_lower_molar,
                        b.ic50_upper_molar,
                        ", ".join(b.flags),
                    )
                )
        rows.append(
            (
                f"{c.target} {c.compound}, combined",
                c.ic50_molar,
                c.ic50_lower_molar,
                c.ic50_upper_molar,
                ", ".join(c.flags),
            )
        )
    values = [v / _NM for _, v, _, _, _ in rows]
    level = round(100 * (1 - result.settings.alpha))
    return figure(
        [
            {
                "type": "scatter",
                "mode": "markers",
                "name": "IC50",
                "y": [name for name, _, _, _, _ in rows],
                "x": values,
                "error_x": error_bars(
                    values,
                    [None if lo is None else lo / _NM for _, _, lo, _, _ in rows],
                    [None if hi is None else hi / _NM for _, _, _, hi, _ in rows],
                ),
                "text": [
                    f"{_ic50_text(v, lo, hi)}" + (f" [{flags}]" if flags else "")
                    for _, v, lo, hi, flags in rows
                ],
                "marker": {
                    "color": [
                        COLOURS[1] if name.endswith("combined") else COLOURS[0]
                        for name, _, _, _, _ in rows
                    ],
                    "symbol": [
                        "diamond" if name.endswith("combined") else "circle"
                        for name, _, _, _, _ in rows
                    ],
                    "size": 10,
                },
                "hovertemplate": "%{y}: IC50 %{text}<extra></extra>",
            }
        ],
        layout(
            f"IC50 per blot and combined (red), {level}% CIs",
            axis("IC50 (nM, log scale)", type="log"),
            axis("", autorange="reversed", type="category"),
            height=max(300, 36 * len(rows) + 160),
            showlegend=False,
        ),
    )


def figures(result: WesternResult) -> dict[str, Figure]:
    return {"curves": _curves(result), "potency": _potency(result)}
