"""Dosing regimens: body-surface area, dose bases (mg/kg, mg/m^2, flat mg) and cycle schedules.

A :class:`Regimen` is one or more :class:`DrugDosing` entries given on days of a cycle.
:func:`regimen_events` turns it into NONMEM-style dose records (one row per dose, time in h
from day 1 = 0, amounts in mg, rates in mg/h) using each subject's weight (kg) and height (cm).

>>> round(bsa_mosteller(height_cm=180.0, weight_kg=80.0), 6)
2.0
>>> parse_dose("5.5 mg/kg")
DoseSpec(amount=5.5, basis='mg/kg')
>>> reg = Regimen.balixafortide_eribulin()
>>> reg.cycle_days, [d.drug for d in reg.drugs]
(21, ['balixafortide', 'eribulin'])
>>> import pandas as pd
>>> ev = regimen_events(reg, pd.DataFrame({"ID": [1], "WT": [70.0], "HT": [165.0]}), cycles=1)
>>> ev[["TIME", "AMT", "RATE", "CMT"]].head(3).round(3).values.tolist()
[[0.0, 385.0, 192.5, 1.0], [24.0, 385.0, 192.5, 1.0], [24.0, 2.508, 0.0, 2.0]]
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar, Literal

import pandas as pd

from cxcr4lab.core.errors import InputError, NotFoundError, Place, UnitError, quote
from cxcr4lab.core.serial import Serial, converter, stored
from cxcr4lab.core.units import check_range, parse_quantity, per_body_weight

__all__ = [
    "BSA_METHODS",
    "EVENT_COLUMNS",
    "DoseSpec",
    "DrugDosing",
    "Regimen",
    "available_regimens",
    "bsa",
    "bsa_dubois",
    "bsa_mosteller",
    "dose_mg",
    "load_regimen",
    "parse_dose",
    "regimen_events",
]

Basis = Literal["mg/kg", "mg/m^2", "mg"]
BsaMethod = Literal["mosteller", "dubois"]
BSA_METHODS: tuple[BsaMethod, ...] = ("mosteller", "dubois")
EVENT_COLUMNS = ("ID", "TIME", "EVID", "AMT", "RATE", "II", "ADDL", "CMT", "DRUG")
"""Columns of :func:`regimen_events` (shared with the simulation engine)."""


def _positive(value: float, name: str, place: Place) -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"{name} must be a positive number, got {value!r}", place=place)
    return v


def bsa_mosteller(*, height_cm: float, weight_kg: float) -> float:
    """Body-surface area (m^2) by Mosteller (N Engl J Med 1987;317:1098): sqrt(h*w/3600)."""
    h = _positive(height_cm, "height (cm)", Place(field="HT"))
    w = _positive(weight_kg, "weight (kg)", Place(field="WT"))
    return math.sqrt(h * w / 3600.0)


def bsa_dubois(*, height_cm: float, weight_kg: float) -> float:
    """Body-surface area (m^2) by DuBois & DuBois (Arch Intern Med 1916;17:863):
    0.007184 * w^0.425 * h^0.725 (w in kg, h in cm)."""
    h = _positive(height_cm, "height (cm)", Place(field="HT"))
    w = _positive(weight_kg, "weight (kg)", Place(field="WT"))
    return float(0.007184 * w**0.425 * h**0.725)


def bsa(method: str, *, height_cm: float, weight_kg: float) -> float:
    """Body-surface area (m^2) by ``method`` (``"mosteller"`` or ``"dubois"``)."""
    if method == "mosteller":
        return bsa_mosteller(height_cm=height_cm, weight_kg=weight_kg)
    if method == "dubois":
        return bsa_dubois(height_cm=height_cm, weight_kg=weight_kg)
    raise InputError(f"unknown BSA method {method!r}; use mosteller or dubois", field="bsa_method")


@dataclass(frozen=True)
class DoseSpec:
    """A dose: ``amount`` in mg per ``basis`` (``"mg/kg"``, ``"mg/m^2"``) or flat mg."""

    amount: float
    basis: Basis

    def __post_init__(self) -> None:
        if self.basis not in ("mg/kg", "mg/m^2", "mg"):
            raise InputError(f"unknown dose basis {self.basis!r}", field="dose")
        _positive(self.amount, "dose", Place(field="dose"))

    def __str__(self) -> str:
        return f"{self.amount:g} {self.basis}"


def parse_dose(text: str, *, place: Place | None = None) -> DoseSpec:
    """A :class:`DoseSpec` from text such as ``"5.5 mg/kg"``, ``"500 ug/kg"``, ``"1.4 mg/m^2"``
    or ``"100 mg"`` (converted to mg; a unit of any other kind, or a dose outside its plausible
    range (``core.units.RANGES``), raises :class:`UnitError`)."""
    where = place or Place(field="dose")
    q = parse_quantity(text, place=where)
    basis: Basis
    if q.check("[mass]"):
        amount, basis, kind = float(q.to("mg").magnitude), "mg", "dose"
    elif q.check("[mass] / [length] ** 2"):
        amount, basis, kind = (
            float(q.to("mg/m**2").magnitude),
            "mg/m^2",
            "dose per body-surface area",
        )
    elif q.dimensionless and per_body_weight(q):
        amount, basis, kind = float(q.to("mg/kg").magnitude), "mg/kg", "dose per body weight"
    else:
        raise UnitError(
            f"{quote(text)} is not a dose: use a mass (mg), mass per body weight (mg/kg) "
            "or mass per body-surface area (mg/m^2)",
            place=where,
        )
    spec = DoseSpec(amount, basis)  # refuses a dose that is not positive
    check_range(amount, kind, place=where, shown=quote(text))
    return spec


def _dose_from_json(value: object, _: object) -> DoseSpec:
    if isinstance(value, DoseSpec):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a dose such as '5.5 mg/kg', got {quote(value)}")
    return parse_dose(value)


# A regimen stores each dose as its text ("5.5 mg/kg"), as written in regimens.toml.
converter.register_unstructure_hook(DoseSpec, str)
converter.register_structure_hook(DoseSpec, _dose_from_json)


def dose_mg(
    spec: DoseSpec,
    *,
    weight_kg: float | None = None,
    bsa_m2: float | None = None,
    place: Place | None = None,
) -> float:
    """The dose in mg for one subject; mg/kg needs ``weight_kg``, mg/m^2 needs ``bsa_m2``."""
    where = place or Place(field="dose")
    if spec.basis == "mg":
        return spec.amount
    if spec.basis == "mg/kg":
        if weight_kg is None or not math.isfinite(weight_kg) or weight_kg <= 0:
            raise InputError(
                f"a {spec} dose needs a body weight > 0 (kg), got {weight_kg!r}",
                place=where,
                column="WT",
            )
        return spec.amount * weight_kg
    if bsa_m2 is None or not math.isfinite(bsa_m2) or bsa_m2 <= 0:
        raise InputError(
            f"a {spec} dose needs a body-surface area > 0 (height and weight), got {bsa_m2!r}",
            place=where,
            column="HT",
        )
    return spec.amount * bsa_m2


@dataclass(frozen=True)
class DrugDosing(Serial):
    """One drug of a regimen: ``dose`` on ``days`` (1-based within the cycle), infused over
    ``infusion_h`` hours (0 = bolus), starting ``time_of_day_h`` h into the day, into ``cmt``."""

    drug: str
    dose: DoseSpec
    days: tuple[int, ...]
    infusion_h: float = 0.0
    cmt: int = 1
    time_of_day_h: float = 0.0
    route: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        where = Place(field=f"drug {self.drug!r}")
        if not self.drug.strip():
            raise InputError("drug name is empty", field="drug")
        if not self.days:
            raise InputError("no dosing days", place=where)
        if len(set(self.days)) != len(self.days) or list(self.days) != sorted(self.days):
            raise InputError(f"days must be increasing and distinct, got {self.days}", place=where)
        if self.days[0] < 1:
            raise InputError(f"days are 1-based; got day {self.days[0]}", place=where)
        if not (math.isfinite(self.infusion_h) and self.infusion_h >= 0):
            raise InputError(f"infusion_h must be >= 0, got {self.infusion_h}", place=where)
        if not (math.isfinite(self.time_of_day_h) and 0 <= self.time_of_day_h < 24):
            raise InputError(
                f"time_of_day_h must be in [0, 24), got {self.time_of_day_h}", place=where
            )
        if isinstance(self.cmt, bool) or not isinstance(self.cmt, int) or self.cmt < 1:
            raise InputError(f"cmt is a 1-based compartment number, got {self.cmt!r}", place=where)

    @property
    def is_bolus(self) -> bool:
        return self.infusion_h == 0


@stored(order=("name", "cycle_days", "bsa_method", "title", "source"))  # then drugs
@dataclass(frozen=True)
class Regimen(Serial):
    """Several drugs dosed on days of a ``cycle_days``-day cycle; mg/m^2 doses use
    ``bsa_method``. Infusions of one compartment may not overlap (checked on construction)."""

    kind: ClassVar[str] = "regimen"

    name: str
    cycle_days: int
    drugs: tuple[DrugDosing, ...]
    bsa_method: BsaMethod = "mosteller"
    title: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        where = Place(field=f"regimen {self.name!r}")
        if self.cycle_days < 1:
            raise InputError(f"cycle_days must be >= 1, got {self.cycle_days}", place=where)
        if not self.drugs:
            raise InputError("a regimen needs at least one drug", place=where)
        if self.bsa_method not in BSA_METHODS:
            raise InputError(
                f"unknown BSA method {self.bsa_method!r}; use mosteller or dubois", place=where
            )
        names = [d.drug for d in self.drugs]
        if len(set(names)) != len(names):
            raise InputError(f"a drug is listed twice: {names}", place=where)
        for d in self.drugs:
            if d.days[-1] > self.cycle_days:
                raise InputError(
                    f"{d.drug}: day {d.days[-1]} is after the end of the {self.cycle_days}-day "
                    "cycle",
                    place=where,
                )
        self._check_overlap(where)

    def _check_overlap(self, where: Place) -> None:
        cycle_h = 24.0 * self.cycle_days
        by_cmt: dict[int, list[tuple[float, float, str]]] = {}
        for d in self.drugs:
            for day in d.days:
                start = 24.0 * (day - 1) + d.time_of_day_h
                # the next cycle's first dose is checked through the wrap-around copy below
                by_cmt.setdefault(d.cmt, []).append((start, start + d.infusion_h, d.drug))
        for cmt, spans in by_cmt.items():
            spans = sorted(spans + [(a + cycle_h, b + cycle_h, n) for a, b, n in spans])
            for (a0, b0, n0), (a1, _, n1) in itertools.pairwise(spans):
                if b0 > a1 and a0 < cycle_h:
                    raise InputError(
                        f"infusions overlap in compartment {cmt}: {n0} from {a0:g} h to {b0:g} h "
                        f"and {n1} from {a1:g} h",
                        place=where,
                    )

    def drug(self, name: str) -> DrugDosing:
        for d in self.drugs:
            if d.drug == name:
                return d
        raise NotFoundError(f"regimen {self.name!r} has no drug {name!r}")

    @classmethod
    def balixafortide_eribulin(cls) -> Regimen:
        """The trial regimen: balixafortide 5.5 mg/kg IV (2 h) on days 1-3 and 8-10, eribulin
        1.4 mg/m^2 IV bolus on days 2 and 9 of a 21-day cycle (seed_facts.toml)."""
        return load_regimen("balixafortide_eribulin")

    def summary(self) -> pd.DataFrame:
        """One row per drug: dose, days, infusion duration (h), compartment."""
        return pd.DataFrame(
            [
                {
                    "drug": d.drug,
                    "dose": str(d.dose),
                    "days (of cycle)": ",".join(map(str, d.days)),
                    "cycle (days)": self.cycle_days,
                    "infusion (h)": d.infusion_h,
                    "start in day (h)": d.time_of_day_h,
                    "CMT": d.cmt,
                    "route": d.route,
                }
                for d in self.drugs
            ]
        )

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies (app protocol: result kinds list the potencies they estimate)."""
        return []


def _shipped() -> dict[str, Any]:
    text = resources.files("cxcr4lab.pkpd").joinpath("regimens.toml").read_text("utf-8")
    return tomllib.loads(text)


def available_regimens() -> tuple[str, ...]:
    """Names of the regimens shipped in ``pkpd/regimens.toml``."""
    return tuple(sorted(_shipped()))


def load_regimen(name: str) -> Regimen:
    """A shipped regimen by name (see :func:`available_regimens`)."""
    table = _shipped()
    if name not in table:
        raise NotFoundError(f"no regimen {name!r}; shipped: {', '.join(sorted(table))}")
    return Regimen.from_dict({"name": name, **table[name]})


def _subject_values(
    subjects: pd.DataFrame, needs_wt: bool, needs_ht: bool, row_base: int
) -> list[tuple[Any, float | None, float | None]]:
    place = Place(field="subjects")
    if "ID" not in subjects.columns:
        raise InputError("the subjects table needs an ID column", place=place, column="ID")
    if len(subjects) == 0:
        raise InputError("no subjects", place=place)
    for col, needed in (("WT", needs_wt), ("HT", needs_ht)):
        if needed and col not in subjects.columns:
            raise InputError(
                f"column {col} ({'kg' if col == 'WT' else 'cm'}) is needed for "
                f"{'mg/kg' if col == 'WT' else 'mg/m^2'} dosing",
                place=place,
                column=col,
            )
    ids = subjects["ID"].tolist()
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"ID {dup} is listed twice", place=place, column="ID")
    out: list[tuple[Any, float | None, float | None]] = []
    for i, sid in enumerate(ids):
        vals: list[float | None] = []
        for col in ("WT", "HT"):
            if col not in subjects.columns:
                vals.append(None)
                continue
            raw = subjects[col].iloc[i]
            try:
                v = float(raw)
            except (TypeError, ValueError):
                v = math.nan
            needed = (col == "WT" and needs_wt) or (col == "HT" and needs_ht)
            if needed and not (math.isfinite(v) and v > 0):
                raise InputError(
                    f"ID {sid}: {col} must be a positive number, got {raw!r}",
                    place=place,
                    row=i + row_base,
                    column=col,
                )
            vals.append(v if math.isfinite(v) else None)
        out.append((sid, vals[0], vals[1]))
    return out


def regimen_events(
    regimen: Regimen,
    subjects: pd.DataFrame,
    cycles: int,
    *,
    expand: bool = True,
    row_base: int = 1,
) -> pd.DataFrame:
    """NONMEM-style dose records of ``regimen`` for every subject over ``cycles`` cycles.

    ``subjects`` has ``ID`` and, as the doses need them, ``WT`` (kg) and ``HT`` (cm). Columns
    of the result: ``ID, TIME`` (h; day 1 of cycle 1 at 0), ``EVID`` (1), ``AMT`` (mg), ``RATE``
    (mg/h; 0 for a bolus), ``II`` (h), ``ADDL``, ``CMT`` (1-based), ``DRUG``; sorted by ID,
    TIME, CMT. With ``expand`` (default) there is one record per dose (II = ADDL = 0);
    otherwise each dosing day of cycle 1 carries ``II`` = the cycle length in h and ``ADDL`` =
    ``cycles - 1``. ``row_base`` numbers subject rows in error messages.
    """
    if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 1:
        raise InputError(f"cycles must be a whole number >= 1, got {cycles!r}", field="cycles")
    needs_wt = any(d.dose.basis == "mg/kg" for d in regimen.drugs)
    needs_ht = any(d.dose.basis == "mg/m^2" for d in regimen.drugs)
    rows: list[dict[str, Any]] = []
    for i, (sid, wt, ht) in enumerate(_subject_values(subjects, needs_wt, needs_ht, row_base)):
        area = (
            bsa(regimen.bsa_method, height_cm=ht, weight_kg=wt)
            if needs_ht and ht is not None and wt is not None
            else None
        )
        if needs_ht and area is None:
            raise InputError(
                f"ID {sid}: mg/m^2 dosing needs both WT and HT",
                field="subjects",
                row=i + row_base,
                column="WT",
            )
        where = Place(field="subjects", row=i + row_base)
        for d in regimen.drugs:
            amt = dose_mg(d.dose, weight_kg=wt, bsa_m2=area, place=where)
            rate = 0.0 if d.is_bolus else amt / d.infusion_h
            repeat = 1 if not expand else cycles
            ii = 24.0 * regimen.cycle_days if not expand and cycles > 1 else 0.0
            addl = 0 if expand else cycles - 1
            for c in range(repeat):
                for day in d.days:
                    rows.append(
                        {
                            "ID": sid,
                            "TIME": 24.0 * (c * regimen.cycle_days + day - 1) + d.time_of_day_h,
                            "EVID": 1,
                            "AMT": amt,
                            "RATE": rate,
                            "II": ii,
                            "ADDL": addl,
                            "CMT": d.cmt,
                            "DRUG": d.drug,
                        }
                    )
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    order = {sid: k for k, sid in enumerate(dict.fromkeys(subjects["ID"].tolist()))}
    frame["_o"] = frame["ID"].map(order)
    frame = frame.sort_values(["_o", "TIME", "CMT"], kind="stable").drop(columns="_o")
    return frame.reset_index(drop=True).astype(
        {"TIME": float, "EVID": int, "AMT": float, "RATE": float, "II": float, "ADDL": int}
    )
