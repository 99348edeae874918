"""Reading NCA input: the concentration table and its doses (in the table or a dose table).

The concentration table has one row per sample: ``subject, time, conc`` and, unless a dose table
is given, ``dose`` (on every row, or once per subject with the other cells blank), optional
``route`` and ``duration`` (h, infusions). Any other column that is constant within a subject
(cohort, sex, dose level) is carried per subject for grouping. Times are in hours on one clock
per subject (the first dose usually at 0); concentrations may be ``BLQ`` or below the LLOQ.

A dose table (Phoenix's dosing sheet, PKNCA's dose data) has one row per dose:
``subject, time, dose`` and optional ``route``, ``duration`` (h) and ``tau`` (or ``ii``, the
dosing interval in h). It names only subjects of the concentration table.

Every refusal names the file, row and column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.core.tables import numeric_column, require_columns, require_nonempty, require_unique
from cxcr4lab.pkpd.nca_calc import FloatArray

__all__ = [
    "BLQ_TOKENS",
    "ROUTES",
    "Dose",
    "Profile",
    "Route",
    "column_key",
    "parse_route",
    "read_doses",
    "read_profiles",
]

Route = Literal["extravascular", "iv bolus", "infusion"]
ROUTES: tuple[Route, ...] = ("extravascular", "iv bolus", "infusion")
_ROUTE_WORDS: dict[str, Route] = {
    "extravascular": "extravascular",
    "ev": "extravascular",
    "oral": "extravascular",
    "po": "extravascular",
    "sc": "extravascular",
    "iv bolus": "iv bolus",
    "ivbolus": "iv bolus",
    "bolus": "iv bolus",
    "iv": "iv bolus",
    "infusion": "infusion",
    "iv infusion": "infusion",
    "ivinfusion": "infusion",
}
BLQ_TOKENS = frozenset({"blq", "bql", "<lloq", "<loq", "bloq", "<lod"})
_CORE = ("subject", "time", "conc", "dose", "route", "duration")


def parse_route(text: str | None, *, place: Place) -> Route:
    """``"IV bolus"``, ``"bolus"``, ``"infusion"``, ``"oral"``, ... -> a route; blank = EV."""
    if text is None or not text.strip():
        return "extravascular"
    key = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
    if key in _ROUTE_WORDS:
        return _ROUTE_WORDS[key]
    raise InputError(
        f"unknown route {text!r}; use extravascular, iv bolus or infusion", place=place
    )


@dataclass(frozen=True)
class Dose:
    """One dose: time (h), amount (dose unit), route, infusion duration (h, 0 otherwise)."""

    time: float
    amount: float
    route: Route
    duration: float


@dataclass(frozen=True)
class Profile:
    """One subject's samples as read: times (h) with concentrations (NaN = BLQ), its doses (at
    least one, by time), the times of blank samples, the dosing interval (h) if the dose table
    gave one, and the subject's grouping columns."""

    subject: str
    doses: tuple[Dose, ...]
    time: FloatArray
    conc: FloatArray  # NaN = BLQ (decided later by the BLQ rules)
    missing: tuple[float, ...]  # times whose concentration was blank/NA
    tau: float | None = None
    meta: tuple[tuple[str, str], ...] = ()

    @property
    def route(self) -> Route:
        return self.doses[0].route

    @property
    def dose(self) -> float:
        return self.doses[0].amount

    @property
    def duration(self) -> float:
        return self.doses[0].duration


def column_key(name: object) -> str:
    """A column name as the NCA reads it: lower case, blanks as ``_`` ("Dose Level" ->
    ``dose_level``)."""
    return "_".join(str(name).strip().lower().split())


def _column_names(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=column_key)


def _cells(frame: pd.DataFrame, name: str) -> list[str | None]:
    out: list[str | None] = []
    for v in frame[name].to_numpy():
        blank = v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""
        out.append(None if blank else str(v).strip())
    return out


def _subjects(frame: pd.DataFrame, place: Place, row_base: int) -> list[str]:
    subjects = _cells(frame, "subject")
    for i, s in enumerate(subjects):
        if s is None:
            raise InputError("subject is missing", place=place, row=i + row_base, column="subject")
    return [str(s) for s in subjects]


def _doses_of_rows(
    frame: pd.DataFrame,
    rows: list[int],
    subject: str,
    place: Place,
    row_base: int,
    amounts: FloatArray,
    times: FloatArray | None,
) -> tuple[Dose, ...]:
    """The doses named on ``rows`` (dose table rows, or one per subject from the PK table)."""
    routes = _cells(frame, "route") if "route" in frame.columns else [None] * len(frame)
    durations = (
        numeric_column(frame, "duration", place=place, allow_nan=True, row_base=row_base)
        if "duration" in frame.columns
        else np.full(len(frame), np.nan)
    )
    doses: list[Dose] = []
    for i in rows:
        route = parse_route(routes[i], place=replace(place, row=i + row_base, column="route"))
        duration = float(durations[i])
        if route == "infusion":
            if not (math.isfinite(duration) and duration > 0):
                raise InputError(
                    f"subject {subject}: an infusion needs a duration > 0 (h)",
                    place=place,
                    row=i + row_base,
                    column="duration",
                )
        else:
            duration = 0.0
        at = 0.0 if times is None else float(times[i])
        doses.append(Dose(at, float(amounts[i]), route, duration))
    routes_seen = {d.route for d in doses}
    if len(routes_seen) > 1:
        raise InputError(
            f"subject {subject}: doses by {' and '.join(sorted(routes_seen))}; one route per "
            "subject",
            place=place,
            row=rows[-1] + row_base,
            column="route",
        )
    return tuple(sorted(doses, key=lambda d: d.time))


def _positive_doses(frame: pd.DataFrame, place: Place, row_base: int) -> FloatArray:
    doses = numeric_column(frame, "dose", place=place, allow_nan=True, row_base=row_base)
    for i, d in enumerate(doses):
        if not (math.isnan(d) or d > 0):
            raise InputError(
                f"dose must be > 0, got {d:g}", place=place, row=i + row_base, column="dose"
            )
    return doses


def read_doses(
    frame: pd.DataFrame, source: str, row_base: int = 2
) -> dict[str, tuple[tuple[Dose, ...], float | None]]:
    """A dose table: subject -> (its doses by time, its dosing interval tau in h or None)."""
    place = Place(file=source)
    frame = _column_names(frame).reset_index(drop=True)
    if "ii" in frame.columns and "tau" not in frame.columns:
        frame = frame.rename(columns={"ii": "tau"})
    require_nonempty(frame, place=place)
    require_columns(frame, ["subject", "time", "dose"], place=place)
    subjects = _subjects(frame, place, row_base)
    times = numeric_column(frame, "time", place=place, nonnegative=True, row_base=row_base)
    amounts = _positive_doses(frame, place, row_base)
    for i, d in enumerate(amounts):
        if math.isnan(d):
            raise InputError("dose is missing", place=place, row=i + row_base, column="dose")
    taus = (
        numeric_column(frame, "tau", place=place, allow_nan=True, row_base=row_base)
        if "tau" in frame.columns
        else np.full(len(frame), np.nan)
    )
    for i, t in enumerate(taus):
        if not (math.isnan(t) or t > 0):
            raise InputError(
                f"tau (dosing interval) must be > 0 h, got {t:g}",
                place=place,
                row=i + row_base,
                column="tau",
            )
    keys = pd.DataFrame({"subject": subjects, "time": times})
    require_unique(keys, ["subject", "time"], place=place, row_base=row_base)
    rows: dict[str, list[int]] = {}
    for i, s in enumerate(subjects):
        rows.setdefault(s, []).append(i)
    out: dict[str, tuple[tuple[Dose, ...], float | None]] = {}
    for subject, idx in rows.items():
        given = {float(taus[i]) for i in idx if not math.isnan(taus[i])}
        if len(given) > 1:
            raise InputError(
                f"subject {subject}: tau differs between doses ({', '.join(map(str, given))} h)",
                place=place,
                row=idx[-1] + row_base,
                column="tau",
            )
        doses = _doses_of_rows(frame, idx, subject, place, row_base, amounts, times)
        out[subject] = (doses, given.pop() if given else None)
    return out


def read_profiles(
    frame: pd.DataFrame,
    source: str,
    row_base: int,
    lloq: float | None,
    *,
    doses: dict[str, tuple[tuple[Dose, ...], float | None]] | None = None,
    dose_source: str = "",
    dose_row_base: int = 2,
) -> list[Profile]:
    """The profiles of a PK table, each refusal naming the row and column; a concentration
    below ``lloq`` is BLQ. ``doses`` (from :func:`read_doses`) replaces the table's ``dose``."""
    place = Place(file=source)
    frame = _column_names(frame).reset_index(drop=True)
    require_nonempty(frame, place=place)
    require_columns(frame, ["subject", "time", "conc"], place=place)
    if doses is None:
        require_columns(frame, ["dose"], place=place)
    subjects = _subjects(frame, place, row_base)
    times = numeric_column(frame, "time", place=place, nonnegative=True, row_base=row_base)
    raw_conc = _cells(frame, "conc")
    blq = np.array([c is not None and c.lower() in BLQ_TOKENS for c in raw_conc])
    conc_frame = pd.DataFrame(
        {"conc": [None if b else c for c, b in zip(raw_conc, blq, strict=True)]}
    )
    conc = numeric_column(
        conc_frame, "conc", place=place, allow_nan=True, nonnegative=True, row_base=row_base
    )
    missing = np.isnan(conc) & ~blq
    if lloq is not None:
        blq |= ~np.isnan(conc) & (conc < lloq)
    conc = np.where(blq, np.nan, conc)
    keys = pd.DataFrame({"subject": subjects, "time": times})
    require_unique(keys, ["subject", "time"], place=place, row_base=row_base)

    order: dict[str, list[int]] = {}
    for i, s in enumerate(subjects):
        order.setdefault(s, []).append(i)
    if doses is not None:
        for subject in doses:
            if subject not in order:
                raise InputError(
                    f"the dose table names subject {subject!r}, which has no concentrations in "
                    f"{source}",
                    file=dose_source,
                    column="subject",
                )
    amounts = None if doses is not None else _positive_doses(frame, place, row_base)
    extra = [c for c in frame.columns if c not in _CORE]
    profiles: list[Profile] = []
    for subject, rows in order.items():
        tau: float | None = None
        if doses is not None:
            if subject not in doses:
                raise InputError(
                    f"subject {subject} has no dose in the dose table {dose_source}",
                    place=place,
                    row=rows[0] + row_base,
                    column="subject",
                )
            subject_doses, tau = doses[subject]
        else:
            assert amounts is not None
            subject_doses = _table_dose(frame, rows, subject, place, row_base, amounts)
        idx = np.array(rows)
        idx = idx[np.argsort(times[idx], kind="stable")]
        keep = idx[~missing[idx]]
        profiles.append(
            Profile(
                subject=subject,
                doses=subject_doses,
                time=times[keep].astype(float),
                conc=conc[keep].astype(float),
                missing=tuple(float(t) for t in times[idx[missing[idx]]]),
                tau=tau,
                meta=_meta(frame, rows, extra),
            )
        )
    return profiles


def _table_dose(
    frame: pd.DataFrame,
    rows: list[int],
    subject: str,
    place: Place,
    row_base: int,
    amounts: FloatArray,
) -> tuple[Dose, ...]:
    """The one dose of a subject from the PK table: given on every row or once (blank cells
    inherit it); route and duration likewise."""
    given = [i for i in rows if not math.isnan(amounts[i])]
    if not given:
        raise InputError(
            f"subject {subject} has no dose (give it on one row of the subject, or a dose table)",
            place=place,
            row=rows[0] + row_base,
            column="dose",
        )
    first = given[0]
    for col in ("dose", "route", "duration"):
        if col not in frame.columns:
            continue
        cells = _cells(frame, col)
        for i in rows:
            a, b = cells[first], cells[i]
            if b is None or a == b:
                continue
            if col != "route":
                try:
                    if float(a) == float(b):  # type: ignore[arg-type]
                        continue
                except (TypeError, ValueError):
                    pass
            raise InputError(
                f"subject {subject}: {col} {b} differs from {a} at row {first + row_base} (one "
                "dose per subject in this table; give several doses in a dose table)",
                place=place,
                row=i + row_base,
                column=col,
            )
    filled = frame.copy()
    for col in ("route", "duration"):
        if col in filled.columns:
            filled[col] = filled[col].astype(object)
            cells = _cells(filled, col)
            value = next((cells[i] for i in rows if cells[i] is not None), None)
            filled.loc[first, col] = value
    return _doses_of_rows(filled, [first], subject, place, row_base, amounts, None)


def _meta(frame: pd.DataFrame, rows: list[int], columns: list[str]) -> tuple[tuple[str, str], ...]:
    """The subject's value of every extra column that is constant within it (blanks aside)."""
    out: list[tuple[str, str]] = []
    for col in columns:
        cells = _cells(frame, col)
        values = {str(cells[i]) for i in rows if cells[i] is not None}
        if len(values) == 1:
            out.append((col, values.pop()))
    return tuple(out)
