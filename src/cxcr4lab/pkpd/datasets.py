"""NONMEM-style datasets: read, validate and write (CSV, ``.`` for a missing value).

Standard columns: ``ID TIME EVID AMT RATE II ADDL CMT DV MDV`` (TIME in h, AMT in the dose unit,
RATE in dose unit per h). ``ID`` and ``TIME`` are required; ``EVID`` defaults to 1 where ``AMT``
is given and 0 elsewhere, ``RATE``/``II``/``ADDL`` to 0, ``CMT`` to 1, ``MDV`` to 1 for non-
observation records and missing ``DV``. Other columns (covariates such as ``WT``, ``HT``) are kept
and must be numeric, as NONMEM requires. Every check raises one :class:`InputError` naming the
file line (header = line 1), the column and the subject ID.

>>> import io
>>> text = "ID,TIME,EVID,AMT,DV\\n1,0,1,100,.\\n1,1,0,.,5.2\\n"
>>> frame = read_nonmem(io.StringIO(text), source="pk.csv")
>>> frame[["ID", "TIME", "EVID", "AMT", "DV", "MDV", "CMT"]].values.tolist()
[[1.0, 0.0, 1.0, 100.0, nan, 1.0, 1.0], [1.0, 1.0, 0.0, nan, 5.2, 0.0, 1.0]]
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, Place, quote, shorten
from cxcr4lab.core.files import read_input
from cxcr4lab.core.limits import MAX_FILE_BYTES, check_size, check_text_table

__all__ = [
    "MISSING",
    "NONMEM_COLUMNS",
    "TEXT_COLUMNS",
    "is_nonmem",
    "read_nonmem",
    "validate_nonmem",
    "write_nonmem",
]

NONMEM_COLUMNS = ("ID", "TIME", "EVID", "AMT", "RATE", "II", "ADDL", "CMT", "DV", "MDV")
TEXT_COLUMNS = ("DRUG",)
"""Columns kept as text by default (the drug name of :func:`regimens.regimen_events`)."""
MISSING = "."
"""How NONMEM writes a missing value."""

_BLANK = {"", ".", "nan", "na"}


def _to_numeric(
    frame: pd.DataFrame, place: Place, row_base: int, text: Sequence[str]
) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        raw = frame[col]
        if col in text:
            cells = ["" if v is None or v is pd.NA else str(v).strip() for v in raw.to_numpy()]
            bad_text = [i for i, c in enumerate(cells) if "," in c or '"' in c]
            if bad_text:
                raise InputError(
                    f"{quote(cells[bad_text[0]])}: text cells may not hold commas or quotes",
                    place=place,
                    row=bad_text[0] + row_base,
                    column=str(col),
                )
            out[str(col)] = cells
            continue
        if pd.api.types.is_numeric_dtype(raw):
            values = raw.to_numpy(dtype=float)
            bad = np.isinf(values)
        else:
            cells = ["" if v is None or v is pd.NA else str(v).strip() for v in raw.to_numpy()]
            blank = np.array([c.lower() in _BLANK for c in cells], dtype=bool)
            # Python's float() rounds correctly, so written numbers read back exactly
            values = np.array(
                [math.nan if b else _float(c) for c, b in zip(cells, blank, strict=True)]
            )
            bad = (np.isnan(values) & ~blank) | np.isinf(values)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(
                f"{quote(raw.iloc[i])} is not a number{_id_text(frame, i)}",
                place=place,
                row=i + row_base,
                column=str(col),
            )
        out[str(col)] = values
    return out


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _id_text(frame: pd.DataFrame, i: int) -> str:
    if "ID" in frame.columns:
        return f" (ID {frame['ID'].iloc[i]})"
    return ""


def validate_nonmem(
    frame: pd.DataFrame,
    *,
    source: str = "dataset",
    row_base: int = 2,
    text_columns: Sequence[str] = TEXT_COLUMNS,
) -> pd.DataFrame:
    """A checked copy of ``frame`` with the standard columns filled in; every column is numeric
    except ``text_columns`` (kept as text, e.g. ``DRUG``; drop them in NONMEM's ``$INPUT``).

    Refuses: a missing ID or TIME column or value, non-numeric cells, negative TIME, TIME going
    back within an ID (except at an EVID 3/4 reset), EVID outside 0-4, negative AMT, a dose
    record (EVID 1 or 4) without AMT > 0, RATE other than -2, -1 or >= 0, negative II or ADDL,
    ADDL without II, CMT not a whole number >= 1, and duplicated records (same ID, TIME, EVID,
    CMT and AMT). ``row_base`` is the file line of the first data row.
    """
    place = Place(file=source)
    if len(frame) == 0:
        raise InputError("the dataset has no records", place=place)
    frame = frame.rename(columns=lambda c: str(c).strip().upper()).reset_index(drop=True)
    for col in ("ID", "TIME"):
        if col not in frame.columns:
            have = ", ".join(map(str, frame.columns))
            raise InputError(f"missing column {col}; columns present: {have}", place=place)
    text = [c.upper() for c in text_columns if c.upper() not in NONMEM_COLUMNS]
    df = _to_numeric(frame, place, row_base, text)
    n = len(df)

    def fail(mask: np.ndarray, col: str, message: str) -> None:
        if mask.any():
            i = int(np.argmax(mask))
            sid = df["ID"].iloc[i]
            raise InputError(
                f"ID {_fmt(sid)}: {message}", place=place, row=i + row_base, column=col
            )

    for col in ("ID", "TIME"):
        nan = np.isnan(df[col].to_numpy())
        if nan.any():
            i = int(np.argmax(nan))
            raise InputError("value is missing", place=place, row=i + row_base, column=col)
    has_amt = "AMT" in df.columns
    if "EVID" not in df.columns:
        amt = df["AMT"].to_numpy() if has_amt else np.full(n, np.nan)
        df["EVID"] = np.where(np.isfinite(amt) & (amt > 0), 1.0, 0.0)
    for col, default in (("AMT", math.nan), ("RATE", 0.0), ("II", 0.0), ("ADDL", 0.0)):
        if col not in df.columns:
            df[col] = default
        elif col != "AMT":
            df[col] = df[col].fillna(default)
    if "CMT" not in df.columns:
        df["CMT"] = 1.0
    if "DV" not in df.columns:
        df["DV"] = math.nan
    evid = df["EVID"].to_numpy()
    fail(np.isnan(evid), "EVID", "EVID is missing")
    fail(~np.isin(evid, [0, 1, 2, 3, 4]), "EVID", "EVID must be 0, 1, 2, 3 or 4")
    ids = df["ID"].to_numpy()
    time = df["TIME"].to_numpy()
    amt = df["AMT"].to_numpy()
    fail(time < 0, "TIME", "TIME must be >= 0")
    fail(np.isfinite(amt) & (amt < 0), "AMT", "AMT must be >= 0")
    dose = np.isin(evid, [1, 4])
    fail(dose & ~(np.isfinite(amt) & (amt > 0)), "AMT", "a dose record (EVID 1 or 4) needs AMT > 0")
    rate = df["RATE"].to_numpy()
    fail(~((rate >= 0) | np.isin(rate, [-1, -2])), "RATE", "RATE must be >= 0, -1 or -2")
    ii, addl = df["II"].to_numpy(), df["ADDL"].to_numpy()
    fail(ii < 0, "II", "II must be >= 0")
    fail((addl < 0) | (addl != np.round(addl)), "ADDL", "ADDL must be a whole number >= 0")
    fail((addl > 0) & (ii <= 0), "II", "ADDL > 0 needs an interval II > 0")
    cmt = df["CMT"].fillna(1.0).to_numpy()
    df["CMT"] = cmt
    fail((cmt < 1) | (cmt != np.round(cmt)), "CMT", "CMT must be a whole number >= 1")
    # TIME may only go back at a reset (EVID 3 or 4) within one ID
    same = np.r_[False, ids[1:] == ids[:-1]]
    back = same & np.r_[False, time[1:] < time[:-1]] & ~np.isin(evid, [3, 4])
    if back.any():
        i = int(np.argmax(back))
        raise InputError(
            f"ID {_fmt(ids[i])}: TIME {time[i]:g} is before the previous record's "
            f"{time[i - 1]:g} (sort by ID and TIME)",
            place=place,
            row=i + row_base,
            column="TIME",
        )
    first_row: dict[float, int] = {}
    for i, sid in enumerate(ids):
        if sid in first_row and not same[i]:
            raise InputError(
                f"ID {_fmt(sid)} appears again after other IDs (first at row "
                f"{first_row[sid] + row_base}); keep each subject's records together",
                place=place,
                row=i + row_base,
                column="ID",
            )
        first_row.setdefault(sid, i)
    reset = pd.Series(np.isin(evid, [3, 4]).astype(int)).groupby(ids).cumsum().to_numpy()
    keys = pd.DataFrame(
        {"ID": ids, "RESET": reset, "TIME": time, "EVID": evid, "CMT": cmt, "AMT": amt}
    )
    keys = keys.fillna(-1.0)  # AMT is never negative here, so -1 marks "no amount"
    dup = keys.duplicated(keep="first").to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        first = int(np.argmax(keys.iloc[:i].eq(keys.iloc[i]).all(axis=1).to_numpy()))
        raise InputError(
            f"ID {_fmt(ids[i])}: duplicate record (same ID, TIME, EVID, CMT, AMT as row "
            f"{first + row_base})",
            place=place,
            row=i + row_base,
        )
    if "MDV" not in df.columns:
        df["MDV"] = np.where((evid != 0) | np.isnan(df["DV"].to_numpy()), 1.0, 0.0)
    else:
        mdv = df["MDV"].to_numpy()
        fail(~np.isin(mdv, [0, 1]), "MDV", "MDV must be 0 or 1")
        fail((mdv == 0) & np.isnan(df["DV"].to_numpy()), "DV", "an observation (MDV 0) needs DV")
    ordered = [c for c in NONMEM_COLUMNS] + [c for c in df.columns if c not in NONMEM_COLUMNS]
    return df[ordered]


def is_nonmem(frame: pd.DataFrame) -> bool:
    """A table in NONMEM form: ``ID``, ``TIME`` and ``DV`` without ``subject`` (the NCA form)."""
    cols = {str(c).strip().upper() for c in frame.columns}
    return {"ID", "TIME", "DV"} <= cols and "SUBJECT" not in cols


def _fmt(v: float) -> str:
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"


def read_nonmem(
    path: str | Path | IO[str],
    *,
    source: str | None = None,
    sep: str = ",",
    text_columns: Sequence[str] = TEXT_COLUMNS,
) -> pd.DataFrame:
    """Read and validate a NONMEM-style CSV (``.`` or blank = missing); see
    :func:`validate_nonmem` for the checks."""
    name = source or (str(path) if isinstance(path, str | Path) else "dataset")
    if isinstance(path, str | Path):
        content = read_input(path, field="dataset")
    else:
        text = path.read(MAX_FILE_BYTES + 1)
        content = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        check_size(content, name)
    check_text_table(content, name, delimiters=sep)
    try:
        raw = pd.read_csv(
            io.BytesIO(content), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file ({shorten(str(exc))})", file=name) from None
    except (ValueError, OverflowError) as exc:
        raise InputError(f"cannot read the file ({type(exc).__name__})", file=name) from None
    return validate_nonmem(raw, source=name, row_base=2, text_columns=text_columns)


_INT_COLUMNS = ("ID", "EVID", "ADDL", "CMT", "MDV", "BLQ", "CENS")


def _cell(v: float | str, integer: bool) -> str:
    if isinstance(v, str):
        return v or MISSING
    if isinstance(v, float) and math.isnan(v):
        return MISSING
    if integer and float(v).is_integer():
        return str(int(v))
    return repr(float(v))


def write_nonmem(
    frame: pd.DataFrame,
    path: str | Path | IO[str] | None = None,
    *,
    columns: Sequence[str] | None = None,
    text_columns: Sequence[str] = TEXT_COLUMNS,
) -> str:
    """Write ``frame`` (validated first) as CSV with ``.`` for missing values; returns the text.

    Numbers are written with full precision (``repr``), so reading back gives equal floats.
    """
    df = validate_nonmem(frame, source="dataset to write", text_columns=text_columns)
    cols = list(columns) if columns is not None else list(df.columns)
    buf = io.StringIO()
    buf.write(",".join(cols) + "\n")
    for values in df[cols].itertuples(index=False):
        buf.write(
            ",".join(_cell(v, c in _INT_COLUMNS) for c, v in zip(cols, values, strict=True)) + "\n"
        )
    text = buf.getvalue()
    if isinstance(path, str | Path):
        Path(path).write_text(text, encoding="utf-8")
    elif path is not None:
        path.write(text)
    return text
