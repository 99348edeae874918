"""Figure of the virtual-plate recovery: each SIMULATED plate's recovered Ki or Kb with its
95% CI against the model's Kb (log axis; red where the CI misses it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    from cxcr4lab.studies.recovery import RecoveredKb, VirtualRecovery

__all__ = ["figures"]

_NM = 1e-9


def _label(r: RecoveredKb) -> str:
    return f"{r.assay}, {r.system}: {r.parameter} ({r.plate})"


def figures(result: VirtualRecovery) -> dict[str, Figure]:
    traces: list[dict[str, Any]] = []
    for covered, colour, name in (
        (True, COLOURS[0], "CI covers Kb"),
        (False, COLOURS[1], "CI misses Kb"),
    ):
        rows = [r for r in result.rows if r.estimate_molar is not None and r.covered == covered]
        if not rows:
            continue
        values = [(r.estimate_molar or 0.0) / _NM for r in rows]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "y": [_label(r) for r in rows],
                "x": values,
                "error_x": error_bars(
                    values,
                    [None if r.lower_molar is None else r.lower_molar / _NM for r in rows],
                    [None if r.upper_molar is None else r.upper_molar / _NM for r in rows],
                ),
                "text": [
                    f"{r.plate} (seed {r.seed}), {r.method}; IC50 {r.ic50_molar / _NM:.3g} nM"
                    + (f" [{', '.join(r.flags)}]" if r.flags else "")
                    for r in rows
                ],
                "marker": {"color": colour, "symbol": "square", "size": 10},
                "hovertemplate": "%{y} %{x:.3g} nM<br>%{text}<extra></extra>",
            }
        )
    kb = result.kb_molar / _NM
    n_covered = sum(r.covered for r in result.rows)
    return {
        "recovery": figure(
            traces,
            layout(
                f"SIMULATED plates analysed by the assay modules: model Kb {kb:.3g} nM (dotted); "
                f"the 95% CI covers it for {n_covered} of {len(result.rows)}",
                axis("recovered Ki / Kb (nM, log scale) with 95% CI", type="log"),
                axis(
                    "",
                    autorange="reversed",
                    type="category",
                    categoryorder="array",
                    categoryarray=[_label(r) for r in result.rows],
                ),
                shapes=[vline(kb, colour="black")],
                height=max(300, 40 * len(result.rows) + 160),
                legend=LEGEND_BELOW,
            ),
        )
    }
