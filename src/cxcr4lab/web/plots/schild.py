"""Figures of a SIMULATED Schild experiment: the CXCL12 curves per antagonist concentration with
the global Gaddum/Schild fit, and the Schild plot (log10(DR - 1) against log10 [B]) with the
regression and the model's line of slope 1 through pKb."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.web.figures import COLOURS, LEGEND_BELOW, Figure, figure, finite, hline, layout

if TYPE_CHECKING:
    from cxcr4lab.studies.schild_study import SchildStudy

__all__ = ["figures"]


def _curves(study: SchildStudy) -> Figure:
    x = np.asarray(study.log10_agonist, dtype=float)
    b = np.asarray(study.antagonist, dtype=float)
    y = np.asarray(study.response, dtype=float)
    grid = np.linspace(float(x.min()), float(x.max()), 160)
    traces: list[dict[str, Any]] = []
    for i, level in enumerate(sorted(set(study.antagonist))):
        colour = COLOURS[i % len(COLOURS)]
        rows = b == level
        name = f"{level / 1e-9:g} nM"
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "legendgroup": name,
                "x": finite(10.0 ** x[rows]),
                "y": finite(y[rows]),
                "marker": {"color": colour, "size": 6},
                "hovertemplate": f"balixafortide {name}: CXCL12 %{{x:.3g}} M, response "
                "%{y:.1f}%<extra></extra>",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{name} fit",
                "legendgroup": name,
                "showlegend": False,
                "x": finite(10.0**grid),
                "y": finite(study.predict(grid, level)),
                "line": {"color": colour, "width": 1.5},
                "hoverinfo": "skip",
            }
        )
    return figure(
        traces,
        layout(
            f"SIMULATED ({study.readout}, {study.cell_line}, seed {study.seed}): global "
            f"Gaddum/Schild fit, pA2 {study.pa2:.3f}",
            {"type": "log", "title": {"text": "CXCL12 (M)"}},
            f"{study.readout} response (% of pathway max)",
            legend={"title": {"text": "balixafortide"}},
        ),
    )


def _schild_plot(study: SchildStudy) -> Figure:
    pts = [d for d in study.dose_ratios if d.dose_ratio > 1]
    lb = [math.log10(d.antagonist_molar) for d in pts]
    ly = [math.log10(d.dose_ratio - 1) for d in pts]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "observed dose ratios",
            "x": lb,
            "y": ly,
            "customdata": [[d.dose_ratio, d.gaddum_dose_ratio] for d in pts],
            "marker": {"color": COLOURS[0], "size": 10},
            "hovertemplate": "log10 [B] %{x:.2f}: DR %{customdata[0]:.3g} (Gaddum 1 + [B]/Kb "
            "%{customdata[1]:.3g})<extra></extra>",
        }
    ]
    if lb:
        span = [min(min(lb), -study.pkb) - 0.3, max(lb) + 0.3]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"model: slope 1, pKb {study.pkb:.2f}",
                "x": span,
                "y": [v + study.pkb for v in span],
                "line": {"color": "black", "dash": "dot", "width": 1.2},
            }
        )
        reg = study.regression
        if reg is not None:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"regression: slope {reg.slope:.3f}, pA2 {reg.pa2:.2f}",
                    "x": span,
                    "y": [reg.slope * (v + reg.pa2) for v in span],
                    "line": {"color": COLOURS[4], "width": 1.5},
                }
            )
    lo, hi = study.pa2_ci
    ci = "" if lo is None or hi is None else f" (95% CI {lo:.3f}-{hi:.3f})"
    return figure(
        traces,
        layout(
            f"Schild plot: pA2 {study.pa2:.3f}{ci} vs the model's pKb {study.pkb:.3f}",
            "log10 balixafortide (M)",
            "log10(DR - 1)",
            shapes=[hline(0.0, dash="solid", colour="#bbb")],
            legend=LEGEND_BELOW,
        ),
    )


def figures(result: SchildStudy) -> dict[str, Figure]:
    return {"curves": _curves(result), "schild_plot": _schild_plot(result)}
