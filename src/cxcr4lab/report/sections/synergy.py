"""Report section of a drug-combination synergy analysis (kind ``synergy``).

A screen's blocks are all in the score tables; the pictures and the cell-level tables are drawn
for the first :data:`DETAIL_BLOCKS` blocks (the section says so). Per block: the dose-response
matrix (mean % inhibition), a synergy map per SynergyFinder model (diverging, centred on 0, the
most synergistic area outlined), a 3D synergy surface (ZIP when scored), the block scores with
bootstrap intervals, p-values and SynergyFinder's reading, single-drug sensitivity (relative
IC50, RI, CSS), the Chou-Talalay part (median-effect fits, the CI and DRI of every combination
well, the fa-CI plot, the normalised isobologram and, where the matrix has fixed-ratio rays, the
classic isobologram at fa 0.5/0.75/0.9), the MuSyC synergy parameters, and the block's flags.
Refused blocks are listed with their reasons.

Everything is drawn from the stored :class:`~cxcr4lab.combination.analysis.SynergyResult`:
no refitting, so the dossier stays fast.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._worked import Step, render_steps

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.image import AxesImage

    from cxcr4lab.combination.analysis import BlockAnalysis, SynergyResult
    from cxcr4lab.combination.blocks import Block
    from cxcr4lab.combination.median_effect import CheckerboardCI, CIPoint, MixtureAnalysis
    from cxcr4lab.combination.musyc import MusycFit

__all__ = [
    "DETAIL_BLOCKS",
    "classic_isobologram_figure",
    "fa_ci_figure",
    "normalized_isobologram_figure",
    "render",
    "response_matrix_figure",
    "synergy_maps_figure",
    "synergy_surface_figure",
]

DETAIL_BLOCKS = 3
"""Blocks drawn in detail (pictures, cell tables); a screen's other blocks are in the tables."""

MAX_RAYS = 8
"""Fixed-ratio rays drawn in the fa-CI plot and the classic isobologram (the first by ratio)."""

MAX_CI_ROWS = 300
"""Rows of a block's Chou-Talalay table (one per combination well)."""

ISOBOLE_LEVELS = (0.5, 0.75, 0.9)
"""The effect levels of the classic isobologram."""

DASH = "-"
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
_LABELS = {"bliss": "Bliss", "hsa": "HSA", "loewe": "Loewe", "zip": "ZIP"}
_DIVERGING = "RdBu_r"  # red: synergy (above the reference), blue: antagonism


# --- text ------------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    """A number for people: ``-`` where it is not defined, ``∞`` for an unbounded one."""
    if value is None:
        return DASH
    v = float(value)
    if math.isnan(v):
        return DASH
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    return f"{v:.{digits}g}"


def _fixed(value: float | None, decimals: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return _num(value)
    return f"{value:.{decimals}f}"


def _range(low: float | None, high: float | None, digits: int = 3) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return DASH
    return f"{low:.{digits}g} to {high:.{digits}g}"


def _p(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    return "< 0.001" if value < 0.001 else f"{value:.3g}"


def _conc(value: float) -> str:
    return f"{value:g}"


def _label(method: str) -> str:
    return _LABELS.get(method, method)


def _pair(block: Block) -> str:
    return f"{block.drug_row} x {block.drug_col}"


def _simulated(source: str) -> str:
    """The line saying the data are simulated when the source is one of the kind's bundled
    example files (all simulated), else empty."""
    from cxcr4lab.runs.synergy import KIND

    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    for e in KIND.examples:
        if name in e.files.values():
            return (
                "SIMULATED example data (bundled with cxcr4lab; the truth that generated them "
                f"is in examples/{e.folder}/README.md), not a measurement. "
            )
    return ""


def _table(caption: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> dict[str, Any]:
    return {"caption": caption, "columns": list(columns), "rows": [list(r) for r in rows]}


# --- figures ---------------------------------------------------------------------------------------


def _size(block: Block, per_cell: float = 0.55) -> tuple[float, float]:
    n_r, n_c = block.shape
    width = min(max(1.6 + per_cell * n_c, 4.2), 8.0)
    return width, min(max(1.2 + per_cell * n_r, 3.4), 7.0)


def _conc_axes(ax: Axes, block: Block, *, fontsize: float = 7) -> None:
    """Concentrations as equally spaced category labels (they include 0), units in the titles."""
    n_r, n_c = block.shape
    ax.set_xticks(range(n_c), [_conc(c) for c in block.conc_c_shown], fontsize=fontsize)
    ax.set_yticks(range(n_r), [_conc(c) for c in block.conc_r_shown], fontsize=fontsize)
    ax.set_xlabel(f"{block.drug_col} ({block.unit_c})", fontsize=8)
    ax.set_ylabel(f"{block.drug_row} ({block.unit_r})", fontsize=8)


def _annotate(
    ax: Axes, values: np.ndarray[Any, Any], image: AxesImage, decimals: int, *, first: int = 0
) -> None:
    """Each cell's value written on it (from row and column ``first``), black or white by the
    colour underneath."""
    n_r, n_c = values.shape
    if max(n_r, n_c) > 12:
        return
    size = 7 if max(n_r, n_c) <= 8 else 5
    rgba = np.asarray(image.cmap(image.norm(np.where(np.isfinite(values), values, 0.0))))
    for i in range(first, n_r):
        for j in range(first, n_c):
            v = float(values[i, j])
            if not math.isfinite(v):
                continue
            r, g, b = rgba[i, j, :3]
            colour = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
            text = f"{round(v, decimals) + 0.0:.{decimals}f}"  # + 0.0: no "-0"
            ax.text(j, i, text, ha="center", va="center", fontsize=size, color=colour)


def response_matrix_figure(analysis: BlockAnalysis, result: SynergyResult) -> Figure:
    """The dose-response matrix: mean % inhibition per cell (as measured, replicates averaged),
    annotated, concentrations on the axes."""
    block = analysis.block
    z = block.matrix
    fig = Figure(figsize=_size(block))
    ax = fig.subplots()
    finite = z[np.isfinite(z)]
    low = min(0.0, float(finite.min())) if finite.size else 0.0
    high = max(100.0, float(finite.max())) if finite.size else 100.0
    image = ax.imshow(z, origin="lower", cmap="viridis", vmin=low, vmax=high, aspect="auto")
    _annotate(ax, z, image, 0)
    _conc_axes(ax, block)
    fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03, label="inhibition (%)")
    viability = " (from % viability)" if result.response_kind == "viability" else ""
    reps = "mean of the replicates" if block.has_replicates else "one value per cell"
    ax.set_title(
        f"{block.block_id}: % inhibition{viability}, {reps}", fontsize=8, loc="left", wrap=True
    )
    return fig


def _synergy_limit(analysis: BlockAnalysis) -> float:
    """A symmetric colour range (% inhibition) shared by the block's maps, at least +/-10."""
    assert analysis.scores is not None
    values = np.concatenate([np.ravel(m.synergy) for m in analysis.scores.methods])
    values = values[np.isfinite(values)]
    return max(10.0, float(np.abs(values).max())) if values.size else 10.0


def synergy_maps_figure(analysis: BlockAnalysis) -> Figure:
    """One synergy map per SynergyFinder model (observed minus reference, % inhibition), on one
    diverging colour scale centred on 0; the most synergistic area outlined (dashed)."""
    scores = analysis.scores
    assert scores is not None
    block = analysis.block
    n = len(scores.methods)
    n_cols = min(n, 2)
    n_rows = math.ceil(n / n_cols)
    width, height = _size(block, 0.5)
    fig = Figure(figsize=(width * n_cols + 0.8, height * n_rows + 0.3))
    grid = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=True)
    axes = np.atleast_1d(grid).ravel()
    lim = _synergy_limit(analysis)
    norm = Normalize(-lim, lim)
    image = None
    for ax, m in zip(axes, scores.methods, strict=False):
        z = np.asarray(m.synergy, dtype=float)
        image = ax.imshow(z, origin="lower", cmap=_DIVERGING, norm=norm, aspect="auto")
        if max(block.shape) <= 8:  # larger maps: too small to read, and slow to draw
            _annotate(ax, z, image, 1, first=1)  # single-drug row and column: 0 by definition
        _conc_axes(ax, block, fontsize=6.5)
        ax.label_outer()
        area = analysis.area(m.method)
        extra = ""
        if area is not None:
            ax.add_patch(
                Rectangle(
                    (area.col - 0.5, area.row - 0.5),
                    area.size,
                    area.size,
                    fill=False,
                    edgecolor="black",
                    lw=1.6,
                    ls="--",
                )
            )
            extra = f"; most synergistic area {area.score:.2f} %"
        ax.set_title(f"{_label(m.method)}: block mean {m.score:.2f} %{extra}", fontsize=8)
    for ax in axes[n:]:
        ax.set_visible(False)
    if image is not None:
        fig.colorbar(
            image,
            ax=list(axes[:n]),
            fraction=0.04,
            pad=0.03,
            label="synergy (% inhibition above the reference)",
        )
    size = next((a.size for a in analysis.areas if a is not None), None)
    outline = f"; dashed: most synergistic {size}x{size} area" if size else ""
    fig.suptitle(
        f"{analysis.block_id}: synergy maps (red synergy, blue antagonism{outline};\nthe "
        "single-drug row and column are 0 by definition)",
        fontsize=9,
    )
    return fig


def synergy_surface_figure(analysis: BlockAnalysis, method: str) -> Figure:
    """The synergy of ``method`` as a 3D surface over the concentration grid (equally spaced
    categories), with the plane of 0 (no synergy)."""
    scores = analysis.scores
    assert scores is not None
    m = next(s for s in scores.methods if s.method == method)
    block = analysis.block
    z = np.asarray(m.synergy, dtype=float)
    n_r, n_c = z.shape
    xs, ys = np.meshgrid(np.arange(n_c), np.arange(n_r))
    lim = _synergy_limit(analysis)
    fig = Figure(figsize=(6.6, 5.2))
    ax: Any = fig.add_subplot(projection="3d")
    ax.plot_surface(xs, ys, np.zeros_like(z), color="0.6", alpha=0.15, linewidth=0)
    surface = ax.plot_surface(
        xs,
        ys,
        z,
        cmap=_DIVERGING,
        norm=Normalize(-lim, lim),
        edgecolor="0.35",
        linewidth=0.3,
        antialiased=True,
    )
    ax.set_xticks(range(n_c), [_conc(c) for c in block.conc_c_shown], fontsize=6)
    ax.set_yticks(range(n_r), [_conc(c) for c in block.conc_r_shown], fontsize=6)
    ax.tick_params(axis="z", labelsize=6)
    ax.set_xlabel(f"{block.drug_col} ({block.unit_c})", fontsize=7)
    ax.set_ylabel(f"{block.drug_row} ({block.unit_r})", fontsize=7)
    ax.set_zlabel("synergy (% inhibition)", fontsize=7)
    ax.set_zlim(min(-10.0, float(np.nanmin(z)) - 2), max(10.0, float(np.nanmax(z)) + 2))
    ax.view_init(elev=28, azim=-130)
    fig.colorbar(surface, ax=ax, shrink=0.55, pad=0.12, label="synergy (% inhibition)")
    ax.set_title(
        f"{analysis.block_id}: {_label(method)} synergy surface (block mean {m.score:.2f} %)",
        fontsize=8,
    )
    return fig


def _values(seq: Sequence[float | None]) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.array([math.nan if v is None else float(v) for v in seq], dtype=float)


def _ratio(ray: MixtureAnalysis) -> str:
    """A ray's dose ratio without the drug names (``1:300``)."""
    return ray.name.rsplit(" = ", 1)[-1]


def fa_ci_figure(chou: CheckerboardCI, rays: Sequence[MixtureAnalysis]) -> Figure | None:
    """CI against fa: every combination well at its observed fa (with its interval), the fa-CI
    curve of each fixed-ratio ray with its interval band, and the line CI = 1. None when no CI
    is defined."""
    fa = np.array([c.fa for c in chou.cells], dtype=float)
    ci = _values([c.ci for c in chou.cells])
    lo = _values([c.ci_lower for c in chou.cells])
    hi = _values([c.ci_upper for c in chou.cells])
    curves = [(r, _values(r.fa_ci.ci)) for r in rays]
    curves = [(r, c) for r, c in curves if np.isfinite(c).any()]
    if not np.isfinite(ci).any() and not curves:
        return None
    level = round(100 * (1 - chou.alpha))
    fig = Figure(figsize=(6.6, 4.4))
    ax = fig.subplots()
    for k, (ray, curve) in enumerate(curves):
        colour = _COLOURS[k % len(_COLOURS)]
        x = np.array(ray.fa_ci.fa, dtype=float)
        low, high = _values(ray.fa_ci.lower), _values(ray.fa_ci.upper)
        band = np.isfinite(low) & np.isfinite(high)
        if band.any():
            ax.fill_between(x, low, high, where=band, color=colour, alpha=0.07, lw=0)
        ax.plot(x, curve, color=colour, lw=1.4, label=f"ray {_ratio(ray)}")
    ok = np.isfinite(ci)
    bars = ok & np.isfinite(lo) & np.isfinite(hi)
    if bars.any():
        ax.errorbar(
            fa[bars],
            ci[bars],
            yerr=[ci[bars] - lo[bars], hi[bars] - ci[bars]],
            fmt="o",
            ms=3.5,
            color="black",
            ecolor="0.55",
            elinewidth=0.7,
            capsize=1.5,
            label=f"wells, observed fa ({level}% CI)",
        )
    if (ok & ~bars).any():
        ax.plot(fa[ok & ~bars], ci[ok & ~bars], "o", ms=3.5, color="black", mfc="white")
    ax.axhline(1.0, color="0.25", lw=0.9, ls="--", label="CI = 1 (additive)")
    shown = np.concatenate([ci[ok], *(c[np.isfinite(c)] for _, c in curves)])
    top, bottom = float(shown.max()), float(shown.min())
    if bottom > 0 and top / bottom > 30:
        ax.set_yscale("log")
        ax.set_ylim(bottom / 1.5, top * 1.5)
    else:
        ax.set_ylim(0, max(1.5, 1.15 * top))
    ax.set_xlim(0, 1)
    ax.set_xlabel("fa (fraction affected = % inhibition / 100)")
    ax.set_ylabel("combination index CI (unitless)")
    ax.set_title(
        f"fa-CI plot (Chou-Talalay; CI < 1 synergy, > 1 antagonism; {level}% delta-method "
        "intervals)",
        fontsize=8,
    )
    ax.legend(
        fontsize=6.5,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title=f"rays, {chou.drugs[0]}:{chou.drugs[1]}\n(bands: {level}% CI)" if curves else None,
        title_fontsize=6.5,
    )
    return fig


def normalized_isobologram_figure(chou: CheckerboardCI) -> Figure | None:
    """Each combination well at ``(d_a/Dx_a, d_b/Dx_b)``: the dose of each drug over the dose
    of it alone giving the well's fa; the additive line x + y = 1 (below: synergy). None when
    no well has both ratios."""
    x, y = chou.normalized_isobologram()
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    a, b = chou.drugs
    fa = np.array([c.fa for c in chou.cells], dtype=float)
    fig = Figure(figsize=(5.4, 4.6))
    ax = fig.subplots()
    lim = max(1.2, 1.08 * float(max(x[ok].max(), y[ok].max())))
    ax.fill_between([0, 1], [1, 0], 0, color="#d62728", alpha=0.06, lw=0)
    ax.plot([0, 1], [1, 0], "k--", lw=0.9, label="additive: x + y = 1")
    points = ax.scatter(
        x[ok], y[ok], c=fa[ok], cmap="viridis", vmin=0, vmax=1, s=20, edgecolors="0.2", lw=0.3
    )
    fig.colorbar(points, ax=ax, fraction=0.05, pad=0.03, label="fa (fraction affected)")
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_aspect("equal")
    ax.set_xlabel(f"d({a}) / Dx({a}) (dose in the combination / alone, same fa)", fontsize=8)
    ax.set_ylabel(f"d({b}) / Dx({b})", fontsize=8)
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    ax.set_title("Normalised isobologram (below the line: synergy)", fontsize=8)
    return fig


def _axis_limit(points: Sequence[float], dx: float | None) -> tuple[float, bool]:
    """An axis end for the points and the isobole's intercept ``dx`` (left off, ``True``,
    when it is more than 10 times beyond the points)."""
    top = max(points, default=0.0)
    if dx is not None and math.isfinite(dx) and (top <= 0 or dx <= 10 * top):
        return 1.15 * max(top, dx), False
    return (1.15 * top if top > 0 else 1.0), dx is not None


def classic_isobologram_figure(
    chou: CheckerboardCI, rays: Sequence[MixtureAnalysis]
) -> Figure | None:
    """At fa 0.5, 0.75 and 0.9: the additive isobole from ``(Dx_a, 0)`` to ``(0, Dx_b)`` and
    each fixed-ratio ray's doses giving that fa (below the line: synergy). None without rays
    with defined isobologram data."""
    a, b = chou.drugs
    unit = chou.unit
    panels = []
    for level in ISOBOLE_LEVELS:
        found = []
        for k, ray in enumerate(rays):
            for iso in ray.isobologram:
                if abs(iso.fa - level) < 1e-9 and None not in iso.doses and None not in iso.dx:
                    found.append((k, ray, iso))
        if found:
            panels.append((level, found))
    if not panels:
        return None
    fig = Figure(figsize=(3.9 * len(panels), 4.0))
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)).ravel()
    handles: dict[str, Any] = {}
    for ax, (level, found) in zip(axes, panels, strict=True):
        dx_a, dx_b = found[0][2].dx
        xs = [float(iso.doses[0] or 0.0) for _, _, iso in found]
        ys = [float(iso.doses[1] or 0.0) for _, _, iso in found]
        xmax, x_off = _axis_limit(xs, dx_a)
        ymax, y_off = _axis_limit(ys, dx_b)
        assert dx_a is not None and dx_b is not None
        (line,) = ax.plot([dx_a, 0.0], [0.0, dx_b], "k--", lw=0.9)
        handles.setdefault("additive isobole", line)
        for (k, ray, _), x, y in zip(found, xs, ys, strict=True):
            (mark,) = ax.plot([x], [y], "o", ms=5, color=_COLOURS[k % len(_COLOURS)])
            handles.setdefault(f"ray {_ratio(ray)}", mark)
        ax.set_xlim(0, xmax)
        ax.set_ylim(0, ymax)
        off = []
        if x_off:
            off.append(f"Dx({a}) = {_num(dx_a)} {unit}")
        if y_off:
            off.append(f"Dx({b}) = {_num(dx_b)} {unit}")
        if off:
            ax.text(
                0.98,
                0.98,
                "isobole off scale:\n" + "\n".join(off),
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=6,
                color="0.3",
            )
        ax.set_xlabel(f"{a} ({unit})", fontsize=8)
        ax.set_ylabel(f"{b} ({unit})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_title(f"fa = {level:g} (ED{round(100 * level)})", fontsize=8)
    fig.legend(
        list(handles.values()),
        list(handles.keys()),
        loc="lower center",
        ncols=min(len(handles), 4),
        fontsize=6.5,
        frameon=False,
        bbox_to_anchor=(0.5, -0.02),
    )
    fig.suptitle(
        f"Isobologram of the fixed-ratio rays ({a}:{b} dose ratio; below the additive isobole: "
        "synergy)",
        fontsize=9,
    )
    fig.subplots_adjust(bottom=0.16 + 0.04 * math.ceil(len(handles) / 4), wspace=0.35)
    return fig


# --- tables ----------------------------------------------------------------------------------------


def _area_text(analysis: BlockAnalysis, method: str) -> str:
    area = analysis.area(method)
    if area is None:
        return DASH
    blk = analysis.block
    r0, c0, last = area.row, area.col, area.size - 1
    return (
        f"{area.score:.2f} at {blk.drug_row} {_conc(blk.conc_r_shown[r0])}-"
        f"{_conc(blk.conc_r_shown[r0 + last])} {blk.unit_r} x {blk.drug_col} "
        f"{_conc(blk.conc_c_shown[c0])}-{_conc(blk.conc_c_shown[c0 + last])} {blk.unit_c}"
    )


def _score_rows(analysis: BlockAnalysis) -> list[list[str]]:
    """One row per SynergyFinder model: score, bootstrap interval, p, area, reading."""
    from cxcr4lab.combination.analysis import interpret

    if analysis.scores is None:
        return []
    rows = []
    for m in analysis.scores.methods:
        boot = analysis.bootstrap.method(m.method) if analysis.bootstrap is not None else None
        rows.append(
            [
                _label(m.method),
                _fixed(m.score),
                _range(boot.ci_low, boot.ci_high) if boot is not None else DASH,
                _p(boot.p_value if boot is not None else m.p_value),
                _area_text(analysis, m.method),
                interpret(m.score),
            ]
        )
    return rows


def _score_columns(level: int) -> list[str]:
    return [
        "model",
        "score (% inhibition above the reference)",
        f"{level}% CI (bootstrap, % inhibition)",
        "p",
        "most synergistic area (% inhibition; doses)",
        "reading (SynergyFinder)",
    ]


def _sensitivity_table(analysis: BlockAnalysis) -> dict[str, Any] | None:
    s = analysis.sensitivity
    if s is None:
        return None
    rows = []
    for d in (s.row, s.col):
        capped = " (capped at the top dose)" if d.ic50_capped else ""
        rows.append([d.drug, f"{_num(d.ic50)} {d.unit}{capped}", _fixed(d.ri), _fixed(d.css)])
    return _table(
        f"Sensitivity (SynergyFinder): block CSS {_fixed(s.css)} % inhibition",
        [
            "drug",
            "relative IC50",
            "RI (% inhibition)",
            "CSS, other drug at its IC50 (% inhibition)",
        ],
        rows,
    )


def _fits_table(chou: CheckerboardCI) -> tuple[dict[str, Any], list[str]]:
    rows = []
    for drug, fit in zip(chou.drugs, chou.fits, strict=True):
        if fit is None:
            rows.append([drug, DASH, DASH, DASH, DASH, "no (fewer than 2 usable points)"])
            continue
        rows.append(
            [
                drug,
                f"{fit.n} ({fit.n_excluded} left out)",
                f"{_num(fit.m)} ({_range(fit.m_lower, fit.m_upper)})",
                f"{_num(fit.dm)} ({_range(fit.dm_lower, fit.dm_upper)})",
                _num(fit.r),
                "yes" if fit.valid else "no",
            ]
        )
    level = round(100 * (1 - chou.alpha))
    gaps = any(
        fit is not None and None in (fit.m_lower, fit.m_upper, fit.dm_lower, fit.dm_upper)
        for fit in chou.fits
    )
    notes = (
        [
            '"-" in the fits table: the interval cannot be computed (a fit of 2 points, or a '
            "slope so close to 0 that Dm's bound overflows)."
        ]
        if gaps
        else []
    )
    return _table(
        f"Median-effect fits of the single drugs ({level}% CIs in brackets)",
        [
            "drug",
            "wells used (0 < fa < 1)",
            "m, slope (unitless)",
            f"Dm, median-effect dose ({chou.unit})",
            "r",
            "usable for CI",
        ],
        rows,
    ), notes


_FA_OUTSIDE = re.compile(r"fa = \S+ is outside \(0, 1\)")


def _why_undefined(cell: CIPoint) -> str | None:
    """Why a well's CI, a DRI or the CI's interval is ``-`` (None when all are defined), as it
    applies to every well it concerns (the well's own fa is in the table)."""
    note = cell.note
    if _FA_OUTSIDE.fullmatch(note):
        note = "fa outside (0, 1): the median-effect equation needs 0 < fa < 1"
    if cell.ci is None or None in cell.dri:
        return note or "not defined"
    if cell.ci_lower is None or cell.ci_upper is None:
        return note or "no interval: a median-effect fit with 2 points has no residual variance"
    return None


def _ci_table(chou: CheckerboardCI) -> tuple[dict[str, Any], list[str]]:
    """The CI table (one row per combination well) and the reasons for its ``-``, once each."""
    a, b = chou.drugs
    unit = chou.unit
    level = round(100 * (1 - chou.alpha))
    cells = chou.cells[:MAX_CI_ROWS]
    why = [_why_undefined(c) for c in cells]
    reasons = list(dict.fromkeys(r for r in why if r is not None))
    rows = [
        [
            _num(c.doses[0], 4),
            _num(c.doses[1], 4),
            f"{c.fa:.3f}",
            _num(c.ci),
            _range(c.ci_lower, c.ci_upper),
            _num(c.dri[0]),
            _num(c.dri[1]),
        ]
        for c in cells
    ]
    columns = [
        f"{a} ({unit})",
        f"{b} ({unit})",
        "fa",
        "CI",
        f"CI {level}% interval",
        f"DRI {a} (fold)",
        f"DRI {b} (fold)",
    ]
    notes = []
    if len(reasons) > 1:  # several reasons: a key per well, each reason written once
        letters = {r: str(k) for k, r in enumerate(reasons, start=1)}
        for row, reason in zip(rows, why, strict=True):
            row.append(f"({letters[reason]})" if reason is not None else "")
        columns.append('why "-"')
        notes += [f'"-" ({letters[r]}): {r}.' for r in reasons]
    elif reasons:
        notes.append(f'"-" in the CI table: {reasons[0]}.')
    total = len(chou.cells)
    more = f"; the first {MAX_CI_ROWS} of {total} shown" if total > MAX_CI_ROWS else ""
    caption = (
        f"Chou-Talalay CI and DRI of every combination well (replicate wells are rows of their "
        f"own; doses of both drugs in {unit}{more}). CI < 1 synergy, 1 additive, > 1 "
        "antagonism; DRI: dose alone / dose in the combination for the same fa"
    )
    return _table(caption, columns, rows), notes


def _rays_table(chou: CheckerboardCI, rays: Sequence[MixtureAnalysis]) -> dict[str, Any]:
    level = round(100 * (1 - chou.alpha))
    fas = [p.fa for p in rays[0].levels] if rays else []
    rows = []
    for ray in rays:
        cells = [f"{_num(p.ci)} ({_range(p.ci_lower, p.ci_upper)})" for p in ray.levels]
        rows.append([ray.name, str(ray.fit.n), *cells])
    return _table(
        f"Fixed-ratio rays of the matrix (doses in {chou.unit}): CI at effect levels "
        f"({level}% intervals in brackets)",
        ["ray (dose ratio)", "wells", *(f"CI at ED{round(100 * f)}" for f in fas)],
        rows,
    )


def _musyc_table(fit: MusycFit, drug_row: str, drug_col: str) -> dict[str, Any]:
    level = round(100 * (1 - fit.alpha))
    summary = fit.summary()
    reading = dict(zip(summary["parameter"], summary["reading"], strict=True))
    params = fit.params
    intervals = fit.conf_int()
    meaning = {
        "alpha12": f"potency of {drug_col} with {drug_row} present, fold (> 1: potency synergy)",
        "alpha21": f"potency of {drug_row} with {drug_col} present, fold (> 1: potency synergy)",
        "gamma12": f"cooperativity of {drug_col}'s Hill slope with {drug_row}, fold (> 1: synergy)",
        "gamma21": f"cooperativity of {drug_row}'s Hill slope with {drug_col}, fold (> 1: synergy)",
        "beta": "efficacy: gain over the stronger drug's maximal effect, fraction (> 0: synergy)",
    }
    rows = []
    for name, text in meaning.items():
        if name in intervals:
            low, high = intervals[name]
            shown, read = _range(low, high), str(reading.get(name, ""))
            if shown == DASH:  # no interval, no test
                read = DASH
        else:
            shown, read = "fixed at 1 (reduced model)", DASH
        rows.append([name, text, _num(params.get(name)), shown, read or DASH])
    return _table(
        f"MuSyC synergy parameters ({fit.ci_method} {level}% CIs): potency synergy alpha > 1, "
        "efficacy synergy beta > 0",
        ["parameter", "meaning", "value", f"{level}% CI", "reading"],
        rows,
    )


def _musyc_gaps(fit: MusycFit) -> list[str]:
    intervals = fit.conf_int()
    names = [n for n in ("alpha12", "alpha21", "gamma12", "gamma21", "beta") if n in intervals]
    if any(None in intervals[n] for n in names):
        return [
            '"-" in the MuSyC table: no interval could be computed (see the notes), so no '
            "reading either."
        ]
    return []


def _musyc_text(fit: MusycFit, block: Block) -> str:
    p = fit.params
    boot = (
        f", {fit.bootstrap_converged} of {fit.bootstrap_iterations} bootstrap refits converged"
        if fit.ci_method == "bootstrap"
        else ""
    )
    return (
        f"MuSyC surface ({block.drug_row} = drug 1, {block.drug_col} = drug 2): E0 "
        f"{_num(p['E0'])} %, E1 ({block.drug_row} alone, maximal) {_num(p['E1'])} %, E2 "
        f"({block.drug_col} alone) {_num(p['E2'])} %, E3 (both) {_num(p['E3'])} % inhibition; "
        f"EC50s C1 {_num(p['C1'])} {block.unit_r}, C2 {_num(p['C2'])} {block.unit_c}; Hill slopes h1 "
        f"{_num(p['h1'])}, h2 {_num(p['h2'])}; {fit.n} wells, R² {_num(fit.r_squared)}"
        f"{'' if fit.converged else ', NOT converged'}{boot}."
    )


def _fit_cautions(chou: CheckerboardCI, block: Block) -> list[str]:
    """The fits' warnings, and a Dm far beyond the tested doses (the drug barely acts alone)."""
    out = []
    top = {block.drug_row: max(block.conc_r_shown), block.drug_col: max(block.conc_c_shown)}
    if block.unit_r != block.unit_c:  # the column drug's doses were converted to unit_r
        top[block.drug_col] *= (block.conc_c[-1] / block.conc_c_shown[-1]) / (
            block.conc_r[-1] / block.conc_r_shown[-1]
        )
    for fit in chou.fits:
        if fit is None:
            continue
        out += [f"Caution: {w}." for w in fit.warnings]
        highest = top.get(fit.agent)
        if fit.valid and highest and math.isfinite(fit.dm) and fit.dm > 100 * highest:
            out.append(
                f"{fit.agent}'s Dm ({_num(fit.dm)} {chou.unit}) lies far beyond its highest "
                f"dose ({highest:g} {chou.unit}): it barely acts alone, so its Dx and DRIs "
                "are extrapolations and the CI is carried by the other drug's term."
            )
    return out


def _musyc_cautions(fit: MusycFit, block: Block) -> list[str]:
    """A drug whose own fitted curve is flat (h = 0, C = 0 or infinite): the parameters acting
    on it are not identifiable."""
    p = fit.params
    out = []
    for k, drug, acting in (
        (1, block.drug_row, "alpha21, gamma21"),
        (2, block.drug_col, "alpha12, gamma12"),
    ):
        h, c = p[f"h{k}"], p[f"C{k}"]
        if not (math.isfinite(h) and math.isfinite(c)) or h == 0 or c == 0:
            out.append(
                f"{drug}'s own fitted curve is flat (h{k} {_num(h)}, C{k} {_num(c)}): {acting} "
                f"(its potency and cooperativity in the combination) are not identifiable."
            )
    return out


def _chou_text(chou: CheckerboardCI) -> str:
    if chou.median_ci is not None:
        return (
            f"Median CI over the {chou.n_defined} wells where it is defined: "
            f"{_num(chou.median_ci)} (< 1 synergy, 1 additive, > 1 antagonism)."
        )
    dri: list[tuple[str, list[float]]] = [
        (chou.drugs[k], [v for c in chou.cells if (v := c.dri[k]) is not None]) for k in (0, 1)
    ]
    defined = "; ".join(
        f"DRI of {drug} defined in {len(v)} wells (median {_num(float(np.median(v)))})"
        for drug, v in dri
        if v
    )
    return "The CI is undefined in every well." + (
        f" {defined}: the dose of it alone over its dose in the combination." if defined else ""
    )


# --- the section -----------------------------------------------------------------------------------


def _design_text(analysis: BlockAnalysis) -> str:
    blk = analysis.block
    reps = [len(c) for row in blk.replicates for c in row]
    replicates = (
        f"{min(reps)}-{max(reps)} replicate wells per cell"
        if min(reps) != max(reps)
        else f"{reps[0]} replicate well(s) per cell"
    )
    return (
        f"{blk.drug_row} (rows): {', '.join(_conc(c) for c in blk.conc_r_shown)} {blk.unit_r}; "
        f"{blk.drug_col} (columns): {', '.join(_conc(c) for c in blk.conc_c_shown)} "
        f"{blk.unit_c}; {replicates}."
    )


def _block_steps(analysis: BlockAnalysis, result: SynergyResult) -> list[Step]:
    blk = analysis.block
    level = round(100 * result.settings.confidence)
    name = f"Block {analysis.block_id}: {_pair(blk)}"
    steps = [
        Step(
            f"{name}: dose-response matrix",
            (_design_text(analysis),),
            figures=(to_svg(response_matrix_figure(analysis, result)),),
        )
    ]
    if analysis.scores is not None:
        paragraphs = []
        if analysis.scores.correct_baseline != "non":
            paragraphs.append(
                f"Scores on the baseline-corrected matrix ({analysis.scores.correct_baseline}, "
                f"baseline {analysis.scores.baseline:.3g} % inhibition); the matrix above is as "
                "measured."
            )
        if analysis.bootstrap is None:
            paragraphs.append(
                "No replicates: no bootstrap interval; p from the spread of the cells' scores."
            )
        else:
            bs = analysis.bootstrap
            paragraphs.append(
                f"Scores and intervals from {bs.iteration} bootstrap iterations over the "
                f"replicates ({bs.resampling}, seed {bs.seed})."
            )
        methods = [m.method for m in analysis.scores.methods]
        surface = "zip" if "zip" in methods else methods[0]
        tables = [
            _table(
                "Block scores (mean over the combination cells)",
                _score_columns(level),
                _score_rows(analysis),
            )
        ]
        sensitivity = _sensitivity_table(analysis)
        if sensitivity is not None:
            tables.append(sensitivity)
        steps.append(
            Step(
                f"{name}: reference models (SynergyFinder)",
                tuple(paragraphs),
                tuple(tables),
                (
                    to_svg(synergy_maps_figure(analysis)),
                    to_svg(synergy_surface_figure(analysis, surface)),
                ),
            )
        )
    if analysis.chou is not None:
        chou = analysis.chou
        rays = chou.rays[:MAX_RAYS]
        ci_table, ci_notes = _ci_table(chou)
        fits_table, fit_notes = _fits_table(chou)
        paragraphs = [_chou_text(chou), *ci_notes, *_fit_cautions(chou, blk), *fit_notes]
        if blk.unit_r != blk.unit_c:
            paragraphs.append(
                f"Doses of {blk.drug_col} converted to {chou.unit} so that both drugs share a unit."
            )
        if len(chou.rays) > MAX_RAYS:
            paragraphs.append(
                f"{len(chou.rays)} fixed-ratio rays; the first {MAX_RAYS} (by dose share) shown."
            )
        tables = [fits_table, ci_table]
        if rays:
            tables.append(_rays_table(chou, rays))
        drawn = [
            fa_ci_figure(chou, rays),
            normalized_isobologram_figure(chou),
            classic_isobologram_figure(chou, rays) if rays else None,
        ]
        missing = [
            what
            for what, f in zip(
                ("fa-CI plot", "normalised isobologram", "classic isobologram"), drawn, strict=True
            )
            if f is None
        ]
        if missing:
            paragraphs.append(
                f"Not drawn: {', '.join(missing)}. The fa-CI plot needs a defined CI, the "
                "normalised isobologram a well where both drugs have a dose alone for its fa "
                "(a usable median-effect fit of each), the classic one a fixed-ratio ray of the "
                "matrix with at least 3 wells of 0 < fa < 1."
            )
        steps.append(
            Step(
                f"{name}: Chou-Talalay combination index",
                tuple(paragraphs),
                tuple(tables),
                tuple(to_svg(f) for f in drawn if f is not None),
            )
        )
    if analysis.musyc is not None:
        steps.append(
            Step(
                f"{name}: MuSyC",
                (
                    _musyc_text(analysis.musyc, blk),
                    *_musyc_cautions(analysis.musyc, blk),
                    *_musyc_gaps(analysis.musyc),
                ),
                (_musyc_table(analysis.musyc, blk.drug_row, blk.drug_col),),
            )
        )
    notes = (*blk.flags, *analysis.notes)
    if notes:
        steps.append(Step(f"{name}: flags and notes", tuple(notes)))
    return steps


def _summary_tables(result: SynergyResult) -> list[dict[str, Any]]:
    """The block scores of every block, and (for several blocks) the other scores per block."""
    level = round(100 * result.settings.confidence)
    tables = []
    rows = [[b.block_id, _pair(b.block), *row] for b in result.blocks for row in _score_rows(b)]
    if rows:
        tables.append(
            _table(
                "Block scores of every block (mean over the combination cells)",
                ["block", "drugs (row x column)", *_score_columns(level)],
                rows,
            )
        )
    other = []
    for b in result.blocks:
        s, chou, fit = b.sensitivity, b.chou, b.musyc
        params = fit.params if fit is not None else {}
        other.append(
            [
                b.block_id,
                _pair(b.block),
                _fixed(s.css) if s is not None else DASH,
                f"{_num(chou.median_ci)} ({chou.n_defined} wells)" if chou is not None else DASH,
                _num(params.get("alpha12")),
                _num(params.get("alpha21")),
                _num(params.get("beta")),
                "; ".join((*b.block.flags, *b.notes)) or DASH,
            ]
        )
    tables.append(
        _table(
            "Other scores of every block",
            [
                "block",
                "drugs",
                "CSS (% inhibition)",
                "Chou-Talalay median CI (unitless)",
                "MuSyC alpha12 (fold)",
                "MuSyC alpha21 (fold)",
                "MuSyC beta (fraction)",
                "flags and notes",
            ],
            other,
        )
    )
    return tables


def render(analysis_id: int, title: str, result: SynergyResult) -> str:
    s = result.settings
    level = round(100 * s.confidence)
    n = len(result.blocks)
    simulated = _simulated(result.source)
    viability = (
        " (read as % viability, inhibition = 100 - viability)"
        if result.response_kind == "viability"
        else ""
    )
    meta = (
        f"{simulated}{result.source}: {n} block(s) scored, {len(result.problems)} refused; "
        f"responses in % inhibition{viability}; methods {', '.join(s.methods)}; baseline "
        f"correction {s.correct_baseline}; Loewe solver {s.loewe_solver}; bootstrap "
        f"{s.iteration} iterations ({s.resampling}, seed {s.seed}) where there are replicates; "
        f"{level}% intervals. Scores: observed minus reference, % inhibition (> 10 likely "
        "synergistic, < -10 likely antagonistic)."
    )
    lead: list[str] = []
    tables: list[dict[str, Any]] = []
    if n > 1:
        tables = _summary_tables(result)
    if n > DETAIL_BLOCKS:
        shown = ", ".join(b.block_id for b in result.blocks[:DETAIL_BLOCKS])
        lead.append(
            f"A screen of {n} blocks: every block is in the tables below; the pictures and the "
            f"cell-level tables are drawn for the first {DETAIL_BLOCKS} blocks only ({shown})."
        )
    if not s.reference_methods:
        lead.append("No SynergyFinder model (HSA, Bliss, Loewe, ZIP) was chosen: no synergy maps.")
    if result.problems:
        tables.append(
            _table(
                "Refused blocks (not scored)",
                ["block", "input row", "reason"],
                [
                    [p.block_id, DASH if p.row is None else str(p.row), p.message]
                    for p in result.problems
                ],
            )
        )
    steps = [Step("", tuple(lead), tuple(tables))] if lead or tables else []
    for b in result.blocks[:DETAIL_BLOCKS]:
        steps += _block_steps(b, result)
    return render_steps(analysis_id, title, meta, steps)
