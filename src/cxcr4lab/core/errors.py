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
    "quote",
    "shorten",
]

MAX_MESSAGE_CHARS = 1000
"""The longest error message: a last resort, since every echo of input goes through quote()."""

QUOTE_CHARS = 80
"""The most characters of an input value any message quotes."""


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """``repr(value)`` of at most about ``limit`` characters: a longer one is cut, with an
    ellipsis and the value's full length, so an error never echoes a huge cell whole.

    >>> quote("abc")
    "'abc'"
    >>> quote("x" * 1000, limit=20)
    "'xxxxxxxxxxxxxxxxx…' (1,000 chars)"
    """
    if isinstance(value, str | bytes) and len(value) > limit:
        cut = repr(value[: max(limit - 3, 1)])
        unit = "chars" if isinstance(value, str) else "bytes"
        return f"{cut[:-1]}…{cut[-1]} ({len(value):,} {unit})"
    if isinstance(value, int) and value.bit_length() > 256:  # repr may refuse >4300 digits
        return f"an integer of about {int(value.bit_length() * 0.30103):,} digits"
    try:
        text = repr(value)
    except Exception:  # a repr that fails (or refuses) must not replace the real error
        return f"<{type(value).__name__}>"
    if len(text) > limit:
        return text[: max(limit - 1, 1)] + f"… ({len(text):,} chars)"
    return text


def shorten(text: str, limit: int = 200) -> str:
    """``text`` cut to about ``limit`` characters, saying how long it was (not quoted).

    >>> shorten("y" * 500, limit=40)
    'yyyyyyyyyy… (500 chars)'
    """
    if len(text) <= limit:
        return text
    return text[: limit - 30] + f"… ({len(text):,} chars)"


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
        long_fields = {
            f.name: shorten(v, 200)
            for f in fields(self.place)
            if isinstance(v := getattr(self.place, f.name), str) and len(v) > 200
        }
        if long_fields:  # a block or sheet name comes from a cell: never echo it whole
            self.place = replace(self.place, **cast(dict[str, Any], long_fields))
        self.message = shorten(message, MAX_MESSAGE_CHARS)
        super().__init__(shorten(f"{self.place}: {self.message}", MAX_MESSAGE_CHARS))

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
