"""Report section of a chemotaxis experiment: standard curve (Calcein-AM), chemotactic index,
inhibition curves with confidence bands, IC50 table, QC, edge map."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.chemotaxis import ChemotaxisResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment, fmt
from cxcr4lab.report.plate_figures import edge_heatmap_svg, inhibition_curves_svg
from cxcr4lab.report.sections._plate import plate_context

__all__ = ["render", "standard_curve_svg"]


def standard_curve_svg(result: ChemotaxisResult) -> str:
    """Fluorescence against labelled cells: standards, the fitted curve with its confidence band,
    and the inserts placed on the curve (their fluorescence and the cells read from it)."""
    st = result.standard
    assert st is not None
    fig = Figure(figsize=(5.4, 4.0))
    ax = fig.subplots()
    cells = np.asarray(st.cells)
    ax.scatter(cells, st.signals, s=18, color="k", label=f"standards (n = {len(cells)})")
    top = max(float(cells.max()), max(m.migration for m in result.migration))
    x = np.linspace(0.0, top * 1.05, 200)
    ax.plot(
        x,
        st.fit.predict(x),
        color="#1f77b4",
        lw=1.5,
        label=f"{st.model} fit, R² {st.r_squared:.4f}",
    )
    lo, hi = st.fit.band(x, result.settings.plate.alpha)
    if np.all(np.isfinite(lo)):
        ax.fill_between(x, lo, hi, color="#1f77b4", alpha=0.2, lw=0)
    ax.scatter(
        [m.migration for m in result.migration],
        [m.raw for m in result.migration],
        s=9,
        marker="x",
        color="#d62728",
        alpha=0.7,
        label="inserts (read off the curve)",
    )
    ax.set_xlabel("Calcein-AM-labelled cells per well")
    ax.set_ylabel("fluorescence (RFU)")
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    ax.set_title(f"{result.source}: cell standard curve", fontsize=9)
    return to_svg(fig)


def render(analysis_id: int, title: str, result: ChemotaxisResult) -> str:
    s = result.settings
    table = result.index_table()
    index_rows = [
        {
            "role": r["role"],
            "compound": r["compound"],
            "conc": fmt(r["conc_nM"]),
            "n": r["n"],
            "mean": fmt(r["mean_migration"], 4),
            "sd": fmt(r["sd_migration"], 3),
            "index": fmt(r["chemotactic_index"], 3),
            "inh": fmt(r["inhibition_pct"], 3),
        }
        for r in table.to_dict("records")
    ]
    st = result.standard
    standard = None
    if st is not None:
        p = st.fit.params
        standard = {
            "model": st.model,
            "equation": f"RFU = {p['intercept']:.4g} + {p['slope']:.4g} × cells"
            if st.model == "linear"
            else f"4PL: bottom {p['bottom']:.4g}, top {p['top']:.4g}, EC50 {p['ec50']:.4g} "
            f"cells, Hill {p['hill']:.3g}",
            "r2": f"{st.r_squared:.4f}",
            "n": len(st.wells),
            "levels": len(set(st.cells)),
            "max": f"{st.cells_max:g}",
            "above": [m.well for m in result.migration if m.above_standards],
            "svg": standard_curve_svg(result),
        }
    i = result.index
    section = {
        "id": analysis_id,
        "title": title,
        "plate": result.source,
        "block": result.block,
        "plate_wells": result.plate_wells,
        "ic50_name": "IC50",
        "readout": s.readout,
        "unit": result.unit,
        "cell_line": s.cell_line or "n/a",
        "blank": fmt(result.blank_mean, 4),
        "n_counts": len(result.counts),
        "fields": sorted({c.fields for c in result.counts}),
        "index": fmt(i.value),
        "index_ci": f"{fmt(i.lower)} – {fmt(i.upper)}",
        "index_rows": index_rows,
        "standard": standard,
        "curves_svg": inhibition_curves_svg(
            result.analysis,
            title="Inhibition of CXCL12-induced migration",
            ylabel="CXCL12-induced migration (% of control)",
            alpha=s.plate.alpha,
        ),
        "heatmap_svg": edge_heatmap_svg(
            result.analysis, title=result.source, signal_label=result.unit
        ),
    }
    return (
        environment()
        .get_template("chemotaxis.html.j2")
        .render(s=section, p=plate_context(result.analysis, s.plate))
    )
