"""Figures of a 3+3 dose escalation: the probability of escalating past a dose against its true
DLT rate (the ladder's assumed rates marked), and on the ladder the declared MTD's distribution
and the expected patients per dose."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxcr4lab.web.figures import COLOURS, LEGEND_BELOW, Figure, axis, figure, layout

if TYPE_CHECKING:
    from cxcr4lab.clinical.design import ThreePlusThree

__all__ = ["figures"]


def figures(result: ThreePlusThree) -> dict[str, Figure]:
    from cxcr4lab.clinical.design import escalation_probability

    unit = result.dose_unit
    p = np.linspace(0.0, 0.7, 141)
    doses = [f"{d:g}" for d in result.doses]
    together: dict[tuple[float, float], list[int]] = {}  # doses at one point share a label
    for i, point in enumerate(zip(result.dlt_probability, result.escalation, strict=True)):
        together.setdefault(point, []).append(i)
    labels = ["" for _ in doses]
    for members in together.values():
        labels[members[0]] = ", ".join(doses[i] for i in members)
    escalation = figure(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "3+3 rule (exact)",
                "x": [100 * float(x) for x in p],
                "y": [escalation_probability(float(x)) for x in p],
                "line": {"color": COLOURS[0], "width": 2},
                "hovertemplate": "true DLT %{x:.1f}%: P(escalate) %{y:.3f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": f"the ladder's doses ({unit}), assumed rates",
                "x": [100 * x for x in result.dlt_probability],
                "y": list(result.escalation),
                "text": labels,
                "customdata": doses,
                "textposition": "top right",
                "marker": {"color": COLOURS[1], "size": 9},
                "hovertemplate": f"%{{customdata}} {unit}: assumed DLT %{{x:.1f}}%, P(escalate) "
                "%{y:.3f}<extra></extra>",
            },
        ],
        layout(
            "3+3: probability of escalating past a dose",
            "true DLT probability at the dose (%)",
            axis("P(escalate)", range=[0, 1.02]),
            legend=LEGEND_BELOW,
        ),
    )
    labels = ["none", *doses]
    mtd = figure(
        [
            {
                "type": "bar",
                "name": "P(declared MTD)",
                "offsetgroup": "mtd",
                "x": labels,
                "y": [result.p_no_mtd, *result.mtd_probability],
                "marker": {"color": "#6baed6"},
                "hovertemplate": f"MTD %{{x}} {unit}: probability %{{y:.3f}}<extra></extra>",
            },
            {
                "type": "bar",
                "name": "expected patients (right axis)",
                "offsetgroup": "patients",
                "x": doses,
                "y": list(result.expected_patients_per_dose),
                "yaxis": "y2",
                "marker": {"color": "#fd8d3c"},
                "hovertemplate": f"%{{x}} {unit}: %{{y:.2f}} patients expected<extra></extra>",
            },
        ],
        layout(
            f"On the ladder, under the ASSUMED DLT rates: E[patients] = "
            f"{result.expected_patients:.1f}; 'none': the first dose is too toxic",
            axis(f"dose ({unit})", type="category"),
            axis("probability of being declared the MTD", rangemode="tozero"),
            yaxis2=axis("expected patients", overlaying="y", side="right", rangemode="tozero"),
            barmode="group",
            legend=LEGEND_BELOW,
        ),
    )
    return {"mtd": mtd, "escalation": escalation}
