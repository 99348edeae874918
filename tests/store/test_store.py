"""Saving, reading, listing and deleting analyses; one transaction per save."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

import cxcr4lab.store
from cxcr4lab.core.errors import InputError, NotFoundError, StoreError
from cxcr4lab.store import AnalysisRecord, InputBlob, InputRef, Store
from cxcr4lab.store._schema import Analysis

PLATE = InputBlob(name="plate1.csv", role="plate", content=b"well,signal\nA1,1.5\n")
LAYOUT = InputBlob(name="layout.toml", role="layout", content=b"[well.A1]\nconc = 1e-9\n")

TRICKY_FLOATS = [0.1, 1 / 3, 5e-324, 1.7976931348623157e308, -0.0, 2.0**-1074, 1e-9, 123456.789]


def _save(store: Store, **overrides: Any) -> int:
    fields: dict[str, Any] = {
        "kind": "binding",
        "title": "POL6326 vs CXCL12-AF647, plate 1",
        "result": {"ic50_M": 1.2e-9},
        "parameters": {"model": "4PL"},
        "inputs": [PLATE, LAYOUT],
    }
    fields.update(overrides)
    return store.save_analysis(**fields)


class FixedClock:
    """A clock that advances one minute per call, from 2024-01-01 UTC."""

    def __init__(self) -> None:
        self.now = datetime(2024, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def test_round_trip_keeps_everything(store: Store) -> None:
    result = {
        "ic50_M": 1.23e-9,
        "floats": TRICKY_FLOATS,
        "curves": [{"well": "A1", "y": [[1.0, 2.5], [3.25, None]], "ok": True}],
        "big": 2**63 + 1,
        "label": "β-arrestin recruitment, µM",
        "empty": {},
    }
    parameters = {"model": "4PL", "bounds": {"hill": [0.1, 5.0]}, "weights": None}
    analysis_id = _save(store, result=result, parameters=parameters)

    record = store.get(analysis_id)

    assert record == AnalysisRecord(
        id=analysis_id,
        kind="binding",
        title="POL6326 vs CXCL12-AF647, plate 1",
        created_at=record.created_at,
        software_version=version("cxcr4lab"),
        parameters=parameters,
        result=result,
        inputs=(
            InputRef("layout.toml", "layout", LAYOUT.sha256, len(LAYOUT.content)),
            InputRef("plate1.csv", "plate", PLATE.sha256, len(PLATE.content)),
        ),
    )
    for saved, read in zip(TRICKY_FLOATS, record.result["floats"], strict=True):
        assert read.hex() == saved.hex()  # bit for bit, sign of zero included
    assert record.created_at.tzinfo is not None
    assert record.created_at.utcoffset() == timedelta(0)
    assert abs(record.created_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert store.input_content(PLATE.sha256) == PLATE.content


def test_tuples_are_read_back_as_lists(store: Store) -> None:
    analysis_id = _save(store, result={"ci": (1.0, 2.0)})
    assert store.get(analysis_id).result == {"ci": [1.0, 2.0]}


def test_clock_stamps_created_at(store_url: str) -> None:
    with Store(store_url, clock=lambda: datetime(2024, 5, 1, 14, tzinfo=UTC)) as store:
        analysis_id = _save(store)
        assert store.get(analysis_id).created_at == datetime(2024, 5, 1, 14, tzinfo=UTC)


def test_identical_inputs_are_stored_once(
    store: Store, row_counts: Callable[[], dict[str, int]]
) -> None:
    copy = InputBlob(name="plate1-copy.csv", role="plate", content=PLATE.content)
    first = _save(store, inputs=[PLATE, copy])
    second = _save(store, inputs=[PLATE])

    assert row_counts() == {"input_files": 1, "analyses": 2, "analysis_inputs": 3}
    assert {ref.sha256 for ref in store.get(first).inputs} == {PLATE.sha256}
    assert store.get(second).inputs == (InputRef("plate1.csv", "plate", PLATE.sha256, 19),)


def test_input_blob_hash_is_sha256_hex() -> None:
    blob = InputBlob(name="x", role="plate", content=b"abc")
    assert blob.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.fixture
def clocked(store_url: str) -> Iterator[Store]:
    with Store(store_url, clock=FixedClock()) as store:
        yield store


def test_list_is_newest_first_with_input_names(clocked: Store) -> None:
    ids = [_save(clocked, title=f"plate {i}") for i in range(3)]

    listed = clocked.list()

    assert [s.id for s in listed] == ids[::-1]
    assert listed[0].title == "plate 2"
    assert listed[0].input_names == ("layout.toml", "plate1.csv")
    assert listed[0].created_at > listed[1].created_at > listed[2].created_at
    assert [s.id for s in clocked.list(limit=2)] == ids[:0:-1]


def test_list_filters_by_kind_and_search(clocked: Store) -> None:
    binding = _save(clocked, kind="binding", title="Balixafortide binding")
    calcium = _save(clocked, kind="calcium", title="Ca2+ flux, 100% CXCL12")
    odd_input = _save(
        clocked,
        kind="calcium",
        title="Second flux",
        inputs=[InputBlob("Run_42.xlsx", "plate", b"x")],
    )

    assert [s.id for s in clocked.list(kind="calcium")] == [odd_input, calcium]
    assert [s.id for s in clocked.list(kind="viability")] == []
    assert [s.id for s in clocked.list(search="BALIXA")] == [binding]
    assert [s.id for s in clocked.list(search="run_42")] == [odd_input]
    assert [s.id for s in clocked.list(search="100%")] == [calcium]
    assert [s.id for s in clocked.list(search="0%C")] == []  # % is literal, not a wildcard
    assert [s.id for s in clocked.list(kind="binding", search="flux")] == []
    assert len(clocked.list(search="  ")) == 3


def test_list_refuses_a_bad_limit(store: Store) -> None:
    with pytest.raises(InputError, match="limit"):
        store.list(limit=0)


def test_missing_things_raise_not_found_naming_them(store: Store) -> None:
    with pytest.raises(NotFoundError, match="42"):
        store.get(42)
    with pytest.raises(NotFoundError, match="43"):
        store.delete(43)
    with pytest.raises(NotFoundError, match="ab" * 32):
        store.input_content("ab" * 32)


def test_delete_removes_the_analysis_and_orphaned_inputs_only(
    store: Store, row_counts: Callable[[], dict[str, int]]
) -> None:
    shared = _save(store, inputs=[PLATE, LAYOUT])
    other = _save(store, inputs=[PLATE])

    store.delete(shared)

    assert row_counts() == {"input_files": 1, "analyses": 1, "analysis_inputs": 1}
    assert store.input_content(PLATE.sha256) == PLATE.content
    with pytest.raises(NotFoundError):
        store.input_content(LAYOUT.sha256)
    with pytest.raises(NotFoundError):
        store.get(shared)
    assert [s.id for s in store.list()] == [other]
    assert _save(store) > other  # ids are not reused


@pytest.mark.parametrize(
    ("result", "where"),
    [
        ({"ic50_M": math.nan}, "result['ic50_M'] is nan"),
        ({"curves": [{"top": math.inf}]}, r"result\['curves'\]\[0\]\['top'\] is inf"),
        ({"wells": {"A1", "B1"}}, "result['wells'] is a set"),
        ({"fit": object()}, "result['fit'] is a object"),
        ({"by_conc": {1e-9: 0.5}}, "result['by_conc'] has a key 1e-09"),
    ],
)
def test_a_result_json_cannot_hold_is_refused_and_nothing_written(
    store: Store, row_counts: Callable[[], dict[str, int]], result: dict[str, Any], where: str
) -> None:
    with pytest.raises(StoreError) as caught:
        _save(store, result=result)
    assert where.replace("\\", "") in str(caught.value)
    assert row_counts() == {"input_files": 0, "analyses": 0, "analysis_inputs": 0}


def test_bad_parameters_are_refused_too(
    store: Store, row_counts: Callable[[], dict[str, int]]
) -> None:
    with pytest.raises(StoreError, match="parameters"):
        _save(store, parameters={"x": -math.inf})
    assert row_counts() == {"input_files": 0, "analyses": 0, "analysis_inputs": 0}


@pytest.fixture
def failing_analysis_insert(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Make the INSERT of the analysis row fail; record input rows inserted before it."""
    inserted: list[str] = []

    def record_input(
        _conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO INPUT_FILES"):
            inserted.append(params["sha256"] if isinstance(params, dict) else params[0])

    def fail(_mapper: Any, _connection: Any, _target: Analysis) -> None:
        raise OperationalError("INSERT INTO analyses", {}, Exception("disk I/O error (injected)"))

    event.listen(Engine, "before_cursor_execute", record_input)
    event.listen(Analysis, "before_insert", fail)
    try:
        yield inserted
    finally:
        event.remove(Analysis, "before_insert", fail)
        event.remove(Engine, "before_cursor_execute", record_input)


def test_a_failure_after_the_inputs_were_written_leaves_nothing(
    store: Store, row_counts: Callable[[], dict[str, int]], failing_analysis_insert: list[str]
) -> None:
    with pytest.raises(StoreError, match="injected"):
        _save(store)
    assert sorted(failing_analysis_insert) == sorted([PLATE.sha256, LAYOUT.sha256])
    assert row_counts() == {"input_files": 0, "analyses": 0, "analysis_inputs": 0}


def test_a_failure_keeps_inputs_other_analyses_own(
    store: Store, row_counts: Callable[[], dict[str, int]]
) -> None:
    first = _save(store, inputs=[PLATE])

    def fail(_mapper: Any, _connection: Any, _target: Analysis) -> None:
        raise RuntimeError("boom (injected)")

    event.listen(Analysis, "before_insert", fail)
    try:
        with pytest.raises(StoreError, match="boom"):
            _save(store, inputs=[PLATE, LAYOUT])
    finally:
        event.remove(Analysis, "before_insert", fail)

    assert row_counts() == {"input_files": 1, "analyses": 1, "analysis_inputs": 1}
    assert store.get(first).inputs[0].sha256 == PLATE.sha256


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": ""}, "kind"),
        ({"kind": "k" * 65}, "kind"),
        ({"inputs": [PLATE, InputBlob("plate1.csv", "plate", b"other")]}, r"inputs\[1\]"),
        ({"inputs": [InputBlob("", "plate", b"x")]}, r"inputs\[0\]\.name"),
        ({"inputs": [InputBlob("a.csv", "", b"x")]}, r"inputs\[0\]\.role"),
    ],
)
def test_bad_arguments_raise_input_error_naming_the_field(
    store: Store,
    row_counts: Callable[[], dict[str, int]],
    overrides: dict[str, Any],
    field: str,
) -> None:
    with pytest.raises(InputError, match=field):
        _save(store, **overrides)
    assert row_counts() == {"input_files": 0, "analyses": 0, "analysis_inputs": 0}


def test_a_closed_store_refuses_work(store_url: str) -> None:
    store = Store(store_url)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list()


def test_in_memory_sqlite_works() -> None:
    with Store("sqlite://") as store:
        analysis_id = _save(store)
        assert store.get(analysis_id).result == {"ic50_M": 1.2e-9}


def test_public_api_is_exported() -> None:
    public = {n for n in vars(cxcr4lab.store) if not n.startswith("_")}
    modules = {"annotations"} | {n for n in public if n.startswith(("migrations",))}
    assert set(cxcr4lab.store.__all__) == public - modules
    for name in cxcr4lab.store.__all__:
        assert getattr(cxcr4lab.store, name) is not None


def test_a_result_encoded_apart_is_stored_as_given(store: Store) -> None:
    """``encode_json`` (run where the result was made, e.g. an analysis worker) does the checks
    of a save; the save then stores the text, and a record read without its result skips it."""
    result = {"ic50_M": 1.2e-9, "curves": [{"name": "POL6326", "hill": -1.0}]}
    encoded = cxcr4lab.store.encode_json(result)
    analysis_id = _save(store, result=encoded)
    assert store.get(analysis_id).result == result
    header = store.get(analysis_id, with_result=False)
    assert header.result == {} and header.parameters == {"model": "4PL"}
    assert [i.name for i in header.inputs] == ["layout.toml", "plate1.csv"]
    with pytest.raises(StoreError, match=r"result\['bad'\] is nan"):
        cxcr4lab.store.encode_json({"bad": math.nan})
    with pytest.raises(StoreError, match="not a string"):
        cxcr4lab.store.encode_json({"nested": [{1: "one"}]})
