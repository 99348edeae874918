"""Figures of the worked FORTRESS analysis: what the ORR could be (history, Phase 1b, the
sceptical prior, shrinkage), the power curve of each scenario, and where the published
difference falls among the simulated Phase 3 trials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.web.figures import (
    COLOURS,
    LEGEND_BELOW,
    Figure,
    axis,
    figure,
    finite,
    hline,
    layout,
    vline,
)

if TYPE_CHECKING:
    from cxcr4lab.clinical.fortress import FortressResult

__all__ = ["figures"]


def _beliefs(result: FortressResult) -> Figure:
    from scipy import stats

    r, n = result.phase1b_responses, result.phase1b_n
    a0, b0 = result.programme_prior
    curves = (
        ("eribulin history", result.control_prior, "#7f7f7f"),
        ("Phase 1b, Jeffreys posterior", (0.5 + r, 0.5 + n - r), COLOURS[0]),
        ("sceptical prior for add-ons", result.programme_prior, COLOURS[3]),
        (f"Phase 1b shrunk (prior + {r}/{n})", (a0 + r, b0 + n - r), COLOURS[2]),
    )
    x = np.linspace(0.0, 0.8, 321)
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": f"{label}: Beta({a:g}, {b:g})",
            "x": finite(100 * x),
            "y": finite(stats.beta.pdf(x, a, b) / 100),
            "line": {"color": colour, "width": 2},
            "hovertemplate": f"{label}: ORR %{{x:.1f}}%, density %{{y:.4f}} per % point"
            "<extra></extra>",
        }
        for label, (a, b), colour in curves
    ]
    lo, hi = result.phase1b_exact_ci
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": f"Phase 1b {r}/{n}, exact 95% CI",
            "x": [100 * r / n],
            "y": [0],
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": [100 * (hi - r / n)],
                "arrayminus": [100 * (r / n - lo)],
            },
            "marker": {"color": "black", "size": 9},
            "hovertemplate": f"Phase 1b {r}/{n}: {100 * r / n:.1f}% (exact 95% CI {100 * lo:.1f}-"
            f"{100 * hi:.1f}%)<extra></extra>",
        }
    )
    return figure(
        traces,
        layout(
            "What the ORR could be: history, Phase 1b, shrinkage (red: FORTRESS 13.0% / 13.7%)",
            axis("objective response rate (%)", range=[0, 80]),
            "density (per % point)",
            shapes=[vline(13.0, colour=COLOURS[1]), vline(13.7, dash="dash", colour=COLOURS[1])],
            legend=LEGEND_BELOW,
        ),
    )


def _power(result: FortressResult) -> Figure:
    sizes = list(result.power_n_per_arm)
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": s.name,
            "x": sizes,
            "y": finite(100 * p for p in s.power),
            "line": {"color": COLOURS[i % len(COLOURS)], "width": 1.6},
            "hovertemplate": f"{s.name}: %{{x}} per arm, P(significant benefit) %{{y:.1f}}%"
            "<extra></extra>",
        }
        for i, s in enumerate(result.scenarios)
    ]
    half = result.n_randomised // 2
    return figure(
        traces,
        layout(
            f"SIMULATED power curve, two-sided 0.05 z test (dashed: {result.n_per_arm}/arm, the "
            f"primary analysis; dotted: {half}/arm, all {result.n_randomised} randomised)",
            "patients per arm",
            axis("P(significant ORR benefit) (%)", range=[0, 102]),
            shapes=[
                vline(result.n_per_arm, dash="dash", colour="#666"),
                vline(half, colour="#666"),
                hline(2.5, dash="solid", colour="#bbb"),
            ],
            legend=LEGEND_BELOW,
            height=520,
        ),
    )


def _differences(result: FortressResult) -> Figure:
    low = result.difference_range[0]
    traces = []
    for i, s in enumerate(result.scenarios):
        counts = np.asarray(s.difference_counts, dtype=float)
        total = counts.sum()
        if total == 0:
            continue
        pairs = np.add.reduceat(counts, np.arange(0, len(counts), 2))  # 2 responders a bin
        centre = low + 2 * np.arange(len(pairs)) + 0.5
        keep = pairs > 0
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": s.name,
                "x": finite(100 * centre[keep] / result.n_per_arm),
                "y": finite(100 * pairs[keep] / total),
                "line": {"color": COLOURS[i % len(COLOURS)], "width": 1.6},
                "hovertemplate": f"{s.name}: difference %{{x:.1f}} pp in %{{y:.2f}}% of trials"
                "<extra></extra>",
            }
        )
    published = result.published_difference_pct
    return figure(
        traces,
        layout(
            f"Where the published FORTRESS result falls (black: {published:.2f} pp)",
            f"observed ORR difference, combination - eribulin (pp), {result.n_per_arm}/arm",
            axis("simulated trials (%)", rangemode="tozero"),
            shapes=[vline(published, dash="solid", colour="black"), vline(0.0, colour="#bbb")],
            legend=LEGEND_BELOW,
            height=500,
        ),
    )


def figures(result: FortressResult) -> dict[str, Figure]:
    return {
        "orr_beliefs": _beliefs(result),
        "power_curve": _power(result),
        "differences": _differences(result),
    }
