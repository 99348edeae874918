"""An inventory file checked without the store: every stock's and aliquot's expiry, freeze-thaw
count and status on a date, the net peptide figures, the registry's solubility facts and, when
given, the solubility assessment (the ``inventory`` analysis kind, docs/inventory.md).

The file is the TOML that ``cxcr4lab inventory import`` reads
(:func:`~cxcr4lab.compounds.inventory.read_inventory_toml`); the values are checked as the store
checks them (registry compound, covered storage temperature, a preparation date not after the
status date nor after today, an aliquot not made before its stock, positive volumes and
concentrations, unique labels) and a refusal is one :class:`InputError` naming the file and the
table (``[[stock]] #2``) and key. Statuses are those of
:func:`~cxcr4lab.compounds.inventory.aliquot_status`, the same the store gives.

>>> from datetime import date
>>> text = b'''
... [[stock]]
... compound = "balixafortide"
... lot = "L1"
... form = "solution"
... solvent = "water"
... concentration = "10 mM"
... prepared_on = 2026-10-01
... storage_temperature_C = -20
... [[stock.aliquot]]
... label = "L1-A"
... volume = "50 uL"
... '''
>>> checked = check_inventory(text, "inv.toml", on=date(2026, 12, 3), today=date(2026, 12, 3))
>>> checked.aliquots[0].state, checked.aliquots[0].expires_on
('expired', '2026-11-01')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Literal

import pandas as pd

from cxcr4lab.compounds.inventory import (
    DEFAULT_MAX_REFREEZES,
    LIFECYCLE,
    SolubilityAssessment,
    aliquot_status,
    expiry,
    inventory_block,
    net_peptide_stock,
    parse_form,
    read_inventory_toml,
    solubility_table,
    storage_rule,
)
from cxcr4lab.compounds.registry import Compound, Registry, load_registry
from cxcr4lab.core.errors import InputError, NotFoundError, Place, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "AliquotCheck",
    "InventoryCheck",
    "SolubilityFact",
    "StockCheck",
    "check_inventory",
]

State = Literal["ok", "expired", "over-thawed"]

_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""An aliquot label, as the store accepts it."""


@dataclass(frozen=True)
class StockCheck(Serial):
    """One stock of the file (``block`` its table) on the status date. Concentration as written
    (``concentration_value`` in ``concentration_unit``) and in mol/L (``concentration_molar``);
    ``storage_temperature_c`` in °C; dates ISO text; ``expires_on`` expired from that day, by
    ``rule`` (``source`` names the registry). Stocks record no thaws, so ``state`` is ok or
    expired. Net peptide (``peptide_content`` given): a solution's ``powder_mg_per_ml`` (mg of
    powder per mL of stock) and ``net_peptide_mg_per_ml``."""

    block: str
    compound: str
    lot: str
    form: str
    solvent: str | None
    concentration_value: float | None
    concentration_unit: str | None
    concentration_molar: float | None
    peptide_content: float | None
    salt_form: str | None
    storage_temperature_c: float
    prepared_on: str
    expires_on: str
    rule: str
    source: str
    state: State
    reason: str
    powder_mg_per_ml: float | None = None
    net_peptide_mg_per_ml: float | None = None

    @property
    def concentration(self) -> str | None:
        """The concentration as written, ``'10 mM'``; None for a powder."""
        if self.concentration_value is None:
            return None
        return f"{self.concentration_value:g} {self.concentration_unit}"


@dataclass(frozen=True)
class AliquotCheck(Serial):
    """One aliquot on the status date: ``state`` ok, expired or over-thawed (expired wins) with
    every ``reason``; ``expires_on`` the earlier of its own and its stock's expiry, by ``rule``
    (``expiry_from`` says whose);
    ``freeze_thaw_count`` of ``max_thaws`` allowed; ``lifecycle`` available, empty or discarded;
    ``volume_ul`` µL, ``storage_temperature_c`` °C; ``concentration`` the stock's as written.
    Net peptide (stock's ``peptide_content`` given, a solution): ``powder_mg`` of powder and
    ``net_peptide_mg`` of peptide in the aliquot."""

    block: str
    label: str
    compound: str
    lot: str
    form: str
    concentration: str | None
    volume_ul: float
    storage_temperature_c: float
    prepared_on: str
    expires_on: str
    rule: str
    expiry_from: Literal["aliquot", "stock"]
    source: str
    freeze_thaw_count: int
    max_thaws: int
    lifecycle: str
    state: State
    reason: str
    powder_mg: float | None = None
    net_peptide_mg: float | None = None


@dataclass(frozen=True)
class SolubilityFact(Serial):
    """The registry's solubility of a compound in a solvent, as text (``"100 mg/mL"``, or the
    note such as ``"soluble"`` where no number is known: never a missing number)."""

    compound: str
    solvent: str
    solubility: str
    note: str
    source: str


@dataclass(frozen=True)
class InventoryCheck(Serial):
    """An inventory file checked on ``on`` (ISO date) with ``max_refreezes`` re-freezes allowed:
    its stocks and aliquots, the registry's solubility facts of its compounds (storage rules
    and solubility from ``origin``), and the solubility assessment when one was given."""

    kind: ClassVar[str] = "inventory"
    source: str
    on: str
    max_refreezes: int
    origin: str
    stocks: tuple[StockCheck, ...]
    aliquots: tuple[AliquotCheck, ...]
    solubility: tuple[SolubilityFact, ...] = ()
    assessment: SolubilityAssessment | None = None

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []

    @property
    def flagged(self) -> tuple[AliquotCheck, ...]:
        """The aliquots not to use (not ok)."""
        return tuple(a for a in self.aliquots if a.state != "ok")

    def summary(self) -> pd.DataFrame:
        """One row per aliquot, units in the column names."""
        columns = [
            "label",
            "compound",
            "lot",
            "form",
            "concentration",
            "volume_uL",
            "storage_C",
            "prepared_on",
            "expires_on",
            "rule",
            "freeze_thaw_count",
            "max_thaws",
            "in_stock",
            "status",
            "reason",
            "powder_mg",
            "net_peptide_mg",
        ]
        rows = [
            (
                a.label,
                a.compound,
                a.lot,
                a.form,
                a.concentration or "",
                a.volume_ul,
                a.storage_temperature_c,
                a.prepared_on,
                a.expires_on,
                a.rule,
                a.freeze_thaw_count,
                a.max_thaws,
                a.lifecycle,
                a.state,
                a.reason,
                a.powder_mg,
                a.net_peptide_mg,
            )
            for a in self.aliquots
        ]
        return pd.DataFrame(rows, columns=columns)

    def stock_summary(self) -> pd.DataFrame:
        """One row per stock, units in the column names."""
        columns = [
            "compound",
            "lot",
            "form",
            "concentration",
            "concentration_M",
            "solvent",
            "net_peptide_content_%",
            "salt_form",
            "storage_C",
            "prepared_on",
            "expires_on",
            "rule",
            "status",
            "reason",
            "powder_mg_per_mL",
            "net_peptide_mg_per_mL",
        ]
        rows = [
            (
                s.compound,
                s.lot,
                s.form,
                s.concentration or "",
                s.concentration_molar,
                s.solvent or "",
                None if s.peptide_content is None else 100 * s.peptide_content,
                s.salt_form or "not stated",
                s.storage_temperature_c,
                s.prepared_on,
                s.expires_on,
                s.rule,
                s.state,
                s.reason,
                s.powder_mg_per_ml,
                s.net_peptide_mg_per_ml,
            )
            for s in self.stocks
        ]
        return pd.DataFrame(rows, columns=columns)

    def solubility_summary(self) -> pd.DataFrame:
        """The registry's solubility facts, all text."""
        return pd.DataFrame(
            [(f.compound, f.solvent, f.solubility, f.note, f.source) for f in self.solubility],
            columns=["compound", "solvent", "solubility", "note", "source"],
        )


# --- checking -------------------------------------------------------------------------------------


class _Where:
    """The file and table being checked: ``err(message, key)`` is the InputError naming them."""

    def __init__(self, file: str, block: str) -> None:
        self.file, self.block = file, block

    def err(self, message: str, key: str) -> InputError:
        return InputError(message, file=self.file, block=self.block, field=key)

    def place(self, key: str) -> Place:
        return Place(file=self.file, block=self.block, field=key)

    def again(self, exc: InputError, key: str) -> InputError:
        """``exc`` re-raised at this table and key (its own message)."""
        return self.err(exc.message, key)


def _date(value: object, key: str, where: _Where, today: date, on: date) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise where.err(f"must be a date as YYYY-MM-DD, got {quote(value)}", key) from None
    if not isinstance(value, date):
        raise where.err(f"must be a date (YYYY-MM-DD), got {quote(value)}", key)
    if value > today:
        raise where.err(f"{value.isoformat()} is in the future (today is {today.isoformat()})", key)
    if value > on:
        raise where.err(
            f"{value.isoformat()} is after the date the statuses are computed on "
            f"({on.isoformat()})",
            key,
        )
    return value


def _temperature(value: object, key: str, where: _Where) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise where.err(f"must be a number of °C, got {quote(value)}", key)
    return float(value)


def _text(value: object, key: str, where: _Where, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise where.err("must not be empty", key)
        return None
    if not isinstance(value, str):
        raise where.err(f"must be text, got {quote(value)}", key)
    return value.strip()


def _compound(value: object, registry: Registry, where: _Where) -> Compound:
    if not isinstance(value, str) or not value.strip():
        raise where.err("must name a registry compound", "compound")
    try:
        return registry.get(value)
    except NotFoundError as exc:
        raise where.err(str(exc), "compound") from None


def _concentration(
    value: object, compound: Compound, where: _Where
) -> tuple[float, str, float | None]:
    """(value, unit text, mol/L or None without a molecular weight) of a solution's
    concentration, > 0."""
    from cxcr4lab.core.units import parse_quantity, to_molar

    key = "concentration"
    if not isinstance(value, str):
        raise where.err(
            f"must be text with a unit (e.g. '10 mM' or '1 mg/mL'), got {quote(value)}", key
        )
    q = parse_quantity(value, place=where.place(key))
    magnitude = float(q.magnitude)
    if not magnitude > 0:
        raise where.err(f"concentration must be > 0, got {quote(value)}", key)
    molar = to_molar(
        value,
        mw_g_per_mol=compound.molecular_weight_g_per_mol,
        place=where.place(key),
        allow_zero=False,
    )
    return magnitude, f"{q.units:~P}", molar


def _content(value: object, where: _Where) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.err(f"must be a fraction, got {quote(value)}", "peptide_content")
    if not (math.isfinite(value) and 0 < value <= 1):
        raise where.err(
            f"must be a fraction in (0, 1] (e.g. 0.8 for 80 %), got {quote(value)}",
            "peptide_content",
        )
    return float(value)


def _usable(expires_on: date) -> str:
    return f"usable until {(expires_on - timedelta(days=1)).isoformat()}"


def _stock(
    entry: Mapping[str, Any],
    where: _Where,
    registry: Registry,
    on: date,
    today: date,
) -> tuple[StockCheck, Compound, date]:
    found = _compound(entry.get("compound"), registry, where)
    lot = _text(entry.get("lot"), "lot", where, required=True)
    kept = parse_form(entry.get("form"), place=where.place("form"))
    prepared = _date(entry.get("prepared_on"), "prepared_on", where, today, on)
    temperature = _temperature(entry.get("storage_temperature_c"), "storage_temperature_C", where)
    storage_rule(found, kept, temperature, place=where.place("storage_temperature_C"))
    solvent = _text(entry.get("solvent"), "solvent", where, required=False)
    raw_conc = entry.get("concentration")
    value: float | None = None
    unit: str | None = None
    molar: float | None = None
    if kept == "solution":
        if solvent is None:
            raise where.err("a solution needs its solvent (e.g. water, DMSO)", "solvent")
        if raw_conc is None or raw_conc == "":
            raise where.err("a solution needs its concentration", "concentration")
        value, unit, molar = _concentration(raw_conc, found, where)
    else:
        if raw_conc not in (None, ""):
            raise where.err("a lyophilised powder has no concentration", "concentration")
        if solvent is not None:
            raise where.err("a lyophilised powder has no solvent", "solvent")
    content = _content(entry.get("peptide_content"), where)
    salt = _text(entry.get("salt_form"), "salt_form", where, required=False)
    powder: float | None = None
    net: float | None = None
    mw = found.molecular_weight_g_per_mol
    if content is not None and molar is not None and mw is not None:
        weighing = net_peptide_stock(
            mw_g_per_mol=mw,
            peptide_content=content,
            concentration=f"{molar!r} M",
            volume="1 mL",
            salt_form=salt or "",
            solvent=solvent or "water",
        )
        powder, net = weighing.gross_mass_g * 1e3, weighing.stock.mass_g * 1e3
    found_expiry = expiry(found, kept, temperature, prepared, origin=registry.origin)
    expired = found_expiry.expired(on)
    reason = (
        f"expired on {found_expiry.expires_on.isoformat()} (stock prepared "
        f"{prepared.isoformat()}; {found_expiry.rule.describe()})"
        if expired
        else _usable(found_expiry.expires_on)
    )
    check = StockCheck(
        block=where.block,
        compound=found.name,
        lot=lot or "",
        form=kept,
        solvent=solvent,
        concentration_value=value,
        concentration_unit=unit,
        concentration_molar=molar,
        peptide_content=content,
        salt_form=salt,
        storage_temperature_c=temperature,
        prepared_on=prepared.isoformat(),
        expires_on=found_expiry.expires_on.isoformat(),
        rule=found_expiry.rule.describe(),
        source=found_expiry.source,
        state="expired" if expired else "ok",
        reason=reason,
        powder_mg_per_ml=powder,
        net_peptide_mg_per_ml=net,
    )
    return check, found, prepared


def _aliquot(
    spec: Mapping[str, Any],
    where: _Where,
    stock: StockCheck,
    compound: Compound,
    stock_prepared: date,
    on: date,
    today: date,
    max_refreezes: int,
    origin: str,
) -> AliquotCheck:
    from cxcr4lab.core.units import to_liters

    label = spec.get("label")
    if not isinstance(label, str) or not _LABEL.fullmatch(label.strip()):
        raise where.err(
            f"{quote(label)} is not a label: 1-64 letters, digits, '.', '_' or '-', starting "
            "with a letter or digit",
            "label",
        )
    raw_volume = spec.get("volume")
    if isinstance(raw_volume, bool) or not isinstance(raw_volume, str | int | float):
        raise where.err(f"must be a volume such as '50 µL', got {quote(raw_volume)}", "volume")
    litres = to_liters(
        raw_volume, None if isinstance(raw_volume, str) else "L", place=where.place("volume")
    )
    prepared = _date(spec.get("prepared_on"), "prepared_on", where, today, on)
    if prepared < stock_prepared:
        raise where.err(
            f"{prepared.isoformat()} is before its stock was prepared "
            f"({stock_prepared.isoformat()})",
            "prepared_on",
        )
    raw_temperature = spec.get("storage_temperature_c")
    temperature = (
        stock.storage_temperature_c
        if raw_temperature is None
        else _temperature(raw_temperature, "storage_temperature_C", where)
    )
    storage_rule(compound, stock.form, temperature, place=where.place("storage_temperature_C"))
    thaws = spec.get("freeze_thaw_count", 0)
    if isinstance(thaws, bool) or not isinstance(thaws, int) or thaws < 0:
        raise where.err(f"must be a whole number >= 0, got {quote(thaws)}", "freeze_thaw_count")
    lifecycle = spec.get("status", "available")
    if lifecycle not in LIFECYCLE:
        raise where.err(f"must be one of {', '.join(LIFECYCLE)}; got {quote(lifecycle)}", "status")
    status = aliquot_status(
        label=label.strip(),
        compound=compound,
        form=stock.form,
        stock_prepared_on=stock_prepared,
        stock_temperature_c=stock.storage_temperature_c,
        prepared_on=prepared,
        temperature_c=temperature,
        thaws=thaws,
        on=on,
        max_refreezes=max_refreezes,
        lifecycle=str(lifecycle),
        origin=origin,
    )
    own = expiry(compound, stock.form, temperature, prepared, origin=origin)
    rule = own.rule if own.expires_on <= date.fromisoformat(stock.expires_on) else None
    ml = float(f"{litres * 1e3:.12g}")
    return AliquotCheck(
        block=where.block,
        label=status.label,
        compound=stock.compound,
        lot=stock.lot,
        form=stock.form,
        concentration=stock.concentration,
        volume_ul=float(f"{litres * 1e6:.12g}"),
        storage_temperature_c=temperature,
        prepared_on=prepared.isoformat(),
        expires_on=status.expires_on.isoformat(),
        rule=stock.rule if rule is None else rule.describe(),
        expiry_from="stock" if rule is None else "aliquot",
        source=status.source,
        freeze_thaw_count=thaws,
        max_thaws=status.max_thaws,
        lifecycle=status.lifecycle,
        state=status.state,
        reason=status.reason,
        powder_mg=None if stock.powder_mg_per_ml is None else stock.powder_mg_per_ml * ml,
        net_peptide_mg=(
            None if stock.net_peptide_mg_per_ml is None else stock.net_peptide_mg_per_ml * ml
        ),
    )


def check_inventory(
    content: bytes,
    name: str,
    *,
    on: date,
    today: date,
    max_refreezes: int = DEFAULT_MAX_REFREEZES,
    assessment: SolubilityAssessment | None = None,
    registry: Registry | None = None,
) -> InventoryCheck:
    """Check the inventory file ``content`` (named ``name``) and give every stock's and
    aliquot's status on ``on``, with ``max_refreezes`` re-freezes allowed (a third thaw is
    over-thawed with the default of one). ``today`` is the clock's date: no preparation date
    may be after it or after ``on``. ``assessment`` (a solubility assessment read from its CSV)
    is kept with the result. One :class:`InputError` naming the file, the table and the key
    refuses the first bad value."""
    if isinstance(max_refreezes, bool) or not isinstance(max_refreezes, int) or max_refreezes < 0:
        raise InputError(
            f"must be a whole number >= 0, got {quote(max_refreezes)}", field="max_refreezes"
        )
    found_registry = registry if registry is not None else load_registry()
    stocks: list[StockCheck] = []
    aliquots: list[AliquotCheck] = []
    compounds: dict[str, Compound] = {}
    seen: dict[str, str] = {}
    for i, entry in enumerate(read_inventory_toml(content, name), start=1):
        where = _Where(name, inventory_block(i))
        stock, compound, prepared = _stock(entry, where, found_registry, on, today)
        stocks.append(stock)
        compounds.setdefault(compound.name, compound)
        for j, spec in enumerate(entry["aliquots"], start=1):
            here = _Where(name, inventory_block(i, j))
            made = _aliquot(
                spec,
                here,
                stock,
                compound,
                prepared,
                on,
                today,
                max_refreezes,
                found_registry.origin,
            )
            if made.label in seen:
                raise here.err(
                    f"label {made.label!r} is given twice (also {seen[made.label]})", "label"
                )
            seen[made.label] = here.block
            aliquots.append(made)
    facts = tuple(
        SolubilityFact(
            compound=c.name,
            solvent=str(row.solvent),
            solubility=str(row.solubility),
            note=str(row.note),
            source=str(row.source),
        )
        for c in compounds.values()
        for row in solubility_table(c, origin=found_registry.origin).itertuples(index=False)
    )
    return InventoryCheck(
        source=name,
        on=on.isoformat(),
        max_refreezes=max_refreezes,
        origin=found_registry.origin,
        stocks=tuple(stocks),
        aliquots=tuple(aliquots),
        solubility=facts,
        assessment=assessment,
    )
