"""Resource limits on every file the workbench reads, checked before the parser sees the bytes.

One module holds every limit (``docs/security.md``, section "Files and readers", states them) and
the cheap checks that enforce them, so a reader cannot be made to decompress a gigabyte, build a
table of billions of cells or recurse until the interpreter gives up:

* :func:`check_size`: the file size cap (checked on the bytes, whatever their origin);
* :func:`check_xlsx`: an xlsx (zip) is inspected with :mod:`zipfile` before openpyxl parses it:
  the declared uncompressed sizes, the compression ratio of each member, and the cells of every
  worksheet (counted while streaming the sheet XML in chunks, stopping at the cap);
* :func:`check_text_table`: rows and columns of a delimited text table, counted before pandas or
  :mod:`csv` build anything;
* :func:`check_toml`: the nesting depth of a TOML document, scanned before :mod:`tomllib`
  (which recurses once per level);
* :func:`check_parquet`: rows, columns and uncompressed size from a Parquet file's footer.

Every refusal is one :class:`~cxcr4lab.core.errors.InputError` naming the file and the limit.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from functools import lru_cache
from typing import Final

from cxcr4lab.core.errors import InputError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NAME_CHARS",
    "MAX_TABLE_COLUMNS",
    "MAX_TABLE_ROWS",
    "MAX_TOML_BYTES",
    "MAX_TOML_DEPTH",
    "MAX_XLSX_CELLS",
    "MAX_XLSX_MEMBERS",
    "MAX_XLSX_RATIO",
    "MAX_XLSX_UNCOMPRESSED",
    "check_parquet",
    "check_size",
    "check_text_table",
    "check_toml",
    "check_xlsx",
    "mib",
]

MAX_FILE_BYTES: Final = 50 * 2**20
"""50 MiB: the largest input file read (plate exports, tables, layouts, FCS, CDISC tables)."""

MAX_XLSX_UNCOMPRESSED: Final = 50 * 2**20
"""50 MiB: the sum of the declared uncompressed sizes of an xlsx's zip members."""

MAX_XLSX_RATIO: Final = 200
"""The largest compression ratio (uncompressed / compressed) of an xlsx member over 1 MiB."""

MAX_XLSX_MEMBERS: Final = 10_000
"""The most zip members an xlsx may hold."""

MAX_XLSX_CELLS: Final = 2_000_000
"""The most cells in all worksheets of an xlsx, also the largest bounding box (rows x columns)
of any one worksheet (an empty padding of a sparse sheet costs memory like filled cells)."""

MAX_TABLE_ROWS: Final = 2_000_000
"""The most lines of a delimited text table (CSV, TSV, TXT)."""

MAX_TABLE_COLUMNS: Final = 20_000
"""The most fields on one line of a delimited text table."""

MAX_TOML_DEPTH: Final = 32
"""The deepest nesting of a TOML document (tables, arrays, inline tables and dotted keys)."""

MAX_TOML_BYTES: Final = 4 * 2**20
"""4 MiB: the largest TOML file (layouts and gate files are kilobytes)."""

MAX_NAME_CHARS: Final = 200
"""The longest name in a layout (a compound, a role, a sample): names are shown in every table,
figure and page of the analysis."""

_RATIO_FLOOR = 2**20  # members smaller than this are never refused for their ratio
_CHUNK = 2**20


def mib(n: int) -> str:
    """A byte count for messages.

    >>> mib(50 * 2**20)
    '50 MiB'
    """
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n:,} bytes"


def check_size(content: bytes, name: str, *, limit: int | None = None) -> None:
    """Refuse ``content`` larger than ``limit`` bytes (default :data:`MAX_FILE_BYTES`)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    if len(content) > limit:
        raise InputError(f"file is larger than {mib(limit)}; refused", file=name)


# --- xlsx ---------------------------------------------------------------------------------------

_BINARY = re.compile(r"\.(png|jpe?g|gif|bmp|tiff?|emf|wmf|bin)$", re.I)
# A cell (<c ...>) or row (<row ...>) start tag, with or without a namespace prefix.
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(c|row)(?=[\s/>])([^<>]*)")
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?([0-9]{1,9})["']""")
_ROW_REF = re.compile(rb"""\sr\s*=\s*["']([0-9]{1,9})["']""")
_DIMENSION = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref\s*=\s*["']([^"']{1,40})["']""")
_RANGE = re.compile(rb"^\$?([A-Za-z]{1,3})\$?([0-9]{1,9})(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,9}))?$")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def check_xlsx(
    content: bytes,
    name: str,
    *,
    max_uncompressed: int | None = None,
    max_cells: int | None = None,
) -> None:
    """Refuse an xlsx that would cost too much to parse, before any parser decompresses it.

    Refused: a file that is not a zip; more than :data:`MAX_XLSX_MEMBERS` members; declared
    uncompressed sizes summing past :data:`MAX_XLSX_UNCOMPRESSED`; a member over 1 MiB compressed
    more than :data:`MAX_XLSX_RATIO` times; more than :data:`MAX_XLSX_CELLS` cells, or a sheet
    whose used area (rows x columns) is larger. Every XML member is streamed in 1 MiB chunks,
    never held whole, and :mod:`zipfile` stops at a member's declared size.
    """
    size_cap = MAX_XLSX_UNCOMPRESSED if max_uncompressed is None else max_uncompressed
    cell_cap = MAX_XLSX_CELLS if max_cells is None else max_cells
    try:
        book = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InputError("not an xlsx workbook (not a readable zip file)", file=name) from None
    with book:
        members = book.infolist()
        if len(members) > MAX_XLSX_MEMBERS:
            raise InputError(
                f"xlsx holds {len(members):,} zip members (limit {MAX_XLSX_MEMBERS:,}); refused",
                file=name,
            )
        total = sum(m.file_size for m in members)
        if total > size_cap:
            raise InputError(
                f"xlsx would decompress to {mib(total)} (limit {mib(size_cap)}); refused",
                file=name,
            )
        for m in members:
            if m.file_size > _RATIO_FLOOR and m.file_size > MAX_XLSX_RATIO * max(
                m.compress_size, 1
            ):
                raise InputError(
                    f"xlsx member {m.filename[:60]!r} is compressed "
                    f"{m.file_size / max(m.compress_size, 1):,.0f} times (limit "
                    f"{MAX_XLSX_RATIO}); refused as a zip bomb",
                    file=name,
                )
        cells = 0
        for m in members:
            # Every member, not only xl/worksheets/*.xml: openpyxl finds sheets through the
            # relationships, so a sheet may live under any name.
            if m.is_dir() or m.file_size == 0 or _BINARY.search(m.filename):
                continue
            cells = _scan_sheet(book, m, name, cells, cell_cap)


_XMLNS = re.compile(rb"xmlns:([A-Za-z_][\w.-]{0,63})\s*=")
_TAG_ENDS = (b" ", b">", b"/", b"\t", b"\n", b"\r")


@lru_cache(maxsize=64)
def _ref_patterns(prefix: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Cell and row start tags with an ``r`` reference, for one namespace prefix (b"" or b"x:").
    Each pattern starts with a literal, so the regex engine skips ahead at C speed."""
    p = re.escape(b"<" + prefix)
    cell = re.compile(p + rb"""c\s[^<>]*?\br\s*=\s*["']\$?([A-Za-z]{1,3})\$?([0-9]{1,9})["']""")
    row = re.compile(p + rb"""row\s[^<>]*?\br\s*=\s*["']([0-9]{1,9})["']""")
    return cell, row


class _Area:
    """What a sheet scan has seen so far: cells, the last row and column referenced, and rows
    or cells without an ``r`` reference (each one further down or right)."""

    def __init__(self, cells: int) -> None:
        self.cells = cells
        self.max_row = 0
        self.rows_without_ref = 0
        self.max_col = 0
        self.col = 0  # position in the current row, for cells without a reference
        self.prefixes: set[bytes] = {b""}

    @property
    def rows(self) -> int:
        return self.max_row + self.rows_without_ref


def _scan_body(body: bytes, area: _Area, cap: int, name: str) -> None:
    """Count the cells and rows of a piece of sheet XML (whole tags only), at C speed: literal
    counts per namespace prefix in use, and the ``r`` references found by literal-led regexes."""
    area.prefixes.update(p + b":" for p in _XMLNS.findall(body))
    n_cells = n_refs = n_rows = n_row_refs = 0
    for prefix in area.prefixes:
        if prefix and b"<" + prefix not in body:
            continue  # a namespace declared but not used for elements here
        cell_tag, row_tag = b"<" + prefix + b"c", b"<" + prefix + b"row"
        n_cells += sum(body.count(cell_tag + end) for end in _TAG_ENDS)
        n_rows += sum(body.count(row_tag + end) for end in _TAG_ENDS)
        cell_ref, row_ref = _ref_patterns(prefix)
        refs = cell_ref.findall(body)
        if refs:
            n_refs += len(refs)
            area.max_col = max(area.max_col, *(_column_number(c) for c in {c for c, _ in refs}))
            area.max_row = max(area.max_row, *(int(r) for r in {r for _, r in refs}))
        rows = row_ref.findall(body)
        if rows:
            n_row_refs += len(rows)
            area.max_row = max(area.max_row, *(int(r) for r in set(rows)))
    area.cells += n_cells
    if area.cells > cap:
        raise InputError(f"xlsx holds more than {cap:,} cells; refused", file=name)
    area.rows_without_ref += max(n_rows - n_row_refs, 0)
    if n_cells > n_refs:  # cells placed by position: follow each row (rare, slower)
        for match in _TAG.finditer(body):
            if match.group(1) == b"row":
                area.col = 0
                continue
            ref = _CELL_REF.search(match.group(2))
            area.col = _column_number(ref.group(1)) if ref else area.col + 1
            area.max_col = max(area.max_col, area.col)


def _scan_sheet(
    book: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, cells: int, cap: int
) -> int:
    """Stream one member's XML, counting cells (returns the running total) and checking its
    used area (rows x columns) against ``cap``."""
    area = _Area(cells)
    tail = b""
    first = True
    try:
        with book.open(member) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                data = tail + chunk
                if first:
                    first = False
                    dim = _DIMENSION.search(data[:65536])
                    if dim is not None:
                        _check_area(dim.group(1), name, member.filename, cap)
                cut = data.rfind(b"<")
                if cut <= 0:
                    tail = data[-65536:]
                    continue
                body, tail = data[:cut], data[cut:]
                _scan_body(body, area, cap, name)
                if area.rows * area.max_col > cap:
                    _too_wide(area.rows, area.max_col, name, member.filename, cap)
            _scan_body(tail, area, cap, name)
    except InputError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ):
        raise InputError(
            f"not an xlsx workbook (zip member {member.filename[:60]!r} is damaged)", file=name
        ) from None
    if area.rows * area.max_col > cap:
        _too_wide(area.rows, area.max_col, name, member.filename, cap)
    return area.cells


def _check_area(ref: bytes, name: str, sheet: str, cap: int) -> None:
    found = _RANGE.match(ref.strip())
    if found is None:
        return
    last_col = found.group(3) or found.group(1)
    last_row = found.group(4) or found.group(2)
    rows, cols = int(last_row), _column_number(last_col)
    if rows * cols > cap:
        _too_wide(rows, cols, name, sheet, cap)


def _too_wide(rows: int, cols: int, name: str, sheet: str, cap: int) -> None:
    raise InputError(
        f"xlsx sheet {sheet[:60]!r} spans {rows:,} rows x {cols:,} columns "
        f"(more than {cap:,} cells); refused",
        file=name,
    )


# --- delimited text -------------------------------------------------------------------------------


def check_text_table(
    text: str | bytes,
    name: str,
    *,
    delimiters: str = ",;\t",
    max_rows: int | None = None,
    max_columns: int | None = None,
) -> None:
    """Refuse a delimited text table with more lines than :data:`MAX_TABLE_ROWS` or a line with
    more fields than :data:`MAX_TABLE_COLUMNS` (counting any of ``delimiters``; quoted fields
    only make the count an upper bound). Runs in C-speed string counts."""
    row_cap = MAX_TABLE_ROWS if max_rows is None else max_rows
    col_cap = MAX_TABLE_COLUMNS if max_columns is None else max_columns
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    lines = max(raw.count(b"\n"), raw.count(b"\r")) + (0 if raw.endswith((b"\n", b"\r")) else 1)
    if lines > row_cap:
        raise InputError(f"table has {lines:,} lines (limit {row_cap:,}); refused", file=name)
    for d in delimiters.encode():
        sep = bytes([d])
        if raw.count(sep) < col_cap:
            continue  # no line can hold more
        widest = max(line.count(sep) for line in raw.splitlines()) + 1
        if widest > col_cap:
            raise InputError(
                f"a line of the table has {widest:,} fields (limit {col_cap:,}); refused",
                file=name,
            )


# --- TOML -----------------------------------------------------------------------------------------


def check_toml(
    text: str, name: str, *, max_depth: int | None = None, max_bytes: int | None = None
) -> None:
    """Refuse TOML nested deeper than :data:`MAX_TOML_DEPTH` (arrays, inline tables, dotted keys
    and table headers all count) or longer than :data:`MAX_TOML_BYTES`, before :mod:`tomllib`.

    The scan skips strings and comments; it needs no valid TOML (tomllib judges that after).
    """
    depth_cap = MAX_TOML_DEPTH if max_depth is None else max_depth
    byte_cap = MAX_TOML_BYTES if max_bytes is None else max_bytes
    if len(text) > byte_cap:
        raise InputError(f"TOML file is larger than {mib(byte_cap)}; refused", file=name)
    depth = _toml_depth(text)
    if depth > depth_cap:
        raise InputError(
            f"TOML is nested {depth:,} levels deep (limit {depth_cap}); refused", file=name
        )


_TOML_SPECIAL = re.compile(r"[#\"'\[\]{}.=,\n]")


def _toml_depth(text: str) -> int:
    """The deepest nesting in ``text``: brackets/braces opened in values plus key segments."""
    deepest = 0
    brackets = 0  # [ and { open
    keys = 1  # segments of the current dotted key or header
    i, n = 0, len(text)
    while True:
        found = _TOML_SPECIAL.search(text, i)
        if found is None:
            return deepest
        i = found.start()
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            j = i + len(quote)
            while True:
                k = text.find(quote, j)
                if k < 0:
                    return deepest  # unterminated: tomllib says so
                backslashes = 0
                while ch == '"' and k - 1 - backslashes >= j and text[k - 1 - backslashes] == "\\":
                    backslashes += 1
                if backslashes % 2 == 0:
                    break
                j = k + 1
            i = k + len(quote)
            continue
        if ch in "[{":
            brackets += 1
            deepest = max(deepest, brackets + keys)
        elif ch in "]}":
            brackets = max(brackets - 1, 0)
        elif ch == ".":
            if not (0 < i < n - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()):
                keys += 1  # a key dot, not a decimal point
                deepest = max(deepest, brackets + keys)
        elif ch in "=," or brackets == 0:  # "=", "," or the end of a top-level line
            keys = 1
        i += 1


# --- Parquet --------------------------------------------------------------------------------------


def check_parquet(content: bytes, name: str, *, max_cells: int | None = None) -> None:
    """Refuse a Parquet file whose footer declares more than :data:`MAX_XLSX_CELLS` cells or more
    than :data:`MAX_XLSX_UNCOMPRESSED` bytes uncompressed (the same budget as an xlsx)."""
    import pyarrow.parquet as pq

    cap = MAX_XLSX_CELLS if max_cells is None else max_cells
    try:
        meta = pq.ParquetFile(io.BytesIO(content)).metadata
    except Exception:  # pyarrow raises several kinds for a broken footer
        raise InputError("cannot read as a Parquet table (broken footer)", file=name) from None
    cells = int(meta.num_rows) * max(int(meta.num_columns), 1)
    if cells > cap:
        raise InputError(f"Parquet table holds {cells:,} cells (limit {cap:,}); refused", file=name)
    size = sum(int(meta.row_group(i).total_byte_size) for i in range(meta.num_row_groups))
    if size > MAX_XLSX_UNCOMPRESSED:
        raise InputError(
            f"Parquet table would decompress to {mib(size)} (limit "
            f"{mib(MAX_XLSX_UNCOMPRESSED)}); refused",
            file=name,
        )
