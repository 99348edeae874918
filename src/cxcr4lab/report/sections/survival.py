"""Report sections of the clinical survival and trial results.

``render`` draws a :class:`~cxcr4lab.clinical.survival.SurvivalResult`: Kaplan-Meier curves with
numbers at risk, the median / landmark / RMST table, the log-rank test and a forest plot of the
hazard ratios. ``render_trial`` and ``render_fortress`` draw the trial simulation and the
FORTRESS worked analysis (kinds ``trial`` and ``fortress``) with the same template.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.clinical.fortress import FortressResult
from cxcr4lab.clinical.survival import HazardRatio, SurvivalResult, km_figure
from cxcr4lab.clinical.trials import TrialSimulation
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment

__all__ = ["hazard_forest_svg", "render", "render_fortress", "render_trial"]


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


def hazard_forest_svg(hrs: tuple[HazardRatio, ...], reference: str | None = None) -> str:
    """Forest plot of hazard ratios with 95% CIs on a log axis."""
    fig = Figure(figsize=(6.0, 0.45 * len(hrs) + 1.2))
    ax = fig.subplots()
    y = np.arange(len(hrs))[::-1]
    hr = np.array([h.hr for h in hrs])
    lo = np.array([h.lower for h in hrs])
    hi = np.array([h.upper for h in hrs])
    ax.errorbar(hr, y, xerr=[hr - lo, hi - hr], fmt="s", color="#1f77b4", capsize=3)
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(y, [f"{h.term} (n={h.n})" for h in hrs], fontsize=7)
    ref = f" (vs {reference})" if reference else ""
    ax.set_xlabel(f"hazard ratio{ref}, 95% CI (log scale)")
    fig.tight_layout()
    return to_svg(fig)


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
        figures.append(hazard_forest_svg(hrs, result.reference))
    sim = "SIMULATED data. " if result.simulated else ""
    meta = (
        f"{sim}{result.endpoint} from {result.source}; times in {result.time_unit}; "
        "95% CIs on the log scale (R survfit default), median CI where the bands cross 0.5."
    )
    return _render(analysis_id, title, meta, tables, notes, figures)


def render_trial(analysis_id: int, title: str, result: TrialSimulation) -> str:
    d = result.design
    meta = (
        f"SIMULATED: {result.replicates} trials of {d.n} patients, seed {result.seed}; "
        f"ORR {d.treatment.orr:.3f} vs {d.control.orr:.3f}, medians {d.treatment.medians} vs "
        f"{d.control.medians} months (treatment vs control)."
    )
    return _render(analysis_id, title, meta, [_table(result.summary(), "Power")], [], [])


def _scenario_svg(result: FortressResult) -> str:
    fig = Figure(figsize=(6.5, 2.8))
    ax = fig.subplots()
    names = [s.name for s in result.scenarios]
    p = [100 * s.p_significant_benefit for s in result.scenarios]
    ax.barh(np.arange(len(p))[::-1], p, color="#2ca02c")
    ax.set_yticks(np.arange(len(p))[::-1], names, fontsize=7)
    ax.set_xlabel(f"P(significant ORR benefit), {result.n_per_arm} per arm (%)")
    ax.set_xlim(0, 100)
    fig.tight_layout()
    return to_svg(fig)


def render_fortress(analysis_id: int, title: str, result: FortressResult) -> str:
    lo, mid, hi = result.null_median_pfs_gap_quantiles
    notes = [
        f"Phase 1b posterior ORR (9/24, Jeffreys prior): {100 * result.posterior_mean:.1f}% "
        f"(95% CrI {100 * result.posterior_ci[0]:.1f}-{100 * result.posterior_ci[1]:.1f}%).",
        f"Programmes going on at >= {result.go_threshold}/24 responses "
        f"({100 * result.p_go:.1f}%): observed {100 * result.observed_orr_given_go:.1f}%, "
        f"true {100 * result.true_orr_given_go:.1f}% (regression to the mean).",
        f"Published ORR 13.0% vs 13.7% (reconstructed 21/161 vs 22/161): Fisher p = "
        f"{result.published_orr_p:.2f}; p at least as large in "
        f"{100 * result.null_p_orr_p_at_least_published:.1f}% of null trials.",
        f"PFS medians 3.5 vs 4.0 months: a gap >= 0.5 months in "
        f"{100 * result.null_p_pfs_median_gap_at_least_published:.1f}% of null trials "
        f"(quartiles {lo:.2f}, {mid:.2f}, {hi:.2f} months).",
    ]
    meta = f"SIMULATED programmes and trials, {result.replicates} per scenario, seed {result.seed}."
    tables = [_table(result.summary(), "Scenarios")]
    return _render(analysis_id, title, meta, tables, notes, [_scenario_svg(result)])


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
