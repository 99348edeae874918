"""A bad option of chemotaxis, viability, western or ihc: the same words from ``POST
/api/runs/<kind>`` (422 naming the field) and the command line (one line naming the flag)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cxcr4lab.runs import KINDS, cli_flag, example_inputs, option_specs
from tests.conftest import CliRun
from tests.web.conftest import Lab

BAD = [
    ("chemotaxis", "standard_model", "5pl"),
    ("chemotaxis", "agonist_hill", "0"),
    ("viability", "hours", "-3"),
    ("viability", "saturation", "lots"),
    ("western", "normalise_to", "actin"),
    ("western", "floor", "maybe"),
    ("ihc", "cutoff", "400"),
]


@pytest.mark.parametrize(("name", "field", "value"), BAD, ids=[f"{k}-{f}" for k, f, _ in BAD])
def test_a_bad_option_is_a_422_naming_the_field_and_one_cli_line_naming_the_flag(
    lab: Lab, cli: Callable[..., CliRun], tmp_path: Path, name: str, field: str, value: str
) -> None:
    kind = KINDS[name]
    example = kind.examples[0]
    files = example_inputs(example)
    with lab.client("alice") as client:
        response = client.post(
            f"/api/runs/{name}",
            data={"project": "alpha", **example.options, field: value},
            files=files,
        )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["place"] == {"field": field}
    words = body["detail"].split(": ", 1)[1]
    if next(s for s in option_specs(kind.options) if s.name == field).kind == "flag":
        return  # a flag is --x/--no-x on the command line: no value to get wrong
    args = ["analyze", name]
    for key, (file, content) in files.items():
        path = tmp_path / file
        path.write_bytes(content)
        flag = kind.input(key).flag
        args += [str(path)] if flag is None else [flag, str(path)]
    for key, text in {**example.options, field: value}.items():
        args += [cli_flag(key), text]
    run = cli(*args, "--no-save")
    assert run.code == 2, run.out
    assert run.err.strip() == f"error: {cli_flag(field)}: {words}"
