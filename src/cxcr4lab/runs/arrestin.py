"""The ``arrestin`` kind: beta-arrestin recruitment (IC50; Kb by Leff-Dougall)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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

__all__ = ["KIND", "Options"]


@dataclass(frozen=True, kw_only=True)
class Options(AgonistOptions):
    """Settings of a beta-arrestin plate; concentrations in mol/L."""

    block: str | None = option("Plate block to use when the file holds several.", default=None)


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Normalise to the max/min controls, fit each compound, derive Kb where CXCL12 is known."""
    from cxcr4lab.assays.arrestin import analyse

    plate, layout, _ = read_plate_and_layout(inputs, options.block)
    result = analyse(plate, layout, options.plate_settings())
    parameters = {
        "agonist_molar": options.agonist_conc,
        "agonist_ec50_molar": options.agonist_ec50,
        "agonist_hill": options.agonist_hill,
        "block": result.block,
    }
    return Outcome(result, parameters, f"Beta-arrestin {result.plate}")


_NOTE = (
    "Beta-arrestin plates: SIMULATED from a stated truth (CXCL12 EC50 50 ng/mL, Hill 1, added at "
    "200 ng/mL = EC80; Kb balixafortide 1.0 nM (IC50 5 nM), plerixafor 40 nM (IC50 200 nM); "
    "run 2 has its outer ring 20% low)."
)

KIND = AnalysisKind(
    name="arrestin",
    label="Beta-arrestin recruitment (IC50, Kb)",
    inputs=(
        InputSpec(
            "plate",
            "plate export of luminescence: plate-grid CSV, long CSV or xlsx",
            PLATE_FORMATS,
            "plate",
        ),
        layout_input("roles max, min, sample; agonist for a CXCL12 curve"),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.arrestin:print_result",
    result="cxcr4lab.assays.arrestin:ArrestinResult",
    plots="cxcr4lab.web.plots.arrestin:figures",
    examples=tuple(
        Example(
            title,
            "arrestin",
            {"plate": plate, "layout": "layout96.toml"},
            {"agonist_conc": "200 ng/mL"},
            _NOTE,
        )
        for plate, title in (
            ("plate96_run1.csv", "Beta-arrestin, 96-well plate-grid CSV, run 1 (simulated)"),
            (
                "plate96_run2_long.csv",
                "Beta-arrestin, 96-well long CSV, run 2 with edge effect (simulated)",
            ),
        )
    ),
    mw_lookup=compound_mw,
)
