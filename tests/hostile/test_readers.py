"""Hostile files against every reader: resource limits, bounded messages, and fuzzing.

Every reader of user files must either return or raise :class:`Cxcr4labError` (one clear line),
whatever the bytes: never another exception, never unbounded memory or time. The fuzz suite at the
bottom runs each entry of :data:`READERS` on arbitrary bytes and on mutated bundled examples with a
fixed hypothesis budget (``@settings(max_examples=200, deadline=None)``).

A reader added later joins the fuzz suite by one line in :data:`READERS`: a name, a function from
``bytes`` to anything, and the bundled examples to mutate.
"""

from __future__ import annotations

import io
import random
import re
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcr4lab.assays.flow import read_fcs_bytes, read_gates_bytes
from cxcr4lab.assays.kinetic import read_kinetic_bytes
from cxcr4lab.assays.layout import read_layout, read_layout_bytes
from cxcr4lab.assays.readers import read_plates, read_plates_bytes
from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.clinical.cdisc import (
    read_clinical_bytes,
    validate_adae,
    validate_adrs,
    validate_adsl,
    validate_adtte,
    validate_tr,
)
from cxcr4lab.core import limits
from cxcr4lab.core.errors import MAX_MESSAGE_CHARS, Cxcr4labError, InputError, quote
from cxcr4lab.core.export import escape_cell, escape_frame, safe_csv
from cxcr4lab.core.limits import check_toml, check_xlsx
from cxcr4lab.pkpd.datasets import read_nonmem

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "src" / "cxcr4lab" / "examples"
DOCS = ROOT / "docs" / "security.md"


# --- building xlsx files by hand (zipfile), so a test controls every byte ------------------------

_CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
_RELS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"
_SST_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _xlsx(
    rows: bytes, strings: list[bytes] | None = None, *, padding: int = 0, pad_strings: int = 0
) -> bytes:
    """A minimal xlsx whose sheet holds ``rows`` (sheetData XML) and whose shared strings are
    ``strings``; ``padding``/``pad_strings`` bytes of whitespace are streamed into the sheet or
    the shared strings (deflated to about 1/1000 of their size)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(_SHEET_HEAD + rows)
            _spaces(f, padding)
            f.write(_SHEET_TAIL)
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            items = strings or []
            f.write(_SST_HEAD)
            for s in items:
                f.write(b"<si><t>" + s + b"</t></si>")
            _spaces(f, pad_strings)
            f.write(b"</sst>")
    return buf.getvalue()


def _spaces(f: Any, n: int) -> None:
    block = b" " * (1 << 20)
    while n > 0:
        f.write(block[: min(n, len(block))])
        n -= len(block)


def _grid_rows(values: list[list[str]]) -> bytes:
    """sheetData rows of inline-string cells (row r, column c from A)."""
    out = []
    for r, row in enumerate(values, start=1):
        cells = "".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
            for c, v in enumerate(row)
        )
        out.append(f'<row r="{r}">{cells}</row>')
    return "".join(out).encode()


def _plate_grid_rows(bad: str | None = None) -> bytes:
    header = ["", *[str(c) for c in range(1, 13)]]
    rows = [header] + [[L, *["100"] * 12] for L in "ABCDEFGH"]
    xml = _grid_rows(rows)
    if bad is not None:  # B3 holds a shared string (index 0) instead of a number
        xml = xml.replace(
            b'<c r="D3" t="inlineStr"><is><t>100</t></is></c>', b'<c r="D3" t="s"><v>0</v></c>'
        )
    return xml


XLSX_READERS: list[tuple[str, Callable[[bytes], object]]] = [
    ("plates", lambda b: read_plates_bytes(b, "plate.xlsx")),
    ("kinetic", lambda b: read_kinetic_bytes(b, "kinetic.xlsx")),
    ("table", lambda b: read_table_bytes(b, "table.xlsx")),
]


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A valid xlsx whose sheet XML is 300 MiB of whitespace, deflated to about 300 KB."""
    return _xlsx(_plate_grid_rows(), padding=300 << 20)


@pytest.mark.parametrize(("name", "reader"), XLSX_READERS, ids=[n for n, _ in XLSX_READERS])
def test_xlsx_zip_bomb_is_refused_before_decompressing(
    bomb: bytes, name: str, reader: Callable[[bytes], object]
) -> None:
    assert len(bomb) < 2 << 20
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InputError, match=r"would decompress to 300 MiB \(limit 50 MiB\)"):
            reader(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2.0
    assert peak < 16 << 20  # nothing was decompressed


def test_xlsx_member_with_an_absurd_compression_ratio_is_refused() -> None:
    content = _xlsx(_plate_grid_rows(), padding=20 << 20)  # under the size cap, ratio ~1000
    with pytest.raises(InputError, match=r"compressed .* times .* zip bomb"):
        read_plates_bytes(content, "plate.xlsx")


@pytest.mark.parametrize(("name", "reader"), XLSX_READERS, ids=[n for n, _ in XLSX_READERS])
def test_xlsx_with_more_cells_than_the_cap_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, reader: Callable[[bytes], object]
) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_CELLS", 500)
    rows = _grid_rows([[str(c) for c in range(20)] for _ in range(30)])  # 600 cells
    with pytest.raises(InputError, match="more than 500 cells"):
        reader(_xlsx(rows))
    small = _grid_rows([["well", "signal"], ["A1", "1"], ["A2", "2"]])
    if name != "kinetic":
        reader(_xlsx(small))  # below the cap: read


def test_sparse_xlsx_spanning_a_whole_sheet_is_refused() -> None:
    """Two cells, A1 and XFD1048576: pandas would pad 17 billion empty cells."""
    rows = (
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>well</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    )
    started = time.perf_counter()
    for _, reader in XLSX_READERS:
        with pytest.raises(InputError, match="spans 1,048,576 rows x 16,384 columns"):
            reader(_xlsx(rows))
    assert time.perf_counter() - started < 2.0


def test_xlsx_dimension_claiming_a_whole_sheet_is_refused() -> None:
    rows = _plate_grid_rows()
    content = _xlsx(rows)
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(patched, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("sheet1.xml"):
                data = data.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
            dst.writestr(info.filename, data)
    with pytest.raises(InputError, match="spans"):
        check_xlsx(patched.getvalue(), "big.xlsx")


def test_not_a_zip_named_xlsx_is_one_error() -> None:
    for _, reader in XLSX_READERS:
        with pytest.raises(InputError, match="not an xlsx workbook"):
            reader(b"plain text, not a zip")


def test_huge_shared_string_is_refused_by_size_and_the_message_is_short() -> None:
    """The finding: a 206 KB xlsx with one 200 MiB shared string gave a 209,715,383-byte error."""
    content = _xlsx(_plate_grid_rows(bad="x"), [b"x"], pad_strings=200 << 20)
    assert len(content) < 1 << 20
    with pytest.raises(InputError) as caught:
        read_plates_bytes(content, "plate.xlsx")
    assert len(str(caught.value)) < 200


def test_long_cell_under_the_size_cap_is_quoted_in_at_most_80_chars() -> None:
    # a 3 MiB shared string (incompressible: random hex) where a number belongs
    big = b"7" * 1000 + random.Random(0).randbytes(3 << 19).hex().encode()
    with pytest.raises(InputError) as caught:
        read_plates_bytes(_xlsx(_plate_grid_rows(bad="x"), [big]), "plate.xlsx")
    message = str(caught.value)
    assert "is not a number" in message and "(3,146,728 chars)" in message
    assert len(message) < 200


def test_long_csv_cell_is_quoted_in_at_most_80_chars() -> None:
    text = "well,signal\nA1," + "9" * 100_000 + "z\n"
    with pytest.raises(InputError) as caught:
        read_plates_bytes(text.encode(), "plate.csv")
    assert len(str(caught.value)) < 200 and "100,001 chars" in str(caught.value)


def test_quote_and_message_bounds() -> None:
    assert quote("abc") == "'abc'"
    assert len(quote("y" * 10**6)) <= 110
    assert quote(10**5000) == "an integer of about 5,000 digits"
    error = InputError("z" * 10**6, file="f" * 10**5, block="b" * 10**5)
    assert len(str(error)) <= MAX_MESSAGE_CHARS
    assert len(error.place.file or "") <= 230


# --- CSV rows and columns ----------------------------------------------------------------------

CSV_READERS: list[tuple[str, Callable[[bytes], object]]] = [
    ("plates", lambda b: read_plates_bytes(b, "plate.csv")),
    ("kinetic", lambda b: read_kinetic_bytes(b, "kinetic.csv")),
    ("table", lambda b: read_table_bytes(b, "table.csv")),
    ("clinical", lambda b: read_clinical_bytes(b, "adsl.csv")),
    ("nonmem", lambda b: read_nonmem(io.StringIO(b.decode()), source="pk.csv")),
]


@pytest.mark.parametrize(("name", "reader"), CSV_READERS, ids=[n for n, _ in CSV_READERS])
def test_csv_over_the_row_cap_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, reader: Callable[[bytes], object]
) -> None:
    monkeypatch.setattr(limits, "MAX_TABLE_ROWS", 1000)
    with pytest.raises(InputError, match=r"table has 1,202 lines \(limit 1,000\)"):
        reader(b"well,signal\n" + b"A1,1\n" * 1200 + b"\n")


@pytest.mark.parametrize(("name", "reader"), CSV_READERS, ids=[n for n, _ in CSV_READERS])
def test_csv_over_the_column_cap_is_refused(name: str, reader: Callable[[bytes], object]) -> None:
    line = b",".join(b"c%d" % i for i in range(limits.MAX_TABLE_COLUMNS + 5))
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"fields \(limit 20,000\)"):
        reader(line + b"\n" + line + b"\n")
    assert time.perf_counter() - started < 2.0


def test_csv_of_blank_lines_is_refused_at_the_real_cap() -> None:
    content = b",\n" * (limits.MAX_TABLE_ROWS + 1)
    started = time.perf_counter()
    for _, reader in CSV_READERS[:4]:
        with pytest.raises(InputError, match="lines"):
            reader(content)
    assert time.perf_counter() - started < 3.0


# --- TOML -----------------------------------------------------------------------------------------

DEEP_TOML = {
    "arrays": "a = " + "[" * 3000 + "]" * 3000 + "\n",
    "inline tables": "a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n",
    "dotted key": ".".join(["k"] * 3000) + " = 1\n",
    "table header": "[" + ".".join(["t"] * 3000) + "]\n",
}


@pytest.mark.parametrize("shape", sorted(DEEP_TOML))
def test_toml_3000_deep_is_refused(shape: str) -> None:
    text = DEEP_TOML[shape]
    for reader in (
        lambda b: read_layout_bytes(b, "layout.toml"),
        lambda b: read_gates_bytes(b, "gates.toml"),
    ):
        with pytest.raises(InputError, match=r"nested 3,00\d levels deep \(limit 32\)"):
            reader(text.encode())


def test_toml_depth_scanner_ignores_strings_comments_and_numbers() -> None:
    text = "a = \"[[[[{{{{\" # [[[[[[\nb = 1.5\nc = '''\n[[[[[[[[[[\n'''\n[x.y]\nz = [[1], [2]]\n"
    check_toml(text * 50, "ok.toml")
    with pytest.raises(InputError):
        check_toml("a = " + "[" * 40 + "]" * 40, "deep.toml")


def test_deep_toml_that_slips_the_scanner_is_still_one_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """tomllib's RecursionError is caught. Simulated: a real one in the test process upsets
    CPython 3.11's ast module for the rest of the session (pytest parses source on failures)."""
    import tomllib

    def too_deep(text: str) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(tomllib, "loads", too_deep)
    with pytest.raises(InputError, match="nested too deeply"):
        read_layout_bytes(b"a = 1\n", "layout.toml")
    with pytest.raises(InputError, match="nested too deeply"):
        read_gates_bytes(b"a = 1\n", "gates.toml")


LAYOUT = (EXAMPLES / "binding" / "layout96.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("plate = 96", "plate = [96]", r"plate = \[96\] is not a plate format"),
        ("plate = 96", "plate = true", "is not a plate format"),
        ("plate = 96", "plate = {a = 1}", "is not a plate format"),
        ("plate = 96", "plate = 1979-05-27", "is not a plate format"),
        ('role = "total"', 'role = ["total"]', "not an array or table"),
        ('role = "total"', "role = true", "must be text"),
        ('role = "total"', "role = 1979-05-27T07:32:00Z", "must be text"),
        ('compound = "plerixafor"', "compound = {a = 1}", "not an array or table"),
        ('conc = "1000 nM"', "conc = [1]", "not an array or table"),
        ('conc = "1000 nM"', "conc = 12:00:00", "is not a number with a unit"),
        ('role = "nsb"', 'role = "nsb"\nlevel = [1, 2]', "not an array or table"),
        ('role = "nsb"', 'role = "nsb"\nexclude = 3', "must be a reason"),
        ('compound = "plerixafor"', f'compound = "{"x" * 200_000}"', "longer than the 200"),
    ],
)
def test_layout_with_odd_toml_values_is_one_error(old: str, new: str, expected: str) -> None:
    assert old in LAYOUT
    with pytest.raises(InputError, match=expected):
        read_layout_bytes(LAYOUT.replace(old, new, 1).encode(), "layout.toml")


def test_layout_exclude_false_keeps_the_well() -> None:
    layout = read_layout_bytes(
        LAYOUT.replace('role = "nsb"', 'role = "nsb"\nexclude = false').encode(), "l.toml"
    )
    assert layout.table["exclude"].isna().all()


def test_limit_constants_are_the_documented_ones() -> None:
    assert limits.MAX_FILE_BYTES == 50 * 2**20
    assert limits.MAX_XLSX_UNCOMPRESSED == 50 * 2**20
    assert limits.MAX_XLSX_CELLS == 2_000_000
    assert limits.MAX_XLSX_RATIO == 200
    assert limits.MAX_XLSX_MEMBERS == 10_000
    assert limits.MAX_TABLE_ROWS == 2_000_000
    assert limits.MAX_TABLE_COLUMNS == 20_000
    assert limits.MAX_TOML_DEPTH == 32
    assert limits.MAX_TOML_BYTES == 4 * 2**20
    assert limits.MAX_NAME_CHARS == 200
    assert MAX_MESSAGE_CHARS == 1000
    section = DOCS.read_text(encoding="utf-8").split("## Files and readers", 1)[1]
    section = section.split("\n## ", 1)[0]
    for figure in (
        "50 MiB",
        "2,000,000 cells",
        "200",
        "10,000 members",
        "2,000,000 lines",
        "20,000 fields",
        "32 levels",
        "4 MiB",
        "200 characters",
        "80 characters",
        "1,000 characters",
    ):
        assert figure in section, figure


# --- path readers ---------------------------------------------------------------------------------


def test_path_readers_refuse_directories_and_devices(tmp_path: Path) -> None:
    for reader in (read_plates, read_layout, lambda p: read_nonmem(p)):
        with pytest.raises(InputError, match="directory"):
            reader(tmp_path)
        with pytest.raises(InputError, match="not a regular file"):
            reader(Path("/dev/zero"))


# --- CSV/xlsx export: formula prefixes -----------------------------------------------------------


def test_escape_cell_and_frame() -> None:
    assert escape_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert [escape_cell(v) for v in ("+1", "-x", "@a", "\tz", "\rz", "ok")] == [
        "'+1",
        "'-x",
        "'@a",
        "'\tz",
        "'\rz",
        "ok",
    ]
    frame = pd.DataFrame({"=id": ["=1+1", "a"], "x": [-1.0, 2.0]})
    assert escape_frame(frame).columns.tolist() == ["'=id", "x"]
    assert safe_csv(frame).splitlines() == ["'=id,x", "'=1+1,-1.0", "a,2.0"]
    from cxcr4lab.web.security import escape_cell as web_escape

    assert web_escape is escape_cell


# --- fuzzing: every reader returns or raises Cxcr4labError ---------------------------------------


def _example(*parts: str) -> bytes:
    return EXAMPLES.joinpath(*parts).read_bytes()


def _lines(content: bytes, n: int) -> bytes:
    """The first ``n`` lines of an example (a smaller seed mutates faster)."""
    return b"\n".join(content.splitlines()[:n]) + b"\n"


def _clinical(validate: Callable[..., object], name: str) -> Callable[[bytes], object]:
    def read(b: bytes) -> object:
        frame, base = read_clinical_bytes(b, name)
        return validate(frame, name, row_base=base)

    return read


NONMEM_EXAMPLE = (
    b"ID,TIME,EVID,AMT,CMT,DV,WT\n1,0,1,100,1,.,70\n1,0.5,0,.,2,5.2,70\n1,2,0,.,2,3.1,70\n"
    b"2,0,1,100,1,.,82\n2,1,0,.,2,4.4,82\n"
)


@dataclass(frozen=True)
class Reader:
    name: str
    read: Callable[[bytes], object]
    examples: tuple[bytes, ...]
    xlsx: bool = False


READERS: list[Reader] = [
    Reader(
        "plates-csv",
        lambda b: read_plates_bytes(b, "plate.csv"),
        (_example("binding", "plate96_run1.csv"), _example("binding", "plate96_run2_long.csv")),
    ),
    Reader(
        "plates-xlsx",
        lambda b: read_plates_bytes(b, "plate.xlsx"),
        (_example("binding", "plate384_run1.xlsx"),),
        xlsx=True,
    ),
    Reader(
        "kinetic-csv",
        lambda b: read_kinetic_bytes(b, "kinetic.csv"),
        (_lines(_example("calcium", "flipr_run1.csv"), 40),),
    ),
    Reader(
        "kinetic-xlsx",
        lambda b: read_kinetic_bytes(b, "kinetic.xlsx"),
        (_example("binding", "plate384_run1.xlsx"),),
        xlsx=True,
    ),
    Reader(
        "layout",
        lambda b: read_layout_bytes(b, "layout.toml"),
        (_example("binding", "layout96.toml"), _example("elisa", "il2_layout.toml")),
    ),
    Reader(
        "table-csv",
        lambda b: read_table_bytes(b, "table.csv"),
        (_example("bioanalysis", "run1.csv"), _example("occupancy", "mfi_table.csv")),
    ),
    Reader(
        "table-xlsx",
        lambda b: read_table_bytes(b, "table.xlsx"),
        (_example("binding", "plate384_run1.xlsx"),),
        xlsx=True,
    ),
    Reader("fcs", lambda b: read_fcs_bytes(b, "tube.fcs"), (_example("cd34", "demo_tube.fcs"),)),
    Reader(
        "gates",
        lambda b: read_gates_bytes(b, "gates.toml"),
        (_example("cd34", "gates.toml"), _example("occupancy", "gates.toml")),
    ),
    Reader(
        "cdisc-adsl",
        _clinical(validate_adsl, "adsl.csv"),
        (_example("clinical", "phase1b_adsl.csv"),),
    ),
    Reader(
        "cdisc-adtte",
        _clinical(validate_adtte, "adtte.csv"),
        (_example("clinical", "phase1b_adtte.csv"),),
    ),
    Reader(
        "cdisc-adrs",
        _clinical(validate_adrs, "adrs.csv"),
        (_example("clinical", "phase1b_adrs.csv"),),
    ),
    Reader(
        "cdisc-adae",
        _clinical(validate_adae, "adae.csv"),
        (_example("clinical", "phase1b_adae.csv"),),
    ),
    Reader(
        "cdisc-tr",
        _clinical(validate_tr, "tr.csv"),
        (_lines(_example("clinical", "phase1b_tr.csv"), 60),),
    ),
    Reader(
        "cdisc-parquet",
        lambda b: read_clinical_bytes(b, "adsl.parquet"),
        (_example("clinical", "phase1b_adsl.csv"),),
    ),
    Reader(
        "nonmem",
        lambda b: read_nonmem(io.StringIO(b.decode("utf-8", "replace")), source="pk.csv"),
        (NONMEM_EXAMPLE,),
    ),
]
"""Every reader of user files. Add a reader here (one line) and it is fuzzed like the rest."""

_INTERESTING = [
    b"",
    b"=HYPERLINK(1)",
    b"[96]",
    b"true",
    b"{a = 1}",
    b"1979-05-27",
    b"1e999",
    b"-0",
    b"nan",
    b"9" * 400,
    b'"',
    b"'''",
    b"\x00",
    b"\xff\xfe",
    b",,,,",
    b";",
    b"\t",
    b"\r",
    b"\n\n",
    b"[",
    b"{",
    b"A1",
    b"ZZ99999",
    b"well",
    b"Time (s)",
    b"<c r='A1'>",
    b"#",
    b"\xc3\x28",
]


@st.composite
def mutated(draw: st.DrawFn, example: bytes) -> bytes:
    data = bytearray(example)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "token"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(max_size=12))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "duplicate":
            piece = data[at : at + draw(st.integers(1, 200))]
            data[at:at] = piece * draw(st.integers(1, 4))
        else:  # replace the token at ``at`` (up to a delimiter) by an interesting value
            end = at
            while end < len(data) and data[end] not in b',;\t\n ="<>':
                end += 1
            data[at:end] = draw(st.sampled_from(_INTERESTING))
    return bytes(data)


def _xlsx_members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


@st.composite
def mutated_xlsx(draw: st.DrawFn, example: bytes) -> bytes:
    """The example workbook with one XML member mutated (zip intact), or the zip bytes mutated."""
    if draw(st.booleans()):
        return draw(mutated(example))
    members = _xlsx_members(example)
    names = sorted(n for n in members if n.endswith(".xml"))
    target = draw(st.sampled_from(names))
    members[target] = draw(mutated(members[target]))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in members.items():
            z.writestr(n, data)
    return buf.getvalue()


def _parquet(example: bytes) -> bytes:
    frame = pd.read_csv(io.BytesIO(example), dtype=str, keep_default_na=False)
    buf = io.BytesIO()
    frame.to_parquet(buf)
    return buf.getvalue()


def _read_or_refuse(reader: Reader, content: bytes) -> None:
    try:
        with warnings.catch_warnings():
            # A reader may warn (openpyxl on odd styles); only exceptions are judged here.
            warnings.simplefilter("ignore")
            reader.read(content)
    except Cxcr4labError as exc:
        text = str(exc)
        assert len(text) <= MAX_MESSAGE_CHARS
        assert "\n" not in text.strip() or len(text.splitlines()) < 20


FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


@pytest.mark.parametrize("reader", READERS, ids=[r.name for r in READERS])
@FUZZ
@given(content=st.binary(max_size=2048))
def test_fuzz_arbitrary_bytes(reader: Reader, content: bytes) -> None:
    _read_or_refuse(reader, content)


@pytest.mark.parametrize("reader", READERS, ids=[r.name for r in READERS])
@FUZZ
@given(data=st.data())
def test_fuzz_mutated_examples(reader: Reader, data: st.DataObject) -> None:
    example = data.draw(st.sampled_from(reader.examples))
    if reader.name == "cdisc-parquet":
        content = data.draw(mutated(_parquet(example)))
    elif reader.xlsx:
        content = data.draw(mutated_xlsx(example))
    else:
        content = data.draw(mutated(example))
    _read_or_refuse(reader, content)


def test_every_reader_reads_its_examples() -> None:
    """The fuzz seeds are valid inputs (else mutating them explores nothing)."""
    for reader in READERS:
        for example in reader.examples:
            if reader.name == "kinetic-xlsx":  # a plate workbook: the zip and XML are the seed
                with pytest.raises(InputError, match="no kinetic table found"):
                    reader.read(example)
                continue
            reader.read(_parquet(example) if reader.name == "cdisc-parquet" else example)


def test_messages_never_hold_a_line_break_from_input() -> None:
    with pytest.raises(InputError) as caught:
        read_plates_bytes(b'well,signal\nA1,"a\nb"\n', "plate.csv")
    assert re.search(r"'a\\nb'", str(caught.value))
