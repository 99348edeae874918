"""Figures of the CD34+ mobilization fit: peak CD34+ against dose (mean ± SEM) with the Emax fit
and its confidence band and the peak the apheresis target needs; the probability of reaching
the target and the mean donor's yield against dose."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxcr4lab.web.figures import (
    COLOURS,
    LEGEND_BELOW,
    Figure,
    axis,
    band,
    figure,
    finite,
    hline,
    layout,
)

if TYPE_CHECKING:
    from cxcr4lab.pkpd.mobilization import MobilizationResult

__all__ = ["figures"]


def figures(result: MobilizationResult) -> dict[str, Figure]:
    from cxcr4lab.pkpd.mobilization import probability_reaching_target

    s = result.settings
    doses = [lv.dose_ug_per_kg for lv in result.levels]
    grid = np.linspace(0.0, 1.2 * max(doses, default=1.0), 121)
    level = round(100 * (1 - result.alpha))
    with np.errstate(all="ignore"):
        lo, hi = result.fit.band(grid, result.alpha)
        peak = result.predict(grid)
    need = s.required_peak(result.weight_kg)
    fit = figure(
        [
            band(grid, finite(lo), finite(hi), COLOURS[2], name=f"{level}% CI of the fit"),
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Emax fit",
                "x": finite(grid),
                "y": finite(peak),
                "line": {"color": COLOURS[2], "width": 2},
                "hovertemplate": "%{x:.0f} µg/kg: predicted peak %{y:.1f} CD34+/µL<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{result.source}, mean ± SEM",
                "x": doses,
                "y": [lv.mean_per_ul for lv in result.levels],
                "error_y": {
                    "type": "data",
                    "array": [lv.sem_per_ul for lv in result.levels],
                    "width": 3,
                },
                "marker": {"color": "black", "size": 8},
                "hovertemplate": "%{x:g} µg/kg: %{y:.1f} CD34+/µL<extra></extra>",
            },
        ],
        layout(
            f"Peak CD34+ after one IV infusion: Emax fit, ED50 {result.ed50:.0f} µg/kg "
            f"(dashed: the peak the target needs, {need:.1f}/µL)",
            "balixafortide dose (µg/kg, single IV infusion)",
            axis("peak CD34+ (cells/µL)", rangemode="tozero"),
            shapes=[hline(need, dash="dash", colour=COLOURS[1])],
        ),
    )
    prob = [
        100 * probability_reaching_target(max(float(p), 1e-9), s, result.weight_kg) for p in peak
    ]
    per_peak = s.processed_volume_l(result.weight_kg) * 1e6 * s.efficiency / result.weight_kg
    apheresis = figure(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"P(yield >= {s.target_per_kg:.2g} CD34+/kg)",
                "x": finite(grid),
                "y": finite(prob),
                "line": {"color": COLOURS[0], "width": 2},
                "hovertemplate": "%{x:.0f} µg/kg: P(target) %{y:.1f}%<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "mean donor's yield (right axis)",
                "x": finite(grid),
                "y": finite(np.maximum(peak, 0.0) * per_peak / 1e6),
                "yaxis": "y2",
                "line": {"color": COLOURS[4], "width": 1.5, "dash": "dash"},
                "hovertemplate": "%{x:.0f} µg/kg: yield %{y:.2f} 10^6 CD34+/kg<extra></extra>",
            },
        ],
        layout(
            f"Apheresis: {s.blood_volumes_processed:g} blood volumes, efficiency {s.efficiency:g}, "
            f"donor {result.weight_kg:g} kg, between-donor CV {s.donor_cv_percent:g}%",
            "balixafortide dose (µg/kg)",
            axis(f"P(yield >= {s.target_per_kg:.2g} CD34+/kg) (%)", range=[0, 100]),
            yaxis2=axis(
                "mean donor's yield (10^6 CD34+/kg)",
                overlaying="y",
                side="right",
                rangemode="tozero",
            ),
            legend=LEGEND_BELOW,
        ),
    )
    return {"dose_response": fit, "apheresis": apheresis}
