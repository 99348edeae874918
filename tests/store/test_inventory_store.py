"""Stocks and aliquots in the store: round trip, one transaction per write, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, func, select, text

from cxcr4lab.core.errors import InputError, NotFoundError
from cxcr4lab.store import AliquotSpec, Store

TODAY = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def inv_store(store_url: str) -> Iterator[Store]:
    """A store whose clock says 2026-03-15 (12:00 UTC)."""
    with Store(store_url, clock=lambda: TODAY) as opened:
        yield opened


def _counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            stocks = c.scalar(select(func.count()).select_from(text("stocks")))
            aliquots = c.scalar(select(func.count()).select_from(text("aliquots")))
    finally:
        engine.dispose()
    return int(stocks or 0), int(aliquots or 0)


def _solution(store: Store, **kw: object) -> int:
    args: dict[str, object] = {
        "compound": "POL6326",
        "lot": "BAL-2026-001",
        "form": "solution",
        "solvent": "water",
        "concentration": "10 mM",
        "peptide_content": 0.82,
        "salt_form": "acetate",
        "prepared_on": date(2026, 3, 1),
        "storage_temperature_c": -80,
    }
    args.update(kw)
    return store.inventory.add_stock(**args).id  # type: ignore[arg-type]


def test_stock_and_aliquots_round_trip(inv_store: Store, store_url: str) -> None:
    user = inv_store.accounts.create_user("ada", "a long password")
    lab = inv_store.accounts.create_project("lab", "ada")
    stock = inv_store.inventory.add_stock(
        compound="POL6326",
        lot="BAL-2026-001",
        form="solution",
        solvent="water",
        concentration="10 mM",
        peptide_content=0.82,
        salt_form="acetate",
        prepared_on="2026-03-01",
        storage_temperature_c=-80,
        aliquots=[
            AliquotSpec("BAL-2026-001-A01", "50 µL", date(2026, 3, 1)),
            AliquotSpec("BAL-2026-001-A02", 50e-6, "2026-03-01", storage_temperature_c=-20),
        ],
        created_by=user.id,
        project_id=lab.id,
    )
    assert stock.compound == "balixafortide"  # the registry's name, not the synonym
    assert (stock.concentration, stock.peptide_content, stock.salt_form) == (
        "10 mM",
        0.82,
        "acetate",
    )
    assert stock.prepared_on == date(2026, 3, 1) and stock.storage_temperature_c == -80
    assert stock.created_by == "ada" and stock.project_id == lab.id
    assert stock.expiry().expires_on == date(2027, 3, 1)
    assert inv_store.inventory.stock(stock.id) == stock
    assert inv_store.inventory.stocks(compound="balixafortide") == [stock]
    assert inv_store.inventory.stocks(project_ids=[lab.id + 1]) == []

    a1, a2 = inv_store.inventory.aliquots(stock_id=stock.id)
    assert (a1.label, a2.label) == ("BAL-2026-001-A01", "BAL-2026-001-A02")
    assert a1.volume_l == pytest.approx(50e-6) and a1.storage_temperature_c == -80
    assert a2.storage_temperature_c == -20
    assert a1.freeze_thaw_count == 0 and a1.status == "available"
    assert a1.check(date(2026, 3, 15)).state == "ok"
    assert a2.check(date(2026, 4, 1)).state == "expired"  # -20 °C: use within 1 month
    assert inv_store.inventory.aliquots(project_ids=[lab.id]) == [a1, a2]
    assert stock.to_dict()["expires_on"] == "2027-03-01"
    assert a2.to_dict(date(2026, 4, 1))["check"]["state"] == "expired"
    assert _counts(store_url) == (1, 2)


def test_record_thaw_increments_and_over_thaws(inv_store: Store) -> None:
    stock = _solution(inv_store)
    inv_store.inventory.add_aliquot(stock, label="A1", volume="20 uL")
    counts = [inv_store.inventory.record_thaw("A1").freeze_thaw_count for _ in range(3)]
    assert counts == [1, 2, 3]
    found = inv_store.inventory.aliquot("A1")
    assert found.check(date(2026, 3, 15)).state == "over-thawed"
    assert found.check(date(2026, 3, 15), max_refreezes=2).state == "ok"
    inv_store.inventory.set_status("A1", "empty")
    with pytest.raises(InputError, match="is empty"):
        inv_store.inventory.record_thaw("A1")
    with pytest.raises(NotFoundError):
        inv_store.inventory.record_thaw("nope")


def test_a_failing_add_leaves_nothing(inv_store: Store, store_url: str) -> None:
    stock = _solution(inv_store, aliquots=[AliquotSpec("A1", "10 µL")])
    assert _counts(store_url) == (1, 1)
    # the third aliquot's label is taken: neither the new stock nor any aliquot is written
    with pytest.raises(InputError) as info:
        _solution(
            inv_store,
            lot="BAL-2026-002",
            aliquots=[
                AliquotSpec("B1", "10 µL"),
                AliquotSpec("B2", "10 µL"),
                AliquotSpec("A1", "10 µL"),
            ],
        )
    assert info.value.place.field == "aliquots[2].label"
    assert "already exists" in str(info.value)
    assert _counts(store_url) == (1, 1)
    # a batch of aliquots of an existing stock: all or none
    with pytest.raises(InputError):
        inv_store.inventory.add_aliquots(
            stock, [AliquotSpec("C1", "10 µL"), AliquotSpec("C2", "-10 µL")]
        )
    assert _counts(store_url) == (1, 1)
    with pytest.raises(InputError, match="already exists"):
        inv_store.inventory.add_aliquot(stock, label="A1", volume="5 µL")
    assert _counts(store_url) == (1, 1)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"prepared_on": date(2026, 3, 16)}, "prepared_on", "is in the future"),
        ({"compound": "balixafortid"}, "compound", "Did you mean balixafortide"),
        ({"compound": "aspirin"}, "compound", "no compound 'aspirin'"),
        ({"concentration": "-10 mM"}, "concentration", "must be > 0"),
        ({"concentration": "0 mM"}, "concentration", "must be > 0"),
        ({"storage_temperature_c": 4}, "storage_temperature_c", "no storage rule"),
        ({"storage_temperature_c": -70}, "storage_temperature_c", "no storage rule"),
        ({"form": "gel"}, "form", "form must be one of"),
        ({"solvent": None}, "solvent", "needs its solvent"),
        ({"concentration": None}, "concentration", "needs its concentration"),
        ({"peptide_content": 1.5}, "peptide_content", "fraction in (0, 1]"),
        ({"lot": ""}, "lot", "must not be empty"),
        (
            {"form": "powder", "storage_temperature_c": -20},
            "concentration",
            "has no concentration",
        ),
        ({"concentration": "10 mL"}, "concentration", "not"),
    ],
)
def test_bad_stocks_are_refused_naming_the_field(
    inv_store: Store, store_url: str, change: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InputError) as info:
        _solution(inv_store, **change)
    assert info.value.place.field == field
    assert message in str(info.value)
    assert _counts(store_url) == (0, 0)


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        (AliquotSpec("A1", "-50 µL"), "volume", "volume must be > 0"),
        (AliquotSpec("A1", -5e-5), "volume", "volume must be > 0"),
        (AliquotSpec("A1", "50 µL", date(2026, 4, 1)), "prepared_on", "in the future"),
        (AliquotSpec("A1", "50 µL", date(2026, 2, 1)), "prepared_on", "before its stock"),
        (
            AliquotSpec("A1", "50 µL", storage_temperature_c=4),
            "storage_temperature_c",
            "no storage rule",
        ),
        (AliquotSpec("../x", "50 µL"), "label", "is not a label"),
        (AliquotSpec("A1", "50 µL", status="lost"), "status", "must be one of"),
    ],
)
def test_bad_aliquots_are_refused_naming_the_field(
    inv_store: Store, store_url: str, spec: AliquotSpec, field: str, message: str
) -> None:
    stock = _solution(inv_store)
    with pytest.raises(InputError) as info:
        inv_store.inventory.add_aliquots(stock, [spec])
    assert info.value.place.field == field
    assert message in str(info.value)
    assert _counts(store_url) == (1, 0)


def test_duplicate_labels_within_one_batch_are_refused(inv_store: Store) -> None:
    stock = _solution(inv_store)
    with pytest.raises(InputError, match="given twice") as info:
        inv_store.inventory.add_aliquots(
            stock, [AliquotSpec("A1", "5 µL"), AliquotSpec("A1", "5 µL")]
        )
    assert info.value.place.field == "aliquots[1].label"


def test_a_powder_stock_has_no_solvent_and_its_own_rule(inv_store: Store) -> None:
    stock = inv_store.inventory.add_stock(
        compound="balixafortide",
        lot="BAL-LYO-7",
        form="lyophilized",
        prepared_on=date(2026, 1, 5),
        storage_temperature_c="-20",
        peptide_content="0.78",
        salt_form="TFA salt",
    )
    assert stock.form == "lyophilised powder" and stock.solvent is None
    assert stock.concentration is None and stock.peptide_content == 0.78
    assert stock.expiry().expires_on == date(2029, 1, 5)  # 36 months (registry)
    with pytest.raises(InputError, match="has no solvent"):
        inv_store.inventory.add_stock(
            compound="balixafortide",
            lot="x",
            form="powder",
            solvent="water",
            prepared_on=date(2026, 1, 5),
            storage_temperature_c=-20,
        )


def test_unknown_ids_are_not_found(inv_store: Store) -> None:
    with pytest.raises(NotFoundError):
        inv_store.inventory.stock(41)
    with pytest.raises(NotFoundError):
        inv_store.inventory.add_aliquot(41, label="A1", volume="5 µL")
    with pytest.raises(InputError) as info:
        _solution(inv_store, project_id=99)
    assert info.value.place.field == "project_id"


def test_several_stocks_in_one_transaction_all_or_none(inv_store: Store, store_url: str) -> None:
    good = {
        "compound": "balixafortide",
        "lot": "L1",
        "form": "solution",
        "solvent": "water",
        "concentration": "1 mg/mL",
        "prepared_on": date(2026, 3, 1),
        "storage_temperature_c": -80,
        "aliquots": [AliquotSpec("L1-A1", "10 µL", freeze_thaw_count=2)],
    }
    clash = {**good, "lot": "L2", "aliquots": [AliquotSpec("L1-A1", "10 µL")]}
    with pytest.raises(InputError) as info:
        inv_store.inventory.add_stocks([good, clash])
    assert info.value.place.field == "stocks[1].label"
    assert _counts(store_url) == (0, 0)
    with pytest.raises(InputError) as info:
        inv_store.inventory.add_stocks([good, {**good, "lot": "L3", "form": "gel"}])
    assert info.value.place.field == "stocks[1].form"
    added = inv_store.inventory.add_stocks([good, {**good, "lot": "L2", "aliquots": []}])
    assert [s.lot for s in added] == ["L1", "L2"]
    assert inv_store.inventory.aliquot("L1-A1").freeze_thaw_count == 2
    assert _counts(store_url) == (2, 1)
