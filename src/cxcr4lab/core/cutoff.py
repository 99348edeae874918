"""One rule for calling a score high or low: ``high = <score> > <threshold>`` or ``>=``.

The IHC assay (:mod:`cxcr4lab.assays.ihc`: H-score 0-300, immunoreactive score 0-12) and the
clinical analyses that split patients by a biomarker (``survival --biomarker-cut``) call high and
low with this one object, so the comparison, strict or not, is the same on both sides and is
stated in every output (:attr:`CutoffRule.text`, e.g. ``high = IRS > 7``). A score exactly at
the threshold is low under ``>`` and high under ``>=``.

>>> rule = CutoffRule("IRS", 7)
>>> rule.text, rule.is_high(7), rule.is_high(8)
('high = IRS > 7', False, True)
>>> CutoffRule.parse("CXCR4HS >= 200", field="biomarker_cut").is_high(200)
True
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, get_args

from cxcr4lab.core.errors import InputError, Place, quote

__all__ = ["COMPARISONS", "Comparison", "CutoffRule"]

Comparison = Literal[">", ">="]
COMPARISONS: tuple[Comparison, ...] = get_args(Comparison)
"""The comparisons a rule may use: strictly above (``>``) or at or above (``>=``)."""

_PARSE = re.compile(r"^\s*(?P<score>.+?)\s*(?P<op>>=|>)\s*(?P<value>\S+)\s*$")


@dataclass(frozen=True)
class CutoffRule:
    """``high`` means ``score <comparison> threshold``; ``score`` names the score (a scale or a
    column) in the stated rule."""

    score: str
    threshold: float
    comparison: Comparison = ">"

    def __post_init__(self) -> None:
        if self.comparison not in COMPARISONS:
            raise InputError(
                f"comparison must be > or >=, got {quote(self.comparison)}", field="comparison"
            )
        if not math.isfinite(self.threshold):
            raise InputError(f"cut-off must be a number, got {self.threshold!r}", field="cutoff")

    def is_high(self, value: float) -> bool:
        """Whether ``value`` is high by this rule (NaN is never high)."""
        if self.comparison == ">=":
            return bool(value >= self.threshold)
        return bool(value > self.threshold)

    def label(self, value: float) -> str:
        """``"high"`` or ``"low"``."""
        return "high" if self.is_high(value) else "low"

    @property
    def text(self) -> str:
        """The rule as stated in outputs: ``high = H-score > 200``."""
        return f"high = {self.score} {self.comparison} {self.threshold:g}"

    @classmethod
    def parse(cls, text: str, *, field: str) -> CutoffRule:
        """``"CXCR4HS >= 200"`` or ``"IRS>7"`` -> the rule; an InputError naming ``field``."""
        match = _PARSE.match(text)
        value = math.nan
        if match is not None:
            try:
                value = float(match["value"])
            except ValueError:
                value = math.nan
        if match is None or not math.isfinite(value):
            raise InputError(
                f"{quote(text)} is not a cut-off rule: give SCORE > VALUE or SCORE >= VALUE, "
                "e.g. CXCR4HS >= 200",
                place=Place(field=field),
            )
        return cls(match["score"], value, ">=" if match["op"] == ">=" else ">")
