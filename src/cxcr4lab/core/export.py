"""Tables written for spreadsheets: text that Excel or LibreOffice would run as a formula is
escaped, whoever writes the file (the CLI's ``--out`` CSVs, the web app's downloads).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by spreadsheet programs (``=HYPERLINK(...)`` in a curve id becomes a live link); such text gets a
leading ``'``, which the spreadsheet shows as text. Numbers are never changed (``-1.5`` stays a
number).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_START",
    "TABLE_SUFFIXES",
    "escape_cell",
    "escape_frame",
    "safe_csv",
    "table_file",
]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula (starts with = + - @ tab CR) gets a ``'``.

    >>> escape_cell("=HYPERLINK(1)"), escape_cell(-1.5), escape_cell("ok")
    ("'=HYPERLINK(1)", -1.5, 'ok')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name escaped (numbers unchanged).

    >>> escape_frame(pd.DataFrame({"id": ["=1+1", "a"], "x": [-1.0, 2.0]}))["id"].tolist()
    ["'=1+1", 'a']
    """
    out = frame.copy()
    out.columns = [escape_cell(c) if isinstance(c, str) else c for c in out.columns]
    for column in out.columns:
        series = out[column]
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            out[column] = series.map(escape_cell)
    return out


def safe_csv(frame: pd.DataFrame, **kwargs: Any) -> str:
    """``frame.to_csv(**kwargs)`` as text, formula prefixes escaped (index written only if asked).

    >>> safe_csv(pd.DataFrame({"curve_id": ["@SUM(A1)"]}))
    "curve_id\\n'@SUM(A1)\\n"
    """
    kwargs.setdefault("index", False)
    text = escape_frame(frame).to_csv(**kwargs)
    assert isinstance(text, str)
    return text


TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")
"""File types a table can be written as (by the target's suffix)."""


def table_file(frame: pd.DataFrame, suffix: str, *, sheet: str = "results") -> str | bytes:
    """``frame`` as the content of a ``suffix`` file: CSV (``.csv``; ``.tsv``/``.txt``
    tab-separated) with formula prefixes escaped, an xlsx workbook (one sheet, escaped too) or
    Parquet (typed columns, for pipelines; nothing is run from it). Another suffix is an
    :class:`~cxcr4lab.core.errors.InputError` listing the ones there are."""
    import io

    from cxcr4lab.core.errors import InputError, quote

    kind = suffix.lower()
    if kind == ".csv":
        return safe_csv(frame)
    if kind in (".tsv", ".txt"):
        return safe_csv(frame, sep="\t")
    buffer = io.BytesIO()
    if kind == ".xlsx":
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            escape_frame(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
        return buffer.getvalue()
    if kind == ".parquet":
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    raise InputError(
        f"cannot write a {quote(suffix or 'file without a suffix')} table; "
        f"name a {', '.join(TABLE_SUFFIXES)} file",
        field="out",
    )
