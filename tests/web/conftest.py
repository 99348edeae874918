"""A real uvicorn server per test module and database backend, with two users in two projects.

SQLite always; PostgreSQL too when ``CXCR4LAB_TEST_POSTGRES_URL`` is set. Under ``CI=true`` the
PostgreSQL URL is required: the tests fail rather than skip without it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlalchemy import MetaData, create_engine

from cxcr4lab.store import Store
from cxcr4lab.web import Settings, create_app
from cxcr4lab.workflows import example_bytes

POSTGRES_ENV = "CXCR4LAB_TEST_POSTGRES_URL"
PASSWORD = "correct horse battery"
PLATE = example_bytes("binding", "plate96_run1.csv")
LAYOUT = example_bytes("binding", "layout96.toml")


def backends() -> list[str]:
    if os.environ.get(POSTGRES_ENV):
        return ["sqlite", "postgresql"]
    if os.environ.get("CI", "").lower() == "true":
        return ["sqlite", "postgresql-missing"]
    return ["sqlite"]


def drop_everything(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            metadata.drop_all(connection)
    finally:
        engine.dispose()


def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "postgresql-missing":
        pytest.fail(f"CI=true but {POSTGRES_ENV} is not set: the PostgreSQL tests must run")
    if backend == "sqlite":
        return f"sqlite:///{(tmp_path_factory.mktemp('web') / 'web.sqlite').as_posix()}"
    url = os.environ[POSTGRES_ENV]
    drop_everything(url)
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Lab:
    """A running server: its base URL, database URL, settings, and users' API tokens."""

    base: str
    database_url: str
    settings: Settings
    tokens: dict[str, str]
    projects: dict[str, str]

    def client(self, user: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=120)


class ServerThread:
    """uvicorn serving ``app`` on loopback in a background thread."""

    def __init__(self, app: object, port: int) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        # Startup waits for the analysis workers' fork server (slow on a busy machine).
        deadline = time.monotonic() + 120
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def seed(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Users alice (project alpha) and bob (project beta); their API tokens."""
    with Store(url) as store:
        accounts = store.accounts
        tokens = {}
        for name in ("alice", "bob"):
            user = accounts.create_user(name, PASSWORD)
            tokens[name] = accounts.create_token(user.id, "tests")
        accounts.create_project("alpha", "alice")
        accounts.create_project("beta", "bob")
    return tokens, {"alice": "alpha", "bob": "beta"}


@pytest.fixture(scope="module", params=backends())
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    url = database_url(request.param, tmp_path_factory)
    tokens, projects = seed(url)
    settings = Settings(database_url=url, secret_key="k" * 40, max_upload_bytes=2 * 2**20)
    port = free_port()
    with ServerThread(create_app(settings), port):
        yield Lab(f"http://127.0.0.1:{port}", url, settings, tokens, projects)
    if request.param == "postgresql":
        drop_everything(url)


BINDING_OPTIONS = {"radioligand_conc": "0.1 nM", "kd": "0.5 nM"}
"""The options of the bundled binding example (the two a binding run needs)."""


def upload(
    client: httpx.Client, project: str, *, kind: str = "binding", **extra: object
) -> httpx.Response:
    """POST files (default: the bundled example plate and layout) to ``/api/runs/<kind>``; a
    binding run gets the example's radioligand concentration and Kd unless ``extra`` gives them."""
    files = extra.pop("files", None) or {"plate": PLATE, "layout": LAYOUT}
    options = BINDING_OPTIONS if kind == "binding" else {}
    data = {"project": project, **options, **extra}
    return client.post(f"/api/runs/{kind}", data=data, files=files)  # type: ignore[arg-type]
