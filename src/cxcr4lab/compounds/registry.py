"""The compound registry: names, synonyms, identity, solubility and storage of each compound.

The registry ships as ``registry.toml`` inside this package. Look-ups ignore case, spaces,
dashes and underscores, so ``"amd3100"``, ``"AMD-3100"`` and ``"Mozobil"`` all find plerixafor.

>>> reg = load_registry()
>>> reg.get("pol6326").name
'balixafortide'
>>> reg.get("AMD-3100").molecular_weight_g_per_mol
502.8
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from cxcr4lab.core.errors import InputError, NotFoundError, Place, quote
from cxcr4lab.core.files import read_input
from cxcr4lab.core.limits import MAX_TOML_BYTES, check_toml

__all__ = [
    "Compound",
    "Registry",
    "Solubility",
    "StorageRule",
    "load_registry",
    "normalize_name",
]

StorageKind = Literal["stable for", "use within"]

_REQUIRED = ("name", "kind", "mechanism", "source")
_OPTIONAL_TEXT = ("cas", "formula", "smiles", "inchikey", "notes")
_KNOWN = {
    *_REQUIRED,
    *_OPTIONAL_TEXT,
    "synonyms",
    "molecular_weight_g_per_mol",
    "solubility",
    "storage",
}
_STORAGE_RULES: tuple[StorageKind, ...] = ("stable for", "use within")


def normalize_name(name: str) -> str:
    """The look-up key of a name: lower case, Greek alpha spelled out, no spaces/dashes/underscores.

    >>> normalize_name("AMD-3100"), normalize_name("SDF-1α")
    ('amd3100', 'sdf1alpha')
    """
    key = name.casefold().replace("α", "alpha").replace("β", "beta")
    for ch in " \t-_‐–—":
        key = key.replace(ch, "")
    return key


@dataclass(frozen=True)
class Solubility:
    """Solubility in one solvent: ``mg_per_ml`` (mg/mL) where a number is given, else a note."""

    solvent: str
    mg_per_ml: float | None = None
    note: str = ""


@dataclass(frozen=True)
class StorageRule:
    """One storage rule: keep ``form`` at ``temperature_c`` (°C); ``rule`` for ``months``."""

    form: str
    temperature_c: float
    months: float
    rule: StorageKind
    note: str = ""

    def describe(self) -> str:
        """The rule as one line of text, e.g. ``'solution at -20 °C: use within 1 month'``."""
        unit = "month" if self.months == 1 else "months"
        text = f"{self.form} at {self.temperature_c:g} °C: {self.rule} {self.months:g} {unit}"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class Compound:
    """A registry entry; ``molecular_weight_g_per_mol`` is the average MW (g/mol)."""

    name: str
    kind: str
    mechanism: str
    source: str
    synonyms: tuple[str, ...] = ()
    cas: str | None = None
    formula: str | None = None
    molecular_weight_g_per_mol: float | None = None
    smiles: str | None = None
    inchikey: str | None = None
    notes: str = ""
    solubility: tuple[Solubility, ...] = ()
    storage: tuple[StorageRule, ...] = ()

    @property
    def all_names(self) -> tuple[str, ...]:
        """The name followed by its synonyms."""
        return (self.name, *self.synonyms)

    def summary(self) -> pd.DataFrame:
        """One row per fact: columns ``field``, ``value``, ``unit`` (empty where none)."""
        rows: list[tuple[str, object, str]] = [
            ("name", self.name, ""),
            ("synonyms", ", ".join(self.synonyms), ""),
            ("cas", self.cas or "", ""),
            ("formula", self.formula or "", ""),
            (
                "molecular_weight",
                math.nan
                if self.molecular_weight_g_per_mol is None
                else self.molecular_weight_g_per_mol,
                "g/mol",
            ),
            ("smiles", self.smiles or "", ""),
            ("inchikey", self.inchikey or "", ""),
            ("kind", self.kind, ""),
            ("mechanism", self.mechanism, ""),
        ]
        for s in self.solubility:
            value: object = math.nan if s.mg_per_ml is None else s.mg_per_ml
            label = f"solubility in {s.solvent}" + (f" ({s.note})" if s.note else "")
            rows.append((label, value, "mg/mL"))
        for r in self.storage:
            label = f"storage: {r.form} at {r.temperature_c:g} °C, {r.rule}"
            rows.append((label + (f" ({r.note})" if r.note else ""), r.months, "months"))
        rows += [("notes", self.notes, ""), ("source", self.source, "")]
        return pd.DataFrame(rows, columns=["field", "value", "unit"])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (tuples become lists)."""
        return {
            "name": self.name,
            "synonyms": list(self.synonyms),
            "cas": self.cas,
            "formula": self.formula,
            "molecular_weight_g_per_mol": self.molecular_weight_g_per_mol,
            "smiles": self.smiles,
            "inchikey": self.inchikey,
            "kind": self.kind,
            "mechanism": self.mechanism,
            "notes": self.notes,
            "source": self.source,
            "solubility": [
                {"solvent": s.solvent, "mg_per_mL": s.mg_per_ml, "note": s.note}
                for s in self.solubility
            ],
            "storage": [
                {
                    "form": r.form,
                    "temperature_C": r.temperature_c,
                    "months": r.months,
                    "rule": r.rule,
                    "note": r.note,
                }
                for r in self.storage
            ],
        }


class Registry:
    """An immutable, ordered collection of compounds with forgiving name look-up."""

    def __init__(self, compounds: tuple[Compound, ...], *, origin: str = "registry") -> None:
        index: dict[str, Compound] = {}
        for c in compounds:
            for alias in c.all_names:
                key = normalize_name(alias)
                other = index.get(key)
                if other is not None and other is not c:
                    raise InputError(
                        f"name {quote(alias)} is used by both {quote(other.name)} and {quote(c.name)}",
                        file=origin,
                        block=c.name,
                        field="synonyms",
                    )
                index[key] = c
        self._compounds = compounds
        self._index: Mapping[str, Compound] = index
        self.origin = origin

    def get(self, name: str) -> Compound:
        """The compound with this name or synonym; :class:`NotFoundError` lists close matches."""
        found = self._index.get(normalize_name(name))
        if found is not None:
            return found
        close = difflib.get_close_matches(normalize_name(name), list(self._index), n=3, cutoff=0.6)
        shown = []
        for key in close:
            c = self._index[key]
            alias = next(a for a in c.all_names if normalize_name(a) == key)
            shown.append(alias if alias == c.name else f"{alias} ({c.name})")
        hint = f" Did you mean {' or '.join(shown)}?" if shown else ""
        raise NotFoundError(
            f"no compound {quote(name)} in {self.origin}.{hint} Known: {', '.join(self.names())}."
        )

    def names(self) -> tuple[str, ...]:
        """The compounds' main names, in registry order."""
        return tuple(c.name for c in self._compounds)

    def __iter__(self) -> Iterator[Compound]:
        return iter(self._compounds)

    def __len__(self) -> int:
        return len(self._compounds)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalize_name(name) in self._index

    def __repr__(self) -> str:
        return f"Registry({len(self)} compounds from {self.origin})"


def load_registry(path: str | Path | None = None) -> Registry:
    """The shipped registry, or one read from ``path`` (a TOML file); cached per path."""
    return _load(None if path is None else Path(path))


@lru_cache(maxsize=8)
def _load(path: Path | None) -> Registry:
    if path is None:
        origin = "registry.toml (cxcr4lab.compounds)"
        text = resources.files("cxcr4lab.compounds").joinpath("registry.toml").read_text("utf-8")
    else:
        origin = str(path)
        content = read_input(path, field="registry", limit=MAX_TOML_BYTES)
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("cannot read the registry (not UTF-8 text)", file=origin) from None
        check_toml(text, origin)  # tomllib recurses once per level of nesting
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=origin) from None
    except RecursionError:
        raise InputError("not valid TOML: nested too deeply", file=origin) from None
    entries = data.get("compound")
    if not isinstance(entries, list) or not entries:
        raise InputError("no [[compound]] tables", file=origin)
    compounds: list[Compound] = []
    seen: dict[str, str] = {}
    for i, entry in enumerate(entries, start=1):
        compound = _parse_entry(entry, Place(file=origin, block=f"[[compound]] #{i}"))
        key = normalize_name(compound.name)
        if key in seen:
            raise InputError(
                f"duplicate compound name {quote(compound.name)} (also {quote(seen[key])})",
                file=origin,
                block=compound.name,
                field="name",
            )
        seen[key] = compound.name
        compounds.append(compound)
    return Registry(tuple(compounds), origin=origin)


def _parse_entry(entry: object, where: Place) -> Compound:
    if not isinstance(entry, dict):
        raise InputError("each [[compound]] must be a table", place=where)
    name = entry.get("name")
    if isinstance(name, str) and name.strip():
        where = Place(file=where.file, block=name)
    unknown = sorted(set(entry) - _KNOWN)
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}", place=where)
    for key in _REQUIRED:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise InputError("required text field is missing or empty", place=where, field=key)
    text: dict[str, str | None] = {}
    for key in _OPTIONAL_TEXT:
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(f"must be text, got {quote(value)}", place=where, field=key)
        text[key] = value
    synonyms = entry.get("synonyms", [])
    if not isinstance(synonyms, list) or not all(isinstance(s, str) and s for s in synonyms):
        raise InputError("must be a list of names", place=where, field="synonyms")
    mw = entry.get("molecular_weight_g_per_mol")
    if mw is not None:
        mw = _positive(mw, where, "molecular_weight_g_per_mol")
    return Compound(
        name=entry["name"],
        kind=entry["kind"],
        mechanism=entry["mechanism"],
        source=entry["source"],
        synonyms=tuple(synonyms),
        cas=text["cas"],
        formula=text["formula"],
        molecular_weight_g_per_mol=mw,
        smiles=text["smiles"],
        inchikey=text["inchikey"],
        notes=text["notes"] or "",
        solubility=tuple(_parse_solubility(s, where) for s in _tables(entry, "solubility", where)),
        storage=tuple(_parse_storage(s, where) for s in _tables(entry, "storage", where)),
    )


def _tables(entry: dict[str, Any], key: str, where: Place) -> list[dict[str, Any]]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(f"must be [[compound.{key}]] tables", place=where, field=key)
    return value


def _positive(value: object, where: Place, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"must be a number, got {quote(value)}", place=where, field=field)
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise InputError(f"must be > 0, got {quote(value)}", place=where, field=field)
    return number


def _parse_solubility(table: dict[str, Any], where: Place) -> Solubility:
    solvent = table.get("solvent")
    if not isinstance(solvent, str) or not solvent:
        raise InputError("needs a solvent", place=where, field="solubility")
    mg = table.get("mg_per_mL")
    return Solubility(
        solvent=solvent,
        mg_per_ml=None if mg is None else _positive(mg, where, f"solubility.{solvent}"),
        note=str(table.get("note", "")),
    )


def _parse_storage(table: dict[str, Any], where: Place) -> StorageRule:
    form, rule, temp = table.get("form"), table.get("rule"), table.get("temperature_C")
    if not isinstance(form, str) or not form:
        raise InputError("needs a form", place=where, field="storage")
    if rule not in _STORAGE_RULES:
        raise InputError(
            f"rule must be one of {_STORAGE_RULES}, got {quote(rule)}", place=where, field="storage"
        )
    if isinstance(temp, bool) or not isinstance(temp, int | float):
        raise InputError(
            f"temperature_C must be a number, got {quote(temp)}", place=where, field="storage"
        )
    return StorageRule(
        form=form,
        temperature_c=float(temp),
        months=_positive(table.get("months"), where, "storage.months"),
        rule=rule,
        note=str(table.get("note", "")),
    )
