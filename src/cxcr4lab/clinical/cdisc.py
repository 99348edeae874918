"""CDISC-style analysis tables (ADSL, ADRS, ADTTE, ADAE, TR) read and validated.

Tables come as CSV, Parquet or SAS transport (XPT v5) bytes; column names are matched upper-case
(``usubjid`` = ``USUBJID``). Each validator returns a cleaned copy (typed columns) or raises one
:class:`~cxcr4lab.core.errors.InputError` naming the file, the record (line number for CSV, record
number for Parquet/XPT) and the subject. Times are study days from the first dose (``ADY``,
``ASTDY``, days) or ``AVAL`` in ``AVALU`` (days unless stated).

* ADSL: ``USUBJID``, ``ARM`` (or ``TRT01A``); optional ``STRAT*`` strata, ``TRTSDT``,
  ``TRTDURD`` (days of exposure), ``COHORT``, ``SIMULATED``.
* ADRS: ``USUBJID``, ``PARAMCD`` (``OVR`` per visit, ``BOR`` best), ``AVALC`` (CR, PR, SD,
  NON-CR/NON-PD, PD, NE), ``ADY`` (required for OVR), optional ``VISIT``.
* ADTTE: ``USUBJID``, ``PARAMCD`` (PFS, OS ...), ``AVAL`` >= 0, ``CNSR`` 0/1, optional ``AVALU``.
* ADAE: ``USUBJID``, ``AEDECOD``, ``AETOXGR`` (CTCAE 1-5), optional ``AESER`` (Y/N), ``ASTDY``.
* TR: ``USUBJID``, ``VISIT``, ``ADY``, ``LESIONID``, ``TARGET`` (Y/N), ``NODE`` (Y/N),
  ``DIAM`` (mm; short axis for nodes), ``NEW`` (Y/N), ``NTSTAT`` (non-target status: PRESENT,
  ABSENT, PD, NE). The visit named ``BASELINE`` may have ``ADY`` <= 0; every other must be > 0.

>>> import pandas as pd
>>> adsl = validate_adsl(pd.DataFrame({"USUBJID": ["S1", "S2"], "TRT01A": ["A", "B"]}), "adsl.csv")
>>> list(adsl["ARM"])
['A', 'B']
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.limits import check_parquet, check_size, check_text_table
from cxcr4lab.core.tables import require_columns

__all__ = [
    "ADRS_VALUES",
    "NTSTAT_VALUES",
    "read_clinical_bytes",
    "validate_adae",
    "validate_adrs",
    "validate_adsl",
    "validate_adtte",
    "validate_tr",
]

ADRS_VALUES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
NTSTAT_VALUES = ("PRESENT", "ABSENT", "PD", "NE")
_YES = {"Y", "YES", "TRUE", "1"}
_NO = {"N", "NO", "FALSE", "0", ""}
_MAX_BYTES = 200 * 1024 * 1024


def read_clinical_bytes(content: bytes, name: str) -> tuple[pd.DataFrame, int]:
    """Read CSV, Parquet (``.parquet``/``.pq``) or SAS XPT (``.xpt``) bytes.

    Returns the frame (upper-case column names) and the row base: the number to add to a 0-based
    position to get the line (CSV: header is line 1, so 2) or record number (binary formats: 1).
    """
    check_size(content, name, limit=_MAX_BYTES)
    if not content.strip():
        raise InputError("file is empty", file=name)
    suffix = Path(name).suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            check_parquet(content, name)
            frame, base = pd.read_parquet(io.BytesIO(content)), 1
        elif suffix == ".xpt":
            import pyreadstat

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "table.xpt"
                path.write_bytes(content)
                frame, _meta = pyreadstat.read_xport(str(path))
            base = 1
        else:
            check_text_table(content, name, delimiters=",")
            frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
            base = 2
    except InputError:
        raise
    except Exception as exc:  # any reader failure is the user's file, said once
        raise InputError(
            f"cannot read as a {suffix or 'CSV'} table: {quote(str(exc))}", file=name
        ) from None
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    if len(frame) == 0:
        raise InputError("the table has no data rows", file=name)
    return frame, base


def _fresh(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with upper-case column names and positions 0..n-1 as the index."""
    out = df.reset_index(drop=True)
    out.columns = [str(c).upper() for c in out.columns]
    return out


def _require(df: pd.DataFrame, names: Iterable[str], file: str) -> None:
    require_columns(df, names, place=Place(file=file))


def _at(file: str, base: int, ids: list[str], i: int, column: str | None = None) -> Place:
    """Where record ``i`` is: file, line/record number, column and subject."""
    return Place(file=file, row=i + base, column=column, field=f"subject {ids[i]}")


def _refuse_first(
    problems: Iterable[str | None], column: str, file: str, base: int, ids: list[str]
) -> None:
    """Raise at the first record whose check gave a message (``None``: the record is fine)."""
    for i, problem in enumerate(problems):
        if problem is not None:
            raise InputError(problem, place=_at(file, base, ids, i, column))


def _text(df: pd.DataFrame, name: str) -> list[str]:
    """Column as stripped strings ('' for missing)."""
    out: list[str] = []
    for v in df[name].tolist():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append("")
        elif isinstance(v, float) and v.is_integer():
            out.append(str(int(v)))
        else:
            out.append(str(v).strip())
    return out


def _subject_ids(df: pd.DataFrame, file: str, base: int) -> list[str]:
    ids = _text(df, "USUBJID")
    for i, s in enumerate(ids):
        if not s:
            raise InputError("USUBJID is missing", file=file, row=i + base, column="USUBJID")
    return ids


def _numbers(
    df: pd.DataFrame,
    name: str,
    file: str,
    base: int,
    ids: list[str],
    *,
    required: bool = True,
    minimum: float | None = None,
) -> np.ndarray:
    raw = _text(df, name)
    out = np.full(len(raw), np.nan)
    for i, r in enumerate(raw):
        where = _at(file, base, ids, i, name)
        if r == "" or r.upper() in {"NA", "NAN", "."}:
            if required:
                raise InputError("value is missing", place=where)
            continue
        try:
            v = float(r)
        except ValueError:
            raise InputError(f"{quote(r)} is not a number", place=where) from None
        if not np.isfinite(v):
            raise InputError("value is not finite", place=where)
        if minimum is not None and v < minimum:
            raise InputError(f"must be >= {minimum:g}, got {v:g}", place=where)
        out[i] = v
    return out


def _flag(df: pd.DataFrame, name: str, file: str, base: int, ids: list[str]) -> list[bool]:
    if name not in df.columns:
        return [False] * len(df)
    raw = _text(df, name)
    _refuse_first(
        (None if r.upper() in _YES | _NO else f"{quote(r)} is not Y or N" for r in raw),
        name,
        file,
        base,
        ids,
    )
    return [r.upper() in _YES for r in raw]


def _known_subjects(ids: list[str], adsl: pd.DataFrame | None, file: str, base: int) -> None:
    if adsl is None:
        return
    known = set(adsl["USUBJID"])
    _refuse_first(
        (None if s in known else "subject is not in ADSL" for s in ids), "USUBJID", file, base, ids
    )


def _unique(df: pd.DataFrame, keys: list[str], file: str, base: int, what: str) -> None:
    dup = df.duplicated(keys, keep="first").to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        shown = ", ".join(f"{k}={df.iloc[i][k]}" for k in keys)
        raise InputError(
            f"duplicate {what} ({shown})",
            file=file,
            row=i + base,
            field=f"subject {df.iloc[i]['USUBJID']}",
        )


def validate_adsl(df: pd.DataFrame, file: str, *, row_base: int = 2) -> pd.DataFrame:
    """Subject-level table: one row per ``USUBJID``; ``ARM`` filled from ``TRT01A`` if absent."""
    df = _fresh(df)
    _require(df, ["USUBJID"], file)
    if "ARM" not in df.columns:
        if "TRT01A" not in df.columns:
            raise InputError("missing column ARM (or TRT01A)", file=file)
        df["ARM"] = df["TRT01A"]
    ids = _subject_ids(df, file, row_base)
    df["USUBJID"] = ids
    df["ARM"] = _text(df, "ARM")
    _unique(df, ["USUBJID"], file, row_base, "subject")
    if "TRTDURD" in df.columns:
        df["TRTDURD"] = _numbers(df, "TRTDURD", file, row_base, ids, required=False, minimum=0)
    return df


def validate_adrs(
    df: pd.DataFrame, file: str, *, adsl: pd.DataFrame | None = None, row_base: int = 2
) -> pd.DataFrame:
    """Response table: AVALC in :data:`ADRS_VALUES`; OVR records need ``ADY`` >= 0."""
    df = _fresh(df)
    _require(df, ["USUBJID", "PARAMCD", "AVALC"], file)
    ids = _subject_ids(df, file, row_base)
    df["USUBJID"] = ids
    df["PARAMCD"] = [p.upper() for p in _text(df, "PARAMCD")]
    values = [v.upper() for v in _text(df, "AVALC")]
    known = ", ".join(ADRS_VALUES)
    _refuse_first(
        (
            None if v in ADRS_VALUES else f"{quote(v)} is not a RECIST response ({known})"
            for v in values
        ),
        "AVALC",
        file,
        row_base,
        ids,
    )
    df["AVALC"] = values
    if "ADY" not in df.columns:
        df["ADY"] = np.nan
    ady = _numbers(df, "ADY", file, row_base, ids, required=False, minimum=0)
    _refuse_first(
        (
            "ADY (study day) is missing for a visit response"
            if p == "OVR" and np.isnan(d)
            else None
            for p, d in zip(df["PARAMCD"], ady, strict=True)
        ),
        "ADY",
        file,
        row_base,
        ids,
    )
    df["ADY"] = ady
    if "VISIT" in df.columns:
        df["VISIT"] = _text(df, "VISIT")
        _unique(df, ["USUBJID", "PARAMCD", "VISIT"], file, row_base, "visit")
    _unique(df, ["USUBJID", "PARAMCD", "ADY"], file, row_base, "assessment day")
    _known_subjects(ids, adsl, file, row_base)
    return df


def validate_adtte(
    df: pd.DataFrame, file: str, *, adsl: pd.DataFrame | None = None, row_base: int = 2
) -> pd.DataFrame:
    """Time-to-event table: ``AVAL`` >= 0 (in ``AVALU``, default days), ``CNSR`` 0 or 1."""
    df = _fresh(df)
    _require(df, ["USUBJID", "PARAMCD", "AVAL", "CNSR"], file)
    ids = _subject_ids(df, file, row_base)
    df["USUBJID"] = ids
    df["PARAMCD"] = [p.upper() for p in _text(df, "PARAMCD")]
    df["AVAL"] = _numbers(df, "AVAL", file, row_base, ids, minimum=0)
    cnsr = _numbers(df, "CNSR", file, row_base, ids)
    _refuse_first(
        (
            None if c in (0.0, 1.0) else f"CNSR must be 0 (event) or 1 (censored), got {c:g}"
            for c in cnsr
        ),
        "CNSR",
        file,
        row_base,
        ids,
    )
    df["CNSR"] = cnsr.astype(int)
    if "AVALU" not in df.columns:
        df["AVALU"] = "DAYS"
    df["AVALU"] = [u.upper() or "DAYS" for u in _text(df, "AVALU")]
    _unique(df, ["USUBJID", "PARAMCD"], file, row_base, "endpoint record")
    _known_subjects(ids, adsl, file, row_base)
    return df


def validate_adae(
    df: pd.DataFrame, file: str, *, adsl: pd.DataFrame | None = None, row_base: int = 2
) -> pd.DataFrame:
    """Adverse events: ``AETOXGR`` an integer CTCAE grade 1-5, ``AESER`` Y/N, ``ASTDY`` >= 1."""
    df = _fresh(df)
    _require(df, ["USUBJID", "AEDECOD", "AETOXGR"], file)
    ids = _subject_ids(df, file, row_base)
    df["USUBJID"] = ids
    terms = _text(df, "AEDECOD")
    _refuse_first(
        (None if t else "AEDECOD (preferred term) is missing" for t in terms),
        "AEDECOD",
        file,
        row_base,
        ids,
    )
    df["AEDECOD"] = [t.upper() for t in terms]
    grades = _numbers(df, "AETOXGR", file, row_base, ids)
    _refuse_first(
        (
            None
            if g in (1.0, 2.0, 3.0, 4.0, 5.0)
            else f"CTCAE grade must be an integer 1-5, got {g:g}"
            for g in grades
        ),
        "AETOXGR",
        file,
        row_base,
        ids,
    )
    df["AETOXGR"] = grades.astype(int)
    df["AESER"] = _flag(df, "AESER", file, row_base, ids)
    if "ASTDY" in df.columns:
        df["ASTDY"] = _numbers(df, "ASTDY", file, row_base, ids, required=False, minimum=1)
    _known_subjects(ids, adsl, file, row_base)
    return df


def validate_tr(
    df: pd.DataFrame, file: str, *, adsl: pd.DataFrame | None = None, row_base: int = 2
) -> pd.DataFrame:
    """Tumour measurements, one row per lesion per visit (see the module docstring)."""
    df = _fresh(df)
    _require(df, ["USUBJID", "VISIT", "ADY", "LESIONID", "TARGET"], file)
    ids = _subject_ids(df, file, row_base)
    df["USUBJID"] = ids
    df["VISIT"] = [v.upper() for v in _text(df, "VISIT")]
    df["LESIONID"] = _text(df, "LESIONID")
    ady = _numbers(df, "ADY", file, row_base, ids)
    _refuse_first(
        (
            f"study day must be > 0 after baseline, got {d:g}"
            if v != "BASELINE" and d <= 0
            else None
            for v, d in zip(df["VISIT"], ady, strict=True)
        ),
        "ADY",
        file,
        row_base,
        ids,
    )
    df["ADY"] = ady
    df["TARGET"] = _flag(df, "TARGET", file, row_base, ids)
    df["NODE"] = _flag(df, "NODE", file, row_base, ids)
    df["NEW"] = _flag(df, "NEW", file, row_base, ids)
    if "DIAM" not in df.columns:
        df["DIAM"] = np.nan
    df["DIAM"] = _numbers(df, "DIAM", file, row_base, ids, required=False, minimum=0)
    if "NTSTAT" not in df.columns:
        df["NTSTAT"] = ""
    status = [s.upper() for s in _text(df, "NTSTAT")]
    known = ", ".join(NTSTAT_VALUES)
    _refuse_first(
        (
            f"non-target status {quote(s)} is not one of {known}"
            if not target and not new and s not in NTSTAT_VALUES
            else None
            for s, target, new in zip(status, df["TARGET"], df["NEW"], strict=True)
        ),
        "NTSTAT",
        file,
        row_base,
        ids,
    )
    df["NTSTAT"] = status
    _unique(df, ["USUBJID", "VISIT", "LESIONID"], file, row_base, "lesion record at a visit")
    days = df.groupby(["USUBJID", "VISIT"])["ADY"].nunique()
    if (days > 1).any():
        subject, visit = days[days > 1].index[0]
        rows = df.index[(df["USUBJID"] == subject) & (df["VISIT"] == visit)]
        raise InputError(
            f"visit {visit} has more than one study day",
            file=file,
            row=int(rows[1]) + row_base,
            column="ADY",
            field=f"subject {subject}",
        )
    visit_days = df.groupby(["USUBJID", "ADY"])["VISIT"].nunique()
    if (visit_days > 1).any():
        subject, day = visit_days[visit_days > 1].index[0]
        rows = df.index[(df["USUBJID"] == subject) & (df["ADY"] == day)]
        raise InputError(
            f"two visits on study day {day:g} (duplicate visit)",
            file=file,
            row=int(rows[-1]) + row_base,
            column="VISIT",
            field=f"subject {subject}",
        )
    baseline = df[df["VISIT"] == "BASELINE"]
    base_lesions = set(zip(baseline["USUBJID"], baseline["LESIONID"], strict=True))
    subjects_with_baseline = set(baseline["USUBJID"])
    for i in range(len(df)):
        row = df.iloc[i]
        where = _at(file, row_base, ids, i)
        if row["USUBJID"] not in subjects_with_baseline:
            raise InputError("subject has no BASELINE visit", place=where)
        if row["VISIT"] == "BASELINE":
            if row["NEW"]:
                raise InputError("a new lesion cannot be at baseline", place=where)
            if row["TARGET"] and np.isnan(row["DIAM"]):
                raise InputError(
                    "target lesion has no baseline diameter",
                    column="DIAM",
                    place=where,
                )
        elif row["TARGET"] and (row["USUBJID"], row["LESIONID"]) not in base_lesions:
            raise InputError(
                f"target lesion {row['LESIONID']} is measured without a baseline measurement",
                column="LESIONID",
                place=where,
            )
    _known_subjects(ids, adsl, file, row_base)
    return df
