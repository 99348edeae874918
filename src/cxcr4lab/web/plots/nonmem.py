"""Figure of a NONMEM dataset export: the observation records per subject (DV against TIME,
log or linear y), BLQ records open at the LLOQ, the dose times as grey lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import (
    COLOURS,
    Figure,
    axis,
    figure,
    finite,
    hline,
    layout,
    log_toggle,
    vline,
)

if TYPE_CHECKING:
    from cxcr4lab.pkpd.nonmem_export import NonmemExport, NonmemRecord

__all__ = ["figures"]


def figures(result: NonmemExport) -> dict[str, Figure]:
    by_id: dict[int, list[NonmemRecord]] = {}
    for r in result.records:
        by_id.setdefault(r.id, []).append(r)
    traces: list[dict[str, Any]] = []
    unit = result.conc_unit
    for i, (sid, records) in enumerate(by_id.items()):
        colour = COLOURS[i % len(COLOURS)]
        subject = records[0].subject
        obs = sorted(
            (r for r in records if r.evid == 0 and not r.blq and r.dv is not None and r.dv > 0),
            key=lambda r: r.time,
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{sid} ({subject})",
                "legendgroup": str(sid),
                "x": [r.time for r in obs],
                "y": finite(r.dv for r in obs),
                "line": {"color": colour, "width": 1},
                "marker": {"size": 5},
                "hovertemplate": f"ID {sid} (subject {subject}): TIME %{{x:g}} h, DV %{{y:.4g}} "
                f"{unit}<extra></extra>",
            }
        )
        blq = [r for r in records if r.evid == 0 and r.blq]
        if blq and result.lloq is not None:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{sid} BLQ",
                    "legendgroup": str(sid),
                    "showlegend": False,
                    "x": [r.time for r in blq],
                    "y": [result.lloq] * len(blq),
                    "marker": {"color": colour, "symbol": "circle-open", "size": 7},
                    "hovertemplate": f"ID {sid}: BLQ at TIME %{{x:g}} h (shown at the LLOQ)"
                    "<extra></extra>",
                }
            )
    dose_times = sorted({r.time for r in result.records if r.evid == 1})[:50]
    shapes = [vline(t, colour="#bbb") for t in dose_times]
    if result.lloq is not None:
        shapes.append(hline(result.lloq, dash="dash"))
    blq_text = f"BLQ method {result.blq_method}" + (
        f", LLOQ {result.lloq:g} {unit} (dashed)" if result.lloq is not None else ""
    )
    return {
        "observations": figure(
            traces,
            layout(
                f"{result.source}: observation records per ID (grey lines: dose times); {blq_text}",
                "TIME (h)",
                axis(f"DV ({unit})", type="log"),
                updatemenus=[log_toggle(log_first=True)],
                shapes=shapes,
                legend={"title": {"text": "ID (subject)"}},
            ),
        )
    }
