"""Figures of a CFU assay: colonies per 10^5 MNC by colony type and regimen (the regimen rate
from the reported model as a bar with its Wald CI, each sample as a dot with its CI), and the
rate ratios vs the reference regimen on a log axis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, Figure, axis, error_bars, figure, finite, layout, vline

if TYPE_CHECKING:
    from cxcr4lab.assays.cfu import CfuResult

__all__ = ["figures"]


def _colonies(result: CfuResult) -> Figure:
    pct = f"{result.settings.conf_level:.0%}"
    traces: list[dict[str, Any]] = []
    for j, regimen in enumerate(result.regimens):
        colour = COLOURS[j % len(COLOURS)]
        rates = [r for r in result.regimen_rates if r.regimen == regimen and r.chosen]
        if rates:
            values = [r.per_1e5 for r in rates]
            traces.append(
                {
                    "type": "bar",
                    "name": f"{regimen} (model)",
                    "legendgroup": regimen,
                    "offsetgroup": str(j),
                    "x": [r.colony_type for r in rates],
                    "y": finite(values),
                    "error_y": error_bars(
                        values, [r.per_1e5_lower for r in rates], [r.per_1e5_upper for r in rates]
                    ),
                    "text": [
                        f"{r.model} GLM, {r.samples} samples, {r.colonies} colonies" for r in rates
                    ],
                    "marker": {"color": colour + "55", "line": {"color": colour, "width": 1}},
                    "hovertemplate": f"{regimen}, %{{x}}: %{{y:.3g}} per 10^5 MNC "
                    "<br>%{text}<extra></extra>",
                }
            )
        samples = [e for e in result.samples if e.regimen == regimen]
        values = [e.per_1e5 for e in samples]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{regimen} (samples)",
                "legendgroup": regimen,
                "offsetgroup": str(j),
                "x": [e.colony_type for e in samples],
                "y": finite(values),
                "error_y": error_bars(
                    values, [e.per_1e5_lower for e in samples], [e.per_1e5_upper for e in samples]
                ),
                "text": [
                    f"{e.sample}: {e.colonies} colonies on {e.dishes} dishes, "
                    f"{e.cells_plated:.3g} MNC; {e.ci_method} CI"
                    for e in samples
                ],
                "marker": {"color": colour, "size": 6},
                "hovertemplate": "%{text}<br>%{y:.3g} per 10^5 MNC<extra></extra>",
            }
        )
    return figure(
        traces,
        layout(
            f"Colonies per 10^5 MNC plated by colony type and regimen ({pct} CIs)",
            axis(
                "colony type",
                type="category",
                categoryorder="array",
                categoryarray=list(result.colony_types),
            ),
            axis("colonies per 10^5 MNC plated", rangemode="tozero"),
            barmode="group",
            scattermode="group",
        ),
    )


def _ratios(result: CfuResult) -> Figure:
    chosen = [r for r in result.ratios if r.chosen]
    labels = [f"{r.colony_type}: {r.regimen}" for r in chosen]
    values = [r.ratio for r in chosen]
    bars = error_bars(values, [r.lower for r in chosen], [r.upper for r in chosen])
    return figure(
        [
            {
                "type": "scatter",
                "mode": "markers",
                "name": "rate ratio",
                "x": finite(values),
                "y": labels,
                "error_x": bars,
                "text": [f"{r.model} GLM, p = {r.p:.3g}" for r in chosen],
                "marker": {"color": COLOURS[0], "size": 9, "symbol": "diamond"},
                "hovertemplate": "%{y}: %{x:.3f}<br>%{text}<extra></extra>",
            }
        ],
        layout(
            f"Rate ratio vs {result.reference} per MNC plated "
            f"({result.settings.conf_level:.0%} Wald CI)",
            axis(f"rate ratio (regimen / {result.reference})", type="log"),
            axis("", type="category", autorange="reversed"),
            shapes=[vline(1.0, dash="dash", colour="black")],
            height=max(300, 60 + 28 * len(chosen)),
        ),
    )


def figures(result: CfuResult) -> dict[str, Figure]:
    out = {"colonies": _colonies(result)}
    if result.ratios:
        out["rate_ratios"] = _ratios(result)
    return out
