"""Figures of a PK regimen simulation: the concentration-time curve of each parameter set with
the dosing intervals marked (infusions shaded), linear or log y; Cmax and trough per interval."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, Figure, axis, figure, finite, layout, log_toggle, vline

if TYPE_CHECKING:
    from cxcr4lab.pkpd.pk_regimen import PkRegimenResult

__all__ = ["figures"]

_LABELLED = 12
"""Parameter sets named in the legend; more are drawn without a legend entry."""


def _concentrations(result: PkRegimenResult) -> Figure:
    reg = result.regimen
    unit = result.conc_unit
    many = len(result.profiles) > _LABELLED
    traces: list[dict[str, Any]] = []
    for i, p in enumerate(result.profiles):
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": p.label,
                "showlegend": not many,
                "x": list(result.times),
                "y": finite(p.conc),
                "line": {"color": COLOURS[i % len(COLOURS)], "width": 0.8 if many else 1.6},
                "hovertemplate": f"{p.label}: %{{x:.3g}} h, %{{y:.4g}} {unit}<extra></extra>",
            }
        )
    end = result.times[-1] if result.times else 0.0
    starts = [float(t) for t in reg.dose_times if t <= end]
    shapes: list[dict[str, Any]] = [vline(t, colour="#999") for t in starts]
    if reg.route == "infusion" and reg.duration > 0:
        shapes += [
            {
                "type": "rect",
                "x0": t,
                "x1": t + reg.duration,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "fillcolor": "#ff7f0e",
                "opacity": 0.12,
                "line": {"width": 0},
                "layer": "below",
            }
            for t in starts
        ]
    infusion = " (shaded: infusion)" if reg.route == "infusion" and reg.duration > 0 else ""
    return figure(
        traces,
        layout(
            f"SIMULATED: {reg.describe()}; dotted: doses every {reg.interval:g} h{infusion}",
            "time after the first dose (h)",
            axis(f"concentration ({unit})", rangemode="tozero"),
            shapes=shapes,
            updatemenus=[log_toggle()],
            legend={"title": {"text": "parameter set"}},
        ),
    )


def _intervals(result: PkRegimenResult) -> Figure:
    unit = result.conc_unit
    many = len(result.profiles) > _LABELLED
    traces: list[dict[str, Any]] = []
    for i, p in enumerate(result.profiles):
        colour = COLOURS[i % len(COLOURS)]
        doses = [m.dose for m in p.intervals]
        for what, values, dash in (
            ("Cmax", [m.cmax for m in p.intervals], "solid"),
            ("trough", [m.cmin for m in p.intervals], "dot"),
        ):
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": f"{p.label} {what}",
                    "legendgroup": p.label,
                    "showlegend": not many,
                    "x": doses,
                    "y": finite(values),
                    "line": {"color": colour, "dash": dash, "width": 1.2},
                    "hovertemplate": f"{p.label}, dose %{{x}}: {what} %{{y:.4g}} {unit}"
                    "<extra></extra>",
                }
            )
    return figure(
        traces,
        layout(
            "Cmax (solid) and trough at the end of each interval (dotted)",
            axis("dose number", dtick=1),
            axis(f"concentration ({unit})", rangemode="tozero"),
        ),
    )


def figures(result: PkRegimenResult) -> dict[str, Figure]:
    return {"concentrations": _concentrations(result), "intervals": _intervals(result)}
