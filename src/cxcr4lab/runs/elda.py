"""The ``elda`` kind: extreme limiting-dilution analysis (Hu & Smyth 2009; R statmod ``elda``)
of a dilution table: active-cell frequency per group with its CI, the test of differences and
the single-hit model's goodness of fit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]

TABLE_FORMATS = ("csv", "tsv", "txt", "xlsx")


@dataclass(frozen=True)
class Options:
    """The CI level and how doses are counted."""

    confidence: float = option(
        "Confidence level of the frequency CIs (statmod's confidence).", default=0.95, gt=0, lt=1
    )
    observed: bool = option(
        "Doses are actual cell numbers counted per recipient, not expected (Poisson) ones "
        "(statmod's observed).",
        default=False,
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """ELDA: 1/frequency per group with its CI, LR test of differences, goodness of fit."""
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.preclinical.elda import EldaSettings, elda, read_dilutions

    name, content = inputs["dilutions"]
    settings = EldaSettings(confidence=options.confidence, observed=options.observed)
    table = read_table_bytes(content, name)
    rows = read_dilutions(table.frame, name, row_base=table.row_base)
    result = elda(rows, settings, source=name)
    parameters = {"confidence": options.confidence, "observed": options.observed}
    return Outcome(result, parameters, f"Limiting dilution (ELDA) {name}")


_NOTE = (
    "Dilution table: SIMULATED (NOD/SCID mice engrafted per dose of balixafortide- vs "
    "G-CSF-mobilized CD34+ cells, 6 mice per dose; true SRC frequency 1 in 100,000 vs "
    "1 in 250,000; scripts/simulate_engraftment.py)."
)

KIND = AnalysisKind(
    name="elda",
    label="Limiting-dilution analysis (ELDA): repopulating-cell frequency per group",
    inputs=(
        InputSpec(
            "dilutions",
            "dilution table, one row per group and dose: group (optional), dose (cells per "
            "recipient), tested, positive",
            TABLE_FORMATS,
            "dilutions",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.elda:print_result",
    result="cxcr4lab.preclinical.elda:EldaResult",
    plots="cxcr4lab.web.plots.elda:figures",
    examples=(
        Example(
            "SRC frequency, balixafortide vs G-CSF grafts (simulated)",
            "elda",
            {"dilutions": "dilutions.csv"},
            note=_NOTE,
        ),
    ),
)
