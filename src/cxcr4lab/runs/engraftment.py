"""The ``engraftment`` kind: NOD/SCID chimerism per mouse, engrafted and multilineage calls by a
stated rule, group summaries with CIs, and the SRC frequency (ELDA of the calls)."""

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
    """The engrafted rule and its thresholds."""

    threshold_pct: float = option(
        "Engrafted when % human CD45+ of leukocytes reaches this (in the rule's tissue).",
        default=0.1,
        unit="%",
        gt=0,
        le=100,
    )
    rule: Literal["bone_marrow", "any_tissue", "bone_marrow_multilineage"] = option(
        "Where the threshold applies: bone marrow, any of bone marrow/spleen/blood, or bone "
        "marrow with multilineage engraftment required.",
        default="bone_marrow",
    )
    lineage_threshold_pct: float = option(
        "Multilineage when CD19+ and CD33+ cells each reach this % of hCD45+ cells.",
        default=1.0,
        unit="%",
        gt=0,
        le=100,
    )
    confidence: float = option(
        "Confidence level of every CI (group means, fractions, SRC frequency).",
        default=0.95,
        gt=0,
        lt=1,
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Chimerism, calls, group summaries and the SRC frequency of one chimerism table."""
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.preclinical.engraftment import (
        EngraftmentSettings,
        analyse_engraftment,
        read_engraftment,
    )

    name, content = inputs["data"]
    settings = EngraftmentSettings(
        threshold_pct=options.threshold_pct,
        rule=options.rule,
        lineage_threshold_pct=options.lineage_threshold_pct,
        confidence=options.confidence,
    )
    table = read_table_bytes(content, name)  # the flow kinds' table reader (cd34, occupancy)
    rows = read_engraftment(table.frame, name, row_base=table.row_base)
    result = analyse_engraftment(rows, settings, source=name)
    parameters = {
        "threshold_pct": options.threshold_pct,
        "rule": options.rule,
        "lineage_threshold_pct": options.lineage_threshold_pct,
        "confidence": options.confidence,
    }
    return Outcome(result, parameters, f"NOD/SCID engraftment {name}")


_NOTE = (
    "NOD/SCID chimerism: SIMULATED (60 mice: balixafortide- vs G-CSF-mobilized CD34+ grafts at "
    "25,000-400,000 cells, 6 mice per dose; true SRC frequency 1 in 100,000 vs 1 in 250,000; "
    "scripts/simulate_engraftment.py)."
)

KIND = AnalysisKind(
    name="engraftment",
    label="NOD/SCID engraftment: human CD45 chimerism, engrafted/multilineage calls, SRC frequency",
    inputs=(
        InputSpec(
            "data",
            "chimerism table, one row per mouse and tissue: mouse, group, cells (transplanted), "
            "tissue (bone marrow, spleen, blood), hcd45_pct, cd19_pct, cd33_pct (% of hCD45+), "
            "optional cd34_pct",
            TABLE_FORMATS,
            "data",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.engraftment:print_result",
    result="cxcr4lab.preclinical.engraftment:EngraftmentResult",
    plots="cxcr4lab.web.plots.engraftment:figures",
    examples=(
        Example(
            "NOD/SCID engraftment, balixafortide vs G-CSF grafts (simulated)",
            "engraftment",
            {"data": "chimerism.csv"},
            note=_NOTE,
        ),
    ),
)
