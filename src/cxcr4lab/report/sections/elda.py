"""Report section of a limiting-dilution analysis (kind ``elda``): the frequency table, the tests,
and ELDA's log-fraction plot (log fraction of negative recipients against dose, with the fitted
single-hit lines and their CIs, as statmod's ``plot.limdil`` draws it)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.preclinical.elda import EldaResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment

__all__ = ["elda_tables", "log_fraction_svg", "render"]

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f")


def _cells(v: float) -> str:
    return "∞" if math.isinf(v) else f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def log_fraction_svg(result: EldaResult, *, dose_label: str = "dose (cells per recipient)") -> str:
    """log(fraction negative) against dose per group: points (an all-positive dose drawn at
    ``positive - 0.5`` as a down triangle, as statmod does), the fitted line through the origin
    with slope ``-1/(1/f)`` (solid) and its CI ends (dashed)."""
    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.subplots()
    dmax = max(r.dose for r in result.rows)
    lowest = -0.5
    for k, g in enumerate(result.groups):
        colour = _COLOURS[k % len(_COLOURS)]
        rows = [r for r in result.rows if r.group == g.group]
        for r in rows:
            full = r.positive == r.tested
            y = math.log(1 - (r.positive - (0.5 if full else 0.0)) / r.tested)
            lowest = min(lowest, y)
            ax.plot(r.dose, y, marker="v" if full else "o", mfc="none", color=colour, ls="none")
        xs = np.array([0.0, dmax])
        for value, style in ((g.estimate, "-"), (g.lower, "--"), (g.upper, "--")):
            slope = 0.0 if math.isinf(value) else -1.0 / value
            ax.plot(
                xs,
                slope * xs,
                ls=style,
                color=colour,
                lw=1.2 if style == "-" else 0.9,
                label=f"{g.group}: 1 in {_cells(g.estimate)}" if style == "-" else None,
            )
    ax.set_xlim(0, dmax * 1.05)
    ax.set_ylim(min(lowest * 1.15, -0.5), 0.05)
    ax.set_xlabel(dose_label)
    ax.set_ylabel("log fraction non-responding")
    level = f"{100 * result.settings.confidence:g}%"
    ax.set_title(f"Single-hit fits (solid) with {level} CIs (dashed)", fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    return to_svg(fig)


def elda_tables(result: EldaResult) -> tuple[dict[str, Any], list[str]]:
    """The frequency table and the test sentences (shared with the engraftment section)."""
    level = f"{100 * result.settings.confidence:g}%"
    table: dict[str, Any] = {
        "caption": f"Active-cell frequency per group ({level} CI)",
        "columns": [
            "group",
            "1 in (cells)",
            "lower",
            "upper",
            "per 10^6 cells",
            "tested",
            "positive",
            "note",
        ],
        "rows": [
            [
                g.group,
                _cells(g.estimate),
                _cells(g.lower),
                _cells(g.upper),
                f"{1e6 * g.frequency:.3g}",
                g.tested,
                g.positive,
                {
                    "all_negative": "all negative (one-sided CI)",
                    "all_positive": "all positive (one-sided CI)",
                }.get(g.extreme, ""),
            ]
            for g in result.groups
        ],
    }
    notes = []
    if result.difference is not None:
        d = result.difference
        notes.append(
            f"Differences between groups: likelihood-ratio chi-square {d.chisq:.4f} on {d.df} df, p = {d.p:.4g}."
        )
    if result.pairwise:
        notes.append(
            "Pairwise (likelihood-ratio, 1 df): "
            + "; ".join(
                f"{t.group_a} vs {t.group_b} {t.chisq:.4f}, p = {t.p:.4g}" for t in result.pairwise
            )
            + "."
        )
    if result.slope is not None:
        s = result.slope
        notes.append(
            f"Single-hit model, log-dose slope {s.slope:.4f} (SE {s.slope_se:.4f}; 1 expected): "
            f"Wald z {s.wald_z:.4f} (p = {s.wald_p:.4g}), likelihood-ratio z {s.lr_z:.4f} "
            f"(p = {s.lr_p:.4g}), score z {s.score_logdose_z:.4f} (p = {s.score_logdose_p:.4g}); "
            f"heterogeneity, score test on dose: z {s.score_dose_z:.4f} (p = {s.score_dose_p:.4g})."
        )
    if result.deviance is not None:
        v = result.deviance
        notes.append(
            f"Deviance goodness of fit of the single-hit model: {v.chisq:.4f} on {v.df} df, p = {v.p:.4g}."
        )
    return table, notes


def render(analysis_id: int, title: str, result: EldaResult) -> str:
    table, notes = elda_tables(result)
    doses = "actual" if result.settings.observed else "expected (Poisson)"
    meta = (
        f"{result.source}: {len(result.rows)} rows, {len(result.groups)} groups; doses are "
        f"{doses} cell numbers; single-hit Poisson model, complementary log-log binomial GLM "
        "with offset log(dose) (Hu & Smyth 2009, as R statmod's elda)."
    )
    return (
        environment()
        .get_template("survival.html.j2")
        .render(
            id=analysis_id,
            title=title,
            meta=meta,
            tables=[table],
            notes=notes,
            figures=[log_fraction_svg(result)],
        )
    )
