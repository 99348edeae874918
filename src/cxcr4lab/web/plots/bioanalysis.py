"""Figures of an LC-MS/MS run: the calibration curve (area ratio against nominal, log-log) with
the calibrators and QCs (rejected open), their bias against the acceptance limits, and the
concentration-time profile of each subject's unknowns (BLQ at the bound, open)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.web.figures import COLOURS, Figure, axis, figure, finite, hline, layout, log_toggle

if TYPE_CHECKING:
    from cxcr4lab.assays.bioanalysis import BioanalysisResult, Injection

__all__ = ["figures"]


def _text(i: Injection) -> str:
    accuracy = "" if i.accuracy_pct is None else f", accuracy {i.accuracy_pct:.1f}%"
    verdict = "" if i.passed is None else (", passed" if i.passed else ", FAILED")
    return f"{i.sample_id} ({i.type}){accuracy}{verdict}"


def _calibration(result: BioanalysisResult) -> Figure:
    s = result.settings
    cal = result.of_type("calibrator")
    qc = result.of_type("qc")
    traces: list[dict[str, Any]] = []
    nominal = [i.nominal for i in cal if i.nominal]
    if nominal:
        x = np.geomspace(min(nominal) / 1.5, max(nominal) * 1.5, 160)
        with np.errstate(all="ignore"):
            y = result.fit.predict(x)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{s.regression} fit, weight {s.weighting}",
                "x": finite(x),
                "y": finite(np.where(y > 0, y, np.nan)),
                "line": {"color": "black", "width": 1.5},
                "hoverinfo": "skip",
            }
        )
    for group, symbol, colour, label in (
        (cal, "circle", COLOURS[0], "calibrators"),
        (qc, "square", COLOURS[4], "QCs"),
    ):
        for used in (True, False):
            pts = [
                i
                for i in group
                if (i.used_in_fit or i.type == "qc") == used and i.ratio and i.nominal
            ]
            if not pts:
                continue
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": label + ("" if used else " (rejected)"),
                    "x": [i.nominal for i in pts],
                    "y": finite(i.ratio for i in pts),
                    "text": [_text(i) for i in pts],
                    "marker": {
                        "color": colour,
                        "size": 8,
                        "symbol": symbol if used else f"{symbol}-open",
                    },
                    "hovertemplate": f"%{{text}}<br>nominal %{{x:.4g}} {s.unit}, ratio %{{y:.4g}}"
                    "<extra></extra>",
                }
            )
    run = "" if result.passed else " — RUN FAILED: " + "; ".join(result.reasons)
    return figure(
        traces,
        layout(
            f"{s.analyte} calibration, {result.run}{run}",
            axis(f"nominal concentration ({s.unit})", type="log"),
            axis("peak-area ratio (analyte / IS)", type="log"),
        ),
    )


def _bias(result: BioanalysisResult) -> Figure:
    s = result.settings
    traces = []
    for kind, symbol, colour, label in (
        ("calibrator", "circle", COLOURS[0], "calibrators"),
        ("qc", "square", COLOURS[4], "QCs"),
    ):
        pts = [i for i in result.of_type(kind) if i.accuracy_pct is not None and i.nominal]
        if not pts:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": label,
                "x": [i.nominal for i in pts],
                "y": finite((i.accuracy_pct or 100.0) - 100 for i in pts),
                "text": [_text(i) for i in pts],
                "marker": {
                    "color": [colour if i.passed else COLOURS[1] for i in pts],
                    "symbol": [symbol if i.passed else "x" for i in pts],
                    "size": 9,
                },
                "hovertemplate": f"%{{text}}<br>nominal %{{x:.4g}} {s.unit}: bias %{{y:.1f}}%"
                "<extra></extra>",
            }
        )
    limit = s.calibrator_limit_pct
    shapes = [
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": -limit,
            "y1": limit,
            "fillcolor": COLOURS[2],
            "opacity": 0.08,
            "line": {"width": 0},
            "layer": "below",
        },
        hline(0.0, dash="solid", colour="#999"),
    ]
    if result.lloq is not None:
        for sign in (1, -1):
            shapes.append(
                {
                    "type": "line",
                    "x0": result.lloq / 1.3,
                    "x1": result.lloq * 1.3,
                    "y0": sign * s.lloq_limit_pct,
                    "y1": sign * s.lloq_limit_pct,
                    "line": {"color": COLOURS[2], "width": 2},
                }
            )
    return figure(
        traces,
        layout(
            f"Bias of calibrators and QCs (shaded ±{limit:g}%; ±{s.lloq_limit_pct:g}% at the "
            "LLOQ; red crosses fail)",
            axis(f"nominal concentration ({s.unit})", type="log"),
            "bias (%)",
            shapes=shapes,
        ),
    )


def _profiles(result: BioanalysisResult) -> Figure | None:
    s = result.settings
    unknowns = [i for i in result.of_type("unknown") if i.time_h is not None and i.concentration]
    if not unknowns:
        return None
    traces: list[dict[str, Any]] = []
    subjects = list(dict.fromkeys(i.subject or "" for i in unknowns))
    for k, subject in enumerate(subjects):
        colour = COLOURS[k % len(COLOURS)]
        pts = sorted(
            (i for i in unknowns if (i.subject or "") == subject), key=lambda i: i.time_h or 0.0
        )
        exact = [i for i in pts if i.bound == "="]
        bounds = [i for i in pts if i.bound != "="]
        name = subject or "(no subject)"
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "legendgroup": name,
                "x": [i.time_h for i in exact],
                "y": finite(i.concentration for i in exact),
                "text": [f"{i.sample_id} x{i.dilution:g} {', '.join(i.flags)}" for i in exact],
                "line": {"color": colour, "width": 1.2},
                "hovertemplate": f"{name} %{{text}}: %{{x:g}} h, %{{y:.4g}} {s.unit}"
                "<extra></extra>",
            }
        )
        if bounds:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{name} outside the range",
                    "legendgroup": name,
                    "showlegend": False,
                    "x": [i.time_h for i in bounds],
                    "y": finite(i.concentration for i in bounds),
                    "text": [f"{i.sample_id}: {i.bound} {i.concentration:.4g}" for i in bounds],
                    "marker": {"color": colour, "symbol": "triangle-down-open", "size": 8},
                    "hovertemplate": f"%{{text}} {s.unit} at %{{x:g}} h<extra></extra>",
                }
            )
    return figure(
        traces,
        layout(
            f"{s.analyte} plasma concentrations (open triangles: outside the quantitation range)",
            "time after start of infusion (h)",
            axis(f"{s.analyte} ({s.unit})", type="log"),
            updatemenus=[log_toggle(log_first=True)],
            legend={"title": {"text": "subject"}},
        ),
    )


def figures(result: BioanalysisResult) -> dict[str, Figure]:
    found = {"calibration": _calibration(result), "bias": _bias(result)}
    profiles = _profiles(result)
    if profiles is not None:
        found["profiles"] = profiles
    return found
