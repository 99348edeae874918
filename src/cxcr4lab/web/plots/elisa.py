"""Figures of an ELISA plate: the standard curve with the unknowns and QCs read back, and the
raw OD per well (read from the stored plate file: the result keeps no per-well signal)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.core.errors import Cxcr4labError
from cxcr4lab.web.figures import COLOURS, Figure, finite, heatmap_figure, vline

if TYPE_CHECKING:
    from cxcr4lab.assays.elisa import ElisaResult
    from cxcr4lab.assays.readers import PlateData
    from cxcr4lab.runs import InputFile

__all__ = ["figures", "raw_plate"]


def raw_plate(result: ElisaResult, inputs: Mapping[str, InputFile] | None) -> PlateData | None:
    """The analysed block of the stored plate file, or None if it is missing or unreadable."""
    from cxcr4lab.assays.readers import read_plates_bytes

    if not inputs or "plate" not in inputs:
        return None
    name, content = inputs["plate"]
    try:
        plates = read_plates_bytes(content, name)
    except Cxcr4labError:
        return None
    return next((p for p in plates if p.block == result.block), plates[0] if plates else None)


def _standard(result: ElisaResult) -> Figure:
    fit = result.fit
    levels = [s.level for s in result.standards if s.level > 0]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "standards (mean)",
            "x": levels,
            "y": finite(s.mean_signal for s in result.standards if s.level > 0),
            "text": [
                f"level {s.level:g}: recovery "
                + ("n/a" if s.recovery_pct is None else f"{s.recovery_pct:.0f}%")
                + ("" if s.passed else f" FAILS ({s.reason})")
                for s in result.standards
                if s.level > 0
            ],
            "marker": {"color": COLOURS[0], "size": 8},
            "hovertemplate": "%{text}<extra></extra>",
        }
    ]
    if levels:
        x = np.geomspace(min(levels) / 3, max(levels) * 3, 160)
        xs = x if not fit.get_model().x_is_log10 else np.log10(x)
        with np.errstate(all="ignore"):
            y = fit.predict(xs)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{result.choice.chosen.upper()} fit",
                "x": [float(v) for v in x],
                "y": finite(float(v) for v in y),
                "line": {"color": COLOURS[0], "width": 2},
            }
        )
    found = [s for s in result.samples if s.in_well is not None]
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "unknowns and QCs (in the well)",
            "x": [s.in_well for s in found],
            "y": finite(s.mean_signal for s in found),
            "text": [f"{s.sample} x{s.dilution:g} {', '.join(s.flags)}" for s in found],
            "marker": {"color": COLOURS[1], "symbol": "diamond", "size": 7},
            "hovertemplate": "%{text}: %{x:.4g}, OD %{y:.3f}<extra></extra>",
        }
    )
    shapes = [vline(v) for v in (result.lloq, result.uloq) if v is not None]
    return {
        "data": traces,
        "layout": {
            "title": {"text": f"{result.analyte} standard curve (dotted: LLOQ, ULOQ)"},
            "xaxis": {"type": "log", "title": {"text": f"{result.analyte} ({result.unit})"}},
            "yaxis": {"title": {"text": "signal (OD, blank-subtracted)"}},
            "shapes": shapes,
            "height": 460,
            "margin": {"t": 50, "r": 20},
        },
    }


def figures(
    result: ElisaResult, inputs: Mapping[str, InputFile] | None = None
) -> dict[str, Figure]:
    """The standard curve; the plate heatmap too when the stored plate file is given."""
    found = {"standard": _standard(result)}
    plate = raw_plate(result, inputs)
    if plate is not None:
        what = {w: f"{s.sample} x{s.dilution:g}" for s in result.samples for w in s.wells}
        table = plate.table
        cells = [
            (str(w), float(v), f"{w} {what.get(str(w), '')}")
            for w, v in zip(table["well"], table["signal"].astype(float), strict=True)
        ]
        found["heatmap"] = heatmap_figure(
            cells,
            plate.format.wells,
            title=f"Plate {result.plate} [{result.block}]: raw OD",
            unit="OD",
        )
    return found
