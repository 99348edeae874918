"""The model kinds (``simulate regimen|compare|mobilization``, ``receptor calibrate|schild|
recover``) refuse a bad option in the same words from the API and the CLI, and the regimen
simulation takes its optional covariates file through the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cxcr4lab.runs import KINDS, cli_flag
from tests.conftest import CliRun
from tests.web.conftest import Lab

BAD = [
    ("regimen_simulation", "patients", "0"),
    ("regimen_comparison", "limit", "2"),
    ("mobilization", "efficiency", "1.5"),
    ("receptor_calibration", "kb", "0.15 parsec"),
    ("schild", "readout", "calcium"),
    ("virtual_recovery", "seed", "-1"),
]
"""(kind, option, a value it refuses before anything runs)."""


@pytest.mark.parametrize(("name", "field", "value"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_option_is_a_422_and_one_cli_line_in_the_same_words(
    lab: Lab, cli: Callable[..., CliRun], name: str, field: str, value: str
) -> None:
    with lab.client("alice") as client:
        response = client.post(f"/api/runs/{name}", data={"project": "alpha", field: value})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["place"] == {"field": field}
    words = body["detail"].split(": ", 1)[1]
    run = cli(*KINDS[name].command, f"{cli_flag(field)}={value}")
    assert run.code == 2
    assert run.err.strip() == f"error: {cli_flag(field)}: {words}"
    assert "analysis #" not in run.out  # nothing stored


def test_regimen_simulation_with_a_covariates_upload(lab: Lab) -> None:
    patients = ("patients.csv", b"ID,WT,HT\n1,55,158\n2,82,170\n")
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/regimen_simulation",
            data={"project": "alpha", "cycles": "1"},
            files={"covariates": patients},
        )
        assert response.status_code == 201, response.text
        got = response.json()
        assert "2 virtual patients" in got["title"]
        assert client.get(f"/api/analyses/{got['id']}").json()["input_names"] == ["patients.csv"]
        missing = client.post(
            "/api/runs/regimen_simulation",
            data={"project": "alpha", "cycles": "1"},
            files={"covariates": ("no_weight.csv", b"ID,HT\n1,160\n")},
        )
    assert missing.status_code == 422
    assert missing.json()["place"]["file"] == "no_weight.csv"
    assert "'WT'" in missing.json()["detail"]
