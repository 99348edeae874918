"""Fixtures for the results-store tests: a fresh database per test, on every configured backend.

SQLite always; PostgreSQL too when ``CXCR4LAB_TEST_POSTGRES_URL`` names a scratch database
(everything in it is dropped before and after each test).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import MetaData, create_engine, func, select

from cxcr4lab.store import Store

POSTGRES_ENV = "CXCR4LAB_TEST_POSTGRES_URL"
TABLES = ("input_files", "analyses", "analysis_inputs")


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            metadata.drop_all(connection)
    finally:
        engine.dispose()


@pytest.fixture(params=_backends())
def store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL of an empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path_factory.mktemp('db') / 'results.sqlite').as_posix()}"
        return
    url = os.environ[POSTGRES_ENV]
    _drop_everything(url)
    yield url
    _drop_everything(url)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open store on an empty database."""
    with Store(store_url) as opened:
        yield opened


@pytest.fixture
def row_counts(store_url: str) -> Callable[[], dict[str, int]]:
    """Count the rows of each store table, over a connection of its own."""
    return lambda: _count_rows(store_url)


def _count_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            metadata = MetaData()
            metadata.reflect(connection, only=TABLES)
            return {
                name: connection.scalar(select(func.count()).select_from(metadata.tables[name]))
                or 0
                for name in TABLES
            }
    finally:
        engine.dispose()
