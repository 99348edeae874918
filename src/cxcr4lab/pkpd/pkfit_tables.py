"""Reading PK fitting tables: the NCA form and the NONMEM form (:mod:`cxcr4lab.pkpd.pkfit`).

:func:`read_pk_table` turns a table, with cells as read from a file, into one
:class:`SubjectData` per subject: its observation times (h), concentrations (NaN = BLQ) and
dose records. Table errors raise one :class:`InputError` naming the file row and column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.tables import numeric_column, require_nonempty
from cxcr4lab.pkpd.datasets import is_nonmem, validate_nonmem
from cxcr4lab.pkpd.nca_read import BLQ_TOKENS, read_profiles
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
    """The NCA form, read as :func:`cxcr4lab.pkpd.nca_read.read_profiles` reads it (the dose
    on every row or once per subject; BLQ tokens; blank samples left out and noted); without a
    route column the ``route`` setting decides (``iv`` with a duration: an infusion)."""
    frame = frame.rename(columns=lambda c: "_".join(str(c).strip().lower().split()))
    if "route" not in frame.columns and settings.route == "iv":
        durations = (
            pd.to_numeric(frame["duration"], errors="coerce")
            if "duration" in frame.columns
            else pd.Series(np.nan, index=frame.index)
        )
        frame = frame.assign(route=np.where(durations > 0, "infusion", "iv bolus"))
    given_route = "route" in frame.columns and frame["route"].notna().any()
    profiles = read_profiles(frame, place.file or "", row_base, settings.lloq)
    out: list[SubjectData] = []
    for p in profiles:
        route = "oral" if p.route == "extravascular" else "iv"
        if given_route and settings.route is not None and settings.route != route:
            raise InputError(
                f"subject {p.subject}: route {quote(p.route)} contradicts the route setting "
                f"{quote(settings.route)}",
                place=place,
                column="route",
            )
        notes = tuple(f"missing concentration at t = {t:g} h: excluded" for t in p.missing)
        dose = p.doses[0]
        out.append(
            SubjectData(
                p.subject,
                p.time,
                p.conc,
                (DoseRecord(dose.time, dose.amount, dose.duration, route),),
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


def read_pk_table(
    frame: pd.DataFrame, settings: PkFitSettings, *, source: str, row_base: int = 2
) -> list[SubjectData]:
    """Subjects of ``frame`` in table order (NCA or NONMEM form, told apart by the columns:
    ``ID``, ``TIME`` and ``DV`` without ``subject`` is NONMEM)."""
    place = Place(file=source)
    require_nonempty(frame, place=place)
    frame = frame.reset_index(drop=True)  # row numbers count from the first data row
    if is_nonmem(frame):
        return _read_nonmem_form(frame, settings, place, row_base)
    return _read_nca_form(frame, settings, place, row_base)
