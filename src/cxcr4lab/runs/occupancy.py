"""The ``occupancy`` kind: CXCR4 receptor occupancy (%RO) per subject over time.

From an MFI table, or from FCS files gated through FlowKit: a manifest (file, subject, time_h,
stain) with ``--gates`` and the FCS files it lists zipped in ``--fcs`` (a folder of files
cannot be one upload; see :mod:`cxcr4lab.runs._fcs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cxcr4lab.runs._fcs import fcs_files, find_member
from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

if TYPE_CHECKING:
    from cxcr4lab.assays.occupancy import OccupancyResult, OccupancySettings

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Settings of the FCS route (the MFI table form uses none of them)."""

    gate: str = option("Gate holding the population (FCS input).", default="lymphocytes")
    channel: str = option("Anti-CXCR4 channel, PnN or PnS label (FCS input).", default="CXCR4-PE")
    statistic: Literal["median", "mean"] = option(
        "MFI of the gated events: median or mean (FCS input).", default="median"
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """%RO = (1 - MFI_post/MFI_pre) x 100, isotype-subtracted, per subject."""
    from cxcr4lab.assays.occupancy import OccupancySettings, analyse, records_from_table
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.core.errors import InputError

    name, content = inputs["data"]
    settings = OccupancySettings(statistic=options.statistic)
    title = f"Receptor occupancy {name}"
    if "gates" not in inputs:
        if "fcs" in inputs:
            raise InputError(
                "FCS files need a gate file (gates) and DATA as their manifest", field="gates"
            )
        records = records_from_table(read_table_bytes(content, name))
        result = analyse(records, settings, source=name, input_format="MFI table")
        return Outcome(result, {}, title)
    if "fcs" not in inputs:
        raise InputError(
            "is needed with gates: the FCS files the manifest lists, as one .fcs file or a .zip",
            field="fcs",
        )
    result = _from_fcs(inputs, options, settings)
    parameters = {"gate": options.gate, "channel": options.channel, "statistic": options.statistic}
    return Outcome(result, parameters, title)


def _from_fcs(
    inputs: Mapping[str, InputFile], options: Options, settings: OccupancySettings
) -> OccupancyResult:
    """Manifest (file, subject, time_h, stain) + gates + the FCS files it lists."""
    from cxcr4lab.assays.flow import read_fcs_bytes, read_gates_bytes
    from cxcr4lab.assays.occupancy import analyse, mfi_from_events
    from cxcr4lab.assays.tabular import read_table_bytes, text_column
    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.core.tables import numeric_column, require_columns, require_unique

    name, content = inputs["data"]
    table = read_table_bytes(content, name)
    place = table.place()
    require_columns(table.frame, ["file", "subject", "time_h", "stain"], place=place)
    require_unique(table.frame, ["file"], place=place, row_base=table.row_base)
    gate_set = read_gates_bytes(inputs["gates"][1], inputs["gates"][0])
    files = fcs_files(inputs["fcs"])
    names = text_column(table, "file")
    subjects = text_column(table, "subject")
    stains = text_column(table, "stain")
    times = numeric_column(table.frame, "time_h", place=place, row_base=table.row_base)
    records = []
    for i, wanted in enumerate(names):
        found = find_member(files, str(wanted))
        if found is None:
            given = inputs["fcs"][0]
            where = f"in {given}" if given.lower().endswith(".zip") else f"the file given ({given})"
            raise InputError(
                f"FCS file {quote(str(wanted))} is not {where}",
                file=name,
                row=table.line(i),
                column="file",
            )
        records.append(
            mfi_from_events(
                read_fcs_bytes(found[1], found[0]),
                gate_set,
                options.gate,
                options.channel,
                subject=str(subjects[i]),
                time_h=float(times[i]),
                stain=str(stains[i]),
                statistic=settings.statistic,
            )
        )
    return analyse(records, settings, source=name, input_format="FCS (FlowKit gate)")


_NOTE = (
    "Receptor occupancy: SIMULATED (four subjects; true %RO 92-97% at the end of a 2 h "
    "infusion falling to 10-30% at 48 h, per subject in examples/occupancy/README.md)."
)

KIND = AnalysisKind(
    name="occupancy",
    label="Receptor occupancy: %RO = (1 - MFI_post/MFI_pre) x 100, isotype-subtracted, per subject",
    inputs=(
        InputSpec(
            "data",
            "MFI table (subject, time_h, stain = cxcr4/isotype, mfi), or with gates and fcs "
            "a manifest (file, subject, time_h, stain) of the FCS files",
            ("csv", "tsv", "txt", "xlsx"),
            "data",
        ),
        InputSpec(
            "gates",
            "TOML rectangle gates (FCS input)",
            ("toml",),
            "gates",
            required=False,
            flag="--gates",
        ),
        InputSpec(
            "fcs",
            "the FCS files the manifest lists: one .fcs file or a .zip of them",
            ("fcs", "zip"),
            "fcs",
            required=False,
            flag="--fcs",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.occupancy:print_result",
    result="cxcr4lab.assays.occupancy:OccupancyResult",
    plots="cxcr4lab.web.plots.occupancy:figures",
    examples=(
        Example(
            "CXCR4 receptor occupancy, MFI table (simulated)",
            "occupancy",
            {"data": "mfi_table.csv"},
            note=_NOTE,
        ),
        Example(
            "CXCR4 receptor occupancy, FCS files via FlowKit (simulated)",
            "occupancy",
            {"data": "manifest.csv", "gates": "gates.toml", "fcs": "fcs.zip"},
            {"gate": "lymphocytes", "channel": "CXCR4-PE"},
            _NOTE,
        ),
    ),
)
