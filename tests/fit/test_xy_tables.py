"""Prism XY tables (CSV, TSV, xlsx; one or two header rows) and renamed long tables become the
fit engine's long table; bad input is one InputError naming the row and column."""

from __future__ import annotations

import csv
import io
import math
import string
import zipfile
from collections.abc import Sequence

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcr4lab.core import limits
from cxcr4lab.core.errors import InputError
from cxcr4lab.fit.xy_tables import MappedCurves, WideCurves, map_long_table, read_prism_xy

Cell = str | float | None


def _csv(rows: Sequence[Sequence[Cell]], sep: str = ",") -> bytes:
    """Rows written as delimited text; floats exactly (repr), None as a blank cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
    return buffer.getvalue().encode()


def _xlsx(rows: Sequence[Sequence[Cell]], *, merge: Sequence[str] = (), at: str = "A1") -> bytes:
    """Rows written into a workbook's first sheet from cell ``at``; ``merge`` ranges merged."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    origin = sheet[at]
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is not None:
                sheet.cell(row=origin.row + i, column=origin.column + j, value=v)
    for cells in merge:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _long(records: Sequence[tuple[str, float, float, int]]) -> pd.DataFrame:
    ids, conc, resp, rep = zip(*records, strict=True) if records else ((), (), (), ())
    return pd.DataFrame(
        {
            "curve_id": pd.Series(list(ids), dtype=object),
            "concentration": np.asarray(conc, dtype=float),
            "response": np.asarray(resp, dtype=float),
            "replicate": np.asarray(rep, dtype=np.int64),
        }
    )


def _message(exc: pytest.ExceptionInfo[InputError]) -> str:
    return str(exc.value)


# --- layouts -----------------------------------------------------------------------------------------

TWO_ROWS: list[list[Cell]] = [
    ["log[antagonist] (M)", "Cmpd A", None, None, "Cmpd B", None],
    [None, "A:Y1", "A:Y2", "A:Y3", "B:Y1", "B:Y2"],
    [-9.0, 100.0, 98.0, None, 99.0, 101.0],
    [-8.0, 80.0, 82.0, 79.0, None, 70.0],
    [-7.0, 20.0, None, 22.0, 30.0, 31.0],
]
TWO_ROWS_LONG = _long(
    [
        ("Cmpd A", 1e-9, 100.0, 1),
        ("Cmpd A", 1e-9, 98.0, 2),
        ("Cmpd A", 1e-8, 80.0, 1),
        ("Cmpd A", 1e-8, 82.0, 2),
        ("Cmpd A", 1e-8, 79.0, 3),
        ("Cmpd A", 1e-7, 20.0, 1),
        ("Cmpd A", 1e-7, 22.0, 3),
        ("Cmpd B", 1e-9, 99.0, 1),
        ("Cmpd B", 1e-9, 101.0, 2),
        ("Cmpd B", 1e-8, 70.0, 2),
        ("Cmpd B", 1e-7, 30.0, 1),
        ("Cmpd B", 1e-7, 31.0, 2),
    ]
)

ONE_ROW: list[list[Cell]] = [
    ["Concentration (nM)", "Cmpd A", "Cmpd A", "Cmpd A", "Cmpd B", "Cmpd B"],
    [1.0, 100.0, 98.0, None, 99.0, 101.0],
    [10.0, 80.0, 82.0, 79.0, None, 70.0],
    [100.0, 20.0, None, 22.0, 30.0, 31.0],
]
ONE_ROW_LONG = TWO_ROWS_LONG.assign(
    concentration=TWO_ROWS_LONG["concentration"].to_numpy() * 1e9
).round({"concentration": 9})


def _check_two_rows(wide: WideCurves) -> None:
    pd.testing.assert_frame_equal(wide.frame, TWO_ROWS_LONG, rtol=1e-12)
    assert (wide.unit, wide.x_scale, wide.x_title) == ("M", "log10", "log[antagonist] (M)")
    assert wide.compounds == ("Cmpd A", "Cmpd B")
    assert "X read as log10 (header 'log[antagonist] (M)')" in wide.notes
    assert any("two header rows" in n for n in wide.notes)


def _check_one_row(wide: WideCurves) -> None:
    pd.testing.assert_frame_equal(wide.frame, ONE_ROW_LONG, rtol=1e-12)
    assert (wide.unit, wide.x_scale, wide.x_title) == ("nM", "linear", "Concentration (nM)")
    assert wide.compounds == ("Cmpd A", "Cmpd B")
    assert any("one header row" in n for n in wide.notes)


@pytest.mark.parametrize(("name", "sep"), [("p.csv", ","), ("p.tsv", "\t"), ("p.txt", ";")])
def test_two_header_rows_from_text(name: str, sep: str) -> None:
    _check_two_rows(read_prism_xy(_csv(TWO_ROWS, sep), name))


@pytest.mark.parametrize(("name", "sep"), [("p.csv", ","), ("p.tsv", "\t"), ("p.txt", ";")])
def test_one_header_row_from_text(name: str, sep: str) -> None:
    _check_one_row(read_prism_xy(_csv(ONE_ROW, sep), name))


def test_two_header_rows_from_xlsx_with_merged_titles() -> None:
    content = _xlsx(TWO_ROWS, merge=["B1:D1", "E1:F1"])
    _check_two_rows(read_prism_xy(content, "prism.xlsx"))


def test_one_header_row_from_xlsx() -> None:
    _check_one_row(read_prism_xy(_xlsx(ONE_ROW), "prism.xlsx"))


def test_xlsx_rows_and_letters_are_the_sheets() -> None:
    rows: list[list[Cell]] = [r[:] for r in ONE_ROW]
    rows[2][2] = "n.d."
    with pytest.raises(InputError) as exc:
        read_prism_xy(_xlsx(rows, at="C4"), "shifted.xlsx")
    assert exc.value.place.row == 6
    assert exc.value.place.column == "Cmpd A (E)"


def test_three_compounds_ragged_replicates_and_blanks() -> None:
    rows: list[list[Cell]] = [
        ["X", "A", None, None, "B", "C", None, None, None],
        [None, "Y1", "Y2", "Y3", "Y1", "Y1", "Y2", "Y3", "Y4"],
        [0.1, 1.0, None, 3.0, 4.0, None, None, None, 5.0],
        [None, None, None, None, None, None, None, None, None],
        [1.0, None, None, None, None, None, None, None, None],
        [10.0, 6.0, 7.0, 8.0, None, 9.0, 10.0, 11.0, 12.0],
    ]
    wide = read_prism_xy(_csv(rows, "\t"), "three.tsv")
    expected = _long(
        [
            ("A", 0.1, 1.0, 1),
            ("A", 0.1, 3.0, 3),
            ("A", 10.0, 6.0, 1),
            ("A", 10.0, 7.0, 2),
            ("A", 10.0, 8.0, 3),
            ("B", 0.1, 4.0, 1),
            ("C", 0.1, 5.0, 4),
            ("C", 10.0, 9.0, 1),
            ("C", 10.0, 10.0, 2),
            ("C", 10.0, 11.0, 3),
            ("C", 10.0, 12.0, 4),
        ]
    )
    pd.testing.assert_frame_equal(wide.frame, expected)
    assert wide.compounds == ("A", "B", "C")
    assert (wide.unit, wide.x_scale) == (None, "linear")
    assert any("name the unit" in n for n in wide.notes)


@pytest.mark.parametrize(
    "sub", [["Y1", "Y2"], ["A:Y1", "A:Y2"], ["Replicate 1", "Replicate 2"], ["Rep 1", "rep 2"]]
)
def test_subcolumn_names_mark_two_header_rows(sub: list[str]) -> None:
    # no merged blank in row 1 (one replicate each): only the names tell the layouts apart
    rows: list[list[Cell]] = [["X (uM)", "A", "B"], [None, *sub], [1.0, 2.0, 3.0]]
    wide = read_prism_xy(_csv(rows), "s.csv")
    assert wide.compounds == ("A", "B")
    assert wide.frame["response"].tolist() == [2.0, 3.0]


def test_a_data_set_without_values_is_left_out_with_a_note() -> None:
    rows: list[list[Cell]] = [["X (nM)", "A", "A", "B"], [1.0, 2.0, 3.0, None]]
    wide = read_prism_xy(_csv(rows), "e.csv")
    assert wide.compounds == ("A",)
    assert any("'B' holds no values" in n for n in wide.notes)


def test_rows_without_y_values_may_have_any_x() -> None:
    rows: list[list[Cell]] = [["X (nM)", "A"], [1.0, 2.0], ["vehicle", None], [None, None]]
    assert read_prism_xy(_csv(rows), "v.csv").frame["concentration"].tolist() == [1.0]


@pytest.mark.parametrize(
    ("title", "unit", "scale"),
    [
        ("Concentration (nM)", "nM", "linear"),
        ("log[agonist] (M)", "M", "log10"),
        ("Log [Agonist], M", None, "log10"),
        ("LOG(M)", "M", "log10"),
        ("Conc [uM]", "uM", "linear"),
        ("Dose (µM)", "µM", "linear"),
        ("Conc (ng/mL)", "ng/mL", "linear"),
        ("X", None, "linear"),
        ("Concentration (at 37 C)", None, "linear"),
        ("", None, "linear"),
    ],
)
def test_unit_and_scale_from_the_x_header(title: str, unit: str | None, scale: str) -> None:
    x = 2.0 if scale == "linear" else -7.0
    wide = read_prism_xy(_csv([[title, "A"], [x, 50.0]]), "u.csv")
    assert (wide.unit, wide.x_scale, wide.x_title) == (unit, scale, title)
    assert wide.frame["concentration"].tolist() == pytest.approx([2.0 if x > 0 else 1e-7])


def test_x_scale_given_overrides_the_header() -> None:
    log = read_prism_xy(_csv([["Conc (M)", "A"], [-6.0, 1.0]]), "l.csv", x_scale="log10")
    assert log.x_scale == "log10"
    assert log.frame["concentration"].tolist() == pytest.approx([1e-6])
    lin = read_prism_xy(_csv([["log conc (nM)", "A"], [3.0, 1.0]]), "l.csv", x_scale="linear")
    assert (lin.x_scale, lin.frame["concentration"].tolist()) == ("linear", [3.0])
    assert any("says log" in n for n in lin.notes)


def test_utf16_text_with_unicode_minus() -> None:
    text = "log[agonist] (M)\tA\n\u22128\t5\n"
    wide = read_prism_xy(text.encode("utf-16"), "u16.txt")
    assert wide.frame["concentration"].tolist() == pytest.approx([1e-8])


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["n.d.", "abc", "1,5", "inf"])
def test_text_in_a_y_cell_names_row_and_column(cell: str) -> None:
    rows: list[list[Cell]] = [r[:] for r in TWO_ROWS]
    rows[3][4] = cell
    with pytest.raises(InputError, match="is not a number") as exc:
        read_prism_xy(_csv(rows), "bad.csv")
    assert exc.value.place.file == "bad.csv"
    assert exc.value.place.row == 4
    assert exc.value.place.column == "Cmpd B (E)"
    assert "row 4" in _message(exc)


@pytest.mark.parametrize("cell", [">10", "<0.1", "> 100", "≥5", "<=3"])
def test_censored_values_are_refused_with_the_rule(cell: str) -> None:
    rows: list[list[Cell]] = [r[:] for r in ONE_ROW]
    rows[2][2] = cell
    with pytest.raises(InputError, match="censored values are not fitted") as exc:
        read_prism_xy(_csv(rows), "cens.csv")
    assert (exc.value.place.row, exc.value.place.column) == (3, "Cmpd A (C)")
    assert "remove it or replace it" in _message(exc)


def test_duplicate_titles_name_both_columns() -> None:
    rows: list[list[Cell]] = [r[:] for r in TWO_ROWS]
    rows[0][4] = "Cmpd A"
    with pytest.raises(InputError, match="column B and again column E") as exc:
        read_prism_xy(_csv(rows), "dup.csv")
    assert (exc.value.place.row, exc.value.place.column) == (1, "Cmpd A")


def test_duplicate_titles_in_one_header_row_name_both_columns() -> None:
    rows: list[list[Cell]] = [["X (nM)", "A", "A", "B", "A"], [1.0, 2.0, 3.0, 4.0, 5.0]]
    with pytest.raises(InputError, match="column B and again column E"):
        read_prism_xy(_csv(rows), "dup.csv")


@pytest.mark.parametrize(("x", "why"), [(None, "X is blank"), ("ten", "'ten' is not a number")])
def test_x_blank_or_text_in_a_row_with_y_values(x: str | None, why: str) -> None:
    rows: list[list[Cell]] = [r[:] for r in ONE_ROW]
    rows[2][0] = x
    with pytest.raises(InputError, match=why) as exc:
        read_prism_xy(_csv(rows), "x.csv")
    assert (exc.value.place.row, exc.value.place.column) == (3, "Concentration (nM)")


def test_untitled_x_column_is_named_by_its_letter() -> None:
    with pytest.raises(InputError, match="X is blank") as exc:
        read_prism_xy(_csv([[None, "A"], [1.0, 2.0], [None, 3.0]]), "x.csv")
    assert (exc.value.place.row, exc.value.place.column) == (3, "A")


@pytest.mark.parametrize(("x", "hint"), [(0.0, "remove the row"), (-3.0, "x_scale='log10'")])
def test_zero_or_negative_concentration_on_the_linear_scale(x: float, hint: str) -> None:
    rows: list[list[Cell]] = [r[:] for r in ONE_ROW]
    rows[3][0] = x
    with pytest.raises(InputError, match="must be > 0") as exc:
        read_prism_xy(_csv(rows), "zero.csv")
    assert exc.value.place.row == 4
    assert hint in _message(exc)


def test_log_x_that_overflows_is_refused() -> None:
    with pytest.raises(InputError, match="not a usable concentration") as exc:
        read_prism_xy(_csv([["log(M)", "A"], [400.0, 1.0]]), "o.csv")
    assert exc.value.place.row == 2


def test_y_values_under_no_title() -> None:
    rows: list[list[Cell]] = [["X (nM)", "A", None], [1.0, 2.0, 3.0]]
    with pytest.raises(InputError, match="column C is not empty but has no title") as exc:
        read_prism_xy(_csv(rows), "t.csv")
    assert exc.value.place.column == "C"


def test_first_row_of_numbers_is_not_a_header() -> None:
    with pytest.raises(InputError, match="must be the header") as exc:
        read_prism_xy(_csv([[1.0, 2.0], [3.0, 4.0]]), "n.csv")
    assert exc.value.place.row == 1


@pytest.mark.parametrize(
    ("content", "name", "why"),
    [
        (b"", "e.csv", "empty"),
        (b" \n\r\n\t", "e.csv", "empty"),
        (b",,\n,,\n", "e.csv", "empty"),
        (b"X (nM)\n1\n2\n", "x.csv", "no Y columns"),
        (b"X (nM),A,A\n", "h.csv", "header but no data rows"),
        (b"X,A,,B\n,Y1,Y2,Y1\n", "h.csv", "header but no data rows"),
        (b"X (nM),A,B\n1,,\n2,,\n", "h.csv", "no Y values"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "p.csv", "binary"),
        (b"PK\x03\x04 zipped", "z.csv", "xlsx name"),
        (b"X,A\n1,2\n", "x.xlsx", "not an xlsx"),
        (b"\xd0\xcf\x11\xe0 old excel", "x.xls", ".xls"),
        (b'X,A\n1,"2\n', "q.csv", "cannot read"),
    ],
)
def test_files_that_are_not_tables(content: bytes, name: str, why: str) -> None:
    with pytest.raises(InputError, match=why) as exc:
        read_prism_xy(content, name)
    assert exc.value.place.file == name


def test_header_only_xlsx() -> None:
    with pytest.raises(InputError, match="no data rows"):
        read_prism_xy(_xlsx([["X (nM)", "A", "B"]]), "h.xlsx")


def test_bad_x_scale_is_refused() -> None:
    with pytest.raises(InputError, match="x_scale"):
        read_prism_xy(_csv(ONE_ROW), "p.csv", x_scale="ln")  # type: ignore[arg-type]


def test_files_over_the_limits_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    content = _csv(ONE_ROW)
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", len(content) - 1)
    with pytest.raises(InputError, match="larger than"):
        read_prism_xy(content, "big.csv")
    monkeypatch.undo()
    monkeypatch.setattr(limits, "MAX_TABLE_ROWS", 3)
    with pytest.raises(InputError, match=r"table has 4 lines \(limit 3\)"):
        read_prism_xy(content, "long.csv")
    monkeypatch.undo()
    monkeypatch.setattr(limits, "MAX_XLSX_CELLS", 10)
    with pytest.raises(InputError, match="more than 10 cells"):
        read_prism_xy(_xlsx(ONE_ROW), "wide.xlsx")


def test_zip_bomb_named_xlsx_is_refused_before_parsing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<c>" + b"0" * (4 * 2**20))
    with pytest.raises(InputError, match="zip bomb"):
        read_prism_xy(buffer.getvalue(), "bomb.xlsx")


# --- long tables ---------------------------------------------------------------------------------------


def _renamed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Compound": ["A", "A", "A", "B", "B"],
            "Conc": [1.0, 10.0, 100.0, 1.0, 10.0],
            "Inhibition %": [5.0, 50.0, None, 10.0, 60.0],
            "Plate": ["P1", "P1", "P2", "P3", "P3"],
            "Batch": ["b1", "b1", "b1", "b2", "b2"],
        }
    )


def test_long_table_columns_renamed_and_metadata_carried_or_dropped() -> None:
    mapped = map_long_table(
        _renamed(), id_col="Compound", conc_col="Conc", response_col="Inhibition %"
    )
    assert isinstance(mapped, MappedCurves)
    assert list(mapped.frame.columns) == ["curve_id", "concentration", "response"]
    assert mapped.frame["curve_id"].tolist() == ["A", "A", "A", "B", "B"]
    np.testing.assert_array_equal(mapped.frame["response"], [5.0, 50.0, np.nan, 10.0, 60.0])
    pd.testing.assert_frame_equal(
        mapped.metadata,
        pd.DataFrame({"curve_id": pd.Series(["A", "B"], dtype=object), "Batch": ["b1", "b2"]}),
    )
    assert mapped.dropped == ("Plate (varies within curve 'A')",)


def test_long_table_roles_found_by_name() -> None:
    guessed = map_long_table(_renamed())
    given = map_long_table(
        _renamed(), id_col="Compound", conc_col="Conc", response_col="Inhibition %"
    )
    pd.testing.assert_frame_equal(guessed.frame, given.frame)


def test_long_table_keeps_weight_and_unit_per_point() -> None:
    table = _renamed().assign(Weight=[1.0, 2.0, 1.0, 1.0, 0.5], unit=["nM"] * 3 + ["uM"] * 2)
    mapped = map_long_table(table)
    assert list(mapped.frame.columns) == ["curve_id", "concentration", "response", "weight", "unit"]
    assert mapped.frame["weight"].tolist() == [1.0, 2.0, 1.0, 1.0, 0.5]
    assert "Weight" not in mapped.metadata.columns and "unit" not in mapped.metadata.columns
    assert not any(d.startswith(("Weight", "unit")) for d in mapped.dropped)


def test_long_table_text_cells_are_parsed_or_refused_by_row() -> None:
    table = _renamed().astype({"Conc": object, "Inhibition %": object})
    table.loc[1, "Conc"] = " 10 "
    mapped = map_long_table(table)
    assert mapped.frame["concentration"].tolist() == [1.0, 10.0, 100.0, 1.0, 10.0]
    table.loc[3, "Inhibition %"] = ">90"
    with pytest.raises(InputError, match="censored values are not fitted") as exc:
        map_long_table(table, source="screen.csv")
    assert (exc.value.place.file, exc.value.place.row) == ("screen.csv", 5)
    assert exc.value.place.column == "Inhibition %"
    table.loc[3, "Inhibition %"] = 10.0
    table.loc[2, "Conc"] = None
    with pytest.raises(InputError, match="value is missing") as exc:
        map_long_table(table, source="screen.csv")
    assert (exc.value.place.row, exc.value.place.column) == (4, "Conc")


def test_long_table_name_that_is_not_a_column_lists_the_columns() -> None:
    with pytest.raises(InputError, match="conc_col='Dose' is not a column") as exc:
        map_long_table(_renamed(), conc_col="Dose")
    assert "'Compound', 'Conc', 'Inhibition %', 'Plate', 'Batch'" in _message(exc)


def test_long_table_two_roles_on_one_column() -> None:
    with pytest.raises(InputError, match="both the concentration and the response"):
        map_long_table(_renamed(), conc_col="Conc", response_col="Conc")


def test_long_table_role_not_found_or_ambiguous() -> None:
    with pytest.raises(InputError, match="no column for the response"):
        map_long_table(_renamed().drop(columns="Inhibition %"))
    with pytest.raises(InputError, match="several columns could hold the curve_id"):
        map_long_table(_renamed().assign(Drug="x"))


def test_long_table_clash_with_an_engine_name() -> None:
    with pytest.raises(InputError, match="engine reads that name") as exc:
        map_long_table(_renamed().assign(response=1.0), response_col="Inhibition %")
    assert exc.value.place.column == "response"


def test_long_table_blank_curve_id_and_empty_table() -> None:
    table = _renamed()
    table.loc[2, "Compound"] = None
    with pytest.raises(InputError, match="curve id is missing") as exc:
        map_long_table(table)
    assert exc.value.place.row == 4
    with pytest.raises(InputError, match="no data rows"):
        map_long_table(_renamed().iloc[:0])


# --- properties ----------------------------------------------------------------------------------------

_TITLE = st.text(alphabet=string.ascii_letters + string.digits + " -_,.'", min_size=1, max_size=10)
_RESPONSE = st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False))


@st.composite
def _wide_tables(draw: st.DrawFn) -> tuple[list[str], list[float], list[list[list[float | None]]]]:
    """Compounds, concentrations and, per compound, rows of replicate responses (None: blank)."""
    titles = draw(
        st.lists(
            _TITLE.map(str.strip).filter(bool),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    concs = draw(st.lists(st.floats(1e-12, 1e6), min_size=2, max_size=12))
    data = [
        draw(
            st.integers(1, 4).flatmap(
                lambda n: st.lists(
                    st.lists(_RESPONSE, min_size=n, max_size=n),
                    min_size=len(concs),
                    max_size=len(concs),
                )
            )
        )
        for _ in titles
    ]
    return titles, concs, data


def _expected(
    titles: list[str], concs: list[float], data: list[list[list[float | None]]]
) -> pd.DataFrame:
    records = [
        (t, c, v, k)
        for t, rows in zip(titles, data, strict=True)
        for c, row in zip(concs, rows, strict=True)
        for k, v in enumerate(row, start=1)
        if v is not None
    ]
    return _long(records)


def _layout_rows(
    titles: list[str],
    concs: list[float],
    data: list[list[list[float | None]]],
    *,
    two_rows: bool,
) -> list[list[Cell]]:
    widths = [len(rows[0]) for rows in data]
    header: list[list[Cell]]
    if two_rows:
        head: list[Cell] = ["Concentration (nM)"]
        subs: list[Cell] = [None]
        for t, n in zip(titles, widths, strict=True):
            head += [t] + [None] * (n - 1)
            subs += [f"Y{k}" for k in range(1, n + 1)]
        header = [head, subs]
    else:
        names = [t for t, n in zip(titles, widths, strict=True) for _ in range(n)]
        header = [["Concentration (nM)", *names]]
    body: list[list[Cell]] = []
    for i, c in enumerate(concs):
        body.append([c, *(v for rows in data for v in rows[i])])
    return header + body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_wide_tables(), two_rows=st.booleans(), sep=st.sampled_from([",", "\t"]))
def test_wide_csv_round_trips_to_its_long_table(
    table: tuple[list[str], list[float], list[list[list[float | None]]]],
    two_rows: bool,
    sep: str,
) -> None:
    titles, concs, data = table
    expected = _expected(titles, concs, data)
    content = _csv(_layout_rows(titles, concs, data, two_rows=two_rows), sep)
    name = "wide.csv" if sep == "," else "wide.tsv"
    if expected.empty:
        with pytest.raises(InputError, match="no Y values"):
            read_prism_xy(content, name)
        return
    wide = read_prism_xy(content, name)
    pd.testing.assert_frame_equal(wide.frame, expected, check_exact=True)
    assert wide.compounds == tuple(t for t in titles if t in set(expected["curve_id"]))
    assert (wide.unit, wide.x_scale) == ("nM", "linear")


@settings(max_examples=300, deadline=None)
@given(
    content=st.one_of(
        st.binary(max_size=600),
        st.text(alphabet=",;\t\n\r \"'<>.-+eE0123456789XYabc:()[]", max_size=300).map(str.encode),
    ),
    suffix=st.sampled_from([".csv", ".tsv", ".txt", ".xlsx", ""]),
)
def test_junk_raises_only_input_errors(content: bytes, suffix: str) -> None:
    try:
        wide = read_prism_xy(content, "junk" + suffix)
    except InputError:
        return
    assert list(wide.frame.columns) == ["curve_id", "concentration", "response", "replicate"]
    assert np.isfinite(wide.frame["concentration"]).all()


# --- end to end ----------------------------------------------------------------------------------------


def test_prism_table_read_and_fitted() -> None:
    from cxcr4lab.fit.batch import fit_table

    rng = np.random.default_rng(7)
    log_x = np.arange(-11.0, -4.5, 0.5)
    truth = {"AMD3100": -8.0, "Cmpd 2": -7.2, "Cmpd 3": -9.1}
    head: list[Cell] = ["log[antagonist] (M)"]
    subs: list[Cell] = [None]
    columns: list[np.ndarray] = []
    for title, log_ic50 in truth.items():
        head += [title, None, None]
        subs += ["Y1", "Y2", "Y3"]
        for _ in range(3):
            y = 2.0 + 96.0 / (1.0 + 10 ** (1.0 * (log_x - log_ic50)))
            columns.append(y + rng.normal(0.0, 1.5, log_x.size))
    body = [[float(x), *(float(c[i]) for c in columns)] for i, x in enumerate(log_x)]
    wide = read_prism_xy(_xlsx([head, subs, *body], merge=["B1:D1", "E1:G1", "H1:J1"]), "p.xlsx")
    assert wide.unit == "M"
    fits = fit_table(wide.frame, "4pl", conc_unit=wide.unit)
    assert fits["curve_id"].tolist() == list(truth)
    assert np.isfinite(fits["ic50"].to_numpy(dtype=float)).all()
    for (_, fit), log_ic50 in zip(fits.iterrows(), truth.values(), strict=True):
        assert math.isclose(float(fit["log10_ic50"]), log_ic50, abs_tol=0.1)
