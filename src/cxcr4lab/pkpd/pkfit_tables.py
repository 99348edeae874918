"""Reading PK fitting tables: the NCA form and the NONMEM form (:mod:`cxcr4lab.pkpd.pkfit`).

:func:`read_pk_table` turns a table, with cells as read from a file, into one
:class:`SubjectData` per subject: its observation times (h), concentrations (NaN = BLQ) and
dose records. Table errors raise one :class:`InputError` naming the file row and column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.tables import numeric_column, require_columns, require_nonempty
from cxcr4lab.pkpd.datasets import validate_nonmem
from cxcr4lab.pkpd.nca import BLQ_TOKENS, parse_route
from cxcr4lab.pkpd.pkfit_results import DoseRecord, PkFitSettings

__all__ = ["SubjectData", "read_pk_table"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class SubjectData:
    """One subject's observations (h, concentration; NaN = BLQ) and dose records."""

    subject: str
    time: Array
    conc: Array
    doses: tuple[DoseRecord, ...]
    notes: tuple[str, ...] = ()
    """What reading left out (missing samples), said as NCA says it."""


def _subject_order(ids: Sequence[str]) -> dict[str, list[int]]:
    order: dict[str, list[int]] = {}
    for i, s in enumerate(ids):
        order.setdefault(s, []).append(i)
    return order


def _conc_cells(
    frame: pd.DataFrame, column: str, place: Place, row_base: int
) -> tuple[Array, NDArray[np.bool_]]:
    """Concentrations as floats, BLQ tokens as NaN, and which cells are blank (a missing
    sample, as NCA reads it)."""
    raw = ["" if v is None else str(v).strip() for v in frame[column].to_numpy()]
    blq = np.array([r.lower() in BLQ_TOKENS for r in raw])
    values = numeric_column(
        pd.DataFrame({column: [None if b else r for r, b in zip(raw, blq, strict=True)]}),
        column,
        place=place,
        allow_nan=True,
        nonnegative=True,
        row_base=row_base,
    )
    missing = np.isnan(values) & ~blq
    return values, missing


def _read_nca_form(
    frame: pd.DataFrame, settings: PkFitSettings, place: Place, row_base: int
) -> list[SubjectData]:
    frame = frame.rename(columns=lambda c: "_".join(str(c).strip().lower().split()))
    require_columns(frame, ["subject", "time", "conc", "dose"], place=place)
    ids = ["" if v is None else str(v).strip() for v in frame["subject"].to_numpy()]
    for i, s in enumerate(ids):
        if not s or s.lower() == "nan":
            raise InputError("subject is missing", place=place, row=i + row_base, column="subject")
    times = numeric_column(frame, "time", place=place, nonnegative=True, row_base=row_base)
    doses = numeric_column(frame, "dose", place=place, nonnegative=True, row_base=row_base)
    conc, missing = _conc_cells(frame, "conc", place, row_base)
    routes = (
        [None if v is None or str(v).strip() in ("", "nan") else str(v) for v in frame["route"]]
        if "route" in frame.columns
        else [None] * len(frame)
    )
    durations = (
        numeric_column(frame, "duration", place=place, allow_nan=True, row_base=row_base)
        if "duration" in frame.columns
        else np.full(len(frame), np.nan)
    )
    out: list[SubjectData] = []
    for subject, rows in _subject_order(ids).items():
        first = rows[0]
        here = replace(place, row=first + row_base)
        for i in rows[1:]:
            if doses[i] != doses[first] or routes[i] != routes[first]:
                col = "dose" if doses[i] != doses[first] else "route"
                raise InputError(
                    f"subject {subject}: {col} differs from row {first + row_base} "
                    "(one dose per subject in this form; use the NONMEM form for more)",
                    place=place,
                    row=i + row_base,
                    column=col,
                )
        if not doses[first] > 0:
            raise InputError(f"subject {subject}: dose must be > 0", place=here, column="dose")
        text = routes[first]
        if text is None:
            route = settings.route or "oral"
            duration = float(durations[first]) if route == "iv" else 0.0
        else:
            nca_route = parse_route(text, place=replace(here, column="route"))
            route = "oral" if nca_route == "extravascular" else "iv"
            if settings.route is not None and settings.route != route:
                raise InputError(
                    f"subject {subject}: route {quote(text)} contradicts the route setting "
                    f"{quote(settings.route)}",
                    place=here,
                    column="route",
                )
            duration = float(durations[first]) if nca_route == "infusion" else 0.0
            if nca_route == "infusion" and not (math.isfinite(duration) and duration > 0):
                raise InputError(
                    f"subject {subject}: an infusion needs a duration > 0 (h)",
                    place=here,
                    column="duration",
                )
        duration = duration if math.isfinite(duration) else 0.0
        idx = np.array(rows)
        idx = idx[np.argsort(times[idx], kind="stable")]
        gone = idx[missing[idx]]
        notes = tuple(
            f"missing concentration at t = {times[i]:g} h: excluded" for i in gone.tolist()
        )
        idx = idx[~missing[idx]]
        out.append(
            SubjectData(
                subject,
                times[idx],
                _lloq(conc[idx], settings.lloq),
                (DoseRecord(0.0, float(doses[first]), duration, route),),
                notes,
            )
        )
    return out


def _lloq(c: Array, lloq: float | None) -> Array:
    return c if lloq is None else np.where(c < lloq, np.nan, c)


def _read_nonmem_form(
    frame: pd.DataFrame, settings: PkFitSettings, place: Place, row_base: int
) -> list[SubjectData]:
    if settings.route is None:
        raise InputError(
            "NONMEM-style data: give the route of the doses (iv or oral)",
            place=replace(place, field="route"),
        )
    df = validate_nonmem(frame, source=place.file or "dataset", row_base=row_base)
    ids = [f"{int(v)}" if float(v).is_integer() else f"{v:g}" for v in df["ID"]]
    out: list[SubjectData] = []
    for subject, rows in _subject_order(ids).items():
        sub = df.iloc[rows]
        records: list[DoseRecord] = []
        col = {
            c: sub[c].to_numpy(dtype=float) for c in ("TIME", "EVID", "AMT", "RATE", "II", "ADDL")
        }
        for j, i in enumerate(rows):
            evid, rate = int(col["EVID"][j]), float(col["RATE"][j])
            if evid in (3, 4):
                raise InputError(
                    f"ID {subject}: resets (EVID 3/4) are not supported in PK fitting",
                    place=place,
                    row=i + row_base,
                    column="EVID",
                )
            if evid != 1:
                continue
            if rate < 0:
                raise InputError(
                    f"ID {subject}: RATE {rate:g} (modelled rate/duration) is not supported",
                    place=place,
                    row=i + row_base,
                    column="RATE",
                )
            amount = float(col["AMT"][j])
            duration = amount / rate if rate > 0 else 0.0
            if settings.route == "oral" and duration > 0:
                raise InputError(
                    f"ID {subject}: an oral dose cannot have a RATE",
                    place=place,
                    row=i + row_base,
                    column="RATE",
                )
            start, every = float(col["TIME"][j]), float(col["II"][j])
            for k in range(int(col["ADDL"][j]) + 1):
                records.append(DoseRecord(start + k * every, amount, duration, settings.route))
        obs = sub[(sub["EVID"] == 0) & (sub["MDV"] == 0)]
        out.append(
            SubjectData(
                subject,
                obs["TIME"].to_numpy(dtype=float),
                _lloq(obs["DV"].to_numpy(dtype=float), settings.lloq),
                tuple(sorted(records, key=lambda r: r.time)),
            )
        )
    return out


def _is_nonmem(frame: pd.DataFrame) -> bool:
    cols = {str(c).strip().upper() for c in frame.columns}
    return {"ID", "TIME", "DV"} <= cols and "SUBJECT" not in cols


def read_pk_table(
    frame: pd.DataFrame, settings: PkFitSettings, *, source: str, row_base: int = 2
) -> list[SubjectData]:
    """Subjects of ``frame`` in table order (NCA or NONMEM form, told apart by the columns:
    ``ID``, ``TIME`` and ``DV`` without ``subject`` is NONMEM)."""
    place = Place(file=source)
    require_nonempty(frame, place=place)
    frame = frame.reset_index(drop=True)  # row numbers count from the first data row
    if _is_nonmem(frame):
        return _read_nonmem_form(frame, settings, place, row_base)
    return _read_nca_form(frame, settings, place, row_base)
