"""The compound inventory in the store: stocks of registry compounds and their labelled aliquots.

Every write is one transaction and is checked before the database is touched: the compound must
be in the registry, the storage temperature covered by one of its storage rules, the preparation
date not in the future (by the store's clock, UTC), volumes and concentrations positive, and an
aliquot label unique across the database (a plate layout names an aliquot by its label). A
refusal is an :class:`InputError` naming the field (and, for a batch of aliquots, its index);
nothing of a refused write is left behind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cxcr4lab.core.errors import InputError, NotFoundError, Place, quote
from cxcr4lab.store._schema import INVENTORY_TEXT_LENGTH, Aliquot, Project, Stock, User

if TYPE_CHECKING:
    from cxcr4lab.compounds.inventory import AliquotStatus, Expiry
    from cxcr4lab.compounds.registry import Compound

# The compound registry and the inventory rules (RDKit, pint, pandas come with them) are
# imported where a method needs them, so opening a store stays light.

__all__ = ["AliquotRecord", "AliquotSpec", "Inventory", "StockRecord"]

_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?\s*")


@dataclass(frozen=True)
class StockRecord:
    """A stored stock. ``concentration_value`` in ``concentration_unit`` (solutions only);
    ``peptide_content`` a mass fraction; ``storage_temperature_c`` in °C; ``created_by`` the
    user's name (None when added without one)."""

    id: int
    compound: str
    lot: str
    form: str
    solvent: str | None
    concentration_value: float | None
    concentration_unit: str | None
    peptide_content: float | None
    salt_form: str | None
    prepared_on: date
    storage_temperature_c: float
    created_at: datetime
    created_by: str | None
    project_id: int | None

    @property
    def concentration(self) -> str | None:
        """The concentration as written, e.g. ``'10 mM'``."""
        if self.concentration_value is None:
            return None
        return f"{self.concentration_value:g} {self.concentration_unit}"

    def expiry(self) -> Expiry:
        """When the stock expires, by the registry's storage rule."""
        from cxcr4lab.compounds.inventory import expiry
        from cxcr4lab.compounds.registry import load_registry

        registry = load_registry()
        return expiry(
            registry.get(self.compound),
            self.form,
            self.storage_temperature_c,
            self.prepared_on,
            origin=registry.origin,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO text), with the expiry and its source."""
        found = self.expiry()
        return {
            "id": self.id,
            "compound": self.compound,
            "lot": self.lot,
            "form": self.form,
            "solvent": self.solvent,
            "concentration_value": self.concentration_value,
            "concentration_unit": self.concentration_unit,
            "peptide_content": self.peptide_content,
            "salt_form": self.salt_form,
            "prepared_on": self.prepared_on.isoformat(),
            "storage_temperature_C": self.storage_temperature_c,
            "expires_on": found.expires_on.isoformat(),
            "expiry_source": found.source,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "project_id": self.project_id,
        }


@dataclass(frozen=True)
class AliquotRecord:
    """A stored aliquot with what its status needs of its stock. ``volume_l`` in L,
    ``storage_temperature_c`` in °C; ``freeze_thaw_count`` the thaws recorded; ``status``
    available, empty or discarded."""

    id: int
    stock_id: int
    label: str
    volume_l: float
    prepared_on: date
    storage_temperature_c: float
    freeze_thaw_count: int
    status: str
    created_at: datetime
    created_by: str | None
    compound: str
    lot: str
    form: str
    stock_prepared_on: date
    stock_temperature_c: float
    project_id: int | None

    def check(self, on: date, *, max_refreezes: int | None = None) -> AliquotStatus:
        """Whether it may be used on ``on``: ok, expired or over-thawed, with the reasons;
        ``max_refreezes`` None: the default (:data:`~cxcr4lab.compounds.inventory.DEFAULT_MAX_REFREEZES`)."""
        from cxcr4lab.compounds.inventory import DEFAULT_MAX_REFREEZES, aliquot_status
        from cxcr4lab.compounds.registry import load_registry

        registry = load_registry()
        return aliquot_status(
            label=self.label,
            compound=registry.get(self.compound),
            form=self.form,
            stock_prepared_on=self.stock_prepared_on,
            stock_temperature_c=self.stock_temperature_c,
            prepared_on=self.prepared_on,
            temperature_c=self.storage_temperature_c,
            thaws=self.freeze_thaw_count,
            on=on,
            max_refreezes=DEFAULT_MAX_REFREEZES if max_refreezes is None else max_refreezes,
            lifecycle=self.status,
            origin=registry.origin,
        )

    def to_dict(
        self, on: date | None = None, *, max_refreezes: int | None = None
    ) -> dict[str, Any]:
        """Plain JSON-ready data; with ``on``, the status on that date too."""
        out: dict[str, Any] = {
            "id": self.id,
            "stock_id": self.stock_id,
            "label": self.label,
            "volume_uL": self.volume_l * 1e6,
            "prepared_on": self.prepared_on.isoformat(),
            "storage_temperature_C": self.storage_temperature_c,
            "freeze_thaw_count": self.freeze_thaw_count,
            "status": self.status,
            "compound": self.compound,
            "lot": self.lot,
            "form": self.form,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "project_id": self.project_id,
        }
        if on is not None:
            out["check"] = self.check(on, max_refreezes=max_refreezes).to_dict()
        return out


@dataclass(frozen=True)
class AliquotSpec:
    """An aliquot to add: ``volume`` as text with a unit (``"50 µL"``) or a number of litres;
    ``storage_temperature_c`` (°C) None: the stock's; ``prepared_on`` None: the store's today."""

    label: str
    volume: str | float
    prepared_on: date | str | None = None
    storage_temperature_c: float | None = None
    status: str = "available"
    freeze_thaw_count: int = 0
    """Thaws so far (an aliquot entered from an existing inventory); new ones have none."""


def _text(value: object, field: str, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError("must not be empty", field=field)
        return None
    if not isinstance(value, str):
        raise InputError(f"must be text, got {quote(value)}", field=field)
    text = value.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InputError("must not hold control characters", field=field)
    if len(text) > INVENTORY_TEXT_LENGTH:
        raise InputError(
            f"is {len(text)} characters long; at most {INVENTORY_TEXT_LENGTH}", field=field
        )
    return text


def _date(value: object, field: str, today: date) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(
                f"must be a date as YYYY-MM-DD, got {quote(value)}", field=field
            ) from None
    if not isinstance(value, date):
        raise InputError(f"must be a date, got {quote(value)}", field=field)
    if value > today:
        raise InputError(
            f"{value.isoformat()} is in the future (today is {today.isoformat()})", field=field
        )
    return value


def _temperature(value: object, field: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip().removesuffix("°C").removesuffix("C").strip())
        except ValueError:
            raise InputError(f"must be a number of °C, got {quote(value)}", field=field) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"must be a number of °C, got {quote(value)}", field=field)
    return float(value)


def _sign_first(value: object, field: str, what: str) -> None:
    """A clear refusal of a zero or negative quantity before the unit parser sees it."""
    number: float | None = None
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and (m := _NUMBER.match(value)) is not None:
        try:
            number = float(m.group(0))
        except ValueError:  # pragma: no cover - the pattern is a float
            number = None
    if number is not None and not number > 0:
        raise InputError(f"{what} must be > 0, got {quote(value)}", field=field)


def _concentration(value: object, compound: Compound) -> tuple[float, str]:
    field = "concentration"
    if not isinstance(value, str):
        raise InputError(
            f"must be text with a unit (e.g. '10 mM' or '1 mg/mL'), got {quote(value)}",
            field=field,
        )
    from cxcr4lab.core.units import parse_quantity, to_molar

    _sign_first(value, field, "concentration")
    where = Place(field=field)
    to_molar(value, mw_g_per_mol=compound.molecular_weight_g_per_mol, place=where)
    q = parse_quantity(value, place=where)
    m = _NUMBER.match(value)
    unit = value[m.end() :].strip() if m is not None else f"{q.units:~P}"
    return float(q.magnitude), unit


def _volume(value: object, field: str) -> float:
    from cxcr4lab.core.units import to_liters

    _sign_first(value, field, "volume")
    where = Place(field=field)
    if isinstance(value, str):
        return to_liters(value, place=where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"must be a volume such as '50 µL', got {quote(value)}", field=field)
    return to_liters(float(value), "L", place=where)


def _compound(name: object) -> Compound:
    if not isinstance(name, str) or not name.strip():
        raise InputError("must name a registry compound", field="compound")
    from cxcr4lab.compounds.registry import load_registry

    try:
        return load_registry().get(name)
    except NotFoundError as exc:
        raise InputError(str(exc), field="compound") from None


def _id(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise InputError(f"must be an id (a whole number >= 1), got {quote(value)}", field=field)
    return value


class Inventory:
    """Inventory operations on a store's database (get one from :attr:`Store.inventory`)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        guard: Callable[[str], AbstractContextManager[None]],
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._guard = guard
        self._clock = clock

    def today(self) -> date:
        """The store clock's date (UTC)."""
        return self._clock().date()

    # --- stocks -----------------------------------------------------------------------------
    def add_stock(self, **stock: Any) -> StockRecord:
        """Add a stock (and any ``aliquots`` of it) in one transaction; return it. The keywords
        are those of :meth:`add_stocks`."""
        return self.add_stocks([stock])[0]

    def add_stocks(self, stocks: Sequence[Mapping[str, Any]]) -> list[StockRecord]:
        """Add stocks, each with any aliquots, all in one transaction (all or none).

        Keys of each stock: ``compound``, ``lot``, ``form`` (lyophilised powder: no solvent, no
        concentration; solution: both needed), ``prepared_on``, ``storage_temperature_c`` (°C),
        ``solvent``, ``concentration`` (text with a molar or mass unit: ``"10 mM"``, ``"1
        mg/mL"``), ``peptide_content`` (net peptide content, mass fraction 0-1),
        ``salt_form``, ``aliquots`` (:class:`AliquotSpec`), ``created_by`` (a user id),
        ``project_id``. A refusal names the field, prefixed ``stocks[i].`` when several.
        """
        prepared: list[tuple[Stock, list[AliquotSpec]]] = []
        for i, entry in enumerate(stocks):
            try:
                prepared.append(self._prepare_stock(**entry))
            except TypeError as exc:
                raise InputError(
                    f"unknown or missing stock field ({exc})", field=f"stocks[{i}]"
                ) from None
            except InputError as exc:
                if len(stocks) > 1:
                    field = f"stocks[{i}]." + (exc.place.field or "")
                    raise InputError(exc.message, place=replace(exc.place, field=field)) from None
                raise
        if not prepared:
            raise InputError("no stocks given", field="stocks")
        ids: list[int] = []
        with self._guard("add stocks"), self._writing() as session:
            for i, (stock, aliquots) in enumerate(prepared):
                try:
                    self._check_owner(session, stock.created_by, stock.project_id)
                    session.add(stock)
                    session.flush()
                    self._insert_aliquots(session, stock.id, aliquots, stock.created_by)
                except InputError as exc:
                    if len(prepared) > 1:
                        field = f"stocks[{i}]." + (exc.place.field or "")
                        raise InputError(
                            exc.message, place=replace(exc.place, field=field)
                        ) from None
                    raise
                ids.append(stock.id)
        return [self.stock(i) for i in ids]

    def _prepare_stock(
        self,
        *,
        compound: str,
        lot: str,
        form: str,
        prepared_on: date | str,
        storage_temperature_c: float | str,
        solvent: str | None = None,
        concentration: str | None = None,
        peptide_content: float | str | None = None,
        salt_form: str | None = None,
        aliquots: Sequence[AliquotSpec] = (),
        created_by: int | None = None,
        project_id: int | None = None,
    ) -> tuple[Stock, list[AliquotSpec]]:
        """The checked row of a stock and its checked aliquots (nothing written)."""
        from cxcr4lab.compounds.inventory import parse_form, storage_rule

        found = _compound(compound)
        lot_text = _text(lot, "lot")
        kept = parse_form(form, place=Place(field="form"))
        today = self.today()
        prepared = _date(prepared_on, "prepared_on", today)
        temperature = _temperature(storage_temperature_c, "storage_temperature_c")
        storage_rule(found, kept, temperature, place=Place(field="storage_temperature_c"))
        solvent_text = _text(solvent, "solvent", required=False)
        value: float | None = None
        unit: str | None = None
        if kept == "solution":
            if solvent_text is None:
                raise InputError("a solution needs its solvent (e.g. water, DMSO)", field="solvent")
            if concentration is None or (isinstance(concentration, str) and not concentration):
                raise InputError("a solution needs its concentration", field="concentration")
            value, unit = _concentration(concentration, found)
        else:
            if concentration not in (None, ""):
                raise InputError(
                    "a lyophilised powder has no concentration (give the solution's as a "
                    "stock of form solution)",
                    field="concentration",
                )
            if solvent_text is not None:
                raise InputError("a lyophilised powder has no solvent", field="solvent")
        content: float | None = None
        if peptide_content is not None and peptide_content != "":
            raw = peptide_content
            if isinstance(raw, str):
                try:
                    raw = float(raw)
                except ValueError:
                    raise InputError(
                        f"must be a fraction, got {quote(peptide_content)}",
                        field="peptide_content",
                    ) from None
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise InputError(
                    f"must be a fraction, got {quote(peptide_content)}", field="peptide_content"
                )
            if not (math.isfinite(raw) and 0 < raw <= 1):
                raise InputError(
                    f"must be a fraction in (0, 1] (e.g. 0.8 for 80 %), got {quote(raw)}",
                    field="peptide_content",
                )
            content = float(raw)
        salt = _text(salt_form, "salt_form", required=False)
        if created_by is not None:
            _id(created_by, "created_by")
        if project_id is not None:
            _id(project_id, "project_id")
        stock = Stock(
            compound=found.name,
            lot=lot_text,
            form=kept,
            solvent=solvent_text,
            concentration_value=value,
            concentration_unit=unit,
            peptide_content=content,
            salt_form=salt,
            prepared_on=prepared,
            storage_temperature_c=temperature,
            created_at=self._clock(),
            created_by=created_by,
            project_id=project_id,
        )
        return stock, self._checked_aliquots(aliquots, found, kept, prepared, temperature, today)

    def stock(self, stock_id: int) -> StockRecord:
        """The stock with this id; :class:`NotFoundError` if there is none."""
        _id(stock_id, "stock_id")
        with self._guard(f"read stock {stock_id}"), self._sessions() as session:
            row = session.execute(self._stock_query().where(Stock.id == stock_id)).first()
        if row is None:
            raise NotFoundError(f"no stock with id {stock_id}")
        return self._stock_record(row)

    def stocks(
        self, *, compound: str | None = None, project_ids: Collection[int] | None = None
    ) -> list[StockRecord]:
        """Stocks, newest preparation first, optionally of one compound (any of its names) and
        of the given projects only."""
        query = self._stock_query()
        if compound is not None:
            query = query.where(Stock.compound == _compound(compound).name)
        if project_ids is not None:
            query = query.where(Stock.project_id.in_(list(project_ids)))
        query = query.order_by(Stock.prepared_on.desc(), Stock.id.desc())
        with self._guard("list stocks"), self._sessions() as session:
            return [self._stock_record(r) for r in session.execute(query).all()]

    # --- aliquots ---------------------------------------------------------------------------
    def add_aliquots(
        self, stock_id: int, aliquots: Sequence[AliquotSpec], *, created_by: int | None = None
    ) -> list[AliquotRecord]:
        """Add aliquots of a stock in one transaction (all or none); return them."""
        stock = self.stock(stock_id)
        if not aliquots:
            raise InputError("no aliquots given", field="aliquots")
        if created_by is not None:
            _id(created_by, "created_by")
        found = _compound(stock.compound)
        checked = self._checked_aliquots(
            aliquots,
            found,
            stock.form,
            stock.prepared_on,
            stock.storage_temperature_c,
            self.today(),
        )
        with self._guard(f"add aliquots of stock {stock_id}"), self._writing() as session:
            self._check_owner(session, created_by, None)
            if session.get(Stock, stock_id) is None:
                raise NotFoundError(f"no stock with id {stock_id}")
            self._insert_aliquots(session, stock_id, checked, created_by)
        return [self.aliquot(a.label) for a in checked]

    def add_aliquot(
        self,
        stock_id: int,
        *,
        label: str,
        volume: str | float,
        prepared_on: date | str | None = None,
        storage_temperature_c: float | None = None,
        status: str = "available",
        created_by: int | None = None,
    ) -> AliquotRecord:
        """Add one aliquot of a stock (see :class:`AliquotSpec`)."""
        spec = AliquotSpec(label, volume, prepared_on, storage_temperature_c, status)
        return self.add_aliquots(stock_id, [spec], created_by=created_by)[0]

    def aliquot(self, label: str) -> AliquotRecord:
        """The aliquot with this label; :class:`NotFoundError` if there is none."""
        if not isinstance(label, str):
            raise InputError(f"must be text, got {quote(label)}", field="label")
        if not _LABEL.fullmatch(label):  # no label is stored that does not match
            raise NotFoundError(f"no aliquot labelled {label!r}")
        with self._guard(f"read aliquot {label!r}"), self._sessions() as session:
            row = session.execute(self._aliquot_query().where(Aliquot.label == label)).first()
        if row is None:
            raise NotFoundError(f"no aliquot labelled {label!r}")
        return self._aliquot_record(row)

    def aliquots(
        self,
        *,
        stock_id: int | None = None,
        labels: Collection[str] | None = None,
        project_ids: Collection[int] | None = None,
    ) -> list[AliquotRecord]:
        """Aliquots by label, optionally of one stock, of the given labels, of given projects."""
        query = self._aliquot_query()
        if stock_id is not None:
            query = query.where(Aliquot.stock_id == _id(stock_id, "stock_id"))
        if labels is not None:
            query = query.where(Aliquot.label.in_([x for x in labels if _LABEL.fullmatch(x)]))
        if project_ids is not None:
            query = query.where(Stock.project_id.in_(list(project_ids)))
        with self._guard("list aliquots"), self._sessions() as session:
            rows = session.execute(query.order_by(Aliquot.label)).all()
        return [self._aliquot_record(r) for r in rows]

    def record_thaw(self, label: str) -> AliquotRecord:
        """Record that the aliquot was thawed (its freeze-thaw count + 1, in one atomic update);
        a thaw of an empty or discarded aliquot is refused."""
        found = self.aliquot(label)
        if found.status != "available":
            raise InputError(
                f"aliquot {label!r} is {found.status}; it cannot be thawed", field="label"
            )
        with self._guard(f"record a thaw of {label!r}"), self._sessions.begin() as session:
            done = session.execute(
                update(Aliquot)
                .where(Aliquot.label == label, Aliquot.status == "available")
                .values(freeze_thaw_count=Aliquot.freeze_thaw_count + 1)
            )
            if getattr(done, "rowcount", 1) != 1:
                raise InputError(f"aliquot {label!r} is no longer available", field="label")
        return self.aliquot(label)

    def set_status(self, label: str, status: str) -> AliquotRecord:
        """Mark an aliquot available, empty or discarded (one transaction)."""
        from cxcr4lab.compounds.inventory import LIFECYCLE

        if status not in LIFECYCLE:
            raise InputError(
                f"must be one of {', '.join(LIFECYCLE)}; got {quote(status)}", field="status"
            )
        self.aliquot(label)
        with self._guard(f"mark {label!r} {status}"), self._sessions.begin() as session:
            session.execute(update(Aliquot).where(Aliquot.label == label).values(status=status))
        return self.aliquot(label)

    # --- helpers ----------------------------------------------------------------------------
    def _writing(self) -> AbstractContextManager[Session]:
        """A write transaction in which a unique-label race is an :class:`InputError`."""
        return _Writing(self._sessions)

    @staticmethod
    def _check_owner(session: Session, created_by: int | None, project_id: int | None) -> None:
        if created_by is not None and session.get(User, created_by) is None:
            raise InputError(f"no user with id {created_by}", field="created_by")
        if project_id is not None and session.get(Project, project_id) is None:
            raise InputError(f"no project with id {project_id}", field="project_id")

    def _checked_aliquots(
        self,
        aliquots: Sequence[AliquotSpec],
        compound: Compound,
        form: str,
        stock_prepared: date,
        stock_temperature: float,
        today: date,
    ) -> list[AliquotSpec]:
        """The specs with every value checked and normalised (dates, litres, °C)."""
        from cxcr4lab.compounds.inventory import LIFECYCLE, storage_rule

        out: list[AliquotSpec] = []
        seen: set[str] = set()
        for i, spec in enumerate(aliquots):
            field = f"aliquots[{i}]" if len(aliquots) > 1 else ""

            def name(key: str, field: str = field) -> str:
                return f"{field}.{key}" if field else key

            if not isinstance(spec, AliquotSpec):
                raise InputError(
                    f"must be an AliquotSpec, got {quote(spec)}", field=name("aliquot")
                )
            if not isinstance(spec.label, str) or not _LABEL.fullmatch(spec.label.strip()):
                raise InputError(
                    f"{quote(spec.label)} is not a label: 1-64 letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit",
                    field=name("label"),
                )
            label = spec.label.strip()
            if label in seen:
                raise InputError(f"label {label!r} is given twice", field=name("label"))
            seen.add(label)
            volume = _volume(spec.volume, name("volume"))
            prepared = (
                today
                if spec.prepared_on is None
                else _date(spec.prepared_on, name("prepared_on"), today)
            )
            if prepared < stock_prepared:
                raise InputError(
                    f"{prepared.isoformat()} is before its stock was prepared "
                    f"({stock_prepared.isoformat()})",
                    field=name("prepared_on"),
                )
            temperature = (
                stock_temperature
                if spec.storage_temperature_c is None
                else _temperature(spec.storage_temperature_c, name("storage_temperature_c"))
            )
            storage_rule(
                compound, form, temperature, place=Place(field=name("storage_temperature_c"))
            )
            thaws = spec.freeze_thaw_count
            if isinstance(thaws, bool) or not isinstance(thaws, int) or thaws < 0:
                raise InputError(
                    f"must be a whole number >= 0, got {quote(thaws)}",
                    field=name("freeze_thaw_count"),
                )
            if spec.status not in LIFECYCLE:
                raise InputError(
                    f"must be one of {', '.join(LIFECYCLE)}; got {quote(spec.status)}",
                    field=name("status"),
                )
            out.append(
                replace(
                    spec,
                    label=label,
                    volume=volume,
                    prepared_on=prepared,
                    storage_temperature_c=temperature,
                )
            )
        return out

    def _insert_aliquots(
        self,
        session: Session,
        stock_id: int,
        aliquots: Sequence[AliquotSpec],
        created_by: int | None,
    ) -> None:
        labels = [a.label for a in aliquots]
        if labels:
            taken = session.scalars(select(Aliquot.label).where(Aliquot.label.in_(labels))).all()
            if taken:
                i = labels.index(taken[0])
                field = f"aliquots[{i}].label" if len(labels) > 1 else "label"
                raise InputError(f"an aliquot labelled {taken[0]!r} already exists", field=field)
        now = self._clock()
        for a in aliquots:
            assert isinstance(a.volume, float) and isinstance(a.prepared_on, date)
            assert a.storage_temperature_c is not None
            session.add(
                Aliquot(
                    stock_id=stock_id,
                    label=a.label,
                    volume_l=a.volume,
                    prepared_on=a.prepared_on,
                    storage_temperature_c=a.storage_temperature_c,
                    freeze_thaw_count=a.freeze_thaw_count,
                    status=a.status,
                    created_at=now,
                    created_by=created_by,
                )
            )
        session.flush()

    @staticmethod
    def _stock_query() -> Select[Stock, str]:
        return select(Stock, User.name).outerjoin(User, User.id == Stock.created_by)

    @staticmethod
    def _stock_record(row: Any) -> StockRecord:
        s, user = row
        return StockRecord(
            id=s.id,
            compound=s.compound,
            lot=s.lot,
            form=s.form,
            solvent=s.solvent,
            concentration_value=s.concentration_value,
            concentration_unit=s.concentration_unit,
            peptide_content=s.peptide_content,
            salt_form=s.salt_form,
            prepared_on=s.prepared_on,
            storage_temperature_c=s.storage_temperature_c,
            created_at=s.created_at,
            created_by=user,
            project_id=s.project_id,
        )

    @staticmethod
    def _aliquot_query() -> Select[Aliquot, Stock, str]:
        return (
            select(Aliquot, Stock, User.name)
            .join(Stock, Stock.id == Aliquot.stock_id)
            .outerjoin(User, User.id == Aliquot.created_by)
        )

    @staticmethod
    def _aliquot_record(row: Any) -> AliquotRecord:
        a, s, user = row
        return AliquotRecord(
            id=a.id,
            stock_id=a.stock_id,
            label=a.label,
            volume_l=a.volume_l,
            prepared_on=a.prepared_on,
            storage_temperature_c=a.storage_temperature_c,
            freeze_thaw_count=a.freeze_thaw_count,
            status=a.status,
            created_at=a.created_at,
            created_by=user,
            compound=s.compound,
            lot=s.lot,
            form=s.form,
            stock_prepared_on=s.prepared_on,
            stock_temperature_c=s.storage_temperature_c,
            project_id=s.project_id,
        )


class _Writing(AbstractContextManager[Session]):
    """``sessions.begin()``, turning an IntegrityError (two writers adding one label at the same
    time) into an :class:`InputError`; everything is rolled back either way."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._context = sessions.begin()

    def __enter__(self) -> Session:
        return self._context.__enter__()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool | None:
        try:
            handled = self._context.__exit__(exc_type, exc, tb)
        except IntegrityError:
            handled, exc = None, IntegrityError  # raised by the commit
        if exc is IntegrityError or isinstance(exc, IntegrityError):
            raise InputError(
                "an aliquot with one of these labels already exists", field="label"
            ) from None
        return handled
