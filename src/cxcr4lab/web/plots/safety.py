"""Figures of an adverse-event table: incidence per term and arm (any grade with its exact CI,
and grade >= 3), and the subjects of each arm by their maximum CTCAE grade."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, LEGEND_BELOW, Figure, axis, error_bars, figure, layout

if TYPE_CHECKING:
    from cxcr4lab.clinical.safety import SafetyResult

__all__ = ["figures"]

_GRADES = ("grade 1", "grade 2", "grade 3", "grade 4", "grade 5")
_GRADE_COLOURS = ("#fee08b", "#fdae61", "#f46d43", "#d73027", "#67001f")


def _incidence(result: SafetyResult) -> Figure:
    pct = round(100 * result.level)
    arms = list(dict.fromkeys(t.arm for t in result.terms))
    terms = list(dict.fromkeys(t.term for t in result.terms))
    traces: list[dict[str, Any]] = []
    for k, arm in enumerate(arms):
        rows = [t for t in result.terms if t.arm == arm]
        suffix = f" ({arm})" if len(arms) > 1 else ""
        any_grade = [t.pct_any for t in rows]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"any grade{suffix}",
                "y": [t.term for t in rows],
                "x": any_grade,
                "error_x": error_bars(
                    any_grade, [t.ci_any[0] for t in rows], [t.ci_any[1] for t in rows]
                ),
                "text": [
                    f"{t.n_any}/{t.n}, {pct}% CI {t.ci_any[0]:.1f}-{t.ci_any[1]:.1f}%, "
                    f"{t.n_serious} serious, {t.n_events} events"
                    for t in rows
                ],
                "textposition": "none",
                "marker": {"color": COLOURS[(2 * k) % len(COLOURS)]},
                "hovertemplate": f"%{{y}}{suffix}: any grade %{{x:.1f}}% (%{{text}})"
                "<extra></extra>",
            }
        )
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"grade >= 3{suffix}",
                "y": [t.term for t in rows],
                "x": [t.pct_grade3 for t in rows],
                "text": [f"{t.n_grade3}/{t.n}" for t in rows],
                "textposition": "none",
                "marker": {"color": COLOURS[(2 * k + 1) % len(COLOURS)]},
                "hovertemplate": f"%{{y}}{suffix}: grade >= 3 %{{x:.1f}}% (%{{text}})"
                "<extra></extra>",
            }
        )
    return figure(
        traces,
        layout(
            f"{result.source}: subjects with each adverse event (exact {pct}% CI of any grade)",
            axis("subjects (%)", range=[0, 105]),
            axis("", autorange="reversed", type="category"),
            barmode="group",
            height=max(360, (28 * len(arms) + 16) * len(terms) + 160),
            legend=LEGEND_BELOW,
        ),
    )


def _max_grade(result: SafetyResult) -> Figure:
    labels = [f"{a.arm} (n = {a.n})" for a in result.arms]
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "name": grade,
            "y": labels,
            "x": [100 * a.max_grade_counts.get(grade, 0) / a.n for a in result.arms],
            "text": [f"{a.max_grade_counts.get(grade, 0)}/{a.n}" for a in result.arms],
            "textposition": "none",
            "marker": {"color": colour},
            "hovertemplate": f"%{{y}}: maximum {grade} in %{{x:.1f}}% (%{{text}})<extra></extra>",
        }
        for grade, colour in zip(_GRADES, _GRADE_COLOURS, strict=True)
    ]
    return figure(
        traces,
        layout(
            "Subjects by their maximum CTCAE grade",
            axis("subjects (%)", range=[0, 100]),
            axis(""),
            barmode="stack",
            height=max(260, 60 * len(labels) + 180),
            legend=LEGEND_BELOW | {"traceorder": "normal"},
        ),
    )


def figures(result: SafetyResult) -> dict[str, Figure]:
    return {"incidence": _incidence(result), "max_grade": _max_grade(result)}
