"""Report section of a Matrigel invasion experiment: invasion index per insert, % of vehicle
invasion with the fitted 4PL and its band, IC50 table, per-condition table."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.invasion import VEHICLE, InvasionResult
from cxcr4lab.core.units import format_molar
from cxcr4lab.fit import FLAG_TEXT
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.formats import potency_display
from cxcr4lab.report.html import environment, fmt
from cxcr4lab.report.plate_figures import curve_label

__all__ = ["invasion_svg", "render"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


def invasion_svg(result: InvasionResult) -> str:
    """Left: invasion index (coated / uncoated) of every coated insert against concentration,
    the vehicle's mean as a line. Right: % of vehicle invasion with the 4PL per compound and
    its confidence band."""
    alpha = result.settings.transwell.plate.alpha
    fig = Figure(figsize=(9.6, 3.9))
    ax, bx = fig.subplots(1, 2)
    coated = [i for i in result.inserts if i.coated and i.invasion_index is not None]
    vehicle = [
        i.invasion_index
        for i in coated
        if i.role in VEHICLE and i.excluded is None and i.invasion_index is not None
    ]
    for k, c in enumerate(result.curves):
        colour = _COLOURS[k % len(_COLOURS)]
        pts = [i for i in coated if i.role == "sample" and i.compound == c.compound]
        used = [i for i in pts if i.excluded is None]
        conc = np.array([i.conc_molar for i in used], dtype=float)
        ax.scatter(conc, [i.invasion_index for i in used], s=14, color=colour, label=c.compound)
        bx.scatter(conc, [i.pct_of_vehicle for i in used], s=14, color=colour, alpha=0.8)
        masked = [i for i in pts if i.excluded is not None]
        if masked:
            mc = np.array([i.conc_molar for i in masked], dtype=float)
            bx.scatter(mc, [i.pct_of_vehicle for i in masked], s=22, marker="x", color=colour)
        fit = c.fit
        if not fit.converged:
            continue
        x = np.linspace(fit.x_min - 0.5, fit.x_max + 0.5, 200)
        bx.plot(10.0**x, fit.predict(x), color=colour, lw=1.6, label=curve_label(c))
        lo, hi = fit.band(x, alpha)
        if np.all(np.isfinite(lo)):
            bx.fill_between(10.0**x, lo, hi, color=colour, alpha=0.18, lw=0)
    if vehicle:
        ax.axhline(float(np.mean(vehicle)), color="k", ls="--", lw=1, label="vehicle (mean)")
    for axis in (ax, bx):
        axis.set_xscale("log")
        axis.set_xlabel("concentration (M)")
    ax.set_ylabel("invasion index (coated / uncoated)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(f"{result.source}: invasion index per coated insert", fontsize=9)
    bx.set_ylabel("invasion (% of vehicle)")
    bx.axhline(100, color="0.6", lw=0.6, ls=":")
    bx.axhline(0, color="0.6", lw=0.6)
    bx.legend(fontsize=7, frameon=False)
    bx.set_title(f"4PL fit, {round(100 * (1 - alpha))}% confidence band", fontsize=9)
    return to_svg(fig)


def render(analysis_id: int, title: str, result: InvasionResult) -> str:
    s = result.settings
    t = s.transwell
    rows = []
    for c in result.curves:
        ic50, ci = potency_display(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c)
        p = c.fit.params
        rows.append(
            {
                "compound": c.compound,
                "ic50": ic50,
                "ci": ci,
                "hill": fmt(p["hill"]),
                "top": fmt(p["top"], 4),
                "bottom": fmt(p["bottom"], 3),
                "n": c.fit.n,
                "flags": [{"code": f, "text": FLAG_TEXT.get(f, f)} for f in c.flags],
            }
        )
    conditions = [
        {
            "name": c.role
            if c.conc_molar is None
            else f"{c.compound} {format_molar(c.conc_molar)}",
            "n_coated": c.n_coated,
            "n_uncoated": c.n_uncoated,
            "coated": fmt(c.coated_mean, 4),
            "uncoated": fmt(c.uncoated_mean, 4),
            "index": fmt(c.invasion_index),
            "pct": fmt(c.pct_of_vehicle),
            "sd": fmt(c.sd_pct_of_vehicle, 2),
        }
        for c in result.conditions
    ]
    v = result.vehicle_index
    section = {
        "id": analysis_id,
        "title": title,
        "source": result.source,
        "block": result.block,
        "plate_wells": result.plate_wells,
        "matrix": s.matrix,
        "readout": t.readout,
        "unit": result.unit,
        "cell_line": t.cell_line or "n/a",
        "agonist": format_molar(t.plate.agonist_molar) if t.plate.agonist_molar else "n/a",
        "level": round(100 * (1 - t.plate.alpha)),
        "vehicle_index": fmt(v.value),
        "vehicle_ci": f"{fmt(v.lower)} – {fmt(v.upper)}",
        "rows": rows,
        "conditions": conditions,
        "excluded": [f"{i.well} ({i.excluded})" for i in result.inserts if i.excluded],
        "figure_svg": invasion_svg(result),
    }
    return environment().get_template("invasion.html.j2").render(s=section)
