"""Figures of IHC scores: the distribution of H-scores (or IRS) with the cut-off and its rule,
and each patient's cells per intensity class (or IRS), patients ordered by score."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxcr4lab.web.figures import COLOURS, Figure, axis, figure, hline, layout, vline

if TYPE_CHECKING:
    from cxcr4lab.assays.ihc import IhcResult

__all__ = ["figures"]

_CLASSES = (("0", "#d9d9d9"), ("1+", "#fdd49e"), ("2+", "#fc8d59"), ("3+", "#b30000"))


def figures(result: IhcResult) -> dict[str, Figure]:
    s = result.settings
    cut = s.cutoff
    irs = result.scale == "irs"
    name, top = ("IRS", 12) if irs else ("H-score", 300)
    scores = dict(zip((p.patient for p in result.patients), result.scores(), strict=True))
    low = [p for p in result.patients if not p.high]
    high = [p for p in result.patients if p.high]
    bins = {"start": -0.5, "end": 12.5, "size": 1} if irs else {"start": 0, "end": 300, "size": 20}
    histogram = figure(
        [
            {
                "type": "histogram",
                "name": f"{label} (n = {len(group)})",
                "x": [scores[p.patient] for p in group],
                "xbins": bins,
                "marker": {"color": colour},
                "hovertemplate": f"{name} %{{x}}: %{{y}} patients<extra></extra>",
            }
            for label, group, colour in (("low", low, "#9ecae1"), ("high", high, COLOURS[1]))
        ],
        layout(
            f"{s.marker} {name} ({s.compartment}), n = {len(result.patients)}; "
            f"{100 * result.fraction_high:.0f}% high, {s.rule.text} (dashed)",
            axis(f"{name} (0-{top})", range=[-0.5, 12.5] if irs else [0, 300]),
            "patients",
            barmode="overlay",
            shapes=[vline(cut, dash="dash", colour="black")],
        ),
    )
    ordered = sorted(result.patients, key=lambda p: scores[p.patient])
    names = [p.patient for p in ordered]
    hover = [f"{name} {scores[p.patient]:.0f}{' (high)' if p.high else ''}" for p in ordered]
    if result.input_format == "irs":
        per_patient = figure(
            [
                {
                    "type": "bar",
                    "name": "IRS",
                    "x": names,
                    "y": [p.irs for p in ordered],
                    "text": [
                        f"intensity {p.intensity_score} x proportion {p.proportion_score}"
                        for p in ordered
                    ],
                    "textposition": "none",
                    "marker": {"color": [COLOURS[1] if p.high else "#9ecae1" for p in ordered]},
                    "hovertemplate": "%{x}: IRS %{y} (%{text})<extra></extra>",
                }
            ],
            layout(
                f"IRS per patient, ordered; {s.rule.text}",
                axis("patient", type="category", tickangle=-90, tickfont={"size": 8}),
                axis("IRS (0-12)", range=[0, 12.5]),
                shapes=[hline(cut, dash="dash", colour="black")],
            ),
        )
        return {"immunoreactive_scores": histogram, "immunoreactive_score_per_patient": per_patient}
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
            f"Tumour cells per staining intensity, patients ordered by {name}",
            axis("patient", type="category", tickangle=-90, tickfont={"size": 8}),
            axis("% of tumour cells", range=[0, 100]),
            barmode="stack",
            bargap=0.1,
            legend={"title": {"text": "intensity"}},
        ),
    )
    return {"immunoreactive_scores" if irs else "h_scores": histogram, "intensities": intensities}
