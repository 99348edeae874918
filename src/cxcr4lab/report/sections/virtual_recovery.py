"""Report section of the virtual-plate recovery (kind ``virtual_recovery``): the assay analyses'
Ki/Kb with 95 % CIs from SIMULATED plates, against the model's Kb."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import fmt
from cxcr4lab.report.sections._receptor import TableData, nm, render_receptor, verdict
from cxcr4lab.studies.recovery import VirtualRecovery

__all__ = ["recovery_figure", "render"]


def recovery_figure(result: VirtualRecovery) -> Figure:
    """Each plate's estimate with its 95 % CI (log nM) and the model's Kb (dotted)."""
    rows = result.rows
    fig = Figure(figsize=(7.5, 0.4 * len(rows) + 1.4))
    ax = fig.subplots()
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows, strict=True):
        if r.estimate_molar is None:
            continue
        v = r.estimate_molar / 1e-9
        lo = v if r.lower_molar is None else r.lower_molar / 1e-9
        hi = v if r.upper_molar is None else r.upper_molar / 1e-9
        colour = "#1f77b4" if r.covered else "#cf222e"
        ax.errorbar([v], [yi], xerr=[[v - lo], [hi - v]], fmt="s", color=colour, capsize=3)
    ax.axvline(result.kb_molar / 1e-9, color="k", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yticks(y, [f"{r.assay}, {r.system}: {r.parameter}" for r in rows], fontsize=7)
    ax.set_xlabel("recovered Ki / Kb (nM, log scale) with 95% CI")
    ax.set_title(
        f"SIMULATED plates analysed by the assay modules; model Kb {nm(result.kb_molar)} nM dotted",
        fontsize=8,
    )
    fig.tight_layout()
    return fig


def render(analysis_id: int, title: str, result: VirtualRecovery) -> str:
    covered = sum(r.covered for r in result.rows)
    lead = [
        f"Model Kb {nm(result.kb_molar)} nM. The 95% CI covers it for {covered} of "
        f"{len(result.rows)} plates."
    ]
    table = TableData(
        "Recovered Ki / Kb",
        [
            "assay",
            "system",
            "analysis",
            "seed",
            "IC50 (nM)",
            "parameter",
            "estimate (nM)",
            "95% CI (nM)",
            "estimate / model Kb",
            "CI covers model Kb",
            "flags",
        ],
        [
            [
                r.assay,
                r.system,
                r.method,
                str(r.seed),
                nm(r.ic50_molar),
                r.parameter,
                nm(r.estimate_molar),
                f"{nm(r.lower_molar)}-{nm(r.upper_molar)}",
                fmt(None if r.estimate_molar is None else r.estimate_molar / r.true_molar),
                verdict(r.covered, "yes", "no"),
                ", ".join(r.flags) or "-",
            ]
            for r in result.rows
        ],
        notes=[
            "Plates written by cxcr4lab.studies.virtual in the instruments' formats and read and "
            "analysed by the unchanged assay code (binding: Cheng-Prusoff Ki with the tracer at "
            "0.1 nM and KD = the model's KA; arrestin, calcium: Leff-Dougall Kb from the plate's "
            "own CXCL12 curve; chemotaxis: Leff-Dougall Kb with the model's CXCL12 EC50)."
        ],
        left=3,
    )
    meta = (
        "SIMULATED plates from the mechanistic CXCL12/CXCR4 model (seeded noise); the question "
        "is whether the assay analyses recover the Kb the model was given."
    )
    return render_receptor(
        analysis_id,
        title,
        meta=meta,
        lead=lead,
        tables=[table],
        figures=[to_svg(recovery_figure(result))],
    )
