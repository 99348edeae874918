"""Bad plate files: each is one InputError that names the file and, where there is one, the place."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest

from cxcr4lab.assays import readers
from cxcr4lab.assays.readers import read_plate, read_plates, read_plates_bytes
from cxcr4lab.core.errors import InputError

LETTERS = "ABCDEFGHIJKLMNOP"


def grid_rows(values: np.ndarray) -> list[list[str]]:
    rows = [["", *(str(c) for c in range(1, values.shape[1] + 1))]]
    for r, row in enumerate(values):
        rows.append([LETTERS[r], *("" if math.isnan(v) else f"{v:.1f}" for v in row)])
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def plate_values(seed: int = 0, shape: tuple[int, int] = (8, 12)) -> np.ndarray:
    return np.round(np.random.default_rng(seed).uniform(100.0, 9000.0, size=shape), 1)


def read_error(path: Path, **kwargs: str) -> str:
    with pytest.raises(InputError) as err:
        read_plate(path, **kwargs)
    return str(err.value)


# --- files that are not plate exports at all --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.csv", b""), ("blank.csv", b"  \n\t\r\n   \n"), ("empty.xlsx", b"")],
    ids=["empty", "whitespace", "empty-xlsx"],
)
def test_empty_files(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    message = read_error(path)
    assert name in message
    assert "empty" in message


def test_binary_garbage_with_nul_bytes(tmp_path: Path) -> None:
    garbage = np.random.default_rng(1).integers(0, 256, size=4096, dtype=np.uint8).tobytes()
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"\x00\x01" + garbage)
    message = read_error(path)
    assert "garbage.csv" in message
    assert "binary" in message


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_garbage_without_nul_bytes(tmp_path: Path, seed: int) -> None:
    # Decodes as latin-1 text, with stray carriage returns: still one InputError, never csv.Error.
    raw = np.random.default_rng(seed).integers(1, 256, size=4096, dtype=np.uint8).tobytes()
    path = tmp_path / "noise.csv"
    path.write_bytes(raw)
    assert "noise.csv" in read_error(path)


def test_text_without_delimiters_past_the_csv_field_limit(tmp_path: Path) -> None:
    path = tmp_path / "one_line.txt"
    path.write_text("x" * 200_000, encoding="utf-8")
    assert "one_line.txt" in read_error(path)


def test_text_without_any_plate(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "notes.csv", [["Instrument", "MicroBeta2"], ["Operator", "AB"]])
    message = read_error(path)
    assert "notes.csv" in message
    assert "no plate found" in message


def test_zip_content_with_a_csv_name(tmp_path: Path) -> None:
    path = tmp_path / "reading.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(200))
    message = read_error(path)
    assert "reading.csv" in message
    assert "xlsx" in message


def test_corrupt_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(np.random.default_rng(2).integers(0, 256, size=3000, dtype=np.uint8).tobytes())
    message = read_error(path)
    assert "broken.xlsx" in message
    assert "xlsx" in message


def test_truncated_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    good = tmp_path / "good.xlsx"
    book = Workbook()
    book.active.append(["well", "signal"])
    book.active.append(["A1", 1.0])
    book.save(good)
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert "cut.xlsx" in read_error(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "plate.csv"
    message = read_error(path)
    assert "plate.csv" in message
    assert "not found" in message


def test_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path / "big.csv", grid_rows(plate_values()))
    read_plate(path)  # fine at the real limit
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 256)
    message = read_error(path)
    assert "big.csv" in message
    assert "larger" in message
    with pytest.raises(InputError, match=r"big\.csv"):
        read_plates_bytes(path.read_bytes(), "big.csv")


# --- grid files with a bad cell or shape -------------------------------------------------------


def test_text_in_a_grid_cell(tmp_path: Path) -> None:
    rows = [["Plate 1"], *grid_rows(plate_values())]
    rows[4][5] = "OVRFLW"  # row C, column 5: line 5 of the file (title, header, A, B, C)
    message = read_error(write_csv(tmp_path / "overflow.csv", rows))
    assert "overflow.csv" in message
    assert "well C5" in message
    assert "row 5" in message
    assert "OVRFLW" in message


@pytest.mark.parametrize("text", ["inf", "-Infinity", "1e999"])
def test_infinite_value_in_a_grid_cell(tmp_path: Path, text: str) -> None:
    rows = grid_rows(plate_values())
    rows[8][12] = text  # H12
    message = read_error(write_csv(tmp_path / "infinite.csv", rows))
    assert "infinite.csv" in message
    assert "well H12" in message


def test_truncated_grid(tmp_path: Path) -> None:
    rows = [["Plate 1"], *grid_rows(plate_values())[:7]]  # header and rows A..F only
    message = read_error(write_csv(tmp_path / "short.csv", rows))
    assert "short.csv" in message
    assert "A..H" in message
    assert "found 6 rows" in message
    assert "row 9" in message  # title = line 1, header = 2, A..F = 3..8, G was due on line 9


def test_truncated_384_grid(tmp_path: Path) -> None:
    rows = grid_rows(plate_values(shape=(16, 24)))[:-1]  # no row P
    message = read_error(write_csv(tmp_path / "short384.csv", rows))
    assert "short384.csv" in message
    assert "A..P" in message


def test_text_in_an_xlsx_grid_cell(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Counts"
    sheet.append(["Plate 1"])
    sheet.append([None, *range(1, 13)])
    for r in range(8):
        sheet.append(
            [LETTERS[r], *(["OVRFLW" if (r, c) == (6, 10) else 100.0 + c for c in range(12)])]
        )
    path = tmp_path / "overflow.xlsx"
    book.save(path)
    message = read_error(path)
    assert "overflow.xlsx" in message
    assert "sheet 'Counts'" in message
    assert "well G11" in message


# --- long tables with a bad column or row ------------------------------------------------------


def test_long_csv_without_a_signal_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nosignal.csv", [["# comment"], ["well", "compound"], ["A1", "x"]])
    message = read_error(path)
    assert "nosignal.csv" in message
    assert "row 2" in message
    assert "signal column" in message
    assert "compound" in message  # the columns it does have are listed


def test_long_csv_with_a_duplicated_well(tmp_path: Path) -> None:
    rows = [["well", "cpm"], ["A01", "1.0"], ["A02", "2.0"], ["B01", "3.0"], ["a1", "4.0"]]
    message = read_error(write_csv(tmp_path / "dup.csv", rows))
    assert "dup.csv" in message
    assert "well A1" in message
    assert "row 5" in message  # the repeat
    assert "row 2" in message  # where it was first seen


def test_same_well_on_two_plates_is_fine(tmp_path: Path) -> None:
    rows = [["plate", "well", "cpm"], ["p1", "A1", "1"], ["p2", "A1", "2"]]
    plates = read_plates(write_csv(tmp_path / "two.csv", rows))
    assert [p.signal("A1") for p in plates] == [1.0, 2.0]


def test_long_csv_with_a_bad_well_name(tmp_path: Path) -> None:
    rows = [["well", "cpm"], ["A01", "1.0"], ["Z99x", "2.0"]]
    message = read_error(write_csv(tmp_path / "badwell.csv", rows))
    assert "badwell.csv" in message
    assert "Z99x" in message
    assert "row 3" in message


def test_long_csv_with_text_signal(tmp_path: Path) -> None:
    rows = [["well", "cpm"], ["A01", "1.0"], ["B02", "OVRFLW"]]
    message = read_error(write_csv(tmp_path / "text.csv", rows))
    assert "text.csv" in message
    assert "well B2" in message
    assert "row 3" in message
    assert "OVRFLW" in message


def test_long_csv_with_infinite_signal(tmp_path: Path) -> None:
    rows = [["well", "cpm"], ["A01", "1.0"], ["C03", "inf"]]
    message = read_error(write_csv(tmp_path / "inf.csv", rows))
    assert "inf.csv" in message
    assert "well C3" in message
    assert "row 3" in message


def test_long_csv_header_without_rows(tmp_path: Path) -> None:
    message = read_error(write_csv(tmp_path / "header_only.csv", [["well", "signal"]]))
    assert "header_only.csv" in message
