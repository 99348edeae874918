"""Regimen comparison: receptor occupancy against grade >= 3 neutropenia (SIMULATED patients).

Every candidate schedule is simulated in the *same* seeded virtual population (common random
numbers, :func:`~cxcr4lab.pkpd.regimen_simulation.course_arrays`), so differences between rows
come from the schedules, not from resampling. Per schedule:

- hours with CXCR4 occupancy >= the target (default 90 %) as % of the course, with the
  population's 5th, 50th and 95th percentiles;
- the patients who *hold* the target: occupancy >= target throughout every eribulin dosing day
  (24 h from each eribulin dose, on the simulation grid), with an exact 95 % CI;
- P(grade >= 3 neutropenia) (nadir ANC < 1.0 x 10^9/L at any time of the course) and
  P(grade 4) with exact (Clopper-Pearson) 95 % CIs, and the nadir ANC percentiles;
- the verdict ``meets both``: P(hold) >= ``hold_fraction`` and P(grade >= 3) <= ``limit``
  (point estimates; the CIs show the Monte Carlo uncertainty).

Schedules can be written as text (:func:`parse_schedule`)::

    balixafortide 5.5 mg/kg d1-3,8-10 + eribulin 1.4 mg/m^2 d2,9

Infusion length, time of day and compartment of each drug come from the trial regimen
(balixafortide 2-h infusions, eribulin IV bolus; ``pkpd/regimens.toml``).

>>> reg = parse_schedule("balixafortide 2 mg/kg d1-3 + eribulin 1.1 mg/m^2 d2,9")
>>> [(d.drug, str(d.dose), d.days) for d in reg.drugs]
[('balixafortide', '2 mg/kg', (1, 2, 3)), ('eribulin', '1.1 mg/m^2', (2, 9))]
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.pkpd.mobilization import MobilizationResult
from cxcr4lab.pkpd.neutropenia import ctcae_grade
from cxcr4lab.pkpd.occupancy_model import OccupancyModel
from cxcr4lab.pkpd.regimen_simulation import (
    DRUGS,
    ChunkMap,
    SimulationSettings,
    assumption_notes,
    cd34_link,
    check_size,
    chunked_course_arrays,
    course_arrays,
    eribulin_day_coverage,
    proportion_ci,
    time_above_rows,
    virtual_population,
)
from cxcr4lab.pkpd.regimens import DrugDosing, Regimen, parse_dose, regimen_events

__all__ = [
    "ComparisonRow",
    "RegimenComparison",
    "compare_regimens",
    "default_candidates",
    "describe",
    "parse_days",
    "parse_schedule",
]

Three = tuple[float, float, float]


def parse_days(text: str, *, place: Place | None = None) -> tuple[int, ...]:
    """``"1-3,8-10"`` -> (1, 2, 3, 8, 9, 10): 1-based cycle days, ranges inclusive."""
    where = place or Place(field="days")
    days: list[int] = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if m is None:
            raise InputError(f"cannot read days {quote(text)}; write e.g. d1-3,8-10", place=where)
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise InputError(f"day range {quote(part.strip())} runs backwards", place=where)
        days.extend(range(lo, hi + 1))
    if sorted(set(days)) != days:
        raise InputError(f"days {quote(text)} must increase without repeats", place=where)
    return tuple(days)


def describe(dosing: DrugDosing) -> str:
    """``"5.5 mg/kg d1-3,8-10"``: a dose and its days, ranges collapsed."""
    runs: list[str] = []
    days = list(dosing.days)
    i = 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[j] + 1:
            j += 1
        runs.append(str(days[i]) if i == j else f"{days[i]}-{days[j]}")
        i = j + 1
    return f"{dosing.dose} d{','.join(runs)}"


def _title(regimen: Regimen) -> str:
    return " + ".join(f"{d.drug} {describe(d)}" for d in regimen.drugs)


def parse_schedule(
    text: str, *, name: str | None = None, cycle_days: int = 21, place: Place | None = None
) -> Regimen:
    """A :class:`Regimen` from ``"<drug> <dose> d<days> + <drug> <dose> d<days>"``.

    Drugs are those the simulation models (balixafortide, eribulin); each keeps the infusion
    length, time of day and compartment of the trial regimen."""
    where = place or Place(field="schedule")
    trial = Regimen.balixafortide_eribulin()
    drugs: list[DrugDosing] = []
    for part in re.split(r"[+;]", text):
        m = re.fullmatch(r"\s*([A-Za-z][\w-]*)\s+(.+?)\s+d\s*([\d\s,-]+)\s*", part)
        if m is None:
            raise InputError(
                f"cannot read {quote(part.strip())}; write e.g. 'balixafortide 5.5 mg/kg d1-3,8-10'",
                place=where,
            )
        drug = m.group(1).lower()
        if drug not in DRUGS:
            raise InputError(
                f"unknown drug {quote(m.group(1))}: the simulation has models for {', '.join(DRUGS)}",
                place=where,
            )
        try:
            dose = parse_dose(m.group(2), place=where)
        except InputError as exc:
            raise type(exc)(f"{drug}: {exc.message}", place=where) from None
        drugs.append(replace(trial.drug(drug), dose=dose, days=parse_days(m.group(3), place=where)))
    try:
        regimen = Regimen(
            name=name or text.strip(), cycle_days=cycle_days, drugs=tuple(drugs), title=""
        )
    except InputError as exc:
        raise InputError(exc.message, place=where) from None
    return replace(regimen, title=_title(regimen))


def default_candidates() -> tuple[Regimen, ...]:
    """Balixafortide 2.0, 3.0, 4.0, 5.5 mg/kg on days 1-3 and 8-10 and 5.5 mg/kg on days 1-3
    only, each with eribulin 1.4 mg/m^2 (trial dose) and 1.1 mg/m^2 (reduced) on days 2 and 9
    of a 21-day cycle."""
    out = []
    for days in ("1-3,8-10", "1-3"):
        doses = (2.0, 3.0, 4.0, 5.5) if days == "1-3,8-10" else (5.5,)
        for b in doses:
            for e in (1.4, 1.1):
                text = f"balixafortide {b:g} mg/kg d{days} + eribulin {e:g} mg/m^2 d2,9"
                out.append(parse_schedule(text))
    return tuple(out)


@dataclass(frozen=True)
class ComparisonRow(Serial):
    """One schedule's outcome in the virtual population (see the module docstring): time
    above target (% of the course) and nadir ANC (10^9/L) percentiles 5/50/95, counts of
    patients holding the target and with grade >= 3 / grade 4 neutropenia (of ``n``), and the
    median balixafortide Cmax (ug/mL) and AUC (ug·h/mL) of cycle 1."""

    regimen: Regimen
    above: Three
    held: int
    grade3: int
    grade4: int
    n: int
    nadir: Three
    cmax: float
    auc: float

    @property
    def name(self) -> str:
        return self.regimen.name

    @property
    def p_held(self) -> float:
        return self.held / self.n

    @property
    def p_grade3(self) -> float:
        return self.grade3 / self.n

    @property
    def p_grade4(self) -> float:
        return self.grade4 / self.n

    def ci(self, what: str, level: float = 0.95) -> tuple[float, float]:
        """Exact CI of ``"held"``, ``"grade3"`` or ``"grade4"``."""
        counts = {"held": self.held, "grade3": self.grade3, "grade4": self.grade4}
        if what not in counts:
            raise InputError(f"no proportion {quote(what)}", field="ci")
        return proportion_ci(counts[what], self.n, level)


@dataclass(frozen=True)
class RegimenComparison(Serial):
    """Schedules compared in one SIMULATED virtual population, with the verdict thresholds:
    occupancy held by >= ``hold_fraction`` of patients and P(grade >= 3) <= ``limit``."""

    kind: ClassVar[str] = "regimen_comparison"

    settings: SimulationSettings
    hold_fraction: float
    limit: float
    rows: tuple[ComparisonRow, ...]
    covariates_source: str = ""
    notes: tuple[str, ...] = field(default=())

    def meets_occupancy(self, row: ComparisonRow) -> bool:
        return row.p_held >= self.hold_fraction

    def meets_safety(self, row: ComparisonRow) -> bool:
        return row.p_grade3 <= self.limit

    def meets_both(self, row: ComparisonRow) -> bool:
        return self.meets_occupancy(row) and self.meets_safety(row)

    def row(self, name: str) -> ComparisonRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise InputError(f"no schedule {quote(name)}", field="schedule")

    def summary(self) -> pd.DataFrame:
        """One row per schedule; proportions as fractions, with exact 95 % CIs."""
        target = f"{100 * self.settings.target:g}%"
        out = []
        for r in self.rows:
            held, g3 = r.ci("held"), r.ci("grade3")
            out.append(
                {
                    "schedule": r.regimen.title or r.name,
                    f"RO >= {target} median (% of time)": r.above[1],
                    f"RO >= {target} 5% (% of time)": r.above[0],
                    f"RO >= {target} 95% (% of time)": r.above[2],
                    "P(hold target)": r.p_held,
                    "P(hold) 95% CI lower": held[0],
                    "P(hold) 95% CI upper": held[1],
                    "P(grade>=3)": r.p_grade3,
                    "P(grade>=3) 95% CI lower": g3[0],
                    "P(grade>=3) 95% CI upper": g3[1],
                    "P(grade 4)": r.p_grade4,
                    "nadir ANC median (10^9/L)": r.nadir[1],
                    "nadir ANC 5% (10^9/L)": r.nadir[0],
                    "nadir ANC 95% (10^9/L)": r.nadir[2],
                    "Cmax cycle 1 median (µg/mL)": r.cmax,
                    "AUC cycle 1 median (µg·h/mL)": r.auc,
                    "meets both": self.meets_both(r),
                }
            )
        return pd.DataFrame(out)

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies (app protocol: result kinds list the potencies they estimate)."""
        return []


def _fraction(value: float, name: str, *, zero_ok: bool) -> float:
    v = float(value)
    if not (math.isfinite(v) and (v >= 0 if zero_ok else v > 0) and v <= 1):
        span = "[0, 1]" if zero_ok else "(0, 1]"
        raise InputError(f"must be a fraction in {span}, got {quote(value)}", field=name)
    return v


def compare_regimens(
    candidates: Sequence[Regimen] | None = None,
    settings: SimulationSettings | None = None,
    *,
    hold_fraction: float = 0.9,
    limit: float = 0.5,
    covariates: pd.DataFrame | None = None,
    covariates_source: str = "",
    mobilization: MobilizationResult | None = None,
    progress: Callable[[str], None] | None = None,
    chunk_map: ChunkMap | None = None,
) -> RegimenComparison:
    """Simulate every candidate (default :func:`default_candidates`) in one virtual
    population and judge it against the occupancy and neutropenia thresholds; with
    ``chunk_map``, in chunks of patients run by it
    (:func:`~cxcr4lab.pkpd.regimen_simulation.chunked_course_arrays`)."""
    st = settings or SimulationSettings()
    hold = _fraction(hold_fraction, "held-by", zero_ok=False)
    lim = _fraction(limit, "limit", zero_ok=True)
    regs = tuple(candidates) if candidates is not None else default_candidates()
    if not regs:
        raise InputError("no schedules to compare", field="schedule")
    names = [r.name for r in regs]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputError(f"schedule {quote(dup)} is listed twice", field="schedule")
    say = progress or (lambda _msg: None)
    for reg in regs:
        check_size(reg, st, st.n_patients if covariates is None else len(covariates))
    if covariates is not None:
        for reg in regs:
            regimen_events(reg, covariates, 1, row_base=2)
    pop = virtual_population(st, covariates)
    link = cd34_link(mobilization, keo_half_life_h=st.keo_half_life_h)
    occ = OccupancyModel.for_compound("balixafortide", kd_molar=st.kd_molar)
    cache: dict[str, Any] = {}
    rows = []
    for reg in regs:
        say(reg.title or reg.name)
        if chunk_map is None:
            arr = course_arrays(reg, pop, st, link=link, occupancy=occ, cache=cache)
        else:
            arr = chunked_course_arrays(reg, pop, st, link=link, occupancy=occ, chunk_map=chunk_map)
        total = float(arr.t[-1] - arr.t[0])
        above = 100.0 * time_above_rows(arr.t, arr.ro, st.target) / total
        coverage = eribulin_day_coverage(arr, st.target)
        nadir = arr.anc.min(axis=1)
        grade = ctcae_grade(np.clip(nadir, 0.0, None))
        first = arr.t <= arr.cycle_h + 1e-9
        last = int(np.flatnonzero(first)[-1])
        p5, p50, p95 = np.percentile(above, [5.0, 50.0, 95.0])
        n5, n50, n95 = np.percentile(nadir, [5.0, 50.0, 95.0])
        rows.append(
            ComparisonRow(
                regimen=reg,
                above=(float(p5), float(p50), float(p95)),
                held=int(np.sum(coverage >= 1.0)),
                grade3=int(np.sum(grade >= 3)),
                grade4=int(np.sum(grade >= 4)),
                n=int(nadir.size),
                nadir=(float(n5), float(n50), float(n95)),
                cmax=float(np.median(arr.cp[:, first].max(axis=1))),
                auc=float(np.median(arr.auc[:, last] - arr.auc[:, 0])),
            )
        )
    notes = assumption_notes(st, None)
    notes.append(
        f"A patient holds the target when occupancy stays >= {100 * st.target:g}% throughout "
        "every eribulin dosing day (24 h from each eribulin dose). Verdict 'meets both': "
        f"P(hold) >= {hold:g} and P(grade >= 3) <= {lim:g} (point estimates; the CIs are "
        "Monte Carlo uncertainty of the virtual population, not parameter uncertainty)."
    )
    return RegimenComparison(
        settings=st,
        hold_fraction=hold,
        limit=lim,
        rows=tuple(rows),
        covariates_source=covariates_source or "sampled: MBC_WOMEN (cxcr4lab.pkpd.population)",
        notes=tuple(notes),
    )
