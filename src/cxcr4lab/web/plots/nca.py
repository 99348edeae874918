"""Figures of a non-compartmental analysis: concentration-time per subject with the terminal
(lambda_z) fit, linear or log y; AUClast, AUCinf and t1/2 per subject.

The result keeps the parameters, not the samples: the concentrations are read from the stored
PK table (``inputs``). Without it the figure shows what the result holds (C0, Cmax, Clast and
the terminal line).
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


def _concentrations(result: NcaResult, samples: dict[str, Profile] | None) -> Figure:
    t_unit = result.units.get("time", "h")
    c_unit = result.units.get("conc", result.settings.conc_unit)
    lloq = result.settings.lloq
    traces: list[dict[str, Any]] = []
    for i, s in enumerate(result.subjects):
        colour = COLOURS[i % len(COLOURS)]
        p = None if samples is None else samples.get(s.subject)
        if p is not None:
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
    shown = "observed" if samples is not None else "Cmax and Clast (the PK table was not read)"
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


def figures(result: NcaResult, inputs: Mapping[str, InputFile] | None = None) -> dict[str, Figure]:
    return {
        "concentrations": _concentrations(result, profiles(result, inputs)),
        "exposure": _exposure(result),
    }
