"""Validated tidy tables: column checks that fail with one error naming file, row and column.

Hand-written on purpose: schema libraries (pandera) collect every failure into a table, while
users here need the first bad cell as one :class:`InputError` line. The checks are few and
small: required columns, numeric columns (finite, optionally non-negative), unique keys.
Row numbers are the line numbers a person sees in the file (header = line 1), via ``row_base``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, Place

__all__ = ["numeric_column", "require_columns", "require_nonempty", "require_unique"]


def _row(df: pd.DataFrame, position: int, row_base: int) -> int:
    return position + row_base


def require_nonempty(df: pd.DataFrame, *, place: Place) -> None:
    """Refuse a table without data rows."""
    if len(df) == 0:
        raise InputError("the table has no data rows", place=place)


def require_columns(df: pd.DataFrame, names: Iterable[str], *, place: Place) -> None:
    """Refuse a table lacking any of ``names`` (listing what it does have)."""
    missing = [n for n in names if n not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns)) or "none"
        raise InputError(
            f"missing column(s) {', '.join(missing)}; columns present: {have}", place=place
        )


def numeric_column(
    df: pd.DataFrame,
    name: str,
    *,
    place: Place,
    allow_nan: bool = False,
    nonnegative: bool = False,
    row_base: int = 2,
) -> np.ndarray:
    """Column ``name`` as float64, refusing text, infinities, NaN (unless allowed) and negatives."""
    raw = df[name]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    if raw.dtype == object:  # text: pandas' parser can be one ulp off, Python's float() is exact
        for i, r in enumerate(raw.to_numpy()):
            if isinstance(r, str) and np.isfinite(values[i]):
                with contextlib.suppress(ValueError):  # a form only pandas reads: keep its value
                    values[i] = float(r)
    for i, (v, r) in enumerate(zip(values, raw.to_numpy(), strict=True)):
        if np.isnan(v):
            is_blank = r is None or (isinstance(r, float) and np.isnan(r)) or str(r).strip() == ""
            if not is_blank and str(r).strip().lower() not in {"nan", "na"}:
                raise InputError(
                    f"{r!r} is not a number", place=place, row=_row(df, i, row_base), column=name
                )
            if not allow_nan:
                raise InputError(
                    "value is missing (NaN)", place=place, row=_row(df, i, row_base), column=name
                )
        elif np.isinf(v):
            raise InputError(
                "value is infinite", place=place, row=_row(df, i, row_base), column=name
            )
        elif nonnegative and v < 0:
            raise InputError(
                f"value must be >= 0, got {v:g}",
                place=place,
                row=_row(df, i, row_base),
                column=name,
            )
    return values


def require_unique(
    df: pd.DataFrame, keys: Sequence[str], *, place: Place, row_base: int = 2
) -> None:
    """Refuse repeated key combinations, naming the first repeat and where it was seen before."""
    dup = df.duplicated(list(keys), keep="first").to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        key = tuple(df.iloc[i][k] for k in keys)
        first = int(
            np.argmax((df[list(keys)] == pd.Series(key, index=list(keys))).all(axis=1).to_numpy())
        )
        shown = ", ".join(f"{k}={v}" for k, v in zip(keys, key, strict=True))
        raise InputError(
            f"duplicate {shown} (first seen at row {_row(df, first, row_base)})",
            place=place,
            row=_row(df, i, row_base),
        )
