"""Well names and plate formats: ``"B3"``, ``"b03"`` and ``"B03"`` are the same well.

>>> parse_well("b03")
('B', 3)
>>> well_name(1, 3)
'B3'
>>> format_for(8, 12).wells
96
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxcr4lab.core.errors import InputError, Place, quote

__all__ = [
    "FORMATS",
    "PlateFormat",
    "format_for",
    "format_for_wells",
    "normalise_well",
    "parse_well",
    "row_letters",
    "well_name",
    "well_position",
]

_WELL = re.compile(r"^\s*([A-Za-z]{1,2})\s*0*(\d{1,3})\s*$")


@dataclass(frozen=True)
class PlateFormat:
    rows: int
    cols: int

    @property
    def wells(self) -> int:
        return self.rows * self.cols

    def contains(self, row: int, col: int) -> bool:
        """Zero-based row index and one-based column number inside this plate?"""
        return 0 <= row < self.rows and 1 <= col <= self.cols


FORMATS = (
    PlateFormat(2, 3),
    PlateFormat(4, 6),
    PlateFormat(8, 12),
    PlateFormat(16, 24),
    PlateFormat(32, 48),
)


def row_letters(index: int) -> str:
    """Zero-based row index to its letters: 0 -> A, 25 -> Z, 26 -> AA (1536-well plates)."""
    if index < 26:
        return chr(ord("A") + index)
    return chr(ord("A") + index // 26 - 1) + chr(ord("A") + index % 26)


def _row_index(letters: str) -> int:
    letters = letters.upper()
    if len(letters) == 1:
        return ord(letters) - ord("A")
    return (ord(letters[0]) - ord("A") + 1) * 26 + ord(letters[1]) - ord("A")


def parse_well(text: str, *, place: Place | None = None) -> tuple[str, int]:
    """``"b03"`` -> ``("B", 3)``; anything else is an :class:`InputError` at ``place``."""
    m = _WELL.match(str(text))
    if not m or int(m.group(2)) < 1:
        raise InputError(
            f"{quote(text)} is not a well name (expected e.g. A1 or B03)",
            place=place or Place(field="well"),
        )
    return m.group(1).upper(), int(m.group(2))


def normalise_well(text: str, *, place: Place | None = None) -> str:
    row, col = parse_well(text, place=place)
    return f"{row}{col}"


def well_name(row_index: int, col: int) -> str:
    """Zero-based row index and one-based column to a well name."""
    return f"{row_letters(row_index)}{col}"


def well_position(name: str) -> tuple[int, int]:
    """Well name to (zero-based row index, one-based column)."""
    row, col = parse_well(name)
    return _row_index(row), col


def format_for(rows: int, cols: int) -> PlateFormat:
    for f in FORMATS:
        if f.rows == rows and f.cols == cols:
            return f
    raise ValueError(f"no standard plate has {rows} rows x {cols} columns")


def format_for_wells(wells: list[str]) -> PlateFormat:
    """The smallest standard plate (96 at least) holding every well named."""
    positions = [well_position(w) for w in wells]
    max_row = max((r for r, _ in positions), default=0)
    max_col = max((c for _, c in positions), default=1)
    for f in FORMATS[2:]:
        if f.contains(max_row, max_col):
            return f
    raise ValueError(f"well {well_name(max_row, max_col)} is beyond a 1536-well plate")
