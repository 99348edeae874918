"""Report figures (matplotlib, returned as SVG text to inline in HTML).

Each function takes a result object and returns one self-contained ``<svg>`` string. Figures are
built as ``matplotlib.figure.Figure`` objects, not through pyplot, so no global figure state or
GUI backend is involved (safe in a web server's threads).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure
from numpy.typing import NDArray

from cxcr4lab.assays.binding import BindingResult, CompetitionCurve, WellRecord
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.wells import FORMATS, row_letters, well_position

__all__ = ["binding_curves_svg", "forest_plot_svg", "plate_heatmap_svg", "to_svg"]

_ROLE_MARK = {"total": "T", "nsb": "N", "sample": "", "blank": "B", "vehicle": "V"}
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def to_svg(fig: Figure) -> str:
    buf = io.StringIO()
    with rc_context({"svg.fonttype": "none"}):  # keep text as text: smaller, searchable
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def plate_heatmap_svg(result: BindingResult) -> str:
    """Raw signal per well on the plate grid; controls lettered, masked wells crossed."""
    fmt = next(f for f in FORMATS if f.wells == result.plate_wells)
    grid = np.full((fmt.rows, fmt.cols), np.nan)
    for w in result.wells:
        r, c = well_position(w.well)
        grid[r, c - 1] = np.nan if w.signal is None else w.signal
    width = 7.0 if fmt.cols <= 12 else 10.0
    fig = Figure(figsize=(width, width * fmt.rows / fmt.cols * 0.95))
    ax = fig.subplots()
    image = ax.imshow(grid, cmap="viridis", aspect="equal")
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02, label="signal (counts)")
    small = fmt.cols > 12
    for w in result.wells:
        r, c = well_position(w.well)
        mark = _ROLE_MARK.get(w.role, w.role[:1].upper())
        if w.excluded:
            ax.plot(c - 1, r, marker="x", color="red", markersize=8 if not small else 5)
        elif mark:
            ax.text(
                c - 1,
                r,
                mark,
                ha="center",
                va="center",
                color="white",
                fontsize=7 if not small else 5,
            )
    ax.set_xticks(range(fmt.cols), [str(c + 1) for c in range(fmt.cols)], fontsize=7)
    ax.set_yticks(range(fmt.rows), [row_letters(r) for r in range(fmt.rows)], fontsize=7)
    ax.set_title(
        f"{result.plate} — {result.plate_wells}-well plate (T total, N non-specific)", fontsize=9
    )
    return to_svg(fig)


def _conc(wells: list[WellRecord]) -> NDArray[np.float64]:
    return np.array([np.nan if w.conc_molar is None else w.conc_molar for w in wells], dtype=float)


def _curve_label(c: CompetitionCurve) -> str:
    if "no_effect" in c.flags or "outside_range" in c.flags:
        return f"{c.compound} (IC50 not determined)"
    return f"{c.compound} IC50 {c.ic50_molar * 1e9:.3g} nM"


def binding_curves_svg(result: BindingResult, alpha: float = 0.05) -> str:
    """% specific binding vs concentration for every compound: points, fit, 95% confidence band."""
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    for i, c in enumerate(result.curves):
        colour = _COLOURS[i % len(_COLOURS)]
        pts = [w for w in result.wells if w.compound == c.compound and w.role == "sample"]
        used = [w for w in pts if w.excluded is None]
        masked = [w for w in pts if w.excluded is not None]
        ax.scatter(
            _conc(used),
            [np.nan if w.specific_pct is None else w.specific_pct for w in used],
            s=14,
            color=colour,
            alpha=0.8,
        )
        if masked:
            ax.scatter(
                _conc(masked),
                [np.nan if w.specific_pct is None else w.specific_pct for w in masked],
                s=20,
                marker="x",
                color=colour,
            )
        x = np.linspace(c.fit.x_min - 0.5, c.fit.x_max + 0.5, 200)
        if c.fit.converged:
            ax.plot(10.0**x, c.fit.predict(x), color=colour, lw=1.6, label=_curve_label(c))
            lo, hi = c.fit.band(x, alpha)
            if np.all(np.isfinite(lo)):
                ax.fill_between(10.0**x, lo, hi, color=colour, alpha=0.18, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("competitor concentration (M)")
    ax.set_ylabel("specific binding (% of total)")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.axhline(100, color="0.6", lw=0.6, ls=":")
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    ax.set_title(f"Competition binding, {round(100 * (1 - alpha))}% confidence bands", fontsize=9)
    return to_svg(fig)


def forest_plot_svg(potencies: Sequence[Potency]) -> str:
    """Potencies per compound and assay on one log axis (nM): estimates with 95% CIs as points
    and bars, bounds (published "< x", or incomplete curves) as open triangles pointing the way
    the truth lies."""
    rows = sorted(potencies, key=lambda p: (p.compound, p.assay, p.parameter, p.published))
    fig = Figure(figsize=(7.5, 0.28 * len(rows) + 1.2))
    ax = fig.subplots()
    labels = []
    for i, p in enumerate(rows):
        y = len(rows) - 1 - i
        colour = "0.45" if p.published else _COLOURS[0 if p.parameter == "IC50" else 1]
        label = f"{p.compound} · {p.assay} · {p.parameter}" + (
            " (published)" if p.published else ""
        )
        labels.append((y, label))
        if p.value_molar is None:
            continue
        value = p.value_molar / 1e-9
        if p.bound == "=":
            if p.lower_molar is not None and p.upper_molar is not None:
                ax.plot([p.lower_molar / 1e-9, p.upper_molar / 1e-9], [y, y], color=colour, lw=1.5)
            ax.plot([value], [y], "o", color=colour, markersize=4)
        else:
            marker = "<" if p.bound == "<" else ">"
            ax.plot([value], [y], marker, color=colour, markerfacecolor="none", markersize=7)
    ax.set_yticks([y for y, _ in labels], [label for _, label in labels], fontsize=6.5)
    ax.set_xscale("log")
    ax.set_xlabel("concentration (nM); ◁ upper bound, ▷ lower bound")
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.set_title("Potency across assays (95% CI)", fontsize=9)
    return to_svg(fig)
