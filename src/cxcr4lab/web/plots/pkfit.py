"""Figures of compartmental PK fits: each subject's observed concentrations and fitted curve
(log or linear y), and the fitted parameters across subjects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cxcr4lab.core.errors import Cxcr4labError
from cxcr4lab.web.figures import (
    COLOURS,
    Figure,
    axis,
    error_bars,
    figure,
    finite,
    layout,
    log_toggle,
    selector,
)

if TYPE_CHECKING:
    from cxcr4lab.pkpd.pkfit_results import PkFitResult, SubjectPkFit

__all__ = ["figures"]


def _curve(s: SubjectPkFit) -> tuple[list[float | None], list[float | None]] | None:
    if not s.log_values:
        return None
    t = np.asarray(s.time, dtype=float)
    end = max(float(t.max()) if t.size else 24.0, max((d.time for d in s.doses), default=0.0))
    grid = np.union1d(np.linspace(0.0, end, 160), t)
    try:
        with np.errstate(all="ignore"):
            pred = s.predict(grid)
    except Cxcr4labError:
        return None
    pred = np.where(pred > 0, pred, np.nan)
    return finite(grid), finite(pred)


def _fits(result: PkFitResult) -> Figure:
    t_unit = result.units.get("time", "h")
    c_unit = result.units.get("conc", result.settings.conc_unit)
    traces: list[dict[str, Any]] = []
    for i, s in enumerate(result.subjects):
        colour = COLOURS[i % len(COLOURS)]
        flags = f" [{', '.join(s.flags)}]" if s.flags else ""
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{s.subject}{flags}",
                "legendgroup": s.subject,
                "x": list(s.time),
                "y": finite(c if c > 0 else None for c in s.conc),
                "marker": {"color": colour, "size": 6},
                "hovertemplate": f"subject {s.subject}: %{{x:g}} {t_unit}, observed %{{y:.4g}} "
                f"{c_unit}<extra></extra>",
            }
        )
        curve = _curve(s)
        if curve is not None:
            aicc = "" if s.aicc is None else f", AICc {s.aicc:.2f}"
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{s.subject} {s.model} fit",
                    "legendgroup": s.subject,
                    "showlegend": False,
                    "x": curve[0],
                    "y": curve[1],
                    "line": {"color": colour, "width": 1.5},
                    "hovertemplate": f"subject {s.subject} {s.model} fit{aicc}: %{{x:.3g}} "
                    f"{t_unit}, %{{y:.4g}} {c_unit}<extra></extra>",
                }
            )
    settings = result.settings
    return figure(
        traces,
        layout(
            f"{result.source}: observed (points) and {settings.model} fits (lines), weights "
            f"{settings.weights}; "
            "click a subject in the legend to hide it",
            f"time ({t_unit})",
            axis(f"concentration ({c_unit})", type="log"),
            updatemenus=[log_toggle(log_first=True)],
            legend={"title": {"text": "subject"}},
        ),
    )


def _parameters(result: PkFitResult) -> Figure | None:
    """Each fitted parameter (a drop-down) across subjects with its 95% CI."""
    fitted = [s for s in result.subjects if s.estimates]
    names = list(dict.fromkeys(e.name for s in fitted for e in (*s.estimates, *s.secondary)))
    if not names:
        return None
    traces: list[dict[str, Any]] = []
    groups = []
    for name in names:
        rows = []
        for s in fitted:
            try:
                rows.append((s, s.estimate(name)))
            except KeyError:
                continue
        unit = rows[0][1].unit if rows else ""
        label = result.label(name, rows[0][0].route) if rows else name
        values = [e.value for _, e in rows]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": label,
                "x": [s.subject for s, _ in rows],
                "y": finite(values),
                "error_y": error_bars(
                    values, [e.ci_lower for _, e in rows], [e.ci_upper for _, e in rows]
                ),
                "marker": {"color": COLOURS[0], "size": 8},
                "hovertemplate": f"subject %{{x}}: {label} %{{y:.4g}} {unit}<extra></extra>",
            }
        )
        groups.append((f"{label} ({unit})", 1, f"{label} ({unit}) per subject, 95% CI"))
    menu, visible = selector(groups)
    for trace, shown in zip(traces, visible, strict=True):
        trace["visible"] = shown
    return figure(
        traces,
        layout(
            groups[0][2],
            axis("subject", type="category"),
            "estimate (unit in the title)",
            updatemenus=[menu],
            showlegend=False,
        ),
    )


def figures(result: PkFitResult) -> dict[str, Figure]:
    found = {"fits": _fits(result)}
    parameters = _parameters(result)
    if parameters is not None:
        found["parameters"] = parameters
    return found
