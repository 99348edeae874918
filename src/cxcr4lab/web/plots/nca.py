"""Figures of a non-compartmental analysis: concentration-time per subject with the terminal
(lambda_z) fit, linear or log y, BLQ samples marked; mean +/- SD by group; the lambda_z
regression of each subject with the points it used; AUClast, AUCinf and t1/2 per subject.

The result keeps each subject's samples and how they were used (results stored before that
read them from the stored PK table, ``inputs``; without it the figure shows what the result
holds: C0, Cmax, Clast and the terminal line).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.core.errors import Cxcr4labError
from cxcr4lab.web.figures import (
    COLOURS,
    LEGEND_BELOW,
    Figure,
    axis,
    figure,
    finite,
    layout,
    log_toggle,
)

if TYPE_CHECKING:
    from cxcr4lab.pkpd.nca import NcaResult, Profile, SubjectNca
    from cxcr4lab.runs import InputFile

__all__ = ["figures", "profiles"]


def profiles(
    result: NcaResult, inputs: Mapping[str, InputFile] | None
) -> dict[str, Profile] | None:
    """The samples of each subject as read from the stored PK table (NaN = BLQ), or None."""
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.pkpd.nca import read_profiles

    if not inputs or "data" not in inputs:
        return None
    name, content = inputs["data"]
    try:
        table = read_table_bytes(content, name)
        read = read_profiles(table.frame, name, table.row_base, result.settings.lloq)
    except Cxcr4labError:
        return None
    return {p.subject: p for p in read}


def _terminal(s: SubjectNca, colour: str, time_unit: str) -> dict[str, Any] | None:
    lz = s.lambda_z
    if lz is None or not (math.isfinite(lz.lambda_z) and math.isfinite(lz.intercept)):
        return None
    t = np.linspace(lz.t_lower, lz.t_upper, 20)
    c = np.exp(lz.intercept - lz.lambda_z * t)
    return {
        "type": "scatter",
        "mode": "lines",
        "name": f"{s.subject} lambda_z",
        "legendgroup": s.subject,
        "showlegend": False,
        "x": finite(t),
        "y": finite(c),
        "line": {"color": colour, "dash": "dash", "width": 1.5},
        "hovertemplate": (
            f"subject {s.subject}: terminal fit, lambda_z {lz.lambda_z:.4g} 1/{time_unit}, "
            f"t1/2 {lz.half_life:.3g} {time_unit}, {lz.n_points} points, adj R² "
            f"{lz.adj_r2:.4f}<extra></extra>"
        ),
    }


def _stored(result: NcaResult, s: SubjectNca, colour: str) -> list[dict[str, Any]]:
    """A subject's stored samples: measured joined, BLQ set to 0 and BLQ left out marked."""
    from cxcr4lab.pkpd.nca_profiles import subject_points

    t_unit = result.units.get("time", "h")
    c_unit = result.units.get("conc", result.settings.conc_unit)
    p = subject_points(s)
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": s.subject,
            "legendgroup": s.subject,
            "x": finite(p.measured_t),
            "y": finite(p.measured_c),
            "line": {"color": colour, "width": 1.2},
            "marker": {"size": 5},
            "hovertemplate": f"subject {s.subject}: %{{x:g}} {t_unit}, %{{y:.4g}} "
            f"{c_unit}<extra></extra>",
        }
    ]
    marks = (
        (p.blq_zero_t, "triangle-down-open", "BLQ, set to 0"),
        (p.blq_excluded_t, "x-thin-open", "BLQ, excluded"),
    )
    lloq = result.settings.lloq
    for times, symbol, what in marks:
        if not len(times):
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{s.subject} {what}",
                "legendgroup": s.subject,
                "showlegend": False,
                "x": finite(times),
                "y": [lloq if lloq else 0.0] * len(times),
                "marker": {"color": colour, "symbol": symbol, "size": 8, "line": {"width": 1.5}},
                "hovertemplate": f"subject {s.subject}: {what} at %{{x:g}} {t_unit}<extra></extra>",
            }
        )
    return traces


def _concentrations(result: NcaResult, samples: dict[str, Profile] | None) -> Figure:
    t_unit = result.units.get("time", "h")
    c_unit = result.units.get("conc", result.settings.conc_unit)
    lloq = result.settings.lloq
    traces: list[dict[str, Any]] = []
    for i, s in enumerate(result.subjects):
        colour = COLOURS[i % len(COLOURS)]
        p = None if samples is None else samples.get(s.subject)
        if s.sample_times:
            traces.extend(_stored(result, s, colour))
        elif p is not None:
            measured = ~np.isnan(p.conc)
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": s.subject,
                    "legendgroup": s.subject,
                    "x": finite(p.time[measured]),
                    "y": finite(p.conc[measured]),
                    "line": {"color": colour, "width": 1.2},
                    "marker": {"size": 5},
                    "hovertemplate": f"subject {s.subject}: %{{x:g}} {t_unit}, %{{y:.4g}} "
                    f"{c_unit}<extra></extra>",
                }
            )
            if lloq is not None and (~measured).any():
                traces.append(
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "name": f"{s.subject} BLQ",
                        "legendgroup": s.subject,
                        "showlegend": False,
                        "x": finite(p.time[~measured]),
                        "y": [lloq] * int((~measured).sum()),
                        "marker": {"color": colour, "symbol": "triangle-down-open", "size": 7},
                        "hovertemplate": f"subject {s.subject}: BLQ at %{{x:g}} {t_unit}"
                        "<extra></extra>",
                    }
                )
        else:
            known = [
                (t, c, what)
                for t, c, what in (
                    (0.0, s.c0, "C0"),
                    (s.tmax, s.cmax, "Cmax"),
                    (s.tlast, s.clast, "Clast"),
                )
                if t is not None and c is not None
            ]
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": s.subject,
                    "legendgroup": s.subject,
                    "x": [t for t, _, _ in known],
                    "y": finite(c for _, c, _ in known),
                    "text": [w for _, _, w in known],
                    "marker": {"color": colour, "size": 7},
                    "hovertemplate": f"subject {s.subject} %{{text}}: %{{x:g}} {t_unit}, "
                    f"%{{y:.4g}} {c_unit}<extra></extra>",
                }
            )
        terminal = _terminal(s, colour, t_unit)
        if terminal is not None:
            traces.append(terminal)
    kept = samples is not None or any(s.sample_times for s in result.subjects)
    shown = "observed" if kept else "Cmax and Clast (the PK table was not read)"
    return figure(
        traces,
        layout(
            f"{result.source}: {shown} per subject; dashed: the terminal (lambda_z) fit",
            f"time after dose ({t_unit})",
            f"concentration ({c_unit})",
            updatemenus=[log_toggle()],
            legend={"title": {"text": "subject"}},
        ),
    )


def _exposure(result: NcaResult) -> Figure:
    auc = result.units.get("auc", "")
    t_unit = result.units.get("time", "h")
    subjects = [s.subject for s in result.subjects]
    hover = [
        f"subject {s.subject}: AUC %extrap {'n/a' if s.auc_pct_extrap_obs is None else f'{s.auc_pct_extrap_obs:.1f}%'}"
        for s in result.subjects
    ]
    traces = [
        {
            "type": "bar",
            "name": "AUClast",
            "x": subjects,
            "y": finite(s.auc_last for s in result.subjects),
            "text": hover,
            "marker": {"color": COLOURS[0]},
            "hovertemplate": f"%{{text}}<br>AUClast %{{y:.4g}} {auc}<extra></extra>",
        },
        {
            "type": "bar",
            "name": "AUCinf (obs)",
            "x": subjects,
            "y": finite(s.auc_inf_obs for s in result.subjects),
            "text": hover,
            "marker": {"color": COLOURS[4]},
            "hovertemplate": f"%{{text}}<br>AUCinf (obs) %{{y:.4g}} {auc}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "t1/2 (right axis)",
            "x": subjects,
            "y": finite(s.half_life for s in result.subjects),
            "yaxis": "y2",
            "marker": {"color": COLOURS[1], "symbol": "diamond", "size": 9},
            "hovertemplate": f"subject %{{x}}: t1/2 %{{y:.3g}} {t_unit}<extra></extra>",
        },
    ]
    return figure(
        traces,
        layout(
            "Exposure and terminal half-life per subject",
            axis("subject", type="category"),
            f"AUC ({auc})",
            barmode="group",
            yaxis2=axis(
                f"terminal half-life ({t_unit})", overlaying="y", side="right", rangemode="tozero"
            ),
            legend=LEGEND_BELOW,
        ),
    )


def _means(result: NcaResult) -> Figure:
    from cxcr4lab.pkpd.nca_profiles import group_means

    t_unit = result.units.get("time", "h")
    c_unit = result.units.get("conc", result.settings.conc_unit)
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": f"{g.label} (n = {g.n_subjects})",
            "x": finite(g.time),
            "y": finite(g.mean),
            "error_y": {"type": "data", "array": finite(g.sd), "visible": True},
            "text": [f"n = {n}" for n in g.n],
            "line": {"color": COLOURS[i % len(COLOURS)], "width": 1.5},
            "hovertemplate": f"{g.label}: %{{x:g}} {t_unit}, mean %{{y:.4g}} {c_unit} "
            "(%{text})<extra></extra>",
        }
        for i, g in enumerate(group_means(result))
    ]
    return figure(
        traces,
        layout(
            "Mean ± SD by group (BLQ set to 0 counted as 0)",
            f"time ({t_unit})",
            f"concentration ({c_unit})",
            updatemenus=[log_toggle()],
            legend={"title": {"text": "group"}},
        ),
    )


def _lambda_z(result: NcaResult) -> Figure:
    """Each subject's samples on a log axis with the points the lambda_z fit used and its line;
    one subject at a time (the legend toggles them)."""
    from cxcr4lab.pkpd.nca_profiles import subject_points

    t_unit = result.units.get("time", "h")
    c_unit = result.units.get("conc", result.settings.conc_unit)
    traces: list[dict[str, Any]] = []
    for i, s in enumerate(result.subjects):
        colour = COLOURS[i % len(COLOURS)]
        p = subject_points(s)
        visible: bool | str = True if i == 0 else "legendonly"
        positive = p.measured_c > 0
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": s.subject,
                "legendgroup": s.subject,
                "visible": visible,
                "x": finite(p.measured_t[positive]),
                "y": finite(p.measured_c[positive]),
                "marker": {"color": colour, "symbol": "circle-open", "size": 7},
                "hovertemplate": f"subject {s.subject}: %{{x:g}} {t_unit}, %{{y:.4g}} {c_unit}"
                "<extra></extra>",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{s.subject} used",
                "legendgroup": s.subject,
                "showlegend": False,
                "visible": visible,
                "x": finite(p.lambda_z_t),
                "y": finite(p.lambda_z_c),
                "marker": {"color": colour, "size": 8},
                "hovertemplate": f"subject {s.subject}: used by lambda_z<extra></extra>",
            }
        )
        terminal = _terminal(s, colour, t_unit)
        if terminal is not None:
            traces.append(terminal | {"visible": visible})
    return figure(
        traces,
        layout(
            "Terminal phase per subject (filled: points the lambda_z regression used); click "
            "a subject in the legend",
            f"time ({t_unit})",
            axis(f"concentration ({c_unit})", type="log"),
            legend={"title": {"text": "subject"}},
        ),
    )


def figures(result: NcaResult, inputs: Mapping[str, InputFile] | None = None) -> dict[str, Figure]:
    stored = any(s.sample_times for s in result.subjects)
    out = {
        "concentrations": _concentrations(result, None if stored else profiles(result, inputs)),
    }
    if stored:
        out["means"] = _means(result)
        out["lambda_z"] = _lambda_z(result)
    out["exposure"] = _exposure(result)
    return out
