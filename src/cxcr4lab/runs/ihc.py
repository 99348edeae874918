"""The ``ihc`` kind: IHC H-scores or immunoreactive scores per patient, high/low by a stated
cut-off rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]

TABLE_FORMATS = ("csv", "tsv", "txt", "xlsx")


@dataclass(frozen=True)
class Options:
    """The scale, the cut-off rule and the stained marker."""

    cutoff: float = option(
        "Cut-off on the scale (H-score 0-300, IRS 0-12); high means score > cut-off (or >= "
        "with --comparison '>=').",
        ge=0,
        lt=300,
    )
    marker: str = option("Stained marker.", default="CXCR4")
    scale: Literal["h-score", "irs"] = option(
        "h-score (1 x %1+ + 2 x %2+ + 3 x %3+, 0-300) or irs (Remmele-Stegner intensity 0-3 x "
        "proportion 0-4, 0-12).",
        default="h-score",
    )
    comparison: Literal[">", ">="] = option(
        "High means score > cut-off or score >= cut-off (the rule the clinical kinds share).",
        default=">",
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """H-score (1 x %1+ + 2 x %2+ + 3 x %3+, 0-300) or IRS (0-12) per patient and the
    high/low call by the stated rule."""
    from cxcr4lab.assays.ihc import IhcSettings, analyse
    from cxcr4lab.assays.tabular import read_table_bytes

    name, content = inputs["scores"]
    settings = IhcSettings(
        cutoff=options.cutoff,
        marker=options.marker,
        scale=options.scale,
        comparison=options.comparison,
    )
    result = analyse(read_table_bytes(content, name), settings)
    parameters: dict[str, object] = {"cutoff": options.cutoff, "marker": options.marker}
    if options.scale != "h-score" or options.comparison != ">":
        parameters |= {
            "scale": options.scale,
            "comparison": options.comparison,
            "rule": settings.rule.text,
        }
    score = "IRS" if options.scale == "irs" else "H-score"
    return Outcome(result, parameters, f"IHC {options.marker} {score} {name}")


_NOTE = (
    "IHC scoring tables: SIMULATED (56 patients, true H-scores with 8 patients (14%) above "
    "the cut-off 200 and none within 180-210; pathologist percentages rounded to 5%)."
)

_IRS_NOTE = (
    "IHC immunoreactive scores: SIMULATED (40 triple-negative tumours scored by a pathologist, "
    "intensity 0-3 x proportion 0-4; 6 tumours (15%) have IRS > 7, the seeds' 'high CXCR4'; "
    "the truth is in examples/ihc/README.md)."
)

KIND = AnalysisKind(
    name="ihc",
    label="IHC H-score or IRS per patient (high/low by a cut-off)",
    inputs=(
        InputSpec(
            "scores",
            "scoring table: patient + pct_1, pct_2, pct_3 (pct_0 optional), patient + "
            "intensity per cell (0, 1+, 2+, 3+), or (IRS) patient + intensity_score, "
            "proportion_score",
            TABLE_FORMATS,
            "scores",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.ihc:print_result",
    result="cxcr4lab.assays.ihc:IhcResult",
    plots="cxcr4lab.web.plots.ihc:figures",
    examples=(
        *(
            Example(title, "ihc", {"scores": file}, {"cutoff": "200"}, _NOTE)
            for file, title in (
                ("scores_percent.csv", "CXCR4 IHC H-score, pathologist % per core (simulated)"),
                (
                    "cells_image_analysis.csv",
                    "CXCR4 IHC H-score, per-cell image analysis (simulated)",
                ),
            )
        ),
        Example(
            "CXCR4 IHC immunoreactive score (IRS), high = IRS > 7 (simulated)",
            "ihc",
            {"scores": "irs_scores.csv"},
            {"scale": "irs", "cutoff": "7"},
            _IRS_NOTE,
        ),
        Example(
            "CXCR4 IHC IRS derived from pathologist % per core, high = IRS >= 8 (simulated)",
            "ihc",
            {"scores": "scores_percent.csv"},
            {"scale": "irs", "cutoff": "8", "comparison": ">="},
            _NOTE,
        ),
    ),
)
