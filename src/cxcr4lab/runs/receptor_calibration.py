"""The ``receptor_calibration`` kind (``cxcr4lab receptor calibrate``): the predicted IC50 of
every published assay against its bound with one Kb, the Kb range meeting every bound, and why
pERK/pAKT sit right of binding (SIMULATED model predictions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, Outcome, compound_mw
from cxcr4lab.runs._receptor import NOTE, kb_option, model_with_kb

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """The model's balixafortide Kb (mol/L)."""

    kb: float = kb_option()


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Predict every published assay with the default model and this Kb."""
    from cxcr4lab.studies.calibration import calibrate

    model = model_with_kb(options.kb)
    result = calibrate(model)
    title = f"Receptor model calibration, Kb {model.kb / 1e-9:.3g} nM (SIMULATED)"
    return Outcome(result, {"kb_molar": model.kb}, title)


KIND = AnalysisKind(
    name="receptor_calibration",
    label="Predicted IC50 of every published assay against its bound, with one Kb (SIMULATED)",
    inputs=(),
    options=Options,
    run=run,
    view="cxcr4lab.commands.receptor_calibration:print_result",
    result="cxcr4lab.studies.calibration:ReceptorCalibration",
    plots="cxcr4lab.web.plots.receptor_calibration:figures",
    examples=(
        Example(
            "Receptor model: one Kb against every published potency bound (SIMULATED)",
            "",
            {},
            {},
            NOTE,
        ),
    ),
    mw_lookup=compound_mw,
    command=("receptor", "calibrate"),
    docs="docs/receptor.md",
)
