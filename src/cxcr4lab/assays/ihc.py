"""Immunohistochemistry H-score and immunoreactive score (e.g. CXCR4 on FFPE tumour sections).

The protocol (seeds: "Measurement of CXCR4 Expression"; "IHC Staining for CXCR4 in FFPE
Breast Cancer Tissue"): staining intensity scored 0 (negative), 1+ (weak), 2+ (moderate),
3+ (strong) per tumour cell; the percentage of tumour cells at each level; then

    H-score = 1 x (% cells 1+) + 2 x (% cells 2+) + 3 x (% cells 3+),  range 0-300

(McCarty et al. 1985, Cancer Res 46:4244s), or (``scale = "irs"``) the immunoreactive score of
Remmele & Stegner (1987, Pathologe 8:138)

    IRS = intensity score (0-3) x proportion score (0-4),  range 0-12

with the proportion score of the positive (1+, 2+ or 3+) tumour cells: 0 none, 1 below 10 %,
2 10-50 %, 3 51-80 % (any share above 50 % up to 80 %), 4 above 80 % (exactly 10 % and 50 % are
2, exactly 80 % is 3). From percentages or per-cell classes the intensity score is the
**predominant** intensity: the class (1+, 2+, 3+) holding the most positive cells, a tie going
to the weaker class (the call that does not overstate the staining); 0 without positive cells.
The IRS may also be given directly (columns ``intensity_score`` 0-3 and ``proportion_score``
0-4, one row per patient), as pathologists score it.

Tumours are called high or low by a cut-off chosen before looking at outcomes (the seeds give a
triple-negative study's "high = IHC score > 7", on the IRS scale), with one rule object
(:class:`cxcr4lab.core.cutoff.CutoffRule`, ``>`` by default or ``>=``) that the clinical
analyses share and every output states (``high = IRS > 7``).

Two inputs give the same result:

* percentages per patient (and optionally per region/core): columns ``patient``, ``pct_0``
  (optional: 100 minus the others), ``pct_1``, ``pct_2``, ``pct_3``;
* per-cell intensity classes from image analysis: columns ``patient``, ``intensity`` (0-3,
  ``1+``, ``weak``, ...), optionally ``region`` and ``cell_id``;

and, for the IRS only, the two scores per patient (``intensity_score``, ``proportion_score``).

Several regions of one patient are pooled: per-cell data by counting every cell, percentages by
averaging the regions (weighted by ``n_cells`` where given). The output is one row per patient,
ready to join to clinical data (:meth:`IhcResult.stratification_table`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.tabular import Table, text_column
from cxcr4lab.core.cutoff import Comparison, CutoffRule
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial, stored
from cxcr4lab.core.tables import numeric_column, require_unique

__all__ = [
    "SCALES",
    "IhcResult",
    "IhcSettings",
    "PatientScore",
    "Scale",
    "analyse",
    "h_score",
    "immunoreactive_score",
    "predominant_intensity",
    "proportion_score",
]

Scale = Literal["h-score", "irs"]
SCALES: dict[str, tuple[str, float]] = {"h-score": ("H-score", 300.0), "irs": ("IRS", 12.0)}
"""Scale -> (its name in the stated rule, its maximum)."""
_INTENSITY_SCORE = ("intensity_score", "irs_intensity", "sis")
_PROPORTION_SCORE = ("proportion_score", "irs_proportion", "pp")

_PATIENT = ("patient", "patient_id", "subject", "subject_id", "case", "case_id")
_PCT = {
    0: ("pct_0", "pct0", "percent_0", "0", "neg", "negative"),
    1: ("pct_1", "pct1", "percent_1", "1+", "1", "weak"),
    2: ("pct_2", "pct2", "percent_2", "2+", "2", "moderate"),
    3: ("pct_3", "pct3", "percent_3", "3+", "3", "strong"),
}
_CLASS_TEXT = {
    "0": 0,
    "0+": 0,
    "neg": 0,
    "negative": 0,
    "1": 1,
    "1+": 1,
    "weak": 1,
    "2": 2,
    "2+": 2,
    "moderate": 2,
    "3": 3,
    "3+": 3,
    "strong": 3,
}


def h_score(pct_1: float, pct_2: float, pct_3: float) -> float:
    """``1 x %1+ + 2 x %2+ + 3 x %3+`` (percentages of tumour cells, 0-100).

    >>> h_score(10, 20, 30)
    140.0
    """
    return float(1.0 * pct_1 + 2.0 * pct_2 + 3.0 * pct_3)


def proportion_score(pct_positive: float) -> int:
    """Remmele-Stegner proportion score of the % of positive tumour cells: 0 none, 1 below 10 %,
    2 10-50 %, 3 above 50 % up to 80 %, 4 above 80 %.

    >>> [proportion_score(p) for p in (0, 9.9, 10, 50, 50.5, 80, 80.1, 100)]
    [0, 1, 2, 2, 3, 3, 4, 4]
    """
    if not (math.isfinite(pct_positive) and 0 <= pct_positive <= 100):
        raise ValueError(f"% of positive cells must be in [0, 100], got {pct_positive!r}")
    if pct_positive == 0:
        return 0
    if pct_positive < 10:
        return 1
    if pct_positive <= 50:
        return 2
    if pct_positive <= 80:
        return 3
    return 4


def predominant_intensity(pct_1: float, pct_2: float, pct_3: float) -> int:
    """The intensity class (1, 2, 3) holding the most positive cells, a tie going to the weaker
    class; 0 without positive cells.

    >>> predominant_intensity(10, 30, 30), predominant_intensity(0, 0, 5), predominant_intensity(0, 0, 0)
    (2, 3, 0)
    """
    shares = (pct_1, pct_2, pct_3)
    if max(shares) <= 0:
        return 0
    return 1 + shares.index(max(shares))


def immunoreactive_score(intensity: int, proportion: int) -> int:
    """IRS = intensity score (0-3) x proportion score (0-4), 0-12 (Remmele & Stegner 1987).

    >>> immunoreactive_score(2, 4)
    8
    """
    if intensity not in (0, 1, 2, 3) or proportion not in (0, 1, 2, 3, 4):
        raise ValueError(f"intensity 0-3 and proportion 0-4, got {intensity}, {proportion}")
    return intensity * proportion


@stored(omit_default=("scale", "comparison"))
@dataclass(frozen=True)
class IhcSettings:
    """The high/low cut-off on the ``scale`` (H-score 0-300 or IRS 0-12), its ``comparison``
    (high means score > cutoff, or >= with ``">="``) and the scoring's description."""

    cutoff: float
    marker: str = "CXCR4"
    compartment: str = "membrane + cytoplasm"
    sum_tolerance_pct: float = 1.0
    scale: Scale = "h-score"
    comparison: Comparison = ">"

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise InputError(
                f"scale must be h-score or irs, got {quote(self.scale)}", field="scale"
            )
        name, top = SCALES[self.scale]
        if not (math.isfinite(self.cutoff) and 0 <= self.cutoff < top):
            raise InputError(
                f"{name} cut-off must be in [0, {top:g}), got {quote(self.cutoff)}",
                field="cutoff",
            )
        if not (self.sum_tolerance_pct >= 0):
            raise InputError("tolerance must be >= 0", field="sum_tolerance_pct")
        self.rule  # noqa: B018 (checks the comparison)

    @property
    def rule(self) -> CutoffRule:
        """The high/low rule, shared with the clinical analyses (``high = IRS > 7``)."""
        return CutoffRule(SCALES[self.scale][0], self.cutoff, self.comparison)


@stored(omit_default=("irs", "intensity_score", "proportion_score"))
@dataclass(frozen=True)
class PatientScore:
    """One patient: % of tumour cells at 0/1+/2+/3+, the H-score (NaN where the IRS was given
    directly), the IRS and its two scores (with ``scale = "irs"``) and the high/low call."""

    patient: str
    pct_0: float
    pct_1: float
    pct_2: float
    pct_3: float
    h_score: float
    high: bool
    n_regions: int
    n_cells: int | None
    irs: int | None = None
    intensity_score: int | None = None
    proportion_score: int | None = None

    def score(self, scale: Scale) -> float:
        """The score the call is made on."""
        if scale == "irs":
            return math.nan if self.irs is None else float(self.irs)
        return self.h_score


@dataclass(frozen=True)
class IhcResult(Serial):
    """H-scores of one scoring table (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "ihc"

    source: str
    input_format: Literal["percent", "cells", "irs"]
    settings: IhcSettings
    patients: tuple[PatientScore, ...]

    @property
    def scale(self) -> Scale:
        return self.settings.scale

    def scores(self) -> list[float]:
        """Every patient's score on the settings' scale, in patient order."""
        return [p.score(self.scale) for p in self.patients]

    @property
    def fraction_high(self) -> float:
        return sum(p.high for p in self.patients) / len(self.patients)

    def patient(self, name: str) -> PatientScore:
        for p in self.patients:
            if p.patient == name:
                return p
        raise KeyError(f"no patient {quote(name)}")

    def summary(self) -> pd.DataFrame:
        """One row per patient: % cells per intensity, H-score (0-300), with ``scale = "irs"``
        the IRS (0-12) and its intensity and proportion scores, the call and its rule."""
        rule = self.settings.rule
        rows = []
        for p in self.patients:
            row: dict[str, object] = {
                "patient": p.patient,
                "pct_0_pct": p.pct_0,
                "pct_1plus_pct": p.pct_1,
                "pct_2plus_pct": p.pct_2,
                "pct_3plus_pct": p.pct_3,
                "h_score_0_300": p.h_score,
            }
            if self.scale == "irs":
                row |= {
                    "intensity_score_0_3": p.intensity_score,
                    "proportion_score_0_4": p.proportion_score,
                    "irs_0_12": p.irs,
                }
            row |= {
                "category": "high" if p.high else "low",
                f"cutoff_{'irs' if self.scale == 'irs' else 'h_score'}": self.settings.cutoff,
                "rule": rule.text,
                "n_regions": p.n_regions,
                "n_cells": p.n_cells,
            }
            rows.append(row)
        return pd.DataFrame(rows)

    def stratification_table(self) -> pd.DataFrame:
        """Tidy, one row per patient, to join with clinical data on ``patient``; the rule of
        the call is in ``.attrs["rule"]`` (``high = IRS > 7``)."""
        m = self.settings.marker.lower().replace(" ", "_")
        score = (
            {f"{m}_irs": [p.irs for p in self.patients]}
            if self.scale == "irs"
            else {f"{m}_h_score": [p.h_score for p in self.patients]}
        )
        table = pd.DataFrame(
            {
                "patient": [p.patient for p in self.patients],
                **score,
                f"{m}_high": [p.high for p in self.patients],
                f"{m}_category": ["high" if p.high else "low" for p in self.patients],
            }
        )
        table.attrs["rule"] = self.settings.rule.text
        return table

    def potencies(self, source: str = "") -> list[Potency]:
        return []


def _find(table: Table, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in table.frame.columns), None)


def analyse(table: Table, settings: IhcSettings) -> IhcResult:
    """H-scores per patient from a percentage table or a per-cell class table."""
    place = Place(file=table.source)
    patient_col = _find(table, _PATIENT)
    if patient_col is None:
        raise InputError(
            f"no patient column (one of {', '.join(_PATIENT)}); columns present: "
            + ", ".join(table.frame.columns),
            place=place,
        )
    if _find(table, _INTENSITY_SCORE) or _find(table, _PROPORTION_SCORE):
        return _from_irs(table, patient_col, settings)
    if "intensity" in table.frame.columns or "class" in table.frame.columns:
        return _from_cells(table, patient_col, settings)
    return _from_percent(table, patient_col, settings)


def _from_percent(table: Table, patient_col: str, settings: IhcSettings) -> IhcResult:
    place = Place(file=table.source)
    df = table.frame
    cols = {k: _find(table, names) for k, names in _PCT.items()}
    missing = [f"pct_{k}" for k in (1, 2, 3) if cols[k] is None]
    if missing:
        raise InputError(
            f"no column {', '.join(missing)}: give % of cells at 1+, 2+ and 3+ "
            "(pct_1, pct_2, pct_3; pct_0 optional) or per-cell classes in 'intensity'; "
            f"columns present: {', '.join(df.columns)}",
            place=place,
        )
    patients = text_column(table, patient_col)
    region_col = _find(table, ("region", "core", "block", "slide"))
    keys = [patient_col] + ([region_col] if region_col else [])
    require_unique(df, keys, place=place, row_base=table.row_base)
    pct: dict[int, np.ndarray] = {}
    for k, col in cols.items():
        if col is not None:
            pct[k] = numeric_column(df, col, place=place, nonnegative=True, row_base=table.row_base)
    weights = (
        numeric_column(df, "n_cells", place=place, nonnegative=True, row_base=table.row_base)
        if "n_cells" in df.columns
        else None
    )
    stained = pct[1] + pct[2] + pct[3]
    if 0 not in pct:
        pct[0] = 100.0 - stained
    for i in range(len(df)):
        for k in range(4):
            if pct[k][i] > 100:
                raise InputError(
                    f"{pct[k][i]:g}% of cells is more than 100%",
                    place=place,
                    row=table.line(i),
                    column=cols[k] or "pct_0",
                )
        total = pct[0][i] + stained[i]
        if stained[i] > 100.0 + settings.sum_tolerance_pct:
            raise InputError(
                f"1+, 2+ and 3+ add up to {stained[i]:g}%, more than 100%",
                place=place,
                row=table.line(i),
                column=patient_col,
            )
        if abs(total - 100.0) > settings.sum_tolerance_pct:
            raise InputError(
                f"0/1+/2+/3+ add up to {total:g}%, not 100% "
                f"(tolerance {settings.sum_tolerance_pct:g}%)",
                place=place,
                row=table.line(i),
                column=patient_col,
            )
        pct[0][i] = max(pct[0][i], 0.0)  # within the tolerance, not below zero
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(patients):
        groups.setdefault(str(p), []).append(i)
    scores = []
    for name, idx in groups.items():
        w = np.ones(len(idx)) if weights is None else weights[idx]
        if w.sum() <= 0:
            raise InputError(
                "every region of this patient has n_cells = 0",
                place=place,
                row=table.line(idx[0]),
                column="n_cells",
            )
        # Renormalise to exactly 100% so the H-score is bounded by 300.
        mean = [float(np.average(pct[k][idx], weights=w)) for k in range(4)]
        total = sum(mean)
        mean = [100.0 * m / total for m in mean]
        n_cells = None if weights is None else round(float(weights[idx].sum()))
        scores.append(_score(name, mean, len(idx), n_cells, settings))
    return IhcResult(table.source, "percent", settings, tuple(scores))


def _from_cells(table: Table, patient_col: str, settings: IhcSettings) -> IhcResult:
    df = table.frame
    col = "intensity" if "intensity" in df.columns else "class"
    patients = text_column(table, patient_col)
    classes = text_column(table, col)
    region_col = _find(table, ("region", "core", "block", "slide"))
    if "cell_id" in df.columns:
        keys = [patient_col] + ([region_col] if region_col else []) + ["cell_id"]
        require_unique(df, keys, place=Place(file=table.source), row_base=table.row_base)
    counts: dict[str, np.ndarray] = {}
    regions: dict[str, set[str]] = {}
    region_values = text_column(table, region_col, required=False) if region_col else None
    for i, (p, c) in enumerate(zip(patients, classes, strict=True)):
        level = _CLASS_TEXT.get(str(c).lower().replace(" ", ""))
        if level is None:
            try:
                value = float(str(c))
            except ValueError:
                value = math.nan
            problem = (
                "is negative"
                if value < 0
                else "is above 3+ (saturated?)"
                if value > 3
                else "is not an intensity class"
            )
            raise InputError(
                f"intensity {quote(c)} {problem}: use 0, 1+, 2+ or 3+",
                file=table.source,
                row=table.line(i),
                column=col,
            )
        counts.setdefault(str(p), np.zeros(4))[level] += 1
        regions.setdefault(str(p), set()).add(
            "" if region_values is None else str(region_values[i])
        )
    scores = []
    for name, n in counts.items():
        total = float(n.sum())
        pct = [100.0 * float(v) / total for v in n]
        scores.append(_score(name, pct, len(regions[name]), int(total), settings))
    return IhcResult(table.source, "cells", settings, tuple(scores))


def _score(
    name: str, pct: list[float], n_regions: int, n_cells: int | None, settings: IhcSettings
) -> PatientScore:
    h = min(300.0, max(0.0, h_score(pct[1], pct[2], pct[3])))
    irs = intensity = proportion = None
    if settings.scale == "irs":
        positive = min(100.0, max(0.0, pct[1] + pct[2] + pct[3]))
        intensity = predominant_intensity(pct[1], pct[2], pct[3])
        proportion = proportion_score(positive)
        irs = immunoreactive_score(intensity, proportion)
    return PatientScore(
        patient=name,
        pct_0=pct[0],
        pct_1=pct[1],
        pct_2=pct[2],
        pct_3=pct[3],
        h_score=h,
        high=settings.rule.is_high(h if irs is None else irs),
        n_regions=n_regions,
        n_cells=n_cells,
        irs=irs,
        intensity_score=intensity,
        proportion_score=proportion,
    )


def _from_irs(table: Table, patient_col: str, settings: IhcSettings) -> IhcResult:
    """IRS given directly: ``intensity_score`` (0-3) and ``proportion_score`` (0-4) per patient."""
    place = Place(file=table.source)
    df = table.frame
    if settings.scale != "irs":
        raise InputError(
            "intensity and proportion scores give the immunoreactive score (IRS, 0-12), not an "
            "H-score: use scale irs (and a cut-off on the 0-12 scale)",
            place=place,
            field="scale",
        )
    cols: list[str] = []
    for names, what in ((_INTENSITY_SCORE, "intensity"), (_PROPORTION_SCORE, "proportion")):
        col = _find(table, names)
        if col is None:
            raise InputError(
                f"no {what} score column ({', '.join(names)}): the IRS needs both scores; "
                f"columns present: {', '.join(df.columns)}",
                place=place,
            )
        cols.append(col)
    patients = text_column(table, patient_col)
    require_unique(df, [patient_col], place=place, row_base=table.row_base)
    values = [numeric_column(df, c, place=place, row_base=table.row_base) for c in cols]
    scores = []
    for i, name in enumerate(patients):
        ints: list[int] = []
        for col, v, top in zip(cols, (values[0][i], values[1][i]), (3, 4), strict=True):
            if not (v == round(v) and 0 <= v <= top):
                raise InputError(
                    f"{v:g} is not a score from 0 to {top} (a whole number)",
                    place=place,
                    row=table.line(i),
                    column=col,
                )
            ints.append(round(v))
        irs = immunoreactive_score(ints[0], ints[1])
        scores.append(
            PatientScore(
                patient=str(name),
                pct_0=math.nan,
                pct_1=math.nan,
                pct_2=math.nan,
                pct_3=math.nan,
                h_score=math.nan,
                high=settings.rule.is_high(irs),
                n_regions=1,
                n_cells=None,
                irs=irs,
                intensity_score=ints[0],
                proportion_score=ints[1],
            )
        )
    return IhcResult(table.source, "irs", settings, tuple(scores))
