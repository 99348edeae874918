"""Report section of the receptor-model calibration (kind ``receptor_calibration``).

The potency-consistency table (predicted IC50 per assay against the published upper bound),
the range of Kb consistent with every bound, the decomposition of the pERK/pAKT right-shift into
agonist concentration x receptor reserve x amplification, and a figure of both on log axes.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import fmt
from cxcr4lab.report.sections._receptor import (
    Cell,
    TableData,
    nm,
    render_receptor,
    verdict,
)
from cxcr4lab.studies.calibration import MECHANISMS, PUBLISHED_SOURCE, ReceptorCalibration

__all__ = ["calibration_figure", "render"]

_NM = 1e-9
_MECH_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")


def calibration_figure(result: ReceptorCalibration) -> Figure:
    """Left: predicted IC50 per assay against its published bound (log nM). Right: Kb to the
    pERK/pAKT IC50s as stacked fold-shifts per mechanism (log nM)."""
    preds = result.predictions
    fig = Figure(figsize=(11.0, 0.32 * len(preds) + 1.6))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1.0]})
    y = np.arange(len(preds))[::-1]
    lo_edge = min(result.kb_molar, *(p.predicted_ic50_molar for p in preds)) / _NM / 5
    for yi, p in zip(y, preds, strict=True):
        bound = p.bound_molar / _NM
        left.barh(yi, bound - lo_edge, left=lo_edge, height=0.6, color="#d8f0dc", lw=0)
        left.plot([bound], [yi], marker="|", ms=14, color="#1a7f37")
        left.plot(
            [p.predicted_ic50_molar / _NM],
            [yi],
            "o",
            color="#1f77b4" if p.satisfied else "#cf222e",
        )
    left.axvline(result.kb_molar / _NM, color="k", lw=0.8, ls=":")
    left.set_xscale("log")
    left.set_xlim(lo_edge, max(p.bound_molar for p in preds) / _NM * 3)
    left.set_yticks(y, [f"{p.readout}, {p.cell_line}" for p in preds], fontsize=7)
    left.set_xlabel("balixafortide IC50 (nM, log scale)")
    left.set_title(
        f"SIMULATED: predicted IC50 (dots) vs published '<' bound (green); Kb {nm(result.kb_molar)}"
        " nM dotted",
        fontsize=8,
    )
    mech = result.mechanism_table()
    if len(mech):
        ym = np.arange(len(mech))[::-1]
        kb = result.kb_molar / _NM
        for yi, (_, row) in zip(ym, mech.iterrows(), strict=True):
            start = kb
            for colour, m in zip(_MECH_COLOURS, MECHANISMS, strict=True):
                end = start * float(row[f"x {m}"])
                right.barh(yi, end - start, left=start, height=0.6, color=colour, lw=0)
                start = end
            bound = row["published IC50 bound (nM)"]
            if bound is not None and math.isfinite(bound):
                right.plot([bound], [yi], marker="|", ms=14, color="#1a7f37")
        binding = next((p for p in result.predictions if p.readout == "binding"), None)
        if binding is not None:
            right.axvline(binding.predicted_ic50_molar / _NM, color="grey", lw=0.8, ls="--")
        right.axvline(kb, color="k", lw=0.8, ls=":")
        right.set_xscale("log")
        right.set_xlim(kb / 2, float(mech["published IC50 bound (nM)"].max()) * 3)
        right.set_yticks(
            ym, [f"{r['readout']}, {r['cell line']}" for _, r in mech.iterrows()], fontsize=7
        )
        right.set_xlabel("nM (log scale): Kb x agonist x reserve x amplification = IC50")
        handles = [
            Patch(color=c, label=f"x {m}") for c, m in zip(_MECH_COLOURS, MECHANISMS, strict=True)
        ]
        right.legend(
            handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3
        )
        right.set_title(
            "pERK/pAKT right-shift (dotted Kb, dashed binding IC50, | bound)", fontsize=8
        )
    else:
        right.set_axis_off()
    fig.tight_layout()
    return fig


def render(analysis_id: int, title: str, result: ReceptorCalibration) -> str:
    kb = result.kb_molar
    met = sum(p.satisfied for p in result.predictions)
    lead = [
        f"Kb {nm(kb)} nM (pKb {-math.log10(kb):.3f}); CXCL12 KD (KA) {nm(result.ka_molar)} nM. "
        f"Published bounds met: {met} of {len(result.predictions)}.",
        result.kb_range_text(),
    ]
    consistency = TableData(
        "Potency consistency: one Kb, every published assay",
        [
            "assay",
            "system",
            "readout",
            "CXCL12 (nM)",
            "how CXCL12 was set",
            "predicted IC50 (nM)",
            "published IC50 (nM)",
            "source",
            "IC50 / Kb",
            "ok / miss",
        ],
        [
            [
                p.assay,
                p.system,
                p.readout,
                Cell(nm(p.agonist_molar)),
                Cell(p.note, "l"),
                Cell(nm(p.predicted_ic50_molar)),
                Cell(f"< {nm(p.bound_molar)}"),
                Cell("seed technical guides", "l"),
                Cell(fmt(p.predicted_ic50_molar / kb, 4)),
                verdict(p.satisfied),
            ]
            for p in result.predictions
        ],
        notes=[
            "Predicted IC50s: root searches on the model's readout at the assay's CXCL12 "
            "concentration (the calcium one on the Ca2+ ODE's peak). Published values are upper "
            f"bounds ('< x nM'), not estimates: {PUBLISHED_SOURCE}.",
        ],
        left=3,
    )
    tables = [consistency]
    mech = result.mechanism_table()
    if len(mech):
        binding = next((p for p in result.predictions if p.readout == "binding"), None)
        a_over_ka = None
        western = next((p for p in result.predictions if p.readout == "perk"), None)
        if western is not None:
            a_over_ka = western.agonist_molar / result.ka_molar
        tables.append(
            TableData(
                "Why pERK/pAKT IC50s sit far to the right of binding",
                [
                    "cell line",
                    "readout",
                    "Kb (nM)",
                    "x agonist concentration",
                    "x receptor reserve",
                    "x amplification",
                    "= IC50 / Kb",
                    "predicted IC50 (nM)",
                    "published IC50 (nM)",
                    "IC50 / binding IC50",
                ],
                [
                    [
                        str(r["cell line"]),
                        str(r["readout"]),
                        fmt(r["Kb (nM)"]),
                        fmt(r["x agonist concentration"]),
                        fmt(r["x receptor reserve"]),
                        fmt(r["x amplification"]),
                        fmt(r["product (IC50 / Kb)"], 4),
                        fmt(r["predicted IC50 (nM)"]),
                        f"< {fmt(r['published IC50 bound (nM)'])}",
                        fmt(r["IC50 / binding IC50"], 4),
                    ]
                    for _, r in mech.iterrows()
                ],
                notes=[
                    "With hyperbolic stages IC50 = Kb (1 + a (1 + tau_eff)), a = [CXCL12]/KA: "
                    f"agonist concentration is the Cheng-Prusoff factor 1 + a (CXCL12 100 ng/mL "
                    f"= {nm(western.agonist_molar if western else None)} nM = "
                    f"{fmt(a_over_ka)} KA), receptor reserve the G protein stage's added "
                    "factor, amplification the kinase stages' (RAS, RAF/MEK, ERK; PI3K, AKT). "
                    "The three folds multiply to IC50 / Kb exactly. "
                    + (
                        f"Binding IC50 {nm(binding.predicted_ic50_molar)} nM (tracer "
                        f"{nm(binding.agonist_molar)} nM): same Kb, no amplification."
                        if binding is not None
                        else ""
                    ),
                ],
                left=2,
            )
        )
        tables.append(
            TableData(
                "Step by step (fold per stage, cumulative IC50)",
                ["cell line", "readout", "step", "mechanism", "fold", "cumulative IC50 (nM)"],
                [
                    [
                        f.cell_line,
                        f.readout,
                        f.step,
                        f.mechanism,
                        fmt(f.fold),
                        nm(f.cumulative_molar),
                    ]
                    for f in result.decomposition
                ],
                left=4,
                collapsed=True,
            )
        )
    tables.append(
        TableData(
            "Model parameters (assumptions unless a source is given)",
            ["parameter", "value", "unit", "source"],
            [
                [p.name, Cell(fmt(p.value, 4)), Cell(p.unit, "l"), Cell(p.source, "l")]
                for p in result.parameters
            ],
            collapsed=True,
        )
    )
    meta = (
        "SIMULATED: predictions of the mechanistic CXCL12/CXCR4 model (cxcr4lab.receptor) with "
        "one balixafortide Kb, compared with the published in-vitro IC50 bounds. Transduction "
        "parameters are assumptions chosen to be plausible; this is a consistency check, not a "
        "fit (docs/receptor.md)."
    )
    return render_receptor(
        analysis_id,
        title,
        meta=meta,
        lead=lead,
        tables=tables,
        figures=[to_svg(calibration_figure(result))],
    )
