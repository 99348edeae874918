"""The flow and PK kinds (occupancy, cd34, bioanalysis, nca, pkfit) on the API and the CLI:
a bad option is one line naming the flag and a 422 naming the field, in the same words; FCS
files (one ``.fcs`` or a ``.zip`` of them) upload."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cxcr4lab.runs import KINDS, Example, cli_flag, example_inputs
from tests.conftest import CliRun
from tests.web.conftest import Lab

BAD = {  # kind -> (example index, the bad option, its value)
    "occupancy": (0, "statistic", "mode"),
    "cd34": (1, "volume_ul", "0"),
    "bioanalysis": (0, "weighting", "1/z"),
    "nca": (0, "lambda_z", "3:6"),
    "pkfit": (0, "weights", "1/x"),
}


def _args(name: str, example: Example, folder: Path) -> list[str]:
    kind = KINDS[name]
    args = list(kind.command)
    for key, (file, content) in example_inputs(example).items():
        path = folder / file
        path.write_bytes(content)
        flag = kind.input(key).flag
        args += [str(path)] if flag is None else [flag, str(path)]
    return args


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_option_is_named_alike_by_the_api_and_the_cli(
    lab: Lab, cli: Callable[..., CliRun], tmp_path: Path, name: str
) -> None:
    index, option, value = BAD[name]
    example = KINDS[name].examples[index]
    options = {**example.options, option: value}
    with lab.client("alice") as client:
        response = client.post(
            f"/api/runs/{name}",
            data={"project": "alpha", **options},
            files=example_inputs(example),
        )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["place"] == {"field": option}
    words = body["detail"].split(": ", 1)[1]
    args = _args(name, example, tmp_path)
    for key, text in options.items():
        args += [cli_flag(key), text]
    run = cli(*args, "--no-save")
    assert run.code == 2
    assert run.err.strip() == f"error: {cli_flag(option)}: {words}"


@pytest.mark.parametrize("name", ["occupancy", "cd34"])
def test_the_fcs_example_uploads_and_is_stored_with_its_files(lab: Lab, name: str) -> None:
    example = KINDS[name].examples[1]
    files = example_inputs(example)
    assert any(file.endswith((".fcs", ".zip")) for file, _ in files.values())
    with lab.client("alice") as client:
        response = client.post(
            f"/api/runs/{name}", data={"project": "alpha", **example.options}, files=files
        )
        assert response.status_code == 201, response.text
        stored = client.get(f"/api/analyses/{response.json()['id']}").json()
    assert sorted(stored["input_names"]) == sorted(file for file, _ in files.values())


def test_an_fcs_file_where_a_table_is_expected_names_the_field(lab: Lab) -> None:
    tube = example_inputs(KINDS["cd34"].examples[1])["data"]
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/occupancy", data={"project": "alpha"}, files={"data": tube}
        )
        empty = client.post(
            "/api/runs/cd34", data={"project": "alpha"}, files={"data": ("tubes.zip", b"")}
        )
    assert response.status_code == 422 and response.json()["place"]["field"] == "data"
    assert empty.status_code == 422 and empty.json()["place"]["field"] == "data"
