"""Report section of a NOD/SCID engraftment study (kind ``engraftment``): calls per group,
chimerism per tissue and group (points per mouse with the threshold), and the SRC frequency
(ELDA's log-fraction plot of the engrafted calls)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.preclinical.engraftment import TISSUES, EngraftmentResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment
from cxcr4lab.report.sections.elda import elda_tables, log_fraction_svg

__all__ = ["chimerism_svg", "render"]

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
_FLOOR = 1e-3
"""% hCD45 drawn at this floor on the log axis when it is 0."""


def chimerism_svg(result: EngraftmentResult) -> str:
    """One panel per tissue: % hCD45+ per mouse (log axis) by group, engrafted mice filled,
    the group mean with its CI as a bar, and the threshold dashed."""
    tissues = [t for t in TISSUES if any(m.tissue(t) for m in result.mice)]
    fig = Figure(figsize=(3.3 * len(tissues), 3.8))
    axes = np.atleast_1d(fig.subplots(1, len(tissues), sharey=True))
    groups = [g.group for g in result.groups]
    rng = np.random.default_rng(0)
    for ax, tissue in zip(axes, tissues, strict=True):
        for k, g in enumerate(groups):
            colour = _COLOURS[k % len(_COLOURS)]
            mice = [m for m in result.mice if m.group == g and m.tissue(tissue) is not None]
            ys = np.array([max(m.tissue(tissue).hcd45_pct, _FLOOR) for m in mice])  # type: ignore[union-attr]
            xs = k + rng.uniform(-0.18, 0.18, len(mice))
            filled = np.array([m.engrafted for m in mice], dtype=bool)
            ax.scatter(xs[filled], ys[filled], s=14, color=colour)
            ax.scatter(xs[~filled], ys[~filled], s=14, facecolors="none", edgecolors=colour)
            summary = next(
                (t for t in result.tissue_summaries if t.group == g and t.tissue == tissue), None
            )
            if summary is not None and math.isfinite(summary.lower_pct):
                ax.errorbar(
                    k + 0.3,
                    summary.mean_pct,
                    yerr=[
                        [summary.mean_pct - max(summary.lower_pct, _FLOOR)],
                        [summary.upper_pct - summary.mean_pct],
                    ],
                    fmt="_",
                    color="k",
                    capsize=3,
                )
        ax.axhline(result.settings.threshold_pct, color="k", ls="--", lw=0.8)
        ax.set_yscale("log")
        ax.set_xticks(range(len(groups)), groups, fontsize=8)
        ax.set_title(tissue.replace("_", " "), fontsize=9)
    axes[0].set_ylabel("% human CD45+ of leukocytes")
    fig.suptitle(
        f"Filled: engrafted; dashed: {result.settings.threshold_pct:g}%; bars: mean with CI",
        fontsize=8,
    )
    return to_svg(fig)


def render(analysis_id: int, title: str, result: EngraftmentResult) -> str:
    s = result.settings
    level = f"{100 * s.confidence:g}%"
    progenitors = all(g.progenitors is not None for g in result.groups)
    calls = {
        "caption": f"Calls per group ({level} exact CIs)",
        "columns": [
            "group",
            "mice",
            "cell doses",
            "engrafted",
            "CI (%)",
            "multilineage",
            "CI (%)",
            *(["CD34+ progenitors", "CI (%)"] if progenitors else []),
        ],
        "rows": [
            [
                g.group,
                g.n,
                ", ".join(f"{c:,.0f}" for c in g.cells),
                f"{g.engrafted} ({100 * g.engrafted / g.n:.0f}%)",
                f"{g.engrafted_lower_pct:.0f}–{g.engrafted_upper_pct:.0f}",
                f"{g.multilineage} ({100 * g.multilineage / g.n:.0f}%)",
                f"{g.multilineage_lower_pct:.0f}–{g.multilineage_upper_pct:.0f}",
                *(
                    [
                        f"{g.progenitors} ({100 * g.progenitors / g.n:.0f}%)",
                        f"{g.progenitors_lower_pct:.0f}–{g.progenitors_upper_pct:.0f}",
                    ]
                    if progenitors and g.progenitors is not None
                    else []
                ),
            ]
            for g in result.groups
        ],
    }
    chimerism = {
        "caption": f"% human CD45+ of leukocytes (mean with {level} t CI; median, range)",
        "columns": ["group", "tissue", "n", "mean", "CI", "median", "range"],
        "rows": [
            [
                t.group,
                t.tissue.replace("_", " "),
                t.n,
                f"{t.mean_pct:.3g}",
                "–" if math.isnan(t.lower_pct) else f"{t.lower_pct:.3g}–{t.upper_pct:.3g}",
                f"{t.median_pct:.3g}",
                f"{t.min_pct:.3g}–{t.max_pct:.3g}",
            ]
            for t in result.tissue_summaries
        ],
    }
    src_table, notes = elda_tables(result.src)
    src_table["caption"] = "SCID-repopulating cell frequency (ELDA of the engrafted calls)"
    meta = f"{result.source}: {len(result.mice)} mice. Calls — {s.describe()}."
    return (
        environment()
        .get_template("survival.html.j2")
        .render(
            id=analysis_id,
            title=title,
            meta=meta,
            tables=[calls, chimerism, src_table],
            notes=notes,
            figures=[
                chimerism_svg(result),
                log_fraction_svg(result.src, dose_label="cells transplanted per mouse"),
            ],
        )
    )
