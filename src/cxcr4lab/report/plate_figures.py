"""Figures of inhibition plates (arrestin, calcium, chemotaxis, viability), as SVG text.

* :func:`inhibition_curves_svg`: % of control against concentration per compound, the 4PL fit
  and its confidence band, masked wells crossed, and the agonist's own curve where present;
* :func:`edge_heatmap_svg`: the plate twice, raw signal and residual (%-points from the curve or
  the control mean), the outer ring outlined, so evaporation or temperature gradients show.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cxcr4lab.assays.inhibition import InhibitionCurve, InhibitionPlate, PlateWell, plate_format_of
from cxcr4lab.assays.wells import row_letters, well_position
from cxcr4lab.report.figures import to_svg

__all__ = ["curve_label", "edge_heatmap_svg", "inhibition_curves_svg"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_ROLE_MARK = {
    "max": "+",
    "vehicle": "V",
    "min": "−",
    "no_agonist": "0",
    "buffer": "b",
    "blank": "B",
    "agonist": "A",
    "standard": "S",
    "sample": "",
}


def curve_label(c: InhibitionCurve, parameter: str = "IC50") -> str:
    if "no_effect" in c.flags or "not_converged" in c.flags:
        return f"{c.compound} ({parameter} not determined)"
    if "outside_range" in c.flags:
        return f"{c.compound} ({parameter} outside tested range)"
    return f"{c.compound} {parameter} {c.ic50_molar * 1e9:.3g} nM"


def _conc(wells: list[PlateWell]) -> np.ndarray:
    return np.array([np.nan if w.conc_molar is None else w.conc_molar for w in wells], dtype=float)


def _pct(wells: list[PlateWell]) -> np.ndarray:
    return np.array(
        [np.nan if w.response_pct is None else w.response_pct for w in wells], dtype=float
    )


def inhibition_curves_svg(
    plate: InhibitionPlate,
    *,
    title: str,
    ylabel: str = "response (% of control)",
    alpha: float = 0.05,
) -> str:
    """Points, 4PL fit and confidence band for every compound (and the agonist curve)."""
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    curves: list[tuple[str, InhibitionCurve | None, str]] = [
        (c.compound, c, "sample") for c in plate.curves
    ]
    if plate.agonist is not None:
        curves.append((plate.agonist.compound, None, "agonist"))
    for i, (name, curve, role) in enumerate(curves):
        colour = _COLOURS[i % len(_COLOURS)]
        pts = [w for w in plate.wells if w.compound == name and w.role == role]
        used = [w for w in pts if w.excluded is None]
        masked = [w for w in pts if w.excluded is not None]
        marker = "o" if role == "sample" else "s"
        ax.scatter(_conc(used), _pct(used), s=14, color=colour, alpha=0.8, marker=marker)
        if masked:
            ax.scatter(_conc(masked), _pct(masked), s=22, marker="x", color=colour)
        fit = curve.fit if curve is not None else plate.agonist.fit if plate.agonist else None
        if fit is None or not fit.converged:
            continue
        x = np.linspace(fit.x_min - 0.5, fit.x_max + 0.5, 200)
        if curve is not None:
            label = curve_label(curve)
        else:
            assert plate.agonist is not None
            label = f"{name} (agonist) EC50 {plate.agonist.ec50_molar * 1e9:.3g} nM"
        ax.plot(10.0**x, fit.predict(x), color=colour, lw=1.6, label=label)
        lo, hi = fit.band(x, alpha)
        if np.all(np.isfinite(lo)):
            ax.fill_between(10.0**x, lo, hi, color=colour, alpha=0.18, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("concentration (M)")
    ax.set_ylabel(ylabel)
    ax.axhline(0, color="0.6", lw=0.6)
    ax.axhline(100, color="0.6", lw=0.6, ls=":")
    ax.legend(fontsize=7, frameon=False, loc="best")
    ax.set_title(f"{title}, {round(100 * (1 - alpha))}% confidence bands", fontsize=9)
    return to_svg(fig)


def edge_heatmap_svg(plate: InhibitionPlate, *, title: str, signal_label: str = "signal") -> str:
    """Raw signal and residual per well on the plate grid; outer ring outlined."""
    fmt = plate_format_of(plate.plate_wells)
    raw = np.full((fmt.rows, fmt.cols), np.nan)
    resid = np.full((fmt.rows, fmt.cols), np.nan)
    for w in plate.wells:
        r, c = well_position(w.well)
        raw[r, c - 1] = np.nan if w.signal is None else w.signal
        resid[r, c - 1] = np.nan if w.residual_pct is None else w.residual_pct
    small = fmt.cols > 12
    width = 11.0 if not small else 13.0
    fig = Figure(figsize=(width, width / 2 * fmt.rows / fmt.cols * 1.05))
    axes = fig.subplots(1, 2)
    finite = resid[np.isfinite(resid)]
    span = float(np.max(np.abs(finite))) if finite.size else 1.0
    panels = (
        (raw, "viridis", None, None, signal_label),
        (resid, "RdBu_r", -span, span, "residual (%-points)"),
    )
    for ax, (grid, cmap, vmin, vmax, label) in zip(axes, panels, strict=True):
        image = ax.imshow(grid, cmap=cmap, vmin=vmin, vmax=vmax, aspect="equal")
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02, label=label)
        ax.add_patch(
            Rectangle((-0.5, -0.5), fmt.cols, fmt.rows, fill=False, lw=2.0, ec="0.2", ls="--")
        )
        ax.add_patch(
            Rectangle((0.5, 0.5), fmt.cols - 2, fmt.rows - 2, fill=False, lw=1.0, ec="0.2", ls=":")
        )
        for w in plate.wells:
            r, c = well_position(w.well)
            if w.excluded:
                ax.plot(c - 1, r, marker="x", color="red", markersize=5 if small else 7)
                continue
            mark = _ROLE_MARK.get(w.role, w.role[:1].upper())
            if mark:
                ax.text(
                    c - 1,
                    r,
                    mark,
                    ha="center",
                    va="center",
                    fontsize=5 if small else 6.5,
                    color="k",
                )
        ax.set_xticks(range(fmt.cols), [str(c + 1) for c in range(fmt.cols)], fontsize=6)
        ax.set_yticks(range(fmt.rows), [row_letters(r) for r in range(fmt.rows)], fontsize=6)
    e = plate.edge
    verdict = "EDGE EFFECT" if e.flagged else "no edge effect"
    diff = "n/a" if e.difference_pct is None else f"{e.difference_pct:+.1f}"
    p = "n/a" if e.p_value is None else f"{e.p_value:.2g}"
    fig.suptitle(
        f"{title}: {verdict} (outer ring − interior residual {diff} %-points, p = {p})",
        fontsize=9,
    )
    return to_svg(fig)
