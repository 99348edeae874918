"""End-of-study biomarkers and tissue scores of an in-vivo study, compared across arms.

One value per animal and marker, with its unit: serum TRAcP 5b (U/L), IFN-gamma and IL-2
(pg/mL), Ki67 (% positive nuclei), cleaved caspase-3 and CD34+ microvessels (per field),
radiographic osteolytic lesion area (mm^2), or any other marker. Two layouts are read
(:func:`read_endpoints`):

* **tidy**: ``animal_id, group, marker, value, unit`` (one row per animal and marker);
* **wide**: ``animal_id, group`` and one column per marker with the unit in its header:
  ``"TRAcP [U/L]"``, ``"Ki67 (%)"`` or ``TRAcP_U_L``, ``IFNg_pg_mL``, ``Ki67_pct``,
  ``CD34_per_field``, ``lesion_area_mm2`` (the suffixes of :data:`UNIT_SUFFIXES`).

A marker without a unit, an animal in two groups, a repeated animal and marker, a negative
value, a percentage above 100 and units that cannot be converted into each other within one
marker are refused, each naming the file, row (and column) and animal. Blank cells are not
measured (counted in ``flags``); a group with fewer than three animals for a marker is flagged.

:func:`compare_endpoints` compares each group with the control (and named pairs) per marker.
Effects for a forest plot: on the **log scale** (serum cytokines and TRAcP by default: their
spread grows with their level) the ratio of geometric means with its CI; on the **linear
scale** (percentages, counts per field, areas) the difference of means with its CI. The CI and
p are Welch's t; multiplicity is controlled by Holm's method over the whole family of markers
and comparisons (:func:`statsmodels.stats.multitest.multipletests`), or, with
``adjustment="dunnett"``, by Dunnett's many-to-one test per marker (:func:`scipy.stats.dunnett`,
pooled variance, simultaneous CIs), named pairs then Holm-adjusted among themselves.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, UnitError, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.units import parse_unit, registry
from cxcr4lab.preclinical.efficacy import (
    dunnett_test,
    holm_adjust,
    mann_whitney_test,
    welch_test,
)
from cxcr4lab.preclinical.study import MIN_GROUP_SIZE, read_tabular

__all__ = [
    "MARKERS",
    "UNIT_SUFFIXES",
    "EndpointAdjustment",
    "EndpointComparison",
    "EndpointTable",
    "MarkerEffect",
    "MarkerGroup",
    "Scale",
    "build_endpoint_table",
    "compare_endpoints",
    "endpoint_table",
    "merge_endpoints",
    "read_endpoints",
]

Scale = Literal["log", "linear"]
EndpointAdjustment = Literal["holm", "dunnett"]

MARKERS: Final[dict[str, tuple[Scale, tuple[str, ...]]]] = {
    "TRAcP 5b": ("log", ("tracp", "tracp5b", "trap", "trap5b", "tracp5b_serum")),
    "IFN-gamma": ("log", ("ifng", "ifngamma", "ifnγ", "interferongamma")),
    "IL-2": ("log", ("il2", "interleukin2")),
    "Ki67": ("linear", ("ki67", "mib1")),
    "cleaved caspase-3": ("linear", ("cc3", "cleavedcaspase3", "ccasp3", "clcasp3", "caspase3")),
    "CD34 MVD": ("linear", ("cd34", "cd34mvd", "mvd", "cd34vessels", "microvessels")),
    "osteolytic lesion area": (
        "linear",
        ("lesionarea", "osteolysis", "osteolyticarea", "osteolyticlesionarea", "lesion"),
    ),
}
"""Known markers: default scale of the effect and the spellings recognised (lower case, without
spaces, ``-`` or ``_``). The name shown is always the one in the input."""

UNIT_SUFFIXES: Final[dict[tuple[str, ...], str]] = {
    ("u", "l"): "U/L",
    ("iu", "l"): "IU/L",
    ("u", "ml"): "U/mL",
    ("pg", "ml"): "pg/mL",
    ("ng", "ml"): "ng/mL",
    ("ug", "ml"): "µg/mL",
    ("mg", "l"): "mg/L",
    ("pct",): "%",
    ("percent",): "%",
    ("mm2",): "mm^2",
    ("um2",): "µm^2",
    ("cm2",): "cm^2",
    ("per", "field"): "per field",
    ("per", "hpf"): "per HPF",
    ("per", "mm2"): "per mm^2",
    ("count",): "count",
}
"""Unit suffixes of wide headers (``TRAcP_U_L`` -> marker ``TRAcP``, unit ``U/L``)."""

_ID = ("animal_id", "animal", "mouse", "mouse_id", "subject", "id")
_GROUP = ("group", "arm", "treatment")
_BRACKET = re.compile(r"^(?P<base>.*?)\s*[\[(](?P<unit>[^\])]*)[\])]\s*$")
_PERCENT = {"%", "percent", "pct"}


def _key(text: str) -> str:
    return re.sub(r"[\s\-_]+", "", text.strip().lower())


def _norm(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _default_scale(marker: str) -> Scale:
    k = _key(marker)
    for name, (scale, aliases) in MARKERS.items():
        if k == _key(name) or k in aliases:
            return scale
    return "linear"


def _unit_text(unit: str) -> str:
    u = re.sub(r"\s+", " ", unit.strip())
    return "%" if u.lower() in _PERCENT else u


def _conversion(unit: str, target: str) -> float | None:
    """Factor from ``unit`` to ``target`` (1 if the same text), or None if pint cannot convert."""
    if unit.lower() == target.lower():
        return 1.0
    try:
        _, a = parse_unit(unit.replace("µ", "u"))
        _, b = parse_unit(target.replace("µ", "u"))
        q = registry().Quantity(1.0, a)
        if not q.is_compatible_with(b):
            return None
        return float(q.to(b).magnitude)
    except Exception:  # pint and our grammar refuse free text such as "per field"
        return None


def _wide_header(header: str) -> tuple[str, str] | None:
    """(marker, unit) of a wide column header, or None if no unit can be read from it."""
    m = _BRACKET.match(header.strip())
    if m and m.group("base").strip() and m.group("unit").strip():
        return m.group("base").strip(), _unit_text(m.group("unit"))
    tokens = [t for t in re.split(r"[_\s]+", header.strip()) if t]
    low = [t.lower() for t in tokens]
    for size in (3, 2, 1):
        if len(tokens) > size and tuple(low[-size:]) in UNIT_SUFFIXES:
            return "_".join(tokens[:-size]), UNIT_SUFFIXES[tuple(low[-size:])]
    return None


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointTable(Serial):
    """One value per animal and marker, in the marker's unit (the first unit seen for it;
    other spellings converted). ``row`` is the input line (0: none)."""

    source: str
    animal_id: tuple[str, ...]
    group: tuple[str, ...]
    marker: tuple[str, ...]
    value: tuple[float, ...]
    unit: tuple[str, ...]
    row: tuple[int, ...]
    flags: tuple[str, ...] = ()

    @property
    def markers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.marker))

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.group))

    def unit_of(self, marker: str) -> str:
        return self.unit[self.marker.index(marker)]

    def frame(self) -> pd.DataFrame:
        """``animal_id, group, marker, value, unit, row``."""
        return pd.DataFrame(
            {
                "animal_id": list(self.animal_id),
                "group": list(self.group),
                "marker": list(self.marker),
                "value": list(self.value),
                "unit": list(self.unit),
                "row": list(self.row),
            }
        )

    def summary(self) -> pd.DataFrame:
        """Per marker and group: n, mean, SD, median and geometric mean (in the marker's unit)."""
        f = self.frame()
        rows = []
        for m in self.markers:
            for g in self.groups:
                v = f.loc[(f["marker"] == m) & (f["group"] == g), "value"].to_numpy(dtype=float)
                if not len(v):
                    continue
                rows.append(
                    {
                        "marker": m,
                        "unit": self.unit_of(m),
                        "group": g,
                        "n": len(v),
                        "mean": float(np.mean(v)),
                        "SD": float(np.std(v, ddof=1)) if len(v) > 1 else math.nan,
                        "median": float(np.median(v)),
                        "geometric mean": float(np.exp(np.mean(np.log(v))))
                        if (v > 0).all()
                        else math.nan,
                    }
                )
        return pd.DataFrame(rows)


def _column(headers: Sequence[str], names: Sequence[str]) -> str | None:
    for h in headers:
        if _norm(h) in names:
            return h
    return None


def build_endpoint_table(
    frame: pd.DataFrame,
    *,
    source: str = "table",
    lines: Sequence[int] | None = None,
    columns: Mapping[str, str] | None = None,
) -> EndpointTable:
    """An :class:`EndpointTable` from a tidy or wide DataFrame (see the module docstring).

    ``columns`` renames headers first (``{"Mouse": "animal_id", "TRAP": "TRAcP [U/L]"}``);
    ``lines`` are the input line numbers of the rows (default: position + 2).

    >>> f = pd.DataFrame({"animal_id": ["m1", "m2"], "group": ["vehicle", "combo"],
    ...                   "TRAcP_U_L": ["4.1", "2.0"], "Ki67 (%)": ["35", "12"]})
    >>> t = build_endpoint_table(f)
    >>> t.markers, t.unit_of("TRAcP"), t.unit_of("Ki67")
    (('TRAcP', 'Ki67'), 'U/L', '%')
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a DataFrame, got {type(frame).__name__}", file=source)
    if frame.empty:
        raise InputError("the table has no data rows", file=source)
    line_of = list(lines) if lines is not None else [i + 2 for i in range(len(frame))]
    if len(line_of) != len(frame):
        raise InputError("lines and rows differ in number", file=source, field="lines")
    rename = {str(k).strip(): str(v) for k, v in (columns or {}).items()}
    headers = [rename.get(str(c).strip(), str(c).strip()) for c in frame.columns]
    unknown = [k for k in rename if k not in [str(c).strip() for c in frame.columns]]
    if unknown:
        raise InputError(f"columns= names {quote(unknown[0])}, which is not a column", file=source)
    cells = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    id_col = _column(headers, _ID)
    group_col = _column(headers, _GROUP)
    missing = [n for n, c in (("animal_id", id_col), ("group", group_col)) if c is None]
    if missing:
        have = ", ".join(quote(h, 40) for h in headers[:20])
        raise InputError(f"missing column(s) {', '.join(missing)}; columns: {have}", file=source)
    assert id_col is not None and group_col is not None
    j_id, j_group = headers.index(id_col), headers.index(group_col)
    marker_col = _column(headers, ("marker", "analyte", "endpoint", "biomarker"))
    records: list[tuple[int, str, str, str, str, str, str]] = []  # line, id, group, marker...
    if marker_col is not None:
        value_col = _column(headers, ("value", "result"))
        unit_col = _column(headers, ("unit", "units"))
        if value_col is None or unit_col is None:
            lacking = "value" if value_col is None else "unit"
            raise InputError(
                f"a tidy table with a marker column needs a {lacking} column too"
                + (" (every value carries its unit)" if lacking == "unit" else ""),
                file=source,
            )
        jm, jv, ju = (headers.index(c) for c in (marker_col, value_col, unit_col))
        for line, r in zip(line_of, cells, strict=True):
            if any(r):
                records.append((line, r[j_id], r[j_group], r[jm], r[jv], r[ju], unit_col))
    else:
        markers: list[tuple[int, str, str]] = []
        for j, h in enumerate(headers):
            if j in (j_id, j_group):
                continue
            parsed = _wide_header(h)
            if parsed is None:
                raise UnitError(
                    f"column {quote(h)} has no unit: write it as e.g. '{h} [U/L]' or "
                    f"'{h}_pg_mL' (or give a tidy table with a unit column)",
                    file=source,
                    column=h,
                )
            markers.append((j, parsed[0], parsed[1]))
        if not markers:
            raise InputError(
                "no marker columns: give one column per marker with its unit, or a tidy "
                "table (animal_id, group, marker, value, unit)",
                file=source,
            )
        for line, r in zip(line_of, cells, strict=True):
            if not any(r):
                continue
            for j, marker, unit in markers:
                records.append((line, r[j_id], r[j_group], marker, r[j], unit, headers[j]))
    return _assemble(records, source)


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _assemble(
    records: list[tuple[int, str, str, str, str, str, str]], source: str
) -> EndpointTable:
    group_of: dict[str, tuple[str, int]] = {}
    unit_of: dict[str, tuple[str, int]] = {}
    seen: dict[tuple[str, str], int] = {}
    out: dict[str, list[Any]] = {
        k: [] for k in ("animal_id", "group", "marker", "value", "unit", "row")
    }
    blanks = 0
    for line, animal, group, marker, text, unit, column in records:
        where: dict[str, Any] = {"file": source, "row": line}
        if not animal:
            raise InputError("animal_id is missing", **where)
        where["field"] = f"animal {animal}"
        if not group:
            raise InputError("group is missing", **where)
        if not marker:
            raise InputError("marker is missing", column=column, **where)
        if len(animal) > 100 or len(group) > 200 or len(marker) > 200:
            raise InputError("an id, group or marker name is too long", **where)
        first = group_of.setdefault(animal, (group, line))
        if first[0] != group:
            raise InputError(
                f"animal {quote(animal)} is in group {quote(first[0])} (row {first[1]}) and in "
                f"group {quote(group)}",
                **where,
            )
        if not text or text.lower() in {"na", "nan", "n/a", "-"}:
            blanks += 1
            continue
        try:
            value = float(
                text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
            )
        except ValueError:
            raise InputError(
                f"{marker} value {quote(text)} is not a number", column=column, **where
            ) from None
        if not math.isfinite(value):
            raise InputError(f"{marker} value is not a finite number", column=column, **where)
        unit = _unit_text(unit)
        if not unit:
            raise UnitError(f"{marker} value {text} has no unit", column=column, **where)
        if len(unit) > 40:
            raise UnitError(
                f"unit {quote(unit)} is longer than 40 characters", column=column, **where
            )
        if value < 0:
            raise InputError(f"{marker} value {value:g} {unit} is negative", column=column, **where)
        target, target_line = unit_of.setdefault(marker, (unit, line))
        factor = _conversion(unit, target)
        if factor is None:
            raise UnitError(
                f"{marker} is in {quote(target)} (row {target_line}) and in {quote(unit)}, which "
                "cannot be converted into each other",
                column=column,
                **where,
            )
        value *= factor
        if target == "%" and value > 100:
            raise InputError(f"{marker} value {value:g} % is above 100 %", column=column, **where)
        key = (animal, marker)
        if key in seen:
            raise InputError(
                f"animal {quote(animal)} has two {marker} values (rows {seen[key]} and {line}); "
                "average replicates first",
                column=column,
                **where,
            )
        seen[key] = line
        for k, v in (
            ("animal_id", animal),
            ("group", group),
            ("marker", marker),
            ("value", value),
            ("unit", target),
            ("row", line),
        ):
            out[k].append(v)
    if not out["value"]:
        raise InputError("the table has no values", file=source)
    flags = []
    if blanks:
        flags.append(f"{blanks} blank value(s): not measured")
    groups = list(dict.fromkeys(out["group"]))
    for m in dict.fromkeys(out["marker"]):
        for g in groups:
            n = sum(
                1 for mm, gg in zip(out["marker"], out["group"], strict=True) if mm == m and gg == g
            )
            if n < MIN_GROUP_SIZE:
                flags.append(f"{m}: group {g} has {n} animal(s), fewer than {MIN_GROUP_SIZE}")
    return EndpointTable(
        source=source,
        animal_id=tuple(out["animal_id"]),
        group=tuple(out["group"]),
        marker=tuple(out["marker"]),
        value=tuple(float(v) for v in out["value"]),
        unit=tuple(out["unit"]),
        row=tuple(out["row"]),
        flags=tuple(flags),
    )


def endpoint_table(
    records: Sequence[tuple[str, str, str, float, str]],
    *,
    source: str,
    flags: Sequence[str] = (),
) -> EndpointTable:
    """An :class:`EndpointTable` from ``(animal_id, group, marker, value, unit)`` records made
    elsewhere (another analysis's results), checked as a file's rows are (one group per
    animal, one value per animal and marker, units converted); ``flags`` are added."""
    table = _assemble(
        [
            (0, a, g, m, repr(float(v)), u, "value")
            for a, g, m, v, u in records  # repr keeps every digit
        ],
        source,
    )
    return dataclasses.replace(table, flags=(*flags, *table.flags))


def merge_endpoints(tables: Sequence[EndpointTable]) -> EndpointTable:
    """Several endpoint tables as one (an animal keeps one group; a marker in two tables for
    the same animal is refused, naming both sources)."""
    if len(tables) == 1:
        return tables[0]
    seen: dict[tuple[str, str], str] = {}
    for t in tables:
        for a, m in zip(t.animal_id, t.marker, strict=True):
            if (a, m) in seen:
                raise InputError(
                    f"animal {quote(a)} has {m} values in {quote(seen[(a, m)])} and in "
                    f"{quote(t.source)}",
                    field=f"animal {a}",
                )
            seen[(a, m)] = t.source
    records = [
        (a, g, m, v, u)
        for t in tables
        for a, g, m, v, u in zip(t.animal_id, t.group, t.marker, t.value, t.unit, strict=True)
    ]
    flags = [f for t in tables for f in t.flags]
    merged = endpoint_table(records, source=" + ".join(t.source for t in tables))
    rows = tuple(r for t in tables for r in t.row)
    return dataclasses.replace(
        merged, row=rows, flags=tuple(dict.fromkeys((*flags, *merged.flags)))
    )


def read_endpoints(
    content: bytes, name: str, *, columns: Mapping[str, str] | None = None
) -> EndpointTable:
    """An :class:`EndpointTable` from CSV, TSV or xlsx bytes, tidy or wide (module docstring)."""
    frame, lines = read_tabular(content, name)
    return build_endpoint_table(frame, source=name, lines=lines, columns=columns)


# --- comparisons --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkerGroup(Serial):
    """One marker in one group: n, mean, SD, median and geometric mean (marker's unit)."""

    marker: str
    unit: str
    group: str
    n: int
    mean: float
    sd: float
    median: float
    geometric_mean: float


@dataclass(frozen=True)
class MarkerEffect(Serial):
    """``group`` against ``reference`` for one marker.

    ``scale="log"``: ``effect`` is the ratio of geometric means (``center`` = geometric
    means, in ``unit``); ``"linear"``: the difference of means (in ``unit``). ``ci_kind`` names
    the interval (Welch, or Dunnett's simultaneous interval); ``p`` is Welch's, ``p_adjusted``
    per ``adjustment``; ``null`` is the no-effect value (1 or 0) for a forest plot.
    """

    marker: str
    unit: str
    scale: Scale
    group: str
    reference: str
    n: int
    n_reference: int
    center: float
    center_reference: float
    effect: float
    ci_lower: float
    ci_upper: float
    effect_kind: str
    ci_kind: str
    p: float
    p_adjusted: float
    adjustment: str
    mann_whitney_p: float

    @property
    def null(self) -> float:
        return 1.0 if self.scale == "log" else 0.0


@dataclass(frozen=True)
class EndpointComparison(Serial):
    """Every marker compared across arms (see :func:`compare_endpoints`)."""

    source: str
    control: str
    adjustment: EndpointAdjustment
    conf_level: float
    effects: tuple[MarkerEffect, ...]
    groups: tuple[MarkerGroup, ...]
    flags: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """One row per marker and comparison: centres, effect with CI, p and adjusted p."""
        level = f"{self.conf_level:.0%}"
        return pd.DataFrame(
            [
                {
                    "marker": e.marker,
                    "unit": e.unit,
                    "group": e.group,
                    "reference": e.reference,
                    "n": e.n,
                    "n reference": e.n_reference,
                    "centre": e.center,
                    "centre reference": e.center_reference,
                    "effect": e.effect_kind,
                    "estimate": e.effect,
                    f"lower {level}": e.ci_lower,
                    f"upper {level}": e.ci_upper,
                    "CI": e.ci_kind,
                    "p (Welch)": e.p,
                    "p adjusted": e.p_adjusted,
                    "adjustment": e.adjustment,
                    "Mann-Whitney p": e.mann_whitney_p,
                }
                for e in self.effects
            ]
        )

    def forest_table(self) -> pd.DataFrame:
        """The rows of a forest plot: label, estimate, CI, no-effect value and scale."""
        return pd.DataFrame(
            [
                {
                    "label": f"{e.marker}: {e.group} vs {e.reference}",
                    "marker": e.marker,
                    "estimate": e.effect,
                    "lower": e.ci_lower,
                    "upper": e.ci_upper,
                    "null": e.null,
                    "scale": e.scale,
                    "effect": e.effect_kind + ("" if e.scale == "log" else f" ({e.unit})"),
                    "p adjusted": e.p_adjusted,
                }
                for e in self.effects
            ]
        )


def compare_endpoints(
    table: EndpointTable,
    *,
    control: str,
    pairs: Sequence[tuple[str, str]] = (),
    adjustment: EndpointAdjustment = "holm",
    scales: Mapping[str, Scale] | None = None,
    conf_level: float = 0.95,
    seed: int = 0,
) -> EndpointComparison:
    """Each group against ``control`` (and the named ``pairs``) for every marker.

    ``scales`` overrides the default scale of a marker (:data:`MARKERS`; unknown markers are
    linear). A log-scale marker needs every value > 0 (else one error naming the row: choose
    the linear scale). ``adjustment="holm"``: Welch CIs and Holm over all markers and
    comparisons; ``"dunnett"``: per marker, Dunnett's p and simultaneous CIs against the control
    (its integral seeded by ``seed``), the named pairs Welch with Holm among themselves.
    """
    if adjustment not in get_args(EndpointAdjustment):
        raise InputError(
            f"adjustment must be holm or dunnett, got {quote(adjustment)}", field="adjustment"
        )
    if not (isinstance(conf_level, float) and 0 < conf_level < 1):
        raise InputError(f"conf_level must be in (0, 1), got {conf_level!r}", field="conf_level")
    groups = table.groups
    if control not in groups:
        raise InputError(
            f"control {quote(control)} is not a group; groups: {', '.join(groups)}",
            file=table.source,
            field="control",
        )
    for m, s in (scales or {}).items():
        if m not in table.markers:
            raise InputError(
                f"scales names {quote(m)}, which is not a marker; markers: "
                + ", ".join(table.markers),
                field="scales",
            )
        if s not in ("log", "linear"):
            raise InputError(
                f"scale of {m} must be 'log' or 'linear', got {quote(s)}", field="scales"
            )
    family = [(g, control) for g in groups if g != control]
    for i, pair in enumerate(pairs, start=1):
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise InputError(
                f"pair {i} must be (group, reference), got {quote(pair)}", field="pairs"
            )
        g, ref = str(pair[0]), str(pair[1])
        for n in (g, ref):
            if n not in groups:
                raise InputError(
                    f"pair {i}: {quote(n)} is not a group; groups: {', '.join(groups)}",
                    field="pairs",
                )
        if g != ref and (g, ref) not in family:
            family.append((g, ref))
    f = table.frame()
    effects: list[dict[str, Any]] = []
    summaries: list[MarkerGroup] = []
    flags = list(table.flags)
    for marker in table.markers:
        unit = table.unit_of(marker)
        scale: Scale = (scales or {}).get(marker, _default_scale(marker))
        part = f[f["marker"] == marker]
        raw = {g: part.loc[part["group"] == g, "value"].to_numpy(dtype=float) for g in groups}
        if scale == "log":
            bad = part[part["value"] <= 0]
            if len(bad):
                r = bad.iloc[0]
                raise InputError(
                    f"{marker} is compared on the log scale but has the value {r['value']:g} "
                    f"{unit}; give it scales={{{marker!r}: 'linear'}}",
                    file=table.source,
                    row=int(r["row"]) or None,
                    field=f"animal {r['animal_id']}",
                )
        scaled = {g: np.log(v) if scale == "log" else v for g, v in raw.items()}
        for g in groups:
            v = raw[g]
            if len(v):
                summaries.append(
                    MarkerGroup(
                        marker=marker,
                        unit=unit,
                        group=g,
                        n=len(v),
                        mean=float(np.mean(v)),
                        sd=float(np.std(v, ddof=1)) if len(v) > 1 else math.nan,
                        median=float(np.median(v)),
                        geometric_mean=float(np.exp(np.mean(np.log(v))))
                        if (v > 0).all()
                        else math.nan,
                    )
                )
        usable = [(g, ref) for g, ref in family if len(scaled[g]) >= 2 and len(scaled[ref]) >= 2]
        for g, ref in family:
            if (g, ref) not in usable:
                flags.append(f"{marker}: {g} vs {ref} not compared (fewer than two values)")
        dunnett: dict[str, tuple[float, float, float]] = {}
        vs_control = [g for g, ref in usable if ref == control]
        if adjustment == "dunnett" and vs_control:
            res = dunnett_test(
                [scaled[g] for g in vs_control], scaled[control], seed=seed, conf_level=conf_level
            )
            if res is None:
                flags.append(f"{marker}: no variation within any group; no Dunnett test")
            elif any(math.isnan(v) for v in res[1]):
                flags.append(f"{marker}: Dunnett's simultaneous CI did not converge; none given")
            for k, g in enumerate(vs_control):
                dunnett[g] = (math.nan,) * 3 if res is None else (res[0][k], res[1][k], res[2][k])
        for g, ref in usable:
            x, y = scaled[g], scaled[ref]
            _, _, p, w_lo, w_hi = welch_test(x, y, conf_level)
            if math.isnan(p):
                flags.append(f"{marker}: {g} vs {ref} have one value each throughout; no test")
            _, p_mw, _ = mann_whitney_test(raw[g], raw[ref])
            diff = float(np.mean(x) - np.mean(y))
            if g in dunnett and ref == control:
                p_adj, lo, hi = dunnett[g]
                ci_kind, how = "Dunnett simultaneous", "Dunnett"
            else:
                p_adj, lo, hi = math.nan, w_lo, w_hi
                ci_kind, how = "Welch", "Holm" if adjustment == "holm" else "Holm (pairs)"
            back = math.exp if scale == "log" else (lambda z: z)
            effects.append(
                {
                    "marker": marker,
                    "unit": unit,
                    "scale": scale,
                    "group": g,
                    "reference": ref,
                    "n": len(x),
                    "n_reference": len(y),
                    "center": float(back(np.mean(x))),
                    "center_reference": float(back(np.mean(y))),
                    "effect": float(back(diff)),
                    "ci_lower": float(back(lo)),
                    "ci_upper": float(back(hi)),
                    "effect_kind": "ratio of geometric means"
                    if scale == "log"
                    else "difference of means",
                    "ci_kind": f"{ci_kind} {conf_level:.0%}",
                    "p": p,
                    "p_adjusted": p_adj,
                    "adjustment": how,
                    "mann_whitney_p": p_mw,
                }
            )
    holm_rows = [e for e in effects if e["adjustment"] != "Dunnett"]
    for e, p_holm in zip(holm_rows, holm_adjust([e["p"] for e in holm_rows]), strict=True):
        e["p_adjusted"] = p_holm
    return EndpointComparison(
        source=table.source,
        control=control,
        adjustment=adjustment,
        conf_level=conf_level,
        effects=tuple(MarkerEffect(**e) for e in effects),
        groups=tuple(summaries),
        flags=tuple(flags),
    )
