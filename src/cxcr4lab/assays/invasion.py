"""Matrigel invasion (Transwell): invasion index per insert, % of vehicle invasion, IC50.

The protocol (seed: "Cell Invasion Assay (Matrigel Transwell Assay)"): the migration assay of
:mod:`.chemotaxis` run on inserts whose upper surface carries a thin layer of Matrigel, which
the cells must degrade and cross. Beside every coated insert the same condition (control role,
or compound and concentration) runs on uncoated inserts, which count the cells that migrate
at all; then, per Matrigel-coated insert,

    invasion index = cells through the coated insert / mean cells through the uncoated
                     inserts of the same condition
    % of vehicle invasion = 100 x invasion index / mean invasion index of the vehicle

(Albini et al. 1987; Corning's BioCoat protocol). The vehicle is the ``max`` / ``vehicle``
role (CXCL12 with the compound's solvent). The index cancels what the compound does to
motility as such: a compound that slows migration and invasion alike leaves it at 100 %;
what falls is invasiveness. A 4PL of % of vehicle invasion against log10 concentration per
compound (every coated insert a point; top and bottom free) gives the IC50 of invasion
inhibition with its profile-likelihood CI and flags, fitted exactly as the inhibition plates
fit theirs (:func:`cxcr4lab.assays.inhibition.fit_inhibition_curves`).

Cells per insert are read as for chemotaxis (:func:`.chemotaxis.read_counted_inserts`,
:func:`.chemotaxis.read_plate_inserts`): microscope counts per field, crystal violet
absorbance minus the blank, or Calcein-AM through a standard curve. The layout (wellmap TOML)
gives each insert its role, compound and concentration as for chemotaxis, and one more key,
``coating``: ``matrigel`` (or ``coated``) or ``none`` (or ``uncoated``). ``no_agonist`` inserts
(no CXCL12) are optional; their index is shown, not fitted.

Why a kind of its own and not a mode of ``chemotaxis``: its inputs pair two kinds of insert,
its quantity (invasion index, % of vehicle) and its potency (IC50 of invasion, not of
CXCL12-induced migration, and no chemotactic index) differ, and a user looking for an invasion
assay finds it by name in every list of kinds; the readouts and the fit are the chemotaxis
ones, reused.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from cxcr4lab.assays.chemotaxis import (
    ChemotaxisSettings,
    IndexCI,
    InsertCounts,
    InsertReadings,
    StandardCurve,
    ratio_ci,
    read_counted_inserts,
    read_plate_inserts,
)
from cxcr4lab.assays.inhibition import (
    InhibitionCurve,
    PlateWell,
    curve_potencies,
    fit_inhibition_curves,
)
from cxcr4lab.assays.layout import Layout
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.readers import PlateData
from cxcr4lab.assays.tabular import Table
from cxcr4lab.assays.wells import well_position
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "ASSAY",
    "COATINGS",
    "VEHICLE",
    "InvasionCondition",
    "InvasionInsert",
    "InvasionResult",
    "InvasionSettings",
    "analyse_counts",
    "analyse_plate",
    "invasion_indices",
]

ASSAY = "invasion (Matrigel Transwell)"
"""The assay's name in potency tables."""

VEHICLE = ("max", "vehicle")
"""Layout roles of the vehicle inserts (CXCL12 + the compound's solvent): 100 % invasion."""

COATINGS = {
    "matrigel": True,
    "coated": True,
    "yes": True,
    "true": True,
    "none": False,
    "uncoated": False,
    "no": False,
    "false": False,
}
"""Values of the layout's ``coating`` key: Matrigel-coated (True) or uncoated (False)."""

_ROLES = (*VEHICLE, "no_agonist", "sample")
_UNITS = {
    "counts": "cells per field",
    "absorbance": "absorbance (OD, blank-subtracted)",
    "fluorescence": "cells (from the standard curve)",
}
_NM = 1e-9
Condition = tuple[str, str | None, float | None]


@dataclass(frozen=True)
class InvasionSettings(Serial):
    """``transwell``: the readout, standard curve, CXCL12 and CI level as for chemotaxis;
    ``matrix``: the coating (for the record)."""

    transwell: ChemotaxisSettings
    matrix: str = "Matrigel"


@dataclass(frozen=True)
class InvasionInsert:
    """One insert: its condition, coating and cells (in the result's unit); for a coated insert
    the mean of its uncoated controls, its invasion index and % of vehicle invasion; the reason
    it was excluded, if it was."""

    well: str
    role: str
    compound: str | None
    conc_molar: float | None
    coated: bool
    cells: float | None
    control_mean: float | None = None
    invasion_index: float | None = None
    pct_of_vehicle: float | None = None
    excluded: str | None = None


@dataclass(frozen=True)
class InvasionCondition:
    """One condition: inserts and mean cells per coating, the invasion index (ratio of the
    means) and the mean % of vehicle invasion of its coated inserts."""

    role: str
    compound: str | None
    conc_molar: float | None
    n_coated: int
    n_uncoated: int
    coated_mean: float
    uncoated_mean: float
    invasion_index: float
    pct_of_vehicle: float
    sd_pct_of_vehicle: float | None


@dataclass(frozen=True)
class InvasionResult(Serial):
    """One invasion experiment analysed (frozen; ``to_dict``/``from_dict`` round-trip)."""

    kind: ClassVar[str] = "invasion"

    source: str
    block: str
    settings: InvasionSettings
    unit: str
    plate_wells: int
    blank_mean: float | None
    standard: StandardCurve | None
    counts: tuple[InsertCounts, ...]
    inserts: tuple[InvasionInsert, ...]
    conditions: tuple[InvasionCondition, ...]
    vehicle_index: IndexCI
    curves: tuple[InhibitionCurve, ...]

    def curve(self, compound: str) -> InhibitionCurve:
        for c in self.curves:
            if c.compound.lower() == compound.lower():
                return c
        raise KeyError(f"no curve for {quote(compound)}")

    def wells(self) -> tuple[PlateWell, ...]:
        """The coated inserts as plate wells (signal = invasion index, response = % of
        vehicle), the points of the fits."""
        return _plate_wells(self.inserts)

    def summary(self) -> pd.DataFrame:
        """One row per compound: IC50 of invasion inhibition (nM) with its CI, slope,
        plateaus (% of vehicle invasion), maximal inhibition, flags."""
        rows = []
        for c in self.curves:
            p = c.fit.params
            rows.append(
                {
                    "compound": c.compound,
                    "readout": self.settings.transwell.readout,
                    "n_points": c.fit.n,
                    "ic50_nM": c.ic50_molar / _NM,
                    "ic50_lower_nM": None
                    if c.ic50_lower_molar is None
                    else c.ic50_lower_molar / _NM,
                    "ic50_upper_nM": None
                    if c.ic50_upper_molar is None
                    else c.ic50_upper_molar / _NM,
                    "hill": p["hill"],
                    "top_pct": p["top"],
                    "bottom_pct": p["bottom"],
                    "max_inhibition_pct": c.max_inhibition_pct,
                    "tested_nM": f"{c.conc_min_molar / _NM:.3g}-{c.conc_max_molar / _NM:.3g}",
                    "flags": ",".join(c.flags),
                }
            )
        return pd.DataFrame(rows)

    def index_table(self) -> pd.DataFrame:
        """Per condition: inserts and mean cells coated and uncoated, invasion index, % of
        vehicle invasion (mean and SD over the coated inserts)."""
        return pd.DataFrame(
            [
                {
                    "role": c.role,
                    "compound": c.compound or c.role,
                    "conc_nM": None if c.conc_molar is None else c.conc_molar / _NM,
                    "n_coated": c.n_coated,
                    "n_uncoated": c.n_uncoated,
                    "coated_mean": c.coated_mean,
                    "uncoated_mean": c.uncoated_mean,
                    "invasion_index": c.invasion_index,
                    "pct_of_vehicle": c.pct_of_vehicle,
                    "sd_pct_of_vehicle": c.sd_pct_of_vehicle,
                }
                for c in self.conditions
            ]
        )

    def inserts_table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(i) for i in self.inserts])

    def potencies(self, source: str = "") -> list[Potency]:
        s = self.settings.transwell
        system = ", ".join(
            x
            for x in (
                s.cell_line,
                f"{self.settings.matrix} Transwell, {s.readout}",
                ""
                if s.plate.agonist_molar is None
                else f"{s.plate.agonist} {s.plate.agonist_molar / _NM:.3g} nM",
            )
            if x
        )
        return [
            p
            for c in self.curves
            for p in curve_potencies(c, assay=ASSAY, system=system, source=source or self.source)
        ]


# --- the analysis ------------------------------------------------------------------------------


def analyse_counts(table: Table, layout: Layout, settings: InvasionSettings) -> InvasionResult:
    """Invasion from microscope counts (columns ``well``, ``count``, optionally ``field``)."""
    if settings.transwell.readout != "counts":
        raise InputError("a plate reading is read with analyse_plate", field="readout")
    return _analyse(layout, settings, read_counted_inserts(table, layout))


def analyse_plate(plate: PlateData, layout: Layout, settings: InvasionSettings) -> InvasionResult:
    """Invasion from a crystal-violet (absorbance) or Calcein-AM (fluorescence) plate."""
    if settings.transwell.readout == "counts":
        raise InputError("counts are read from a table: use analyse_counts", field="readout")
    return _analyse(layout, settings, read_plate_inserts(plate, layout, settings.transwell))


def _coatings(layout: Layout) -> dict[str, bool]:
    """well -> coated, for every insert (standard and blank wells are not inserts)."""
    used = layout.wells_used()
    inserts = used[~used["role"].isin(("standard", "blank"))]
    if "coating" not in layout.table.columns:
        raise InputError(
            'no \'coating\' key: give every insert coating = "matrigel" or "none" (the '
            "uncoated control inserts)",
            file=layout.source,
            column="coating",
        )
    out: dict[str, bool] = {}
    for well, role, value in zip(inserts["well"], inserts["role"], inserts["coating"], strict=True):
        if role not in _ROLES:
            raise InputError(
                f"role {quote(role)} has no meaning in an invasion assay; roles: "
                f"{', '.join(_ROLES)} (and blank, standard for plate readouts)",
                file=layout.source,
                well=str(well),
                column="role",
            )
        coated = COATINGS.get(str(value).strip().lower()) if isinstance(value, str) else None
        if coated is None:
            raise InputError(
                f"coating {quote(value)} is not one of {', '.join(COATINGS)}",
                file=layout.source,
                well=str(well),
                column="coating",
            )
        out[str(well)] = coated
    return out


def invasion_indices(
    cells: dict[str, float],
    conditions: dict[str, Condition],
    coated: dict[str, bool],
    *,
    place: Place,
) -> tuple[dict[str, float], dict[str, float], float]:
    """(invasion index per coated insert, mean of its uncoated controls, mean index of the
    vehicle) from cells per insert, each insert's condition (role, compound, conc) and coating.

    >>> cond = {w: ("vehicle", None, None) for w in ("A1", "A2", "B1", "B2")}
    >>> idx, ctrl, veh = invasion_indices(
    ...     {"A1": 30.0, "A2": 50.0, "B1": 100.0, "B2": 100.0},
    ...     cond,
    ...     {"A1": True, "A2": True, "B1": False, "B2": False},
    ...     place=Place(file="x"),
    ... )
    >>> idx, veh
    ({'A1': 0.3, 'A2': 0.5}, 0.4)
    """
    uncoated: dict[Condition, list[str]] = {}
    for w, cond in conditions.items():
        if not coated[w]:
            uncoated.setdefault(cond, []).append(w)
    index: dict[str, float] = {}
    control: dict[str, float] = {}
    for w in sorted((w for w in conditions if coated[w]), key=well_position):
        cond = conditions[w]
        partners = uncoated.get(cond)
        if not partners:
            raise InputError(
                f"Matrigel-coated insert of {_describe(cond)} has no uncoated control insert of "
                'the same condition (coating = "none") to divide by',
                place=place,
                well=w,
            )
        mean = float(np.mean([cells[p] for p in partners]))
        if not mean > 0:
            raise InputError(
                f"the uncoated control inserts of {_describe(cond)} ({', '.join(partners)}) have "
                f"a mean of {mean:.4g} cells: the invasion index of {w} is undefined",
                place=place,
                well=partners[0],
            )
        control[w] = mean
        index[w] = cells[w] / mean
    vehicle = [index[w] for w in index if conditions[w][0] in VEHICLE]
    if not vehicle:
        raise InputError(
            'no Matrigel-coated vehicle insert (role max or vehicle, coating = "matrigel"): '
            "% of vehicle invasion needs it",
            place=place,
        )
    vehicle_mean = float(np.mean(vehicle))
    if not vehicle_mean > 0:
        raise InputError(
            "no cell crossed the Matrigel of any vehicle insert: % of vehicle invasion is "
            "undefined",
            place=place,
        )
    return index, control, vehicle_mean


def _describe(cond: Condition) -> str:
    role, compound, conc = cond
    if role == "sample":
        return f"{compound} {0.0 if conc is None else conc / _NM:.4g} nM"
    return f"the {role} condition"


def _condition(role: str, compound: object, conc: object) -> Condition:
    c = None if not isinstance(conc, float) or math.isnan(conc) else conc
    name = compound if isinstance(compound, str) else None
    if role != "sample":
        return (role, None, None)
    return (role, name, c)


def _analyse(
    layout: Layout, settings: InvasionSettings, readings: InsertReadings
) -> InvasionResult:
    coated = _coatings(layout)
    used = layout.wells_used()
    conditions: dict[str, Condition] = {}
    excluded: dict[str, str] = {}
    meta: dict[str, tuple[str, str | None, float | None]] = {}
    for rec in used.to_dict("records"):
        w = str(rec["well"])
        if w not in coated:
            continue
        cond = _condition(str(rec["role"]), rec["compound"], rec["conc_molar"])
        meta[w] = (str(rec["role"]), cond[1] if rec["role"] == "sample" else None, cond[2])
        if isinstance(rec["exclude"], str):
            excluded[w] = rec["exclude"]
        else:
            conditions[w] = cond
    cells = {w: float(v) for w, v in readings.values.items() if w in conditions}
    for w, v in cells.items():
        if not math.isfinite(v):
            raise InputError("the insert's reading is not a number", place=readings.place, well=w)
    index, control, vehicle_mean = invasion_indices(cells, conditions, coated, place=readings.place)
    inserts = tuple(
        InvasionInsert(
            well=w,
            role=meta[w][0],
            compound=meta[w][1],
            conc_molar=meta[w][2],
            coated=coated[w],
            cells=cells.get(w),
            control_mean=control.get(w),
            invasion_index=index.get(w),
            pct_of_vehicle=None if w not in index else 100.0 * index[w] / vehicle_mean,
            excluded=excluded.get(w),
        )
        for w in sorted(meta, key=well_position)
    )
    alpha = settings.transwell.plate.alpha
    wells = _plate_wells(inserts)
    if not any(w.role == "sample" and w.excluded is None for w in wells):
        raise InputError(
            "no Matrigel-coated insert with role 'sample' (a compound at a concentration)",
            file=layout.source,
        )
    curves = fit_inhibition_curves(wells, settings.transwell.plate, readings.place)
    vehicle_coated = np.array([cells[w] for w in index if conditions[w][0] in VEHICLE], dtype=float)
    vehicle_uncoated = np.array(
        [cells[w] for w in conditions if not coated[w] and conditions[w][0] in VEHICLE],
        dtype=float,
    )
    return InvasionResult(
        source=readings.source,
        block=readings.block,
        settings=settings,
        unit=_UNITS[settings.transwell.readout],
        plate_wells=layout.format.wells,
        blank_mean=readings.blank_mean,
        standard=readings.standard,
        counts=readings.counts,
        inserts=inserts,
        conditions=_conditions(inserts, conditions),
        vehicle_index=ratio_ci(vehicle_coated, vehicle_uncoated, alpha),
        curves=curves,
    )


def _plate_wells(inserts: tuple[InvasionInsert, ...]) -> tuple[PlateWell, ...]:
    return tuple(
        PlateWell(
            well=i.well,
            role=i.role,
            compound=i.compound,
            conc_molar=i.conc_molar,
            signal=i.invasion_index,
            response_pct=i.pct_of_vehicle,
            excluded=i.excluded,
        )
        for i in inserts
        if i.coated
    )


def _conditions(
    inserts: tuple[InvasionInsert, ...], conditions: dict[str, Condition]
) -> tuple[InvasionCondition, ...]:
    groups: dict[Condition, list[InvasionInsert]] = {}
    for i in inserts:
        if i.excluded is None:
            groups.setdefault(conditions[i.well], []).append(i)
    out = []
    for (role, compound, conc), group in groups.items():
        top = [i for i in group if i.coated]
        if not top:
            continue
        bottom = [i for i in group if not i.coated]
        pct = np.array([i.pct_of_vehicle for i in top], dtype=float)
        coated_mean = float(np.mean([i.cells for i in top]))
        uncoated_mean = float(np.mean([i.cells for i in bottom]))
        out.append(
            InvasionCondition(
                role=role,
                compound=compound,
                conc_molar=conc,
                n_coated=len(top),
                n_uncoated=len(bottom),
                coated_mean=coated_mean,
                uncoated_mean=uncoated_mean,
                invasion_index=coated_mean / uncoated_mean,
                pct_of_vehicle=float(pct.mean()),
                sd_pct_of_vehicle=float(pct.std(ddof=1)) if len(pct) > 1 else None,
            )
        )
    order = {r: k for k, r in enumerate(_ROLES)}
    out.sort(key=lambda c: (order[c.role], c.compound or "", c.conc_molar or 0.0))
    return tuple(out)
