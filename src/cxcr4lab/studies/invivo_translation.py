"""Mouse-to-human translation of balixafortide exposure and CXCR4 occupancy (SIMULATED).

It compares the in-vivo study's schedule, balixafortide 20 mg/kg s.c. twice daily in the mouse
(:mod:`cxcr4lab.preclinical.translation`), with the clinical 5.5 mg/kg 2-h IV infusion of the
phase 1b / FORTRESS regimen (days 1-3 and 8-10 of 21; ``pkpd/regimens.toml``). It lives in
``studies/`` because it needs both ``preclinical`` (the animal PK) and ``pkpd`` (the human model
and the occupancy model), which share a rank and may not import each other.

**Clinical PK.** The project's one human balixafortide parameter set,
:data:`cxcr4lab.pkpd.pk.BALIXAFORTIDE_HUMAN` (derived in :mod:`cxcr4lab.pkpd.balixafortide`
from physiology and the seed facts, not fitted; docs/balixafortide_pk.md), the set the regimen
simulation (:mod:`cxcr4lab.pkpd.regimen_simulation`) and the bioanalysis example
(``scripts/simulate_bioanalysis.py``) use too, for a 70 kg patient (385 mg per infusion).

**Occupancy.** ``RO = Cu / (Cu + Kd)`` with ``Cu = fu C`` (fu 0.65 mouse, 0.68 rat and human)
through :class:`cxcr4lab.pkpd.occupancy_model.OccupancyModel` (molar through 1864.1 g/mol, the
compound registry), Kd = the project's balixafortide Kb (0.15 nM,
:data:`cxcr4lab.pkpd.regimen_simulation.DEFAULT_KD_MOLAR`, calibrated to every published IC50
bound; an in-vitro value applied to plasma, no CXCL12 competition). Hours at or above the
target come from :func:`cxcr4lab.pkpd.occupancy_model.time_above` on a 0.01 h (mouse) or
0.02 h (human) grid, applied to the unbound concentration against the concentration that gives
the target (``OccupancyModel.unbound_for_occupancy``; equivalent, since occupancy rises with
concentration, and exact to the grid even where occupancy jumps from 0 to 1 within a step).

**Metrics** (:meth:`BalixafortideTranslation.table`), all unbound, each over a stated window:
Cmax (nM and ng/mL), AUC per day (nM.h/day and ng.h/mL per day) and hours per day at or above
90 % occupancy. Mouse and rat: study day 7 (steady state: t1/2 about 1 h, dosing every 12 h),
at the nominal half-life and at both ends of the seed's 0.3-1.7 h range. Human: dosing day 3
(48-72 h, the highest day of the first 3-day block) and the mean day of the 21-day cycle.

:meth:`BalixafortideTranslation.occupancy_courses` is the data for the mouse-versus-human plot:
occupancy and unbound concentration over the 72 h from the first dose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.pkpd.occupancy_model import (
    BALIXAFORTIDE_FU,
    OccupancyCourse,
    OccupancyModel,
    occupancy_course,
    time_above,
)
from cxcr4lab.pkpd.pk import BALIXAFORTIDE_HUMAN, terminal_half_life
from cxcr4lab.pkpd.regimen_simulation import DEFAULT_KD_MOLAR
from cxcr4lab.pkpd.regimens import Regimen, regimen_events
from cxcr4lab.preclinical.translation import (
    BALIXAFORTIDE_MOUSE,
    BALIXAFORTIDE_RAT,
    STUDY_BALIXAFORTIDE,
    Dosing,
    ExposureCourse,
    SpeciesPk,
    simulate_exposure,
)
from cxcr4lab.sim import Model, State, simulate

__all__ = [
    "HUMAN_WEIGHT_KG",
    "SEED_HALF_LIFE_RANGE_H",
    "BalixafortideTranslation",
    "ExposureRow",
    "human_exposure",
    "translate_balixafortide",
]

HUMAN_WEIGHT_KG = 70.0
"""Body weight of the reference patient (kg)."""
SEED_HALF_LIFE_RANGE_H = (0.3, 1.7)
"""Terminal half-life of balixafortide in mouse, rat, monkey and dog (h; seed_facts.toml)."""

_MOUSE_STEP_H = 0.01
_HUMAN_STEP_H = 0.02
_COURSE_STEP_H = 0.1
_COURSE_HOURS = 72.0
_CYCLE_H = 21 * 24.0


@dataclass(frozen=True)
class ExposureRow(Serial):
    """Unbound exposure of one regimen over a stated window (``basis``)."""

    label: str
    species: str
    regimen: str
    basis: str
    half_life_h: float
    fu: float
    cmax_unbound_nM: float
    cmax_unbound_ng_per_ml: float
    auc_unbound_nM_h_per_day: float
    auc_unbound_ng_h_per_ml_per_day: float
    hours_above_target_per_day: float


@dataclass(frozen=True)
class BalixafortideTranslation(Serial):
    """SIMULATED mouse (and rat) versus human exposure and occupancy of balixafortide: one
    :class:`ExposureRow` per regimen and window, and the first 72 h of occupancy for a plot."""

    kind: ClassVar[str] = "invivo_translation"

    kd_molar: float
    target: float
    rows: tuple[ExposureRow, ...]
    courses: tuple[OccupancyCourse, ...]
    note: str = "SIMULATED: model predictions, no measured animal or patient concentrations"

    def table(self) -> pd.DataFrame:
        """One row per regimen and window, units in the column names."""
        pct = f"{100 * self.target:g}"
        return pd.DataFrame(
            [
                {
                    "regimen": r.label,
                    "species": r.species,
                    "window": r.basis,
                    "t1/2 (h)": r.half_life_h,
                    "fu": r.fu,
                    "unbound Cmax (nM)": r.cmax_unbound_nM,
                    "unbound Cmax (ng/mL)": r.cmax_unbound_ng_per_ml,
                    "unbound AUC (nM·h/day)": r.auc_unbound_nM_h_per_day,
                    "unbound AUC (ng·h/mL per day)": r.auc_unbound_ng_h_per_ml_per_day,
                    f"time ≥ {pct} % RO (h/day)": r.hours_above_target_per_day,
                }
                for r in self.rows
            ]
        )

    def summary(self) -> pd.DataFrame:
        return self.table()

    def occupancy_courses(self) -> pd.DataFrame:
        """Long table for a plot: ``regimen, time (h after first dose), C unbound (nM),
        occupancy (%)``."""
        parts = []
        for c in self.courses:
            parts.append(
                pd.DataFrame(
                    {
                        "regimen": c.source,
                        "time after first dose (h)": c.times_h,
                        "C unbound (nM)": np.asarray(c.unbound_molar) * 1e9,
                        "occupancy (%)": np.asarray(c.occupancy) * 100.0,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def row(self, label: str, basis: str | None = None) -> ExposureRow:
        """The row of regimen ``label`` (and window ``basis`` if given)."""
        for r in self.rows:
            if r.label == label and (basis is None or r.basis == basis):
                return r
        raise InputError(f"no row {quote(label)}", field="label")

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies (app protocol)."""
        return []


def _with_auc(model: Model) -> Model:
    """``model`` with a cumulative unbound-AUC state ``AUCU`` (mg.h/L) integrating ``FU*A1/V1``."""
    return Model(
        f"{model.name}_auc",
        states=(*model.states, State("AUCU", "mg*h/L")),
        parameters=model.parameters,
        equations={**dict(model.equations), "AUCU": "FU*A1/V1"},
        outputs=model.outputs,
        description=model.description,
    )


def human_exposure(
    weight_kg: float = HUMAN_WEIGHT_KG, *, step_h: float = _HUMAN_STEP_H
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times (h from the first infusion), total plasma concentration (mg/L) and cumulative
    unbound AUC (mg.h/L) over one 21-day cycle of balixafortide in the trial regimen
    (``Regimen.balixafortide_eribulin()``), :data:`cxcr4lab.pkpd.pk.BALIXAFORTIDE_HUMAN`
    through :func:`cxcr4lab.sim.simulate` (LSODA, rtol 1e-10)."""
    if not (math.isfinite(weight_kg) and weight_kg > 0):
        raise InputError(f"must be > 0 kg, got {quote(weight_kg)}", field="weight_kg")
    regimen = Regimen.balixafortide_eribulin()
    subjects = pd.DataFrame({"ID": [1], "WT": [weight_kg], "HT": [165.0]})
    events = regimen_events(regimen, subjects, cycles=1)
    events = events[events["DRUG"] == "balixafortide"].drop(columns="DRUG")
    times = np.round(np.arange(0.0, _CYCLE_H + step_h / 2, step_h), 10)
    result = simulate(_with_auc(BALIXAFORTIDE_HUMAN), events, times, rtol=1e-10, atol=1e-12)
    return times, result["Cp"], result["AUCU"]


def _row(
    *,
    label: str,
    species: str,
    regimen: str,
    basis: str,
    half_life_h: float,
    occupancy: OccupancyModel,
    times: np.ndarray,
    total: np.ndarray,
    auc: np.ndarray,
    window: tuple[float, float],
    target: float,
) -> ExposureRow:
    start, end = window
    inside = (times >= start - 1e-9) & (times <= end + 1e-9)
    days = (end - start) / 24.0
    nm_per_mg_l = float(occupancy.to_molar([1.0], "mg/L")[0]) * 1e9
    cmax_u = float(np.max(total[inside])) * occupancy.fu
    a0, a1 = np.interp([start, end], times, auc)
    auc_u = float(a1 - a0) / days
    course = occupancy_course(occupancy, times[inside], total[inside], "mg/L")
    # occupancy rises with Cu, so RO >= target exactly when Cu >= the Cu of the target; the
    # crossings are interpolated in concentration, which the grid follows closely even where
    # occupancy jumps from 0 to ~1 within one step (the first minutes after an s.c. dose)
    threshold = occupancy.unbound_for_occupancy(target)
    hours = time_above(course.times_h, course.unbound_molar, threshold) / days
    return ExposureRow(
        label=label,
        species=species,
        regimen=regimen,
        basis=basis,
        half_life_h=half_life_h,
        fu=occupancy.fu,
        cmax_unbound_nM=cmax_u * nm_per_mg_l,
        cmax_unbound_ng_per_ml=cmax_u * 1000.0,
        auc_unbound_nM_h_per_day=auc_u * nm_per_mg_l,
        auc_unbound_ng_h_per_ml_per_day=auc_u * 1000.0,
        hours_above_target_per_day=hours,
    )


def _animal_rows(
    pk: SpeciesPk,
    dosing: Dosing,
    *,
    label: str,
    day: int,
    kd_molar: float,
    target: float,
) -> tuple[ExposureRow, ExposureCourse]:
    first = dosing.times_h()[0]
    end = max(24.0 * (day + 1), first + _COURSE_HOURS)
    times = np.round(np.arange(0.0, end + _MOUSE_STEP_H / 2, _MOUSE_STEP_H), 10)
    course = simulate_exposure(pk, dosing, times)
    occupancy = OccupancyModel.for_compound(pk.compound, kd_molar=kd_molar, fu=pk.fu)
    row = _row(
        label=label,
        species=pk.species,
        regimen=dosing.label,
        basis=f"study day {day} (steady state)",
        half_life_h=pk.terminal_half_life_h,
        occupancy=occupancy,
        times=times,
        total=np.asarray(course.total_mg_per_l),
        auc=np.asarray(course.auc_unbound),
        window=(24.0 * day, 24.0 * (day + 1)),
        target=target,
    )
    return row, course


def _plot_course(
    occupancy: OccupancyModel, times: np.ndarray, total: np.ndarray, first: float, label: str
) -> OccupancyCourse:
    grid = first + np.arange(0.0, _COURSE_HOURS + _COURSE_STEP_H / 2, _COURSE_STEP_H)
    conc = np.interp(grid, times, total)
    return occupancy_course(occupancy, grid - first, conc, "mg/L", source=label)


def translate_balixafortide(
    *,
    mouse: SpeciesPk = BALIXAFORTIDE_MOUSE,
    rat: SpeciesPk | None = BALIXAFORTIDE_RAT,
    dosing: Dosing = STUDY_BALIXAFORTIDE,
    kd_molar: float = DEFAULT_KD_MOLAR,
    target: float = 0.9,
    half_life_range_h: tuple[float, float] | None = SEED_HALF_LIFE_RANGE_H,
    steady_day: int = 7,
    weight_kg: float = HUMAN_WEIGHT_KG,
) -> BalixafortideTranslation:
    """The translation table (see the module docstring). ``half_life_range_h`` adds mouse rows
    at both ends of the seed's range (``None``: none); ``rat`` adds a rat row at the same
    schedule (``None``: none); ``steady_day`` is the study day the animal rows describe."""
    if not (isinstance(kd_molar, int | float) and math.isfinite(kd_molar) and kd_molar > 0):
        raise InputError(f"must be > 0 mol/L, got {quote(kd_molar)}", field="kd")
    if not (isinstance(target, int | float) and 0 < target < 1):
        raise InputError(f"must be a fraction in (0, 1), got {quote(target)}", field="target")
    if steady_day not in dosing.days:
        raise InputError(
            f"study day {steady_day} has no {dosing.drug} dose ({dosing.label})",
            field="steady_day",
        )
    rows: list[ExposureRow] = []
    courses: list[OccupancyCourse] = []
    label = f"mouse {dosing.dose_mg_per_kg:g} mg/kg s.c. BID"
    animals: list[tuple[SpeciesPk, str]] = [(mouse, label)]
    if half_life_range_h is not None:
        for h in half_life_range_h:
            animals.append((mouse.with_half_life(h), f"{label}, t1/2 {h:g} h"))
    if rat is not None:
        animals.append((rat, f"rat {dosing.dose_mg_per_kg:g} mg/kg s.c. BID"))
    for i, (pk, name) in enumerate(animals):
        row, course = _animal_rows(
            pk, dosing, label=name, day=steady_day, kd_molar=kd_molar, target=target
        )
        rows.append(row)
        if i == 0:
            occupancy = OccupancyModel.for_compound(pk.compound, kd_molar=kd_molar, fu=pk.fu)
            courses.append(
                _plot_course(
                    occupancy,
                    np.asarray(course.times_h),
                    np.asarray(course.total_mg_per_l),
                    dosing.times_h()[0],
                    name,
                )
            )
    times, total, auc = human_exposure(weight_kg)
    occupancy = OccupancyModel.for_compound("balixafortide", kd_molar=kd_molar, fu=BALIXAFORTIDE_FU)
    drug = Regimen.balixafortide_eribulin().drug("balixafortide")
    human = f"human {drug.dose} {drug.infusion_h:g}-h IV infusion"
    regimen = f"days {','.join(map(str, drug.days))} of 21, {weight_kg:g} kg"
    for basis, window in (
        ("dosing day 3", (48.0, 72.0)),
        ("21-day cycle, mean day", (0.0, _CYCLE_H)),
    ):
        rows.append(
            _row(
                label=human,
                species="human",
                regimen=regimen,
                basis=basis,
                half_life_h=terminal_half_life(BALIXAFORTIDE_HUMAN),
                occupancy=occupancy,
                times=times,
                total=total,
                auc=auc,
                window=window,
                target=target,
            )
        )
    courses.append(_plot_course(occupancy, times, total, 0.0, human))
    return BalixafortideTranslation(
        kd_molar=float(kd_molar), target=float(target), rows=tuple(rows), courses=tuple(courses)
    )
