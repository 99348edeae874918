"""Figures of IHC H-scores: the distribution of H-scores with the cut-off, and each patient's
cells per intensity class, patients ordered by H-score."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxcr4lab.web.figures import COLOURS, Figure, axis, figure, layout, vline

if TYPE_CHECKING:
    from cxcr4lab.assays.ihc import IhcResult

__all__ = ["figures"]

_CLASSES = (("0", "#d9d9d9"), ("1+", "#fdd49e"), ("2+", "#fc8d59"), ("3+", "#b30000"))


def figures(result: IhcResult) -> dict[str, Figure]:
    s = result.settings
    cut = s.cutoff
    low = [p for p in result.patients if not p.high]
    high = [p for p in result.patients if p.high]
    histogram = figure(
        [
            {
                "type": "histogram",
                "name": f"{label} (n = {len(group)})",
                "x": [p.h_score for p in group],
                "xbins": {"start": 0, "end": 300, "size": 20},
                "marker": {"color": colour},
                "hovertemplate": "H-score %{x}: %{y} patients<extra></extra>",
            }
            for label, group, colour in (("low", low, "#9ecae1"), ("high", high, COLOURS[1]))
        ],
        layout(
            f"{s.marker} H-score ({s.compartment}), n = {len(result.patients)}; "
            f"{100 * result.fraction_high:.0f}% above the cut-off {cut:g} (dashed)",
            axis("H-score (0-300)", range=[0, 300]),
            "patients",
            barmode="overlay",
            shapes=[vline(cut, dash="dash", colour="black")],
        ),
    )
    ordered = sorted(result.patients, key=lambda p: p.h_score)
    names = [p.patient for p in ordered]
    hover = [f"H-score {p.h_score:.0f}{' (high)' if p.high else ''}" for p in ordered]
    intensities = figure(
        [
            {
                "type": "bar",
                "name": label,
                "x": names,
                "y": [(p.pct_0, p.pct_1, p.pct_2, p.pct_3)[k] for p in ordered],
                "text": hover,
                "textposition": "none",
                "marker": {"color": colour},
                "hovertemplate": f"%{{x}}: {label} %{{y:.1f}}% of cells, %{{text}}<extra></extra>",
            }
            for k, (label, colour) in enumerate(_CLASSES)
        ],
        layout(
            "Tumour cells per staining intensity, patients ordered by H-score",
            axis("patient", type="category", tickangle=-90, tickfont={"size": 8}),
            axis("% of tumour cells", range=[0, 100]),
            barmode="stack",
            bargap=0.1,
            legend={"title": {"text": "intensity"}},
        ),
    )
    return {"h_scores": histogram, "intensities": intensities}
