"""Figures of the signalling-model SBML cross-check: each read-out against CXCL12 (Python model
lines, SBML points; one read-out at a time), the Ca2+ traces, and the largest relative
difference per read-out against the tolerance. Model, not data: SIMULATED read-outs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import (
    COLOURS,
    LEGEND_BELOW,
    Figure,
    figure,
    finite,
    hline,
    layout,
    selector,
)

if TYPE_CHECKING:
    from cxcr4lab.studies.signalling_sbml import SignallingSbmlCheck

__all__ = ["figures"]

_NM = 1e-9


def _pairs(x: tuple[float, ...], y: tuple[float, ...]) -> tuple[list[float], list[float]]:
    """Points with x > 0 (a log axis has no place for 0 M)."""
    kept = [(a, v) for a, v in zip(x, y, strict=True) if a > 0]
    return [a for a, _ in kept], [v for _, v in kept]


def _readouts(result: SignallingSbmlCheck) -> Figure:
    labels = list(dict.fromkeys(c.readout for c in result.curves))
    levels = sorted({c.antagonist_molar for c in result.curves})
    traces: list[dict[str, Any]] = []
    groups = []
    cell = result.cells[0] if result.cells else ""
    for label in labels:
        n = 0
        for i, level in enumerate(levels):
            curve = next(
                c for c in result.curves if c.readout == label and c.antagonist_molar == level
            )
            colour = COLOURS[i % len(COLOURS)]
            name = f"{level / _NM:.4g} nM"
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"Python, {name}",
                    "legendgroup": name,
                    "x": list(curve.agonist_molar),
                    "y": finite(curve.python),
                    "line": {"color": colour, "width": 1.5},
                    "hovertemplate": f"Python model, balixafortide {name}: CXCL12 %{{x:.3g}} M, "
                    f"{label} %{{y:.6g}}<extra></extra>",
                }
            )
            x, y = _pairs(curve.sbml_agonist_molar, curve.sbml)
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"SBML ({result.engine}), {name}",
                    "legendgroup": name,
                    "x": x,
                    "y": finite(y),
                    "marker": {"color": colour, "size": 9, "symbol": "circle-open"},
                    "hovertemplate": f"SBML, balixafortide {name}: CXCL12 %{{x:.3g}} M, "
                    f"{label} %{{y:.6g}}<extra></extra>",
                }
            )
            n += 2
        groups.append((label, n, f"{label} ({cell}): Python model (lines) vs SBML (points)"))
    menu, visible = selector(groups)
    for trace, shown in zip(traces, visible, strict=True):
        trace["visible"] = shown
    title = groups[0][2] if groups else "no read-outs"
    return figure(
        traces,
        layout(
            f"{title}; SIMULATED",
            {"type": "log", "title": {"text": "CXCL12 (M)"}},
            "read-out (fraction of maximum)",
            updatemenus=[menu],
            legend=LEGEND_BELOW,
            height=560,
        ),
    )


def _traces(result: SignallingSbmlCheck) -> Figure:
    traces: list[dict[str, Any]] = []
    for i, tr in enumerate(sorted(result.traces, key=lambda t: t.antagonist_molar)):
        colour = COLOURS[i % len(COLOURS)]
        name = f"{tr.antagonist_molar / _NM:.4g} nM"
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"Python, {name}",
                "legendgroup": name,
                "x": list(tr.time_s),
                "y": finite(tr.python),
                "line": {"color": colour, "width": 1.5},
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"SBML, {name}",
                "legendgroup": name,
                "x": list(tr.time_s),
                "y": finite(tr.sbml),
                "marker": {"color": colour, "size": 6, "symbol": "circle-open"},
            }
        )
    a = result.traces[0].agonist_molar / _NM if result.traces else 0.0
    cell = result.traces[0].cell if result.traces else ""
    return figure(
        traces,
        layout(
            f"Ca2+ after CXCL12 {a:.4g} nM ({cell}), per balixafortide level: Python (lines) vs "
            "SBML (points); SIMULATED",
            "time after CXCL12 (s)",
            "cytosolic Ca2+ (µmol/L)",
            legend=LEGEND_BELOW,
            height=520,
        ),
    )


def _differences(result: SignallingSbmlCheck) -> Figure:
    floor = 1e-17  # a difference of exactly 0 drawn at the foot of the log axis
    bars = {
        "type": "bar",
        "name": "largest relative difference",
        "x": [c.readout for c in result.checks],
        "y": [max(c.max_rel_diff, floor) for c in result.checks],
        "text": [f"{c.max_rel_diff:.2e} ({c.worst})" for c in result.checks],
        "marker": {"color": [COLOURS[2] if c.passed else COLOURS[1] for c in result.checks]},
        "hovertemplate": "%{x}: %{text}<extra></extra>",
    }
    tolerance = result.checks[0].tolerance if result.checks else 1e-6
    return figure(
        [bars],
        layout(
            f"Largest relative difference SBML vs Python per read-out (tolerance {tolerance:.0e};"
            " 0 drawn at 1e-17)",
            "read-out",
            {"type": "log", "title": {"text": "relative difference"}},
            shapes=[hline(tolerance, dash="dash", colour="#d62728")],
        ),
    )


def figures(result: SignallingSbmlCheck) -> dict[str, Figure]:
    return {
        "agreement": _differences(result),
        "readouts": _readouts(result),
        "traces": _traces(result),
    }
