"""The ``ihc`` kind: IHC H-scores per patient, high/low by a stated cut-off."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]

TABLE_FORMATS = ("csv", "tsv", "txt", "xlsx")


@dataclass(frozen=True)
class Options:
    """The cut-off and the stained marker."""

    cutoff: float = option("H-score cut-off; high means H-score > cut-off.", ge=0, lt=300)
    marker: str = option("Stained marker.", default="CXCR4")


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """H-score (1 x %1+ + 2 x %2+ + 3 x %3+, 0-300) per patient and the high/low call."""
    from cxcr4lab.assays.ihc import IhcSettings, analyse
    from cxcr4lab.assays.tabular import read_table_bytes

    name, content = inputs["scores"]
    settings = IhcSettings(cutoff=options.cutoff, marker=options.marker)
    result = analyse(read_table_bytes(content, name), settings)
    parameters = {"cutoff": options.cutoff, "marker": options.marker}
    return Outcome(result, parameters, f"IHC {options.marker} H-score {name}")


_NOTE = (
    "IHC scoring tables: SIMULATED (56 patients, true H-scores with 8 patients (14%) above "
    "the cut-off 200 and none within 180-210; pathologist percentages rounded to 5%)."
)

KIND = AnalysisKind(
    name="ihc",
    label="IHC H-score per patient (high/low by a cut-off)",
    inputs=(
        InputSpec(
            "scores",
            "scoring table: patient + pct_1, pct_2, pct_3 (pct_0 optional), or patient + "
            "intensity per cell (0, 1+, 2+, 3+)",
            TABLE_FORMATS,
            "scores",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.ihc:print_result",
    result="cxcr4lab.assays.ihc:IhcResult",
    plots="cxcr4lab.web.plots.ihc:figures",
    examples=tuple(
        Example(title, "ihc", {"scores": file}, {"cutoff": "200"}, _NOTE)
        for file, title in (
            ("scores_percent.csv", "CXCR4 IHC H-score, pathologist % per core (simulated)"),
            ("cells_image_analysis.csv", "CXCR4 IHC H-score, per-cell image analysis (simulated)"),
        )
    ),
)
