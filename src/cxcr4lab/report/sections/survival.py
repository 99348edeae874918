"""Report section of a survival analysis (kind ``survival``).

``render`` draws a :class:`~cxcr4lab.clinical.survival.SurvivalResult`: Kaplan-Meier curves with
numbers at risk, the median / landmark / RMST table, the log-rank test and a forest plot of the
hazard ratios (overall and per subgroup level). The trial simulation and the FORTRESS analysis
have their own sections (``trial.py``, ``fortress.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.clinical.survival import HazardRatio, SurvivalResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment

__all__ = [
    "forest_rows",
    "hazard_forest_figure",
    "hazard_forest_svg",
    "km_figure",
    "render",
]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.4g}"
    return "n/a" if value is None else str(value)


def _table(frame: Any, caption: str = "") -> dict[str, Any]:
    return {
        "caption": caption,
        "columns": [str(c) for c in frame.columns],
        "rows": [[_cell(v) for v in row] for row in frame.itertuples(index=False)],
    }


def km_figure(result: SurvivalResult, *, risk_times: Sequence[float] | None = None) -> Figure:
    """Kaplan-Meier curves with CI bands and a numbers-at-risk table underneath."""
    fig = Figure(figsize=(7.0, 4.6))
    ax, tab = fig.subplots(2, 1, gridspec_kw={"height_ratios": [4, 1]}, sharex=True)
    t_max = max((c.times[-1] for c in result.curves if c.times), default=1.0)
    if risk_times is None:
        step = max(1.0, float(np.ceil(t_max / 6)))
        risk_times = list(np.arange(0.0, t_max + 1e-9, step))
    for i, c in enumerate(result.curves):
        x = np.concatenate([[0.0], c.times])
        ax.step(x, np.concatenate([[1.0], c.survival]), where="post", label=c.group)
        ax.fill_between(
            x,
            np.concatenate([[1.0], c.lower]),
            np.concatenate([[1.0], c.upper]),
            step="post",
            alpha=0.15,
        )
        for rt in risk_times:
            tab.text(rt, i, str(c.n_at_risk(rt)), ha="center", va="center", fontsize=7)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel(f"{result.endpoint or 'survival'} probability")
    ax.legend(fontsize=7, title=result.group_column, title_fontsize=7)
    tab.set_yticks(range(len(result.curves)), [c.group for c in result.curves], fontsize=7)
    tab.set_ylim(len(result.curves) - 0.5, -0.5)
    tab.set_xlabel(f"time ({result.time_unit})")
    tab.set_title("number at risk", fontsize=7, loc="left")
    tab.tick_params(axis="x", labelsize=7)
    for side in ("top", "right", "left"):
        tab.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def hazard_forest_svg(hrs: tuple[HazardRatio, ...], reference: str | None = None) -> str:
    """Forest plot of hazard ratios with 95% CIs on a log axis (SVG)."""
    return to_svg(hazard_forest_figure(hrs, reference))


def hazard_forest_figure(hrs: tuple[HazardRatio, ...], reference: str | None = None) -> Figure:
    """Forest plot of hazard ratios with 95% CIs on a log axis, HR (CI) and events/n written
    beside each row."""
    fig = Figure(figsize=(7.0, 0.42 * len(hrs) + 1.3))
    ax = fig.subplots()
    y = np.arange(len(hrs))[::-1]
    hr = np.array([h.hr for h in hrs])
    lo = np.array([h.lower for h in hrs])
    hi = np.array([h.upper for h in hrs])
    ax.errorbar(hr, y, xerr=[hr - lo, hi - hr], fmt="s", color="#1f77b4", capsize=3)
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(y, [h.term for h in hrs], fontsize=7)
    ax.set_ylim(-0.7, len(hrs) - 0.3)
    for yi, h in zip(y, hrs, strict=True):
        ax.annotate(
            f"{h.hr:.2f} ({h.lower:.2f}-{h.upper:.2f})   {h.events}/{h.n}",
            (1.02, yi),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            va="center",
        )
    ax.annotate(
        "HR (95% CI)   events/n",
        (1.02, len(hrs) - 0.4),
        xycoords=("axes fraction", "data"),
        fontsize=7,
        weight="bold",
    )
    ref = f" (vs {reference})" if reference else ""
    ax.set_xlabel(f"hazard ratio{ref}, 95% CI (log scale); < 1 favours the treatment")
    fig.tight_layout()
    return fig


def forest_rows(result: SurvivalResult) -> tuple[HazardRatio, ...]:
    """The forest plot's rows: the subgroup HRs ("all" first) if any, else the Cox terms."""
    return result.subgroups or result.hazard_ratios


def render(analysis_id: int, title: str, result: SurvivalResult) -> str:
    tables = [_table(result.summary(), f"Kaplan-Meier by {result.group_column or 'all'}")]
    hrs = (*result.hazard_ratios, *result.subgroups)
    if hrs:
        tables.append(_table(result.hazard_table(), "Cox hazard ratios (Efron ties)"))
    notes = []
    if result.logrank is not None:
        lr = result.logrank
        notes.append(f"Log-rank: chi-square {lr.chisq:.3f} on {lr.df} df, p = {lr.p:.4g}.")
    figures = [to_svg(km_figure(result))]
    if hrs:
        figures.append(hazard_forest_svg(forest_rows(result), result.reference))
    sim = "SIMULATED data. " if result.simulated else ""
    meta = (
        f"{sim}{result.endpoint} from {result.source}; times in {result.time_unit}; "
        "95% CIs on the log scale (R survfit default), median CI where the bands cross 0.5."
    )
    return _render(analysis_id, title, meta, tables, notes, figures)


def _render(
    analysis_id: int,
    title: str,
    meta: str,
    tables: list[dict[str, Any]],
    notes: list[str],
    figures: list[str],
) -> str:
    return (
        environment()
        .get_template("survival.html.j2")
        .render(id=analysis_id, title=title, meta=meta, tables=tables, notes=notes, figures=figures)
    )
