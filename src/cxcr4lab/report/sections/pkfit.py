"""Report section of compartmental PK fits: observed points and fitted curves (log scale) per
subject, and a parameter table with 95% CIs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from cxcr4lab.pkpd.pkfit import PKFIT_FLAGS, Estimate, PkFitResult, SubjectPkFit
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment

__all__ = ["fits_figure", "render"]


def _cell(e: Estimate | None) -> str:
    if e is None:
        return "—"
    if e.ci_lower is None or e.ci_upper is None:
        return f"{e.value:.4g}"
    return f"{e.value:.4g} [{e.ci_lower:.3g}, {e.ci_upper:.3g}]"


def _find(s: SubjectPkFit, name: str) -> Estimate | None:
    try:
        return s.estimate(name)
    except KeyError:
        return None


def _panel(ax: Any, s: SubjectPkFit) -> None:
    t = np.asarray(s.time)
    c = np.asarray(s.conc)
    shown = c > 0
    ax.plot(t[shown], c[shown], "o", ms=3.5, color="#1f77b4", label="observed")
    if s.log_values:
        end = max(float(t.max()), max(d.time for d in s.doses)) if t.size else 24.0
        grid = np.union1d(np.linspace(0.0, end, 120), t)
        pred = s.predict(grid)
        ok = pred > 0
        ax.plot(grid[ok], pred[ok], "-", lw=1.2, color="#d62728", label=f"{s.model} fit")
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())  # minor log ticks cost more than they show
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # no mathtext: faster
    flag = f" [{', '.join(s.flags)}]" if s.flags else ""
    ax.set_title(f"{s.subject} ({s.model}){flag}", fontsize=7)
    ax.tick_params(labelsize=6)


def fits_figure(result: PkFitResult, columns: int = 4) -> Figure:
    """Small multiples: each subject's observed concentrations and fitted curve, log y axis."""
    n = max(len(result.subjects), 1)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(2.0 * cols, 1.7 * rows + 0.4))
    grid = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    axes = np.asarray(grid).ravel()
    for ax, s in zip(axes, result.subjects, strict=False):
        _panel(ax, s)
    for ax in axes[len(result.subjects) :]:
        ax.set_visible(False)
    fig.supxlabel("time (h)", fontsize=7)
    fig.supylabel(f"concentration ({result.units.get('conc', '')}), log scale", fontsize=7)
    fig.subplots_adjust(hspace=0.45, wspace=0.12, left=0.09, right=0.99, top=0.93, bottom=0.12)
    return fig


def _tables(result: PkFitResult) -> list[dict[str, Any]]:
    tables = []
    for route in dict.fromkeys(s.route for s in result.subjects):
        subjects = [s for s in result.subjects if s.route == route]
        names = list(dict.fromkeys(e.name for s in subjects for e in s.estimates))
        names += list(dict.fromkeys(e.name for s in subjects for e in s.secondary))
        unit = {e.name: e.unit for s in subjects for e in (*s.estimates, *s.secondary)}
        columns = ["subject", "model", "n", "AICc"]
        columns += [f"{result.label(n, route)} ({unit[n]})" for n in names]
        columns.append("flags")
        rows = [
            [
                s.subject,
                s.model,
                str(len(s.time)),
                "—" if s.aicc is None else f"{s.aicc:.2f}",
                *[_cell(_find(s, n)) for n in names],
                ", ".join(s.flags) or "—",
            ]
            for s in subjects
        ]
        caption = f"Route {route}: estimate [95% CI]" + (
            "; CL, V and Q are apparent (/F)" if route == "oral" else ""
        )
        tables.append({"caption": caption, "columns": columns, "rows": rows})
    return tables


def render(analysis_id: int, title: str, result: PkFitResult) -> str:
    s = result.settings
    meta = (
        f"Compartmental fits of {result.source}: model {s.model}, weights {s.weights}, "
        "least squares on log parameters through the cxcr4lab fit engine; 95% CIs "
        "exp(log estimate ± t·SE), secondary parameters by the delta method."
    )
    used = sorted({f for sub in result.subjects for f in sub.flags})
    notes = [f"{f}: {PKFIT_FLAGS[f]}" for f in used]
    notes += [f"{sub.subject}: {n}" for sub in result.subjects for n in sub.notes]
    return (
        environment()
        .get_template("pkfit.html.j2")
        .render(
            id=analysis_id,
            title=title,
            meta=meta,
            tables=_tables(result),
            notes=notes,
            figure=to_svg(fits_figure(result)),
        )
    )
