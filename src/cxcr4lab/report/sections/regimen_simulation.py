"""Report section of a regimen population simulation: four banded time courses and the
per-cycle table (Cmax, AUC, occupancy, CD34+, nadir ANC, P(grade >= 3) and P(grade 4))."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cxcr4lab.pkpd.neutropenia import ANC_LLN
from cxcr4lab.pkpd.regimen_simulation import LABELS, UNITS, RegimenSimulation, proportion_ci
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._pkpd import cell, render_pkpd, table

__all__ = ["bands_figure", "cycle_table", "render"]

_COLOUR = {"Cp": "#1f77b4", "RO": "#9467bd", "CD34": "#2ca02c", "ANC": "#d62728"}


def _target_conc(result: RegimenSimulation) -> float:
    """Total plasma concentration (ug/mL) at which occupancy reaches the target."""
    occ = result.occupancy
    unbound = occ.unbound_for_occupancy(result.settings.target)
    return unbound / occ.fu * (occ.mw_g_per_mol or 1.0) * 1e3


def bands_figure(result: RegimenSimulation) -> Figure:
    """Median and 5-95 % band of Cp, RO, CD34+ and ANC over the course (x in days)."""
    fig = Figure(figsize=(10.0, 6.4))
    need = _target_conc(result)
    axes = fig.subplots(2, 2, sharex=True).ravel()
    day = np.asarray(result.times_h) / 24.0
    for ax, name in zip(axes, ("Cp", "RO", "CD34", "ANC"), strict=True):
        lo, mid, hi = (np.asarray(b) for b in result.bands[name])
        colour = _COLOUR[name]
        if name == "Cp":
            lo, mid, hi = (np.maximum(x, need / 100) for x in (lo, mid, hi))
            ax.set_yscale("log")
            ax.set_ylim(need / 30, max(float(np.nanmax(hi)) * 3, need * 10))
        ax.fill_between(day, lo, hi, color=colour, alpha=0.25, lw=0, label="5-95 %")
        ax.plot(day, mid, color=colour, lw=1.2, label="median")
        ax.set_ylabel(f"{LABELS[name]}\n({UNITS[name]})", fontsize=8)
        ax.tick_params(labelsize=7)
    ro_ax, anc_ax = axes[1], axes[3]
    target = 100 * result.settings.target
    axes[0].axhline(need, color="black", lw=0.8, ls="--", label=f"C for {target:g} % RO")
    ro_ax.axhline(target, color="black", lw=0.8, ls="--", label=f"target {target:g} %")
    ro_ax.set_ylim(0, 102)
    for level, grade in ((ANC_LLN, "LLN"), (1.5, "G2"), (1.0, "G3"), (0.5, "G4")):
        anc_ax.axhline(level, color="grey", lw=0.7, ls=":")
        text = "LLN" if grade == "LLN" else f"{grade} < {level:g}"
        anc_ax.text(day[0], level, text, fontsize=6, va="bottom", ha="left", color="#555555")
    for ax in axes[2:]:
        ax.set_xlabel("time (days from the first dose)", fontsize=8)
    cycle_days = result.regimen.cycle_days
    for ax in axes:
        for c in range(1, result.settings.cycles):
            ax.axvline(c * cycle_days, color="#bbbbbb", lw=0.5)
        ax.legend(fontsize=6, loc="upper right")
    fig.suptitle(
        f"SIMULATED: {result.n_patients} virtual patients, {result.regimen.title or result.regimen.name}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def _band(x: tuple[float, float, float], digits: int = 3) -> str:
    return f"{cell(x[1], digits)} [{cell(x[0], digits)}-{cell(x[2], digits)}]"


def _pct_ci(k: int, n: int) -> str:
    lo, hi = proportion_ci(k, n)
    return f"{100 * k / n:.1f} ({100 * lo:.1f}-{100 * hi:.1f})"


def cycle_table(result: RegimenSimulation) -> pd.DataFrame:
    """Per cycle and overall: median [5-95 %] of each quantity, P(grade) % (exact 95 % CI)."""
    target = f"{100 * result.settings.target:g}"
    rows = []
    for c in (*result.cycles, result.overall):
        rows.append(
            {
                "cycle": str(c.cycle) if c.cycle else "all",
                "Cmax (µg/mL)": _band(c.cmax),
                "AUC (µg·h/mL)": _band(c.auc),
                f"RO >= {target}% (% of time)": _band(c.above),
                "CD34+ peak (cells/µL)": _band(c.cd34_peak),
                "nadir ANC (10^9/L)": _band(c.nadir),
                "P(grade >= 3) % (95% CI)": _pct_ci(c.grade3, c.n),
                "P(grade 4) % (95% CI)": _pct_ci(c.grade4, c.n),
            }
        )
    return pd.DataFrame(rows)


def render(analysis_id: int, title: str, result: RegimenSimulation) -> str:
    s = result.settings
    meta = (
        f"SIMULATED: {result.n_patients} virtual patients ({result.covariates_source}), "
        f"{s.cycles} cycles of {result.regimen.cycle_days} days, seed {s.seed}; grid "
        f"{s.step_h:g} h. Values are median [5th-95th percentile] of the virtual population; "
        "probabilities with exact (Clopper-Pearson) 95% CIs of the Monte Carlo estimate."
    )
    regimen = result.regimen.summary()[["drug", "dose", "days (of cycle)", "infusion (h)"]]
    tables = [
        table(regimen, "Regimen"),
        table(cycle_table(result), "Per cycle (all = the whole course)"),
    ]
    return render_pkpd(
        analysis_id, title, meta, tables, [to_svg(bands_figure(result))], result.notes
    )
