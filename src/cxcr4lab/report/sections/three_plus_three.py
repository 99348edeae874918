"""Report section of a 3+3 dose escalation (kind ``three_plus_three``): exact escalation
probabilities per true DLT rate, and the MTD distribution and expected sample size on a ladder
under assumed DLT rates."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.clinical.design import (
    BALIXAFORTIDE_LADDER,
    ThreePlusThree,
    escalation_probability,
    escalation_table,
)
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._worked import Step, frame_table, render_steps

__all__ = ["escalation_figure", "mtd_figure", "render"]


def escalation_figure(result: ThreePlusThree) -> Figure:
    """P(escalate past a dose) against its true DLT rate; the ladder's assumed rates marked."""
    fig = Figure(figsize=(4.6, 3.2))
    ax = fig.subplots()
    p = np.linspace(0.0, 0.7, 141)
    ax.plot(100 * p, [escalation_probability(float(x)) for x in p], color="#1f77b4")
    points: dict[tuple[float, float], list[str]] = {}
    for dose, dlt, esc in zip(result.doses, result.dlt_probability, result.escalation, strict=True):
        points.setdefault((dlt, esc), []).append(f"{dose:g}")
    for (dlt, esc), doses in points.items():
        ax.plot([100 * dlt], [esc], "o", color="#d62728", ms=4)
        ax.annotate(
            ", ".join(doses),
            (100 * dlt, esc),
            fontsize=6.5,
            xytext=(4, 3),
            textcoords="offset points",
        )
    ax.set_xlabel("true DLT probability at the dose (%)")
    ax.set_ylabel("P(escalate)")
    ax.set_ylim(0, 1.02)
    ax.set_title(
        f"3+3: escalation (points: assumed rates, doses in {result.dose_unit})", fontsize=8
    )
    fig.tight_layout()
    return fig


def mtd_figure(result: ThreePlusThree) -> Figure:
    """P(declared MTD) per dose and the expected patients treated at each dose."""
    fig = Figure(figsize=(6.0, 3.2))
    ax, ax2 = fig.subplots(1, 2)
    labels = ["none", *(f"{d:g}" for d in result.doses)]
    x = np.arange(len(labels))
    ax.bar(x, [result.p_no_mtd, *result.mtd_probability], color="#6baed6")
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_xlabel(f"declared MTD ({result.dose_unit})")
    ax.set_ylabel("probability")
    ax2.bar(x[1:], result.expected_patients_per_dose, color="#fd8d3c")
    ax2.set_xticks(x[1:], labels[1:], fontsize=7)
    ax2.set_xlabel(f"dose ({result.dose_unit})")
    ax2.set_ylabel("expected patients")
    ax2.set_title(f"E[N] = {result.expected_patients:.1f}", fontsize=8)
    fig.tight_layout()
    return fig


def render(analysis_id: int, title: str, result: ThreePlusThree) -> str:
    ladder = result.summary()
    top = result.mtd_probability[-1]
    steps = [
        Step(
            "Escalation at one dose (exact)",
            (
                "Rule: 3 patients; 0/3 DLT escalate; 1/3 treat 3 more and escalate if 1/6; "
                ">= 2 DLT stop, the MTD is the dose below. P(escalate) = (1-p)^3 + "
                "3p(1-p)^2 (1-p)^3 (published: 0.91, 0.71, 0.49, 0.31, 0.17, 0.08 for "
                "p = 0.1 to 0.6).",
            ),
            tables=(frame_table(escalation_table(), "Per true DLT probability p", digits=3),),
            figures=(to_svg(escalation_figure(result)),),
        ),
        Step(
            f"On the ladder {', '.join(f'{d:g}' for d in result.doses)} {result.dose_unit}",
            (
                f"With the assumed DLT probabilities below, the top dose "
                f"({result.doses[-1]:g} {result.dose_unit}) is declared the MTD with probability "
                f"{top:.3f}; the escalation stops at the first dose with probability "
                f"{result.p_no_mtd:.3f}; the expected number of patients is "
                f"{result.expected_patients:.1f}. Exact: no simulation.",
            ),
            tables=(frame_table(ladder, f"3+3 over the ladder ({result.dose_unit})", digits=3),),
            figures=(to_svg(mtd_figure(result)),),
        ),
    ]
    meta = (
        "Exact operating characteristics (probabilities, not data) under ASSUMED DLT probabilities."
    )
    if result.doses == BALIXAFORTIDE_LADDER and result.dose_unit == "mg/kg":
        meta += (
            " The ladder follows the balixafortide + eribulin Phase 1b (start 2.0 mg/kg, "
            "increments 0.5 and 1.0 mg/kg, recommended Phase 2 dose 5.5 mg/kg)."
        )
    return render_steps(analysis_id, title, meta, steps)
