"""Well names and plate formats."""

from __future__ import annotations

import pytest

from cxcr4lab.assays.wells import (
    format_for,
    format_for_wells,
    normalise_well,
    parse_well,
    row_letters,
    well_name,
    well_position,
)
from cxcr4lab.core.errors import InputError, Place


@pytest.mark.parametrize("text", ["B3", "b3", "B03", " b003 ", "B 3"])
def test_spellings_of_one_well(text: str) -> None:
    assert parse_well(text) == ("B", 3)
    assert normalise_well(text) == "B3"


@pytest.mark.parametrize("text", ["", "3B", "B", "B0", "Z99x", "ABC1", "B1234"])
def test_not_well_names(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_well(text, place=Place(file="plate.csv", row=7))
    assert "plate.csv, row 7" in str(err.value)


def test_row_letters_past_z() -> None:
    # 0 -> A, 25 -> Z, 26 -> AA, 31 -> AF (the last row of a 1536-well plate)
    assert [row_letters(i) for i in (0, 7, 15, 25, 26, 31)] == ["A", "H", "P", "Z", "AA", "AF"]
    assert well_position("AF48") == (31, 48)
    assert well_name(31, 48) == "AF48"


def test_position_and_name_are_inverse() -> None:
    for r in range(32):
        for c in (1, 12, 24, 48):
            assert well_position(well_name(r, c)) == (r, c)


def test_formats() -> None:
    assert format_for(8, 12).wells == 96
    assert format_for(16, 24).wells == 384
    assert format_for_wells(["A1", "H12"]).wells == 96
    assert format_for_wells(["A1", "I1"]).wells == 384
    assert format_for_wells(["A13"]).wells == 384
    assert format_for_wells(["AF48"]).wells == 1536
    with pytest.raises(ValueError, match="1536"):
        format_for_wells(["Z99"])
    with pytest.raises(ValueError, match="no standard plate"):
        format_for(9, 12)
