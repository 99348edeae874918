"""Figures of a batch of curve fits: a sample of the unflagged fitted curves overlaid (drawn from
each row's parameters), the distribution of the IC50s of every unflagged fit, how many curves
carry each flag and, when the stored input table can be read, a curve explorer: every curve's
data, fitted curve and IC50 with its CI, one curve at a time from a drop-down, grouped by flag
as the contact sheet (:mod:`cxcr4lab.report.curve_plots`) groups them.

The explorer reads the ``curves`` input only when it is a long ``.csv`` table (the columns
``curve_id``, ``concentration``, ``response``, or others found by name as the run finds them)
whose curves are the result's; a Prism layout, another suffix, or a unit per curve draws none.
Every text taken from the data (curve ids, flag codes, the file name) is escaped (``<``, ``>``,
``&``): plotly reads its texts as HTML-like markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.core.errors import Cxcr4labError
from cxcr4lab.web.figures import (
    COLOURS,
    LEGEND_BELOW,
    Figure,
    axis,
    error_bars,
    figure,
    finite,
    layout,
    selector,
)

if TYPE_CHECKING:
    from cxcr4lab.fit.batch_result import BatchFitResult, CurveRow
    from cxcr4lab.fit.models import Model
    from cxcr4lab.runs import InputFile

__all__ = ["EXPLORER_CURVES", "LABEL_LIMIT", "SAMPLE", "figures", "screening_order"]

SAMPLE = 20
"""Fitted curves drawn in the overlay, spread over the batch."""
EXPLORER_CURVES = 100
"""Curves in the explorer's drop-down (the first in :func:`screening_order`)."""
LABEL_LIMIT = 60
"""Characters of a drop-down label or a curve id in a title (``…`` marks a cut)."""

_GRID = 80  # points of a drawn fitted curve
_MARGIN = 0.5  # decades drawn beyond the tested concentrations
_REACH = 3.0  # decades beyond them an IC50 may pull the drawn curve
_OK = "ok"
_OTHER = "other"
_RED = ("#fbe0e0", "#c62828")  # box face, edge
_AMBER = ("#fff0c2", "#e0a000")
_GREY = ("#f2f2f2", "#bbbbbb")
_SEVERE = frozenset({"not_converged", "no_effect"})


def _text(value: str, limit: int | None = None) -> str:
    """``value`` for plotly: control characters as ``?``, at most ``limit`` characters, then
    ``<``, ``>`` and ``&`` escaped (plotly decodes those entities, not ``&quot;``)."""
    shown = "".join(c if c.isprintable() else "?" for c in value)
    if limit is not None and len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return html.escape(shown, quote=False)


def _rounded(values: np.ndarray) -> list[float | None]:
    """Plain floats to 5 significant digits (a drawn curve needs no more), None if not finite."""
    return finite(float(f"{v:.5g}") for v in values.tolist())


def _values(
    row: CurveRow, names: tuple[str, ...], fixed: Mapping[str, float] | None = None
) -> np.ndarray | None:
    """The parameters of ``row`` in model order and scale (a linear IC50 in mol/L; a fixed
    value wins, then the stored columns, then the row's extra columns such as ``asymmetry``),
    or None if the row does not carry them all."""
    fields: dict[str, float | None] = {"bottom": row.bottom, "top": row.top, "hill": row.hill}
    if row.log10_ic50 is not None:
        fields.update(log10_ic50=row.log10_ic50, log10_ec50=row.log10_ic50)
        fields.update(ic50=10.0**row.log10_ic50, ec50=10.0**row.log10_ic50)
    extra = dict(row.extra)
    given = fixed or {}
    values = [given.get(n, fields[n] if n in fields else extra.get(n)) for n in names]
    if any(v is None or not math.isfinite(v) for v in values):
        return None
    return np.array(values, dtype=float)


def _evaluate(model: Model, p: np.ndarray, log10_molar: np.ndarray) -> np.ndarray:
    """The model's response at concentrations given as log10 mol/L."""
    with np.errstate(all="ignore"):
        return np.asarray(
            model.f(log10_molar if model.x_is_log10 else 10.0**log10_molar, p), dtype=float
        )


def _clean(result: BatchFitResult) -> list[CurveRow]:
    return [r for r in result.rows if r.converged and not r.flags and r.log10_ic50 is not None]


def _curves(result: BatchFitResult, clean: list[CurveRow]) -> Figure | None:
    from cxcr4lab.fit import get_model

    try:
        model = get_model(result.model)
    except LookupError:
        return None
    fixed = dict(result.fixed)
    step = max(1, math.ceil(len(clean) / SAMPLE))
    sample = clean[::step][:SAMPLE]
    logs = np.array([r.log10_ic50 for r in sample], dtype=float)
    x = np.linspace(float(logs.min()) - 2.5, float(logs.max()) + 2.5, 160)
    conc = finite(10.0**x)
    traces: list[dict[str, Any]] = []
    for i, row in enumerate(sample):
        p = _values(row, model.param_names, fixed)
        if p is None:
            continue
        y = _evaluate(model, p, x)
        ci = (
            ""
            if row.ic50_lower is None or row.ic50_upper is None
            else f" ({row.ic50_lower:.3g}-{row.ic50_upper:.3g})"
        )
        ic50 = "n/a" if row.ic50 is None else f"{row.ic50:.3g}"
        hill = "" if row.hill is None else f", hill {row.hill:.3g}"
        name = _text(row.curve_id, LABEL_LIMIT)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "x": conc,
                "y": finite(y),
                "text": _text(f"{row.curve_id}: IC50 {ic50}{ci} {result.unit}{hill}, n {row.n}"),
                "line": {"color": COLOURS[i % len(COLOURS)], "width": 1.4},
                "hovertemplate": "%{text}<br>%{x:.3g} M: %{y:.3g}<extra></extra>",
            }
        )
    if not traces:
        return None
    return figure(
        traces,
        layout(
            f"{len(traces)} of {len(clean)} unflagged {_text(result.model)} fits of "
            f"{_text(result.source, LABEL_LIMIT)} (click a curve in the legend to hide it)",
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


# --- flags ----------------------------------------------------------------------------------------


def _flag_order() -> tuple[str, ...]:
    from cxcr4lab.report.curve_plots import FLAG_ORDER

    return tuple(FLAG_ORDER)


def _group(codes: Sequence[str]) -> tuple[int, str]:
    """A curve's place in the screening order and its label: its first flag in the contact
    sheet's order, then other flags (labelled by their first code), then unflagged (``ok``)."""
    order = _flag_order()
    first = next((f for f in order if f in codes), None)
    if first is not None:
        return order.index(first), first
    return (len(order), codes[0]) if codes else (len(order) + 1, _OK)


def screening_order(rows: Sequence[CurveRow]) -> list[CurveRow]:
    """``rows`` grouped by their first flag as a screener reads them (not_converged, no_effect,
    outside_range, ... ambiguous, then other flags, then unflagged), each group in input
    order."""
    return sorted(rows, key=lambda r: _group(r.flag_codes)[0])


def _sentence(code: str) -> str:
    from cxcr4lab.fit.flags import FLAG_TEXT

    return FLAG_TEXT.get(code, "")


def _flag_counts(result: BatchFitResult) -> Figure:
    counts: dict[str, int] = {}
    for row in result.rows:
        for code in dict.fromkeys(row.flag_codes):
            counts[code] = counts.get(code, 0) + 1
    order = _flag_order()
    codes = [c for c in order if c in counts] + sorted(set(counts) - set(order))
    unflagged = sum(not r.flag_codes for r in result.rows)
    names = [*codes, _OK]
    values = [*(counts[c] for c in codes), unflagged]
    colours = [
        _RED[1] if c in _SEVERE else _AMBER[1] if c in order else COLOURS[5] for c in codes
    ] + [COLOURS[2]]
    n = len(result.rows)
    return figure(
        [
            {
                "type": "bar",
                "orientation": "h",
                "name": "curves",
                "x": values,
                "y": [_text(c, LABEL_LIMIT) for c in names],
                "text": [_text(_sentence(c) or c) if c != _OK else "no flags" for c in names],
                "marker": {"color": colours},
                "hovertemplate": "%{y}: %{x} curves<br>%{text}<extra></extra>",
            }
        ],
        layout(
            f"Flags of {n:,} curve{'' if n == 1 else 's'}: {result.n_flagged:,} flagged, "
            f"{unflagged:,} not (a curve counts under each of its flags)",
            "curves",
            axis("flag", type="category", autorange="reversed"),
            height=max(260, 120 + 28 * len(names)),
            showlegend=False,
        ),
    )


# --- the curve explorer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Points:
    """One curve's points in the input's order: concentration (result unit) and response."""

    conc: np.ndarray
    response: np.ndarray


def _read_points(
    result: BatchFitResult, inputs: Mapping[str, InputFile] | None
) -> dict[str, _Points] | None:
    """The points of every curve from the stored long ``.csv`` table, or None when it is
    missing, unreadable, another layout, or its curves are not the result's."""
    from pathlib import PurePath

    import pandas as pd

    from cxcr4lab.fit.batch import read_curve_csv
    from cxcr4lab.fit.xy_tables import map_long_table

    if not inputs or "curves" not in inputs:
        return None
    name, content = inputs["curves"]
    if PurePath(name).suffix.lower() != ".csv":
        return None
    try:
        frame = read_curve_csv(content, name)
        if not {"curve_id", "concentration", "response"} <= set(frame.columns):
            frame = map_long_table(frame, source=name).frame
    except (Cxcr4labError, ValueError, KeyError, TypeError):  # the page draws the rest
        return None
    if "unit" in frame.columns:
        return None
    present = frame["curve_id"].notna()
    ids = frame["curve_id"][present].astype(str).reset_index(drop=True)
    conc = pd.to_numeric(frame["concentration"][present], errors="coerce")
    resp = pd.to_numeric(frame["response"][present], errors="coerce")
    conc_values = conc.to_numpy(dtype=np.float64, na_value=np.nan)
    resp_values = resp.to_numpy(dtype=np.float64, na_value=np.nan)
    points = {
        str(k): _Points(conc_values[v], resp_values[v])
        for k, v in ids.groupby(ids, sort=False).indices.items()
    }
    if len(points) != len(result.rows) or any(r.curve_id not in points for r in result.rows):
        return None
    return points


def _potency(row: CurveRow, unit: str, label: str, level: int) -> str:
    """``IC50 3.2 nM (95% CI 2.1–4.8)``; an open side of the CI is ``open``."""
    if row.ic50 is None:
        return f"{label} n/a"
    lo = "open" if row.ic50_lower is None else f"{row.ic50_lower:.3g}"
    hi = "open" if row.ic50_upper is None else f"{row.ic50_upper:.3g}"
    return f"{label} {row.ic50:.3g} {unit} ({level}% CI {lo}–{hi})"


def _box(row: CurveRow, log_x: np.ndarray, y: np.ndarray, notes: Sequence[str]) -> dict[str, Any]:
    """The annotation of a curve: its flags with their sentences (or none), in a box in the top
    corner with fewer points."""
    codes = row.flag_codes
    lines = [
        f"<b>{_text(c, LABEL_LIMIT)}</b>" + (f": {_text(s)}" if (s := _sentence(c)) else "")
        for c in codes
    ] or ["no flags"]
    lines += [_text(n) for n in notes]
    face, edge = _GREY if not codes else _RED if _SEVERE & set(codes) else _AMBER
    left = False
    good = np.isfinite(y)
    if good.sum() >= 2:
        ys, xs = y[good], log_x[good]
        high = ys > (ys.min() + ys.max()) / 2
        middle = (xs.min() + xs.max()) / 2
        left = int((high & (xs < middle)).sum()) < int((high & (xs > middle)).sum())
    return {
        "text": "<br>".join(lines),
        "xref": "paper",
        "yref": "paper",
        "x": 0.01 if left else 0.99,
        "xanchor": "left" if left else "right",
        "y": 0.99,
        "yanchor": "top",
        "showarrow": False,
        "align": "left",
        "bgcolor": face,
        "bordercolor": edge,
        "borderwidth": 1,
        "font": {"size": 11},
    }


def _curve_traces(
    row: CurveRow,
    points: _Points,
    model: Model | None,
    fixed: Mapping[str, float],
    factor: float,
    unit: str,
    label: str,
    level: int,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The data, fitted curve and IC50 of one curve (x in ``unit``, of which one is ``factor``
    mol/L) and its annotation."""
    shown = np.isfinite(points.conc) & (points.conc > 0)
    conc, resp = points.conc[shown], points.response[shown]
    unit_text = _text(unit)
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "data",
            "x": finite(conc.tolist()),
            "y": finite(resp.tolist()),
            "marker": {"color": COLOURS[0], "size": 8},
            "hovertemplate": f"%{{x:.3g}} {unit_text}: %{{y:.4g}}<extra>data</extra>",
        }
    ]
    notes = []
    hidden = int((~shown).sum())
    if hidden:
        notes.append(
            f"{hidden} point{'' if hidden == 1 else 's'} at zero or no concentration "
            "not shown (log axis)"
        )
    log_x = np.log10(conc * factor)
    p = None if model is None else _values(row, model.param_names, fixed)
    if model is not None and p is not None:
        ends = [float(log_x.min()), float(log_x.max())] if log_x.size else []
        if row.log10_ic50 is not None and math.isfinite(row.log10_ic50):
            ends.append(row.log10_ic50)
        if ends:
            lo = min(ends) if not log_x.size else max(min(ends), float(log_x.min()) - _REACH)
            hi = max(ends) if not log_x.size else min(max(ends), float(log_x.max()) + _REACH)
            grid = np.linspace(lo - _MARGIN, hi + _MARGIN, _GRID)
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{_text(row.model)} fit",
                    "x": _rounded(10.0**grid / factor),
                    "y": _rounded(_evaluate(model, p, grid)),
                    "line": {"color": COLOURS[0], "width": 2},
                    "hovertemplate": f"%{{x:.3g}} {unit_text}: %{{y:.4g}}<extra>fit</extra>",
                }
            )
    half: float | None = None
    if model is not None and p is not None and row.log10_ic50 is not None:
        half = float(_evaluate(model, p, np.array([row.log10_ic50]))[0])
    elif row.bottom is not None and row.top is not None:
        half = (row.bottom + row.top) / 2
    if row.ic50 is not None and half is not None and math.isfinite(half):
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{label} ({level}% CI)",
                "x": finite([row.ic50]),
                "y": finite([half]),
                "error_x": {
                    **error_bars([row.ic50], [row.ic50_lower], [row.ic50_upper]),
                    "color": COLOURS[1],
                },
                "text": [_text(_potency(row, unit, label, level))],
                "marker": {"color": COLOURS[1], "size": 10, "symbol": "diamond"},
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    return traces, _box(row, log_x, resp, notes)


def _explorer(result: BatchFitResult, points: Mapping[str, _Points]) -> Figure | None:
    from cxcr4lab.core.units import molar_factor
    from cxcr4lab.fit import get_model
    from cxcr4lab.fit.models import MODELS

    try:
        factor = molar_factor(result.unit)
    except Cxcr4labError:
        return None
    found = MODELS.get(result.model)
    label = "EC50" if found is not None and any("ec50" in n for n in found.param_names) else "IC50"
    level = round(100 * (1 - result.alpha))
    fixed = dict(result.fixed)
    rows = screening_order(result.rows)
    shown = rows[:EXPLORER_CURVES]
    of = (
        f"the first {len(shown):,} of {len(rows):,}" if len(rows) > len(shown) else f"{len(rows):,}"
    )
    models: dict[str, Model | None] = {}
    traces: list[dict[str, Any]] = []
    groups: list[tuple[str, int, str]] = []
    boxes: list[dict[str, Any]] = []
    for i, row in enumerate(shown, start=1):
        if row.model not in models:
            try:
                models[row.model] = get_model(row.model)
            except LookupError:
                models[row.model] = None
        drawn, box = _curve_traces(
            row, points[row.curve_id], models[row.model], fixed, factor, result.unit, label, level
        )
        flag = _group(row.flag_codes)[1]
        hill = "" if row.hill is None else f" · Hill {row.hill:.3g}"
        r2 = dict(row.extra).get("r_squared")
        fit = "" if r2 is None or not math.isfinite(r2) else f" · R² {r2:.3f}"
        title = (
            f"{_text(row.curve_id, LABEL_LIMIT)}: "
            f"{_text(_potency(row, result.unit, label, level))}{hill}{fit} (curve {i} of {of})"
        )
        groups.append((_text(f"{flag} · {row.curve_id}", LABEL_LIMIT), len(drawn), title))
        traces.extend(drawn)
        boxes.append(box)
    if not groups:
        return None
    menu, visible = selector(groups)
    for button, box in zip(menu["buttons"], boxes, strict=True):
        button["args"][1]["annotations"] = [box]
    for trace, on in zip(traces, visible, strict=True):
        trace["visible"] = on
    return figure(
        traces,
        layout(
            groups[0][2],
            axis(f"concentration ({_text(result.unit)})", type="log"),
            "response",
            height=540,
            updatemenus=[menu],
            annotations=[boxes[0]],
            legend=LEGEND_BELOW,
            showlegend=True,
        ),
    )


def figures(
    result: BatchFitResult, inputs: Mapping[str, InputFile] | None = None
) -> dict[str, Figure]:
    """The overlay of unflagged fits (``curves``) and their IC50s (``ic50``), the number of
    curves per flag (``flag_counts``) and, from a readable long ``.csv`` input in one molar
    unit, the ``curve_explorer`` (first in the order)."""
    found: dict[str, Figure] = {}
    if result.unit != "per curve":
        points = _read_points(result, inputs)
        explorer = None if points is None else _explorer(result, points)
        if explorer is not None:
            found["curve_explorer"] = explorer
    clean = _clean(result)
    if clean:
        curves = _curves(result, clean)
        if curves is not None:
            found["curves"] = curves
        found["ic50"] = _ic50s(result, clean)
    if result.rows:
        found["flag_counts"] = _flag_counts(result)
    return found
