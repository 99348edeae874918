"""The ``chemotaxis`` kind: Transwell/Boyden migration -> chemotactic index, IC50 (Kb with the
CXCL12 EC50)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.runs._kind import (
    PLATE_FORMATS,
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    compound_mw,
    layout_input,
    read_plate_and_layout,
)
from cxcr4lab.runs._options import option
from cxcr4lab.runs._plate import AgonistOptions

__all__ = ["KIND", "Options", "analyse_transwell"]


@dataclass(frozen=True, kw_only=True)
class Options(AgonistOptions):
    """Settings of a chemotaxis experiment; concentrations in mol/L."""

    readout: Literal["counts", "absorbance", "fluorescence"] = option(
        "counts (fields per insert), absorbance (crystal violet, needs blank wells) or "
        "fluorescence (Calcein-AM, needs standard wells with 'cells')."
    )
    standard_model: Literal["linear", "4pl"] = option(
        "Fluorescence standard curve: linear or 4pl.", default="linear"
    )
    cell_line: str = option("Cell line, e.g. Jurkat.", default="")
    block: str | None = option("Plate block to use when the file holds several.", default=None)


def analyse_transwell(
    inputs: Mapping[str, InputFile],
    options: Options,
    settings: Any,
    counts: Callable[..., Any],
    plate: Callable[..., Any],
) -> tuple[Any, dict[str, Any]]:
    """The inserts read by ``options.readout`` (counted fields: a table; absorbance or
    fluorescence: a plate; both with the layout), analysed by ``counts(table, layout,
    settings)`` or ``plate(plate, layout, settings)``; the result and the parameters to store
    (the chemotaxis and invasion kinds)."""
    if options.readout == "counts":
        from cxcr4lab.assays.layout import read_layout_bytes
        from cxcr4lab.assays.tabular import read_table_bytes

        name, content = inputs["data"]
        layout_name, layout_bytes = inputs["layout"]
        layout = read_layout_bytes(layout_bytes, layout_name, mw_lookup=compound_mw)
        result = counts(read_table_bytes(content, name), layout, settings)
    else:
        read, layout, _ = read_plate_and_layout(
            {"plate": inputs["data"], "layout": inputs["layout"]}, options.block
        )
        result = plate(read, layout, settings)
    parameters = {
        "readout": options.readout,
        "standard_model": options.standard_model,
        "agonist_molar": options.agonist_conc,
        "agonist_ec50_molar": options.agonist_ec50,
        "agonist_hill": options.agonist_hill,
        "cell_line": options.cell_line,
        "block": result.block,
    }
    return result, parameters


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Migration per insert in the readout's unit, then the inhibition fits and the index."""
    from cxcr4lab.assays.chemotaxis import ChemotaxisSettings, analyse_counts, analyse_plate

    settings = ChemotaxisSettings(
        plate=options.plate_settings(),
        readout=options.readout,
        standard_model=options.standard_model,
        cell_line=options.cell_line,
    )
    result, parameters = analyse_transwell(inputs, options, settings, analyse_counts, analyse_plate)
    return Outcome(result, parameters, f"Chemotaxis {result.source}")


_NOTES = {
    "fluorescence": "Jurkat Calcein-AM chemotaxis: SIMULATED from a stated truth (RFU = 150 "
    "+ 2.0 per cell; basal 3,000 migrated cells, CXCL12 100 ng/mL adds 12,000, chemotactic "
    "index 5.0; IC50 balixafortide 3.0 nM, plerixafor 100 nM, Hill 1).",
    "absorbance": "MDA-MB-231 crystal-violet chemotaxis: SIMULATED from a stated truth "
    "(A570 = 0.08 + 8e-5 per cell; basal 2,500 cells, CXCL12 adds 10,000, index 5.0; IC50 "
    "balixafortide 8.0 nM, plerixafor 100 nM, Hill 1).",
    "counts": "MDA-MB-231 chemotaxis counted in 5 fields per insert: SIMULATED from the same "
    "truth as the crystal-violet plate (a field holds 1/100 of the membrane, Poisson counts).",
}

KIND = AnalysisKind(
    name="chemotaxis",
    label="Chemotaxis, Transwell (chemotactic index, IC50)",
    inputs=(
        InputSpec(
            "data",
            "plate export (absorbance, fluorescence) or, for counts, a table with columns "
            "well, field, count",
            PLATE_FORMATS,
            "data",
        ),
        layout_input("roles max or vehicle, no_agonist, sample (blank; standard with cells)"),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.chemotaxis:print_result",
    result="cxcr4lab.assays.chemotaxis:ChemotaxisResult",
    plots="cxcr4lab.web.plots.chemotaxis:figures",
    examples=tuple(
        Example(
            title,
            "chemotaxis",
            {"data": data, "layout": layout},
            {"readout": readout, "cell_line": cell_line, "agonist_conc": "100 ng/mL"},
            _NOTES[readout],
        )
        for data, layout, readout, cell_line, title in (
            (
                "calcein_jurkat.csv",
                "layout96_calcein.toml",
                "fluorescence",
                "Jurkat",
                "Chemotaxis, Jurkat, Calcein-AM with a cell standard curve (simulated)",
            ),
            (
                "crystal_violet_mda231.csv",
                "layout96_crystal_violet.toml",
                "absorbance",
                "MDA-MB-231",
                "Chemotaxis, MDA-MB-231, crystal violet absorbance (simulated)",
            ),
            (
                "counts_mda231.csv",
                "layout96.toml",
                "counts",
                "MDA-MB-231",
                "Chemotaxis, MDA-MB-231, microscope counts in 5 fields per insert (simulated)",
            ),
        )
    ),
    mw_lookup=compound_mw,
)
