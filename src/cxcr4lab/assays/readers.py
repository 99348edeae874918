"""Plate readers: instrument exports to one tidy table per plate (well, row, col, signal).

Three shapes are read, told apart by content rather than by file name alone:

* long CSV: a header with a ``well`` column and one signal column (``signal``, ``value``,
  ``counts``, ``cpm``, ``rlu``, ...), optionally a ``plate`` column for several plates;
* plate-grid CSV: one or more blocks, each a header row ``1..12`` (or ``1..24``) and rows
  ``A..H`` (or ``A..P``) beneath, with any instrument preamble above or between blocks;
* xlsx: every sheet is searched for grid blocks (or read as a long table).

Lines starting with ``#`` are comments.

Grid detection is hand-written because no maintained library reads the free-form exports of
plate readers (MicroBeta, EnVision, FLIPR); wellmap describes layouts, not readings. Semicolon
files with decimal commas (European locales) are understood. Empty cells become NaN; text in a
data cell is an :class:`InputError` naming file, block and well.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxcr4lab.assays.wells import (
    PlateFormat,
    format_for,
    format_for_wells,
    normalise_well,
    row_letters,
    well_position,
)
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.files import read_input
from cxcr4lab.core.limits import MAX_FILE_BYTES, check_size, check_text_table, check_xlsx

__all__ = [
    "MAX_FILE_BYTES",
    "PlateData",
    "choose_plate",
    "read_plate",
    "read_plate_bytes",
    "read_plates",
    "read_plates_bytes",
]

_SIGNAL_NAMES = (
    "signal",
    "value",
    "counts",
    "cpm",
    "dpm",
    "rlu",
    "response",
    "od",
    "absorbance",
    "fluorescence",
    "raw",
)
_GRID_WIDTHS = {3: 2, 6: 4, 12: 8, 24: 16, 48: 32}


@dataclass(frozen=True, eq=False)
class PlateData:
    """One plate's readings. ``table`` has columns well, row, col, signal (float, NaN = empty)."""

    source: str
    block: str
    format: PlateFormat
    table: pd.DataFrame

    def place(self, **extra: str | int) -> Place:
        return Place(file=self.source, block=self.block, **extra)  # type: ignore[arg-type]

    def signal(self, well: str) -> float:
        hit = self.table.loc[self.table["well"] == well, "signal"]
        return float(hit.iloc[0]) if len(hit) else math.nan


def read_plate(path: str | Path, *, block: str | None = None) -> PlateData:
    """The one plate in ``path``, or the block named ``block`` when the file holds several."""
    plates = read_plates(path)
    return choose_plate(plates, block, Path(path).name)


def read_plate_bytes(content: bytes, name: str, *, block: str | None = None) -> PlateData:
    """The one plate in ``content`` (a file called ``name``), or its block named ``block``."""
    return choose_plate(read_plates_bytes(content, name), block, name)


def read_plates(path: str | Path) -> list[PlateData]:
    """Every plate in ``path`` (CSV/TSV/TXT or XLSX)."""
    p = Path(path)
    return read_plates_bytes(read_input(p, field="plate file", limit=MAX_FILE_BYTES), p.name)


def read_plates_bytes(content: bytes, name: str) -> list[PlateData]:
    """Every plate in ``content``, a file called ``name`` (its suffix chooses CSV or XLSX)."""
    check_size(content, name, limit=MAX_FILE_BYTES)
    if not content.strip():
        raise InputError("file is empty", file=name)
    suffix = Path(name).suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        sheets = _xlsx_cells(content, name)
        decimal_comma = False
    else:
        text = _decode(content, name)
        cells, decimal_comma = _csv_cells(text, name)
        sheets = [(None, cells)]
    plates: list[PlateData] = []
    for sheet, cells in sheets:
        plates.extend(_plates_from_cells(cells, name, sheet, decimal_comma))
    if not plates:
        raise InputError(
            "no plate found: expected a long table with a 'well' column, or a grid with a header "
            "row 1..12 (or 1..24) and row letters A..H (or A..P)",
            file=name,
        )
    names = [p.block for p in plates]
    if len(set(names)) != len(names):
        plates = [
            PlateData(p.source, f"{p.block} #{i + 1}", p.format, p.table)
            for i, p in enumerate(plates)
        ]
    return plates


def choose_plate(plates: Sequence[PlateData], block: str | None, name: str) -> PlateData:
    """The one plate of ``plates`` (read from ``name``), or the one whose block is ``block``."""
    if block is None:
        if len(plates) > 1:
            listed = ", ".join(quote(p.block) for p in plates)
            raise InputError(
                f"file holds {len(plates)} plates ({listed}); choose one by its block name",
                file=name,
            )
        return plates[0]
    for p in plates:
        if p.block == block:
            return p
    raise InputError(
        f"no block named {quote(block)}; blocks: {', '.join(quote(p.block) for p in plates)}",
        file=name,
    )


# --- turning bytes into a matrix of cell strings ---------------------------------------------------


def _decode(content: bytes, name: str) -> str:
    if content[:4] == b"PK\x03\x04":
        raise InputError("this is a zip/xlsx file; give it an .xlsx name", file=name)
    for enc in (
        ("utf-8-sig", "utf-16")
        if content[:2] in (b"\xff\xfe", b"\xfe\xff")
        else ("utf-8-sig", "latin-1")
    ):
        try:
            text = content.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise InputError("file is binary, not a text export", file=name)
        return text
    raise InputError(
        "cannot decode the file as text", file=name
    )  # pragma: no cover - latin-1 never fails


def _csv_cells(text: str, name: str) -> tuple[list[list[str]], bool]:
    check_text_table(text, name)
    sample = text[:20000]
    counts = {d: sample.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    # newline=None: universal newlines, so CR-only (classic Mac) exports read as lines too.
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)
    try:
        rows = [[c.strip() for c in row] for row in reader]
    except csv.Error as exc:  # e.g. a field past csv's size limit in a file that is not a table
        raise InputError(
            f"cannot read as a delimited text table ({quote(str(exc))})",
            file=name,
            row=reader.line_num,
        ) from None
    # Comment lines ("# ...") carry provenance, not readings; keep the line count for messages.
    rows = [[] if row and row[0].startswith("#") else row for row in rows]
    return rows, delimiter in {";", "\t"} and "," in sample and counts[","] < counts[delimiter]


def _xlsx_cells(content: bytes, name: str) -> list[tuple[str | None, list[list[str]]]]:
    """Every sheet's cells as text, read by python-calamine (a Rust reader, about 30 times
    faster than openpyxl on a 384-well export) with the sheet's absolute positions kept."""
    from python_calamine import CalamineWorkbook

    check_xlsx(content, name)  # sizes, ratios and cells, before the parser decompresses anything
    out: list[tuple[str | None, list[list[str]]]] = []
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        for sheet in book.sheet_names:
            rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            cells = [["" if _is_blank(v) else _cell_text(v) for v in row] for row in rows]
            out.append((str(sheet), cells))
    except Exception as exc:  # the parser raises its own errors for broken files
        raise InputError(
            f"cannot read as an xlsx workbook ({type(exc).__name__}: {quote(str(exc))})",
            file=name,
        ) from None
    return out


def _is_blank(v: object) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v).strip()


def _number(text: str, decimal_comma: bool) -> float | None:
    t = text.strip()
    if decimal_comma:
        t = t.replace(".", "").replace(",", ".") if t.count(",") == 1 else t
    try:
        return float(t)
    except ValueError:
        return None


# --- finding plates in the cell matrix ---------------------------------------------------------------


def _plates_from_cells(
    cells: list[list[str]], name: str, sheet: str | None, decimal_comma: bool
) -> list[PlateData]:
    first = next((i for i, r in enumerate(cells) if any(r)), None)
    if first is None:
        return []
    header = [c.lower() for c in cells[first]]
    if "well" in header:
        return _long_plates(cells, first, name, sheet, decimal_comma)
    return _grid_plates(cells, name, sheet, decimal_comma)


def _long_plates(
    cells: list[list[str]], first: int, name: str, sheet: str | None, decimal_comma: bool
) -> list[PlateData]:
    header = [c.strip().lower() for c in cells[first]]
    where = Place(file=name, sheet=sheet)
    well_col = header.index("well")
    signal_col = next((header.index(n) for n in _SIGNAL_NAMES if n in header), None)
    if signal_col is None:
        raise InputError(
            f"long table has no signal column (one of {', '.join(_SIGNAL_NAMES)}); columns: "
            + quote(", ".join(cells[first]), limit=200),
            place=where,
            row=first + 1,
        )
    plate_col = next((header.index(n) for n in ("plate", "block", "plate_id") if n in header), None)
    groups: dict[str, list[tuple[str, float, int]]] = {}
    for i in range(first + 1, len(cells)):
        row = cells[i]
        if not any(row):
            continue
        line = i + 1

        def get(j: int | None, row: list[str] = row) -> str:
            return row[j] if j is not None and j < len(row) else ""

        well = normalise_well(
            get(well_col),
            place=Place(file=name, sheet=sheet, row=line, column=cells[first][well_col]),
        )
        raw = get(signal_col)
        value = math.nan if not raw else _number(raw, decimal_comma)
        if value is None:
            raise InputError(
                f"{quote(raw)} is not a number",
                file=name,
                sheet=sheet,
                row=line,
                well=well,
                column=cells[first][signal_col],
            )
        if math.isinf(value):
            raise InputError("signal is infinite", file=name, sheet=sheet, row=line, well=well)
        block = get(plate_col) if plate_col is not None else (sheet or "plate")
        groups.setdefault(block or "plate", []).append((well, value, line))
    if not groups:
        raise InputError("long table has a header but no data rows", file=name, sheet=sheet)
    plates = []
    for block, rows in groups.items():
        seen: dict[str, int] = {}
        for well, _, line in rows:
            if well in seen:
                raise InputError(
                    f"well {well} appears twice (first at row {seen[well]})",
                    file=name,
                    sheet=sheet,
                    row=line,
                    well=well,
                )
            seen[well] = line
        try:
            fmt = format_for_wells([w for w, _, _ in rows])
        except ValueError as exc:
            raise InputError(str(exc), file=name, sheet=sheet, block=block) from None
        plates.append(PlateData(name, block, fmt, _table([(w, v) for w, v, _ in rows])))
    return plates


def _grid_plates(
    cells: list[list[str]], name: str, sheet: str | None, decimal_comma: bool
) -> list[PlateData]:
    plates: list[PlateData] = []
    i = 0
    floor = 0  # first line after the previous block: a block's title is never looked for above it
    while i < len(cells):
        found = _grid_header(cells[i])
        if found is None:
            i += 1
            continue
        start, width = found
        height = _GRID_WIDTHS[width]
        label_col = start - 1
        values: list[tuple[str, float]] = []
        block = _block_name(cells, i, label_col, len(plates), sheet, floor)
        where = Place(file=name, sheet=sheet, block=block)
        r = 0
        while r < height and i + 1 + r < len(cells):
            row = cells[i + 1 + r]
            if label_col >= len(row) or row[label_col].upper() != row_letters(r):
                break
            for c in range(width):
                raw = row[start + c] if start + c < len(row) else ""
                well = f"{row_letters(r)}{c + 1}"
                value = math.nan if not raw else _number(raw, decimal_comma)
                if value is None or math.isinf(value):
                    problem = "is not a number" if value is None else "is infinite"
                    raise InputError(
                        f"{quote(raw)} {problem}", place=where, row=i + 2 + r, well=well
                    )
                values.append((well, value))
            r += 1
        if r != height:
            raise InputError(
                f"grid with {width} columns needs rows A..{row_letters(height - 1)}, found {r} rows",
                place=where,
                row=i + 2 + r,
            )
        plates.append(PlateData(name, block, format_for(height, width), _table(values)))
        i += 1 + height
        floor = i
    return plates


def _grid_header(row: list[str]) -> tuple[int, int] | None:
    """(index of the cell holding 1, number of columns) when ``row`` is a grid header."""
    for j in range(1, len(row)):
        if row[j] != "1":
            continue
        n = 0
        while j + n < len(row) and row[j + n] == str(n + 1):
            n += 1
        if n in _GRID_WIDTHS and (j + n >= len(row) or row[j + n] != str(n + 1)):
            return j, n
    return None


def _block_name(
    cells: list[list[str]],
    header_row: int,
    label_col: int,
    index: int,
    sheet: str | None,
    floor: int = 0,
) -> str:
    corner = cells[header_row][label_col] if label_col < len(cells[header_row]) else ""
    if corner and corner.lower() not in {"<>", "well", "row"}:
        return corner
    for k in range(header_row - 1, max(header_row - 4, floor - 1), -1):
        text = " ".join(c for c in cells[k] if c)
        if text:
            return text
    return f"{sheet or 'plate'} {index + 1}" if index or sheet else "plate"


def _table(values: list[tuple[str, float]]) -> pd.DataFrame:
    wells = [w for w, _ in values]
    pos = [well_position(w) for w in wells]
    return pd.DataFrame(
        {
            "well": wells,
            "row": [row_letters(r) for r, _ in pos],
            "col": np.array([c for _, c in pos], dtype=int),
            "signal": np.array([v for _, v in values], dtype=float),
        }
    )
