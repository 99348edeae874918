"""Figures of a curve comparison: each curve's points with its separate fit (solid) and the fit
with one shared parameter (dashed), zero doses at the left edge; and the compared parameter per
curve with its CI beside the shared value."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.web.figures import COLOURS, Figure, axis, error_bars, figure, finite, layout

if TYPE_CHECKING:
    from cxcr4lab.fit.comparison import CurveComparison

__all__ = ["figures"]


def _fmt(v: float | None, digits: int = 4) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def _curves(result: CurveComparison) -> Figure:
    from cxcr4lab.core.units import molar_factor
    from cxcr4lab.fit import get_model

    model = get_model(result.model)
    per_molar = molar_factor(result.unit)  # mol/L per unit of the stored concentrations
    positive = [c for e in result.curves for c in e.conc if c > 0]
    lo = math.log10(min(positive)) - 0.7 if positive else -1.0
    hi = math.log10(max(positive)) + 0.5 if positive else 1.0
    x = np.linspace(lo + 0.2, hi, 200)
    molar = 10.0**x * per_molar
    mx = np.log10(molar) if model.x_is_log10 else molar
    edge = 10.0**lo
    unit = result.unit
    traces: list[dict[str, Any]] = []
    for i, e in enumerate(result.curves):
        colour = COLOURS[i % len(COLOURS)]
        name = e.curve_id + (" (reference)" if e.curve_id == result.reference else "")
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "legendgroup": e.curve_id,
                "x": [c if c > 0 else edge for c in e.conc],
                "y": finite(e.response),
                "text": [f"{c:g} {unit}" if c > 0 else "zero dose" for c in e.conc],
                "marker": {"color": colour, "size": 6, "opacity": 0.8},
                "hovertemplate": f"{e.curve_id}: %{{text}}, response %{{y:.4g}}<extra></extra>",
            }
        )
        for values, dash, which in (
            (e.values, "solid", "separate fit"),
            (e.shared_values, "dash", f"shared {result.compared}"),
        ):
            with np.errstate(all="ignore"):
                y = model.f(mx, np.asarray(values, dtype=float))
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{e.curve_id}: {which}",
                    "legendgroup": e.curve_id,
                    "showlegend": False,
                    "x": finite(10.0**x),
                    "y": finite(y),
                    "line": {"color": colour, "width": 2 if dash == "solid" else 1.3, "dash": dash},
                    "hovertemplate": f"{e.curve_id}, {which}: %{{x:.3g}} {unit}, %{{y:.4g}}"
                    "<extra></extra>",
                }
            )
    verdict = (
        f"the curves differ in {result.compared}"
        if result.preferred == "separate"
        else f"one shared {result.compared} fits as well"
    )
    return figure(
        traces,
        layout(
            f"{result.compared}: separate (solid) vs shared (dashed); F = "
            f"{_fmt(result.f_statistic)}, p = {_fmt(result.p_value, 3)}: {verdict}",
            axis(f"concentration ({unit}); zero dose at the left edge", type="log"),
            "response",
            legend={"title": {"text": "curve"}},
        ),
    )


def _parameter(result: CurveComparison) -> Figure:
    j = result.param_names.index(result.compared)
    level = round(100 * (1 - result.alpha))
    values = [e.values[j] for e in result.curves]
    ids = [e.curve_id for e in result.curves]
    fold = [
        "reference"
        if e.curve_id == result.reference
        else f"fold shift {_fmt(e.fold, 3)} "
        f"({_fmt(e.fold_lower, 3)}-{_fmt(e.fold_upper, 3)}), p = {_fmt(e.difference_p, 3)}"
        for e in result.curves
    ]
    shared = result.shared_value
    shapes: list[dict[str, Any]] = []
    if shared is not None and math.isfinite(shared):
        shapes.append(
            {
                "type": "line",
                "x0": shared,
                "x1": shared,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dash", "color": "#666", "width": 1},
            }
        )
        if result.shared_lower is not None and result.shared_upper is not None:
            shapes.append(
                {
                    "type": "rect",
                    "x0": result.shared_lower,
                    "x1": result.shared_upper,
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": "#999",
                    "opacity": 0.15,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
    return figure(
        [
            {
                "type": "scatter",
                "mode": "markers",
                "name": result.compared,
                "y": ids,
                "x": finite(values),
                "error_x": error_bars(
                    values,
                    [e.lower[j] for e in result.curves],
                    [e.upper[j] for e in result.curves],
                ),
                "text": fold,
                "marker": {
                    "color": [COLOURS[i % len(COLOURS)] for i in range(len(ids))],
                    "size": 10,
                },
                "hovertemplate": f"%{{y}}: {result.compared} %{{x:.4g}}<br>%{{text}}"
                "<extra></extra>",
            }
        ],
        layout(
            f"{result.compared} per curve (separate fits, {level}% CIs); dashed and grey: the "
            f"shared value {_fmt(shared)} and its CI",
            result.compared + (" (log10 of mol/L)" if result.compared.startswith("log10") else ""),
            axis("", autorange="reversed", type="category"),
            shapes=shapes,
            height=max(300, 40 * len(ids) + 160),
            showlegend=False,
        ),
    )


def figures(result: CurveComparison) -> dict[str, Figure]:
    return {"curves": _curves(result), "parameter": _parameter(result)}
