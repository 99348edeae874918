"""Report section of a batch of curve fits (``cxcr4lab fit``): counts, the first rows, a sample
of the fitted curves overlaid and the distribution of the IC50s."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cxcr4lab.fit.batch_result import BatchFitResult, CurveRow
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._worked import Step, frame_table, render_steps

__all__ = ["batch_figure", "render"]

SHOWN = 50
"""Rows the section lists (the stored result has every row)."""
SAMPLE = 12
"""Fitted curves drawn in the overlay."""
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def _values(row: CurveRow, names: tuple[str, ...]) -> np.ndarray | None:
    """The parameters of ``row`` in model order, or None if the rows do not carry them all
    (e.g. a 5PL's asymmetry)."""
    fields = {"bottom": row.bottom, "top": row.top, "hill": row.hill}
    if row.log10_ic50 is not None:
        fields.update(log10_ic50=row.log10_ic50, log10_ec50=row.log10_ic50)
        fields.update(ic50=10.0**row.log10_ic50, ec50=10.0**row.log10_ic50)
    values = [fields.get(n) for n in names]
    if any(v is None or not math.isfinite(v) for v in values):
        return None
    return np.array(values, dtype=float)


def _clean(result: BatchFitResult) -> list[CurveRow]:
    return [r for r in result.rows if r.converged and not r.flags and r.log10_ic50 is not None]


def batch_figure(result: BatchFitResult) -> Figure | None:
    """Left: a sample of the unflagged fitted curves; right: the histogram of their log10
    IC50. None when no curve converged unflagged."""
    from cxcr4lab.fit import get_model

    clean = _clean(result)
    if not clean:
        return None
    fig = Figure(figsize=(10.0, 3.8))
    left, right = fig.subplots(1, 2)
    try:
        model = get_model(result.model)
    except LookupError:
        model = None
    step = max(1, len(clean) // SAMPLE)
    sample = clean[::step][:SAMPLE]
    drawn = 0
    if model is not None:
        logs = np.array([r.log10_ic50 for r in sample], dtype=float)
        x = np.linspace(float(logs.min()) - 2.5, float(logs.max()) + 2.5, 300)
        for i, row in enumerate(sample):
            p = _values(row, model.param_names)
            if p is None:
                continue
            y = model.f(x if model.x_is_log10 else 10.0**x, p)
            left.plot(x, y, color=_COLOURS[i % len(_COLOURS)], lw=1.0, label=row.curve_id)
            drawn += 1
    if drawn:
        left.set_xlabel("log10 concentration (M)", fontsize=8)
        left.set_ylabel("response", fontsize=8)
        left.set_title(f"{drawn} of {len(clean)} unflagged fits", fontsize=9)
        if drawn <= 12:
            left.legend(fontsize=6, frameon=False, ncol=2)
    else:
        left.text(0.5, 0.5, "curves not drawn for this model", ha="center", fontsize=8)
        left.set_axis_off()
    logs_all = np.array([r.log10_ic50 for r in clean], dtype=float)
    right.hist(logs_all, bins=min(40, max(5, len(clean) // 2)), color="#1f77b4", alpha=0.8)
    right.set_xlabel("log10 IC50 (M)", fontsize=8)
    right.set_ylabel("curves", fontsize=8)
    right.set_title(f"IC50 of {len(clean)} unflagged fits", fontsize=9)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def _rows_frame(result: BatchFitResult) -> pd.DataFrame:
    level = round(100 * (1 - result.alpha))
    unit = result.unit
    rows = []
    for r in result.rows[:SHOWN]:
        rows.append(
            {
                "curve": r.curve_id,
                "converged": "yes" if r.converged else "no",
                f"IC50 ({unit})": r.ic50,
                f"{level}% CI lower": r.ic50_lower,
                f"{level}% CI upper": r.ic50_upper,
                "hill": r.hill,
                "bottom": r.bottom,
                "top": r.top,
                "n": r.n,
                "flags": r.flags.replace(";", ", ") or "-",
            }
        )
    return pd.DataFrame(rows)


def render(analysis_id: int, title: str, result: BatchFitResult) -> str:
    n = len(result.rows)
    constrained = result.constraint_text()
    meta = (
        f"{n:,} curves of {result.source} fitted with the {result.model} model (batched "
        f"Levenberg-Marquardt; asymptotic t-based CIs)"
        + (f"; every curve {constrained}" if constrained else "")
        + "."
    )
    counts = (
        f"{result.n_converged:,} converged, {result.n_flagged:,} flagged, "
        f"{len(_clean(result)):,} converged without a flag."
    )
    shown = f"First {SHOWN} of {n:,} curves" if n > SHOWN else "Every curve"
    fig = batch_figure(result)
    steps = [
        Step("Fits", (counts,), (frame_table(_rows_frame(result), shown),)),
        *([Step("Curves and IC50s", (), (), (to_svg(fig),))] if fig is not None else []),
    ]
    return render_steps(analysis_id, title, meta, steps)
