"""Interactive figures of an analysis page: plotly figure dicts that plotly.js draws in the browser.

Every kind names its figures function in its declaration (``AnalysisKind.plots``, one module per
kind in ``web/plots/``); :func:`figures_for` looks it up through the registry. The functions
build plain JSON data from the stored result alone (no matplotlib, no plotly import, no
refitting: a page costs milliseconds). This module holds what they share: the colours, axis and
layout helpers, the concentration-response figure with its confidence band, and the plate
heatmap.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.assays.wells import FORMATS, row_letters, well_position
from cxcr4lab.core.errors import InputError

if TYPE_CHECKING:
    from cxcr4lab.fit import FitResult
    from cxcr4lab.runs import InputFile

__all__ = [
    "COLOURS",
    "FIGURE_TITLES",
    "LEGEND_BELOW",
    "Figure",
    "Series",
    "axis",
    "band",
    "dose_response_figure",
    "error_bars",
    "figure",
    "figures_for",
    "finite",
    "heading",
    "heatmap_figure",
    "hline",
    "layout",
    "log_toggle",
    "plain",
    "selector",
    "takes_inputs",
    "vline",
]

Figure = dict[str, Any]
Point = tuple[float, float | None, str]
"""A plotted well: concentration (mol/L), response, hover text."""

FIGURE_TITLES = {
    "hsa_synergy": "HSA synergy",
    "zip_synergy": "ZIP synergy",
    "agonist": "Agonist curve",
    "apheresis": "Apheresis yield",
    "bias": "Calibrator and QC bias",
    "calibration": "Calibration curve",
    "cd34": "CD34+ counts",
    "cd34_count": "CD34+ count",
    "concentrations": "Concentration-time",
    "course": "Over time",
    "differences": "Simulated ORR differences",
    "dose_response": "Dose-response",
    "escalation": "Escalation probability",
    "fits": "Observed and fitted concentrations",
    "forest": "Hazard ratios",
    "h_scores": "H-score distribution",
    "heatmap": "Plate heatmap",
    "ic50": "IC50 distribution",
    "ic50s": "Predicted IC50 vs published bounds",
    "incidence": "Adverse-event incidence",
    "intensities": "Staining intensities",
    "intervals": "Per dosing interval",
    "kaplan_meier": "Kaplan-Meier curves",
    "max_grade": "Maximum CTCAE grade",
    "mfi": "Specific MFI",
    "mtd": "Declared MTD",
    "neutropenia": "Neutropenia per cycle",
    "observations": "Observation records",
    "occupancy": "Receptor occupancy",
    "orr_beliefs": "What the ORR could be",
    "parameter": "Compared parameter",
    "parameters": "Fitted parameters",
    "potency": "IC50s with CIs",
    "power_curve": "Power curve",
    "profiles": "Concentration-time profiles",
    "rates": "Response rates",
    "recovery": "Recovered Ki / Kb",
    "right_shift": "pERK/pAKT right-shift",
    "schedules": "Occupancy held vs neutropenia",
    "schild_plot": "Schild plot",
    "standard": "Standard curve",
    "time_above": "Time above the occupancy target",
    "traces": "Calcium traces",
}
"""Figure name -> heading on the page, where the name written out does not read well (others:
the name with its first letter capitalised, ``"exposure"`` -> "Exposure")."""

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
"""Trace colours, in order (each with a two-digit alpha appended for bands: ``colour + "30"``)."""

_NM = 1e-9


LEGEND_BELOW = {
    "orientation": "h",
    "yref": "container",
    "y": 0.0,
    "yanchor": "bottom",
    "x": 0.0,
    "xanchor": "left",
}
"""A horizontal legend at the foot of the figure, below the x axis and its title."""


def heading(name: str) -> str:
    """The page heading of the figure called ``name``."""
    return FIGURE_TITLES.get(name) or (name[:1].upper() + name[1:]).replace("_", " ")


def finite(values: Iterable[float | None]) -> list[float | None]:
    """Plain floats, None for a missing or non-finite value (plotly leaves a gap)."""
    return [None if v is None or not math.isfinite(v) else float(v) for v in values]


def plain(value: Any) -> Any:
    """``value`` as strict JSON data: numpy scalars and arrays as numbers and lists, non-finite
    floats as None, tuples as lists (a safety net under every figures function)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def axis(title: str, **extra: Any) -> dict[str, Any]:
    """An axis with its title (units in brackets by convention), its margin grown to fit."""
    return {"title": {"text": title}, "automargin": True, **extra}


def layout(
    title: str, x: str | dict[str, Any], y: str | dict[str, Any], *, height: int = 460, **extra: Any
) -> dict[str, Any]:
    """The layout of one figure: title, axes (a title or a full axis dict), height, margins."""
    return {
        "title": {"text": title, "font": {"size": 14}},
        "xaxis": axis(x) if isinstance(x, str) else x,
        "yaxis": axis(y) if isinstance(y, str) else y,
        "height": height,
        "margin": {"t": 90 if extra.get("updatemenus") else 60, "r": 20},
        "hovermode": "closest",
        **extra,
    }


def figure(traces: Sequence[dict[str, Any]], figure_layout: dict[str, Any]) -> Figure:
    """A figure of ``traces``; a bar's ``text`` is for its hover, not written on the bar."""
    data = [
        {"textposition": "none", **t} if t.get("type") == "bar" and "text" in t else t
        for t in traces
    ]
    return {"data": data, "layout": figure_layout}


def vline(x: float, *, dash: str = "dot", colour: str = "#888") -> dict[str, Any]:
    """A vertical line across the plot at ``x`` (a layout shape)."""
    return {
        "type": "line",
        "x0": x,
        "x1": x,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"dash": dash, "color": colour, "width": 1},
    }


def hline(y: float, *, dash: str = "dot", colour: str = "#888") -> dict[str, Any]:
    """A horizontal line across the plot at ``y`` (a layout shape)."""
    return {
        "type": "line",
        "y0": y,
        "y1": y,
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "line": {"dash": dash, "color": colour, "width": 1},
    }


def log_toggle(axis_name: str = "yaxis", *, log_first: bool = False) -> dict[str, Any]:
    """Buttons switching an axis between linear and log scale (a layout ``updatemenus`` item)."""
    letter = axis_name.removesuffix("axis")
    buttons = [
        {
            "label": f"linear {letter}",
            "method": "relayout",
            "args": [{f"{axis_name}.type": "linear"}],
        },
        {"label": f"log {letter}", "method": "relayout", "args": [{f"{axis_name}.type": "log"}]},
    ]
    return {
        "type": "buttons",
        "direction": "right",
        "buttons": buttons[::-1] if log_first else buttons,
        "showactive": True,
        "x": 1.0,
        "xanchor": "right",
        "y": 1.01,
        "yanchor": "bottom",
        "pad": {"b": 2},
    }


def selector(
    groups: Sequence[tuple[str, int, str]], *, y: float = 1.01
) -> tuple[dict[str, Any], list[bool]]:
    """A drop-down showing one group of traces at a time: ``groups`` are (label, number of
    traces, title) in trace order. Returns the ``updatemenus`` item and the initial visibility."""
    total = sum(n for _, n, _ in groups)
    buttons = []
    start = 0
    for label, n, title in groups:
        visible = [start <= i < start + n for i in range(total)]
        buttons.append(
            {
                "label": label,
                "method": "update",
                "args": [{"visible": visible}, {"title.text": title}],
            }
        )
        start += n
    first = groups[0][1] if groups else 0
    menu = {
        "type": "dropdown",
        "buttons": buttons,
        "showactive": True,
        "x": 0.0,
        "xanchor": "left",
        "y": y,
        "yanchor": "bottom",
        "pad": {"b": 2},
    }
    return menu, [i < first for i in range(total)]


def band(
    x: Iterable[float | None],
    lower: Sequence[float | None],
    upper: Sequence[float | None],
    colour: str,
    *,
    name: str = "",
    group: str | None = None,
    shape: str = "linear",
) -> dict[str, Any]:
    """A filled band between ``lower`` and ``upper`` (one closed trace, no hover)."""
    xs = finite(x)
    return {
        "type": "scatter",
        "mode": "lines",
        "x": xs + xs[::-1],
        "y": finite([*upper, *lower[::-1]]),
        "fill": "toself",
        "fillcolor": colour + "30",
        "line": {"width": 0, "shape": shape},
        "hoverinfo": "skip",
        "name": name,
        "showlegend": bool(name),
        **({"legendgroup": group} if group else {}),
    }


def error_bars(
    values: Sequence[float | None], lower: Sequence[float | None], upper: Sequence[float | None]
) -> dict[str, Any]:
    """Asymmetric error bars (``error_x``/``error_y``) from the interval ends."""

    def gap(a: float | None, b: float | None) -> float | None:
        if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
            return None
        return max(float(a - b), 0.0)

    return {
        "type": "data",
        "symmetric": False,
        "array": [gap(hi, v) for v, hi in zip(values, upper, strict=True)],
        "arrayminus": [gap(v, lo) for v, lo in zip(values, lower, strict=True)],
        "thickness": 1.2,
        "width": 3,
    }


# --- concentration-response and plate figures -----------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One compound's curve: wells used and masked, the fit (if any) and its legend label."""

    name: str
    used: Sequence[Point]
    masked: Sequence[Point]
    fit: FitResult | None
    label: str


def dose_response_figure(
    series: Sequence[Series], *, title: str, x_title: str, y_title: str, alpha: float = 0.05
) -> Figure:
    """Points, fitted curve and its ``1 - alpha`` confidence band per series; x on a log axis.

    The fits take x as log10 of the concentration in mol/L.
    """
    traces: list[dict[str, Any]] = []
    for i, s in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{s.name} (wells)",
                "legendgroup": s.name,
                "x": [p[0] for p in s.used],
                "y": finite(p[1] for p in s.used),
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
                    "y": finite(p[1] for p in s.masked),
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
                band(conc, [float(v) for v in lo], [float(v) for v in hi], colour, group=s.name)
            )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": s.label,
                "legendgroup": s.name,
                "x": conc,
                "y": finite(float(v) for v in y),
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


# --- the registry's figures ----------------------------------------------------------------------


InputsLoader = Callable[[], "Mapping[str, InputFile] | None"]
"""Reads a stored analysis's input files by input name (called only for a kind that takes them)."""


def takes_inputs(draw: Callable[..., Any]) -> bool:
    """Whether a figures function takes the input files as a second parameter."""
    return len(inspect.signature(draw).parameters) >= 2


def figures_for(result: Any, inputs: InputsLoader | None = None) -> dict[str, Figure]:
    """The figures of a result, by name, from its kind's ``plots`` function; empty for a kind
    without one. ``inputs`` reads the analysis's input files, for the kinds whose result keeps
    no per-sample data (ELISA, NCA)."""
    from cxcr4lab.runs import kind_for_result

    kind = kind_for_result(str(getattr(result, "kind", "")))
    draw = None if kind is None else kind.plot_function()
    if draw is None:
        return {}
    if takes_inputs(draw):
        figures = draw(result, inputs() if inputs is not None else None)
    else:
        figures = draw(result)
    drawn: dict[str, Figure] = plain(figures)
    return drawn
