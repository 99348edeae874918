"""What the clinical kinds' figures share: the forest plot of hazard ratios."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cxcr4lab.web.figures import COLOURS, Figure, axis, error_bars, figure, layout, vline

if TYPE_CHECKING:
    from cxcr4lab.clinical.survival import HazardRatio

__all__ = ["forest_figure"]


def forest_figure(
    hrs: Sequence[HazardRatio], *, title: str, reference: str | None = None, level: float = 0.95
) -> Figure:
    """Hazard ratios with their CIs on a log axis, one row per term (first at the top), a
    dashed line at 1; hover gives HR (CI), p and events/n."""
    pct = round(100 * level)
    values = [h.hr for h in hrs]
    text = [
        f"{h.term}: HR {h.hr:.3g} ({pct}% CI {h.lower:.3g}-{h.upper:.3g}), p = {h.p:.3g}"
        + (f", {h.events}/{h.n} events" if h.n else "")
        for h in hrs
    ]
    ref = f" vs {reference}" if reference else ""
    return figure(
        [
            {
                "type": "scatter",
                "mode": "markers",
                "name": "hazard ratio",
                "x": values,
                "y": [h.term for h in hrs],
                "text": text,
                "error_x": error_bars(values, [h.lower for h in hrs], [h.upper for h in hrs]),
                "marker": {"color": COLOURS[0], "symbol": "square", "size": 10},
                "hovertemplate": "%{text}<extra></extra>",
            }
        ],
        layout(
            title,
            axis(f"hazard ratio{ref}, {pct}% CI (log scale; < 1: lower hazard)", type="log"),
            axis("", autorange="reversed", type="category"),
            shapes=[vline(1.0, dash="dash")],
            height=max(300, 42 * len(hrs) + 160),
            showlegend=False,
        ),
    )
