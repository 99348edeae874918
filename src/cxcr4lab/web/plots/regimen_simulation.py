"""Figures of a regimen population simulation: the median and 5-95% band over the course of
each output (plasma concentration, receptor occupancy, CD34+ count, neutrophil count), cycle
starts marked; the probability of grade >= 3 and grade 4 neutropenia per cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.web.figures import (
    COLOURS,
    Figure,
    axis,
    band,
    error_bars,
    figure,
    finite,
    hline,
    layout,
    vline,
)

if TYPE_CHECKING:
    from cxcr4lab.pkpd.regimen_simulation import RegimenSimulation

__all__ = ["figures"]

_NAMES = {
    "Cp": "plasma_concentration",
    "RO": "occupancy",
    "CD34": "cd34_count",
    "ANC": "neutrophils",
}
_COLOUR = {"Cp": COLOURS[0], "RO": COLOURS[3], "CD34": COLOURS[2], "ANC": COLOURS[1]}


def _target_conc(result: RegimenSimulation) -> float:
    """Total plasma concentration (µg/mL) at which occupancy reaches the target."""
    occ = result.occupancy
    unbound = occ.unbound_for_occupancy(result.settings.target)
    return unbound / occ.fu * (occ.mw_g_per_mol or 1.0) * 1e3


def _band_figure(result: RegimenSimulation, name: str) -> Figure:
    from cxcr4lab.pkpd.neutropenia import ANC_LLN
    from cxcr4lab.pkpd.regimen_simulation import LABELS, UNITS

    day = np.asarray(result.times_h, dtype=float) / 24.0
    lo, mid, hi = (np.asarray(b, dtype=float) for b in result.bands[name])
    colour, unit = _COLOUR[name], UNITS[name]
    shapes: list[dict[str, Any]] = [
        vline(c * result.regimen.cycle_days, colour="#bbb")
        for c in range(1, result.settings.cycles)
    ]
    y = axis(f"{LABELS[name]} ({unit})")
    target = 100 * result.settings.target
    note = ""
    if name == "Cp":
        need = _target_conc(result)
        floor = need / 100
        lo, mid, hi = (np.maximum(v, floor) for v in (lo, mid, hi))
        y |= {"type": "log"}
        shapes.append(hline(need, dash="dash", colour="black"))
        note = f"; dashed: the concentration for {target:g}% occupancy ({need:.3g} {unit})"
    elif name == "RO":
        y |= {"range": [0, 102]}
        shapes.append(hline(target, dash="dash", colour="black"))
        note = f"; dashed: the target {target:g}%"
    elif name == "ANC":
        shapes += [hline(level) for level in (ANC_LLN, 1.5, 1.0, 0.5)]
        note = f"; dotted: LLN {ANC_LLN:g}, grade 2 < 1.5, grade 3 < 1.0, grade 4 < 0.5"
    x = finite(day)
    traces = [
        band(x, finite(lo), finite(hi), colour, name="5-95th percentile"),
        {
            "type": "scatter",
            "mode": "lines",
            "name": "median",
            "x": x,
            "y": finite(mid),
            "customdata": [[a, b] for a, b in zip(finite(lo), finite(hi), strict=True)],
            "line": {"color": colour, "width": 1.8},
            "hovertemplate": f"day %{{x:.2f}}: median %{{y:.3g}} {unit} (5-95%: "
            "%{customdata[0]:.3g}-%{customdata[1]:.3g})<extra></extra>",
        },
    ]
    title = (
        f"SIMULATED, {result.n_patients} virtual patients: {LABELS[name]}, median and 5-95% band"
        f"{note}"
    )
    return figure(
        traces,
        layout(
            title,
            f"time (days from the first dose; grey: cycles of {result.regimen.cycle_days} days)",
            y,
            shapes=shapes,
            height=400,
        ),
    )


def _grades(result: RegimenSimulation) -> Figure:
    from cxcr4lab.pkpd.regimen_simulation import proportion_ci

    cycles = [*result.cycles, result.overall]
    labels = [str(c.cycle) if c.cycle else "all" for c in cycles]
    traces = []
    for what, key, colour in (
        ("grade >= 3", "grade3", COLOURS[4]),
        ("grade 4", "grade4", COLOURS[1]),
    ):
        counts = [getattr(c, key) for c in cycles]
        p = [100 * k / c.n for k, c in zip(counts, cycles, strict=True)]
        ci = [proportion_ci(k, c.n) for k, c in zip(counts, cycles, strict=True)]
        traces.append(
            {
                "type": "bar",
                "name": f"P({what})",
                "x": labels,
                "y": finite(p),
                "error_y": error_bars(p, [100 * a for a, _ in ci], [100 * b for _, b in ci]),
                "text": [f"{k} of {c.n}" for k, c in zip(counts, cycles, strict=True)],
                "marker": {"color": colour},
                "hovertemplate": f"cycle %{{x}}: P({what}) %{{y:.1f}}% (%{{text}})<extra></extra>",
            }
        )
    return figure(
        traces,
        layout(
            "SIMULATED: neutropenia per cycle (exact 95% CIs of the Monte Carlo estimate)",
            axis("cycle", type="category"),
            axis("virtual patients (%)", rangemode="tozero"),
            barmode="group",
        ),
    )


def figures(result: RegimenSimulation) -> dict[str, Figure]:
    found = {_NAMES[name]: _band_figure(result, name) for name in _NAMES if name in result.bands}
    found["neutropenia"] = _grades(result)
    return found
