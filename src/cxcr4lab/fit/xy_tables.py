"""Readers that turn the dose-response tables scientists have into the fit engine's long table.

:func:`~cxcr4lab.fit.batch.fit_table` takes a long table (``curve_id``, ``concentration``,
``response``; a blank response is a missing point). This module makes one from:

* :func:`read_prism_xy`: a GraphPad Prism XY table exported as CSV, TSV (or TXT) or xlsx (first
  sheet), chosen by the file name's suffix. The first column is X; the compounds stand side by
  side, each over its replicate sub-columns, in one of two layouts:

  (a) **two header rows**: row 1 holds the data-set titles (compound names), each written once
      over the first of its sub-columns (the cells after it blank: Prism's merged cells); row 2
      holds the sub-column names (``Y1``, ``A:Y1``, ``Replicate 1``, ...);
  (b) **one header row** naming the compound over every one of its replicate columns
      (``Cmpd A, Cmpd A, Cmpd B``).

  The second row is read as a sub-column header row (layout (a)) when its X cell and all its Y
  cells hold no number, some Y cell holds text, and either a Y cell is a sub-column name
  (``Y1``, ``A:Y2``, ``Rep 3``, ``Replicate 1``, ``R2``, ``n1``) or row 1 leaves a Y cell blank
  (a title written once over several sub-columns); otherwise the table has one header row
  (layout (b), whose header must name every Y column that holds values).

  **X scale**: ``x_scale="auto"`` reads X as log10 concentrations when the X header contains
  ``log`` (any case), else as concentrations; on the log10 scale the concentration is ``10**x``.
  **Unit**: the last bracketed or parenthesised part of the X header that is a concentration unit
  (``Concentration (nM)``: nM, ``log[agonist] (M)``: M, ``Conc [uM]``: uM); on a log header it is
  the unit of the concentration (log of M: M). Without one the unit is None, and the caller names
  the unit.

* :func:`map_long_table`: a long table whose columns have other names (``Compound``, ``Conc``,
  ``Inhibition %``, ``Plate``): the three columns renamed, the other columns kept per curve as
  metadata when constant within each curve and dropped (and listed) when they vary.

**Refused**, each as one :class:`~cxcr4lab.core.errors.InputError` naming the file, the row (the
line number a spreadsheet shows) and the column (its title, else its spreadsheet letter): text in a
numeric cell (``n.d.``, ``abc``); a censored value (``>10``, ``<0.1``, ``≥ 5``): censored values
are not fitted, so the message asks to remove them or replace them by numbers; a blank or
non-numeric X in a row that has Y values; a concentration <= 0 on the linear scale; two data sets
with the same title; Y values under no title; no Y columns; an empty file, a header without data
rows, a file that is not a table; a file over the limits of :mod:`cxcr4lab.core.limits`. A Y cell
is a number (a decimal point, an optional exponent) or blank; nothing else counts as missing.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, quote, shorten
from cxcr4lab.core.limits import MAX_NAME_CHARS, check_size, check_text_table, check_xlsx
from cxcr4lab.core.units import MAX_UNIT_CHARS, concentration_unit, molar_factor

__all__ = [
    "MappedCurves",
    "WideCurves",
    "XScale",
    "map_long_table",
    "read_long_table",
    "read_prism_xy",
]

XScale = Literal["auto", "linear", "log10"]

_XLSX: Final = frozenset({".xlsx", ".xlsm"})
_TAB: Final = frozenset({".tsv", ".tab"})
_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_CENSORED: Final = re.compile(r"(?:[<>≤≥]=?|=[<>])\s*[+-]?(?:\d|\.\d)")
_SUBCOLUMN: Final = re.compile(
    r"(?:[A-Za-z]{1,3}\s*:\s*)?Y\s*\d{1,4}|(?:rep(?:licate)?|r|n)\s*[#.]?\s*\d{1,4}", re.I
)
_BRACKETED: Final = re.compile(r"\(([^()\[\]]*)\)|\[([^()\[\]]*)\]")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ENGINE_COLUMNS: Final = ("curve_id", "concentration", "response")
_PER_POINT: Final = ("weight", "unit")
_ALIASES: Final = {
    "curve_id": frozenset(
        {"curveid", "curve", "compound", "compoundid", "compoundname", "cmpd", "drug", "sample"}
        | {"sampleid", "id", "name", "ligand", "antagonist", "agonist"}
    ),
    "concentration": frozenset({"concentration", "conc", "dose", "x"}),
    "response": frozenset(
        {"response", "y", "signal", "value", "inhibition", "percentinhibition", "activity"}
        | {"effect", "binding", "percentbinding", "percentcontrol"}
    ),
}
_OPTION: Final = {"curve_id": "id_col", "concentration": "conc_col", "response": "response_col"}


@dataclass(frozen=True)
class WideCurves:
    """A wide XY table read as the fit engine's long table.

    ``frame`` holds ``curve_id`` (the compound), ``concentration`` (in ``unit``, on the linear
    scale), ``response`` and ``replicate`` (the 1-based sub-column of the value within its
    compound), compound by compound and row by row; blank cells are left out. ``x_scale`` is the
    scale X was read on (``"linear"`` or ``"log10"``), ``x_title`` the X header, ``compounds``
    the data sets that hold values, ``notes`` how the table was read.
    """

    frame: pd.DataFrame
    unit: str | None
    x_scale: str
    x_title: str
    compounds: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class MappedCurves:
    """A long table mapped to the engine's columns: ``frame`` (``curve_id``, ``concentration``,
    ``response``, and ``weight``/``unit`` when present), ``metadata`` (``curve_id`` and the other
    columns constant within every curve, one row per curve, in input order) and ``dropped`` (the
    columns that vary within a curve, each with its reason)."""

    frame: pd.DataFrame
    metadata: pd.DataFrame
    dropped: tuple[str, ...]


# --- cells ---------------------------------------------------------------------------------------


class _CellError(Exception):
    """A cell that is not a number (the message says why); the caller adds the place."""


def _letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column: 0 -> A, 26 -> AA."""
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = chr(65 + rem) + label
    return label


def _is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text.replace("\u2212", "-")) is not None


def _number(text: str) -> float | None:
    """A cell's number, None for a blank cell; text and censored values raise :class:`_CellError`."""
    if not text:
        return None
    plain = text.replace("\u2212", "-")
    if _NUMBER.fullmatch(plain):
        value = float(plain)
        if not math.isfinite(value):
            raise _CellError(f"{quote(text)} is too large to be a number")
        return value
    if _CENSORED.match(plain):
        raise _CellError(
            f"{quote(text)} is a censored value (beyond the measured range); censored values are "
            "not fitted: remove it or replace it with a number"
        )
    raise _CellError(f"{quote(text)} is not a number (a numeric cell holds a number or is blank)")


def _cell_text(value: object) -> str:
    """A spreadsheet cell as stripped text ('' for blank); floats written back exactly."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(value).strip()


# --- reading the grid ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    """The non-blank rows of a sheet as stripped text, without fully blank columns; ``lines``
    holds the 1-based line of each row, ``letters`` the spreadsheet letter of each column."""

    rows: list[list[str]]
    lines: list[int]
    letters: list[str]


def _decode(content: bytes, name: str) -> str:
    if content[:4] == b"PK\x03\x04":
        raise InputError("this is a zip (xlsx) file; give it an .xlsx name", file=name)
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("not a text table (broken UTF-16)", file=name) from None
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("latin-1")
    text = text.rstrip("\x1a")  # an old DOS end-of-file mark
    if _CONTROL.search(text):
        raise InputError("the file is binary, not a text table", file=name)
    return text


def _text_frame(content: bytes, name: str) -> pd.DataFrame:
    text = _decode(content, name)
    check_text_table(text, name)  # before splitting lines or pandas builds anything
    lines = text.splitlines()
    if Path(name).suffix.lower() in _TAB:
        sep = "\t"
    else:
        first = next((ln for ln in lines if ln.strip()), "")
        sep = max((",", "\t", ";"), key=first.count)
    width = 1 + max((ln.count(sep) for ln in lines), default=0)
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            names=list(range(width)),
            dtype=str,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except Exception as exc:  # pandas raises many kinds of errors for broken files
        raise InputError(
            f"cannot read as a table ({type(exc).__name__}: {quote(shorten(str(exc), 80))})",
            file=name,
        ) from None


def _xlsx_frame(content: bytes, name: str) -> pd.DataFrame:
    check_xlsx(content, name)  # sizes, ratios and cells, before openpyxl decompresses anything
    try:
        grid = pd.read_excel(io.BytesIO(content), header=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl and zipfile raise many kinds of errors
        raise InputError(
            f"not a readable xlsx workbook ({type(exc).__name__}: {quote(shorten(str(exc), 80))})",
            file=name,
        ) from None
    return grid


def _read_grid(content: bytes, name: str) -> _Grid:
    if not isinstance(content, bytes | bytearray):
        raise InputError(f"expected file bytes, got {type(content).__name__}", file=name)
    content = bytes(content)
    check_size(content, name)
    if not content.strip():
        raise InputError("the file is empty", file=name)
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise InputError("old .xls workbooks are not read: save it as .xlsx or CSV", file=name)
    raw = _xlsx_frame(content, name) if suffix in _XLSX else _text_frame(content, name)
    cells = [[_cell_text(v) for v in row] for row in raw.itertuples(index=False, name=None)]
    n_cols = max((len(r) for r in cells), default=0)
    used = [j for j in range(n_cols) if any(j < len(r) and r[j] for r in cells)]
    rows: list[list[str]] = []
    lines: list[int] = []
    for i, r in enumerate(cells):
        kept = [r[j] if j < len(r) else "" for j in used]
        if any(kept):
            rows.append(kept)
            lines.append(i + 1)
    return _Grid(rows, lines, [_letter(j) for j in used])


# --- the Prism XY table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _DataSet:
    title: str
    columns: tuple[int, ...]  # positions in the grid's rows


def _two_header_rows(grid: _Grid) -> bool:
    """Whether row 2 is a sub-column header row (layout (a)); see the module docstring."""
    if len(grid.rows) < 2:
        return False
    first, second = grid.rows[0], grid.rows[1]
    ys = second[1:]
    if _is_number(second[0]) or any(_is_number(c) for c in ys) or not any(ys):
        return False
    named = any(_SUBCOLUMN.fullmatch(c) for c in ys if c)
    merged = any(not c for c in first[1:])
    return named or merged


def _data_sets(grid: _Grid, two_rows: bool, name: str) -> list[_DataSet]:
    """The compounds and their columns, refusing untitled Y values and repeated titles."""
    titles = grid.rows[0]
    header_line = grid.lines[0]
    sets: list[tuple[str, list[int]]] = []
    for j in range(1, len(titles)):
        title = titles[j]
        if not title:
            if two_rows and sets:
                sets[-1][1].append(j)
                continue
            why = (
                "a data-set title is written over the first sub-column of its data set"
                if two_rows
                else "the header names the compound over each of its replicate columns"
            )
            raise InputError(
                f"column {grid.letters[j]} is not empty but has no title ({why})",
                file=name,
                row=header_line,
                column=grid.letters[j],
            )
        if len(title) > MAX_NAME_CHARS:
            raise InputError(
                f"a compound title is at most {MAX_NAME_CHARS} characters",
                file=name,
                row=header_line,
                column=grid.letters[j],
            )
        if not two_rows and sets and sets[-1][0] == title:
            sets[-1][1].append(j)
            continue
        earlier = next((cols for t, cols in sets if t == title), None)
        if earlier is not None:
            first, again = grid.letters[earlier[0]], grid.letters[j]
            hint = (
                "give each data set its own title"
                if two_rows
                else "a compound's replicate columns must stand side by side, and two data sets "
                "cannot share a title"
            )
            raise InputError(
                f"the title {quote(title)} heads column {first} and again column {again}: {hint}",
                file=name,
                row=header_line,
                column=title,
            )
        sets.append((title, [j]))
    return [_DataSet(t, tuple(cols)) for t, cols in sets]


def _unit_of(title: str) -> str | None:
    """The last bracketed part of an X header that is a concentration unit, else None."""
    for found in reversed(list(_BRACKETED.finditer(title))):
        text = (found.group(1) or found.group(2) or "").strip()
        if not text or len(text) > MAX_UNIT_CHARS:
            continue
        try:
            molar_factor(text)
        except InputError:  # UnitError; a mass concentration needs a molecular weight here
            try:
                concentration_unit(text)
            except InputError:
                continue
        return text
    return None


def _x_value(
    text: str, scale: str, *, name: str, line: int, column: str, log_header: bool
) -> float:
    """The concentration of one X cell (a row with Y values), refusing what cannot be one."""
    if not text:
        raise InputError(
            "X is blank in a row that has Y values", file=name, row=line, column=column
        )
    try:
        x = _number(text)
    except _CellError as exc:
        raise InputError(str(exc), file=name, row=line, column=column) from None
    assert x is not None
    if scale == "log10":
        try:
            conc = math.pow(10.0, x)
        except OverflowError:
            conc = math.inf
        if not (math.isfinite(conc) and conc > 0):
            raise InputError(
                f"10**{text} is not a usable concentration (X is read as log10)",
                file=name,
                row=line,
                column=column,
            )
        return conc
    if x <= 0:
        hint = (
            "if X holds log10 concentrations, read it with x_scale='log10'"
            if x < 0 and not log_header
            else "a zero or negative dose has no place on the concentration axis: remove the row"
        )
        raise InputError(
            f"concentration must be > 0 on the linear X scale, got {text}; {hint}",
            file=name,
            row=line,
            column=column,
        )
    return x


def read_prism_xy(content: bytes, name: str, *, x_scale: XScale = "auto") -> WideCurves:
    """Read a Prism XY table (CSV, TSV/TXT or xlsx by ``name``'s suffix) as a long table.

    The first column is X. Row 2 is a sub-column header row (layout (a): titles written once
    over their sub-columns) when it holds no number in X or Y, and a Y cell is a sub-column name
    (``Y1``, ``A:Y1``, ``Replicate 1``) or row 1 leaves a Y cell blank; else the one header row
    names each compound over every replicate column (layout (b)). Compounds may have different
    replicate counts; blank cells are missing points (left out). ``x_scale``: ``"auto"`` takes
    log10 when the X header says ``log``, else linear; on log10 the concentration is ``10**x``.
    The unit comes from the X header (None when it names none). Text in a numeric cell is
    refused; so is a censored value (``>10``, ``<0.1``): censored values are not fitted, remove
    or replace them. Bad input raises one :class:`InputError` naming the file, row and column.
    """
    if x_scale not in ("auto", "linear", "log10"):
        raise InputError(
            f"x_scale must be auto, linear or log10, got {quote(x_scale)}", field="x_scale"
        )
    grid = _read_grid(content, name)
    if not grid.rows:
        raise InputError("the file is empty (no cells)", file=name)
    if len(grid.letters) < 2:
        raise InputError(
            "no Y columns: the table has only one column (X first, then the compounds)", file=name
        )
    if _is_number(grid.rows[0][0]):
        raise InputError(
            f"the first row starts with the number {quote(grid.rows[0][0])}: it must be the "
            "header (the X title, then the compound names)",
            file=name,
            row=grid.lines[0],
            column=grid.letters[0],
        )
    two_rows = _two_header_rows(grid)
    start = 2 if two_rows else 1
    x_title = grid.rows[0][0] or (grid.rows[1][0] if two_rows else "")
    x_label = x_title or grid.letters[0]
    sets = _data_sets(grid, two_rows, name)
    if len(grid.rows) <= start:
        raise InputError("the table has a header but no data rows", file=name)

    log_header = "log" in x_title.lower()
    scale = ("log10" if log_header else "linear") if x_scale == "auto" else x_scale
    labels = {j: f"{s.title} ({grid.letters[j]})" for s in sets for j in s.columns}
    concs: list[float] = []
    values: list[list[float | None]] = []
    for row, line in zip(grid.rows[start:], grid.lines[start:], strict=True):
        parsed: list[float | None] = [None] * len(row)
        for j in range(1, len(row)):
            try:
                parsed[j] = _number(row[j])
            except _CellError as exc:
                raise InputError(str(exc), file=name, row=line, column=labels[j]) from None
        if all(v is None for v in parsed):
            continue  # a row without Y values: its X is not needed
        concs.append(
            _x_value(row[0], scale, name=name, line=line, column=x_label, log_header=log_header)
        )
        values.append(parsed)

    ids: list[str] = []
    conc_out: list[float] = []
    resp_out: list[float] = []
    reps: list[int] = []
    compounds: list[str] = []
    notes: list[str] = [
        "layout: two header rows (data-set titles over sub-columns)"
        if two_rows
        else "layout: one header row (each compound named over its replicate columns)"
    ]
    for s in sets:
        before = len(ids)
        for conc, parsed in zip(concs, values, strict=True):
            for k, j in enumerate(s.columns, start=1):
                v = parsed[j]
                if v is not None:
                    ids.append(s.title)
                    conc_out.append(conc)
                    resp_out.append(v)
                    reps.append(k)
        if len(ids) > before:
            compounds.append(s.title)
        else:
            notes.append(f"data set {quote(s.title)} holds no values; left out")
    if not ids:
        raise InputError("the table has no Y values", file=name)

    if x_scale == "auto":
        notes.append(f"X read as {scale} (header {quote(x_title)})")
    else:
        notes.append(f"X read as {scale} (x_scale={x_scale!r}, header {quote(x_title)})")
        if scale == "linear" and log_header:
            notes.append("the X header says log, but X was read as linear (x_scale='linear')")
    unit = _unit_of(x_title)
    notes.append(
        f"unit {unit} from the X header"
        if unit is not None
        else "no concentration unit in the X header: name the unit"
    )
    frame = pd.DataFrame(
        {
            "curve_id": pd.Series(ids, dtype=object),
            "concentration": np.asarray(conc_out, dtype=float),
            "response": np.asarray(resp_out, dtype=float),
            "replicate": np.asarray(reps, dtype=np.int64),
        }
    )
    return WideCurves(frame, unit, scale, x_title, tuple(compounds), tuple(notes))


# --- long tables with other column names --------------------------------------------------------------


def _key(column: Hashable) -> str:
    """A column name for matching: lower case, letters and digits only (``Inhibition %``:
    ``inhibition``)."""
    return re.sub(r"[^0-9a-z]", "", str(column).lower())


def _guess(role: str, candidates: Sequence[Hashable], columns: str, source: str) -> Hashable:
    exact = [c for c in candidates if str(c) == role]
    if exact:
        return exact[0]
    found = [c for c in candidates if _key(c) in _ALIASES[role]]
    if role == "concentration" and not found:
        found = [c for c in candidates if _key(c).startswith("conc")]
    if len(found) == 1:
        return found[0]
    option = _OPTION[role]
    if found:
        shown = ", ".join(quote(str(c)) for c in found)
        raise InputError(
            f"several columns could hold the {role}: {shown}; name the one to use",
            file=source,
            field=option,
        )
    raise InputError(
        f"no column for the {role}; name the one to use (columns: {columns})",
        file=source,
        field=option,
    )


def _numbers(
    series: pd.Series, column: str, source: str, *, allow_blank: bool
) -> NDArray[np.float64]:
    """A column as float64; text, censored values and infinities refused by row (header = 1)."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        out = series.to_numpy(dtype=float, na_value=np.nan)
        bad = np.isinf(out) | (np.isnan(out) if not allow_blank else np.zeros(len(out), bool))
        if bad.any():
            i = int(np.argmax(bad))
            why = "value is infinite" if np.isinf(out[i]) else "value is missing"
            raise InputError(why, file=source, row=i + 2, column=column)
        return out
    out = np.empty(len(series), dtype=float)
    for i, v in enumerate(series.tolist()):
        try:
            if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
                x: float | None = None if math.isnan(float(v)) else float(v)
                if x is not None and math.isinf(x):
                    raise _CellError("value is infinite")
            else:
                x = _number(_cell_text(v))
        except _CellError as exc:
            raise InputError(str(exc), file=source, row=i + 2, column=column) from None
        if x is None and not allow_blank:
            raise InputError("value is missing", file=source, row=i + 2, column=column)
        out[i] = math.nan if x is None else x
    return out


def read_long_table(content: bytes, name: str) -> pd.DataFrame:
    """A long table in CSV, TSV (TXT) or xlsx (first sheet) as text cells under its header row
    (the first non-blank row), for :func:`map_long_table`; the file checks of
    :func:`read_prism_xy` (limits, binary, empty)."""
    grid = _read_grid(content, name)
    if len(grid.rows) < 2:
        raise InputError("the table has a header but no data rows", file=name)
    header = [h or f"column {letter}" for h, letter in zip(grid.rows[0], grid.letters, strict=True)]
    return pd.DataFrame(grid.rows[1:], columns=header, dtype=object)


def map_long_table(
    frame: pd.DataFrame,
    *,
    id_col: str | None = None,
    conc_col: str | None = None,
    response_col: str | None = None,
    source: str = "table",
) -> MappedCurves:
    """Map a long table with other column names to the engine's ``curve_id``,
    ``concentration`` and ``response``.

    A column not named is found by its name (``curve_id``, or ``Compound``/``Drug``/``Sample``;
    ``concentration``, ``Conc...``, ``Dose``; ``response``, ``Inhibition %``, ``Signal``...),
    refusing none or several. A ``weight`` and a ``unit`` column stay in ``frame`` (per point, as
    the engine reads them). Every other column is metadata: kept once per curve when constant
    within each curve, else dropped and listed. Rows are numbered as in the file the frame came
    from (``source``; header = row 1).
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a table, got {type(frame).__name__}", file=source)
    columns = list(frame.columns)
    listed = ", ".join(quote(str(c)) for c in columns) or "none"
    repeated = next((c for c in columns if columns.count(c) > 1), None)
    if repeated is not None:
        raise InputError(
            f"column {quote(str(repeated))} appears twice", file=source, column=str(repeated)
        )
    if len(frame) == 0:
        raise InputError("the table has no data rows", file=source)
    given = {"curve_id": id_col, "concentration": conc_col, "response": response_col}
    chosen: dict[str, Hashable] = {}
    for role, col in given.items():
        if col is None:
            continue
        if col not in columns:
            raise InputError(
                f"{_OPTION[role]}={quote(col)} is not a column; columns: {listed}",
                file=source,
                column=col,
            )
        other = next((r for r, c in chosen.items() if c == col), None)
        if other is not None:
            raise InputError(
                f"column {quote(col)} is given as both the {other} and the {role}",
                file=source,
                column=col,
            )
        chosen[role] = col
    for role in _ENGINE_COLUMNS:
        if role not in chosen:
            rest = [c for c in columns if c not in chosen.values()]
            chosen[role] = _guess(role, rest, listed, source)
    per_point = {c: _key(c) for c in columns if _key(c) in _PER_POINT and c not in chosen.values()}
    for c in columns:
        if str(c) in _ENGINE_COLUMNS and c not in chosen.values():
            raise InputError(
                f"column {quote(str(c))} is not the one chosen as the {c}, but the engine reads "
                "that name: rename it, or choose it",
                file=source,
                column=str(c),
            )
    if len(set(per_point.values())) < len(per_point):
        raise InputError(
            "two columns would both be read as the weight or the unit", file=source, field="weight"
        )

    id_name = str(chosen["curve_id"])
    ids: list[str] = []
    for i, v in enumerate(frame[chosen["curve_id"]].tolist()):
        text = _cell_text(v)
        if not text:
            raise InputError("the curve id is missing", file=source, row=i + 2, column=id_name)
        ids.append(text)
    out = pd.DataFrame({"curve_id": pd.Series(ids, dtype=object, index=frame.index)})
    for role in ("concentration", "response"):
        picked = chosen[role]
        out[role] = _numbers(frame[picked], str(picked), source, allow_blank=role == "response")
    for col, key in per_point.items():
        if key == "weight":
            out["weight"] = _numbers(frame[col], str(col), source, allow_blank=True)
        else:
            out["unit"] = frame[col].to_numpy()
    out = out.reset_index(drop=True)

    order = list(dict.fromkeys(ids))
    groups = np.asarray(ids, dtype=object)
    metadata = pd.DataFrame({"curve_id": pd.Series(order, dtype=object)})
    dropped: list[str] = []
    for col in columns:
        if col in chosen.values() or col in per_point:
            continue
        values = frame[col]
        try:
            counts = values.groupby(groups, sort=False).nunique(dropna=False)
        except TypeError:  # unhashable cells (lists): compare their text
            values = values.map(str)
            counts = values.groupby(groups, sort=False).nunique(dropna=False)
        varies = counts[counts > 1]
        if len(varies):
            dropped.append(f"{col} (varies within curve {quote(str(varies.index[0]))})")
            continue
        first = values.groupby(groups, sort=False).first().reindex(order)
        metadata[col] = first.to_numpy()
    return MappedCurves(out, metadata, tuple(dropped))
