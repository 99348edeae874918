"""Plate readers on well-formed exports: grid CSV, semicolon CSV, long CSV and xlsx.

Every file is written here from known values, so the expected readings are the values written,
not numbers taken from the reader itself.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook

from cxcr4lab.assays.readers import read_plate, read_plates
from cxcr4lab.core.errors import InputError

LETTERS = "ABCDEFGHIJKLMNOP"


def grid_rows(values: np.ndarray, *, text=repr) -> list[list[str]]:
    """A header row 1..n and one row per letter; NaN is written as an empty cell."""
    rows = [["", *(str(c) for c in range(1, values.shape[1] + 1))]]
    for r, row in enumerate(values):
        rows.append([LETTERS[r], *("" if math.isnan(v) else text(float(v)) for v in row)])
    return rows


def write_csv(
    path: Path, rows: list[list[str]], *, delimiter: str = ",", newline: str = "\n"
) -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return path


def readings(plate) -> dict[str, float]:
    return dict(zip(plate.table["well"], plate.table["signal"], strict=True))


def expected(values: np.ndarray) -> dict[str, float]:
    return {f"{LETTERS[r]}{c + 1}": float(v) for (r, c), v in np.ndenumerate(values)}


def assert_same_readings(got: dict[str, float], want: dict[str, float]) -> None:
    assert set(got) == set(want)
    for well, v in want.items():
        if math.isnan(v):
            assert math.isnan(got[well]), well
        else:
            assert got[well] == v, well


def counts(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return np.round(rng.uniform(100.0, 20000.0, size=shape), 1)


# --- plate-grid CSV -----------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "wells"), [((8, 12), 96), ((16, 24), 384)])
@pytest.mark.parametrize("preamble", [False, True])
def test_grid_csv_reads_every_well(
    tmp_path: Path, shape: tuple[int, int], wells: int, preamble: bool
) -> None:
    rng = np.random.default_rng(wells + preamble)
    values = counts(rng, shape)
    values[1, 2] = np.nan  # an empty cell is a missing reading, not an error
    head: list[list[str]] = []
    if preamble:
        head = [
            ["MicroBeta2 export"],
            ["# exported by a test, comment lines are ignored"],
            ["Protocol", "[125I]SDF-1a, 1 min/well"],
            [],
            ["Plate 7 - CCPM"],
        ]
    path = write_csv(tmp_path / "grid.csv", [*head, *grid_rows(values)])

    plate = read_plate(path)

    assert plate.format.wells == wells
    assert plate.source == "grid.csv"
    assert len(plate.table) == wells
    assert list(plate.table.columns) == ["well", "row", "col", "signal"]
    assert_same_readings(readings(plate), expected(values))
    last = f"{LETTERS[shape[0] - 1]}{shape[1]}"
    assert plate.signal(last) == values[-1, -1]
    assert plate.table.loc[plate.table["well"] == last, "col"].item() == shape[1]
    assert plate.table.loc[plate.table["well"] == last, "row"].item() == LETTERS[shape[0] - 1]
    if preamble:
        assert plate.block == "Plate 7 - CCPM"


def test_comment_lines_between_preamble_and_grid(tmp_path: Path) -> None:
    values = counts(np.random.default_rng(3), (8, 12))
    rows = [["# instrument: MicroBeta2"], ["#", "1", "2", "3"], *grid_rows(values)]
    plate = read_plate(write_csv(tmp_path / "commented.csv", rows))
    assert_same_readings(readings(plate), expected(values))


def test_grid_may_start_in_a_later_column(tmp_path: Path) -> None:
    values = counts(np.random.default_rng(4), (8, 12))
    rows = [["", *row] for row in grid_rows(values)]
    plate = read_plate(write_csv(tmp_path / "shifted.csv", rows))
    assert_same_readings(readings(plate), expected(values))


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["windows", "classic-mac"])
def test_grid_csv_line_endings(tmp_path: Path, newline: str) -> None:
    values = counts(np.random.default_rng(5), (8, 12))
    rows = [["Plate reader export"], *grid_rows(values)]
    plate = read_plate(write_csv(tmp_path / "endings.csv", rows, newline=newline))
    assert_same_readings(readings(plate), expected(values))


def test_semicolon_csv_with_decimal_commas(tmp_path: Path) -> None:
    values = counts(np.random.default_rng(6), (8, 12))
    values[4, 7] = np.nan
    rows = [
        ["Messung vom 23.11.2026"],
        *grid_rows(values, text=lambda v: f"{v:.1f}".replace(".", ",")),
    ]
    path = write_csv(tmp_path / "europe.csv", rows, delimiter=";")
    assert ";" in path.read_text() and "," in path.read_text()

    plate = read_plate(path)

    assert plate.format.wells == 96
    assert_same_readings(readings(plate), expected(values))


def test_tab_separated_grid(tmp_path: Path) -> None:
    values = counts(np.random.default_rng(7), (16, 24))
    plate = read_plate(write_csv(tmp_path / "grid.txt", grid_rows(values), delimiter="\t"))
    assert plate.format.wells == 384
    assert_same_readings(readings(plate), expected(values))


def test_two_untitled_grids_get_short_distinct_names(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    first, second = counts(rng, (8, 12)), counts(rng, (8, 12))
    rows = [*grid_rows(first), [], *grid_rows(second)]
    path = write_csv(tmp_path / "two.csv", rows)

    plates = read_plates(path)

    assert len(plates) == 2
    names = [p.block for p in plates]
    assert len(set(names)) == 2
    # A block is not named after the last data row of the block above it.
    assert not any(repr(float(v)) in name for name in names for v in first[-1])
    assert_same_readings(readings(plates[0]), expected(first))
    assert_same_readings(readings(plates[1]), expected(second))
    with pytest.raises(InputError, match="choose one"):
        read_plate(path)
    assert_same_readings(readings(read_plate(path, block=names[1])), expected(second))


# --- long CSV ----------------------------------------------------------------------------------


def test_long_csv_with_padded_and_lower_case_well_names(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    values = counts(rng, (8, 12))
    rows = [["# SIMULATED"], ["Well", "CPM"]]
    for (r, c), v in np.ndenumerate(values):
        name = f"{LETTERS[r]}{c + 1:02d}" if (r + c) % 2 else f"{LETTERS[r].lower()}{c + 1}"
        rows.append([name, repr(float(v))])
    plate = read_plate(write_csv(tmp_path / "long.csv", rows))

    assert plate.format.wells == 96
    assert set(plate.table["well"]) == set(expected(values))  # "A01" and "a1" both become "A1"
    assert_same_readings(readings(plate), expected(values))


@pytest.mark.parametrize("column", ["signal", "value", "counts", "CPM", "RLU"])
def test_long_csv_signal_column_names(tmp_path: Path, column: str) -> None:
    rows = [["well", "note", column], ["A1", "x", "10.5"], ["H12", "y", "20.25"], ["B3", "z", ""]]
    plate = read_plate(write_csv(tmp_path / "long.csv", rows))
    got = readings(plate)
    assert got["A1"] == 10.5
    assert got["H12"] == 20.25
    assert math.isnan(got["B3"])


def test_long_csv_wells_beyond_96_make_a_384_plate(tmp_path: Path) -> None:
    rows = [["well", "signal"], ["A1", "1"], ["P24", "2"]]
    plate = read_plate(write_csv(tmp_path / "long384.csv", rows))
    assert plate.format.wells == 384


def test_long_csv_with_several_plates(tmp_path: Path) -> None:
    rng = np.random.default_rng(10)
    plates_in = {"run A": counts(rng, (8, 12)), "run B": counts(rng, (8, 12))}
    rows = [["plate", "well", "counts"]]
    for plate_name, values in plates_in.items():
        for (r, c), v in np.ndenumerate(values):
            rows.append([plate_name, f"{LETTERS[r]}{c + 1:02d}", repr(float(v))])
    path = write_csv(tmp_path / "several.csv", rows)

    plates = read_plates(path)

    assert [p.block for p in plates] == ["run A", "run B"]
    for p in plates:
        assert_same_readings(readings(p), expected(plates_in[p.block]))
    with pytest.raises(InputError) as err:
        read_plate(path)
    assert "several.csv" in str(err.value)
    assert "run A" in str(err.value) and "run B" in str(err.value)
    chosen = read_plate(path, block="run B")
    assert_same_readings(readings(chosen), expected(plates_in["run B"]))
    with pytest.raises(InputError, match="no block named 'run C'"):
        read_plate(path, block="run C")


def test_long_csv_semicolon_decimal_comma(tmp_path: Path) -> None:
    rows = [["Well", "Wert", "Signal"], ["A1", "a", "1234,5"], ["B2", "b", "0,25"]]
    got = readings(read_plate(write_csv(tmp_path / "long_de.csv", rows, delimiter=";")))
    assert got["A1"] == 1234.5
    assert got["B2"] == 0.25


# --- xlsx ----------------------------------------------------------------------------------------


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def xlsx_grid(values: np.ndarray, *, offset: int = 0) -> list[list[object]]:
    rows: list[list[object]] = [[None] * offset + [None, *range(1, values.shape[1] + 1)]]
    for r, row in enumerate(values):
        rows.append(
            [None] * offset + [LETTERS[r], *(None if math.isnan(v) else float(v) for v in row)]
        )
    return rows


@pytest.mark.parametrize(("shape", "wells"), [((8, 12), 96), ((16, 24), 384)])
def test_xlsx_with_metadata_block_above_the_grid(
    tmp_path: Path, shape: tuple[int, int], wells: int
) -> None:
    values = counts(np.random.default_rng(wells), shape)
    values[0, 0] = np.nan
    metadata: list[list[object]] = [
        ["Instrument", "MicroBeta2 LumiJET"],
        ["Protocol", "[125I]SDF-1a competition"],
        ["Counting time", 1, "min/well"],
        [],
        ["Plate 1 - CCPM"],
    ]
    path = write_xlsx(
        tmp_path / "reading.xlsx", {"MicroBeta2": [*metadata, *xlsx_grid(values, offset=1)]}
    )

    plate = read_plate(path)

    assert plate.format.wells == wells
    assert plate.block == "Plate 1 - CCPM"
    assert_same_readings(readings(plate), expected(values))


def test_xlsx_with_two_grid_blocks_needs_a_block_name(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    first, second = counts(rng, (8, 12)), counts(rng, (8, 12))
    rows = [["Counts"], *xlsx_grid(first), [], ["Luminescence"], *xlsx_grid(second)]
    path = write_xlsx(tmp_path / "two_blocks.xlsx", {"Results": rows})

    with pytest.raises(InputError) as err:
        read_plate(path)
    assert "two_blocks.xlsx" in str(err.value)
    assert "'Counts'" in str(err.value) and "'Luminescence'" in str(err.value)

    assert_same_readings(readings(read_plate(path, block="Luminescence")), expected(second))
    assert_same_readings(readings(read_plate(path, block="Counts")), expected(first))


def test_xlsx_long_table(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Well", "RLU"], ["A01", 12.5], ["h12", 7.0], ["C4", None]]
    got = readings(read_plate(write_xlsx(tmp_path / "long.xlsx", {"data": rows})))
    assert got["A1"] == 12.5
    assert got["H12"] == 7.0
    assert math.isnan(got["C4"])
