"""Report section of receptor occupancy: %RO over time per subject, MFI table."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.occupancy import OccupancyResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment, fmt

__all__ = ["render", "ro_over_time_svg"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def ro_over_time_svg(result: OccupancyResult) -> str:
    """%RO against time after dosing, one line per subject, the mean across subjects in black."""
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for k, subject in enumerate(result.subjects()):
        pts = [p for p in result.points if p.subject == subject and p.ro_pct is not None]
        ax.plot(
            [p.time_h for p in pts],
            np.array([p.ro_pct for p in pts], dtype=float),
            "o-",
            color=_COLOURS[k % len(_COLOURS)],
            ms=4,
            lw=1,
            label=subject,
        )
    mean = result.by_time()
    if len(result.subjects()) > 1 and not mean.empty:
        ax.plot(mean["time_h"], mean["mean_ro_pct"], "k-", lw=2, label="mean")
    ax.axhline(100, color="0.6", lw=0.6, ls=":")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set_xlabel("time after start of dosing (h)")
    ax.set_ylabel("CXCR4 receptor occupancy (%)")
    ax.legend(fontsize=7, frameon=False, ncols=2)
    ax.set_title("%RO = (1 − specific MFI post / pre) × 100", fontsize=9)
    return to_svg(fig)


def render(analysis_id: int, title: str, result: OccupancyResult) -> str:
    rows = [
        {
            "subject": p.subject,
            "time": f"{p.time_h:g}",
            "mfi": fmt(p.mfi, 4),
            "iso": fmt(p.isotype_mfi, 4),
            "spec": fmt(p.specific_mfi, 4),
            "ro": "pre-dose" if p.ro_pct is None else f"{p.ro_pct:.1f}",
            "flags": ", ".join(f for f in p.flags if f != "predose"),
        }
        for p in result.points
    ]
    by_time = [
        {
            "time": f"{float(r['time_h']):g}",
            "mean": f"{float(r['mean_ro_pct']):.1f}",
            "sd": fmt(float(r["sd_ro_pct"]), 3),
            "n": int(r["n"]),
        }
        for r in result.by_time().to_dict("records")
    ]
    section = {
        "id": analysis_id,
        "title": title,
        "source": result.source,
        "format": result.input_format,
        "s": result.settings,
        "rows": rows,
        "by_time": by_time,
        "figure_svg": ro_over_time_svg(result),
    }
    return environment().get_template("occupancy.html.j2").render(s=section)
