"""The ``cd34`` kind: ISHAGE single-platform absolute CD34+ counts.

From a count table, or from FCS files gated through FlowKit with ``--gates``: one ``.fcs``
file, or several zipped in one ``.zip`` (a folder of files cannot be one upload; see
:mod:`cxcr4lab.runs._fcs`), one sample per file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from cxcr4lab.runs._fcs import FCS_FORMATS, fcs_files
from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

if TYPE_CHECKING:
    from cxcr4lab.assays.cd34 import Cd34Result

__all__ = ["KIND", "Options"]

TABLE_FORMATS = ("csv", "tsv", "txt", "xlsx")


@dataclass(frozen=True)
class Options:
    """Settings of the FCS route (a count table carries its own per tube)."""

    beads_per_tube: float | None = option(
        "Counting beads per tube, from the bead lot (FCS input).", default=None, gt=0
    )
    volume_ul: float | None = option(
        "Blood volume per tube (FCS input).", default=None, unit="µL", gt=0
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """CD34+ cells per µL (ISHAGE single platform), viability, minimum-event QC."""
    from cxcr4lab.assays.cd34 import Cd34Settings, analyse, counts_from_table
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.core.errors import InputError

    name, content = inputs["data"]
    title = f"CD34+ enumeration {name}"
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in FCS_FORMATS:
        if "gates" in inputs:
            raise InputError(
                "are for FCS input; DATA is a count table (give FCS files or drop the gates)",
                field="gates",
            )
        counts = counts_from_table(read_table_bytes(content, name))
        result = analyse(counts, Cd34Settings(), source=name, input_format="count table")
        return Outcome(result, {}, title)
    if "gates" not in inputs:
        raise InputError(
            "is needed with FCS files: TOML rectangle gates named cd45, cd34, beads",
            field="gates",
        )
    beads, volume = options.beads_per_tube, options.volume_ul
    if beads is None:
        raise InputError(
            "is needed with FCS files (beads per tube of the lot)", field="beads_per_tube"
        )
    if volume is None:
        raise InputError("is needed with FCS files (blood volume per tube, µL)", field="volume_ul")
    result = _from_fcs(inputs, beads, volume)
    parameters = {"beads_per_tube": beads, "volume_ul": volume}
    return Outcome(result, parameters, title)


def _from_fcs(
    inputs: Mapping[str, InputFile], beads_per_tube: float, volume_ul: float
) -> Cd34Result:
    from cxcr4lab.assays.cd34 import Cd34Settings, GateNames, analyse, counts_from_events
    from cxcr4lab.assays.flow import read_fcs_bytes, read_gates_bytes

    gate_set = read_gates_bytes(inputs["gates"][1], inputs["gates"][0])
    counts = [
        counts_from_events(
            read_fcs_bytes(content, name),
            gate_set,
            GateNames(),
            sample=PurePosixPath(name).stem,
            beads_per_tube=beads_per_tube,
            volume_ul=volume_ul,
        )
        for name, content in fcs_files(inputs["data"])
    ]
    source = inputs["data"][0]
    return analyse(counts, Cd34Settings(), source=source, input_format="FCS (FlowKit gates)")


_NOTE = (
    "CD34+ counts: SIMULATED (six donors of the 1500 µg/kg cohort, true peak mean 38.2 "
    "CD34+/µL as in seed_facts; the FCS demo tube is CD34-enriched 10x, true 382/µL, and "
    "fails QC on purpose)."
)

KIND = AnalysisKind(
    name="cd34",
    label="CD34+ cells per µL (ISHAGE single platform), viability, minimum-event QC",
    inputs=(
        InputSpec(
            "data",
            "count table (sample, cd45_events, cd34_events, bead_events, beads_per_tube, "
            "volume_ul; optional viable_* events), or FCS files with gates: one .fcs file or "
            "a .zip of them",
            (*TABLE_FORMATS, *FCS_FORMATS),
            "data",
        ),
        InputSpec(
            "gates",
            "TOML rectangle gates named cd45, cd34, beads (viable_cd45, viable_cd34)",
            ("toml",),
            "gates",
            required=False,
            flag="--gates",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.cd34:print_result",
    result="cxcr4lab.assays.cd34:Cd34Result",
    plots="cxcr4lab.web.plots.cd34:figures",
    examples=(
        Example(
            "CD34+ enumeration, ISHAGE count table (simulated)",
            "cd34",
            {"data": "counts.csv"},
            note=_NOTE,
        ),
        Example(
            "CD34+ enumeration, FCS demo tube via FlowKit (simulated)",
            "cd34",
            {"data": "demo_tube.fcs", "gates": "gates.toml"},
            {"beads_per_tube": "50000", "volume_ul": "100"},
            _NOTE,
        ),
    ),
)
