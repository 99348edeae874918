"""Report section of a PK regimen simulation: the concentration-time curves (linear and log
scale), one row per parameter set and the per-interval table (Cmax, Tmax, trough, AUC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from cxcr4lab.pkpd.pk_regimen import PkRegimenResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._pkpd import render_pkpd, table

__all__ = ["curves_figure", "profile_table", "render"]

_MAX_ROWS = 60
"""Per-interval rows shown in the report; more are cut to the first parameter set."""
_LABELLED = 12
"""Curves named in the legend; more are drawn without names."""


def _text(value: str) -> str:
    """Text for a matplotlib label: a '$' would start mathtext."""
    return value.replace("$", r"\$")


def curves_figure(result: PkRegimenResult) -> Figure:
    """Each parameter set's concentration-time curve, linear (left) and log (right) scale, with
    the dose times marked."""
    t = np.asarray(result.times)
    fig = Figure(figsize=(9.0, 3.4))
    linear, log = fig.subplots(1, 2, sharex=True)
    many = len(result.profiles) > _LABELLED
    cmap = colormaps["tab20" if len(result.profiles) > 10 else "tab10"]
    palette = [cmap(i) for i in range(cmap.N)]
    for i, p in enumerate(result.profiles):
        c = np.asarray(p.conc)
        style = {
            "lw": 0.8 if many else 1.3,
            "label": None if many else _text(p.label),
            "color": palette[i % len(palette)],
        }
        linear.plot(t, c, **style)
        shown = c > 0
        log.plot(t[shown], c[shown], **style)
    log.set_yscale("log")
    log.yaxis.set_minor_locator(NullLocator())
    log.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    reg = result.regimen
    for ax in (linear, log):
        for start in reg.dose_times:
            if start <= t[-1]:
                ax.axvline(start, color="#bbbbbb", lw=0.5, zorder=0)
        ax.set_xlabel("time (h)")
        ax.tick_params(labelsize=7)
    linear.set_ylabel(_text(f"concentration ({result.conc_unit})"))
    linear.set_ylim(bottom=0)
    log.set_ylabel(_text(f"concentration ({result.conc_unit}), log"))
    if not many and len(result.profiles) > 1:
        linear.legend(fontsize=6, title="subject", title_fontsize=6)
    fig.suptitle(_text(f"SIMULATED: {reg.describe()}"), fontsize=9)
    fig.tight_layout()
    return fig


def profile_table(result: PkRegimenResult) -> pd.DataFrame:
    """One row per parameter set: its parameters, Cmax of the first and last interval, the last
    trough and AUC, the steady-state AUC, accumulation, half-life, time to 90 % SS."""
    c, auc = result.conc_unit, result.auc_unit
    rows = []
    for p in result.profiles:
        first, last = p.intervals[0], p.intervals[-1]
        row: dict[str, object] = {"subject": p.label, "model": p.parameters.model}
        for name, value, unit in zip(
            p.parameters.names, p.parameters.values, p.parameters.units, strict=True
        ):
            row[f"{name} ({unit})"] = value
        row |= {
            f"Cmax first ({c})": first.cmax,
            f"Cmax last ({c})": last.cmax,
            f"Cmin last ({c})": last.cmin,
            f"AUC_tau last ({auc})": last.auc,
            f"AUC_tau,ss ({auc})": p.auc_ss,
            "accumulation ratio": p.accumulation_ratio,
            "t1/2 terminal (h)": p.terminal_half_life,
            "time to 90% SS (h)": p.time_to_90_ss,
        }
        rows.append(row)
    return pd.DataFrame(rows)


def render(analysis_id: int, title: str, result: PkRegimenResult) -> str:
    meta = (
        f"SIMULATED {result.regimen.describe()}; parameters: {result.source}. Closed-form "
        "compartment model; Cmax and Tmax per interval refined between grid points, trough at "
        "the end of the interval, AUC integrated analytically; accumulation = AUC of the last "
        "over the first interval."
    )
    intervals = result.summary()
    caption = "Per dosing interval"
    if len(intervals) > _MAX_ROWS:
        first = result.profiles[0].label
        intervals = intervals[intervals["subject"] == first].head(_MAX_ROWS)
        caption += f" (subject {first} only; the CSV export has every row)"
    keep = [c for c in intervals.columns if not c.startswith(("accumulation", "t1/2", "time to"))]
    keep = [c for c in keep if not c.startswith("AUC_tau,ss")]
    return render_pkpd(
        analysis_id,
        title,
        meta,
        [
            table(profile_table(result), "Per parameter set", digits=4),
            table(intervals[keep], caption, digits=4),
        ],
        [to_svg(curves_figure(result))],
        result.notes,
    )
