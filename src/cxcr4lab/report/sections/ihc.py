"""Report section of IHC scores (H-score or IRS): per-patient table, the distribution of scores
with the cut-off and its rule."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.ihc import IhcResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment, fmt

__all__ = ["h_score_distribution_svg", "render"]


def h_score_distribution_svg(result: IhcResult) -> str:
    """Left: histogram of the scores (H-score or IRS) with the cut-off; right: % cells per
    intensity per patient, or (IRS given directly) each patient's IRS."""
    irs = result.scale == "irs"
    scores = np.array(result.scores(), dtype=float)
    high = np.array([p.high for p in result.patients], dtype=bool)
    cut = result.settings.cutoff
    top = 12 if irs else 300
    fig = Figure(figsize=(9.5, 3.6))
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    bins = np.arange(-0.5, 13, 1.0) if irs else np.arange(0, 301, 20)
    ax.hist(scores[~high], bins=bins, color="#9ecae1", label="low")
    ax.hist(scores[high], bins=bins, color="#d62728", label="high")
    ax.axvline(cut, color="k", ls="--", lw=1)
    ax.text(cut, ax.get_ylim()[1] * 0.95, f" {result.settings.rule.text}", fontsize=8, va="top")
    ax.set_xlim(-0.5 if irs else 0, top + (0.5 if irs else 0))
    ax.set_xlabel(f"{'IRS' if irs else 'H-score'} (0-{top})")
    ax.set_ylabel("patients")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(
        f"{result.settings.marker} {'IRS' if irs else 'H-score'}, n = {len(scores)}", fontsize=9
    )
    order = np.argsort(scores, kind="stable")
    pts = [result.patients[i] for i in order]
    x = np.arange(len(pts))
    if result.input_format == "irs":
        bx.bar(
            x,
            [p.irs or 0 for p in pts],
            color=["#d62728" if p.high else "#9ecae1" for p in pts],
            width=0.9,
        )
        bx.set_ylabel("IRS (intensity x proportion)")
        bx.set_ylim(0, 12.5)
    else:
        bottom = np.zeros(len(pts))
        colours = ("#f0f0f0", "#fdd49e", "#fc8d59", "#b30000")
        for level, colour in enumerate(colours):
            values = np.array([(p.pct_0, p.pct_1, p.pct_2, p.pct_3)[level] for p in pts])
            bx.bar(
                x,
                values,
                bottom=bottom,
                color=colour,
                width=0.9,
                label=("0", "1+", "2+", "3+")[level],
            )
            bottom += values
        bx.set_ylabel("% of tumour cells")
        bx.set_ylim(0, 100)
        bx.legend(fontsize=7, frameon=False, ncols=4, loc="upper left", bbox_to_anchor=(0, 1.12))
    bx.set_xticks(x, [p.patient for p in pts], rotation=90, fontsize=5 if len(pts) > 20 else 7)
    first_high = next((i for i, p in enumerate(pts) if p.high), None)
    if first_high is not None:
        bx.axvline(first_high - 0.5, color="k", ls="--", lw=1)
    return to_svg(fig)


def render(analysis_id: int, title: str, result: IhcResult) -> str:
    rows = [
        {
            "patient": p.patient,
            "pct": [fmt(v, 3) for v in (p.pct_0, p.pct_1, p.pct_2, p.pct_3)],
            "h": "n/a" if math.isnan(p.h_score) else f"{p.h_score:.1f}",
            "irs": [p.intensity_score, p.proportion_score, p.irs],
            "high": p.high,
            "regions": p.n_regions,
            "cells": "–" if p.n_cells is None else p.n_cells,
        }
        for p in result.patients
    ]
    section = {
        "id": analysis_id,
        "title": title,
        "source": result.source,
        "format": {
            "cells": "per-cell intensity classes",
            "irs": "intensity and proportion scores",
        }.get(result.input_format, "% of cells per intensity"),
        "irs": result.scale == "irs",
        "rule": result.settings.rule.text,
        "marker": result.settings.marker,
        "compartment": result.settings.compartment,
        "cutoff": f"{result.settings.cutoff:g}",
        "n": len(result.patients),
        "n_high": sum(p.high for p in result.patients),
        "pct_high": f"{100 * result.fraction_high:.0f}",
        "rows": rows,
        "figure_svg": h_score_distribution_svg(result),
    }
    return environment().get_template("ihc.html.j2").render(s=section)
