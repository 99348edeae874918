"""Report section of a two-arm trial simulation (kind ``trial``): the design, the simulated
power with Monte Carlo CIs beside the analytic approximations (R ``power.prop.test``, Schoenfeld
with the simulated mean number of events)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cxcr4lab.clinical.design import logrank_power, two_proportion_power
from cxcr4lab.clinical.trials import TrialSimulation
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._worked import Step, frame_table, render_steps

__all__ = ["analytic_power", "power_figure", "render"]


def analytic_power(result: TrialSimulation) -> tuple[float | None, float | None]:
    """(ORR power by the normal approximation, log-rank power by Schoenfeld) of the design;
    None where the approximation does not apply (unequal arms, piecewise hazards)."""
    d = result.design
    n1 = round(d.n * d.allocation)
    orr = (
        two_proportion_power(d.treatment.orr, d.control.orr, n1, alpha=d.alpha)
        if n1 == d.n - n1 and d.treatment.orr != d.control.orr
        else None
    )
    tte = None
    if len(d.treatment.medians) == 1 and len(d.control.medians) == 1:
        hr = d.control.medians[0] / d.treatment.medians[0]  # exponential: hazards ~ 1/median
        if hr != 1:
            tte = logrank_power(hr, result.mean_events, alpha=d.alpha, allocation=n1 / d.n)
    return orr, tte


def power_figure(result: TrialSimulation) -> Figure:
    """Simulated power (Wilson 95% CI) per test, with the analytic approximation marked."""
    fig = Figure(figsize=(5.2, 2.6))
    ax = fig.subplots()
    labels = ["ORR, pooled z test", "PFS, log-rank"]
    est = np.array([result.power_orr, result.power_tte])
    lo = np.array([result.power_orr_ci[0], result.power_tte_ci[0]])
    hi = np.array([result.power_orr_ci[1], result.power_tte_ci[1]])
    y = np.arange(2)[::-1]
    ax.barh(y, 100 * est, color="#9ecae1", height=0.5, label="simulated")
    ax.errorbar(100 * est, y, xerr=[100 * (est - lo), 100 * (hi - est)], fmt="none", color="k")
    for yi, value in zip(y, analytic_power(result), strict=True):
        if value is not None:
            ax.plot([100 * value], [yi], "D", color="#d62728", ms=5)
    ax.plot([], [], "D", color="#d62728", label="analytic approximation")
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 100)
    ax.axvline(100 * result.design.alpha, color="0.6", lw=0.6, ls=":")
    ax.set_xlabel(f"power, two-sided alpha {result.design.alpha:g} (%)")
    ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.45), ncols=2)
    fig.tight_layout()
    return fig


def _months(medians: tuple[float, ...], breaks: tuple[float, ...]) -> str:
    if not breaks:
        return f"{medians[0]:g}"
    edges = (0.0, *breaks)
    return "; ".join(f"{m:g} from {e:g}" for m, e in zip(medians, edges, strict=True))


def render(analysis_id: int, title: str, result: TrialSimulation) -> str:
    d = result.design
    n1 = round(d.n * d.allocation)
    design = pd.DataFrame(
        {
            "arm": [d.treatment.name, d.control.name],
            "patients": [n1, d.n - n1],
            "true ORR (%)": [100 * d.treatment.orr, 100 * d.control.orr],
            "true PFS median (months)": [
                _months(d.treatment.medians, d.breaks),
                _months(d.control.medians, d.breaks),
            ],
            "mean simulated ORR (%)": [
                100 * result.mean_orr_treatment,
                100 * result.mean_orr_control,
            ],
        }
    )
    orr_a, tte_a = analytic_power(result)
    power = result.summary()
    power["analytic (%)"] = [
        math.nan if orr_a is None else 100 * orr_a,
        math.nan if tte_a is None else 100 * tte_a,
    ]
    hr = result.median_observed_hr
    steps = [
        Step(
            "Design",
            (
                f"{d.n} patients randomised ({d.allocation:g} to {d.treatment.name}), uniform "
                f"accrual over {d.accrual_months:g} months, analysis {d.analysis_months:g} months "
                f"after the first patient, dropout hazard {d.dropout_per_month:g} per month.",
            ),
            tables=(frame_table(design, "Arms", digits=3),),
        ),
        Step(
            "Operating characteristics",
            (
                f"Mean events at the analysis {result.mean_events:.1f}; median observed hazard "
                f"ratio (events / exposure) {'n/a' if hr is None else f'{hr:.3f}'}. The analytic "
                "column is R power.prop.test's normal approximation for ORR and Schoenfeld's "
                "formula with the simulated mean events for the log-rank test.",
            ),
            tables=(frame_table(power, "Power (Wilson 95% CI)", digits=3),),
            figures=(to_svg(power_figure(result)),),
        ),
    ]
    meta = (
        f"SIMULATED: {result.replicates:,} trials, seed {result.seed}; ORR by the pooled "
        "two-proportion z test, PFS by the log-rank test (equal to scipy.stats.logrank)."
    )
    return render_steps(analysis_id, title, meta, steps)
