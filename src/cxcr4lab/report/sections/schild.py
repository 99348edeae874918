"""Report section of a simulated Schild experiment (kind ``schild``): pA2 against the model's pKb.

Estimates (global Gaddum/Schild fit and classic regression) with 95 % CIs beside the model's
values, the dose ratios beside Gaddum's 1 + [B]/Kb, and a figure: the CXCL12 curves with the
global fit, and the Schild plot.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import fmt
from cxcr4lab.report.sections._receptor import (
    TableData,
    fixed,
    render_receptor,
    verdict,
)
from cxcr4lab.studies.schild_study import SchildStudy

__all__ = ["render", "schild_figure"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def schild_figure(study: SchildStudy) -> Figure:
    """Left: SIMULATED CXCL12 curves per balixafortide concentration with the global fit.
    Right: Schild plot, log10(DR - 1) against log10 [B], regression and the model's line."""
    fig = Figure(figsize=(10.0, 3.8))
    left, right = fig.subplots(1, 2)
    x = np.asarray(study.log10_agonist)
    b = np.asarray(study.antagonist)
    y = np.asarray(study.response)
    grid = np.linspace(x.min(), x.max(), 200)
    for i, level in enumerate(sorted(set(study.antagonist))):
        colour = _COLOURS[i % len(_COLOURS)]
        rows = b == level
        left.plot(x[rows], y[rows], "o", ms=3, color=colour, label=f"{level / 1e-9:g} nM")
        left.plot(grid, study.predict(grid, level), "-", lw=1, color=colour)
    left.set_xlabel("log10 CXCL12 (M)")
    left.set_ylabel(f"{study.readout} response (% of pathway max)")
    left.legend(title="balixafortide", fontsize=7, title_fontsize=7)
    left.set_title(f"SIMULATED, seed {study.seed}: global Gaddum/Schild fit", fontsize=8)

    pts = [d for d in study.dose_ratios if d.dose_ratio > 1]
    lb = np.array([math.log10(d.antagonist_molar) for d in pts])
    ly = np.array([math.log10(d.dose_ratio - 1) for d in pts])
    right.plot(lb, ly, "o", color="#1f77b4", label="observed dose ratios")
    span = np.array([min(lb.min(), -study.pkb) - 0.3, lb.max() + 0.3]) if len(lb) else np.array([])
    if len(span):
        right.plot(
            span,
            span + study.pkb,
            ":",
            color="k",
            lw=1,
            label=f"model: slope 1, pKb {study.pkb:.2f}",
        )
        reg = study.regression
        if reg is not None:
            right.plot(
                span,
                reg.slope * (span + reg.pa2),
                "-",
                color="#ff7f0e",
                lw=1,
                label=f"regression: slope {reg.slope:.3f}, pA2 {reg.pa2:.2f}",
            )
        right.axhline(0.0, color="grey", lw=0.6)
    right.set_xlabel("log10 balixafortide (M)")
    right.set_ylabel("log10(DR - 1)")
    right.legend(fontsize=7)
    lo, hi = study.pa2_ci
    right.set_title(
        f"Schild plot: pA2 {study.pa2:.3f} ({fixed(lo)}-{fixed(hi)}) vs pKb {study.pkb:.3f}",
        fontsize=8,
    )
    fig.tight_layout()
    return fig


def render(analysis_id: int, title: str, result: SchildStudy) -> str:
    s = result
    lo, hi = s.pa2_ci
    levels = ", ".join(f"{b / 1e-9:g}" for b in sorted(set(s.antagonist)))
    kb_lo = None if hi is None else 10.0**-hi / 1e-9
    kb_hi = None if lo is None else 10.0**-lo / 1e-9
    lead = [
        f"pA2 {s.pa2:.3f} (95% CI {fixed(lo)}-{fixed(hi)}, profile likelihood) against the "
        f"model's pKb {s.pkb:.3f}: {'inside' if s.pkb_in_ci else 'outside'} the CI. As a Kb: "
        f"{fmt(10.0**-s.pa2 / 1e-9)} nM (95% CI {fmt(kb_lo)}-{fmt(kb_hi)} nM) vs "
        f"{fmt(s.kb_molar / 1e-9)} nM. Schild slope {s.schild_slope:.3f}: a slope of 1 is "
        "simple competition, where pA2 = pKb.",
    ]
    est = s.summary()
    estimates = TableData(
        "Estimates (95% CIs) against the model",
        ["estimate", "value", "95% CI", "CI method", "model value", "model value in CI"],
        [
            [
                str(r["estimate"]),
                fixed(r["value"]),
                "n/a"
                if r["95% CI lower"] is None or not math.isfinite(r["95% CI lower"])
                else f"{fixed(r['95% CI lower'])}-{fixed(r['95% CI upper'])}",
                str(r["CI method"]) or "-",
                fixed(r["model value"]),
                "-"
                if r["model value in CI"] is None
                else verdict(bool(r["model value in CI"]), "yes", "no"),
            ]
            for _, r in est.iterrows()
        ],
        notes=[
            "Global fit: one bottom, top, Hill slope and control log EC50 for all curves, "
            "log EC50([B]) = log EC50 + log10(1 + ([B] 10^pA2)^s) (cxcr4lab.fit.schild; Lew & "
            "Angus 1995). Regression: log10(DR - 1) on log10[B] from separately fitted 4PL "
            "EC50s (Arunlakshana & Schild 1959)."
        ],
    )
    dr = s.dose_ratio_table()
    ratios = TableData(
        "Dose ratios",
        list(dr.columns),
        [[fmt(v, 4) for v in row] for row in dr.itertuples(index=False)],
        notes=[
            "Gaddum's 1 + [B]/Kb is the shift a competitive antagonist of the model's Kb gives."
        ],
        left=0,
    )
    meta = (
        f"SIMULATED Schild experiment on the mechanistic model: CXCL12 1 pM-10 µM (half-log, "
        f"duplicate) on the {s.readout} readout ({s.cell_line} cells), balixafortide {levels} nM, "
        f"Gaussian noise {s.noise_pct:g} % of the pathway maximum, seed {s.seed}."
    )
    return render_receptor(
        analysis_id,
        title,
        meta=meta,
        lead=lead,
        tables=[estimates, ratios],
        figures=[to_svg(schild_figure(s))],
    )
