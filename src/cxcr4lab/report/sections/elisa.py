"""Report section of an ELISA plate: standard curve with back-calculated unknowns, tables."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.elisa import ElisaResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment, fmt

__all__ = ["render", "standard_curve_svg"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def standard_curve_svg(result: ElisaResult) -> str:
    """Left: standards, fitted curve, LLOQ-ULOQ band and unknowns placed on the curve
    (in-well concentration); right: sample concentrations by group (bounds as open marks)."""
    fig = Figure(figsize=(10, 4))
    ax, bx = fig.subplots(1, 2)
    levels = np.array([s.level for s in result.standards if s.level > 0])
    lo_x = levels.min() / 3
    hi_x = levels.max() * 3
    x = np.geomspace(lo_x, hi_x, 300)
    ax.plot(x, result.fit.predict(x), color="k", lw=1.4, label=f"{result.choice.chosen} fit")
    for s in result.standards:
        shown = s.level if s.level > 0 else lo_x
        ax.plot(
            [shown],
            [s.mean_signal],
            "o" if s.passed else "x",
            color="k",
            ms=5,
            markerfacecolor="k" if s.passed else "none",
        )
    if result.lloq is not None and result.uloq is not None:
        ax.axvspan(result.lloq, result.uloq, color="#2ca02c", alpha=0.08, label="LLOQ-ULOQ")
    unknowns = [s for s in result.samples if s.in_well is not None]
    ax.scatter(
        [s.in_well for s in unknowns],
        [s.mean_signal for s in unknowns],
        s=18,
        color="#d62728",
        marker="D",
        label="unknowns / QCs (back-calculated)",
        zorder=3,
    )
    ax.set_xscale("log")
    ax.set_xlabel(f"{result.analyte} in the well ({result.unit}); zero standard at left edge")
    ax.set_ylabel("signal (OD)" + (" − blank" if result.blank_mean is not None else ""))
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    ax.set_title(f"{result.analyte} standard curve", fontsize=9)

    groups = list(dict.fromkeys(s.group for s in result.samples if s.role == "unknown"))
    for i, g in enumerate(groups):
        pts = [s for s in result.samples if s.role == "unknown" and s.group == g and s.value]
        jitter = np.linspace(-0.15, 0.15, max(len(pts), 1))
        for j, p in enumerate(pts):
            bx.plot(
                [i + jitter[j]],
                [p.value],
                "o",
                color=_COLOURS[i % len(_COLOURS)],
                ms=5,
                markerfacecolor="none" if p.bound != "=" else _COLOURS[i % len(_COLOURS)],
            )
        vals = [s.value for s in pts if s.bound == "=" and s.value is not None]
        if vals:
            bx.plot([i - 0.25, i + 0.25], [np.mean(vals)] * 2, color="k", lw=1)
    bx.set_xticks(range(len(groups)), [g or "(no group)" for g in groups], fontsize=8)
    bx.set_ylabel(f"{result.analyte} in serum ({result.unit})")
    bx.set_title("by group (open marks: bounds, < LLOQ or > ULOQ)", fontsize=9)
    return to_svg(fig)


def render(analysis_id: int, title: str, result: ElisaResult) -> str:
    c = result.choice
    standards = [
        {
            "level": fmt(s.level, 4),
            "n": s.n,
            "signal": fmt(s.mean_signal, 4),
            "cv": fmt(s.cv_pct, 3),
            "back": fmt(s.back_calculated, 4),
            "recovery": fmt(s.recovery_pct, 4),
            "passed": s.passed,
            "reason": s.reason or "",
        }
        for s in result.standards
    ]
    samples = [
        {
            "sample": s.sample,
            "group": s.group or ("QC" if s.role == "qc" else ""),
            "dilution": f"{s.dilution:g}",
            "wells": ", ".join(s.wells),
            "signal": fmt(s.mean_signal, 4),
            "cv": fmt(s.cv_pct, 3),
            "value": "n/a"
            if s.value is None
            else (fmt(s.value, 4) if s.bound == "=" else f"{s.bound} {fmt(s.value, 4)}"),
            "recovery": fmt(s.recovery_pct, 4),
            "flags": list(s.flags),
        }
        for s in result.samples
    ]
    comparison = (
        f"F = {fmt(c.f_statistic)}, p = {fmt(c.p_value)}; AICc 4PL {fmt(c.aicc_4pl, 4)}, "
        f"5PL {fmt(c.aicc_5pl, 4)}"
        if c.p_value is not None
        else ""
    )
    section = {
        "id": analysis_id,
        "title": title,
        "plate": result.plate,
        "block": result.block,
        "analyte": result.analyte,
        "unit": result.unit,
        "model": c.chosen,
        "how": c.how,
        "comparison": comparison,
        "blank": fmt(result.blank_mean, 4),
        "lloq": fmt(result.lloq, 4),
        "uloq": fmt(result.uloq, 4),
        "passed": result.passed,
        "reasons": list(result.reasons),
        "s": result.settings,
        "standards": standards,
        "samples": samples,
        "figure_svg": standard_curve_svg(result),
    }
    return environment().get_template("elisa.html.j2").render(s=section)
