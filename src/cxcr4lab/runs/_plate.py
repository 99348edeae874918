"""Options shared by the functional plate kinds (arrestin, calcium, chemotaxis): the agonist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxcr4lab.runs._options import option

__all__ = ["AgonistOptions"]


@dataclass(frozen=True, kw_only=True)
class AgonistOptions:
    """CXCL12 in the antagonist wells (for Kb) and the detector ceiling; mol/L."""

    agonist_conc: float | None = option(
        "CXCL12 in the antagonist wells, e.g. 200 ng/mL or 12.5 nM (gives Kb; empty: no Kb).",
        default=None,
        quantity="concentration",
        example="200 ng/mL",
        mw_of="CXCL12",
    )
    agonist_ec50: float | None = option(
        "CXCL12 EC50 when the plate has no CXCL12 curve.",
        default=None,
        quantity="concentration",
        example="50 ng/mL",
        mw_of="CXCL12",
    )
    agonist_hill: float = option("CXCL12 Hill slope with agonist_ec50.", default=1.0, gt=0)
    saturation: float | None = option(
        "Detector ceiling: readings at or above it are refused.", default=None, gt=0
    )

    def plate_settings(self) -> Any:
        """The :class:`~cxcr4lab.assays.inhibition.PlateSettings` of these options."""
        from cxcr4lab.assays.inhibition import PlateSettings

        return PlateSettings(
            agonist_molar=self.agonist_conc,
            agonist_ec50_molar=self.agonist_ec50,
            agonist_hill=self.agonist_hill,
            saturation=self.saturation,
        )
