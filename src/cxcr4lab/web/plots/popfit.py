"""Figures of a population PK fit (plotly): goodness of fit, CWRES, individual fits, VPC."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, Figure, axis, figure, finite, layout, log_toggle

if TYPE_CHECKING:
    from cxcr4lab.pkpd.popfit_results import PopFitResult

__all__ = ["figures"]


def _gof(result: PopFitResult) -> Figure:
    obs = result.observations.frame
    q = obs[~obs["blq"]]
    unit = result.unit.get("conc", "")
    traces: list[dict[str, Any]] = []
    for col, name, colour in (("pred", "PRED", COLOURS[0]), ("ipred", "IPRED", COLOURS[1])):
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"DV vs {name}",
                "x": finite(q[col]),
                "y": finite(q["dv"]),
                "text": list(q["subject"]),
                "marker": {"color": colour, "size": 5, "opacity": 0.6},
                "hovertemplate": f"subject %{{text}}: {name} %{{x:.4g}}, DV %{{y:.4g}} {unit}"
                "<extra></extra>",
            }
        )
    positive = [v for v in (*q["dv"], *q["ipred"]) if v > 0]
    if positive:
        lo, hi = min(positive), max(positive)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "identity",
                "x": [lo, hi],
                "y": [lo, hi],
                "line": {"color": "#888", "dash": "dot"},
            }
        )
    return figure(
        traces,
        layout(
            f"Observed against predicted ({result.n_blq} BLQ not shown)",
            axis(f"prediction ({unit})", type="log"),
            axis(f"DV ({unit})", type="log"),
        ),
    )


def _residuals(result: PopFitResult) -> Figure:
    obs = result.observations.frame
    q = obs[~obs["blq"]]
    col = "cwres" if q["cwres"].notna().any() else "iwres"
    traces = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": col.upper(),
            "x": finite(q["time"]),
            "y": finite(q[col]),
            "text": list(q["subject"]),
            "marker": {"color": COLOURS[3], "size": 5, "opacity": 0.6},
            "hovertemplate": f"subject %{{text}}: %{{x:g}} h, {col.upper()} %{{y:.3g}}"
            "<extra></extra>",
        }
    ]
    shapes = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
         "line": {"color": "#888", "dash": "solid" if y == 0 else "dot"}}
        for y in (0.0, -2.0, 2.0)
    ]  # fmt: skip
    return figure(
        traces, layout(f"{col.upper()} against time", "time (h)", col.upper(), shapes=shapes)
    )


def _individual(result: PopFitResult, limit: int = 40) -> Figure:
    obs = result.observations.frame
    unit = result.unit.get("conc", "")
    traces: list[dict[str, Any]] = []
    for i, sid in enumerate(list(dict.fromkeys(obs["subject"]))[:limit]):
        g = obs[obs["subject"] == sid].sort_values("time")
        colour = COLOURS[i % len(COLOURS)]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": str(sid),
                "legendgroup": str(sid),
                "x": finite(g["time"]),
                "y": finite(v if not b else None for v, b in zip(g["dv"], g["blq"], strict=True)),
                "marker": {"color": colour, "size": 6},
                "hovertemplate": f"subject {sid}: %{{x:g}} h, DV %{{y:.4g}} {unit}<extra></extra>",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{sid} IPRED",
                "legendgroup": str(sid),
                "showlegend": False,
                "x": finite(g["time"]),
                "y": finite(v if v > 0 else None for v in g["ipred"]),
                "line": {"color": colour, "width": 1.2},
                "hovertemplate": f"subject {sid}: %{{x:g}} h, IPRED %{{y:.4g}} {unit}"
                "<extra></extra>",
            }
        )
    return figure(
        traces,
        layout(
            "Individual fits: observed (points) and IPRED (lines)",
            "time (h)",
            f"concentration ({unit})",
            updatemenus=[log_toggle(log_first=True)],
        ),
    )


def _vpc(result: PopFitResult) -> Figure | None:
    table = result.vpc_table()
    if table.empty:
        return None
    x = finite(table["time"])
    traces: list[dict[str, Any]] = []
    for key, colour in (("p5", COLOURS[0]), ("p50", COLOURS[3]), ("p95", COLOURS[0])):
        if f"sim_{key}_lower" in table:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": x + x[::-1],
                    "y": finite(table[f"sim_{key}_upper"])
                    + finite(table[f"sim_{key}_lower"])[::-1],
                    "fill": "toself",
                    "fillcolor": "rgba(31,119,180,0.15)"
                    if key != "p50"
                    else "rgba(214,39,40,0.15)",
                    "line": {"width": 0},
                    "name": f"simulated {key} percentile, 95% CI",
                    "hoverinfo": "skip",
                }
            )
        if f"obs_{key}" in table:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": x,
                    "y": finite(table[f"obs_{key}"]),
                    "line": {"color": colour},
                    "name": f"observed {key} percentile",
                }
            )
    return figure(
        traces,
        layout(
            "Visual predictive check (prediction-corrected)",
            "time (h)",
            axis(f"concentration ({result.unit.get('conc', '')})", type="log"),
        ),
    )


def figures(result: PopFitResult) -> dict[str, Figure]:
    out = {
        "gof": _gof(result),
        "residuals": _residuals(result),
        "individual": _individual(result),
    }
    vpc = _vpc(result)
    if vpc is not None:
        out["vpc"] = vpc
    return out
