"""Figures of an inventory check: the aliquots' expiry timeline coloured by status (the status
date marked) and, with a solubility assessment, its calibration line with the samples' CIs."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, Figure, axis, band, error_bars, figure, layout

if TYPE_CHECKING:
    from cxcr4lab.compounds.inventory import SolubilityAssessment
    from cxcr4lab.compounds.inventory_check import InventoryCheck

__all__ = ["calibration_figure", "expiry_figure", "figures"]

STATE_COLOURS = {"ok": "#2ca02c", "expired": "#d62728", "over-thawed": "#ff7f0e"}
"""Colour of each status (as the report section's)."""


def expiry_figure(result: InventoryCheck) -> Figure:
    """One bar per aliquot from its preparation to its expiry (dates), coloured by status; the
    status date as a dashed line."""
    traces: list[dict[str, Any]] = []
    labels = [a.label for a in result.aliquots]
    for state, colour in STATE_COLOURS.items():
        rows = [a for a in result.aliquots if a.state == state]
        if not rows:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": state,
                "x": [v for a in rows for v in (a.prepared_on, a.expires_on, None)],
                "y": [v for a in rows for v in (a.label, a.label, None)],
                "text": [
                    v
                    for a in rows
                    for v in (
                        f"prepared {a.prepared_on}, {a.storage_temperature_c:g} °C",
                        f"expires {a.expires_on} ({a.expiry_from}: {a.rule}); thawed "
                        f"{a.freeze_thaw_count} of {a.max_thaws}; {a.reason}",
                        None,
                    )
                ],
                "line": {"color": colour, "width": 10},
                "marker": {"color": colour, "size": 6},
                "hovertemplate": "%{y}: %{text}<extra>" + state + "</extra>",
            }
        )
    on = date.fromisoformat(result.on)
    shape = {
        "type": "line",
        "x0": result.on,
        "x1": result.on,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"dash": "dash", "color": "#333", "width": 1},
    }
    first = min((date.fromisoformat(a.prepared_on) for a in result.aliquots), default=on)
    last = max((date.fromisoformat(a.expires_on) for a in result.aliquots), default=on)
    return figure(
        traces,
        layout(
            f"Aliquot expiry, status on {result.on} (dashed)",
            axis(
                "preparation → expiry (date)",
                type="date",
                range=[
                    (min(first, on) - timedelta(days=15)).isoformat(),
                    (max(last, on) + timedelta(days=15)).isoformat(),
                ],
            ),
            axis(
                "aliquot",
                type="category",
                categoryorder="array",
                categoryarray=labels[::-1],
            ),
            height=max(260, 60 + 40 * len(labels)),
            shapes=[shape],
        ),
    )


def calibration_figure(assessment: SolubilityAssessment) -> Figure:
    """The standards' line with its prediction band for one reading, and each sample's mean
    reading at its measured (diluted) concentration with its CI."""
    from scipy import stats

    cal = assessment.calibration
    unit = assessment.unit
    t = float(stats.t.ppf(0.5 + assessment.level / 2, cal.n - 2))
    lo_x = min(cal.x_min, 0.0)
    xs = [lo_x + (cal.x_max * 1.05 - lo_x) * k / 60 for k in range(61)]
    fit = [cal.intercept + cal.slope * x for x in xs]
    half = [t * cal.sigma * math.sqrt(1 + 1 / cal.n + (x - cal.x_mean) ** 2 / cal.sxx) for x in xs]
    level = f"{100 * assessment.level:g}%"
    traces: list[dict[str, Any]] = [
        band(
            xs,
            [f - h for f, h in zip(fit, half, strict=True)],
            [f + h for f, h in zip(fit, half, strict=True)],
            COLOURS[0],
            name=f"{level} prediction band",
        ),
        {
            "type": "scatter",
            "mode": "lines",
            "name": f"line (R² {cal.r_squared:.4f}, n = {cal.n})",
            "x": xs,
            "y": fit,
            "line": {"color": COLOURS[0]},
            "hovertemplate": f"%{{x:.4g}} {unit}: response %{{y:.4g}}<extra></extra>",
        },
    ]
    for k, s in enumerate(assessment.samples):
        lower = None if s.lower is None else s.lower / s.dilution
        upper = None if s.upper is None else s.upper / s.dilution
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": s.sample,
                "x": [s.measured],
                "y": [s.mean_response],
                "error_x": error_bars([s.measured], [lower], [upper]),
                "marker": {
                    "color": COLOURS[(k + 1) % len(COLOURS)],
                    "size": 10,
                    "symbol": "square",
                },
                "text": [
                    f"x{s.dilution:g} dilution → {s.concentration:,.4g} {unit}"
                    + (
                        ""
                        if s.lower is None or s.upper is None
                        else f" ({level} CI {s.lower:,.4g} – {s.upper:,.4g})"
                    )
                ],
                "hovertemplate": f"{s.sample}: %{{x:.4g}} {unit} read; %{{text}}<extra></extra>",
            }
        )
    return figure(
        traces,
        layout(
            f"Solubility calibration; samples with {level} CIs",
            f"concentration ({unit}, as read)",
            "response",
        ),
    )


def figures(result: InventoryCheck) -> dict[str, Figure]:
    out: dict[str, Figure] = {}
    if result.aliquots:
        out["expiry"] = expiry_figure(result)
    if result.assessment is not None:
        out["calibration"] = calibration_figure(result.assessment)
    if not out:  # stocks only: their expiry
        out["expiry"] = figure(
            [
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [s.expires_on for s in result.stocks],
                    "y": [s.lot for s in result.stocks],
                    "marker": {"color": [STATE_COLOURS[s.state] for s in result.stocks]},
                    "text": [s.reason for s in result.stocks],
                    "hovertemplate": "%{y}: expires %{x}; %{text}<extra></extra>",
                }
            ],
            layout(
                f"Stock expiry, status on {result.on}",
                axis("expiry (date)", type="date"),
                axis("lot", type="category"),
            ),
        )
    return out
