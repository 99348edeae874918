"""Patients split high/low by a biomarker score column, with the rule the IHC assay uses.

The rule is a :class:`cxcr4lab.core.cutoff.CutoffRule` (``CXCR4HS >= 200``, ``IRS > 7``): the
same object, with the same ``>`` or ``>=``, that calls a tumour high in
:mod:`cxcr4lab.assays.ihc`, so an IHC stratification and a clinical subgroup made from the same
scores agree patient by patient. The split is a new column named by the rule
(``"CXCR4HS >= 200"``) holding ``high`` / ``low`` (blank where the score is blank), ready to be
a subgroup or a group of the survival analysis.

>>> import pandas as pd
>>> from cxcr4lab.core.cutoff import CutoffRule
>>> frame = pd.DataFrame({"cxcr4hs": [150, 200, 250, None]})
>>> out, name = add_biomarker_split(frame, CutoffRule("CXCR4HS", 200, ">="), source="adsl.csv")
>>> name, out[name].tolist()
('CXCR4HS >= 200', ['low', 'high', 'high', None])
"""

from __future__ import annotations

import math

import pandas as pd

from cxcr4lab.core.cutoff import CutoffRule
from cxcr4lab.core.errors import InputError, quote

__all__ = ["add_biomarker_split", "find_column"]


def find_column(frame: pd.DataFrame, name: str) -> str | None:
    """The column of ``frame`` called ``name``, whatever its case; None if there is none."""
    wanted = name.strip().casefold()
    return next((str(c) for c in frame.columns if str(c).strip().casefold() == wanted), None)


def add_biomarker_split(
    frame: pd.DataFrame, rule: CutoffRule, *, source: str, row_base: int = 2
) -> tuple[pd.DataFrame, str]:
    """``frame`` with a column named by the rule (``"CXCR4HS >= 200"``) holding ``high`` or
    ``low`` per row by ``rule`` on its score column (``rule.score``, any case), None where the
    score is blank; and the new column's name. A score that is not a number is an InputError
    naming the file, row and column."""
    column = find_column(frame, rule.score)
    if column is None:
        raise InputError(
            f"no column {quote(rule.score)} for the biomarker cut; columns: "
            + ", ".join(str(c) for c in frame.columns),
            file=source,
            column=rule.score,
        )
    labels: list[str | None] = []
    for i, value in enumerate(frame[column].tolist()):
        if value is None or (isinstance(value, str) and not value.strip()):
            labels.append(None)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"{quote(value)} is not a score", file=source, row=row_base + i, column=column
            ) from None
        labels.append(None if math.isnan(number) else rule.label(number))
    name = f"{column.strip().upper()} {rule.comparison} {rule.threshold:g}"
    out = frame.copy()
    out[name] = labels
    return out, name
