"""Figures of a drug-combination synergy analysis: the dose-response matrix, a synergy map per
SynergyFinder model (most synergistic area outlined), a 3D synergy surface (ZIP when scored) and,
where Chou-Talalay CIs are defined, the fa-CI plot and the normalised isobologram.

A screen's first block only (its titles say so; the report section tables every block). The
concentrations are category labels, equally spaced (they include 0, so no log axis can hold
them), with the unit in the axis titles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import (
    COLOURS,
    LEGEND_BELOW,
    Figure,
    axis,
    band,
    error_bars,
    figure,
    finite,
    hline,
)
from cxcr4lab.web.figures import layout as base_layout

if TYPE_CHECKING:
    from cxcr4lab.combination.analysis import BlockAnalysis, SynergyResult
    from cxcr4lab.combination.blocks import Block
    from cxcr4lab.combination.median_effect import CheckerboardCI

__all__ = ["figures"]

MAX_RAYS = 8
"""Fixed-ratio rays drawn in the fa-CI plot (the first by dose share)."""

_LABELS = {"bliss": "Bliss", "hsa": "HSA", "loewe": "Loewe", "zip": "ZIP"}
_DIVERGING = [
    [0.0, "#2166ac"],
    [0.25, "#92c5de"],
    [0.5, "#f7f7f7"],
    [0.75, "#f4a582"],
    [1.0, "#b2182b"],
]
"""Blue (antagonism) through white (0) to red (synergy)."""


def _two_lines(title: str, detail: str) -> str:
    return f'{title}<br><span style="font-size:11px">{detail}</span>'


def _layout(
    title: str, detail: str, x: dict[str, Any], y: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """A figure's layout with a second, smaller title line."""
    out = base_layout(_two_lines(title, detail), x, y, **{"height": 500, **extra})
    out["margin"] = {**out["margin"], "t": 80}
    return out


def _labels(values: Sequence[float]) -> list[str]:
    return [f"{v:g}" for v in values]


def _axes(block: Block) -> tuple[dict[str, Any], dict[str, Any]]:
    x = axis(f"{block.drug_col} ({block.unit_c})", type="category")
    y = axis(f"{block.drug_row} ({block.unit_r})", type="category")
    return x, y


def _hover(block: Block) -> list[list[str]]:
    """Each cell's doses, for the hover."""
    return [
        [
            f"{block.drug_row} {r:g} {block.unit_r} + {block.drug_col} {c:g} {block.unit_c}"
            for c in block.conc_c_shown
        ]
        for r in block.conc_r_shown
    ]


def _matrix(rows: Sequence[Sequence[float]]) -> list[list[float | None]]:
    return [finite(row) for row in rows]


def _response(b: BlockAnalysis, prefix: str, viability: bool) -> Figure:
    block = b.block
    x, y = _axes(block)
    z = _matrix(block.response)
    small = max(block.shape) <= 16
    values = [v for row in z for v in row if v is not None]
    low = min([0.0, *values])
    high = max([100.0, *values])
    converted = " (from % viability)" if viability else ""
    reps = "mean of the replicates" if block.has_replicates else "one value per cell"
    return figure(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": _labels(block.conc_c_shown),
                "y": _labels(block.conc_r_shown),
                "text": _hover(block),
                "colorscale": "Viridis",
                "zmin": low,
                "zmax": high,
                "colorbar": {"title": {"text": "inhibition (%)"}},
                **({"texttemplate": "%{z:.0f}"} if small else {}),
                "hovertemplate": "%{text}<br>%{z:.1f} % inhibition<extra></extra>",
            }
        ],
        _layout(f"{prefix}dose-response matrix", f"% inhibition{converted}, {reps}", x, y),
    )


def _limit(b: BlockAnalysis) -> float:
    """The symmetric colour range (% inhibition) shared by the block's maps, at least 10."""
    assert b.scores is not None
    values = [
        abs(v) for m in b.scores.methods for row in m.synergy for v in row if math.isfinite(v)
    ]
    return max([10.0, *values])


def _interval(b: BlockAnalysis, method: str) -> str:
    """The bootstrap interval of a block score, as text (empty without replicates)."""
    if b.bootstrap is None:
        return ", no replicates (no bootstrap CI)"
    boot = next((m for m in b.bootstrap.methods if m.method == method), None)
    if boot is None or not (math.isfinite(boot.ci_low) and math.isfinite(boot.ci_high)):
        return ""
    level = round(100 * b.bootstrap.confidence)
    return f" ({level}% CI {boot.ci_low:.2f} to {boot.ci_high:.2f})"


def _map(b: BlockAnalysis, method: str, prefix: str) -> Figure:
    from cxcr4lab.combination.analysis import interpret

    assert b.scores is not None
    m = next(s for s in b.scores.methods if s.method == method)
    block = b.block
    x, y = _axes(block)
    lim = _limit(b)
    interval = _interval(b, method)
    shapes = []
    area = b.area(method)
    extra = ""
    if area is not None:
        shapes.append(
            {
                "type": "rect",
                "x0": area.col - 0.5,
                "x1": area.col + area.size - 0.5,
                "y0": area.row - 0.5,
                "y1": area.row + area.size - 0.5,
                "line": {"color": "black", "width": 2, "dash": "dash"},
            }
        )
        extra = f"; dashed: most synergistic area, {area.score:.2f} %"
    small = max(block.shape) <= 16
    name = _LABELS.get(method, method)
    return figure(
        [
            {
                "type": "heatmap",
                "z": _matrix(m.synergy),
                "x": _labels(block.conc_c_shown),
                "y": _labels(block.conc_r_shown),
                "text": _hover(block),
                "colorscale": _DIVERGING,
                "zmin": -lim,
                "zmax": lim,
                "colorbar": {"title": {"text": "synergy (% inhibition)"}},
                **({"texttemplate": "%{z:.1f}"} if small else {}),
                "hovertemplate": "%{text}<br>" + name + " synergy %{z:.2f} % inhibition"
                "<extra></extra>",
            }
        ],
        _layout(
            f"{prefix}{name} synergy: block mean {m.score:.2f} % inhibition, {interpret(m.score)}",
            f"observed - reference (% inhibition){interval}{extra}",
            x,
            y,
            shapes=shapes,
        ),
    )


def _surface(b: BlockAnalysis, method: str, prefix: str) -> Figure:
    assert b.scores is not None
    m = next(s for s in b.scores.methods if s.method == method)
    block = b.block
    n_r, n_c = block.shape
    lim = _limit(b)
    name = _LABELS.get(method, method)
    scene = {
        "xaxis": {
            "title": {"text": f"{block.drug_col} ({block.unit_c})"},
            "tickvals": list(range(n_c)),
            "ticktext": _labels(block.conc_c_shown),
        },
        "yaxis": {
            "title": {"text": f"{block.drug_row} ({block.unit_r})"},
            "tickvals": list(range(n_r)),
            "ticktext": _labels(block.conc_r_shown),
        },
        "zaxis": {"title": {"text": "synergy (% inhibition)"}},
        "camera": {"eye": {"x": -1.6, "y": -1.6, "z": 1.0}},
    }
    return {
        "data": [
            {
                "type": "surface",
                "z": _matrix(m.synergy),
                "x": list(range(n_c)),
                "y": list(range(n_r)),
                "text": _hover(block),
                "colorscale": _DIVERGING,
                "cmin": -lim,
                "cmax": lim,
                "colorbar": {"title": {"text": "synergy (% inhibition)"}},
                "hovertemplate": "%{text}<br>" + name + " synergy %{z:.2f} % inhibition"
                "<extra></extra>",
            }
        ],
        "layout": {
            "title": {
                "text": _two_lines(
                    f"{prefix}{name} synergy surface: block mean {m.score:.2f} % inhibition",
                    "concentrations equally spaced; drag to turn",
                ),
                "font": {"size": 14},
            },
            "scene": scene,
            "height": 580,
            "margin": {"t": 80, "r": 20, "l": 0, "b": 0},
        },
    }


def _ratio(name: str) -> str:
    return name.rsplit(" = ", 1)[-1]


def _doses(chou: CheckerboardCI, doses: Sequence[float | None]) -> str:
    shown = ("-" if d is None else f"{d:g}" for d in doses)
    return " + ".join(f"{drug} {d} {chou.unit}" for drug, d in zip(chou.drugs, shown, strict=True))


def _fa_ci(chou: CheckerboardCI, prefix: str) -> Figure | None:
    """CI against fa: the wells at their observed fa with their intervals, each fixed-ratio
    ray's fa-CI curve with its band, and the line CI = 1. None when no CI is defined."""
    level = round(100 * (1 - chou.alpha))
    a, b = chou.drugs
    traces: list[dict[str, Any]] = []
    for k, ray in enumerate(chou.rays[:MAX_RAYS]):
        if not any(v is not None for v in ray.fa_ci.ci):
            continue
        colour = COLOURS[k % len(COLOURS)]
        group = f"ray {_ratio(ray.name)}"
        if any(v is not None for v in ray.fa_ci.lower):
            traces.append(band(ray.fa_ci.fa, ray.fa_ci.lower, ray.fa_ci.upper, colour, group=group))
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"ray {a}:{b} = {_ratio(ray.name)}",
                "legendgroup": group,
                "x": list(ray.fa_ci.fa),
                "y": finite(ray.fa_ci.ci),
                "line": {"color": colour, "width": 2},
                "hovertemplate": "fa %{x:.2f}: CI %{y:.3g}<extra>" + group + "</extra>",
            }
        )
    cells = [c for c in chou.cells if c.ci is not None]
    if cells:
        values = [c.ci for c in cells]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"wells, observed fa ({level}% CI)",
                "x": [c.fa for c in cells],
                "y": finite(values),
                "error_y": error_bars(
                    values, [c.ci_lower for c in cells], [c.ci_upper for c in cells]
                ),
                "text": [_doses(chou, c.doses) for c in cells],
                "marker": {"color": "black", "size": 6},
                "hovertemplate": "%{text}<br>fa %{x:.3f}, CI %{y:.3g}<extra></extra>",
            }
        )
    if not traces:
        return None
    shown = [v for c in cells if (v := c.ci) is not None and math.isfinite(v)]
    shown += [
        v
        for ray in chou.rays[:MAX_RAYS]
        for v in ray.fa_ci.ci
        if v is not None and math.isfinite(v)
    ]
    top = max([1.5, *(1.15 * v for v in shown)])
    more = f" (first {MAX_RAYS} of {len(chou.rays)} rays)" if len(chou.rays) > MAX_RAYS else ""
    return figure(
        traces,
        _layout(
            f"{prefix}fa-CI plot (Chou-Talalay): CI < 1 synergy, > 1 antagonism",
            f"wells at their observed fa and fixed-ratio rays{more}; {level}% delta-method "
            "intervals; dashed: CI = 1",
            axis("fa (fraction affected = % inhibition / 100)", range=[0, 1]),
            axis("combination index CI (unitless)", range=[0, top]),
            height=520,
            shapes=[hline(1.0, dash="dash", colour="#444")],
        ),
    )


def _isobologram(chou: CheckerboardCI, prefix: str) -> Figure | None:
    """Each well at ``(d_a/Dx_a, d_b/Dx_b)``, coloured by fa; the additive line x + y = 1."""
    x, y = chou.normalized_isobologram()
    a, b = chou.drugs
    keep = [k for k in range(len(chou.cells)) if math.isfinite(x[k]) and math.isfinite(y[k])]
    if not keep:
        return None
    cells = [chou.cells[k] for k in keep]
    xs = [float(x[k]) for k in keep]
    ys = [float(y[k]) for k in keep]
    top = max(1.2, 1.08 * max(*xs, *ys))
    return figure(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "additive: x + y = 1",
                "x": [0.0, 1.0],
                "y": [1.0, 0.0],
                "line": {"color": "#444", "dash": "dash", "width": 1.5},
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "wells",
                "x": xs,
                "y": ys,
                "text": [
                    f"{_doses(chou, c.doses)}, fa {c.fa:.3f}"
                    + (f", CI {c.ci:.3g}" if c.ci is not None else "")
                    for c in cells
                ],
                "marker": {
                    "color": [c.fa for c in cells],
                    "colorscale": "Viridis",
                    "cmin": 0,
                    "cmax": 1,
                    "size": 8,
                    "line": {"width": 0.5, "color": "#333"},
                    "colorbar": {"title": {"text": "fa"}},
                },
                "hovertemplate": "%{text}<br>x %{x:.3g}, y %{y:.3g}<extra></extra>",
            },
        ],
        _layout(
            f"{prefix}normalised isobologram",
            "each well's doses over the doses alone giving its fa; below the line x + y = 1: "
            "synergy, above: antagonism",
            axis(
                f"d({a}) / Dx({a}): dose in the combination / alone for the same fa", range=[0, top]
            ),
            axis(f"d({b}) / Dx({b})", range=[0, top]),
            showlegend=True,
            legend=LEGEND_BELOW,
            height=560,
        ),
    )


def figures(result: SynergyResult) -> dict[str, Figure]:
    if not result.blocks:
        return {}
    b = result.blocks[0]
    n = len(result.blocks)
    prefix = f"Block {b.block_id} (first of {n} blocks): " if n > 1 else f"{b.block_id}: "
    out = {"response_matrix": _response(b, prefix, result.response_kind == "viability")}
    if b.scores is not None:
        methods = [m.method for m in b.scores.methods]
        for method in methods:
            out[f"{method}_synergy"] = _map(b, method, prefix)
        out["synergy_surface"] = _surface(b, "zip" if "zip" in methods else methods[0], prefix)
    if b.chou is not None:
        fa_ci = _fa_ci(b.chou, prefix)
        if fa_ci is not None:
            out["combination_index"] = fa_ci
        iso = _isobologram(b.chou, prefix)
        if iso is not None:
            out["isobologram"] = iso
    return out
