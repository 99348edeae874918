"""In-vivo study inputs: the animal table, the study design and Living Image ROI exports.

Three inputs become one :class:`AnimalTable` (one row per animal and day):

* a **tidy animal table** (CSV, TSV or xlsx bytes and the file name): ``animal_id, group, day``
  and any of ``length_mm, width_mm, volume_mm3, total_flux_p_s, body_weight_g``, with optional
  ``status`` (alive / dropout / dead / euthanised) and ``reason``. Every measure column carries
  its unit in its name (``volume_mm3``, ``volume_cm3``, ``length_cm``, ``body_weight_kg``,
  ``"Total Flux [p/s]"``); a measure column without a unit (``volume``, ``TumorVolume``) is
  refused, as is an unlabelled ``time`` column. ``columns`` maps other headers to these names
  (``{"subject": "animal_id", "Time": "day", "TumorVolume": "volume_mm3"}``). Days are study
  days (d);
* a **study design** TOML (:func:`read_design`): groups with their compounds, doses with units
  (mg/kg, mg/m^2 or mg), routes, schedules (``"weekly"``, ``"BID"``), the control group, the
  randomisation day, the humane endpoints and the caliper formula;
* a **Living Image ROI export** (:func:`read_living_image`): IVIS "Measurements" tables with
  ``Image Number, ROI, Total Flux [p/s], Avg Radiance [p/s/cm²/sr]`` and label columns (``ROI
  Label``, ``Experiment``, ``Time Point``, ``Animal Number``, ``Date and Time`` ...); the animal,
  group and day come from label columns, a mapping table, or dates counted from ``start_date``.

Derived per row: caliper volume (mm^3; ``L x W^2 / 2`` unless another formula of
:data:`CALIPER_FORMULAS` is chosen, and named in the result), relative tumour volume ``RTV =
V / V(baseline)`` per animal, log10 volume (volumes below ``detection_limit_mm3`` are set to
it, flagged), relative and log10 flux (p/s), body-weight change (%) from baseline, and the
humane-endpoint flags (body-weight loss >= 20 % by default, tumour volume or flux above the
design's limits). Dropouts and deaths are kept as the animal's fate with their reason
(:class:`AnimalFate`), for censoring; nothing is carried forward past an animal's last row.

Refused, each as one :class:`~cxcr4lab.core.errors.InputError` naming the file, row, column and
animal: an animal in two groups, a day repeated for an animal, negative volumes, lengths, flux
or body weights, values outside plausible ranges (a unit mistake), rows after an animal's death
or dropout, a missing baseline (or, with ``missing_baseline="exclude"``, the animal is excluded
with the reason), and a measure without a unit. Flagged, and the analysis goes on: a group of
fewer than :data:`MIN_GROUP_SIZE` animals, days out of order within an animal (sorted), a
width larger than the length (swapped: W is the shorter diameter), a zero flux.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, Literal, get_args

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, Place, UnitError, quote
from cxcr4lab.core.limits import check_size, check_text_table, check_toml, check_xlsx
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.units import check_range, parse_quantity, parse_unit, per_body_weight, registry

__all__ = [
    "CALIPER_FORMULAS",
    "MEASURES",
    "MIN_GROUP_SIZE",
    "ROUTES",
    "SCHEDULES",
    "STATUSES",
    "AnimalFate",
    "AnimalTable",
    "CaliperFormula",
    "Exclusion",
    "HumaneEndpoints",
    "LivingImageExport",
    "MissingBaseline",
    "Schedule",
    "Status",
    "StudyDesign",
    "StudyGroup",
    "Treatment",
    "build_animal_table",
    "caliper_volume",
    "read_animal_table",
    "read_design",
    "read_living_image",
    "read_tabular",
]

MIN_GROUP_SIZE: Final = 3
"""Groups with fewer animals are flagged (the analysis still runs)."""

DEFAULT_MAX_BODY_WEIGHT_LOSS_PCT: Final = 20.0
"""The usual humane endpoint: body-weight loss of 20 % or more from baseline."""

DEFAULT_DETECTION_LIMIT_MM3: Final = 1.0
"""Volumes below this (mm^3, including 0: a complete regression) are set to it on log scales."""

CaliperFormula = Literal["L*W^2/2", "pi/6*L*W^2", "pi/6*(L*W)^1.5"]
CALIPER_FORMULAS: dict[str, str] = {
    "L*W^2/2": "V = L x W^2 / 2 (modified ellipsoid; Euhus et al. 1986, Tomayko & Reynolds 1989)",
    "pi/6*L*W^2": "V = pi/6 x L x W^2 (ellipsoid with height = width)",
    "pi/6*(L*W)^1.5": "V = pi/6 x (L x W)^(3/2) (sphere of the geometric mean diameter; "
    "Feldman et al. 2009)",
}
"""Caliper volume formulas (L the longer, W the shorter diameter, mm; V in mm^3)."""

_FORMULA_ALIASES = {
    "l*w^2/2": "L*W^2/2",
    "lw2/2": "L*W^2/2",
    "l*w*w/2": "L*W^2/2",
    "half_lw2": "L*W^2/2",
    "modified_ellipsoid": "L*W^2/2",
    "pi/6*l*w^2": "pi/6*L*W^2",
    "ellipsoid": "pi/6*L*W^2",
    "pi/6*(l*w)^1.5": "pi/6*(L*W)^1.5",
    "pi/6*(l*w)^(3/2)": "pi/6*(L*W)^1.5",
    "sphere_mean": "pi/6*(L*W)^1.5",
}

Status = Literal["alive", "dropout", "dead", "euthanised"]
STATUSES: tuple[str, ...] = get_args(Status)
_STATUS_ALIASES = {
    "": "alive",
    "alive": "alive",
    "ok": "alive",
    "on study": "alive",
    "dropout": "dropout",
    "drop-out": "dropout",
    "drop out": "dropout",
    "withdrawn": "dropout",
    "lost": "dropout",
    "censored": "dropout",
    "dead": "dead",
    "died": "dead",
    "found dead": "dead",
    "death": "dead",
    "euthanised": "euthanised",
    "euthanized": "euthanised",
    "sacrificed": "euthanised",
    "culled": "euthanised",
    "killed": "euthanised",
}

MissingBaseline = Literal["error", "exclude"]
Burden = Literal["auto", "volume", "flux"]
"""The primary tumour-burden measure: caliper (or given) volume, BLI total flux, or ``auto``:
the one the table has; with both, volume if every animal has a baseline volume, else flux (an
intratibial tumour has no caliper reading before it grows out of the bone)."""

# Plausible values in the canonical units (a value outside is a unit mistake, not a tumour).
_PLAUSIBLE = {
    "length_mm": 100.0,
    "width_mm": 100.0,
    "volume_mm3": 100_000.0,
    "total_flux_p_s": 1e14,
    "avg_radiance_p_s_cm2_sr": 1e14,
    "body_weight_g": 2_000.0,
}
_MEASURE_TEXT = {
    "length_mm": ("length", "mm"),
    "width_mm": ("width", "mm"),
    "volume_mm3": ("tumour volume", "mm^3"),
    "total_flux_p_s": ("total flux", "p/s"),
    "avg_radiance_p_s_cm2_sr": ("average radiance", "p/s/cm²/sr"),
    "body_weight_g": ("body weight", "g"),
}
MEASURES: tuple[str, ...] = tuple(_MEASURE_TEXT)

# Column recognition: a header (normalised) is "<base>_<unit>", "<base> [unit]" or "<base> (unit)".
_KEY_ALIASES = {
    "animal_id": ("animal_id", "animal", "animal_number", "mouse", "mouse_id", "subject", "id"),
    "group": ("group", "arm", "treatment", "treatment_group"),
    "day": ("day", "days", "study_day", "time_d", "time_days", "day_d"),
    "status": ("status", "fate"),
    "reason": ("reason", "status_reason"),
}
_UNITLESS_TIME = ("time", "t", "timepoint", "time_point", "week", "weeks")
_MEASURE_BASES = {
    "length_mm": ("length", "tumour_length", "tumor_length", "l"),
    "width_mm": ("width", "tumour_width", "tumor_width", "w"),
    "volume_mm3": ("volume", "tumour_volume", "tumor_volume", "tumorvolume", "tumourvolume", "tv"),
    "total_flux_p_s": ("total_flux", "totalflux", "flux"),
    "avg_radiance_p_s_cm2_sr": ("avg_radiance", "average_radiance", "radiance"),
    "body_weight_g": ("body_weight", "bodyweight", "weight", "bw"),
}
_DIMENSION = {
    "length_mm": ("[length]", "mm"),
    "width_mm": ("[length]", "mm"),
    "volume_mm3": ("[length] ** 3", "mm**3"),
    "body_weight_g": ("[mass]", "g"),
}
_PHOTON_UNITS = {"p/s", "p/sec", "ph/s", "photons/s", "photon/s", "photons/sec", "p_s", "photons_s"}
_RADIANCE_UNITS = {"p/s/cm²/sr", "p/s/cm^2/sr", "p/s/cm2/sr", "p_s_cm2_sr", "photons/s/cm²/sr"}


# --- the design ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule(Serial):
    """A dosing schedule: ``interval_d`` days between dosing days and ``per_day`` doses on each
    (BID: 1 d, 2 per day, 12 h apart; weekly: 7 d, 1); ``interval_d = 0`` is a single dose."""

    code: str
    label: str
    interval_d: float
    per_day: int


SCHEDULES: dict[str, Schedule] = {
    s.code: s
    for s in (
        Schedule("once", "single dose", 0.0, 1),
        Schedule("QD", "once daily", 1.0, 1),
        Schedule("BID", "twice daily", 1.0, 2),
        Schedule("TID", "three times daily", 1.0, 3),
        Schedule("Q2D", "every other day", 2.0, 1),
        Schedule("Q3D", "every 3 days", 3.0, 1),
        Schedule("Q4D", "every 4 days", 4.0, 1),
        Schedule("BIW", "twice weekly", 3.5, 1),
        Schedule("QW", "weekly", 7.0, 1),
        Schedule("Q2W", "every 2 weeks", 14.0, 1),
    )
}
"""The schedules a design may name (codes; :data:`_SCHEDULE_ALIASES` lists other spellings)."""

_SCHEDULE_ALIASES = {
    "once": "once",
    "single": "once",
    "single dose": "once",
    "qd": "QD",
    "daily": "QD",
    "once daily": "QD",
    "q24h": "QD",
    "bid": "BID",
    "b.i.d.": "BID",
    "twice daily": "BID",
    "q12h": "BID",
    "tid": "TID",
    "t.i.d.": "TID",
    "q8h": "TID",
    "q2d": "Q2D",
    "qod": "Q2D",
    "every other day": "Q2D",
    "q3d": "Q3D",
    "q4d": "Q4D",
    "biw": "BIW",
    "twice weekly": "BIW",
    "qw": "QW",
    "q7d": "QW",
    "weekly": "QW",
    "once weekly": "QW",
    "q1w": "QW",
    "q2w": "Q2W",
    "q14d": "Q2W",
    "every 2 weeks": "Q2W",
}

ROUTES: dict[str, str] = {
    "i.v.": "intravenous",
    "i.p.": "intraperitoneal",
    "s.c.": "subcutaneous",
    "p.o.": "oral",
    "i.m.": "intramuscular",
    "i.t.": "intratumoral",
}
"""Routes of administration (canonical abbreviation -> name)."""
_ROUTE_ALIASES = {
    **{k.replace(".", ""): k for k in ROUTES},
    **{v: k for k, v in ROUTES.items()},
    "iv": "i.v.",
    "ip": "i.p.",
    "sc": "s.c.",
    "sq": "s.c.",
    "subcut": "s.c.",
    "po": "p.o.",
    "oral gavage": "p.o.",
    "gavage": "p.o.",
    "im": "i.m.",
    "it": "i.t.",
    "intratumoural": "i.t.",
}
_VEHICLES = {"vehicle", "saline", "pbs", "control", "placebo"}


@dataclass(frozen=True)
class Treatment(Serial):
    """One compound given to a group: ``dose`` in ``dose_unit`` (mg/kg, mg/m^2 or mg; NaN for a
    vehicle), by ``route`` on ``schedule`` (a code of :data:`SCHEDULES`) from ``start_day`` to
    ``end_day`` (study days; ``None``: to the end of the study)."""

    compound: str
    dose: float
    dose_unit: str
    route: str
    schedule: str
    start_day: float = 0.0
    end_day: float | None = None

    @property
    def is_vehicle(self) -> bool:
        return self.compound.strip().lower() in _VEHICLES

    def administrations(self, until_day: float) -> tuple[float, ...]:
        """Dosing times (study days, BID at +0 and +0.5 d) from ``start_day`` up to
        ``min(end_day, until_day)`` inclusive."""
        plan = SCHEDULES[self.schedule]
        last = until_day if self.end_day is None else min(self.end_day, until_day)
        if last < self.start_day:
            return ()
        if plan.interval_d == 0:
            return (self.start_day,)
        days = np.arange(self.start_day, last + 1e-9, plan.interval_d)
        offsets = np.arange(plan.per_day) / plan.per_day
        return tuple(float(d + o) for d in days for o in offsets if d + o <= last + 1e-9)

    def describe(self) -> str:
        """``"docetaxel 5 mg/kg i.p. weekly"``."""
        dose = "" if math.isnan(self.dose) else f" {self.dose:g} {self.dose_unit}"
        return f"{self.compound}{dose} {self.route} {SCHEDULES[self.schedule].label}"


@dataclass(frozen=True)
class StudyGroup(Serial):
    """A study arm: its name, treatments (none or a vehicle for the control) and planned size."""

    name: str
    treatments: tuple[Treatment, ...] = ()
    n_planned: int | None = None

    def describe(self) -> str:
        return "; ".join(t.describe() for t in self.treatments) or "untreated"


@dataclass(frozen=True)
class HumaneEndpoints(Serial):
    """Humane endpoints: tumour volume (mm^3) or total flux (p/s) at or above the limit, or a
    body-weight loss (% of baseline) at or above ``max_body_weight_loss_pct``."""

    max_tumour_volume_mm3: float | None = None
    max_body_weight_loss_pct: float = DEFAULT_MAX_BODY_WEIGHT_LOSS_PCT
    max_total_flux_p_s: float | None = None


@dataclass(frozen=True)
class StudyDesign(Serial):
    """A study design (see :func:`read_design`); days are study days (d)."""

    name: str
    groups: tuple[StudyGroup, ...]
    control: str
    randomisation_day: float = 0.0
    caliper_formula: CaliperFormula = "L*W^2/2"
    endpoints: HumaneEndpoints = field(default_factory=HumaneEndpoints)
    model: str = ""
    source: str = ""

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.groups)

    def group(self, name: str) -> StudyGroup:
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(name)

    def summary(self) -> pd.DataFrame:
        """One row per group and treatment: compound, dose (with unit), route, schedule."""
        rows = []
        for g in self.groups:
            for t in g.treatments or (None,):
                rows.append(
                    {
                        "group": g.name,
                        "control": g.name == self.control,
                        "compound": t.compound if t else "",
                        "dose": t.dose if t else math.nan,
                        "dose unit": t.dose_unit if t else "",
                        "route": t.route if t else "",
                        "schedule": SCHEDULES[t.schedule].label if t else "",
                        "n planned": g.n_planned,
                    }
                )
        return pd.DataFrame(rows)


def _caliper_formula(text: object, place: Place) -> CaliperFormula:
    if not isinstance(text, str):
        raise InputError(f"caliper formula must be text, got {quote(text)}", place=place)
    key = re.sub(r"\s+", "", text).lower()
    for name in CALIPER_FORMULAS:
        if key == name.lower():
            return name  # type: ignore[return-value]
    if key.replace(" ", "_") in _FORMULA_ALIASES:
        return _FORMULA_ALIASES[key.replace(" ", "_")]  # type: ignore[return-value]
    allowed = ", ".join(quote(k) for k in CALIPER_FORMULAS)
    raise InputError(f"unknown caliper formula {quote(text)}; use one of {allowed}", place=place)


def caliper_volume(
    length_mm: float | np.ndarray, width_mm: float | np.ndarray, formula: str = "L*W^2/2"
) -> Any:
    """Tumour volume (mm^3) from caliper diameters (mm) by a formula of :data:`CALIPER_FORMULAS`.

    >>> float(caliper_volume(10.0, 6.0))  # 10 x 36 / 2
    180.0
    >>> round(float(caliper_volume(10.0, 6.0, "pi/6*L*W^2")), 3)
    188.496
    """
    name = _caliper_formula(formula, Place(field="caliper_formula"))
    length = np.asarray(length_mm, dtype=float)
    width = np.asarray(width_mm, dtype=float)
    if name == "L*W^2/2":
        return length * width**2 / 2
    if name == "pi/6*L*W^2":
        return math.pi / 6 * length * width**2
    return math.pi / 6 * (length * width) ** 1.5


def _canon_schedule(text: object, place: Place) -> str:
    if not isinstance(text, str):
        raise InputError(f"schedule must be text, got {quote(text)}", place=place)
    key = re.sub(r"\s+", " ", text.strip().lower())
    if key in _SCHEDULE_ALIASES:
        return _SCHEDULE_ALIASES[key]
    allowed = ", ".join(sorted({*SCHEDULES, "weekly", "daily", "twice daily"}))
    raise InputError(f"unknown schedule {quote(text)}; use one of {allowed}", place=place)


def _canon_route(text: object, place: Place) -> str:
    if not isinstance(text, str):
        raise InputError(f"route must be text, got {quote(text)}", place=place)
    key = text.strip().lower()
    if key in ROUTES:
        return key
    if key in _ROUTE_ALIASES:
        return _ROUTE_ALIASES[key]
    allowed = ", ".join(ROUTES)
    raise InputError(f"unknown route {quote(text)}; use one of {allowed}", place=place)


def _dose(value: object, place: Place) -> tuple[float, str]:
    """(dose, unit) of a dose text with its unit: mg/kg, mg/m^2 or mg."""
    if not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise UnitError(
                f'dose {value!r} has no unit; write it with one, e.g. "{value} mg/kg"',
                place=place,
            )
        raise InputError(f"dose must be text such as '5 mg/kg', got {quote(value)}", place=place)
    q = parse_quantity(value, place=place)
    if q.check("[mass]"):
        amount, unit, kind = float(q.to("mg").magnitude), "mg", "dose"
    elif q.check("[mass] / [length] ** 2"):
        amount, unit, kind = (
            float(q.to("mg/m**2").magnitude),
            "mg/m^2",
            "dose per body-surface area",
        )
    elif q.dimensionless and per_body_weight(q):
        amount, unit, kind = float(q.to("mg/kg").magnitude), "mg/kg", "dose per body weight"
    else:
        raise UnitError(
            f"{quote(value)} is not a dose: use mg/kg, mg/m^2 or mg (e.g. '5 mg/kg')", place=place
        )
    if not amount > 0:
        raise UnitError(f"dose must be > 0, got {quote(value)}", place=place)
    check_range(amount, kind, place=place, shown=quote(value))
    return amount, unit


def _number_field(
    value: object, place: Place, *, low: float | None = None, high: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"expected a number, got {quote(value)}", place=place)
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"expected a finite number, got {quote(value)}", place=place)
    if (low is not None and v < low) or (high is not None and v > high):
        raise InputError(f"{v:g} is outside {low:g} to {high:g}", place=place)
    return v


def _text_field(value: object, place: Place, *, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"expected non-empty text, got {quote(value)}", place=place)
    if len(value) > limit:
        raise InputError(f"text longer than {limit} characters", place=place)
    return value.strip()


def _only_keys(table: Mapping[str, Any], allowed: Iterable[str], place: Place) -> None:
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            raise InputError(
                f"unknown key {quote(key)}; allowed: {', '.join(allowed)}", place=place
            )


def _treatment(raw: object, place: Place) -> Treatment:
    if not isinstance(raw, dict):
        raise InputError(
            "a treatment must be a table (compound, dose, route, schedule)", place=place
        )
    _only_keys(raw, ("compound", "dose", "route", "schedule", "start_day", "end_day"), place)

    def at(key: str) -> Place:
        return Place(file=place.file, field=f"{place.field}.{key}")

    compound = _text_field(raw.get("compound"), at("compound"))
    vehicle = compound.lower() in _VEHICLES
    if "dose" in raw:
        dose, unit = _dose(raw["dose"], at("dose"))
    elif vehicle:
        dose, unit = math.nan, ""
    else:
        raise InputError(f"the dose of {quote(compound)} is missing", place=at("dose"))
    if "route" not in raw:
        raise InputError("route is missing", place=at("route"))
    if "schedule" not in raw:
        raise InputError("schedule is missing", place=at("schedule"))
    start = _number_field(raw.get("start_day", 0.0), at("start_day"), low=-1e4, high=1e4)
    end = raw.get("end_day")
    end_day = None if end is None else _number_field(end, at("end_day"), low=-1e4, high=1e4)
    if end_day is not None and end_day < start:
        raise InputError(f"end_day {end_day:g} is before start_day {start:g}", place=at("end_day"))
    return Treatment(
        compound=compound,
        dose=dose,
        dose_unit=unit,
        route=_canon_route(raw["route"], at("route")),
        schedule=_canon_schedule(raw["schedule"], at("schedule")),
        start_day=start,
        end_day=end_day,
    )


def read_design(content: bytes | str, name: str = "design.toml") -> StudyDesign:
    """A :class:`StudyDesign` from TOML text or bytes.

    Keys: ``name``, ``model``, ``control`` (a group name), ``randomisation_day`` (d, default 0),
    ``caliper_formula`` (default ``"L*W^2/2"``), ``[endpoints]`` with
    ``max_tumour_volume_mm3``, ``max_body_weight_loss_pct`` (default 20) and
    ``max_total_flux_p_s``, and ``[[groups]]`` each with ``name``, ``n`` (planned animals) and
    ``treatments = [{compound, dose = "5 mg/kg", route = "i.p.", schedule = "weekly",
    start_day, end_day}]``. A vehicle treatment needs no dose. Unknown keys are refused.

    >>> d = read_design('''
    ... control = "vehicle"
    ... [[groups]]
    ... name = "vehicle"
    ... treatments = [{compound = "vehicle", route = "s.c.", schedule = "BID"}]
    ... [[groups]]
    ... name = "docetaxel"
    ... treatments = [{compound = "docetaxel", dose = "5 mg/kg", route = "ip", schedule = "weekly"}]
    ... ''')
    >>> d.group("docetaxel").describe()
    'docetaxel 5 mg/kg i.p. weekly'
    """
    if isinstance(content, bytes | bytearray):
        check_size(bytes(content), name)
        try:
            text = bytes(content).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("design is not UTF-8 text", file=name) from None
    elif isinstance(content, str):
        text = content
    else:
        raise InputError(f"expected TOML text or bytes, got {type(content).__name__}", file=name)
    check_toml(text, name)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", file=name) from None
    top = (
        "name",
        "model",
        "control",
        "randomisation_day",
        "caliper_formula",
        "endpoints",
        "groups",
    )
    _only_keys(raw, top, Place(file=name, field="design"))

    def at(key: str) -> Place:
        return Place(file=name, field=key)

    groups_raw = raw.get("groups")
    if not isinstance(groups_raw, list) or not groups_raw:
        raise InputError("the design has no [[groups]]", place=at("groups"))
    groups: list[StudyGroup] = []
    for i, g in enumerate(groups_raw, start=1):
        where = at(f"groups[{i}]")
        if not isinstance(g, dict):
            raise InputError("a group must be a table", place=where)
        _only_keys(g, ("name", "n", "treatments"), where)
        gname = _text_field(g.get("name"), at(f"groups[{i}].name"))
        if any(other.name == gname for other in groups):
            raise InputError(f"group {quote(gname)} is defined twice", place=where)
        n_planned = None
        if "n" in g:
            n_planned = int(_number_field(g["n"], at(f"groups[{i}].n"), low=1, high=10_000))
        treats = g.get("treatments", [])
        if not isinstance(treats, list):
            raise InputError("treatments must be a list of tables", place=at(f"groups[{i}]"))
        treatments = tuple(
            _treatment(t, at(f"groups[{i}].treatments[{j}]")) for j, t in enumerate(treats, 1)
        )
        groups.append(StudyGroup(gname, treatments, n_planned))
    names = [g.name for g in groups]
    control = _text_field(raw.get("control", ""), at("control")) if "control" in raw else ""
    if not control:
        raise InputError("the control group is not named (control = ...)", place=at("control"))
    if control not in names:
        raise InputError(
            f"control {quote(control)} is not a group; groups: {', '.join(names)}",
            place=at("control"),
        )
    ends_raw = raw.get("endpoints", {})
    if not isinstance(ends_raw, dict):
        raise InputError("[endpoints] must be a table", place=at("endpoints"))
    keys = ("max_tumour_volume_mm3", "max_body_weight_loss_pct", "max_total_flux_p_s")
    _only_keys(ends_raw, keys, at("endpoints"))
    vmax = ends_raw.get("max_tumour_volume_mm3")
    fmax = ends_raw.get("max_total_flux_p_s")
    endpoints = HumaneEndpoints(
        max_tumour_volume_mm3=None
        if vmax is None
        else _number_field(vmax, at("endpoints.max_tumour_volume_mm3"), low=1e-3, high=1e5),
        max_body_weight_loss_pct=_number_field(
            ends_raw.get("max_body_weight_loss_pct", DEFAULT_MAX_BODY_WEIGHT_LOSS_PCT),
            at("endpoints.max_body_weight_loss_pct"),
            low=1,
            high=100,
        ),
        max_total_flux_p_s=None
        if fmax is None
        else _number_field(fmax, at("endpoints.max_total_flux_p_s"), low=1.0, high=1e14),
    )
    return StudyDesign(
        name=_text_field(raw.get("name", Path(name).stem or "study"), at("name")),
        groups=tuple(groups),
        control=control,
        randomisation_day=_number_field(
            raw.get("randomisation_day", 0.0), at("randomisation_day"), low=-1e4, high=1e4
        ),
        caliper_formula=_caliper_formula(
            raw.get("caliper_formula", "L*W^2/2"), at("caliper_formula")
        ),
        endpoints=endpoints,
        model=str(raw.get("model", "")),
        source=name,
    )


# --- tables from bytes --------------------------------------------------------------------------


def _decode(content: bytes, name: str) -> str:
    if content[:4] == b"PK\x03\x04":
        raise InputError("this is a zip/xlsx file; give it an .xlsx name", file=name)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    if "\x00" in text:
        raise InputError("file is binary, not a text table", file=name)
    return text


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def read_tabular(
    content: bytes, name: str, *, header_hint: Sequence[str] = ()
) -> tuple[pd.DataFrame, list[int]]:
    """A table of text cells from CSV, TSV/TXT (delimiter sniffed) or xlsx (first sheet) bytes,
    and the line number of each data row as a person sees it (header = its own line).

    Lines starting with ``#`` before the header are comments. With ``header_hint``, the header
    is the first line holding one of those texts (case ignored; an export's preamble is
    skipped). Blank lines are dropped; duplicate or blank header names are refused.
    """
    if not isinstance(content, bytes | bytearray):
        raise InputError(f"expected file bytes, got {type(content).__name__}", file=name)
    content = bytes(content)
    check_size(content, name)
    if not content.strip():
        raise InputError("file is empty", file=name)
    rows: list[list[str]]
    lines: list[int]
    if Path(name).suffix.lower() in {".xlsx", ".xlsm"}:
        check_xlsx(content, name)
        try:
            grid = pd.read_excel(io.BytesIO(content), header=None, dtype=object, engine="openpyxl")
        except Exception as exc:  # openpyxl and zipfile raise many kinds of errors
            raise InputError(
                f"not a readable xlsx workbook ({type(exc).__name__})", file=name
            ) from None
        rows = [[_cell(v) for v in r] for r in grid.itertuples(index=False)]
        lines = list(range(1, len(rows) + 1))
    else:
        text = _decode(content, name)
        check_text_table(text, name)
        first = next(
            (ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), ""
        )
        sep = max(("\t", ",", ";"), key=first.count)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        rows, lines = [], []
        try:
            for r in reader:
                rows.append([c.strip() for c in r])
                lines.append(reader.line_num)
        except csv.Error as exc:
            raise InputError(f"cannot read as a table ({exc})", file=name) from None
    start = 0
    hints = tuple(h.lower() for h in header_hint)
    while start < len(rows):
        r = rows[start]
        nonblank = [c for c in r if c]
        if not nonblank or nonblank[0].startswith("#"):
            start += 1
            continue
        if hints and not any(c.lower().startswith(hints) for c in nonblank):
            start += 1
            continue
        break
    if start >= len(rows):
        wanted = f" (a line with {', '.join(map(quote, header_hint))})" if header_hint else ""
        raise InputError(f"no header line found{wanted}", file=name)
    header = rows[start]
    while header and not header[-1]:
        header = header[:-1]
    for j, h in enumerate(header):
        if not h:
            raise InputError("a column has no name", file=name, row=lines[start], column=str(j + 1))
    seen: dict[str, int] = {}
    for h in header:
        key = h.lower()
        if key in seen:
            raise InputError(f"column {quote(h)} appears twice", file=name, row=lines[start])
        seen[key] = 1
    body: list[list[str]] = []
    body_lines: list[int] = []
    width = len(header)
    for r, ln in zip(rows[start + 1 :], lines[start + 1 :], strict=True):
        if not any(c for c in r):
            continue
        extra = [c for c in r[width:] if c]
        if extra:
            raise InputError(
                f"row has {len(r)} fields but the header has {width}", file=name, row=ln
            )
        body.append((r + [""] * width)[:width])
        body_lines.append(ln)
    if not body:
        raise InputError("the table has a header but no data rows", file=name)
    return pd.DataFrame(body, columns=header, dtype=str), body_lines


def _normalise(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower()).strip("_")


_BRACKET = re.compile(r"^(?P<base>.*?)\s*[\[(](?P<unit>[^\])]*)[\])]\s*$")


def _split_header(header: str) -> tuple[str, str | None]:
    """(normalised base, unit text or None): ``"Volume [mm3]"`` -> ``("volume", "mm3")``."""
    m = _BRACKET.match(header.strip())
    if m and m.group("base"):
        return _normalise(m.group("base")), m.group("unit").strip()
    return _normalise(header), None


def _unit_factor(measure: str, unit: str, place: Place) -> float:
    """Canonical-unit factor of a measure column's unit (mm, mm^3, p/s, g)."""
    text = unit.strip()
    compact = text.replace(" ", "").lower()
    if measure == "total_flux_p_s":
        if compact in _PHOTON_UNITS:
            return 1.0
        raise UnitError(f"total flux unit {quote(unit)} is not p/s (photons/s)", place=place)
    if measure == "avg_radiance_p_s_cm2_sr":
        if compact in {u.lower() for u in _RADIANCE_UNITS}:
            return 1.0
        raise UnitError(f"radiance unit {quote(unit)} is not p/s/cm²/sr", place=place)
    dim, target = _DIMENSION[measure]
    text = text.replace("³", "3").replace("²", "2")
    pint_text = re.sub(r"(?<=[a-zA-Zµμ])(\d)$", r"^\1", text.replace("_", "/"))
    pint_text = {"ml": "mL", "ul": "uL", "µl": "uL"}.get(pint_text.lower(), pint_text)
    _, u = parse_unit(pint_text, place=place)
    q = registry().Quantity(1.0, u)
    if not q.check(dim):
        what = _MEASURE_TEXT[measure][0]
        raise UnitError(f"{quote(unit)} is not a unit of {what}", place=place)
    return float(q.to(target).magnitude)


@dataclass
class _Columns:
    keys: dict[str, str]  # our key -> file header
    measures: dict[str, tuple[str, float]]  # measure -> (file header, factor to canonical unit)
    ignored: list[str]


def _recognise(headers: Sequence[str], name: str, columns: Mapping[str, str] | None) -> _Columns:
    mapping = {str(k).strip(): str(v) for k, v in (columns or {}).items()}
    unknown = [k for k in mapping if k not in [h.strip() for h in headers]]
    if unknown:
        have = ", ".join(quote(h, 40) for h in headers[:20])
        raise InputError(
            f"columns= names {quote(unknown[0])}, which is not a column; columns: {have}",
            file=name,
            field="columns",
        )
    keys: dict[str, str] = {}
    measures: dict[str, tuple[str, float]] = {}
    ignored: list[str] = []

    def claim(slot: dict[str, Any], key: str, header: str, value: Any) -> None:
        if key in slot:
            first = slot[key] if isinstance(slot[key], str) else slot[key][0]
            raise InputError(
                f"columns {quote(first)} and {quote(header)} both give {key}",
                file=name,
                column=header,
            )
        slot[key] = value

    for header in headers:
        target = mapping.get(header.strip(), header)
        base, unit = _split_header(target)
        place = Place(file=name, column=header)
        key = next((k for k, al in _KEY_ALIASES.items() if base in al), None)
        if key is not None and unit is None:
            claim(keys, key, header, header)
            continue
        if base in _UNITLESS_TIME or (key == "day" and unit is not None):
            if unit is not None and unit.lower() in {"d", "day", "days"}:
                claim(keys, "day", header, header)
                continue
            raise UnitError(
                f"column {quote(header)} has no unit of days: name it 'day' (study day, d) or "
                f"map it with columns={{{header!r}: 'day'}}",
                place=place,
            )
        measure, unit_text = _measure_of(base, unit)
        if measure is None:
            ignored.append(header)
            continue
        if unit_text is None:
            what, canonical = _MEASURE_TEXT[measure]
            suffix = canonical.replace("^", "").replace("/", "_").replace("²", "2")
            raise UnitError(
                f"column {quote(header)} ({what}) has no unit: name it e.g. "
                f"'{_MEASURE_BASES[measure][0]}_{suffix}' or map it with columns=",
                place=place,
            )
        claim(measures, measure, header, (header, _unit_factor(measure, unit_text, place)))
    return _Columns(keys, measures, ignored)


def _measure_of(base: str, unit: str | None) -> tuple[str | None, str | None]:
    """(measure, unit text) of a normalised header base: ``volume_mm3`` -> volume in mm3."""
    for measure, bases in _MEASURE_BASES.items():
        for b in sorted(bases, key=len, reverse=True):
            if base == b:
                return measure, unit
            if unit is None and base.startswith(b + "_") and len(b) > 1:
                return measure, base[len(b) + 1 :]
    return None, None


# --- the animal table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnimalFate(Serial):
    """What became of one animal: its group, first and last study day (d), last status with
    its reason, and the first day it met a humane endpoint (``None`` if never) and why."""

    animal_id: str
    group: str
    first_day: float
    last_day: float
    status: Status
    reason: str = ""
    endpoint_day: float | None = None
    endpoint_reason: str = ""


@dataclass(frozen=True)
class Exclusion(Serial):
    """An animal left out of the analysis, and why."""

    animal_id: str
    group: str
    reason: str
    row: int | None = None


@dataclass(frozen=True)
class AnimalTable(Serial):
    """One row per animal and study day (d), in columns of equal length (NaN: not measured).

    Measures in canonical units: ``length_mm``, ``width_mm``, ``volume_mm3`` (given, or from the
    caliper by ``caliper_formula``), ``total_flux_p_s``, ``body_weight_g``. Derived:
    ``rtv`` (V / V at baseline), ``log10_volume`` (floored at ``detection_limit_mm3``),
    ``relative_flux`` and ``log10_flux``, ``body_weight_change_pct`` (% of baseline) and
    ``humane`` (why a row meets a humane endpoint, else ""). ``baseline_day`` is the study day
    RTV refers to (``None``: each animal's first day). ``row`` is the input line (0: none).
    """

    source: str
    animal_id: tuple[str, ...]
    group: tuple[str, ...]
    day: tuple[float, ...]
    row: tuple[int, ...]
    length_mm: tuple[float, ...]
    width_mm: tuple[float, ...]
    volume_mm3: tuple[float, ...]
    total_flux_p_s: tuple[float, ...]
    body_weight_g: tuple[float, ...]
    status: tuple[str, ...]
    reason: tuple[str, ...]
    rtv: tuple[float, ...]
    log10_volume: tuple[float, ...]
    relative_flux: tuple[float, ...]
    log10_flux: tuple[float, ...]
    body_weight_change_pct: tuple[float, ...]
    humane: tuple[str, ...]
    animals: tuple[AnimalFate, ...]
    measures: tuple[str, ...]
    caliper_formula: CaliperFormula = "L*W^2/2"
    baseline_day: float | None = None
    control: str | None = None
    endpoints: HumaneEndpoints = field(default_factory=HumaneEndpoints)
    detection_limit_mm3: float = DEFAULT_DETECTION_LIMIT_MM3
    excluded: tuple[Exclusion, ...] = ()
    flags: tuple[str, ...] = ()
    design: StudyDesign | None = None
    burden: str = ""
    """The primary burden column (``volume_mm3`` or ``total_flux_p_s``; :data:`Burden`)."""

    @property
    def groups(self) -> tuple[str, ...]:
        """Group names: the control first, then in order of appearance."""
        seen = list(dict.fromkeys(self.group))
        if self.control in seen:
            seen.remove(self.control)
            seen.insert(0, self.control)
        return tuple(seen)

    @property
    def days(self) -> tuple[float, ...]:
        return tuple(sorted(set(self.day)))

    @property
    def formula_text(self) -> str:
        """The caliper formula in words, with its source."""
        return CALIPER_FORMULAS[self.caliper_formula]

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (column names carry units)."""
        cols = (
            "animal_id", "group", "day", "row", "length_mm", "width_mm", "volume_mm3",
            "total_flux_p_s", "body_weight_g", "status", "reason", "rtv", "log10_volume",
            "relative_flux", "log10_flux", "body_weight_change_pct", "humane",
        )  # fmt: skip
        return pd.DataFrame({c: list(getattr(self, c)) for c in cols})

    def summary(self) -> pd.DataFrame:
        """Per group and study day: animals measured, mean, SD, SEM and median volume (mm^3),
        mean RTV, geometric mean flux (p/s) and mean body-weight change (%)."""
        f = self.frame()
        rows = []
        for g in self.groups:
            for d in sorted(f.loc[f["group"] == g, "day"].unique()):
                part = f[(f["group"] == g) & (f["day"] == d)]
                v = part["volume_mm3"].dropna()
                lf = part["log10_flux"].dropna()
                rows.append(
                    {
                        "group": g,
                        "day": float(d),
                        "n": len(part),
                        "n volume": len(v),
                        "mean volume (mm^3)": float(v.mean()) if len(v) else math.nan,
                        "SD volume (mm^3)": float(v.std(ddof=1)) if len(v) > 1 else math.nan,
                        "SEM volume (mm^3)": float(v.std(ddof=1) / math.sqrt(len(v)))
                        if len(v) > 1
                        else math.nan,
                        "median volume (mm^3)": float(v.median()) if len(v) else math.nan,
                        "mean RTV": float(part["rtv"].mean()),
                        "geometric mean flux (p/s)": float(10 ** lf.mean())
                        if len(lf)
                        else math.nan,
                        "mean body-weight change (%)": float(part["body_weight_change_pct"].mean()),
                        "humane endpoints": int((part["humane"] != "").sum()),
                    }
                )
        return pd.DataFrame(rows)

    def fates(self) -> pd.DataFrame:
        """One row per animal: group, days on study, fate, reason and humane endpoint."""
        rows = [
            {
                "animal_id": a.animal_id,
                "group": a.group,
                "first day": a.first_day,
                "last day": a.last_day,
                "status": a.status,
                "reason": a.reason,
                "endpoint day": a.endpoint_day,
                "endpoint reason": a.endpoint_reason,
            }
            for a in self.animals
        ]
        rows += [
            {"animal_id": e.animal_id, "group": e.group, "status": "excluded", "reason": e.reason}
            for e in self.excluded
        ]
        return pd.DataFrame(rows)


def _parse_number(text: str, *, decimal_comma: bool) -> float | None:
    t = text.strip()
    if not t or t.lower() in {"na", "nan", "n/a", "-", "."}:
        return None
    if decimal_comma and t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")
    try:
        return float(t)
    except ValueError:
        raise ValueError(t) from None


@dataclass
class _Row:
    animal: str
    group: str
    day: float
    line: int
    values: dict[str, float]
    status: str
    reason: str


def build_animal_table(
    frame: pd.DataFrame,
    *,
    source: str = "table",
    lines: Sequence[int] | None = None,
    columns: Mapping[str, str] | None = None,
    design: StudyDesign | None = None,
    caliper_formula: str | None = None,
    baseline_day: float | None = None,
    missing_baseline: MissingBaseline = "error",
    max_body_weight_loss_pct: float | None = None,
    max_tumour_volume_mm3: float | None = None,
    max_total_flux_p_s: float | None = None,
    detection_limit_mm3: float = DEFAULT_DETECTION_LIMIT_MM3,
    flags: Sequence[str] = (),
    burden: Burden = "auto",
) -> AnimalTable:
    """An :class:`AnimalTable` from a tidy DataFrame (see the module docstring for columns).

    Settings given here win over the ``design``'s (caliper formula, baseline = randomisation
    day, humane endpoints, control); ``baseline_day=None`` without a design takes each animal's
    first day. ``lines`` are the input line numbers of the rows (default: position + 2).
    ``flags`` are carried into the result (e.g. a reader's notes).
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a DataFrame, got {type(frame).__name__}", file=source)
    if frame.empty:
        raise InputError("the table has no data rows", file=source)
    line_of = list(lines) if lines is not None else [i + 2 for i in range(len(frame))]
    if len(line_of) != len(frame):
        raise InputError("lines and rows differ in number", file=source, field="lines")
    if missing_baseline not in ("error", "exclude"):
        raise InputError(
            f"missing_baseline must be 'error' or 'exclude', got {quote(missing_baseline)}",
            file=source,
            field="missing_baseline",
        )
    if not (isinstance(detection_limit_mm3, int | float) and detection_limit_mm3 > 0):
        raise InputError(
            f"detection_limit_mm3 must be > 0, got {quote(detection_limit_mm3)}",
            file=source,
            field="detection_limit_mm3",
        )
    headers = [str(c) for c in frame.columns]
    cols = _recognise(headers, source, columns)
    missing = [k for k in ("animal_id", "group", "day") if k not in cols.keys]
    if missing:
        have = ", ".join(quote(h, 40) for h in headers[:20])
        raise InputError(f"missing column(s) {', '.join(missing)}; columns: {have}", file=source)
    if not cols.measures:
        raise InputError(
            "no measure column: give length_mm and width_mm, volume_mm3, total_flux_p_s or "
            "body_weight_g (the unit in the name)",
            file=source,
        )
    if ("length_mm" in cols.measures) != ("width_mm" in cols.measures):
        have, lacking = ("length", "width") if "length_mm" in cols.measures else ("width", "length")
        raise InputError(f"a {have} column needs a {lacking} column too", file=source)
    notes = list(flags)
    if cols.ignored:
        notes.append(f"columns not used: {', '.join(cols.ignored[:20])}")
    formula = _caliper_formula(
        caliper_formula
        if caliper_formula is not None
        else (design.caliper_formula if design else "L*W^2/2"),
        Place(file=source, field="caliper_formula"),
    )
    ends = design.endpoints if design is not None else HumaneEndpoints()
    ends = HumaneEndpoints(
        max_tumour_volume_mm3=max_tumour_volume_mm3
        if max_tumour_volume_mm3 is not None
        else ends.max_tumour_volume_mm3,
        max_body_weight_loss_pct=max_body_weight_loss_pct
        if max_body_weight_loss_pct is not None
        else ends.max_body_weight_loss_pct,
        max_total_flux_p_s=max_total_flux_p_s
        if max_total_flux_p_s is not None
        else ends.max_total_flux_p_s,
    )
    if not 0 < ends.max_body_weight_loss_pct <= 100:
        raise InputError(
            f"max_body_weight_loss_pct must be in (0, 100], got {ends.max_body_weight_loss_pct}",
            file=source,
            field="max_body_weight_loss_pct",
        )
    rows = _read_rows(frame, cols, source, line_of)
    return _assemble(
        rows,
        source=source,
        measures=tuple(m for m in MEASURES if m in cols.measures),
        formula=formula,
        design=design,
        baseline_day=baseline_day,
        missing_baseline=missing_baseline,
        endpoints=ends,
        detection_limit=float(detection_limit_mm3),
        notes=notes,
        burden=burden,
    )


def _read_rows(frame: pd.DataFrame, cols: _Columns, source: str, lines: list[int]) -> list[_Row]:
    text = {k: frame[h].map(_cell).tolist() for k, h in cols.keys.items()}
    values = {m: (frame[h].map(_cell).tolist(), f) for m, (h, f) in cols.measures.items()}
    decimal_comma = False
    for col, _ in values.values():
        if any(re.fullmatch(r"-?\d+,\d+", c) for c in col[:50]):
            decimal_comma = True
    rows: list[_Row] = []
    for i, line in enumerate(lines):
        animal = text["animal_id"][i]
        group = text["group"][i]
        day_text = text["day"][i]
        if not (animal or group or day_text or any(v[0][i] for v in values.values())):
            continue
        where: dict[str, Any] = {"file": source, "row": line}
        if not animal:
            raise InputError("animal_id is missing", column=cols.keys["animal_id"], **where)
        if len(animal) > 100:
            raise InputError("animal_id is longer than 100 characters", **where)
        where["field"] = f"animal {animal}"
        if not group:
            raise InputError("group is missing", column=cols.keys["group"], **where)
        if len(group) > 200:
            raise InputError("group name is longer than 200 characters", **where)
        try:
            day = _parse_number(day_text, decimal_comma=decimal_comma)
        except ValueError:
            raise InputError(
                f"day {quote(day_text)} is not a number", column=cols.keys["day"], **where
            ) from None
        if day is None:
            raise InputError("day is missing", column=cols.keys["day"], **where)
        if not (math.isfinite(day) and abs(day) <= 10_000):
            raise InputError(f"day {day_text} is not a study day", column=cols.keys["day"], **where)
        got: dict[str, float] = {}
        for m, (col, factor) in values.items():
            header = cols.measures[m][0]
            try:
                v = _parse_number(col[i], decimal_comma=decimal_comma)
            except ValueError:
                raise InputError(
                    f"{quote(col[i])} is not a number", column=header, **where
                ) from None
            if v is None:
                got[m] = math.nan
                continue
            what, unit = _MEASURE_TEXT[m]
            v *= factor
            if not math.isfinite(v):
                raise InputError(f"{what} is not a finite number", column=header, **where)
            if v < 0:
                raise InputError(f"{what} {v:g} {unit} is negative", column=header, **where)
            if v > _PLAUSIBLE[m]:
                raise InputError(
                    f"{what} {v:g} {unit} is implausible (limit {_PLAUSIBLE[m]:g} {unit}): "
                    "is the unit right?",
                    column=header,
                    **where,
                )
            if m == "body_weight_g" and v == 0:
                raise InputError("body weight is 0 g", column=header, **where)
            got[m] = v
        status_text = text.get("status", [""] * len(lines))[i]
        status = _STATUS_ALIASES.get(status_text.strip().lower())
        if status is None:
            raise InputError(
                f"status {quote(status_text)} is not one of {', '.join(STATUSES)}",
                column=cols.keys.get("status"),
                **where,
            )
        reason = text.get("reason", [""] * len(lines))[i]
        rows.append(_Row(animal, group, float(day), line, got, status, reason[:500]))
    if not rows:
        raise InputError("the table has no data rows", file=source)
    return rows


def _by_animal(rows: list[_Row], source: str, notes: list[str]) -> dict[str, list[_Row]]:
    """Rows per animal, sorted by day: one group per animal, one row per day, no row after a
    death or dropout."""
    by_animal: dict[str, list[_Row]] = {}
    for r in rows:
        rs = by_animal.setdefault(r.animal, [])
        if rs and rs[0].group != r.group:
            raise InputError(
                f"animal {quote(r.animal)} is in group {quote(rs[0].group)} (row {rs[0].line}) "
                f"and in group {quote(r.group)}",
                file=source,
                row=r.line,
                field=f"animal {r.animal}",
            )
        rs.append(r)
    for animal, rs in by_animal.items():
        seen: dict[float, int] = {}
        for r in rs:
            if r.day in seen:
                raise InputError(
                    f"day {r.day:g} is given twice for animal {quote(animal)} (rows {seen[r.day]} "
                    f"and {r.line})",
                    file=source,
                    row=r.line,
                    field=f"animal {animal}",
                )
            seen[r.day] = r.line
        for a, b in itertools.pairwise(rs):
            if b.day < a.day:
                notes.append(
                    f"animal {animal}: day {b.day:g} (row {b.line}) comes after day {a.day:g} "
                    f"(row {a.line}) in the file; sorted by day"
                )
                break
        rs.sort(key=lambda r: r.day)
        for r, later in itertools.pairwise(rs):
            if r.status != "alive":
                raise InputError(
                    f"animal {quote(animal)} is {r.status} on day {r.day:g} (row {r.line}) but "
                    f"has a later row on day {later.day:g}",
                    file=source,
                    row=later.line,
                    field=f"animal {animal}",
                )
    return by_animal


def _check_groups(
    by_animal: dict[str, list[_Row]], design: StudyDesign | None, source: str, notes: list[str]
) -> None:
    """Groups against the design; small groups flagged."""
    sizes: dict[str, int] = {}
    for rs in by_animal.values():
        sizes[rs[0].group] = sizes.get(rs[0].group, 0) + 1
    if design is not None:
        for rs in by_animal.values():
            if rs[0].group not in design.group_names:
                raise InputError(
                    f"group {quote(rs[0].group)} is not in the design ({design.source or 'design'}"
                    f": {', '.join(design.group_names)})",
                    file=source,
                    row=rs[0].line,
                    field=f"animal {rs[0].animal}",
                )
        absent = [g for g in design.group_names if g not in sizes]
        if absent:
            notes.append(f"design groups without animals: {', '.join(absent)}")
        if design.control not in sizes:
            raise InputError(
                f"the control group {quote(design.control)} has no animals in the table",
                file=source,
            )
    for g, n in sizes.items():
        if n < MIN_GROUP_SIZE:
            notes.append(f"group {g} has {n} animal(s), fewer than {MIN_GROUP_SIZE}")


def _caliper_volumes(
    by_animal: dict[str, list[_Row]], formula: CaliperFormula, source: str, notes: list[str]
) -> None:
    """Fill ``volume_mm3`` from length and width (W the shorter diameter)."""
    for rs in by_animal.values():
        for r in rs:
            length, width = r.values["length_mm"], r.values["width_mm"]
            if math.isnan(length) != math.isnan(width):
                raise InputError(
                    "length and width must both be given (or both blank)",
                    file=source,
                    row=r.line,
                    field=f"animal {r.animal}",
                )
            if math.isnan(length):
                continue
            if width > length:
                notes.append(
                    f"row {r.line}, animal {r.animal}: width {width:g} mm > length {length:g} mm; "
                    "swapped (W is the shorter diameter)"
                )
                length, width = width, length
                r.values["length_mm"], r.values["width_mm"] = length, width
            computed = float(caliper_volume(length, width, formula))
            given = r.values.get("volume_mm3", math.nan)
            if math.isnan(given):
                r.values["volume_mm3"] = computed
            elif not math.isclose(given, computed, rel_tol=0.05, abs_tol=0.5):
                notes.append(
                    f"row {r.line}, animal {r.animal}: volume {given:g} mm^3 differs from "
                    f"{formula} = {computed:.4g} mm^3; the given volume is used"
                )


def _baselines(
    by_animal: dict[str, list[_Row]],
    *,
    base_day: float | None,
    primary: str | None,
    missing_baseline: MissingBaseline,
    source: str,
    notes: list[str],
) -> tuple[dict[str, dict[str, float]], list[Exclusion]]:
    """Each animal's baseline volume, flux and body weight; animals without one are refused or
    excluded (removed from ``by_animal``) with the reason."""
    if base_day is None:
        firsts = sorted({rs[0].day for rs in by_animal.values()})
        if len(firsts) > 1:
            shown = ", ".join(f"{d:g}" for d in firsts[:10])
            notes.append(
                f"animals start on different days ({shown}); each animal's baseline is "
                "its first day"
            )
    excluded: list[Exclusion] = []
    baselines: dict[str, dict[str, float]] = {}

    def refuse(animal: str, rs: list[_Row], why: str, line: int) -> None:
        if missing_baseline == "error":
            raise InputError(
                f"animal {quote(animal)}: {why}; add the baseline, or exclude the animal "
                "(missing_baseline='exclude')",
                file=source,
                row=line,
                field=f"animal {animal}",
            )
        excluded.append(Exclusion(animal, rs[0].group, why, line))
        del by_animal[animal]

    for animal, rs in list(by_animal.items()):
        base_row = rs[0] if base_day is None else next((r for r in rs if r.day == base_day), None)
        if base_row is None:
            refuse(
                animal,
                rs,
                f"no row on the baseline day {base_day:g} (first row: day {rs[0].day:g})",
                rs[0].line,
            )
            continue
        base = {m: base_row.values.get(m, math.nan) for m in MEASURES}
        if primary is not None and not base[primary] > 0:
            what = _MEASURE_TEXT[primary][0]
            value = "missing" if math.isnan(base[primary]) else f"{base[primary]:g} (not > 0)"
            refuse(animal, rs, f"baseline {what} on day {base_row.day:g} is {value}", base_row.line)
            continue
        baselines[animal] = base
    for e in excluded:
        notes.append(f"animal {e.animal_id} ({e.group}) excluded: {e.reason}")
    return baselines, excluded


def _ratio(a: float, b: float) -> float:
    """a / b, NaN where b is not > 0 (or either is NaN)."""
    return a / b if b > 0 else math.nan


def _humane(v: float, flux: float, change: float, endpoints: HumaneEndpoints) -> str:
    """Why a row meets a humane endpoint ("" if it does not)."""
    reasons: list[str] = []
    limit = endpoints.max_body_weight_loss_pct
    if not math.isnan(change) and -change >= limit:
        reasons.append(f"body-weight loss {-change:.1f} % >= {limit:g} %")
    vmax = endpoints.max_tumour_volume_mm3
    if vmax is not None and not math.isnan(v) and v >= vmax:
        reasons.append(f"tumour volume {v:.4g} mm^3 >= {vmax:g} mm^3")
    fmax = endpoints.max_total_flux_p_s
    if fmax is not None and not math.isnan(flux) and flux >= fmax:
        reasons.append(f"total flux {flux:.3g} p/s >= {fmax:.3g} p/s")
    return "; ".join(reasons)


def _primary(
    burden: Burden,
    has_volume: bool,
    has_flux: bool,
    by_animal: dict[str, list[_Row]],
    base_day: float | None,
    source: str,
    notes: list[str],
) -> str | None:
    """The primary burden column (see :data:`Burden`); a chosen measure the table lacks is an
    error naming it."""
    if burden not in ("auto", "volume", "flux"):
        raise InputError(
            f"burden must be 'auto', 'volume' or 'flux', got {quote(burden)}",
            file=source,
            field="burden",
        )
    if burden == "volume" and not has_volume:
        raise InputError(
            "burden 'volume' needs length_mm and width_mm or volume_mm3 columns",
            file=source,
            field="burden",
        )
    if burden == "flux" and not has_flux:
        raise InputError("burden 'flux' needs a total_flux_p_s column", file=source, field="burden")
    if burden == "volume" or (burden == "auto" and has_volume and not has_flux):
        return "volume_mm3"
    if burden == "flux" or (burden == "auto" and has_flux and not has_volume):
        return "total_flux_p_s"
    if not has_volume:
        return None

    def base_volume(rs: list[_Row]) -> float:
        row = rs[0] if base_day is None else next((r for r in rs if r.day == base_day), rs[0])
        return row.values.get("volume_mm3", math.nan)

    missing = [a for a, rs in by_animal.items() if not base_volume(rs) > 0]
    if not missing:
        return "volume_mm3"
    notes.append(
        f"burden: total flux (BLI), as {len(missing)} animal(s) have no baseline caliper volume "
        f"(e.g. {missing[0]}); volumes are kept where measured"
    )
    return "total_flux_p_s"


def _assemble(
    rows: list[_Row],
    *,
    source: str,
    measures: tuple[str, ...],
    formula: CaliperFormula,
    design: StudyDesign | None,
    baseline_day: float | None,
    missing_baseline: MissingBaseline,
    endpoints: HumaneEndpoints,
    detection_limit: float,
    notes: list[str],
    burden: Burden = "auto",
) -> AnimalTable:
    by_animal = _by_animal(rows, source, notes)
    _check_groups(by_animal, design, source, notes)
    if "length_mm" in measures:
        _caliper_volumes(by_animal, formula, source, notes)
    has_volume = "length_mm" in measures or "volume_mm3" in measures
    has_flux = "total_flux_p_s" in measures
    base_day = baseline_day
    if base_day is None and design is not None:
        base_day = design.randomisation_day
    primary = _primary(burden, has_volume, has_flux, by_animal, base_day, source, notes)
    if base_day is not None and not (isinstance(base_day, int | float) and math.isfinite(base_day)):
        raise InputError(
            f"baseline_day must be a number, got {quote(base_day)}",
            file=source,
            field="baseline_day",
        )
    baselines, excluded = _baselines(
        by_animal,
        base_day=base_day,
        primary=primary,
        missing_baseline=missing_baseline,
        source=source,
        notes=notes,
    )
    if not by_animal:
        raise InputError("every animal was excluded (no baseline)", file=source)
    control = design.control if design is not None else None
    if control is not None and not any(rs[0].group == control for rs in by_animal.values()):
        raise InputError(
            f"every animal of the control group {quote(control)} was excluded", file=source
        )
    out: dict[str, list[Any]] = {k: [] for k in _COLUMNS}
    fates: list[AnimalFate] = []
    floored = zero_flux = 0
    for animal, rs in by_animal.items():
        base = baselines[animal]
        endpoint_day: float | None = None
        endpoint_reason = ""
        base_bw = base["body_weight_g"]
        if math.isnan(base_bw) and "body_weight_g" in measures:
            notes.append(f"animal {animal}: no body weight on the baseline day; no % change")
        for r in rs:
            v = r.values.get("volume_mm3", math.nan)
            flux = r.values.get("total_flux_p_s", math.nan)
            bw = r.values.get("body_weight_g", math.nan)
            floored += int(v < detection_limit)
            zero_flux += int(flux == 0)
            change = (_ratio(bw, base_bw) - 1) * 100
            humane = _humane(v, flux, change, endpoints)
            if humane and endpoint_day is None:
                endpoint_day, endpoint_reason = r.day, humane
            derived = {
                "animal_id": animal,
                "group": r.group,
                "day": r.day,
                "row": r.line,
                **{m: r.values.get(m, math.nan) for m in MEASURES if m in out},
                "status": r.status,
                "reason": r.reason,
                "rtv": _ratio(v, base["volume_mm3"]),
                "log10_volume": math.log10(max(v, detection_limit)) if v >= 0 else math.nan,
                "relative_flux": _ratio(flux, base["total_flux_p_s"]),
                "log10_flux": math.log10(flux) if flux > 0 else math.nan,
                "body_weight_change_pct": change,
                "humane": humane,
            }
            for k in _COLUMNS:
                out[k].append(derived[k])
        last = rs[-1]
        if last.status == "dropout" and not last.reason:
            notes.append(f"animal {animal} dropped out on day {last.day:g} without a reason")
        fates.append(
            AnimalFate(
                animal_id=animal,
                group=last.group,
                first_day=rs[0].day,
                last_day=last.day,
                status=last.status,  # type: ignore[arg-type]
                reason=last.reason,
                endpoint_day=endpoint_day,
                endpoint_reason=endpoint_reason,
            )
        )
    if floored:
        notes.append(
            f"{floored} volume(s) below {detection_limit:g} mm^3 set to {detection_limit:g} "
            "mm^3 on log scales"
        )
    if zero_flux:
        notes.append(f"{zero_flux} total flux value(s) of 0 p/s: no log10 flux for those rows")
    columns = {k: tuple(v) for k, v in out.items()}
    return AnimalTable(
        source=source,
        animal_id=columns["animal_id"],
        group=columns["group"],
        day=columns["day"],
        row=columns["row"],
        length_mm=columns["length_mm"],
        width_mm=columns["width_mm"],
        volume_mm3=columns["volume_mm3"],
        total_flux_p_s=columns["total_flux_p_s"],
        body_weight_g=columns["body_weight_g"],
        status=columns["status"],
        reason=columns["reason"],
        rtv=columns["rtv"],
        log10_volume=columns["log10_volume"],
        relative_flux=columns["relative_flux"],
        log10_flux=columns["log10_flux"],
        body_weight_change_pct=columns["body_weight_change_pct"],
        humane=columns["humane"],
        animals=tuple(fates),
        measures=measures,
        caliper_formula=formula,
        baseline_day=None if base_day is None else float(base_day),
        control=control,
        endpoints=endpoints,
        detection_limit_mm3=detection_limit,
        excluded=tuple(excluded),
        flags=tuple(notes),
        design=design,
        burden=primary or "",
    )


_COLUMNS = (
    "animal_id", "group", "day", "row", "length_mm", "width_mm", "volume_mm3", "total_flux_p_s",
    "body_weight_g", "status", "reason", "rtv", "log10_volume", "relative_flux", "log10_flux",
    "body_weight_change_pct", "humane",
)  # fmt: skip


def read_animal_table(
    content: bytes,
    name: str,
    *,
    columns: Mapping[str, str] | None = None,
    design: StudyDesign | None = None,
    caliper_formula: str | None = None,
    baseline_day: float | None = None,
    missing_baseline: MissingBaseline = "error",
    max_body_weight_loss_pct: float | None = None,
    max_tumour_volume_mm3: float | None = None,
    max_total_flux_p_s: float | None = None,
    detection_limit_mm3: float = DEFAULT_DETECTION_LIMIT_MM3,
    burden: Burden = "auto",
) -> AnimalTable:
    """An :class:`AnimalTable` from CSV, TSV or xlsx bytes (see :func:`build_animal_table`).

    >>> csv = b"animal_id,group,day,length_mm,width_mm\\nM1,vehicle,0,10,6\\nM1,vehicle,7,12,8\\n"
    >>> t = read_animal_table(csv, "caliper.csv")
    >>> t.volume_mm3, t.rtv
    ((180.0, 384.0), (1.0, 2.1333333333333333))
    """
    frame, lines = read_tabular(content, name)
    return build_animal_table(
        frame,
        source=name,
        lines=lines,
        columns=columns,
        design=design,
        caliper_formula=caliper_formula,
        baseline_day=baseline_day,
        missing_baseline=missing_baseline,
        max_body_weight_loss_pct=max_body_weight_loss_pct,
        max_tumour_volume_mm3=max_tumour_volume_mm3,
        max_total_flux_p_s=max_total_flux_p_s,
        detection_limit_mm3=detection_limit_mm3,
        burden=burden,
    )


# --- Living Image ROI exports -------------------------------------------------------------------


@dataclass(frozen=True)
class LivingImageExport(Serial):
    """ROI measurements of a Living Image export, one row per animal and day (p/s, d).

    ``image`` and ``roi`` say where each value came from; :meth:`frame` is the tidy table
    :func:`build_animal_table` reads; ``flags`` lists skipped ROIs and summed ROIs.
    """

    source: str
    animal_id: tuple[str, ...]
    group: tuple[str, ...]
    day: tuple[float, ...]
    total_flux_p_s: tuple[float, ...]
    avg_radiance_p_s_cm2_sr: tuple[float, ...]
    image: tuple[str, ...]
    roi: tuple[str, ...]
    row: tuple[int, ...]
    flags: tuple[str, ...] = ()

    def frame(self) -> pd.DataFrame:
        """``animal_id, group, day, total_flux_p_s, avg_radiance_p_s_cm2_sr, image, roi``."""
        return pd.DataFrame(
            {
                "animal_id": list(self.animal_id),
                "group": list(self.group),
                "day": list(self.day),
                "total_flux_p_s": list(self.total_flux_p_s),
                "avg_radiance_p_s_cm2_sr": list(self.avg_radiance_p_s_cm2_sr),
                "image": list(self.image),
                "roi": list(self.roi),
            }
        )

    def animal_table(self, **settings: Any) -> AnimalTable:
        """This export as an :class:`AnimalTable` (``settings`` as :func:`build_animal_table`)."""
        f = self.frame()
        return build_animal_table(
            f.drop(columns=["image", "roi"]),
            source=self.source,
            lines=list(self.row),
            flags=[*self.flags, *settings.pop("flags", ())],
            **settings,
        )


_LI_ANIMAL = ("animal number", "animal id", "animal", "mouse id", "mouse", "subject", "roi label")
_LI_DAY = ("time point", "timepoint", "day", "study day")
_LI_GROUP = ("group", "treatment", "cohort")
_LI_DATE = ("date and time", "acquisition date", "date", "experiment")
_IMAGE_DATE = re.compile(r"[A-Za-z]{2}(\d{8})\d{6}")
_DAY_TEXT = re.compile(r"^\s*(?:day|d)?\s*_?\s*(-?\d+(?:\.\d+)?)\s*$", re.I)
_BACKGROUND = re.compile(r"^\s*(bkg|background|bg)\b", re.I)


def _find(headers: Sequence[str], wanted: Sequence[str]) -> str | None:
    low = {h.strip().lower(): h for h in headers}
    for w in wanted:
        if w in low:
            return low[w]
    return None


def _li_unit_column(headers: Sequence[str], base: str, units: set[str], name: str) -> str | None:
    """The header that starts with ``base`` (e.g. "total flux"), checking its bracketed unit."""
    for h in headers:
        b, unit = _split_header(h)
        if b.replace("_", " ") != base:
            continue
        if unit is None:
            raise UnitError(
                f"column {quote(h)} has no unit (Living Image writes e.g. '{base.title()} [p/s]')",
                file=name,
                column=h,
            )
        if unit.replace(" ", "").lower() not in {u.lower() for u in units}:
            raise UnitError(
                f"column {quote(h)}: unit {quote(unit)} is not expected", file=name, column=h
            )
        return h
    return None


def _li_date(text: str, image: str) -> date | None:
    """The acquisition date of a row: its date text (month first, as Living Image writes it;
    ISO dates too; it must hold a 4-digit year, so "today" is no date), else the date in the
    image number."""
    if text and re.search(r"(?<!\d)\d{4}(?!\d)", text):
        try:
            stamp = pd.to_datetime(text, format="mixed", dayfirst=False)
        except (ValueError, TypeError, OverflowError):
            stamp = None
        if stamp is not None and not pd.isna(stamp):
            return date(stamp.year, stamp.month, stamp.day)
    m = _IMAGE_DATE.search(image)
    if m:
        try:
            return datetime.strptime(m.group(1), "%Y%m%d").date()
        except ValueError:
            return None
    return None


def read_living_image(
    content: bytes,
    name: str,
    *,
    animal_column: str | None = None,
    day_column: str | None = None,
    group_column: str | None = None,
    start_date: date | str | None = None,
    groups: Mapping[str, str] | None = None,
    mapping: pd.DataFrame | None = None,
    combine: Literal["error", "sum"] = "error",
) -> LivingImageExport:
    """ROI measurements of a Living Image (IVIS) export: CSV or tab-separated TXT, or xlsx.

    The header is the first line with ``Total Flux [p/s]`` (a preamble is skipped). The unit in
    brackets must be p/s (and p/s/cm²/sr for ``Avg Radiance``). Each row is placed by:

    * **animal**: ``animal_column``, else the first of ``Animal Number``, ``Animal ID``,
      ``Mouse``, ``Subject``, ``ROI Label``;
    * **day**: ``day_column``, else ``Time Point`` / ``Day`` (``"Day 7"``, ``"D7"``, ``"7"``),
      else the acquisition date (``Date and Time``, ``Experiment``, or the date in the image
      number ``XX20220925101532``) minus ``start_date`` (study day 0);
    * **group**: ``group_column``, else ``Group`` / ``Treatment``, else ``groups`` (animal ->
      group).

    ``mapping`` (a DataFrame with ``image`` and/or ``roi`` and any of ``animal_id``, ``group``,
    ``day``) overrides those per ROI. ROIs labelled ``BKG``/``Background`` are skipped (flagged).
    Several ROIs of one animal on one day are refused, or summed with ``combine="sum"``.
    """
    frame, lines = read_tabular(content, name, header_hint=("total flux",))
    headers = [str(c) for c in frame.columns]
    flux_col = _li_unit_column(headers, "total flux", _PHOTON_UNITS, name)
    if flux_col is None:
        raise InputError("no 'Total Flux [p/s]' column: not a Living Image ROI export", file=name)
    rad_col = _li_unit_column(headers, "avg radiance", _RADIANCE_UNITS, name)
    if rad_col is None:
        rad_col = _li_unit_column(headers, "average radiance", _RADIANCE_UNITS, name)
    if combine not in ("error", "sum"):
        raise InputError(f"combine must be 'error' or 'sum', got {quote(combine)}", field="combine")

    def pick(given: str | None, wanted: Sequence[str], what: str) -> str | None:
        if given is None:
            return _find(headers, wanted)
        found = _find(headers, (given.strip().lower(),))
        if found is None:
            raise InputError(
                f"{what} column {quote(given)} is not in the export; columns: "
                + ", ".join(quote(h, 40) for h in headers[:20]),
                file=name,
                field=f"{what}_column",
            )
        return found

    animal_col = pick(animal_column, _LI_ANIMAL, "animal")
    day_col = pick(day_column, _LI_DAY, "day")
    group_col = pick(group_column, _LI_GROUP, "group")
    date_col = _find(headers, _LI_DATE)
    image_col = _find(headers, ("image number", "image", "image name"))
    roi_col = _find(headers, ("roi", "roi name"))
    label_col = _find(headers, ("roi label", "label"))
    start = _start_date(start_date, name)
    maps = _li_mapping(mapping, name)
    notes: list[str] = []
    cells: dict[tuple[str, float], dict[str, Any]] = {}
    order: list[tuple[str, float]] = []
    skipped = 0
    for i, line in enumerate(lines):
        rec = {h: _cell(frame.at[i, h]) for h in headers}
        image = rec.get(image_col, "") if image_col else ""
        roi = rec.get(roi_col, "") if roi_col else ""
        label = rec.get(label_col, "") if label_col else ""
        where: dict[str, Any] = {"file": name, "row": line}
        if _BACKGROUND.match(label or roi):
            skipped += 1
            continue
        override = maps.get((image, roi)) or maps.get(("", roi)) or maps.get((image, "")) or {}
        animal = override.get("animal_id") or (rec.get(animal_col, "") if animal_col else "")
        if not animal:
            raise InputError(
                "no animal for this ROI: give an 'Animal Number' or 'ROI Label', animal_column=, "
                "or a mapping",
                **where,
            )
        where["field"] = f"animal {animal}"
        day = override.get("day")
        if day is None and day_col is not None:
            m = _DAY_TEXT.match(rec.get(day_col, ""))
            if m is None:
                raise InputError(
                    f"time point {quote(rec.get(day_col, ''))} is not a study day "
                    "(e.g. 'Day 7' or '7')",
                    column=day_col,
                    **where,
                )
            day = float(m.group(1))
        if day is None:
            if start is None:
                raise InputError(
                    "no study day: the export has no 'Time Point' column; give start_date "
                    "(study day 0), day_column= or a mapping",
                    **where,
                )
            when = _li_date(rec.get(date_col, "") if date_col else "", image)
            if when is None:
                raise InputError(
                    "cannot read the acquisition date (Date and Time, Experiment or image number)",
                    column=date_col,
                    **where,
                )
            day = float((when - start).days)
        group = override.get("group") or (rec.get(group_col, "") if group_col else "")
        if not group and groups is not None:
            group = groups.get(animal, "")
        if not group:
            raise InputError(
                f"no group for animal {quote(animal)}: give a Group column, group_column=, "
                "groups= or a mapping",
                **where,
            )
        flux = _li_number(rec[flux_col], "total flux", flux_col, where)
        rad = _li_number(rec[rad_col], "average radiance", rad_col, where) if rad_col else math.nan
        key = (animal, float(day))
        if key in cells:
            prev = cells[key]
            if combine == "error":
                raise InputError(
                    f"animal {quote(animal)} has two ROIs on day {day:g} (rows {prev['row']} and "
                    f"{line}); keep one, or sum them with combine='sum'",
                    **where,
                )
            if prev["group"] != group:
                raise InputError(
                    f"animal {quote(animal)} is in group {quote(prev['group'])} (row "
                    f"{prev['row']}) and in group {quote(group)}",
                    **where,
                )
            prev["flux"] += flux
            prev["rad"] = math.nan  # an average radiance does not add up
            prev["roi"] += f"+{roi}"
            prev["summed"] = True
            continue
        cells[key] = {
            "group": group, "flux": flux, "rad": rad, "image": image, "roi": roi, "row": line,
            "summed": False,
        }  # fmt: skip
        order.append(key)
    if not order:
        raise InputError("the export has no animal ROIs (only background)", file=name)
    if skipped:
        notes.append(f"{skipped} background ROI(s) skipped")
    summed = [k for k in order if cells[k]["summed"]]
    if summed:
        notes.append(
            f"{len(summed)} animal-day(s) with several ROIs: total flux summed, radiance dropped"
        )
    return LivingImageExport(
        source=name,
        animal_id=tuple(k[0] for k in order),
        group=tuple(cells[k]["group"] for k in order),
        day=tuple(k[1] for k in order),
        total_flux_p_s=tuple(cells[k]["flux"] for k in order),
        avg_radiance_p_s_cm2_sr=tuple(cells[k]["rad"] for k in order),
        image=tuple(cells[k]["image"] for k in order),
        roi=tuple(cells[k]["roi"] for k in order),
        row=tuple(cells[k]["row"] for k in order),
        flags=tuple(notes),
    )


def _li_number(text: str, what: str, column: str, where: dict[str, Any]) -> float:
    try:
        v = float(text.replace(",", "")) if text else math.nan
    except ValueError:
        raise InputError(f"{what} {quote(text)} is not a number", column=column, **where) from None
    if math.isnan(v):
        raise InputError(f"{what} is missing", column=column, **where)
    if not math.isfinite(v) or v < 0:
        raise InputError(f"{what} {text} must be a finite number >= 0", column=column, **where)
    return v


def _start_date(value: date | str | None, name: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(
        f"start_date must be a date (YYYY-MM-DD), got {quote(value)}", file=name, field="start_date"
    )


def _li_mapping(mapping: pd.DataFrame | None, name: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(image, roi) -> {animal_id, group, day} from a mapping table (blank image or roi: any)."""
    if mapping is None:
        return {}
    if not isinstance(mapping, pd.DataFrame):
        raise InputError("mapping must be a DataFrame", file=name, field="mapping")
    cols = {_normalise(str(c)): c for c in mapping.columns}
    image_c = cols.get("image") or cols.get("image_number")
    roi_c = cols.get("roi")
    if image_c is None and roi_c is None:
        raise InputError("mapping needs an 'image' or a 'roi' column", file=name, field="mapping")
    if not any(k in cols for k in ("animal_id", "group", "day")):
        raise InputError(
            "mapping needs an 'animal_id', 'group' or 'day' column", file=name, field="mapping"
        )
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for i in range(len(mapping)):
        image = _cell(mapping.iloc[i][image_c]) if image_c is not None else ""
        roi = _cell(mapping.iloc[i][roi_c]) if roi_c is not None else ""
        entry: dict[str, Any] = {}
        for key in ("animal_id", "group"):
            if key in cols and (v := _cell(mapping.iloc[i][cols[key]])):
                entry[key] = v
        if "day" in cols and (v := _cell(mapping.iloc[i][cols["day"]])):
            try:
                entry["day"] = float(v)
            except ValueError:
                raise InputError(
                    f"mapping day {quote(v)} is not a number", file=name, field="mapping", row=i + 2
                ) from None
        if (image, roi) in out:
            raise InputError(
                f"mapping gives image {quote(image)}, ROI {quote(roi)} twice",
                file=name,
                field="mapping",
                row=i + 2,
            )
        out[(image, roi)] = entry
    return out
