"""Interactive figures of an analysis page: plotly figure dicts that plotly.js draws in the browser.

Built from the stored result alone (no matplotlib, no refitting), so a page costs milliseconds:
concentration-response curves with their fitted line and confidence band, the agonist curve,
calcium traces, the ELISA standard curve, and the plate heatmap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.assays.wells import FORMATS, row_letters, well_position
from cxcr4lab.core.errors import InputError

if TYPE_CHECKING:
    from cxcr4lab.assays.binding import BindingResult
    from cxcr4lab.assays.calcium import CalciumResult
    from cxcr4lab.assays.elisa import ElisaResult
    from cxcr4lab.assays.inhibition import InhibitionPlate
    from cxcr4lab.assays.readers import PlateData
    from cxcr4lab.fit import FitResult

__all__ = [
    "FIGURE_TITLES",
    "Series",
    "dose_response_figure",
    "figures_for",
    "heatmap_figure",
]

Figure = dict[str, Any]
Point = tuple[float, float | None, str]
"""A plotted well: concentration (mol/L), response, hover text."""

FIGURE_TITLES = {
    "curves": "Curves",
    "agonist": "Agonist curve",
    "standard": "Standard curve",
    "traces": "Calcium traces",
    "heatmap": "Plate heatmap",
}
"""Figure name -> heading on the page (the page draws them in this order)."""

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
_NM = 1e-9


@dataclass(frozen=True)
class Series:
    """One compound's curve: wells used and masked, the fit (if any) and its legend label."""

    name: str
    used: Sequence[Point]
    masked: Sequence[Point]
    fit: FitResult | None
    label: str


def _finite(values: Iterable[float | None]) -> list[float | None]:
    return [None if v is None or not math.isfinite(v) else float(v) for v in values]


def dose_response_figure(
    series: Sequence[Series], *, title: str, x_title: str, y_title: str, alpha: float = 0.05
) -> Figure:
    """Points, fitted curve and its ``1 - alpha`` confidence band per series; x on a log axis.

    The fits take x as log10 of the concentration in mol/L.
    """
    traces: list[dict[str, Any]] = []
    for i, s in enumerate(series):
        colour = _COLOURS[i % len(_COLOURS)]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{s.name} (wells)",
                "legendgroup": s.name,
                "x": [p[0] for p in s.used],
                "y": _finite(p[1] for p in s.used),
                "text": [p[2] for p in s.used],
                "marker": {"color": colour, "size": 7},
                "hovertemplate": "%{text}: %{x:.3g} M, %{y:.3g}<extra></extra>",
            }
        )
        if s.masked:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{s.name} (excluded)",
                    "legendgroup": s.name,
                    "x": [p[0] for p in s.masked],
                    "y": _finite(p[1] for p in s.masked),
                    "text": [p[2] for p in s.masked],
                    "marker": {"color": colour, "symbol": "x", "size": 8},
                    "hovertemplate": "%{text}<extra></extra>",
                }
            )
        if s.fit is None or not s.fit.converged:
            continue
        x = np.linspace(s.fit.x_min - 0.5, s.fit.x_max + 0.5, 120)
        conc = [float(v) for v in 10.0**x]
        with np.errstate(all="ignore"):
            lo, hi = s.fit.band(x, alpha)
            y = s.fit.predict(x)
        if np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": conc + conc[::-1],
                    "y": _finite([*map(float, hi), *map(float, lo[::-1])]),
                    "fill": "toself",
                    "fillcolor": colour + "30",
                    "line": {"width": 0},
                    "hoverinfo": "skip",
                    "showlegend": False,
                    "legendgroup": s.name,
                }
            )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": s.label,
                "legendgroup": s.name,
                "x": conc,
                "y": _finite(float(v) for v in y),
                "line": {"color": colour, "width": 2},
            }
        )
    level = round(100 * (1 - alpha))
    return {
        "data": traces,
        "layout": {
            "title": {"text": f"{title}: fit and {level}% confidence band"},
            "xaxis": {"type": "log", "title": {"text": x_title}},
            "yaxis": {"title": {"text": y_title}},
            "height": 460,
            "margin": {"t": 50, "r": 20},
        },
    }


def _shape(plate_wells: int) -> tuple[int, int]:
    for f in FORMATS:
        if f.wells == plate_wells:
            return f.rows, f.cols
    return 8, 12


def heatmap_figure(
    cells: Iterable[tuple[str, float | None, str]], plate_wells: int, *, title: str, unit: str
) -> Figure:
    """Values per well (``(well, value, hover text)``) as a plate heatmap, rows A.. by columns."""
    n_rows, n_cols = _shape(plate_wells)
    z: list[list[float | None]] = [[None] * n_cols for _ in range(n_rows)]
    text: list[list[str]] = [[""] * n_cols for _ in range(n_rows)]
    for well, value, hover in cells:
        try:
            r, c = well_position(well)
        except InputError:
            continue
        if not (0 <= r < n_rows and 1 <= c <= n_cols):
            continue
        z[r][c - 1] = value if value is not None and math.isfinite(value) else None
        text[r][c - 1] = hover
    return {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "x": [str(i + 1) for i in range(n_cols)],
                "y": [row_letters(i) for i in range(n_rows)],
                "text": text,
                "colorscale": "Viridis",
                "colorbar": {"title": {"text": unit}},
                "hovertemplate": "%{text}<br>%{z:.4g} " + unit + "<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": title, "y": 0.98},
            "yaxis": {"autorange": "reversed", "title": {"text": "row"}},
            "xaxis": {"side": "top", "tickmode": "linear", "dtick": 1},
            "height": 380 if n_rows <= 8 else 520,
            "margin": {"t": 80, "r": 20},
        },
    }


def _well_text(well: str, what: str | None, conc: float | None, excluded: str | None) -> str:
    conc_text = "" if conc is None else f" {conc:.3g} M"
    masked = f" EXCLUDED: {excluded}" if excluded else ""
    return f"{well} {what or ''}{conc_text}{masked}"


def _label(compound: str, parameter: str, estimate: str) -> str:
    unit = "" if estimate.startswith("not") or estimate == "n/a" else " nM"
    return f"{compound}: {parameter} {estimate}{unit}"


def _points(wells: Iterable[Any], value: str) -> tuple[list[Point], list[Point]]:
    """The dosed wells' ``value`` as plotted points: (used, excluded with the reason)."""
    used: list[Point] = []
    masked: list[Point] = []
    for w in wells:
        if not w.conc_molar:
            continue
        y = getattr(w, value)
        if w.excluded:
            masked.append((w.conc_molar, y, f"{w.well}: {w.excluded}"))
        else:
            used.append((w.conc_molar, y, w.well))
    return used, masked


def _signal_cells(wells: Iterable[Any]) -> list[tuple[str, float | None, str]]:
    """Each well's signal and hover text, for :func:`heatmap_figure`."""
    return [
        (w.well, w.signal, _well_text(w.well, w.compound or w.role, w.conc_molar, w.excluded))
        for w in wells
    ]


def _vline(x: float) -> dict[str, Any]:
    """A dotted vertical line across the plot at ``x``."""
    return {
        "type": "line",
        "x0": x,
        "x1": x,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"dash": "dot", "color": "#888"},
    }


# --- per result kind ------------------------------------------------------------------------------


def _binding(result: BindingResult) -> dict[str, Figure]:
    from cxcr4lab.report.sections.binding import potency_text

    series = []
    for c in result.curves:
        pts = [w for w in result.wells if w.compound == c.compound and w.role == "sample"]
        estimate, _ = potency_text(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c)
        used, masked = _points(pts, "specific_pct")
        series.append(Series(c.compound, used, masked, c.fit, _label(c.compound, "IC50", estimate)))
    curves = dose_response_figure(
        series,
        title="Competition binding",
        x_title="competitor concentration (M)",
        y_title="specific binding (% of total)",
        alpha=result.settings.alpha,
    )
    title = f"Plate {result.plate} [{result.block}]: raw signal"
    heat = heatmap_figure(
        _signal_cells(result.wells), result.plate_wells, title=title, unit="counts"
    )
    return {"curves": curves, "heatmap": heat}


def _inhibition(
    plate: InhibitionPlate, *, name: str, block: str, unit: str, alpha: float
) -> dict[str, Figure]:
    from cxcr4lab.report.formats import potency_display

    def points(role: str, compound: str) -> tuple[list[Point], list[Point]]:
        pts = [w for w in plate.wells if w.role == role and w.compound == compound]
        return _points(pts, "response_pct")

    series = []
    for c in plate.curves:
        estimate, _ = potency_display(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c)
        used, masked = points("sample", c.compound)
        series.append(Series(c.compound, used, masked, c.fit, _label(c.compound, "IC50", estimate)))
    figures = {
        "curves": dose_response_figure(
            series,
            title="Inhibition",
            x_title="antagonist concentration (M)",
            y_title="response (% of control)",
            alpha=alpha,
        )
    }
    if plate.agonist is not None:
        a = plate.agonist
        used, masked = points("agonist", a.compound)
        label = f"{a.compound}: EC50 {a.ec50_molar / _NM:.3g} nM"
        figures["agonist"] = dose_response_figure(
            [Series(a.compound, used, masked, a.fit, label)],
            title=f"Agonist {a.compound}",
            x_title="agonist concentration (M)",
            y_title="response (% of control)",
            alpha=alpha,
        )
    title = f"Plate {name} [{block}]: signal per well as analysed"
    cells = _signal_cells(plate.wells)
    figures["heatmap"] = heatmap_figure(cells, plate.plate_wells, title=title, unit=unit)
    return figures


def _traces(result: CalciumResult) -> Figure:
    """Mean dF/F0 traces: one colour per compound (or control), fainter at lower concentration."""
    groups: dict[str, list[Any]] = {}
    for g in result.traces:
        groups.setdefault(g.compound or g.role, []).append(g)
    traces = []
    for i, (what, members) in enumerate(groups.items()):
        members = sorted(members, key=lambda g: -(g.conc_molar or 0.0))
        for k, g in enumerate(members):
            conc = "" if g.conc_molar is None else f" {g.conc_molar / _NM:.3g} nM"
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{what}{conc} (n={g.n_wells})",
                    "legendgroup": what,
                    "x": list(result.times_s),
                    "y": _finite(g.dff0),
                    "line": {"width": 1.5, "color": _COLOURS[i % len(_COLOURS)]},
                    "opacity": 1.0 - 0.65 * k / max(len(members) - 1, 1),
                }
            )
    injection = result.settings.injection_s
    return {
        "data": traces,
        "layout": {
            "title": {
                "text": f"Mean dF/F0 per condition (injection at {injection:g} s; "
                "fainter = lower concentration)"
            },
            "xaxis": {"title": {"text": "time (s)"}},
            "yaxis": {"title": {"text": "dF/F0"}},
            "shapes": [_vline(injection)],
            "height": 460,
            "margin": {"t": 50, "r": 20},
        },
    }


def _elisa(result: ElisaResult, plate: PlateData | None) -> dict[str, Figure]:
    fit = result.fit
    levels = [s.level for s in result.standards if s.level > 0]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "standards (mean)",
            "x": levels,
            "y": _finite(s.mean_signal for s in result.standards if s.level > 0),
            "text": [
                f"level {s.level:g}: recovery "
                + ("n/a" if s.recovery_pct is None else f"{s.recovery_pct:.0f}%")
                + ("" if s.passed else f" FAILS ({s.reason})")
                for s in result.standards
                if s.level > 0
            ],
            "marker": {"color": _COLOURS[0], "size": 8},
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
                "y": _finite(float(v) for v in y),
                "line": {"color": _COLOURS[0], "width": 2},
            }
        )
    found = [s for s in result.samples if s.in_well is not None]
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "unknowns and QCs (in the well)",
            "x": [s.in_well for s in found],
            "y": [s.mean_signal for s in found],
            "text": [f"{s.sample} x{s.dilution:g} {', '.join(s.flags)}" for s in found],
            "marker": {"color": _COLOURS[1], "symbol": "diamond", "size": 7},
            "hovertemplate": "%{text}: %{x:.4g}, OD %{y:.3f}<extra></extra>",
        }
    )
    shapes = [_vline(v) for v in (result.lloq, result.uloq) if v is not None]
    figures = {
        "standard": {
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
    }
    if plate is not None:
        what = {w: f"{s.sample} x{s.dilution:g}" for s in result.samples for w in s.wells}
        table = plate.table
        cells = [
            (str(w), float(v), f"{w} {what.get(str(w), '')}")
            for w, v in zip(table["well"], table["signal"].astype(float), strict=True)
        ]
        figures["heatmap"] = heatmap_figure(
            cells,
            plate.format.wells,
            title=f"Plate {result.plate} [{result.block}]: raw OD",
            unit="OD",
        )
    return figures


def figures_for(result: Any, plate: PlateData | None = None) -> dict[str, Figure]:
    """The figures of a result, by name (see :data:`FIGURE_TITLES`); empty for kinds without.

    ``plate`` is the raw reading, for kinds whose result keeps no per-well signal (ELISA).
    """
    kind = getattr(result, "kind", None)
    if kind == "binding":
        return _binding(result)
    if kind == "elisa":
        return _elisa(result, plate)
    analysis = getattr(result, "analysis", None)
    if kind not in ("arrestin", "calcium", "chemotaxis", "viability") or analysis is None:
        return {}
    settings = result.settings
    alpha = getattr(getattr(settings, "plate", settings), "alpha", 0.05)
    name = str(getattr(result, "plate", None) or getattr(result, "source", ""))
    unit = {
        "arrestin": "RLU",
        "calcium": "dF/F0 peak" if getattr(settings, "readout", "") == "peak" else "dF/F0 AUC (s)",
        "viability": "OD",
    }.get(kind, getattr(result, "unit", "signal"))
    figures = _inhibition(analysis, name=name, block=result.block, unit=unit, alpha=alpha)
    if kind == "calcium":
        figures["traces"] = _traces(result)
    return figures
