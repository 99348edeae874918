"""Figures of the receptor-model calibration (SIMULATED predictions): each assay's predicted
IC50 against its published upper bound with the Kb marked, and the pERK/pAKT right-shift from
Kb to IC50 as fold-shifts per mechanism, both on log axes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, LEGEND_BELOW, Figure, axis, figure, layout, vline

if TYPE_CHECKING:
    from cxcr4lab.studies.calibration import ReceptorCalibration

__all__ = ["figures"]

_NM = 1e-9
_MECH_COLOURS = (COLOURS[0], COLOURS[4], COLOURS[2])


def _ic50s(result: ReceptorCalibration) -> Figure:
    preds = result.predictions
    labels = [f"{p.readout}, {p.cell_line}" for p in preds]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "published '<' bound",
            "y": labels,
            "x": [p.bound_molar / _NM for p in preds],
            "text": [f"{p.assay} ({p.system}): {p.note}" for p in preds],
            "marker": {
                "color": "#1a7f37",
                "symbol": "line-ns-open",
                "size": 18,
                "line": {"width": 3},
            },
            "hovertemplate": "%{text}<br>published IC50 < %{x:.3g} nM<extra></extra>",
        }
    ]
    for ok, colour, name in (
        (True, COLOURS[0], "predicted, within"),
        (False, COLOURS[1], "predicted, misses"),
    ):
        chosen = [(label, p) for label, p in zip(labels, preds, strict=True) if p.satisfied == ok]
        if not chosen:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{name} the bound",
                "y": [label for label, _ in chosen],
                "x": [p.predicted_ic50_molar / _NM for _, p in chosen],
                "customdata": [
                    [p.agonist_molar / _NM, p.predicted_ic50_molar / result.kb_molar]
                    for _, p in chosen
                ],
                "marker": {"color": colour, "size": 10},
                "hovertemplate": "%{y}: predicted IC50 %{x:.3g} nM (CXCL12 %{customdata[0]:.3g} "
                "nM; IC50/Kb %{customdata[1]:.3g})<extra></extra>",
            }
        )
    met = sum(p.satisfied for p in preds)
    return figure(
        traces,
        layout(
            f"SIMULATED: predicted IC50 vs published bound; Kb {result.kb_molar / _NM:.3g} nM "
            f"(dotted); {met} of {len(preds)} bounds met",
            axis("balixafortide IC50 (nM, log scale)", type="log"),
            axis("", autorange="reversed", type="category"),
            shapes=[vline(result.kb_molar / _NM, colour="black")],
            height=max(320, 30 * len(preds) + 160),
            legend=LEGEND_BELOW,
        ),
    )


def _right_shift(result: ReceptorCalibration) -> Figure | None:
    from cxcr4lab.studies.calibration import MECHANISMS

    mech = result.mechanism_table()
    if not len(mech):
        return None
    kb = result.kb_molar / _NM
    labels = [f"{r['readout']}, {r['cell line']}" for _, r in mech.iterrows()]
    traces: list[dict[str, Any]] = []
    starts = [kb] * len(mech)
    for m, colour in zip(MECHANISMS, _MECH_COLOURS, strict=True):
        folds = [float(r[f"x {m}"]) for _, r in mech.iterrows()]
        ends = [s * f for s, f in zip(starts, folds, strict=True)]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"x {m}",
                "y": labels,
                "base": starts,
                "x": [e - s for s, e in zip(starts, ends, strict=True)],
                "customdata": [[f, e] for f, e in zip(folds, ends, strict=True)],
                "marker": {"color": colour},
                "hovertemplate": f"%{{y}}: x %{{customdata[0]:.3g}} ({m}), to "
                "%{customdata[1]:.3g} nM<extra></extra>",
            }
        )
        starts = ends
    bounds = [r["published IC50 bound (nM)"] for _, r in mech.iterrows()]
    shown = [
        (label, float(b))
        for label, b in zip(labels, bounds, strict=True)
        if b is not None and math.isfinite(b)
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "published '<' bound",
            "y": [label for label, _ in shown],
            "x": [b for _, b in shown],
            "marker": {
                "color": "#1a7f37",
                "symbol": "line-ns-open",
                "size": 18,
                "line": {"width": 3},
            },
            "hovertemplate": "%{y}: published IC50 < %{x:.3g} nM<extra></extra>",
        }
    )
    shapes = [vline(kb, colour="black")]
    binding = next((p for p in result.predictions if p.readout == "binding"), None)
    if binding is not None:
        shapes.append(vline(binding.predicted_ic50_molar / _NM, dash="dash", colour="#666"))
    return figure(
        traces,
        layout(
            "pERK/pAKT right-shift: Kb x agonist x reserve x amplification = IC50 "
            "(dotted: Kb; dashed: binding IC50)",
            axis("nM (log scale)", type="log"),
            axis("", autorange="reversed", type="category"),
            barmode="overlay",
            shapes=shapes,
            height=max(320, 36 * len(labels) + 180),
            legend=LEGEND_BELOW,
        ),
    )


def figures(result: ReceptorCalibration) -> dict[str, Figure]:
    found = {"ic50s": _ic50s(result)}
    shift = _right_shift(result)
    if shift is not None:
        found["right_shift"] = shift
    return found
