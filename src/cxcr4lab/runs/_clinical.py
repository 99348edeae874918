"""What the clinical kinds share: the CDISC table input (survival, response, safety), the reader
of a plain subject table (CSV/TSV/TXT/XLSX, or a CDISC Parquet/XPT), and the comma-separated
number options of the trial designs (``--orr 0.13,0.137``, ``--dlt ...``)."""

from __future__ import annotations

import math
from typing import Any

from cxcr4lab.runs._kind import InputSpec

__all__ = [
    "CLINICAL_FORMATS",
    "TABLE_FORMATS",
    "adsl_input",
    "comma_numbers",
    "read_subject_table",
]

CLINICAL_FORMATS = ("csv", "txt", "parquet", "pq", "xpt")
"""File types of a CDISC analysis table: CSV, Parquet or SAS transport (XPT)."""

TABLE_FORMATS = ("csv", "tsv", "txt", "xlsx", "parquet", "pq", "xpt")
"""File types of a subject table: delimited text, Excel, Parquet or SAS transport (XPT)."""


def read_subject_table(content: bytes, name: str) -> tuple[Any, int]:
    """A subject table's frame (column names as written; upper-case for Parquet/XPT, read as
    CDISC tables) and its row base (the line of position 0: 2 below a CSV header, 1 for a
    record number), read as the ``cox`` kind reads its table."""
    if name.lower().endswith((".parquet", ".pq", ".xpt")):
        from cxcr4lab.clinical.cdisc import read_clinical_bytes

        return read_clinical_bytes(content, name)
    from cxcr4lab.assays.tabular import read_table_bytes

    table = read_table_bytes(content, name)
    return table.frame, table.row_base


def adsl_input(columns: str, *, required: bool = False) -> InputSpec:
    """The ADSL input of a clinical kind (``--adsl``), naming the columns it reads."""
    return InputSpec(
        "adsl", f"ADSL: {columns}", CLINICAL_FORMATS, "adsl", required=required, flag="--adsl"
    )


def comma_numbers(
    text: str,
    field: str,
    *,
    expected: str,
    count: int | None = None,
    fraction: bool = False,
) -> tuple[float, ...]:
    """``"0.05,0.1,0.2"`` -> (0.05, 0.1, 0.2): finite numbers, ``count`` of them if given,
    each within [0, 1] if ``fraction``, else > 0; any refusal is an InputError naming ``field``
    and showing ``expected`` (e.g. ``TREATMENT,CONTROL, e.g. 0.13,0.137``).

    >>> comma_numbers("0.13, 0.137", "orr", expected="TREATMENT,CONTROL", count=2, fraction=True)
    (0.13, 0.137)
    """
    from cxcr4lab.core.errors import InputError, Place, quote

    where = Place(field=field)
    try:
        values = tuple(float(p) for p in text.split(","))
    except ValueError:
        raise InputError(f"{quote(text)}: expected {expected}", place=where) from None
    if (count is not None and len(values) != count) or not all(map(math.isfinite, values)):
        raise InputError(f"{quote(text)}: expected {expected}", place=where)
    bad = [v for v in values if not (0 <= v <= 1 if fraction else v > 0)]
    if bad:
        allowed = "fractions from 0 to 1" if fraction else "numbers > 0"
        raise InputError(f"{quote(text)}: must be {allowed}; got {bad[0]:g}", place=where)
    return values
