"""Report section of an adverse-event table: incidence per term and arm, maximum-grade bars."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.clinical.safety import SafetyResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment

__all__ = ["max_grade_svg", "render"]


def max_grade_svg(result: SafetyResult) -> str:
    """Stacked bars: % of each arm by the subject's maximum CTCAE grade."""
    fig = Figure(figsize=(6.0, 0.6 * len(result.arms) + 1.4))
    ax = fig.subplots()
    keys = ["grade 1", "grade 2", "grade 3", "grade 4", "grade 5"]
    colours = ("#fee08b", "#fdae61", "#f46d43", "#d73027", "#67001f")
    left = np.zeros(len(result.arms))
    for key, colour in zip(keys, colours, strict=True):
        values = np.array([100 * a.max_grade_counts.get(key, 0) / a.n for a in result.arms])
        ax.barh(range(len(result.arms)), values, left=left, color=colour, label=key)
        left += values
    ax.set_yticks(range(len(result.arms)), [f"{a.arm} (n = {a.n})" for a in result.arms])
    ax.set_xlabel("subjects by maximum CTCAE grade (%)")
    ax.set_xlim(0, 100)
    ax.legend(fontsize=7, ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.35))
    return to_svg(fig)


def render(analysis_id: int, title: str, result: SafetyResult) -> str:
    pct = round(100 * result.level)
    columns = ["term", "arm", "any grade n (%)", f"{pct}% CI (%)", "grade ≥3 n (%)", "serious n"]
    columns.append("EAIR /100 patient-years (CI)")
    rows = []
    for t in result.terms:
        eair = (
            "—"
            if t.eair is None or t.eair_ci is None
            else f"{t.eair:.3g} ({t.eair_ci[0]:.3g} to {t.eair_ci[1]:.3g})"
        )
        rows.append(
            [
                t.term,
                t.arm,
                f"{t.n_any} ({t.pct_any:.1f})",
                f"{t.ci_any[0]:.1f} to {t.ci_any[1]:.1f}",
                f"{t.n_grade3} ({t.pct_grade3:.1f})",
                str(t.n_serious),
                eair,
            ]
        )
    arms = "; ".join(
        f"{a.arm}: n = {a.n}"
        + ("" if a.patient_years is None else f", {a.patient_years:.1f} patient-years")
        for a in result.arms
    )
    return (
        environment()
        .get_template("safety.html.j2")
        .render(
            id=analysis_id,
            title=title,
            source=result.source,
            pct=pct,
            arms=arms,
            columns=columns,
            rows=rows,
            figure=max_grade_svg(result),
            notes=list(result.notes),
        )
    )
