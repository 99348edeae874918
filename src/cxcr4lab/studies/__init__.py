"""Studies (domain layer, above :mod:`cxcr4lab.assays`): the mechanistic CXCL12/CXCR4 model of
:mod:`cxcr4lab.receptor` combined with the assay analyses. Every result here is SIMULATED.

- :mod:`.calibration`: one balixafortide Kb against every published potency bound, and the
  fold-shift decomposition of the pERK/pAKT IC50s (:class:`~.calibration.ReceptorCalibration`,
  kind ``receptor_calibration``).
- :mod:`.virtual`: simulated plates for the assay analyses and a simulated Schild experiment.
- :mod:`.schild_study`: the Schild experiment as a stored result (kind ``schild``).
- :mod:`.recovery`: virtual plates analysed by the assay modules (kind ``virtual_recovery``).

The receptor theory and the models themselves stay in :mod:`cxcr4lab.receptor`, below the
assays; this package may use both, and neither may use it.
"""

from cxcr4lab.studies.calibration import (
    CELL_LINES,
    CONDITIONS,
    MECHANISMS,
    PUBLISHED,
    PUBLISHED_SOURCE,
    AssayCondition,
    AssayPrediction,
    ModelParameter,
    ReceptorCalibration,
    ShiftFactor,
    calibrate,
    predict_ic50,
    shift_decomposition,
)
from cxcr4lab.studies.recovery import (
    CHEMOTAXIS_CELLS,
    VIRTUAL_ASSAYS,
    RecoveredKb,
    VirtualRecovery,
    analyse_virtual_plate,
    recover_kb,
    virtual_plate,
)
from cxcr4lab.studies.schild_study import (
    SCHILD_READOUTS,
    DoseRatio,
    SchildRegression,
    SchildStudy,
    schild_regression_ci,
    schild_study,
)
from cxcr4lab.studies.virtual import (
    SchildExperiment,
    VirtualPlate,
    schild_experiment,
    virtual_arrestin_plate,
    virtual_binding_plate,
    virtual_calcium_plate,
    virtual_chemotaxis_plate,
)

__all__ = [
    "CELL_LINES",
    "CHEMOTAXIS_CELLS",
    "CONDITIONS",
    "MECHANISMS",
    "PUBLISHED",
    "PUBLISHED_SOURCE",
    "SCHILD_READOUTS",
    "VIRTUAL_ASSAYS",
    "AssayCondition",
    "AssayPrediction",
    "DoseRatio",
    "ModelParameter",
    "ReceptorCalibration",
    "RecoveredKb",
    "SchildExperiment",
    "SchildRegression",
    "SchildStudy",
    "ShiftFactor",
    "VirtualPlate",
    "VirtualRecovery",
    "analyse_virtual_plate",
    "calibrate",
    "predict_ic50",
    "recover_kb",
    "schild_experiment",
    "schild_regression_ci",
    "schild_study",
    "shift_decomposition",
    "virtual_arrestin_plate",
    "virtual_binding_plate",
    "virtual_calcium_plate",
    "virtual_chemotaxis_plate",
    "virtual_plate",
]
