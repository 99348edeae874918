"""Figures of a regimen comparison: per schedule, the patients holding the occupancy target
against P(grade >= 3 neutropenia) with exact 95% CIs, the two limits and the acceptable corner;
and the time above the target (median, 5-95%)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, Figure, axis, error_bars, figure, layout

if TYPE_CHECKING:
    from cxcr4lab.pkpd.comparison import RegimenComparison

__all__ = ["figures"]

_OK, _NOT = COLOURS[2], COLOURS[1]


def figures(result: RegimenComparison) -> dict[str, Figure]:
    rows = list(result.rows)
    target = f"{100 * result.settings.target:g}"
    hold, limit = 100 * result.hold_fraction, 100 * result.limit
    names = [f"#{i} {r.regimen.title or r.name}" for i, r in enumerate(rows, start=1)]
    shared: dict[tuple[float, float], list[int]] = {}  # schedules at one point share a label
    for i, r in enumerate(rows):
        shared.setdefault((round(r.p_held, 6), round(r.p_grade3, 6)), []).append(i)
    labels = ["" for _ in rows]
    for members in shared.values():
        labels[members[0]] = ",".join(str(i + 1) for i in members)
    traces: list[dict[str, Any]] = []
    for verdict, colour in (("meets both", _OK), ("misses a limit", _NOT)):
        chosen = [
            i for i, r in enumerate(rows) if result.meets_both(r) == (verdict == "meets both")
        ]
        if not chosen:
            continue
        x = [100 * rows[i].p_held for i in chosen]
        y = [100 * rows[i].p_grade3 for i in chosen]
        held = [rows[i].ci("held") for i in chosen]
        grade3 = [rows[i].ci("grade3") for i in chosen]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": verdict,
                "x": x,
                "y": y,
                "text": [labels[i] for i in chosen],
                "textposition": ["top left" if v > 80 else "top right" for v in x],
                "customdata": [names[i] for i in chosen],
                "error_x": error_bars(x, [100 * a for a, _ in held], [100 * b for _, b in held]),
                "error_y": error_bars(
                    y, [100 * a for a, _ in grade3], [100 * b for _, b in grade3]
                ),
                "marker": {"color": colour, "size": 9},
                "hovertemplate": "%{customdata}<br>holding the target %{x:.1f}%, P(grade >= 3) "
                "%{y:.1f}%<extra></extra>",
            }
        )
    corner = {
        "type": "rect",
        "x0": hold,
        "x1": 102,
        "y0": 0,
        "y1": limit,
        "fillcolor": _OK,
        "opacity": 0.08,
        "line": {"width": 0},
        "layer": "below",
    }
    dashed = {"dash": "dash", "color": "black", "width": 1}
    limits = [
        {"type": "line", "x0": hold, "x1": hold, "y0": 0, "y1": 102, "line": dashed},
        {"type": "line", "x0": -2, "x1": 102, "y0": limit, "y1": limit, "line": dashed},
    ]
    n = rows[0].n if rows else 0
    trade_off = figure(
        traces,
        layout(
            f"SIMULATED, {n} virtual patients per schedule: target held by >= {hold:g}% and "
            f"P(grade >= 3) <= {limit:g}% (shaded)",
            axis(f"patients holding RO >= {target}% on eribulin days (%)", range=[-2, 102]),
            axis("P(grade >= 3 neutropenia) (%)", range=[0, 102]),
            shapes=[corner, *limits],
        ),
    )
    med = [r.above[1] for r in rows]
    time_above = figure(
        [
            {
                "type": "bar",
                "orientation": "h",
                "name": "median",
                "y": [f"#{i}" for i in range(1, len(rows) + 1)],
                "x": med,
                "customdata": names,
                "error_x": error_bars(med, [r.above[0] for r in rows], [r.above[2] for r in rows]),
                "marker": {"color": [_OK if result.meets_both(r) else _NOT for r in rows]},
                "hovertemplate": "%{customdata}: %{x:.1f}% of the course<extra></extra>",
            }
        ],
        layout(
            f"Time with RO >= {target}% per schedule (median, 5-95%; green: meets both limits)",
            axis(f"time with RO >= {target}% (% of the course)", range=[0, 100]),
            axis("schedule (hover for its doses)", autorange="reversed"),
            height=max(360, 34 * len(rows) + 140),
            showlegend=False,
        ),
    )
    return {"schedules": trade_off, "time_above": time_above}
