"""Plain tables (CSV, TSV, xlsx) from bytes: the input of assays whose data are not plates.

ELISA and plate assays read plates (:mod:`cxcr4lab.assays.readers`); LC-MS/MS run sheets, MFI
tables, CD34 count tables and IHC scores are ordinary tidy tables, one row per observation.
Column names are matched without regard to case, surrounding spaces or ``-``/space versus
``_``. Lines starting with ``#`` are comments (provenance), skipped. Row numbers in errors are the
line numbers a person sees (header = line 1 after the comments are counted).
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.limits import check_size, check_text_table, check_xlsx

__all__ = ["Table", "column_name", "read_table_bytes", "text_column"]


@dataclass(frozen=True, eq=False)
class Table:
    """A read table: ``frame`` with normalised column names; ``row_base`` maps row positions to
    the file's line numbers (line = position + row_base)."""

    source: str
    frame: pd.DataFrame
    row_base: int

    def place(self, **extra: str | int) -> Place:
        return Place(file=self.source, **extra)  # type: ignore[arg-type]

    def line(self, position: int) -> int:
        return position + self.row_base


def column_name(text: str) -> str:
    """``" Analyte Area"`` -> ``"analyte_area"``."""
    return re.sub(r"[\s\-/]+", "_", str(text).strip().lower()).strip("_")


def read_table_bytes(content: bytes, name: str) -> Table:
    """Read a CSV/TSV/TXT (delimiter sniffed) or XLSX table given as bytes."""
    check_size(content, name)
    if not content.strip():
        raise InputError("file is empty", file=name)
    suffix = Path(name).suffix.lower()
    comments = 0
    try:
        if suffix in {".xlsx", ".xlsm"}:
            try:
                check_xlsx(content, name)  # before openpyxl decompresses anything
            except InputError as exc:
                raise InputError(f"cannot read as a table ({exc.message})", file=name) from None
            frame = pd.read_excel(io.BytesIO(content), dtype=object, engine="openpyxl")
        else:
            if content[:4] == b"PK\x03\x04":
                raise InputError("this is a zip/xlsx file; give it an .xlsx name", file=name)
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = content.decode("latin-1")
            if "\x00" in text:
                raise InputError("file is binary, not a text table", file=name)
            check_text_table(text, name)  # before splitting lines or pandas builds anything
            lines = text.splitlines()
            while comments < len(lines) and lines[comments].lstrip().startswith("#"):
                comments += 1
            body = "\n".join(lines[comments:])
            first = body.split("\n", 1)[0]
            sep = max((",", ";", "\t"), key=first.count)
            frame = pd.read_csv(
                io.StringIO(body), sep=sep, dtype=str, comment=None, skip_blank_lines=True
            )
    except InputError:
        raise
    except Exception as exc:  # pandas/openpyxl raise many kinds of errors for broken files
        raise InputError(
            f"cannot read as a table ({type(exc).__name__}: {quote(str(exc))})", file=name
        ) from None
    frame.columns = [column_name(str(c)) for c in frame.columns]
    counts = Counter(frame.columns)
    dup = [c for c in frame.columns if counts[c] > 1]
    if dup:
        raise InputError(f"column {quote(dup[0])} appears twice", file=name, row=comments + 1)
    frame = frame.dropna(how="all").reset_index(drop=True)
    if frame.empty:
        raise InputError("the table has a header but no data rows", file=name)
    return Table(name, frame, comments + 2)


def text_column(table: Table, name: str, *, required: bool = True) -> list[str | None]:
    """Column ``name`` as stripped text (None for blank cells); blanks refused if ``required``."""
    out: list[str | None] = []
    for i, v in enumerate(table.frame[name].to_numpy()):
        blank = v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""
        if blank and required:
            raise InputError("value is missing", file=table.source, row=table.line(i), column=name)
        out.append(None if blank else str(v).strip())
    return out
