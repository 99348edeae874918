"""Virtual plates analysed by the assay modules: do they recover the model's Kb? (kind
``virtual_recovery``)

:func:`virtual_plate` makes one SIMULATED plate of an assay by name (:data:`VIRTUAL_ASSAYS`);
:func:`recover_kb` makes one of each, analyses it with the unchanged assay analysis
(:mod:`cxcr4lab.assays`: binding -> Cheng-Prusoff Ki; beta-arrestin, calcium, chemotaxis ->
Leff-Dougall Kb) and records the estimate with its 95 % CI beside the model's Kb (mol/L).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from cxcr4lab.assays import arrestin, binding, calcium, chemotaxis
from cxcr4lab.assays.binding import BindingSettings
from cxcr4lab.assays.calcium import CalciumSettings
from cxcr4lab.assays.chemotaxis import ChemotaxisSettings
from cxcr4lab.assays.inhibition import PlateSettings
from cxcr4lab.assays.kinetic import read_kinetic_bytes
from cxcr4lab.assays.layout import read_layout_bytes
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.readers import read_plates_bytes
from cxcr4lab.core.errors import InputError
from cxcr4lab.core.serial import Serial
from cxcr4lab.receptor.mechanistic import Cxcr4Model
from cxcr4lab.studies.virtual import (
    VirtualPlate,
    virtual_arrestin_plate,
    virtual_binding_plate,
    virtual_calcium_plate,
    virtual_chemotaxis_plate,
)

__all__ = [
    "CHEMOTAXIS_CELLS",
    "VIRTUAL_ASSAYS",
    "RecoveredKb",
    "VirtualRecovery",
    "analyse_virtual_plate",
    "recover_kb",
    "virtual_plate",
]

VIRTUAL_ASSAYS = ("binding", "arrestin", "calcium", "chemotaxis")
"""Assays the model writes plates for, by the name ``cxcr4lab analyze`` uses."""

CHEMOTAXIS_CELLS = ("Jurkat", "Namalwa", "MDA-MB-231")


def virtual_plate(
    model: Cxcr4Model, assay: str, *, seed: int, cell: str = "Jurkat"
) -> VirtualPlate:
    """One SIMULATED plate of ``assay`` (see :data:`VIRTUAL_ASSAYS`); ``cell`` for chemotaxis."""
    if assay not in VIRTUAL_ASSAYS:
        raise InputError(
            f"unknown assay {assay!r}; virtual plates exist for {', '.join(VIRTUAL_ASSAYS)}",
            field="assay",
        )
    if assay == "binding":
        return virtual_binding_plate(model, seed=seed)
    if assay == "arrestin":
        return virtual_arrestin_plate(model, seed=seed)
    if assay == "calcium":
        return virtual_calcium_plate(model, seed=seed)
    if cell not in CHEMOTAXIS_CELLS:
        raise InputError(
            f"unknown cell line {cell!r}; chemotaxis plates exist for "
            f"{', '.join(CHEMOTAXIS_CELLS)}",
            field="cell",
        )
    return virtual_chemotaxis_plate(model, seed=seed, cell=cell)


@dataclass(frozen=True)
class RecoveredKb:
    """One virtual plate's analysis: the estimate (Ki or Kb, mol/L) with its 95 % CI."""

    assay: str
    system: str
    plate: str
    parameter: str
    method: str
    seed: int
    true_molar: float
    estimate_molar: float | None
    lower_molar: float | None
    upper_molar: float | None
    ic50_molar: float
    flags: tuple[str, ...]

    @property
    def covered(self) -> bool:
        """Whether the 95 % CI contains the model's Kb."""
        lo, hi = self.lower_molar, self.upper_molar
        return lo is not None and hi is not None and lo <= self.true_molar <= hi


def analyse_virtual_plate(vp: VirtualPlate, assay: str, *, seed: int) -> RecoveredKb:
    """Analyse a virtual plate with the assay module of ``assay`` (unchanged analysis code)."""
    layout = read_layout_bytes(vp.layout, "layout.toml")
    s = vp.settings
    if assay == "binding" and isinstance(s, BindingSettings):
        bc = binding.analyse(read_plates_bytes(vp.plate, vp.plate_name)[0], layout, s).curve(
            "balixafortide"
        )
        return RecoveredKb(
            assay,
            "engineered (EFC)",
            vp.plate_name,
            "Ki",
            "Cheng-Prusoff Ki",
            seed,
            vp.kb_molar,
            bc.ki_molar,
            bc.ki_lower_molar,
            bc.ki_upper_molar,
            bc.ic50_molar,
            bc.flags,
        )
    if assay == "arrestin" and isinstance(s, PlateSettings):
        plate = read_plates_bytes(vp.plate, vp.plate_name)[0]
        c = arrestin.analyse(plate, layout, s).curve("balixafortide")
        system = "engineered (EFC)"
        method = "Leff-Dougall Kb (plate's CXCL12 curve)"
    elif assay == "calcium" and isinstance(s, CalciumSettings):
        data = read_kinetic_bytes(vp.plate, vp.plate_name)
        c = calcium.analyse(data, layout, s).curve("balixafortide")
        system = "Jurkat"
        method = "Leff-Dougall Kb (peak dF/F0, plate's CXCL12 curve)"
    elif assay == "chemotaxis" and isinstance(s, ChemotaxisSettings):
        plate = read_plates_bytes(vp.plate, vp.plate_name)[0]
        c = chemotaxis.analyse_plate(plate, layout, s).curve("balixafortide")
        system = s.cell_line or "?"
        method = "Leff-Dougall Kb (model's CXCL12 EC50 given)"
    else:
        raise InputError(f"no analysis of a {assay!r} virtual plate", field="assay")
    return RecoveredKb(
        assay,
        system,
        vp.plate_name,
        "Kb",
        method,
        seed,
        vp.kb_molar,
        c.kb_molar,
        c.kb_lower_molar,
        c.kb_upper_molar,
        c.ic50_molar,
        c.flags,
    )


@dataclass(frozen=True)
class VirtualRecovery(Serial):
    """Kb recovered by the assay analyses from SIMULATED plates of one model (mol/L)."""

    kind: ClassVar[str] = "virtual_recovery"

    kb_molar: float
    rows: tuple[RecoveredKb, ...]

    @property
    def all_covered(self) -> bool:
        return all(r.covered for r in self.rows)

    def summary(self) -> pd.DataFrame:
        """One row per plate: estimate and 95 % CI (nM), estimate / true Kb, CI covers Kb."""
        return pd.DataFrame(
            [
                {
                    "assay": r.assay,
                    "system": r.system,
                    "analysis": r.method,
                    "seed": r.seed,
                    "IC50 (nM)": r.ic50_molar / 1e-9,
                    "parameter": r.parameter,
                    "estimate (nM)": _nm(r.estimate_molar),
                    "95% CI lower (nM)": _nm(r.lower_molar),
                    "95% CI upper (nM)": _nm(r.upper_molar),
                    "estimate / model Kb": None
                    if r.estimate_molar is None
                    else r.estimate_molar / r.true_molar,
                    "CI covers model Kb": r.covered,
                    "flags": ", ".join(r.flags),
                }
                for r in self.rows
            ]
        )

    def potencies(self, source: str = "") -> list[Potency]:
        """The recovered Ki/Kb with CIs (SIMULATED plates), for the potency summary."""
        return [
            Potency(
                compound="balixafortide",
                assay=f"{r.assay} (virtual plate, SIMULATED)",
                parameter="Ki" if r.parameter == "Ki" else "Kb",
                value_molar=r.estimate_molar,
                lower_molar=r.lower_molar,
                upper_molar=r.upper_molar,
                system=f"{r.system}; {r.method}",
                source=source,
                flags=r.flags,
            )
            for r in self.rows
        ]


def _nm(v: float | None) -> float | None:
    return None if v is None else v / 1e-9


def recover_kb(model: Cxcr4Model | None = None, *, seed: int = 11) -> VirtualRecovery:
    """One SIMULATED plate per assay (seeds ``seed``, +1, +2; chemotaxis +4 for Jurkat and
    MDA-MB-231), each analysed by its assay module; the 95 % CIs are the modules' own."""
    model = model or Cxcr4Model()
    plan = [
        ("binding", seed, "Jurkat"),
        ("arrestin", seed + 1, "Jurkat"),
        ("calcium", seed + 2, "Jurkat"),
        ("chemotaxis", seed + 4, "Jurkat"),
        ("chemotaxis", seed + 4, "MDA-MB-231"),
    ]
    rows = [
        analyse_virtual_plate(virtual_plate(model, assay, seed=s, cell=cell), assay, seed=s)
        for assay, s, cell in plan
    ]
    return VirtualRecovery(model.kb, tuple(rows))
