"""Report section of an MTT viability plate: IC50/GI50 table, maximal effect, curves with
confidence bands and the 50 % line, QC, edge map, tidy table for combination analysis."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.viability import ViabilityResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment, fmt
from cxcr4lab.report.plate_figures import edge_heatmap_svg
from cxcr4lab.report.sections._plate import plate_context

__all__ = ["render", "viability_curves_svg"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def viability_curves_svg(result: ViabilityResult) -> str:
    """% of vehicle against concentration: wells, 4PL fit, confidence band, the 50 % line and
    each compound's GI50 (triangle) and IC50 (4PL midpoint, circle)."""
    alpha = result.settings.plate.alpha
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    for i, c in enumerate(result.curves):
        colour = _COLOURS[i % len(_COLOURS)]
        pts = [w for w in result.analysis.wells if w.role == "sample" and w.compound == c.compound]
        for used, marker in ((True, "o"), (False, "x")):
            sel = [w for w in pts if (w.excluded is None) is used]
            ax.scatter(
                [np.nan if w.conc_molar is None else w.conc_molar for w in sel],
                [np.nan if w.response_pct is None else w.response_pct for w in sel],
                s=14 if used else 22,
                marker=marker,
                color=colour,
                alpha=0.8,
            )
        g = result.gi50_of(c.compound)
        fit = c.fit
        if not fit.converged:
            continue
        x = np.linspace(fit.x_min - 0.5, fit.x_max + 0.5, 200)
        if "no_effect" in c.flags:
            label = f"{c.compound}: no effect"
        else:
            gi = "n/a" if g.gi50_molar is None else f"{g.bound if g.bound != '=' else ''}"
            gi += "" if g.gi50_molar is None else f"{g.gi50_molar / 1e-9:.3g} nM"
            label = f"{c.compound}: IC50 {c.ic50_molar / 1e-9:.3g} nM, GI50 {gi}"
        ax.plot(10.0**x, fit.predict(x), color=colour, lw=1.6, label=label)
        lo, hi = fit.band(x, alpha)
        if np.all(np.isfinite(lo)):
            ax.fill_between(10.0**x, lo, hi, color=colour, alpha=0.18, lw=0)
        if "no_effect" not in c.flags:
            mid = 0.5 * (fit.params["top"] + fit.params["bottom"])
            ax.plot([c.ic50_molar], [mid], "o", color=colour, mfc="white", ms=6)
            if g.gi50_molar is not None and g.bound == "=":
                ax.plot([g.gi50_molar], [50.0], "v", color=colour, ms=7)
    ax.set_xscale("log")
    ax.set_xlabel("concentration (M)")
    ax.set_ylabel("viability (% of vehicle, blank-subtracted)")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.axhline(100, color="0.6", lw=0.6, ls=":")
    ax.axhline(50, color="0.75", lw=0.6, ls="--")
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    ax.set_title(
        f"MTT viability, {round(100 * (1 - alpha))}% confidence bands "
        "(○ IC50 = midpoint, ▽ GI50 = 50% of vehicle)",
        fontsize=9,
    )
    return to_svg(fig)


def render(analysis_id: int, title: str, result: ViabilityResult) -> str:
    s = result.settings
    gi50 = []
    for g in result.gi50:
        value, ci = g.display()
        gi50.append(
            {
                "compound": g.compound,
                "gi50": value,
                "ci": ci,
                "fitted": fmt(g.max_effect_fitted_pct, 3),
                "observed": fmt(g.max_effect_observed_pct, 3),
                "at_top": fmt(g.viability_at_top_pct, 3),
                "note": g.note,
            }
        )
    tidy = result.combination_table()
    section = {
        "id": analysis_id,
        "title": title,
        "plate": result.plate,
        "block": result.block,
        "plate_wells": result.plate_wells,
        "ic50_name": "IC50 (4PL midpoint)",
        "cell_line": s.cell_line or "n/a",
        "exposure": "n/a" if s.exposure_h is None else f"{s.exposure_h:g} h",
        "saturation": fmt(s.plate.saturation),
        "gi50": gi50,
        "n_tidy": len(tidy),
        "tidy_head": tidy.head(12).to_dict("records"),
        "curves_svg": viability_curves_svg(result),
        "heatmap_svg": edge_heatmap_svg(
            result.analysis, title=result.plate, signal_label="absorbance 570 nm (OD)"
        ),
    }
    return (
        environment()
        .get_template("viability.html.j2")
        .render(s=section, p=plate_context(result.analysis, s.plate))
    )
