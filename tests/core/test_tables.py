"""Validated tidy tables: the first bad cell becomes one error with row and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.core.tables import numeric_column, require_columns, require_nonempty, require_unique

HERE = Place(file="curves.csv")


def test_numeric_column_accepts_numbers() -> None:
    df = pd.DataFrame({"conc": ["1", "2.5", "1e-9"]})
    np.testing.assert_array_equal(numeric_column(df, "conc", place=HERE), [1.0, 2.5, 1e-9])


@pytest.mark.parametrize(
    ("values", "row", "text"),
    [
        (["1", "abc"], 3, "'abc' is not a number"),
        (["1", ""], 3, "missing"),
        (["inf", "1"], 2, "infinite"),
        (["1", "2", "-3"], 4, ">= 0"),
    ],
)
def test_numeric_column_names_row_and_column(values: list[str], row: int, text: str) -> None:
    df = pd.DataFrame({"conc": values})
    with pytest.raises(InputError, match=text) as err:
        numeric_column(df, "conc", place=HERE, nonnegative=True)
    assert f"row {row}" in str(err.value) and "column 'conc'" in str(err.value)


def test_nan_allowed_when_asked() -> None:
    df = pd.DataFrame({"y": ["1", "", "NaN"]})
    out = numeric_column(df, "y", place=HERE, allow_nan=True)
    assert np.isnan(out[1]) and np.isnan(out[2])


def test_required_columns_and_rows() -> None:
    df = pd.DataFrame({"a": [1]})
    with pytest.raises(InputError, match="missing column"):
        require_columns(df, ["a", "b"], place=HERE)
    with pytest.raises(InputError, match="no data rows"):
        require_nonempty(df.iloc[0:0], place=HERE)


def test_duplicates_name_both_rows() -> None:
    df = pd.DataFrame({"curve": ["a", "b", "a"], "x": [1, 1, 1]})
    with pytest.raises(InputError, match=r"first seen at row 2") as err:
        require_unique(df, ["curve", "x"], place=HERE)
    assert "row 4" in str(err.value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numeric_text_is_read_to_the_last_bit(x: float) -> None:
    """A number written with ``repr`` is read back exactly (pandas' own text parser can be one
    ulp off: 18.504412042952506 came back as 18.504412042952502, and a chimerism exactly at its
    threshold was called below it)."""
    df = pd.DataFrame({"v": [repr(x), f" {x!r} "]}, dtype=object)
    values = numeric_column(df, "v", place=HERE)
    assert values[0] == x and values[1] == x
    assert np.signbit(values[0]) == np.signbit(x)
