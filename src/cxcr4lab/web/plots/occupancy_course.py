"""Figures of a receptor-occupancy course: occupancy (%) over time with the 50/90/99% levels,
and the total and unbound concentrations (nM, log y) with the apparent Kd."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxcr4lab.web.figures import COLOURS, Figure, axis, figure, finite, hline, layout, log_toggle

if TYPE_CHECKING:
    from cxcr4lab.pkpd.occupancy_model import OccupancyCourse

__all__ = ["figures"]

_NM = 1e-9


def figures(result: OccupancyCourse) -> dict[str, Figure]:
    m = result.model
    t = list(result.times_h)
    total = np.asarray(result.total_molar, dtype=float) / _NM
    unbound = np.asarray(result.unbound_molar, dtype=float) / _NM
    ro = 100 * np.asarray(result.occupancy, dtype=float)
    text = [f"total {a:.3g} nM, unbound {b:.3g} nM" for a, b in zip(total, unbound, strict=True)]
    compound = m.compound or "compound"
    occupancy = figure(
        [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "occupancy",
                "x": t,
                "y": finite(ro),
                "text": text,
                "line": {"color": COLOURS[3], "width": 2},
                "marker": {"size": 5},
                "hovertemplate": "%{x:g} h: RO %{y:.1f}%<br>%{text}<extra></extra>",
            }
        ],
        layout(
            f"{compound}: receptor occupancy, Kd {m.kd_molar / _NM:.3g} nM, fu {m.fu:g} "
            f"(dotted: 50, 90, 99%; time at or above 90%: {result.time_above(0.9):.3g} h)",
            "time (h)",
            axis("receptor occupancy (%)", range=[0, 102]),
            shapes=[hline(level) for level in (50.0, 90.0, 99.0)],
        ),
    )
    floor = 1e-6
    concentrations = figure(
        [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": t,
                "y": finite(np.maximum(values, floor)),
                "line": {"color": colour, "width": 1.6},
                "marker": {"size": 4},
                "hovertemplate": f"%{{x:g}} h: {name} %{{y:.4g}} nM<extra></extra>",
            }
            for name, values, colour in (
                ("total", total, COLOURS[0]),
                ("unbound", unbound, COLOURS[4]),
            )
        ],
        layout(
            f"Plasma concentrations ({result.source or 'source not stated'}); dashed: apparent "
            f"Kd {m.apparent_kd / _NM:.3g} nM",
            "time (h)",
            axis("concentration (nM)", type="log"),
            shapes=[hline(m.apparent_kd / _NM, dash="dash")],
            updatemenus=[log_toggle(log_first=True)],
        ),
    )
    return {"occupancy": occupancy, "concentrations": concentrations}
