"""Report section of IHC H-scores: per-patient table, H-score distribution with the cut-off."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.ihc import IhcResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment, fmt

__all__ = ["h_score_distribution_svg", "render"]


def h_score_distribution_svg(result: IhcResult) -> str:
    """Left: histogram of H-scores with the cut-off; right: % cells per intensity, per patient."""
    scores = np.array([p.h_score for p in result.patients])
    cut = result.settings.cutoff
    fig = Figure(figsize=(9.5, 3.6))
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    bins = np.arange(0, 301, 20)
    ax.hist(scores[scores <= cut], bins=bins, color="#9ecae1", label="low")
    ax.hist(scores[scores > cut], bins=bins, color="#d62728", label="high")
    ax.axvline(cut, color="k", ls="--", lw=1)
    ax.text(cut, ax.get_ylim()[1] * 0.95, f" cut-off {cut:g}", fontsize=8, va="top")
    ax.set_xlim(0, 300)
    ax.set_xlabel("H-score (0-300)")
    ax.set_ylabel("patients")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"{result.settings.marker} H-score, n = {len(scores)}", fontsize=9)
    order = np.argsort(scores)
    pts = [result.patients[i] for i in order]
    x = np.arange(len(pts))
    bottom = np.zeros(len(pts))
    colours = ("#f0f0f0", "#fdd49e", "#fc8d59", "#b30000")
    for level, colour in enumerate(colours):
        values = np.array([(p.pct_0, p.pct_1, p.pct_2, p.pct_3)[level] for p in pts])
        bx.bar(
            x, values, bottom=bottom, color=colour, width=0.9, label=("0", "1+", "2+", "3+")[level]
        )
        bottom += values
    bx.set_xticks(x, [p.patient for p in pts], rotation=90, fontsize=5 if len(pts) > 20 else 7)
    bx.set_ylabel("% of tumour cells")
    bx.set_ylim(0, 100)
    bx.legend(fontsize=7, frameon=False, ncols=4, loc="upper left", bbox_to_anchor=(0, 1.12))
    first_high = next((i for i, p in enumerate(pts) if p.high), None)
    if first_high is not None:
        bx.axvline(first_high - 0.5, color="k", ls="--", lw=1)
    return to_svg(fig)


def render(analysis_id: int, title: str, result: IhcResult) -> str:
    rows = [
        {
            "patient": p.patient,
            "pct": [fmt(v, 3) for v in (p.pct_0, p.pct_1, p.pct_2, p.pct_3)],
            "h": f"{p.h_score:.1f}",
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
        "format": "per-cell intensity classes"
        if result.input_format == "cells"
        else "% of cells per intensity",
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
