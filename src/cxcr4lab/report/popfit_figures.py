"""Pictures of a population PK fit (matplotlib): goodness of fit (DV against PRED and IPRED,
CWRES against time and PRED), individual fits, and the visual predictive check."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from cxcr4lab.pkpd.popfit_results import PopFitResult

__all__ = ["gof_figure", "individual_figure", "vpc_figure"]


def _identity(ax: object, x: np.ndarray, y: np.ndarray) -> None:
    both = np.concatenate([x[x > 0], y[y > 0]])
    if both.size:
        lo, hi = float(both.min()), float(both.max())
        ax.plot([lo, hi], [lo, hi], "-", color="#888", lw=0.8)  # type: ignore[attr-defined]


def gof_figure(result: PopFitResult) -> Figure:
    """Four panels: DV vs PRED, DV vs IPRED (log-log), CWRES (or IWRES) vs time and vs PRED."""
    obs = result.observations.frame
    q = obs[~obs["blq"]]
    unit = result.unit.get("conc", "")
    fig = Figure(figsize=(8.0, 6.4))
    axes = fig.subplots(2, 2)
    for ax, col, label in ((axes[0, 0], "pred", "PRED"), (axes[0, 1], "ipred", "IPRED")):
        ok = (q[col] > 0) & (q["dv"] > 0)
        ax.plot(q.loc[ok, col], q.loc[ok, "dv"], "o", ms=3, alpha=0.6, color="#1f77b4")
        _identity(ax, q.loc[ok, col].to_numpy(), q.loc[ok, "dv"].to_numpy())
        ax.set_xscale("log")
        ax.set_yscale("log")
        for a in (ax.xaxis, ax.yaxis):
            a.set_minor_locator(NullLocator())
            a.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel(f"{label} ({unit})", fontsize=8)
        ax.set_ylabel(f"DV ({unit})", fontsize=8)
    res_col = "cwres" if q["cwres"].notna().any() else "iwres"
    for ax, xcol, xlabel in (
        (axes[1, 0], "time", "time (h)"),
        (axes[1, 1], "pred", f"PRED ({unit})"),
    ):
        ax.plot(q[xcol], q[res_col], "o", ms=3, alpha=0.6, color="#d62728")
        for level in (0.0, -2.0, 2.0):
            ax.axhline(level, color="#888", lw=0.8, ls="-" if level == 0 else ":")
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel(res_col.upper(), fontsize=8)
    for ax in axes.ravel():
        ax.tick_params(labelsize=7)
    fig.suptitle(
        f"Goodness of fit ({result.settings.method}, {result.settings.model}); "
        f"BLQ samples ({result.n_blq}) not shown",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def individual_figure(result: PopFitResult, columns: int = 4, limit: int = 24) -> Figure:
    """Observed concentrations with IPRED and PRED per subject (the first ``limit``), log y."""
    obs = result.observations.frame
    subjects = list(dict.fromkeys(obs["subject"]))[:limit]
    n = max(len(subjects), 1)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(2.0 * cols, 1.7 * rows + 0.5))
    grid = np.asarray(fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)).ravel()
    for ax, sid in zip(grid, subjects, strict=False):
        g = obs[obs["subject"] == sid].sort_values("time")
        seen = g[~g["blq"] & (g["dv"] > 0)]
        ax.plot(seen["time"], seen["dv"], "o", ms=3, color="#1f77b4")
        blq = g[g["blq"]]
        if len(blq):
            ax.plot(blq["time"], blq["dv"], "v", ms=3, mfc="none", color="#7f7f7f")
        for col, style, colour in (("ipred", "-", "#d62728"), ("pred", "--", "#2ca02c")):
            ok = g[col] > 0
            ax.plot(g.loc[ok, "time"], g.loc[ok, col], style, lw=1.0, color=colour)
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_title(str(sid), fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in grid[len(subjects) :]:
        ax.set_visible(False)
    more = "" if len(set(obs["subject"])) <= limit else f" (first {limit} subjects)"
    fig.suptitle(
        f"Individual fits{more}: observed (o), BLQ at the LLOQ (v), IPRED (red), PRED (green, "
        "dashed)",
        fontsize=8,
    )
    fig.supxlabel("time (h)", fontsize=7)
    fig.supylabel(f"concentration ({result.unit.get('conc', '')})", fontsize=7)
    fig.subplots_adjust(hspace=0.45, wspace=0.12, left=0.09, right=0.99, top=0.9, bottom=0.1)
    return fig


def vpc_figure(result: PopFitResult) -> Figure | None:
    """The (prediction-corrected) VPC: observed percentiles over the simulated percentiles'
    medians and CIs, per time bin; None when no VPC was computed."""
    table = result.vpc_table()
    if table.empty:
        return None
    fig = Figure(figsize=(7.0, 4.2))
    ax = fig.subplots()
    x = table["time"].to_numpy(dtype=float)
    colours = {"low": "#1f77b4", "median": "#d62728", "high": "#1f77b4"}
    for name, key in (("low", "p5"), ("median", "p50"), ("high", "p95")):
        lo, hi = table.get(f"sim_{key}_lower"), table.get(f"sim_{key}_upper")
        if lo is not None and hi is not None:
            ax.fill_between(x, lo, hi, color=colours[name], alpha=0.2, lw=0)
        if f"sim_{key}_median" in table:
            ax.plot(x, table[f"sim_{key}_median"], "--", color=colours[name], lw=0.8)
        if f"obs_{key}" in table:
            ax.plot(x, table[f"obs_{key}"], "-o", ms=3, color=colours[name], lw=1.2)
    lows = [table[c] for c in table.columns if c.startswith(("sim_", "obs_p"))]
    if all(float(np.nanmin(c)) > 0 for c in lows if len(c)):
        ax.set_yscale("log")  # linear where an additive error makes percentiles <= 0
    ax.set_xlabel("time (h)", fontsize=8)
    pc = "prediction-corrected "
    ax.set_ylabel(f"{pc}concentration ({result.unit.get('conc', '')})", fontsize=8)
    ax.set_title(
        "VPC: observed 5th, 50th and 95th percentiles (lines, points) in the simulated "
        f"percentiles' 95% CIs (bands; {result.settings.vpc_replicates} replicates; BLQ "
        "excluded from both)",
        fontsize=8,
    )
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig
