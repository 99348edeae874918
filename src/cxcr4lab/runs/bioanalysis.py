"""The ``bioanalysis`` kind: an LC-MS/MS run (weighted calibration, QCs, ICH M10 acceptance)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Settings of an LC-MS/MS run analysis."""

    regression: Literal["linear", "quadratic"] = option(
        "Calibration model: linear or quadratic.", default="linear"
    )
    weighting: Literal["1/x^2", "1/x", "none"] = option(
        "Regression weighting: 1/x^2, 1/x or none.", default="1/x^2"
    )
    analyte: str = option(
        "Registry compound measured (its molecular weight gives nM).", default="balixafortide"
    )
    unit: str = option("Unit of 'nominal': ng/mL, pg/mL or µg/mL.", default="ng/mL")


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Calibrate, back-calculate, judge the run by ICH M10 and quantify the unknowns."""
    from cxcr4lab.assays.bioanalysis import BioanalysisSettings, analyse
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.runs._kind import compound_mw

    name, content = inputs["run"]
    settings = BioanalysisSettings(
        regression=options.regression,
        weighting=options.weighting,
        analyte=options.analyte,
        unit=options.unit,
        mw_g_per_mol=compound_mw(options.analyte),
    )
    result = analyse(read_table_bytes(content, name), settings)
    parameters = {
        "regression": options.regression,
        "weighting": options.weighting,
        "analyte": options.analyte,
        "unit": options.unit,
    }
    return Outcome(result, parameters, f"LC-MS/MS {options.analyte} {name}")


_NOTE = (
    "LC-MS/MS runs: SIMULATED (balixafortide 5.5 mg/kg as a 2 h IV infusion, assumed "
    "two-compartment PK with terminal half-life ~9 h; run 2 has faults put in on purpose "
    "and must fail ICH M10 acceptance)."
)

KIND = AnalysisKind(
    name="bioanalysis",
    label="LC-MS/MS: weighted calibration, back-calculated accuracy, ICH M10 run acceptance, "
    "ng/mL and nM",
    inputs=(
        InputSpec(
            "run",
            "run table: sample_id, type (blank/zero/calibrator/qc/unknown), nominal, "
            "analyte_area, is_area; optional dilution, subject, time_h",
            ("csv", "tsv", "txt", "xlsx"),
            "run",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.bioanalysis:print_result",
    result="cxcr4lab.assays.bioanalysis:BioanalysisResult",
    plots="cxcr4lab.web.plots.bioanalysis:figures",
    examples=(
        Example(
            "LC-MS/MS balixafortide in plasma, run 1 (simulated)",
            "bioanalysis",
            {"run": "run1.csv"},
            note=_NOTE,
        ),
        Example(
            "LC-MS/MS balixafortide in plasma, run 2 with faults (simulated)",
            "bioanalysis",
            {"run": "run2_failed.csv"},
            note=_NOTE,
        ),
    ),
)
