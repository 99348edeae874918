"""The error hierarchy: one base class, and input errors that always say where.

Every error the workbench raises on purpose derives from :class:`Cxcr4labError`, so the CLI and the
web layer can turn it into one clear line. :class:`InputError` refuses to be built without a
place (file, sheet, row, well, column, curve or field), because "bad value" without "where" is
of no use to someone holding a 384-well plate.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, cast

__all__ = [
    "Cxcr4labError",
    "FitError",
    "InputError",
    "NotFoundError",
    "Place",
    "StoreError",
    "UnitError",
]


class Cxcr4labError(Exception):
    """Base class of every error raised on purpose by cxcr4lab."""


@dataclass(frozen=True)
class Place:
    """Where in the user's input something is: any combination of the fields.

    ``row`` is 1-based as a person counts lines in a file (the header is line 1 of a CSV).
    """

    file: str | None = None
    sheet: str | None = None
    block: str | None = None
    row: int | None = None
    well: str | None = None
    column: str | None = None
    curve: str | None = None
    field: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file)
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        if self.block is not None:
            parts.append(f"block {self.block!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.well is not None:
            parts.append(f"well {self.well}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.curve is not None:
            parts.append(f"curve {self.curve!r}")
        if self.field is not None:
            parts.append(f"{self.field}")
        return ", ".join(parts)


class InputError(Cxcr4labError, ValueError):
    """Bad user input, with the place it was found.

    >>> str(InputError("concentration is negative", file="plate.csv", row=4, well="B3"))
    'plate.csv, row 4, well B3: concentration is negative'
    """

    def __init__(
        self,
        message: str,
        *,
        place: Place | None = None,
        file: str | None = None,
        sheet: str | None = None,
        block: str | None = None,
        row: int | None = None,
        well: str | None = None,
        column: str | None = None,
        curve: str | None = None,
        field: str | None = None,
    ) -> None:
        base = place or Place()
        given = {
            "file": file,
            "sheet": sheet,
            "block": block,
            "row": row,
            "well": well,
            "column": column,
            "curve": curve,
            "field": field,
        }
        self.place = replace(
            base, **cast(dict[str, Any], {k: v for k, v in given.items() if v is not None})
        )
        if self.place.is_empty():
            raise TypeError("InputError needs a place: file, sheet, row, well, column, ...")
        self.message = message
        super().__init__(f"{self.place}: {message}")

    def at(self, **where: str | int | None) -> InputError:
        """The same error with more of the place filled in (existing fields win)."""
        extra = {k: v for k, v in where.items() if v is not None and getattr(self.place, k) is None}
        return type(self)(self.message, place=replace(self.place, **cast(dict[str, Any], extra)))


class UnitError(InputError):
    """A unit that cannot be read, or a quantity of the wrong dimension."""


class FitError(Cxcr4labError):
    """A fit that cannot be attempted (not a fit that went badly: those are flagged)."""


class StoreError(Cxcr4labError):
    """The results database could not be read or written."""


class NotFoundError(Cxcr4labError, LookupError):
    """Something asked for by name or id does not exist."""
