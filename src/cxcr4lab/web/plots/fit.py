"""Figures of a batch of curve fits: a sample of the unflagged fitted curves overlaid (drawn from
each row's parameters), and the distribution of the IC50s of every unflagged fit."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.web.figures import COLOURS, Figure, axis, figure, finite, layout

if TYPE_CHECKING:
    from cxcr4lab.fit.batch_result import BatchFitResult, CurveRow

__all__ = ["SAMPLE", "figures"]

SAMPLE = 20
"""Fitted curves drawn in the overlay, spread over the batch."""


def _values(row: CurveRow, names: tuple[str, ...]) -> np.ndarray | None:
    """The parameters of ``row`` in model order, or None if the row does not carry them all."""
    fields = {"bottom": row.bottom, "top": row.top, "hill": row.hill}
    if row.log10_ic50 is not None:
        fields.update(log10_ic50=row.log10_ic50, log10_ec50=row.log10_ic50)
        fields.update(ic50=10.0**row.log10_ic50, ec50=10.0**row.log10_ic50)
    values = [fields.get(n) for n in names]
    if any(v is None or not math.isfinite(v) for v in values):
        return None
    return np.array(values, dtype=float)


def _clean(result: BatchFitResult) -> list[CurveRow]:
    return [r for r in result.rows if r.converged and not r.flags and r.log10_ic50 is not None]


def _curves(result: BatchFitResult, clean: list[CurveRow]) -> Figure | None:
    from cxcr4lab.fit import get_model

    try:
        model = get_model(result.model)
    except LookupError:
        return None
    step = max(1, math.ceil(len(clean) / SAMPLE))
    sample = clean[::step][:SAMPLE]
    logs = np.array([r.log10_ic50 for r in sample], dtype=float)
    x = np.linspace(float(logs.min()) - 2.5, float(logs.max()) + 2.5, 160)
    conc = finite(10.0**x)
    traces: list[dict[str, Any]] = []
    for i, row in enumerate(sample):
        p = _values(row, model.param_names)
        if p is None:
            continue
        with np.errstate(all="ignore"):
            y = model.f(x if model.x_is_log10 else 10.0**x, p)
        ci = (
            ""
            if row.ic50_lower is None or row.ic50_upper is None
            else f" ({row.ic50_lower:.3g}-{row.ic50_upper:.3g})"
        )
        ic50 = "n/a" if row.ic50 is None else f"{row.ic50:.3g}"
        hill = "" if row.hill is None else f", hill {row.hill:.3g}"
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": row.curve_id,
                "x": conc,
                "y": finite(y),
                "line": {"color": COLOURS[i % len(COLOURS)], "width": 1.4},
                "hovertemplate": f"{row.curve_id}: IC50 {ic50}{ci} {result.unit}{hill}, n {row.n}"
                "<br>%{x:.3g} M: %{y:.3g}<extra></extra>",
            }
        )
    if not traces:
        return None
    return figure(
        traces,
        layout(
            f"{len(traces)} of {len(clean)} unflagged {result.model} fits of {result.source} "
            "(click a curve in the legend to hide it)",
            axis("concentration (M)", type="log"),
            "response",
        ),
    )


def _ic50s(result: BatchFitResult, clean: list[CurveRow]) -> Figure:
    logs = [r.log10_ic50 for r in clean]
    return figure(
        [
            {
                "type": "histogram",
                "name": "curves",
                "x": finite(logs),
                "nbinsx": min(40, max(5, len(clean) // 2)),
                "marker": {"color": COLOURS[0]},
                "hovertemplate": "log10 IC50 %{x}: %{y} curves<extra></extra>",
            }
        ],
        layout(
            f"IC50 of {len(clean)} unflagged fits (of {len(result.rows)}; "
            f"{result.n_converged} converged, {result.n_flagged} flagged)",
            "log10 IC50 (M)",
            "curves",
            bargap=0.05,
        ),
    )


def figures(result: BatchFitResult) -> dict[str, Figure]:
    clean = _clean(result)
    if not clean:
        return {}
    found = {}
    curves = _curves(result, clean)
    if curves is not None:
        found["curves"] = curves
    found["ic50"] = _ic50s(result, clean)
    return found
