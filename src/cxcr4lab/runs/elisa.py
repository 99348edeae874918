"""The ``elisa`` kind: ELISA standard curve (4PL/5PL) and unknowns with ICH M10 acceptance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cxcr4lab.runs._kind import (
    PLATE_FORMATS,
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    layout_input,
    read_plate_and_layout,
)
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Settings of an ELISA plate."""

    model: Literal["auto", "4pl", "5pl"] = option(
        "Standard curve: auto (F test 4PL vs 5PL), 4pl or 5pl.", default="auto"
    )
    weighting: Literal["none", "1/y", "1/y^2"] = option(
        "Weights of the standard curve fit.", default="none"
    )
    block: str | None = option("Plate block to use when the file holds several.", default=None)


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Fit the standard curve, read back the unknowns times their dilution, judge the run."""
    from cxcr4lab.assays.elisa import ElisaSettings, analyse

    plate, layout, _ = read_plate_and_layout(inputs, options.block, mw=False)
    result = analyse(plate, layout, ElisaSettings(model=options.model, weighting=options.weighting))
    parameters = {"model": options.model, "weighting": options.weighting, "block": result.block}
    return Outcome(result, parameters, f"ELISA {result.analyte} {inputs['plate'][0]}")


_NOTE = (
    "ELISA plates: SIMULATED (PC-3 bone-metastasis design, 4 arms x 5 mice; serum TRAcP 5b, "
    "IFN-γ, IL-2 with arm means stated in examples/elisa/README.md; 5PL/4PL true curves, "
    "3% OD noise)."
)

KIND = AnalysisKind(
    name="elisa",
    label="ELISA (standard curve, unknowns)",
    inputs=(
        InputSpec(
            "plate", "plate export of OD: plate-grid CSV, long CSV or xlsx", PLATE_FORMATS, "plate"
        ),
        layout_input("roles standard with level, blank, unknown with sample and dilution, qc"),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.elisa:print_result",
    result="cxcr4lab.assays.elisa:ElisaResult",
    plots="cxcr4lab.web.plots.elisa:figures",
    examples=tuple(
        Example(
            f"ELISA {label}, serum, day 29 (simulated)",
            "elisa",
            {"plate": f"{key}_plate.csv", "layout": f"{key}_layout.toml"},
            {},
            _NOTE,
        )
        for key, label in (("trap5b", "TRAcP 5b"), ("ifng", "IFN-γ"), ("il2", "IL-2"))
    ),
)
