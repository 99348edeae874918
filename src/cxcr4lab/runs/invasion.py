"""The ``invasion`` kind: Matrigel Transwell invasion -> invasion index (coated / uncoated
inserts), % of vehicle invasion, IC50 of invasion inhibition. The readouts and options are the
chemotaxis kind's (:mod:`cxcr4lab.runs.chemotaxis`), plus the coating's name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs import chemotaxis
from cxcr4lab.runs._kind import (
    PLATE_FORMATS,
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    compound_mw,
    layout_input,
)
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True, kw_only=True)
class Options(chemotaxis.Options):
    """Settings of an invasion experiment (those of chemotaxis, and the matrix); mol/L."""

    matrix: str = option("Coating of the invasion inserts.", default="Matrigel")


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Cells per insert in the readout's unit, the invasion index per coated insert, % of
    vehicle invasion and the 4PL per compound."""
    from cxcr4lab.assays.chemotaxis import ChemotaxisSettings
    from cxcr4lab.assays.invasion import InvasionSettings, analyse_counts, analyse_plate
    from cxcr4lab.core.errors import InputError

    if options.agonist_ec50 is not None:
        raise InputError(
            "is for a Kb, which the invasion kind does not compute (the invasion index is not "
            "a CXCL12 response): leave it empty",
            field="agonist_ec50",
        )
    settings = InvasionSettings(
        transwell=ChemotaxisSettings(
            plate=options.plate_settings(),
            readout=options.readout,
            standard_model=options.standard_model,
            cell_line=options.cell_line,
        ),
        matrix=options.matrix,
    )
    result, parameters = chemotaxis.analyse_transwell(
        inputs, options, settings, analyse_counts, analyse_plate
    )
    parameters["matrix"] = options.matrix
    return Outcome(result, parameters, f"Invasion {result.source}")


_NOTE = (
    "MDA-MB-231 Matrigel invasion counted in 5 fields per insert: SIMULATED from a stated "
    "truth (uncoated inserts: the chemotaxis example's migration, basal 2,500 cells, CXCL12 "
    "adds 10,000, IC50 8 nM; 40% of migrating cells cross the Matrigel with vehicle; % of "
    "vehicle invasion = 20 + 80 / (1 + [balixafortide] / 10 nM), i.e. IC50 of invasion 10 nM, "
    "Hill 1; a field holds 1/20 of the membrane, Poisson counts)."
)

KIND = AnalysisKind(
    name="invasion",
    label="Invasion, Matrigel Transwell (invasion index, % of vehicle, IC50)",
    inputs=(
        InputSpec(
            "data",
            "plate export (absorbance, fluorescence) or, for counts, a table with columns "
            "well, field, count",
            PLATE_FORMATS,
            "data",
        ),
        layout_input(
            "roles max or vehicle, sample (no_agonist; blank; standard with cells) and "
            'coating = "matrigel" or "none" on every insert'
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.invasion:print_result",
    result="cxcr4lab.assays.invasion:InvasionResult",
    plots="cxcr4lab.web.plots.invasion:figures",
    examples=(
        Example(
            "Invasion, MDA-MB-231, Matrigel-coated and uncoated inserts, microscope counts "
            "(simulated)",
            "invasion",
            {"data": "counts_mda231.csv", "layout": "layout96.toml"},
            {"readout": "counts", "cell_line": "MDA-MB-231", "agonist_conc": "100 ng/mL"},
            _NOTE,
        ),
    ),
    mw_lookup=compound_mw,
)
