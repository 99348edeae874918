"""Assays (domain layer): plate readers, layouts, QC, and one analysis module per assay.

Binding is in :mod:`cxcr4lab.assays.binding`; the other assays of the seed protocols follow.
"""

from cxcr4lab.assays.binding import (
    BindingResult,
    BindingSettings,
    CompetitionCurve,
    WellRecord,
    analyse,
)
from cxcr4lab.assays.bioanalysis import BioanalysisResult, BioanalysisSettings
from cxcr4lab.assays.cd34 import Cd34Result, Cd34Settings
from cxcr4lab.assays.elisa import ElisaResult, ElisaSettings
from cxcr4lab.assays.ihc import IhcResult, IhcSettings
from cxcr4lab.assays.layout import Layout, read_layout, read_layout_bytes
from cxcr4lab.assays.occupancy import OccupancyResult, OccupancySettings
from cxcr4lab.assays.qc import PlateQC, QCThresholds, percent_of_controls, plate_qc
from cxcr4lab.assays.readers import PlateData, read_plate, read_plates, read_plates_bytes
from cxcr4lab.assays.tabular import Table, read_table_bytes
from cxcr4lab.assays.wells import PlateFormat

__all__ = [
    "BindingResult",
    "BindingSettings",
    "BioanalysisResult",
    "BioanalysisSettings",
    "Cd34Result",
    "Cd34Settings",
    "CompetitionCurve",
    "ElisaResult",
    "ElisaSettings",
    "IhcResult",
    "IhcSettings",
    "Layout",
    "OccupancyResult",
    "OccupancySettings",
    "PlateData",
    "PlateFormat",
    "PlateQC",
    "QCThresholds",
    "Table",
    "WellRecord",
    "analyse",
    "percent_of_controls",
    "plate_qc",
    "read_layout",
    "read_layout_bytes",
    "read_plate",
    "read_plates",
    "read_plates_bytes",
    "read_table_bytes",
]
