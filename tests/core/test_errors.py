"""InputError always names a place."""

from __future__ import annotations

import pytest

from cxcr4lab.core.errors import Cxcr4labError, InputError, Place, UnitError


def test_message_names_the_place() -> None:
    err = InputError(
        "not a number", file="plate.csv", block="Plate 1", row=5, well="B3", column="cpm"
    )
    assert str(err) == "plate.csv, block 'Plate 1', row 5, well B3, column 'cpm': not a number"
    assert isinstance(err, Cxcr4labError) and isinstance(err, ValueError)


def test_a_place_is_required() -> None:
    with pytest.raises(TypeError, match="needs a place"):
        InputError("where?")


def test_at_fills_in_more_place_without_overwriting() -> None:
    err = UnitError("bad unit", well="A1").at(file="layout.toml", well="Z9")
    assert isinstance(err, UnitError)
    assert err.place == Place(file="layout.toml", well="A1")
