"""NOD/SCID engraftment of mobilized human grafts: chimerism per mouse, engrafted and
multilineage calls, group summaries, and the SCID-repopulating cell (SRC) frequency.

The protocol (seed: "In Vivo Engraftment Assay in Immunodeficient Mice"): sublethally
irradiated NOD/SCID mice receive a known number of human cells from a mobilized graft
(balixafortide- or G-CSF-mobilized); 6-12 weeks later bone marrow, spleen and blood are
stained for human CD45 and lineage markers. Input: one row per mouse and tissue (a tidy table,
CSV/TSV/xlsx) with ``mouse``, ``group`` (regimen or graft), ``cells`` (cells transplanted per
mouse), ``tissue`` (bone marrow / BM, spleen, blood / PB), ``hcd45_pct`` (% human CD45+ of
leukocytes: the chimerism) and, as % of the hCD45+ cells, ``cd19_pct`` (B lymphoid),
``cd33_pct`` (myeloid) and optionally ``cd34_pct`` (progenitors). Percentages as the flow
software exports gated frequencies (``%`` and ``+`` in headers ignored: ``%hCD45+`` reads).

Calls (every threshold stated in the result, :meth:`EngraftmentSettings.describe`):

* **engrafted** by ``rule``: ``bone_marrow`` (default: hCD45+ >= ``threshold_pct``, 0.1%, of
  bone-marrow leukocytes), ``any_tissue`` (in at least one tissue), or
  ``bone_marrow_multilineage`` (the bone-marrow threshold and multilineage there);
* **multilineage**: engrafted, and in the tissue that made the call CD19+ and CD33+ cells each
  >= ``lineage_threshold_pct`` (1%) of hCD45+ cells;
* **progenitors** (where CD34 was measured): engrafted, and CD34+ cells >= the same threshold
  of hCD45+ cells there (human progenitors maintained in the mouse).

Group summaries: per group and tissue the mean % hCD45 with its t CI (and median, range); per
group the engrafted and multilineage fractions with exact (Clopper-Pearson) CIs. The SRC
frequency is the ELDA of the engrafted calls (:mod:`cxcr4lab.preclinical.elda`): per group,
mice tested and engrafted at each cell dose.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial, stored
from cxcr4lab.core.tables import numeric_column, require_unique
from cxcr4lab.preclinical.elda import DilutionRow, EldaResult, EldaSettings, elda

__all__ = [
    "TISSUES",
    "EngraftmentResult",
    "EngraftmentRule",
    "EngraftmentSettings",
    "GroupCalls",
    "MouseEngraftment",
    "TissueChimerism",
    "TissueSummary",
    "analyse_engraftment",
    "read_engraftment",
]

TISSUES = ("bone_marrow", "spleen", "blood")
"""The tissues read, in display order."""

EngraftmentRule = Literal["bone_marrow", "any_tissue", "bone_marrow_multilineage"]

_TISSUE_TEXT = {
    "bone_marrow": "bone_marrow",
    "bonemarrow": "bone_marrow",
    "marrow": "bone_marrow",
    "bm": "bone_marrow",
    "femur": "bone_marrow",
    "spleen": "spleen",
    "spl": "spleen",
    "sp": "spleen",
    "blood": "blood",
    "peripheral_blood": "blood",
    "pb": "blood",
    "pbl": "blood",
}
_COLUMNS: dict[str, tuple[str, ...]] = {
    "mouse": ("mouse", "mouse_id", "animal", "animal_id", "recipient", "recipient_id"),
    "group": ("group", "regimen", "graft", "arm", "mobilization", "mobiliser"),
    "cells": ("cells", "cells_transplanted", "cell_dose", "dose", "dose_cells", "cells_injected"),
    "tissue": ("tissue", "organ", "compartment"),
    "hcd45": ("hcd45_pct", "hcd45", "pct_hcd45", "human_cd45_pct", "chimerism_pct", "chimerism"),
    "cd19": ("cd19_pct", "cd19", "pct_cd19", "hcd19_pct", "hcd19"),
    "cd33": ("cd33_pct", "cd33", "pct_cd33", "hcd33_pct", "hcd33"),
    "cd34": ("cd34_pct", "cd34", "pct_cd34", "hcd34_pct", "hcd34"),
}
_REQUIRED = ("mouse", "group", "cells", "tissue", "hcd45", "cd19", "cd33")


@dataclass(frozen=True)
class EngraftmentSettings:
    """The engrafted rule and thresholds (% hCD45+ of leukocytes; lineages as % of hCD45+)."""

    threshold_pct: float = 0.1
    rule: EngraftmentRule = "bone_marrow"
    lineage_threshold_pct: float = 1.0
    confidence: float = 0.95

    def __post_init__(self) -> None:
        for name in ("threshold_pct", "lineage_threshold_pct"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0 < v <= 100):
                raise InputError(f"must be > 0 and <= 100 (%), got {quote(v)}", field=name)
        if self.rule not in get_args(EngraftmentRule):
            raise InputError(
                f"must be one of {', '.join(get_args(EngraftmentRule))}, got {quote(self.rule)}",
                field="rule",
            )
        if not (0 < self.confidence < 1):
            raise InputError("must be strictly between 0 and 1", field="confidence")

    def describe(self) -> str:
        """The calls in words, with their thresholds."""
        t, m = f"{self.threshold_pct:g}%", f"{self.lineage_threshold_pct:g}%"
        where = {
            "bone_marrow": f"hCD45+ >= {t} of bone-marrow leukocytes",
            "any_tissue": f"hCD45+ >= {t} of leukocytes in bone marrow, spleen or blood",
            "bone_marrow_multilineage": (
                f"hCD45+ >= {t} of bone-marrow leukocytes with CD19+ and CD33+ each >= {m} of "
                "hCD45+ there"
            ),
        }[self.rule]
        return (
            f"engrafted: {where}; multilineage: engrafted with CD19+ and CD33+ each >= {m} of "
            f"hCD45+ cells in the calling tissue; progenitors: engrafted with CD34+ >= {m} of "
            "hCD45+ cells there (where CD34 was measured)"
        )


@dataclass(frozen=True)
class TissueChimerism:
    """One tissue of one mouse: % hCD45+ of leukocytes; lineages as % of hCD45+ cells."""

    tissue: str
    hcd45_pct: float
    cd19_pct: float
    cd33_pct: float
    cd34_pct: float | None
    origin: str = ""


@stored(omit_default=("progenitors",))
@dataclass(frozen=True)
class MouseEngraftment:
    """One mouse: group, cells transplanted, its tissues and the calls."""

    mouse: str
    group: str
    cells: float
    tissues: tuple[TissueChimerism, ...]
    engrafted: bool
    multilineage: bool
    calling_tissue: str
    """The tissue whose values made the call ("" if none reached the threshold)."""
    progenitors: bool | None = None
    """Engrafted with human CD34+ progenitors: CD34+ >= the lineage threshold of hCD45+ cells in
    the calling tissue (bone marrow when not engrafted); None where CD34 was not measured."""

    def tissue(self, name: str) -> TissueChimerism | None:
        return next((t for t in self.tissues if t.tissue == name), None)


@dataclass(frozen=True)
class TissueSummary:
    """% hCD45+ in one tissue across a group's mice: mean with its t CI, median and range."""

    group: str
    tissue: str
    n: int
    mean_pct: float
    lower_pct: float
    upper_pct: float
    median_pct: float
    min_pct: float
    max_pct: float


@stored(omit_default=("progenitors", "progenitors_lower_pct", "progenitors_upper_pct"))
@dataclass(frozen=True)
class GroupCalls:
    """Engrafted and multilineage mice of a group, with exact (Clopper-Pearson) CIs (%)."""

    group: str
    n: int
    engrafted: int
    engrafted_lower_pct: float
    engrafted_upper_pct: float
    multilineage: int
    multilineage_lower_pct: float
    multilineage_upper_pct: float
    cells: tuple[float, ...]
    """The cell doses given in the group."""
    progenitors: int | None = None
    """Mice engrafted with CD34+ progenitors (None unless CD34 was measured in every mouse)."""
    progenitors_lower_pct: float | None = None
    progenitors_upper_pct: float | None = None


@dataclass(frozen=True)
class EngraftmentResult(Serial):
    """Engraftment of one study (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "engraftment"

    source: str
    settings: EngraftmentSettings
    mice: tuple[MouseEngraftment, ...]
    tissue_summaries: tuple[TissueSummary, ...]
    groups: tuple[GroupCalls, ...]
    src: EldaResult
    """SRC frequency: ELDA of the engrafted calls by group and cells transplanted."""

    def mouse(self, name: str) -> MouseEngraftment:
        for m in self.mice:
            if m.mouse == name:
                return m
        raise KeyError(f"no mouse {quote(name)}")

    def group(self, name: str) -> GroupCalls:
        for g in self.groups:
            if g.group == name:
                return g
        raise KeyError(f"no group {quote(name)}")

    def summary(self) -> pd.DataFrame:
        """One row per mouse: % hCD45+ per tissue, bone-marrow lineages and the calls."""
        rows = []
        for m in self.mice:
            row: dict[str, object] = {"mouse": m.mouse, "group": m.group, "cells": m.cells}
            for t in TISSUES:
                found = m.tissue(t)
                row[f"{t}_hcd45_pct"] = None if found is None else found.hcd45_pct
            bm = m.tissue("bone_marrow")
            for lineage in ("cd19", "cd33", "cd34"):
                row[f"bone_marrow_{lineage}_pct_of_hcd45"] = (
                    None if bm is None else getattr(bm, f"{lineage}_pct")
                )
            row["engrafted"] = m.engrafted
            row["multilineage"] = m.multilineage
            row["progenitors"] = m.progenitors
            row["calling_tissue"] = m.calling_tissue
            row["rule"] = self.settings.describe()
            rows.append(row)
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []

    def group_table(self) -> pd.DataFrame:
        """One row per group: engrafted and multilineage mice with their CIs, and the SRC
        frequency (1 in N cells) with its CI."""
        rows = []
        for g in self.groups:
            f = self.src.group(g.group)
            rows.append(
                {
                    "group": g.group,
                    "mice": g.n,
                    "engrafted": g.engrafted,
                    "engrafted_lower_pct": g.engrafted_lower_pct,
                    "engrafted_upper_pct": g.engrafted_upper_pct,
                    "multilineage": g.multilineage,
                    "multilineage_lower_pct": g.multilineage_lower_pct,
                    "multilineage_upper_pct": g.multilineage_upper_pct,
                    "progenitors": g.progenitors,
                    "progenitors_lower_pct": g.progenitors_lower_pct,
                    "progenitors_upper_pct": g.progenitors_upper_pct,
                    "src_one_in_cells": f.estimate,
                    "src_one_in_lower_cells": f.lower,
                    "src_one_in_upper_cells": f.upper,
                }
            )
        return pd.DataFrame(rows)


# --- input ---------------------------------------------------------------------------------------


def _normal(header: str) -> str:
    text = re.sub(r"[%+]", "", header.strip().lower())
    return re.sub(r"[\s\-/]+", "_", text).strip("_")


def read_engraftment(
    frame: pd.DataFrame, source: str, *, row_base: int = 2
) -> tuple[tuple[str, str, float, TissueChimerism], ...]:
    """The rows of a chimerism table (as read by
    :func:`cxcr4lab.assays.tabular.read_table_bytes`, the flow kinds' table reader: ``frame``
    with line ``position + row_base`` per row): (mouse, group, cells, tissue values), checked.

    Refused, naming file, row and column: a missing column or value (NaN), % hCD45 below 0 or
    above 100, a lineage % above 100 or below 0, CD19 + CD33 above 100% of hCD45, cells <= 0,
    an unknown tissue, a mouse listed twice for one tissue, and one mouse in two groups or with
    two cell doses."""
    place = Place(file=source)
    by_normal = {_normal(str(c)): str(c) for c in frame.columns}
    cols: dict[str, str] = {}
    for key, names in _COLUMNS.items():
        found = next((by_normal[n] for n in names if n in by_normal), None)
        if found is not None:
            cols[key] = found
    missing = [_COLUMNS[k][0] for k in _REQUIRED if k not in cols]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; columns present: "
            + ", ".join(map(str, frame.columns)),
            place=place,
        )

    def line(i: int) -> int:
        return i + row_base

    def text(key: str) -> list[str]:
        out = []
        for i, v in enumerate(frame[cols[key]].to_numpy()):
            blank = v is None or (isinstance(v, float) and math.isnan(v)) or not str(v).strip()
            if blank:
                raise InputError("value is missing", place=place, row=line(i), column=cols[key])
            out.append(str(v).strip())
        return out

    mice, groups, tissue_text = text("mouse"), text("group"), text("tissue")
    tissues = []
    for i, t in enumerate(tissue_text):
        found_tissue = _TISSUE_TEXT.get(_normal(t))
        if found_tissue is None:
            raise InputError(
                f"tissue {quote(t)} is not one of bone marrow (BM), spleen, blood (PB)",
                place=place,
                row=line(i),
                column=cols["tissue"],
            )
        tissues.append(found_tissue)
    values = {
        key: numeric_column(frame, cols[key], place=place, row_base=row_base)
        for key in ("cells", "hcd45", "cd19", "cd33", "cd34")
        if key in cols
    }
    for i in range(len(frame)):
        if not values["cells"][i] > 0:
            raise InputError(
                f"cells transplanted must be > 0, got {values['cells'][i]:g}",
                place=place,
                row=line(i),
                column=cols["cells"],
            )
        for key, what in (
            ("hcd45", "% human CD45+"),
            ("cd19", "CD19+ (% of hCD45+ cells)"),
            ("cd33", "CD33+ (% of hCD45+ cells)"),
            ("cd34", "CD34+ (% of hCD45+ cells)"),
        ):
            if key in values and not 0 <= values[key][i] <= 100:
                raise InputError(
                    f"{what} must be within 0-100, got {values[key][i]:g}",
                    place=place,
                    row=line(i),
                    column=cols[key],
                )
        cd19, cd33 = float(values["cd19"][i]), float(values["cd33"][i])
        if cd19 + cd33 > 100.0 + 1e-9:
            raise InputError(
                f"CD19+ ({cd19:g}%) and CD33+ ({cd33:g}%) add up to more than 100% of hCD45+ "
                "cells: B and myeloid cells are separate gates",
                place=place,
                row=line(i),
                column=cols["cd33"],
            )
    keys = pd.DataFrame({"mouse": mice, "tissue": tissues})
    require_unique(keys, ["mouse", "tissue"], place=place, row_base=row_base)
    first: dict[str, int] = {}
    for i, mouse in enumerate(mice):
        j = first.setdefault(mouse, i)
        if groups[i] != groups[j]:
            raise InputError(
                f"mouse {quote(mouse)} is in group {quote(groups[i])} here but "
                f"{quote(groups[j])} at row {line(j)}",
                place=place,
                row=line(i),
                column=cols["group"],
            )
        if values["cells"][i] != values["cells"][j]:
            raise InputError(
                f"mouse {quote(mouse)} received {values['cells'][i]:g} cells here but "
                f"{values['cells'][j]:g} at row {line(j)}",
                place=place,
                row=line(i),
                column=cols["cells"],
            )
    return tuple(
        (
            mice[i],
            groups[i],
            float(values["cells"][i]),
            TissueChimerism(
                tissues[i],
                float(values["hcd45"][i]),
                float(values["cd19"][i]),
                float(values["cd33"][i]),
                float(values["cd34"][i]) if "cd34" in values else None,
                origin=f"{source}, row {line(i)}",
            ),
        )
        for i in range(len(frame))
    )


# --- analysis ------------------------------------------------------------------------------------


def _exact_ci(k: int, n: int, confidence: float) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return 100.0 * float(ci.low), 100.0 * float(ci.high)


def _call(tissues: dict[str, TissueChimerism], s: EngraftmentSettings) -> tuple[bool, bool, str]:
    def multi(t: TissueChimerism) -> bool:
        return t.cd19_pct >= s.lineage_threshold_pct and t.cd33_pct >= s.lineage_threshold_pct

    if s.rule == "any_tissue":
        hits = [
            tissues[t] for t in TISSUES if t in tissues and tissues[t].hcd45_pct >= s.threshold_pct
        ]
        if not hits:
            return False, False, ""
        lineage = next((t for t in hits if multi(t)), hits[0])
        return True, multi(lineage), lineage.tissue
    bm = tissues["bone_marrow"]
    above = bm.hcd45_pct >= s.threshold_pct
    if s.rule == "bone_marrow_multilineage":
        ok = above and multi(bm)
        return ok, ok, "bone_marrow" if ok else ""
    return above, above and multi(bm), "bone_marrow" if above else ""


def _progenitors(
    tissues: dict[str, TissueChimerism], engrafted: bool, calling: str, s: EngraftmentSettings
) -> bool | None:
    """The CD34+ progenitor call of one mouse (see :attr:`MouseEngraftment.progenitors`)."""
    where = tissues.get(calling or "bone_marrow")
    if where is None or where.cd34_pct is None:
        return None
    return engrafted and where.cd34_pct >= s.lineage_threshold_pct


def analyse_engraftment(
    rows: Sequence[tuple[str, str, float, TissueChimerism]],
    settings: EngraftmentSettings | None = None,
    *,
    source: str = "",
) -> EngraftmentResult:
    """Calls per mouse, group summaries and the SRC frequency (ELDA) of a chimerism table."""
    s = settings or EngraftmentSettings()
    where = source or "engraftment table"
    if not rows:
        raise InputError("no mice to analyse", file=where)
    by_mouse: dict[str, list[tuple[str, str, float, TissueChimerism]]] = {}
    for r in rows:
        by_mouse.setdefault(r[0], []).append(r)
    mice = []
    for name, members in by_mouse.items():
        tissues = {r[3].tissue: r[3] for r in members}
        if s.rule != "any_tissue" and "bone_marrow" not in tissues:
            raise InputError(
                f"mouse {quote(name)} has no bone-marrow row; the rule ({s.describe()}) needs it",
                place=Place(file=members[0][3].origin or where, field=f"mouse {name}"),
            )
        engrafted, multilineage, calling = _call(tissues, s)
        ordered = tuple(tissues[t] for t in TISSUES if t in tissues)
        mice.append(
            MouseEngraftment(
                name,
                members[0][1],
                members[0][2],
                ordered,
                engrafted,
                multilineage,
                calling,
                _progenitors(tissues, engrafted, calling, s),
            )
        )
    groups: dict[str, list[MouseEngraftment]] = {}
    for m in mice:
        groups.setdefault(m.group, []).append(m)
    t_summaries = []
    calls = []
    for g, in_group in groups.items():
        for tissue in TISSUES:
            values = np.asarray(
                [t.hcd45_pct for m in in_group if (t := m.tissue(tissue)) is not None],
                dtype=np.float64,
            )
            if values.size == 0:
                continue
            mean = float(values.mean())
            if values.size > 1:
                half = float(
                    stats.t.ppf(0.5 + s.confidence / 2, values.size - 1)
                    * values.std(ddof=1)
                    / math.sqrt(values.size)
                )
            else:
                half = math.nan
            t_summaries.append(
                TissueSummary(
                    g,
                    tissue,
                    int(values.size),
                    mean,
                    max(mean - half, 0.0) if math.isfinite(half) else math.nan,
                    min(mean + half, 100.0) if math.isfinite(half) else math.nan,
                    float(np.median(values)),
                    float(values.min()),
                    float(values.max()),
                )
            )
        n = len(in_group)
        k = sum(m.engrafted for m in in_group)
        k_ml = sum(m.multilineage for m in in_group)
        measured = all(m.progenitors is not None for m in in_group)
        k_p = sum(bool(m.progenitors) for m in in_group) if measured else None
        p_lower, p_upper = (None, None) if k_p is None else _exact_ci(k_p, n, s.confidence)
        calls.append(
            GroupCalls(
                g,
                n,
                k,
                *_exact_ci(k, n, s.confidence),
                k_ml,
                *_exact_ci(k_ml, n, s.confidence),
                tuple(sorted({m.cells for m in in_group})),
                k_p,
                p_lower,
                p_upper,
            )
        )
    dilution = []
    for g, in_group in groups.items():
        for cells in sorted({m.cells for m in in_group}):
            at = [m for m in in_group if m.cells == cells]
            dilution.append(
                DilutionRow(g, cells, len(at), sum(m.engrafted for m in at), f"{where}, group {g}")
            )
    src = elda(dilution, EldaSettings(confidence=s.confidence), source=where)
    return EngraftmentResult(where, s, tuple(mice), tuple(t_summaries), tuple(calls), src)
