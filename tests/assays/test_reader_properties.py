"""Property tests: any plate of finite floats written as a grid or long CSV reads back unchanged.

Values are written with ``repr`` (the shortest text that round-trips), so equality is exact.
Empty cells read back as NaN. Preamble lines are free text written as a single CSV field; they
avoid ';' and tab (which would change the delimiter the reader infers from the content) and a
lone cell "well" (the header of a long table).
"""

from __future__ import annotations

import csv
import io
import math
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.assays.readers import read_plate

LETTERS = "ABCDEFGHIJKLMNOP"
SHAPES = {96: (8, 12), 384: (16, 24)}
SIGNAL_COLUMNS = ("signal", "value", "counts", "cpm", "CPM", "RLU", "od", "fluorescence")

cell = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))
preamble_line = st.text(
    alphabet=string.ascii_letters + string.digits + " .,:-_()[]/=%'\"#µ",
    min_size=0,
    max_size=40,
).filter(lambda t: t.strip().lower() != "well")


@st.composite
def plates(draw: st.DrawFn) -> tuple[int, dict[str, float | None]]:
    wells = draw(st.sampled_from(sorted(SHAPES)))
    rows, cols = SHAPES[wells]
    values = draw(st.lists(cell, min_size=rows * cols, max_size=rows * cols))
    names = [f"{LETTERS[r]}{c + 1}" for r in range(rows) for c in range(cols)]
    return wells, dict(zip(names, values, strict=True))


def to_csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def check(path: Path, wells: int, want: dict[str, float | None]) -> None:
    plate = read_plate(path)
    assert plate.format.wells == wells
    got = dict(zip(plate.table["well"], plate.table["signal"], strict=True))
    assert set(got) == set(want)
    for well, v in want.items():
        if v is None:
            assert math.isnan(got[well]), well
        else:
            assert got[well] == v, well


@settings(max_examples=40, deadline=None)
@given(plate=plates(), preamble=st.lists(preamble_line, max_size=6))
def test_grid_csv_round_trip(
    tmp_path_factory: pytest.TempPathFactory,
    plate: tuple[int, dict[str, float | None]],
    preamble: list[str],
) -> None:
    wells, want = plate
    n_rows, n_cols = SHAPES[wells]
    rows = [[line] for line in preamble]
    rows.append(["", *(str(c) for c in range(1, n_cols + 1))])
    for r in range(n_rows):
        row = [want[f"{LETTERS[r]}{c}"] for c in range(1, n_cols + 1)]
        rows.append([LETTERS[r], *("" if v is None else repr(v) for v in row)])
    path = tmp_path_factory.mktemp("grid") / "grid.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    check(path, wells, want)


@settings(max_examples=40, deadline=None)
@given(plate=plates(), data=st.data())
def test_long_csv_round_trip(
    tmp_path_factory: pytest.TempPathFactory,
    plate: tuple[int, dict[str, float | None]],
    data: st.DataObject,
) -> None:
    wells, want = plate
    column = data.draw(st.sampled_from(SIGNAL_COLUMNS), label="signal column")
    order = data.draw(st.permutations(sorted(want)), label="row order")
    rows = [["well", column]]
    for well in order:
        padded = data.draw(st.booleans(), label="zero-padded")
        lower = data.draw(st.booleans(), label="lower case")
        name = f"{well[0]}{int(well[1:]):02d}" if padded else well
        name = name.lower() if lower else name
        v = want[well]
        rows.append([name, "" if v is None else repr(v)])
    path = tmp_path_factory.mktemp("long") / "long.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    check(path, wells, want)
