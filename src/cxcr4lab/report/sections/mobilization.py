"""Report section of the CD34+ mobilization fit: dose-response with its 95 % confidence band,
parameters with CIs, apheresis yield and the probability of reaching the target."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.pkpd.mobilization import MobilizationResult, probability_reaching_target
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._pkpd import render_pkpd, table

__all__ = ["mobilization_figure", "render"]


def mobilization_figure(result: MobilizationResult) -> Figure:
    """Left: peak CD34+ vs dose (mean +/- SEM), the fit and its 95 % confidence band, and the
    peak the apheresis target needs. Right: P(yield >= target) and the mean donor's yield."""
    doses = np.array([lv.dose_ug_per_kg for lv in result.levels])
    grid = np.linspace(0.0, 1.2 * doses.max(), 241)
    lo, hi = result.fit.band(grid, result.alpha)
    fig = Figure(figsize=(9.0, 3.6))
    left, right = fig.subplots(1, 2)
    left.fill_between(grid, lo, hi, color="#2ca02c", alpha=0.2, lw=0, label="95% CI of the fit")
    left.plot(grid, result.predict(grid), color="#2ca02c", lw=1.3, label="Emax fit")
    left.errorbar(
        doses,
        [lv.mean_per_ul for lv in result.levels],
        yerr=[lv.sem_per_ul for lv in result.levels],
        fmt="o", color="black", ms=4, capsize=2, label="Karpova 2017, mean ± SEM",
    )  # fmt: skip
    need = result.settings.required_peak(result.weight_kg)
    left.axhline(need, color="#d62728", lw=0.8, ls="--", label=f"peak for target ({need:.1f}/µL)")
    left.set_xlabel("balixafortide dose (µg/kg, single IV infusion)", fontsize=8)
    left.set_ylabel("peak CD34+ (cells/µL)", fontsize=8)
    left.legend(fontsize=6, loc="lower right")
    prob = [
        probability_reaching_target(max(float(p), 1e-9), result.settings, result.weight_kg)
        for p in result.predict(grid)
    ]
    right.plot(grid, 100 * np.asarray(prob), color="#1f77b4", lw=1.3)
    right.set_ylim(0, 100)
    right.set_xlabel("balixafortide dose (µg/kg)", fontsize=8)
    right.set_ylabel(
        f"P(yield >= {result.settings.target_per_kg:.2g} CD34+/kg) (%)", fontsize=8, color="#1f77b4"
    )
    twin = right.twinx()
    twin.plot(grid, [result.yield_per_kg(float(d)) / 1e6 for d in grid], color="#ff7f0e", lw=1.0,
              ls="--")  # fmt: skip
    twin.set_ylabel("mean donor's yield (10^6 CD34+/kg)", fontsize=8, color="#ff7f0e")
    for ax in (left, right, twin):
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def render(analysis_id: int, title: str, result: MobilizationResult) -> str:
    s = result.settings
    meta = (
        f"Peak CD34+ after one IV infusion, {result.source}: sigmoid Emax fit (weights 1/SEM², "
        f"95% CIs t-based). Apheresis: {s.blood_volumes_processed:g} blood volumes of "
        f"{s.blood_volume_ml_per_kg:g} mL/kg processed, collection efficiency "
        f"{s.efficiency:g}, target {s.target_per_kg:.2g} CD34+/kg, between-donor CV "
        f"{s.donor_cv_percent:g}% (assumed), donor {result.weight_kg:g} kg. Plateau "
        f"(mean prediction over {', '.join(f'{d:g}' for d in result.plateau_doses)} µg/kg): "
        f"{result.plateau:.1f} CD34+/µL."
    )
    params = result.parameters().drop(columns=["fixed"])
    tables = [table(params, "Parameters (95% CIs)"), table(result.summary(), "By dose")]
    return render_pkpd(
        analysis_id, title, meta, tables, [to_svg(mobilization_figure(result))], result.notes
    )
