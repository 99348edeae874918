"""Figures of CD34+ enumeration: CD34+/µL per tube with its exact Poisson 95% CI (QC failures
red, fewer than the minimum CD34+ events open); and, when the tubes name subjects and times,
each subject's count over time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, Figure, axis, error_bars, figure, finite, layout

if TYPE_CHECKING:
    from cxcr4lab.assays.cd34 import Cd34Result, Cd34Sample

__all__ = ["figures"]


def _text(s: Cd34Sample) -> str:
    c = s.counts
    qc = "passed" if s.passed else "FAILED: " + "; ".join(s.reasons)
    flags = f" [{', '.join(s.flags)}]" if s.flags else ""
    cv = "n/a" if s.cv_pct is None else f"{s.cv_pct:.1f}%"
    return (
        f"{c.cd34_events} CD34+ of {c.cd45_events:,} CD45+ events, {c.bead_events} beads, CV "
        f"{cv}; QC {qc}{flags}"
    )


def _counts(result: Cd34Result) -> Figure:
    traces = []
    for passed, colour in ((True, COLOURS[0]), (False, COLOURS[1])):
        chosen = [s for s in result.samples if s.passed == passed]
        if not chosen:
            continue
        values = [s.cd34_per_ul for s in chosen]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "QC passed" if passed else "QC failed",
                "x": [s.counts.sample for s in chosen],
                "y": finite(values),
                "error_y": error_bars(
                    values, [s.lower_per_ul for s in chosen], [s.upper_per_ul for s in chosen]
                ),
                "text": [_text(s) for s in chosen],
                "marker": {
                    "color": colour,
                    "size": 9,
                    "symbol": [
                        "circle-open" if "low_cd34_events" in s.flags else "circle" for s in chosen
                    ],
                },
                "hovertemplate": "%{x}: %{y:.3g} CD34+/µL<br>%{text}<extra></extra>",
            }
        )
    level = round(100 * (1 - result.settings.alpha))
    return figure(
        traces,
        layout(
            f"CD34+ per tube, exact Poisson {level}% CI (open: < "
            f"{result.settings.min_cd34_events} CD34+ events)",
            axis(
                "tube",
                type="category",
                categoryorder="array",
                categoryarray=[s.counts.sample for s in result.samples],
            ),
            axis("CD34+ cells / µL", rangemode="tozero"),
        ),
    )


def _course(result: Cd34Result) -> Figure | None:
    timed = [s for s in result.samples if s.counts.subject and s.counts.time_h is not None]
    if not timed:
        return None
    traces: list[dict[str, Any]] = []
    subjects = list(dict.fromkeys(s.counts.subject for s in timed))
    for k, subject in enumerate(subjects):
        rows = sorted(
            (s for s in timed if s.counts.subject == subject), key=lambda s: s.counts.time_h or 0
        )
        values = [s.cd34_per_ul for s in rows]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": subject,
                "x": [s.counts.time_h for s in rows],
                "y": finite(values),
                "error_y": error_bars(
                    values, [s.lower_per_ul for s in rows], [s.upper_per_ul for s in rows]
                ),
                "text": [f"{s.counts.sample}: {_text(s)}" for s in rows],
                "line": {"color": COLOURS[k % len(COLOURS)], "width": 1.5},
                "hovertemplate": "%{x:g} h: %{y:.3g} CD34+/µL<br>%{text}<extra></extra>",
            }
        )
    return figure(
        traces,
        layout(
            "CD34+ per subject over time (95% CIs)",
            "time (h)",
            axis("CD34+ cells / µL", rangemode="tozero"),
            legend={"title": {"text": "subject"}},
        ),
    )


def figures(result: Cd34Result) -> dict[str, Figure]:
    found = {"cd34": _counts(result)}
    course = _course(result)
    if course is not None:
        found["course"] = course
    return found
