"""Report section of a calcium-flux plate: traces per concentration, IC50/Kb, QC, edge map."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from cxcr4lab.assays.calcium import CalciumResult, TraceGroup
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment
from cxcr4lab.report.plate_figures import edge_heatmap_svg, inhibition_curves_svg
from cxcr4lab.report.sections._plate import plate_context

__all__ = ["render", "traces_svg"]


def traces_svg(result: CalciumResult) -> str:
    """Mean dF/F0 traces, one panel per compound (and the agonist), coloured by concentration;
    the agonist-only and buffer controls drawn in every panel."""
    names = [(c.compound, "sample") for c in result.curves]
    if result.analysis.agonist is not None:
        names.append((result.analysis.agonist.compound, "agonist"))
    n = max(len(names), 1)
    fig = Figure(figsize=(3.4 * n, 3.2))
    axes = np.atleast_1d(fig.subplots(1, n, sharey=True))
    t = np.asarray(result.times_s)
    controls = [g for g in result.traces if g.role not in ("sample", "agonist")]
    cmap = colormaps["viridis"]
    for ax, (name, role) in zip(axes, names, strict=False):
        groups: list[TraceGroup] = sorted(
            (g for g in result.traces if g.role == role and g.compound == name),
            key=lambda g: g.conc_molar or 0.0,
        )
        concs = [g.conc_molar for g in groups if g.conc_molar]
        norm = LogNorm(min(concs), max(concs)) if len(concs) > 1 else None
        for g in groups:
            colour = cmap(norm(g.conc_molar)) if norm is not None and g.conc_molar else "C0"
            ax.plot(t, g.dff0, color=colour, lw=1.0)
        for g in controls:
            style = "k-" if g.role in result.analysis.roles.high else "k:"
            ax.plot(t, g.dff0, style, lw=1.2, label=f"{g.role} (n = {g.n_wells})")
        ax.axvline(result.settings.injection_s, color="0.6", lw=0.6, ls="--")
        if norm is not None:
            fig.colorbar(
                ScalarMappable(norm=norm, cmap=cmap),
                ax=ax,
                fraction=0.05,
                pad=0.02,
                label="concentration (M)",
            )
        ax.set_title(f"{name} ({'agonist' if role == 'agonist' else 'antagonist'})", fontsize=8)
        ax.set_xlabel("time (s)")
    axes[0].set_ylabel("dF/F0 (mean of replicate wells)")
    axes[0].legend(fontsize=6, frameon=False, loc="upper right")
    fig.suptitle(
        f"{result.plate}: calcium traces, injection at {result.settings.injection_s:g} s",
        fontsize=9,
    )
    return to_svg(fig)


def render(analysis_id: int, title: str, result: CalciumResult) -> str:
    s = result.settings
    section = {
        "id": analysis_id,
        "title": title,
        "plate": result.plate,
        "block": result.block,
        "plate_wells": result.plate_wells,
        "ic50_name": "IC50",
        "readout": "peak dF/F0" if s.readout == "peak" else "AUC of dF/F0",
        "injection": f"{s.injection_s:g}",
        "window": "to the end of the read" if s.window_s is None else f"{s.window_s:g} s",
        "n_times": len(result.times_s),
        "traces_svg": traces_svg(result),
        "curves_svg": inhibition_curves_svg(
            result.analysis, title="Calcium flux inhibition", alpha=s.plate.alpha
        ),
        "heatmap_svg": edge_heatmap_svg(
            result.analysis,
            title=result.plate,
            signal_label="peak dF/F0" if s.readout == "peak" else "AUC (s)",
        ),
    }
    return (
        environment()
        .get_template("calcium.html.j2")
        .render(s=section, p=plate_context(result.analysis, s.plate))
    )
