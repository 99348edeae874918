"""Plate layouts in wellmap TOML: which well holds what, at which concentration.

wellmap (https://wellmap.readthedocs.io) does the parsing; this module gives its table the
meanings the assays need and checks them:

* ``role``: what the well is for. Binding uses ``total`` (total binding), ``nsb``
  (non-specific binding) and ``sample``; other assays add their own (``max``, ``min``,
  ``vehicle``, ``no_agonist``, ``blank``); ``combination`` marks a checkerboard well, whose two
  concentrations are ``conc_r`` and ``conc_c`` (read by the synergy kind, not here). ``empty``
  or no role: the well is not used.
* ``compound``: the sample's compound (name or synonym).
* ``conc``: concentration as text with a unit (``"10 nM"``), or a number with ``conc_unit``.
* ``exclude``: a reason to mask the well (kept and reported, not silently dropped).
* ``aliquot``: the label of the inventory aliquot the well's compound came from (text); a
  top-level ``aliquot = "..."`` (before any table) names one for the whole plate.
  :meth:`Layout.aliquot_labels` lists them; the app checks them against the inventory where the
  analysis is saved.
* any other key (e.g. ELISA's ``level``, ``sample``, ``dilution``, ``analyte``) is kept as a
  column of ``Layout.table`` unchanged, for the assay that reads it.

A ``[expt]`` entry ``plate = 384`` states the plate format; otherwise it is inferred.
"""

from __future__ import annotations

import hashlib
import math
import threading
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd

from cxcr4lab.assays.wells import FORMATS, PlateFormat, format_for_wells, well_position
from cxcr4lab.core.errors import InputError, Place, UnitError, quote, shorten
from cxcr4lab.core.files import read_input
from cxcr4lab.core.limits import MAX_NAME_CHARS, MAX_TOML_BYTES, check_size, check_toml
from cxcr4lab.core.units import to_molar

__all__ = ["ROLE_ALIASES", "Layout", "read_layout", "read_layout_bytes"]

ROLE_ALIASES: dict[str, str] = {
    "total": "total",
    "total binding": "total",
    "tb": "total",
    "nsb": "nsb",
    "non-specific": "nsb",
    "nonspecific": "nsb",
    "non-specific binding": "nsb",
    "sample": "sample",
    "compound": "sample",
    "test": "sample",
    "empty": "empty",
    "blank": "blank",
    "max": "max",
    "min": "min",
    "vehicle": "vehicle",
    "no_agonist": "no_agonist",
    "no agonist": "no_agonist",
    "buffer": "buffer",
    "agonist": "agonist",
    "standard": "standard",
    "std": "standard",
    "unknown": "unknown",
    "qc": "qc",
    "calibrator": "calibrator",
    "combination": "combination",
    "checkerboard": "combination",
}

MwLookup = Callable[[str], float | None]

# Keys wellmap adds itself or that this module interprets; every other key is kept as is.
_WELLMAP_KEYS = frozenset(
    {"well", "well0", "row", "col", "row_i", "col_j", "path", "plate"}
    | {"role", "compound", "conc", "conc_unit", "exclude"}
)


@dataclass(frozen=True, eq=False)
class Layout:
    """A checked layout. ``table`` columns: well, row, col, role, compound, conc_molar, exclude,
    then any extra keys of the layout (see the module docstring)."""

    source: str
    format: PlateFormat
    table: pd.DataFrame
    experiment: dict[str, object]

    def wells(self, role: str) -> pd.DataFrame:
        return self.table[(self.table["role"] == role) & self.table["exclude"].isna()]

    def require_roles(self, roles: Iterable[str], *, assay: str) -> None:
        present = set(self.wells_used()["role"])
        missing = [r for r in roles if r not in present]
        if missing:
            raise InputError(
                f"the {assay} assay needs wells with role {', '.join(repr(r) for r in missing)}; "
                f"this layout has roles {', '.join(sorted(present)) or 'none'}",
                file=self.source,
            )

    def wells_used(self) -> pd.DataFrame:
        return self.table[self.table["role"] != "empty"]

    def aliquot_labels(self) -> tuple[str, ...]:
        """The inventory aliquots the layout names: the top-level ``aliquot``, then those of
        the used wells, each once, in order of appearance."""
        labels: list[str] = []
        top = self.experiment.get("aliquot")
        if isinstance(top, str):
            labels.append(top)
        if "aliquot" in self.table.columns:
            for value in self.wells_used()["aliquot"]:
                if not _missing(value) and str(value).strip() not in labels:
                    labels.append(str(value).strip())
        return tuple(labels)


def read_layout(path: str | Path, *, mw_lookup: MwLookup | None = None) -> Layout:
    """Read and check a wellmap TOML layout file."""
    p = Path(path)
    content = read_input(p, field="layout file", limit=MAX_TOML_BYTES)
    return read_layout_bytes(content, p.name, mw_lookup=mw_lookup)


_CACHE_SIZE = 32
_cache: dict[tuple[bytes, str, MwLookup | None], Layout] = {}
_cache_lock = threading.Lock()


def read_layout_bytes(content: bytes, name: str, *, mw_lookup: MwLookup | None = None) -> Layout:
    """Read and check a layout given as bytes (uploads, stored inputs).

    A lab uploads the same layout with plate after plate, so the last :data:`_CACHE_SIZE`
    layouts read are kept by (content digest, name, lookup) and a hit costs a table copy
    instead of wellmap's parse (about 20 ms for 384 wells). ``mw_lookup`` must answer the same
    for the same name while the process runs (the compound registry is read once).
    """
    key = (hashlib.sha256(content).digest(), name, mw_lookup)
    hit = _cache.get(key)
    if hit is None:
        hit = _read_layout_bytes(content, name, mw_lookup)
        with _cache_lock:
            if len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = hit
    return Layout(hit.source, hit.format, hit.table.copy(), dict(hit.experiment))


def _read_layout_bytes(content: bytes, name: str, mw_lookup: MwLookup | None) -> Layout:
    import tempfile

    import wellmap

    check_size(content, name, limit=MAX_TOML_BYTES)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not a valid TOML layout (not UTF-8 text)", file=name) from None
    check_toml(text, name)  # tomllib recurses once per level of nesting
    try:
        top = tomllib.loads(text).get("aliquot")
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not a valid TOML layout ({shorten(str(exc))})", file=name) from None
    except RecursionError:
        raise InputError("not a valid TOML layout (nested too deeply)", file=name) from None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "layout.toml"
        path.write_text(text, encoding="utf-8")
        try:
            raw = wellmap.load(path)
        except Exception as exc:  # wellmap raises its own LayoutError and others
            message = str(exc).replace(str(path), name).strip().splitlines()
            raise InputError(
                f"wellmap could not read the layout: {shorten(' '.join(message), 300)}",
                file=name,
            ) from None
    if raw.empty:
        raise InputError("layout defines no wells", file=name)
    experiment: dict[str, object] = {}
    if top is not None:
        if not isinstance(top, str) or not top.strip() or len(top) > MAX_NAME_CHARS:
            raise InputError(
                f"aliquot = {quote(top)} must be an aliquot label in quotes",
                file=name,
                field="aliquot",
            )
        experiment["aliquot"] = top.strip()
    if "plate" in raw.columns:
        stated: list[object] = []
        for value in raw["plate"]:
            if _missing(value):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InputError(
                    f"plate = {quote(value)} is not a plate format (6, 24, 96, 384, 1536)",
                    file=name,
                    field="[expt] plate",
                )
            if value not in stated:
                stated.append(value)
        if len(stated) > 1:
            raise InputError(
                f"plate format given twice differently: {quote(stated)}",
                file=name,
                field="[expt] plate",
            )
        if stated:
            experiment["plate"] = stated[0]
    return _check(raw, name, experiment, mw_lookup)


def _check(
    raw: pd.DataFrame, name: str, experiment: dict[str, object], mw_lookup: MwLookup | None
) -> Layout:
    if "role" not in raw.columns:
        raise InputError("layout gives no 'role' to any well (e.g. role = \"sample\")", file=name)
    rows = []
    extra = [str(c) for c in raw.columns if str(c) not in _WELLMAP_KEYS]
    records = cast(list[dict[str, object]], raw.to_dict("records"))
    for rec in records:
        well = str(rec["well"])
        place = Place(file=name, well=well)
        _check_values(rec, place)
        role_raw = rec.get("role")
        role = "empty" if _missing(role_raw) else ROLE_ALIASES.get(str(role_raw).strip().lower())
        if role is None:
            raise InputError(
                f"unknown role {quote(role_raw)}; roles: {', '.join(sorted(set(ROLE_ALIASES.values())))}",
                place=place,
                column="role",
            )
        compound = None if _missing(rec.get("compound")) else str(rec["compound"]).strip()
        conc = _concentration(rec, compound, place, mw_lookup)
        if role == "sample" and conc is None:
            raise InputError("sample well has no concentration ('conc')", place=place)
        if role == "sample" and compound is None:
            raise InputError("sample well has no 'compound'", place=place)
        excluded = rec.get("exclude")
        if isinstance(excluded, bool):
            excluded = "excluded" if excluded else None
        exclude = None if _missing(excluded) else str(excluded)
        rows.append(
            {
                "well": well,
                "row": str(rec["row"]),
                "col": int(str(rec["col"])),
                "role": role,
                "compound": compound,
                "conc_molar": conc if conc is not None else math.nan,
                "exclude": exclude,
                **{k: rec[k] for k in extra},
            }
        )
    table = pd.DataFrame(rows)
    fmt = _format(table, experiment, name)
    return Layout(name, fmt, table, experiment)


def _format(table: pd.DataFrame, experiment: dict[str, object], name: str) -> PlateFormat:
    inferred = format_for_wells(list(table["well"]))
    stated = experiment.get("plate")
    if stated is None:
        return inferred
    fmt = next((f for f in FORMATS if str(f.wells) == str(stated)), None)
    if fmt is None:
        raise InputError(
            f"plate = {quote(stated)} is not a plate format (6, 24, 96, 384, 1536)",
            file=name,
            field="[expt] plate",
        )
    outside = [w for w in table["well"] if not fmt.contains(*well_position(str(w)))]
    if outside:
        raise InputError(
            f"layout uses wells beyond a {fmt.wells}-well plate (e.g. {outside[0]})",
            file=name,
            field="[expt] plate",
        )
    return fmt


_TEXT_KEYS = ("role", "compound", "conc_unit", "aliquot")  # text (a compound may be a number)


def _check_values(rec: dict[str, object], place: Place) -> None:
    """Refuse TOML values of the wrong kind (arrays, tables, booleans, dates) in a well's keys,
    before any of them is hashed, compared or converted."""
    for key, value in rec.items():
        if key in _WELLMAP_KEYS - {"role", "compound", "conc", "conc_unit", "exclude"}:
            continue
        if isinstance(value, list | tuple | dict | set):
            raise InputError(
                f"{shorten(str(key), 40)} = {quote(value)}: a well's value must be text or a number, "
                "not an array or table",
                place=place,
                column=str(key),
            )
        wrong = isinstance(value, bool) or not isinstance(value, str | int | float)
        if key in _TEXT_KEYS and not _missing(value) and wrong:
            raise InputError(
                f"{key} = {quote(value)} must be text (in quotes)", place=place, column=key
            )
        if isinstance(value, str) and len(value) > MAX_NAME_CHARS:
            raise InputError(
                f"{shorten(str(key), 40)} = {quote(value)} is longer than the "
                f"{MAX_NAME_CHARS} characters a layout value may have",
                place=place,
                column=str(key),
            )
        if key == "exclude" and not _missing(value) and not isinstance(value, str | bool):
            raise InputError(
                f"exclude = {quote(value)} must be a reason in quotes (or true)",
                place=place,
                column=key,
            )


def _missing(v: object) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def _concentration(
    rec: dict[str, object], compound: str | None, place: Place, mw_lookup: MwLookup | None
) -> float | None:
    value = rec.get("conc")
    if _missing(value):
        return None
    unit = rec.get("conc_unit")
    unit_s = None if _missing(unit) else str(unit)
    mw = mw_lookup(compound) if (mw_lookup is not None and compound is not None) else None
    cplace = Place(file=place.file, well=place.well, column="conc")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UnitError(f"concentration {quote(value)} is not a number with a unit", place=cplace)
    if not isinstance(value, str) and unit_s is None:
        raise UnitError(
            f'concentration {quote(value)} has no unit: write conc = "{value:g} nM" or set '
            "conc_unit",
            place=cplace,
        )
    return to_molar(value, unit_s, mw_g_per_mol=mw, place=cplace)  # an int too big: UnitError
