"""Beta-arrestin recruitment (enzyme-fragment complementation, luminescence): IC50 and Kb.

The protocol (seeds: "β-Arrestin Recruitment Assay"): engineered cells co-expressing tagged
CXCR4 and tagged beta-arrestin (e.g. PathHunter) in 96- or 384-well white plates; antagonist
serial dilutions pre-incubated, then CXCL12 at a fixed concentration (typically its EC80),
60-90 min at 37 °C, detection reagent, luminescence. Analysis (:mod:`.inhibition`):

1. controls: ``max`` (CXCL12 at the EC80 with vehicle) = 100 %, ``min`` or ``no_agonist``
   (no CXCL12, or CXCL12 with an excess of a reference antagonist) = 0 %; plate QC from them;
2. % of control per well; replicate mean/SD/CV; a 4PL per compound -> IC50 (profile CI);
3. CXCL12's own curve on the same plate (role ``agonist``) -> its EC50 and slope, and where the
   EC80 really sat on that plate;
4. Kb = IC50 / ((2 + ([A]/EC50)^n)^(1/n) - 1) (Leff & Dougall 1993), with a CI that carries the
   uncertainty of IC50, EC50 and slope;
5. edge effect (outer ring vs interior residuals) and flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from cxcr4lab.assays.inhibition import (
    ControlRoles,
    InhibitionCurve,
    InhibitionPlate,
    PlateSettings,
    analyse_inhibition,
    curve_potencies,
)
from cxcr4lab.assays.layout import Layout
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.readers import PlateData
from cxcr4lab.core.serial import Serial

__all__ = ["ASSAY", "ROLES", "ArrestinResult", "analyse"]

ASSAY = "beta-arrestin recruitment"
"""The assay's name in potency tables (as in the published values)."""

ROLES = ControlRoles(
    high=("max", "vehicle"),
    low=("min", "no_agonist"),
    high_label="max (CXCL12 + vehicle)",
    low_label="min (no CXCL12)",
)


@dataclass(frozen=True)
class ArrestinResult(Serial):
    """One beta-arrestin plate analysed (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "arrestin"

    plate: str
    block: str
    settings: PlateSettings
    analysis: InhibitionPlate

    @property
    def plate_wells(self) -> int:
        return self.analysis.plate_wells

    @property
    def curves(self) -> tuple[InhibitionCurve, ...]:
        return self.analysis.curves

    def curve(self, compound: str) -> InhibitionCurve:
        return self.analysis.curve(compound)

    def summary(self) -> pd.DataFrame:
        """One row per compound: IC50 and Kb (nM) with 95% CIs, slope, plateaus, flags."""
        return self.analysis.summary()

    def wells_table(self) -> pd.DataFrame:
        return self.analysis.wells_table()

    def replicate_table(self) -> pd.DataFrame:
        return self.analysis.replicate_table()

    def potencies(self, source: str = "") -> list[Potency]:
        system = "EFC luminescence"
        if self.settings.agonist_molar is not None:
            system += f", {self.settings.agonist} {self.settings.agonist_molar / 1e-9:.3g} nM"
        return [
            p
            for c in self.curves
            for p in curve_potencies(c, assay=ASSAY, system=system, source=source or self.plate)
        ]


def analyse(plate: PlateData, layout: Layout, settings: PlateSettings) -> ArrestinResult:
    """Analyse one beta-arrestin plate read by :func:`~cxcr4lab.assays.readers.read_plate`."""
    values = dict(zip(plate.table["well"], plate.table["signal"].astype(float), strict=True))
    analysis = analyse_inhibition(
        values,
        layout,
        settings,
        plate_format=plate.format,
        place=plate.place(),
        roles=ROLES,
        assay="beta-arrestin",
    )
    return ArrestinResult(plate.source, plate.block, settings, analysis)
