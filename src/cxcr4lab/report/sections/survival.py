"""Report section of a survival analysis (kind ``survival``).

``render`` draws a :class:`~cxcr4lab.clinical.survival.SurvivalResult`: Kaplan-Meier curves with
censoring marks ('+') and a numbers-at-risk table under them, the median / landmark / RMST
table, the log-rank test and a forest plot of the hazard ratios (overall and per subgroup level,
with each subgroup column's treatment x subgroup interaction p-value). The trial simulation and
the FORTRESS analysis have their own sections (``trial.py``, ``fortress.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.clinical.survival import HazardRatio, Interaction, SurvivalResult
from cxcr4lab.clinical.survival import risk_times as round_risk_times
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
    """Kaplan-Meier curves with CI bands and '+' at each censored time, and a numbers-at-risk
    table underneath (one row per group, in the curve's colour)."""
    fig = Figure(figsize=(7.0, 4.4 + 0.25 * len(result.curves)))
    ax, tab = fig.subplots(
        2, 1, gridspec_kw={"height_ratios": [4, 0.35 + 0.25 * len(result.curves)]}, sharex=True
    )
    t_max = max((c.times[-1] for c in result.curves if c.times), default=1.0)
    ticks = list(round_risk_times(t_max) if risk_times is None else risk_times)
    unit = result.time_unit
    for i, c in enumerate(result.curves):
        colour = f"C{i}"
        x = np.concatenate([[0.0], c.times])
        ax.step(x, np.concatenate([[1.0], c.survival]), where="post", label=c.group, color=colour)
        ax.fill_between(
            x,
            np.concatenate([[1.0], c.lower]),
            np.concatenate([[1.0], c.upper]),
            step="post",
            alpha=0.15,
            color=colour,
        )
        ct, cs, _ = c.censored()
        if ct:
            ax.plot(ct, cs, "+", color=colour, markersize=6, markeredgewidth=0.9)
        for rt in ticks:
            tab.text(
                rt, i, str(c.n_at_risk(rt)), ha="center", va="center", fontsize=7, color=colour
            )
    ax.set_ylim(0, 1.02)
    ax.set_ylabel(f"{result.endpoint or 'survival'} probability")
    ax.legend(fontsize=7, title=f"{result.group_column or ''} (+: censored)", title_fontsize=7)
    ax.tick_params(axis="x", labelbottom=True)
    ax.set_xlabel(f"time ({unit})", fontsize=8)
    tab.set_yticks(range(len(result.curves)), [c.group for c in result.curves], fontsize=7)
    tab.set_ylim(len(result.curves) - 0.5, -0.5)
    ax.set_xticks(ticks)
    tab.tick_params(axis="x", labelbottom=False, length=0)
    tab.tick_params(axis="y", length=0, pad=10)
    tab.set_title(f"number at risk (time in {unit})", fontsize=7, loc="left")
    for side in ("top", "right", "left", "bottom"):
        tab.spines[side].set_visible(False)
    right = max(t_max, ticks[-1])
    ax.set_xlim(-0.025 * right, right * 1.03)
    fig.tight_layout()
    return fig


def hazard_forest_svg(
    hrs: tuple[HazardRatio, ...],
    reference: str | None = None,
    *,
    interactions: Sequence[Interaction] = (),
) -> str:
    """Forest plot of hazard ratios with 95% CIs on a log axis (SVG)."""
    return to_svg(hazard_forest_figure(hrs, reference, interactions=interactions))


def _interaction_rows(
    hrs: Sequence[HazardRatio], interactions: Sequence[Interaction]
) -> dict[int, Interaction]:
    """Row index -> the interaction test written beside it (the first row of each column)."""
    by_column = {i.column: i for i in interactions}
    out: dict[int, Interaction] = {}
    seen: set[str] = set()
    for k, h in enumerate(hrs):
        column = h.term.split("=", 1)[0] if "=" in h.term else None
        if column in by_column and column not in seen:
            seen.add(column)
            out[k] = by_column[column]
    return out


def hazard_forest_figure(
    hrs: tuple[HazardRatio, ...],
    reference: str | None = None,
    *,
    interactions: Sequence[Interaction] = (),
) -> Figure:
    """Forest plot of hazard ratios with 95% CIs on a log axis, HR (CI) and events/n written
    beside each row, and the treatment x subgroup interaction p-value beside the first row of
    each subgroup column tested."""
    beside = _interaction_rows(hrs, interactions)
    fig = Figure(figsize=(8.2 if beside else 7.0, 0.42 * len(hrs) + 1.3))
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
    for k, (yi, h) in enumerate(zip(y, hrs, strict=True)):
        test = beside.get(k)
        extra = ""
        if test is not None:
            p = "NA" if not math.isfinite(test.p) else f"{test.p:.3g}"
            extra = f"   {p}"
        ax.annotate(
            f"{h.hr:.2f} ({h.lower:.2f}-{h.upper:.2f})   {h.events}/{h.n}{extra}",
            (1.02, yi),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            va="center",
        )
    header = "HR (95% CI)   events/n" + ("   interaction p" if beside else "")
    ax.annotate(
        header,
        (1.02, len(hrs) - 0.4),
        xycoords=("axes fraction", "data"),
        fontsize=7,
        weight="bold",
    )
    ref = f" (vs {reference})" if reference else ""
    ax.set_xlabel(f"hazard ratio{ref}, 95% CI (log scale); < 1 favours the treatment")
    if beside:
        ax.set_title(
            "interaction p: Cox likelihood-ratio test of arm x subgroup vs arm + subgroup",
            fontsize=7,
            loc="left",
        )
    fig.tight_layout(pad=1.4)
    return fig


def forest_rows(result: SurvivalResult) -> tuple[HazardRatio, ...]:
    """The forest plot's rows: the subgroup HRs ("all" first) if any, else the Cox terms."""
    return result.subgroups or result.hazard_ratios


def render(analysis_id: int, title: str, result: SurvivalResult) -> str:
    unit = result.time_unit
    tables = [_table(result.summary(), f"Kaplan-Meier by {result.group_column or 'all'} ({unit})")]
    hrs = (*result.hazard_ratios, *result.subgroups)
    if hrs:
        tables.append(_table(result.hazard_table(), "Cox hazard ratios (Efron ties)"))
    if result.interactions:
        tables.append(
            _table(
                result.interaction_table(),
                "Treatment x subgroup interaction: Cox likelihood-ratio test of arm * subgroup "
                "against arm + subgroup (R anova of two coxph fits)",
            )
        )
    notes = []
    if result.logrank is not None:
        lr = result.logrank
        notes.append(f"Log-rank: chi-square {lr.chisq:.3f} on {lr.df} df, p = {lr.p:.4g}.")
    notes.extend(f"Note: {n}" for n in result.notes)
    notes.extend(f"Note ({i.column}): {i.note}" for i in result.interactions if i.note)
    figures = [to_svg(km_figure(result))]
    if hrs:
        figures.append(
            hazard_forest_svg(
                forest_rows(result), result.reference, interactions=result.interactions
            )
        )
    sim = "SIMULATED data. " if result.simulated else ""
    endpoint = result.endpoint or "Survival"
    meta = (
        f"{sim}{endpoint} from {result.source}; times in {unit}; "
        "95% CIs on the log scale (R survfit default), median CI where the bands cross 0.5; "
        "+ on the curves: censored."
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
