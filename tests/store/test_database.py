"""Opening databases: default location, migrations, reopening, and files that are not ours."""

from __future__ import annotations

import sys
from importlib.util import find_spec
from pathlib import Path

import platformdirs
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from cxcr4lab.core.errors import StoreError
from cxcr4lab.store import InputBlob, Store, default_url
from cxcr4lab.store._migrate import upgrade_to_head
from cxcr4lab.store._schema import Base

ENV = "CXCR4LAB_DATABASE_URL"


def _save_one(store: Store) -> int:
    return store.save_analysis(
        kind="binding",
        title="plate 1",
        result={"ic50_M": 1e-9},
        parameters={},
        inputs=[InputBlob("plate.csv", "plate", b"A1,1\n")],
    )


def test_default_url_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "postgresql+psycopg://lab@db.example/cxcr4")
    assert default_url() == "postgresql+psycopg://lab@db.example/cxcr4"


def test_default_url_is_in_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    asked: list[str] = []

    def user_data_dir(appname: str) -> str:
        asked.append(appname)
        return str(tmp_path / "data" / appname)

    monkeypatch.setattr(platformdirs, "user_data_dir", user_data_dir)

    url = default_url()

    assert asked == ["cxcr4lab"]
    assert url == f"sqlite:///{(tmp_path / 'data' / 'cxcr4lab' / 'cxcr4lab.sqlite').as_posix()}"
    assert (tmp_path / "data" / "cxcr4lab").is_dir()


@pytest.mark.skipif(sys.platform == "win32", reason="the data dir does not follow HOME there")
def test_default_url_follows_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    url = default_url()

    assert url.startswith(f"sqlite:///{tmp_path.as_posix()}/")
    assert url.endswith("/cxcr4lab/cxcr4lab.sqlite")
    assert Path(url.removeprefix("sqlite:///")).parent.is_dir()


def test_store_without_url_uses_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{(tmp_path / 'env.sqlite').as_posix()}"
    monkeypatch.setenv(ENV, url)
    with Store() as store:
        assert store.url == url
        _save_one(store)
    assert (tmp_path / "env.sqlite").is_file()


def test_reopening_keeps_the_data(store_url: str) -> None:
    with Store(store_url) as store:
        analysis_id = _save_one(store)
        saved = store.get(analysis_id)
    with Store(store_url) as store:
        assert store.get(analysis_id) == saved
        assert [s.id for s in store.list()] == [analysis_id]


def _schema_and_version(url: str) -> tuple[list[str], list[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            metadata = Base.metadata
            context = MigrationContext.configure(connection)
            versions = list(context.get_current_heads())
            tables = sorted(connection.dialect.get_table_names(connection))
            columns = [
                f"{t}.{c['name']}:{c['type']}"
                for t in tables
                for c in connection.dialect.get_columns(connection, t)
            ]
            assert set(metadata.tables) <= set(tables)
            return versions, columns
    finally:
        engine.dispose()


def test_migrating_twice_is_a_no_op(store_url: str) -> None:
    with Store(store_url) as store:
        analysis_id = _save_one(store)
    before = _schema_and_version(store_url)

    engine = create_engine(store_url)
    try:
        with engine.begin() as connection:
            upgrade_to_head(connection)
        with engine.begin() as connection:
            upgrade_to_head(connection)
    finally:
        engine.dispose()

    assert _schema_and_version(store_url) == before
    assert before[0] == ["0003"]
    with Store(store_url) as store:
        assert store.get(analysis_id).title == "plate 1"


def test_migrated_schema_matches_the_models(store_url: str) -> None:
    Store(store_url).close()
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_a_file_that_is_not_sqlite_gives_store_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "not-a-database.sqlite"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    url = f"sqlite:///{path.as_posix()}"

    with pytest.raises(StoreError, match=r"not-a-database\.sqlite") as caught:
        Store(url)

    assert url in str(caught.value)
    assert "not a database" in str(caught.value)


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'newer.sqlite').as_posix()}"
    Store(url).close()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    with pytest.raises(StoreError, match=r"newer\.sqlite.*9999"):
        Store(url)


def test_a_missing_directory_gives_store_error(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'no' / 'such' / 'dir' / 'x.sqlite').as_posix()}"
    with pytest.raises(StoreError, match=r"x\.sqlite"):
        Store(url)


def test_a_bad_url_gives_store_error() -> None:
    with pytest.raises(StoreError, match="not a url"):
        Store("not a url")


def test_a_missing_driver_gives_store_error_without_the_password() -> None:
    assert find_spec("pg8000") is None  # a PostgreSQL driver this project does not install
    with pytest.raises(StoreError, match="driver is not installed") as caught:
        Store("postgresql+pg8000://lab:s3cret@db.example/cxcr4")
    assert "lab:***@db.example" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_an_unknown_backend_gives_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="nosuchdb") as caught:
        Store("nosuchdb://lab:s3cret@db.example/cxcr4")
    assert "s3cret" not in str(caught.value)


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'wal.sqlite').as_posix()}"
    with Store(url) as store:
        _save_one(store)
        with store._engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
