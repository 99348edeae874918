"""The ``viability`` kind: MTT viability (absorbance) -> IC50, GI50 and maximal effect."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cxcr4lab.runs._kind import (
    PLATE_FORMATS,
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    OutputSpec,
    compound_mw,
    layout_input,
    read_plate_and_layout,
)
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Settings of an MTT plate; the exposure in h."""

    saturation: float = option(
        "Reader ceiling (OD): absorbance at or above it is refused.", default=4.0, gt=0
    )
    cell_line: str = option("Cell line, e.g. PC-3.", default="")
    hours: float | None = option("Exposure time (24, 48, 72).", default=None, unit="h", gt=0)
    block: str | None = option("Plate block to use when the file holds several.", default=None)


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Blank-subtracted % of vehicle, the 4PL per compound, GI50 and maximal effect."""
    from cxcr4lab.assays.inhibition import PlateSettings
    from cxcr4lab.assays.viability import ViabilitySettings, analyse

    plate, layout, _ = read_plate_and_layout(inputs, options.block)
    settings = ViabilitySettings(
        plate=PlateSettings(saturation=options.saturation),
        cell_line=options.cell_line,
        exposure_h=options.hours,
    )
    result = analyse(plate, layout, settings)
    parameters = {
        "saturation": options.saturation,
        "cell_line": options.cell_line,
        "exposure_h": options.hours,
        "block": result.block,
    }
    return Outcome(result, parameters, f"MTT viability {result.plate}")


def tidy_csv(result: Any) -> str:
    """The result's tidy table for combination analysis, as formula-escaped CSV."""
    from cxcr4lab.core.export import safe_csv

    return safe_csv(result.combination_table())


_NOTE = (
    "MTT viability plate: SIMULATED from a stated truth (PC-3, 48 h; docetaxel IC50 "
    "(4PL midpoint) 3.72 nM as published for PC-3 at 48 h, Hill 1.2, bottom 15%, so GI50 "
    "5.01 nM and maximal effect 85%; balixafortide without effect on viability)."
)

KIND = AnalysisKind(
    name="viability",
    label="MTT viability (IC50, GI50, maximal effect)",
    inputs=(
        InputSpec(
            "plate", "absorbance export: plate-grid CSV, long CSV or xlsx", PLATE_FORMATS, "plate"
        ),
        layout_input("roles vehicle, blank, sample"),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.viability:print_result",
    result="cxcr4lab.assays.viability:ViabilityResult",
    plots="cxcr4lab.web.plots.viability:figures",
    examples=(
        Example(
            "MTT viability, PC-3 48 h, 96-well plate-grid CSV (simulated)",
            "viability",
            {"plate": "mtt_pc3_48h.csv", "layout": "layout96.toml"},
            {"cell_line": "PC-3", "hours": "48"},
            _NOTE,
        ),
    ),
    mw_lookup=compound_mw,
    outputs=(
        OutputSpec(
            "tidy",
            "Also write compound, concentration_M, viability_pct, replicate as CSV "
            "(input for combination analysis).",
            "--tidy",
            tidy_csv,
        ),
    ),
)
