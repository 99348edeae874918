"""Report section of the signalling-model SBML cross-check (kind ``signalling_sbml``).

The cross-check table (read-out, largest relative difference, where, tolerance, pass), the
functional IC50s of both sides, and a figure: the read-outs of the first cell line against
CXCL12 (Python model lines, SBML points) and its Ca2+ traces. Model, not data: SIMULATED.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import fmt
from cxcr4lab.report.sections._receptor import TableData, render_receptor, verdict
from cxcr4lab.studies.signalling_sbml import SignallingSbmlCheck

__all__ = ["render", "signalling_figure"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
_NM = 1e-9


def signalling_figure(check: SignallingSbmlCheck) -> Figure:
    """One panel per equilibrium read-out and one of Ca2+ traces: Python model lines, SBML
    points (the first cell line; CXCL12 0 is not on the log axis)."""
    labels = list(dict.fromkeys(c.readout for c in check.curves))
    levels = sorted({c.antagonist_molar for c in check.curves})
    fig = Figure(figsize=(11.0, 6.4))
    axes = fig.subplots(2, 4).ravel()
    for ax, label in zip(axes, labels, strict=False):
        for i, level in enumerate(levels):
            curve = next(
                c for c in check.curves if c.readout == label and c.antagonist_molar == level
            )
            colour = _COLOURS[i % len(_COLOURS)]
            ax.plot(curve.agonist_molar, curve.python, "-", lw=1, color=colour,
                    label=f"{level / _NM:.3g} nM")  # fmt: skip
            x = np.asarray(curve.sbml_agonist_molar)
            y = np.asarray(curve.sbml)
            ax.plot(x[x > 0], y[x > 0], "o", mfc="none", ms=5, color=colour)
        ax.set_xscale("log")
        ax.set_title(label, fontsize=8)
        ax.set_xlabel("CXCL12 (M)", fontsize=7)
        ax.tick_params(labelsize=6)
    if labels:
        axes[0].legend(title="balixafortide", fontsize=6, title_fontsize=6)
        axes[0].set_ylabel("fraction of maximum", fontsize=7)
    ax = axes[len(labels)] if len(labels) < len(axes) else axes[-1]
    for i, tr in enumerate(sorted(check.traces, key=lambda t: t.antagonist_molar)):
        colour = _COLOURS[i % len(_COLOURS)]
        ax.plot(tr.time_s, tr.python, "-", lw=1, color=colour)
        ax.plot(tr.time_s[::3], tr.sbml[::3], "o", mfc="none", ms=4, color=colour)
    if check.traces:
        ax.set_title(f"Ca2+ after CXCL12 {check.traces[0].agonist_molar / _NM:.3g} nM", fontsize=8)
    ax.set_xlabel("time (s)", fontsize=7)
    ax.set_ylabel("Ca2+ (µmol/L)", fontsize=7)
    ax.tick_params(labelsize=6)
    cell = check.cells[0] if check.cells else ""
    fig.suptitle(
        f"{cell}: Python model (lines) vs SBML evaluated by {check.engine} (points); "
        "model, not data: SIMULATED",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def render(analysis_id: int, title: str, result: SignallingSbmlCheck) -> str:
    c = result
    grid_a = ", ".join(f"{a / _NM:.4g}" for a in c.agonist_molar)
    grid_b = ", ".join(f"{b / _NM:.4g}" for b in c.antagonist_molar)
    lead = [
        f"The SBML ({c.source}) {'agrees' if c.passed else 'does NOT agree'} with the Python "
        f"model on every read-out: largest relative difference {c.max_rel_diff:.2e} against a "
        f"tolerance of {c.checks[0].tolerance:.0e}, over CXCL12 {grid_a} nM x balixafortide "
        f"{grid_b} nM in {', '.join(c.cells)}.",
    ]
    checks = TableData(
        "Read-outs: SBML against the Python model",
        ["read-out", "unit", "n", "max relative difference", "where", "tolerance", "pass"],
        [
            [
                r.readout,
                r.unit,
                str(r.n),
                f"{r.max_rel_diff:.2e}",
                r.worst,
                f"{r.tolerance:.0e}",
                verdict(r.passed, "yes", "no"),
            ]
            for r in c.checks
        ],
        notes=[
            "Relative difference |SBML - Python| / max(|Python|, 1e-6); the Ca2+ trace is "
            "compared at every 0.5 s from 0 to 120 s, both sides integrating with rtol 1e-12. "
            "Functional IC50: the balixafortide concentration halving each read-out between "
            f"no antagonist and 1 mol/L, at CXCL12 {c.ic50_agonist_molar / _NM:.4g} nM.",
        ],
        left=2,
    )
    frame = c.ic50_table()
    ic50 = TableData(
        "Functional IC50s",
        list(frame.columns),
        [
            [str(r[0]), fmt(r[1], 6), fmt(r[2], 6), f"{r[3]:.1e}"]
            for r in frame.itertuples(index=False)
        ],
        collapsed=True,
    )
    meta = (
        f"Model, not data: SIMULATED read-outs of the mechanistic CXCL12/CXCR4 model and of its "
        f"SBML L3V2 export, evaluated by {c.engine}; {len(c.sbml)} SBML file(s) kept with the "
        "result."
    )
    return render_receptor(
        analysis_id, title, meta=meta, lead=lead, tables=[checks, ic50],
        figures=[to_svg(signalling_figure(c))],
    )  # fmt: skip
