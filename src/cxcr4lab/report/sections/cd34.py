"""Report section of CD34+ enumeration: counts with 95% CIs per tube, QC table."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.cd34 import Cd34Result
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment, fmt

__all__ = ["counts_svg", "render"]


def counts_svg(result: Cd34Result) -> str:
    """CD34+/µL per tube with its exact Poisson 95% CI; failed tubes in red, by subject/time."""
    samples = list(result.samples)
    fig = Figure(figsize=(max(4.5, 0.45 * len(samples) + 2), 3.8))
    ax = fig.subplots()
    x = np.arange(len(samples))
    for i, s in enumerate(samples):
        colour = "#1f77b4" if s.passed else "#d62728"
        ax.errorbar(
            [i],
            [s.cd34_per_ul],
            yerr=[[s.cd34_per_ul - s.lower_per_ul], [s.upper_per_ul - s.cd34_per_ul]],
            fmt="o",
            color=colour,
            markerfacecolor="none" if "low_cd34_events" in s.flags else colour,
            capsize=3,
        )
    ax.set_xticks(x, [s.counts.sample for s in samples], rotation=60, fontsize=7, ha="right")
    ax.set_ylabel("CD34+ cells / µL (95% CI)")
    ax.set_title("CD34+ enumeration (open: < 100 CD34+ events; red: QC failed)", fontsize=9)
    ax.set_ylim(bottom=0)
    return to_svg(fig)


def render(analysis_id: int, title: str, result: Cd34Result) -> str:
    rows = [
        {
            "sample": s.counts.sample,
            "subject": s.counts.subject or "",
            "time": "" if s.counts.time_h is None else f"{s.counts.time_h:g}",
            "value": fmt(s.cd34_per_ul, 4),
            "ci": f"{fmt(s.lower_per_ul, 3)} – {fmt(s.upper_per_ul, 3)}",
            "cv": fmt(s.cv_pct, 2),
            "cd34": s.counts.cd34_events,
            "viable34": "–" if s.counts.viable_cd34_events is None else s.counts.viable_cd34_events,
            "cd45": f"{s.counts.cd45_events:,}",
            "beads": s.counts.bead_events,
            "bpt": f"{s.counts.beads_per_tube:g}",
            "vol": f"{s.counts.volume_ul:g}",
            "viab": fmt(s.viability_cd45_pct, 3),
            "passed": s.passed,
            "reasons": "; ".join(s.reasons),
            "flags": ", ".join(s.flags),
        }
        for s in result.samples
    ]
    section = {
        "id": analysis_id,
        "title": title,
        "source": result.source,
        "format": result.input_format,
        "s": result.settings,
        "rows": rows,
        "figure_svg": counts_svg(result),
    }
    return environment().get_template("cd34.html.j2").render(s=section)
