"""schemathesis against the OpenAPI schema of a running server: no input gives a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from cxcr4lab.runs import KINDS
from cxcr4lab.web import Settings, create_app
from tests.web.conftest import ServerThread, free_port, seed

SERVER: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    url = f"sqlite:///{(tmp_path_factory.mktemp('schema') / 'web.sqlite').as_posix()}"
    tokens, _ = seed(url)
    port = free_port()
    app = create_app(Settings(database_url=url, secret_key="s" * 40, max_upload_bytes=2**20))
    with ServerThread(app, port):
        SERVER["base"] = f"http://127.0.0.1:{port}"
        SERVER["token"] = tokens["alice"]
        yield schemathesis.openapi.from_url(f"{SERVER['base']}/openapi.json")


def test_no_server_errors(api_schema: Any) -> None:
    """Every operation, 12 generated requests each (as alice, with her API token)."""
    headers = {"Authorization": f"Bearer {SERVER['token']}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=SERVER["base"], headers=headers, checks=[not_a_server_error]
            )

        run()


def test_the_schema_lists_the_api(api_schema: object) -> None:
    paths = httpx.get(f"{SERVER['base']}/openapi.json").json()["paths"]
    assert {"/api/analyses", "/api/analyses/{analysis_id}", "/api/compounds/{name}"} <= set(paths)
    assert {f"/api/runs/{name}" for name in KINDS} <= set(paths)
    assert all(set(paths[f"/api/runs/{name}"]) == {"post"} for name in KINDS)
    assert set(paths["/api/analyses"]) == {"get"}  # analyses are made by /api/runs/<kind>
    assert not any(p.startswith(("/login", "/runs", "/upload")) for p in paths)
