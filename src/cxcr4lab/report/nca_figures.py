"""Report figures of an NCA (matplotlib, SVG): concentration-time per subject and mean +/- SD
by group on linear and log axes, and the lambda_z regression of each subject.

Marks: filled circles are measured samples; an open triangle at the bottom of the axis a BLQ
sample set to 0; a cross a BLQ sample left out (drawn at the LLOQ when known, else at the axis
bottom); grey dots samples before the first dose; ticks on the time axis the doses. In the
lambda_z panels the points the fit used are filled, the others open.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from cxcr4lab.pkpd.nca import NcaResult
from cxcr4lab.pkpd.nca_profiles import group_means, subject_points
from cxcr4lab.report.figures import to_svg

__all__ = ["MAX_PANELS", "concentration_svg", "lambda_z_svg", "mean_svg"]

MAX_PANELS = 36
"""Subjects drawn in the lambda_z grid (the first ones; the table has them all)."""
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _bottom(result: NcaResult) -> float:
    """A positive concentration below every measured one, for BLQ marks on a log axis."""
    positive = [c for s in result.subjects for c in s.sample_concs if c is not None and c > 0]
    low = min(positive) if positive else 1.0
    lloq = result.settings.lloq
    return min(low, lloq if lloq else low) / 2


def _doses(ax: Axes, result: NcaResult) -> None:
    times = sorted({t for s in result.subjects for t in (s.dose_times or (0.0,))})
    ax.plot(times, [0] * len(times), "|", color="k", ms=10, transform=ax.get_xaxis_transform())


def concentration_svg(result: NcaResult) -> str:
    """Each subject's profile, linear (left) and log (right), BLQ and excluded samples marked."""
    conc, t_unit = result.units.get("conc", ""), result.units.get("time", "h")
    fig = Figure(figsize=(9.0, 3.6))
    axes = fig.subplots(1, 2)
    bottom = _bottom(result)
    lloq = result.settings.lloq
    for i, s in enumerate(result.subjects):
        colour = _COLOURS[i % len(_COLOURS)]
        p = subject_points(s)
        for ax, log in zip(axes, (False, True), strict=True):
            zero = bottom if log else 0.0
            excluded = lloq if lloq else bottom
            ax.plot(p.measured_t, p.measured_c, "o-", color=colour, ms=3, lw=1, label=s.subject)
            ax.plot(p.blq_zero_t, [zero] * len(p.blq_zero_t), "v", mfc="none", color=colour)
            ax.plot(p.blq_excluded_t, [excluded] * len(p.blq_excluded_t), "x", color=colour)
            ax.plot(p.before_dose_t, p.before_dose_c, ".", color="0.6")
    for ax, log in zip(axes, (False, True), strict=True):
        if log:
            ax.set_yscale("log")
        if lloq:
            ax.axhline(lloq, color="0.5", lw=0.8, ls=":")
        _doses(ax, result)
        ax.set_xlabel(f"time ({t_unit})")
        ax.set_ylabel(f"concentration ({conc})" + (", log" if log else ""))
    if len(result.subjects) <= 12:
        axes[0].legend(fontsize=6, ncol=2, title="subject", title_fontsize=6)
    fig.suptitle(
        "Per subject: o measured, v BLQ set to 0, x BLQ excluded"
        + (f", dotted: LLOQ {lloq:g} {conc}" if lloq else "")
        + "; | doses",
        fontsize=8,
    )
    return to_svg(fig)


def mean_svg(result: NcaResult) -> str:
    """Mean +/- SD by group (dose level or the ``group`` columns), linear and log."""
    conc, t_unit = result.units.get("conc", ""), result.units.get("time", "h")
    fig = Figure(figsize=(9.0, 3.6))
    axes = fig.subplots(1, 2)
    for i, g in enumerate(group_means(result)):
        colour = _COLOURS[i % len(_COLOURS)]
        sd = np.where(np.isnan(g.sd), 0.0, g.sd)
        for ax, log in zip(axes, (False, True), strict=True):
            mean = np.where(g.mean > 0, g.mean, np.nan) if log else g.mean
            lower = np.where(mean - sd > 0, sd, 0.0) if log else sd
            ax.errorbar(
                g.time,
                mean,
                yerr=[lower, sd],
                fmt="o-",
                ms=3,
                lw=1,
                capsize=2,
                color=colour,
                label=f"{g.label} (n = {g.n_subjects})",
            )
    for ax, log in zip(axes, (False, True), strict=True):
        if log:
            ax.set_yscale("log")
        _doses(ax, result)
        ax.set_xlabel(f"time ({t_unit})")
        ax.set_ylabel(f"mean ± SD ({conc})" + (", log" if log else ""))
    axes[0].legend(fontsize=7, title="group", title_fontsize=7)
    fig.suptitle(
        "Mean ± SD by group (BLQ set to 0 counted as 0; log axis: upper SD where mean - SD <= 0)",
        fontsize=8,
    )
    return to_svg(fig)


def lambda_z_svg(result: NcaResult) -> str:
    """One log-scale panel per subject: the samples, those the lambda_z fit used (filled) and
    the fitted line, with lambda_z, t1/2, adjusted R^2 and n."""
    subjects = list(result.subjects[:MAX_PANELS])
    cols = min(4, len(subjects)) or 1
    rows = math.ceil(len(subjects) / cols) or 1
    fig = Figure(figsize=(2.4 * cols, 2.0 * rows))
    grid = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    t_unit = result.units.get("time", "h")
    for ax, s in zip(grid, subjects, strict=False):
        p = subject_points(s)
        positive = p.measured_c > 0
        ax.plot(p.measured_t[positive], p.measured_c[positive], "o", mfc="none", color="0.4", ms=4)
        ax.plot(p.lambda_z_t, p.lambda_z_c, "o", color=_COLOURS[0], ms=4)
        lz = s.lambda_z
        if lz is not None:
            t = np.linspace(lz.t_lower, lz.t_upper, 20)
            ax.plot(t, np.exp(lz.intercept - lz.lambda_z * t), "-", color=_COLOURS[3], lw=1)
            r2 = "" if lz.adj_r2 is None else f", adj R² {lz.adj_r2:.3f}"
            text = (
                f"λz {lz.lambda_z:.3g}/{t_unit}, t½ {lz.half_life:.3g} {t_unit}\n"
                f"n {lz.n_points}{' (manual)' if lz.manual else ''}{r2}"
            )
        else:
            text = "λz not estimable"
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(s.subject, fontsize=8)
        ax.text(0.98, 0.97, text, transform=ax.transAxes, ha="right", va="top", fontsize=6)
        ax.tick_params(labelsize=6)
    for ax in grid[len(subjects) :]:
        ax.set_visible(False)
    more = len(result.subjects) - len(subjects)
    fig.suptitle(
        "Terminal phase: filled points used by the lambda_z regression (log scale)"
        + (f"; {more} more subjects in the table" if more > 0 else ""),
        fontsize=8,
    )
    fig.tight_layout()
    return to_svg(fig)
