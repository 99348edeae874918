"""Report section of a receptor-occupancy course: concentrations and occupancy over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cxcr4lab.pkpd.occupancy_model import OccupancyCourse
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._pkpd import render_pkpd, table

__all__ = ["TARGETS", "occupancy_figure", "render"]

TARGETS = (0.5, 0.9, 0.99)
"""Occupancy levels whose time above is tabulated."""


def occupancy_figure(result: OccupancyCourse) -> Figure:
    """Total and unbound concentration (nM, log scale) and occupancy (%) against time (h)."""
    t = np.asarray(result.times_h)
    fig = Figure(figsize=(9.0, 3.4))
    left, right = fig.subplots(1, 2, sharex=True)
    floor = 1e-6
    left.plot(t, np.maximum(np.asarray(result.total_molar) * 1e9, floor), label="total")
    left.plot(t, np.maximum(np.asarray(result.unbound_molar) * 1e9, floor), label="unbound")
    left.axhline(
        result.model.apparent_kd * 1e9, color="grey", ls=":", lw=0.8, label="Kd (apparent)"
    )
    left.set_yscale("log")
    left.set_ylabel("concentration (nM)", fontsize=8)
    left.legend(fontsize=7)
    right.plot(t, 100 * np.asarray(result.occupancy), color="#9467bd")
    right.axhline(90, color="black", ls="--", lw=0.8)
    right.set_ylim(0, 102)
    right.set_ylabel("receptor occupancy (%)", fontsize=8)
    for ax in (left, right):
        ax.set_xlabel("time (h)", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def render(analysis_id: int, title: str, result: OccupancyCourse) -> str:
    m = result.model
    ligand = (
        f", CXCL12 {m.ligand_molar * 1e9:.3g} nM (KL {m.kl_molar * 1e9:.3g} nM)"
        if m.ligand_molar and m.kl_molar
        else ""
    )
    meta = (
        f"{m.compound or 'compound'}: RO = Cu^n / (Cu^n + Kd^n), Cu = fu·C; Kd "
        f"{m.kd_molar * 1e9:.3g} nM, fu {m.fu:g}, n {m.hill:g}{ligand}. "
        f"Source of the concentrations: {result.source or 'not stated'}."
    )
    hours = pd.DataFrame(
        {
            "occupancy target (%)": [100 * x for x in TARGETS],
            "time above (h)": [result.time_above(x) for x in TARGETS],
        }
    )
    frame = result.summary()
    if len(frame) > 40:
        frame = frame.iloc[np.linspace(0, len(frame) - 1, 40).round().astype(int)]
    tables = [table(hours, "Time at or above each occupancy"), table(frame, "Course (sampled)")]
    return render_pkpd(analysis_id, title, meta, tables, [to_svg(occupancy_figure(result))])
