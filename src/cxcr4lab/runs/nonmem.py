"""The ``nonmem`` kind: a PK table (the NCA layout) as a NONMEM dataset, BLQ by Beal's M1 or M3.

``cxcr4lab nonmem PK.csv --out data.csv`` writes the dataset (``.`` for a missing value); the
stored result keeps it, so the browser and the API download it as CSV or xlsx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome, OutputSpec
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Settings of the export: the BLQ method and limit, the units written beside the data."""

    blq_method: Literal["m3", "m1"] = option(
        "BLQ samples: m3 (censored: DV = LLOQ, CENS 1) or m1 (left out: MDV 1).", default="m3"
    )
    lloq: float | None = option(
        "Lower limit of quantification (in the unit of conc); lower values are BLQ too.",
        default=None,
        gt=0,
    )
    conc_unit: str = option("Unit of conc (written in the stored result).", default="mg/L")
    dose_unit: str = option("Unit of dose (written in the stored result).", default="mg")


def _csv(result: Any) -> str:
    text: str = result.nonmem_csv()
    return text


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Read the PK table and write its NONMEM records."""
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.pkpd.nonmem_export import to_nonmem

    name, content = inputs["data"]
    table = read_table_bytes(content, name)
    result = to_nonmem(
        table.frame,
        source=name,
        row_base=table.row_base,
        blq_method=options.blq_method,
        lloq=options.lloq,
        conc_unit=options.conc_unit,
        dose_unit=options.dose_unit,
    )
    parameters = {
        "blq_method": options.blq_method,
        "lloq": options.lloq,
        "conc_unit": options.conc_unit,
        "dose_unit": options.dose_unit,
    }
    return Outcome(result, parameters, f"NONMEM dataset of {name}")


KIND = AnalysisKind(
    name="nonmem",
    label="NONMEM dataset export of a PK table (dose and observation records, BLQ by M1/M3)",
    inputs=(
        InputSpec(
            "data",
            "PK table: subject, time (h), conc, dose; optional route and duration (h); conc "
            "may be BLQ",
            ("csv", "tsv", "txt", "xlsx"),
            "data",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.nonmem:print_result",
    result="cxcr4lab.pkpd.nonmem_export:NonmemExport",
    plots="cxcr4lab.web.plots.nonmem:figures",
    examples=(
        Example(
            "NONMEM dataset, theophylline, BLQ < 0.5 mg/L by M3 (public Theoph data set)",
            "pk",
            {"data": "theoph.csv"},
            {"blq_method": "m3", "lloq": "0.5"},
            "NONMEM export: R's public Theoph data set; the LLOQ of 0.5 mg/L is set here to "
            "show the M3 records.",
        ),
    ),
    command=("nonmem",),
    docs="docs/pkpd.md",
    outputs=(OutputSpec("out", "NONMEM dataset CSV to write ('.' = missing).", "--out", _csv),),
)
