"""The clinical kinds refuse a bad option in the same words from the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cxcr4lab.runs import KINDS, cli_flag, example_inputs
from tests.conftest import CliRun
from tests.web.conftest import Lab

BAD = [
    ("survival", "tau", "-1"),
    ("response", "cbr_weeks", "-2"),
    ("safety", "min_pct", "101"),
    ("trial", "orr", "1.3,0.13"),
    ("three_plus_three", "dlt", "0.05,0.1"),
    ("fortress", "replicates", "10"),
]
"""(kind, option, a value it refuses)."""


@pytest.mark.parametrize(("name", "field", "value"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_option_is_a_422_and_one_cli_line_in_the_same_words(
    lab: Lab, cli: Callable[..., CliRun], tmp_path: Path, name: str, field: str, value: str
) -> None:
    kind = KINDS[name]
    files = example_inputs(kind.examples[0])
    with lab.client("alice") as client:
        response = client.post(
            f"/api/runs/{name}", data={"project": "alpha", field: value}, files=files
        )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["place"] == {"field": field}
    words = body["detail"].split(": ", 1)[1]
    args = [*kind.command]
    for key, (file, content) in files.items():
        path = tmp_path / file
        path.write_bytes(content)
        flag = kind.input(key).flag
        args += [str(path)] if flag is None else [flag, str(path)]
    run = cli(*args, cli_flag(field), value)
    assert run.code == 2
    assert run.err.strip() == f"error: {cli_flag(field)}: {words}"
    assert "analysis #" not in run.out  # nothing stored
