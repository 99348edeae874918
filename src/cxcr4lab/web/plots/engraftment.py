"""Figures of a NOD/SCID engraftment study: % human CD45+ per mouse by tissue and group (with
the threshold and each group's mean and CI), and the SRC frequency as ELDA's log-fraction plot
of the engrafted calls."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cxcr4lab.preclinical.engraftment import TISSUES
from cxcr4lab.web.figures import COLOURS, Figure, axis, error_bars, figure, layout
from cxcr4lab.web.plots.elda import log_fraction_figure

if TYPE_CHECKING:
    from cxcr4lab.preclinical.engraftment import EngraftmentResult

__all__ = ["figures"]

_FLOOR = 1e-3
"""% hCD45 drawn at this floor on the log axis when it is 0."""


def figures(result: EngraftmentResult) -> dict[str, Figure]:
    tissues = [t for t in TISSUES if any(m.tissue(t) for m in result.mice)]
    n = len(result.groups)
    width = 0.7 / max(n, 1)
    traces: list[dict[str, Any]] = []
    for k, g in enumerate(result.groups):
        colour = COLOURS[k % len(COLOURS)]
        offset = (k - (n - 1) / 2) * width
        for engrafted in (True, False):
            xs, ys, text = [], [], []
            for i, m in enumerate(result.mice):
                if m.group != g.group or m.engrafted != engrafted:
                    continue
                for t in m.tissues:
                    jitter = ((i * 7919) % 11 - 5) / 5 * width * 0.3  # fixed, readable spread
                    xs.append(tissues.index(t.tissue) + offset + jitter)
                    ys.append(max(t.hcd45_pct, _FLOOR))
                    text.append(
                        f"{m.mouse} ({g.group}, {m.cells:,.0f} cells): {t.hcd45_pct:g}% hCD45+; "
                        f"CD19 {t.cd19_pct:g}%, CD33 {t.cd33_pct:g}% of hCD45+"
                        f"{'; multilineage' if m.multilineage else ''}"
                    )
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{g.group} ({'engrafted' if engrafted else 'not engrafted'})",
                    "legendgroup": g.group,
                    "x": xs,
                    "y": ys,
                    "text": text,
                    "marker": {
                        "color": colour,
                        "size": 7,
                        "symbol": "circle" if engrafted else "circle-open",
                    },
                    "hovertemplate": "%{text}<extra></extra>",
                }
            )
        summaries = [
            next((s for s in result.tissue_summaries if s.group == g.group and s.tissue == t), None)
            for t in tissues
        ]
        shown = [(i, s) for i, s in enumerate(summaries) if s is not None]
        means = [s.mean_pct for _, s in shown]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{g.group} mean with CI",
                "legendgroup": g.group,
                "x": [i + offset + width * 0.45 for i, _ in shown],
                "y": means,
                "error_y": error_bars(
                    means,
                    [
                        max(s.lower_pct, _FLOOR) if math.isfinite(s.lower_pct) else None
                        for _, s in shown
                    ],
                    [s.upper_pct if math.isfinite(s.upper_pct) else None for _, s in shown],
                ),
                "marker": {"color": "black", "symbol": "line-ew-open", "size": 12},
                "hovertemplate": "mean %{y:.3g}%<extra></extra>",
            }
        )
    s = result.settings
    labels = [t.replace("_", " ") for t in tissues]
    traces.append(  # a trace, not a layout shape: shapes on a log axis take log10 positions
        {
            "type": "scatter",
            "mode": "lines",
            "name": f"threshold {s.threshold_pct:g}%",
            "x": [-0.5, len(tissues) - 0.5],
            "y": [s.threshold_pct, s.threshold_pct],
            "line": {"color": "black", "dash": "dash", "width": 1},
            "hoverinfo": "skip",
        }
    )
    chimerism = figure(
        traces,
        layout(
            f"% human CD45+ of leukocytes per mouse (filled: engrafted; dashed: {s.threshold_pct:g}%)",
            axis("tissue", tickvals=list(range(len(tissues))), ticktext=labels, zeroline=False),
            axis("% human CD45+ of leukocytes (log)", type="log"),
        ),
    )
    src = log_fraction_figure(result.src, dose_title="cells transplanted per mouse")
    return {"chimerism": chimerism, "src_frequency": src}
