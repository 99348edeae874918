"""Figure of a two-arm trial simulation: the simulated power of each test with its Monte Carlo
(Wilson) 95% CI, beside the analytic approximation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxcr4lab.web.figures import (
    COLOURS,
    LEGEND_BELOW,
    Figure,
    axis,
    error_bars,
    figure,
    layout,
    vline,
)

if TYPE_CHECKING:
    from cxcr4lab.clinical.trials import TrialSimulation

__all__ = ["figures"]


def figures(result: TrialSimulation) -> dict[str, Figure]:
    from cxcr4lab.report.sections.trial import analytic_power

    d = result.design
    tests = ["ORR, pooled z test", "PFS, log-rank"]
    est = [100 * result.power_orr, 100 * result.power_tte]
    lo = [100 * result.power_orr_ci[0], 100 * result.power_tte_ci[0]]
    hi = [100 * result.power_orr_ci[1], 100 * result.power_tte_ci[1]]
    analytic = [(t, 100 * a) for t, a in zip(tests, analytic_power(result), strict=True) if a]
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "name": f"simulated ({result.replicates:,} trials)",
            "y": tests,
            "x": est,
            "error_x": error_bars(est, lo, hi),
            "customdata": [[a, b] for a, b in zip(lo, hi, strict=True)],
            "marker": {"color": "#9ecae1"},
            "hovertemplate": "%{y}: power %{x:.1f}% (95% CI %{customdata[0]:.1f}-"
            "%{customdata[1]:.1f}%)<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "analytic approximation",
            "y": [t for t, _ in analytic],
            "x": [a for _, a in analytic],
            "marker": {"color": COLOURS[1], "symbol": "diamond", "size": 11},
            "hovertemplate": "%{y}: analytic %{x:.1f}%<extra></extra>",
        },
    ]
    n1 = round(d.n * d.allocation)
    return {
        "power": figure(
            traces,
            layout(
                f"SIMULATED: {d.n} patients ({n1} {d.treatment.name}, {d.n - n1} "
                f"{d.control.name}); true ORR {100 * d.treatment.orr:g}% vs "
                f"{100 * d.control.orr:g}%, mean {result.mean_events:.0f} events",
                axis(f"power, two-sided alpha {d.alpha:g} (%) (dotted: alpha)", range=[0, 100]),
                axis("", autorange="reversed"),
                shapes=[vline(100 * d.alpha)],
                height=320,
                legend=LEGEND_BELOW,
            ),
        )
    }
