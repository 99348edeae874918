"""The ``pk_regimen`` kind on the API: a bad option is a 422 naming the field in the command
line's words; a stored pkfit uploads as JSON; a JSON of another kind is refused naming it."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from cxcr4lab.runs import KINDS, cli_flag, example_inputs
from tests.conftest import CliRun
from tests.web.conftest import Lab
from tests.web.test_pages import browser  # noqa: F401 (the logged-in browser fixture)

BALIXAFORTIDE = KINDS["pk_regimen"].examples[0]
THEOPH = KINDS["pk_regimen"].examples[1]


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("parameter", "CL=1.2; V1=5; Q=5; V3=10", "unknown parameter 'V3'"),
        ("interval", "0", "must be a number > 0"),
        ("doses", "5000", "must be a whole number >= 1 and <= 1000"),
    ],
)
def test_a_bad_option_is_named_alike_by_the_api_and_the_cli(
    lab: Lab, cli: Callable[..., CliRun], option: str, value: str, words: str
) -> None:
    options = {**BALIXAFORTIDE.options, option: value}
    with lab.client("alice") as client:
        response = client.post("/api/runs/pk_regimen", data={"project": "alpha", **options})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["place"] == {"field": option}
    said = body["detail"].split(": ", 1)[1]
    assert words in said
    args = ["simulate", "pk"]
    for key, text in options.items():
        args += [cli_flag(key), text]
    run = cli(*args, "--no-save")
    assert run.code == 2
    assert run.err.strip() == f"error: {cli_flag(option)}: {said}"


def test_a_stored_pkfit_uploads_as_json_and_is_kept_with_the_analysis(lab: Lab) -> None:
    files = example_inputs(THEOPH)
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/pk_regimen",
            data={"project": "alpha", **THEOPH.options, "subject": "1"},
            files=files,
        )
        assert response.status_code == 201, response.text
        got = response.json()
        stored = client.get(f"/api/analyses/{got['id']}").json()
        result = client.get(f"/api/analyses/{got['id']}/result").json()
    assert stored["input_names"] == ["theoph_pkfit.json"]
    assert [p["parameters"]["label"] for p in result["profiles"]] == ["1"]
    assert len(got["results"]) == 10  # one row per dosing interval


def test_a_json_of_another_kind_is_refused_naming_the_file(lab: Lab) -> None:
    other = json.dumps({"id": 7, "title": "NCA", "kind": "nca", "subjects": []}).encode()
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/pk_regimen",
            data={"project": "alpha"},
            files={"pkfit": ("nca.json", other)},
        )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["place"] == {"file": "nca.json", "field": "pkfit"}
    assert "not a pkfit result" in body["detail"]


def test_the_web_form_offers_the_pkfit_file_and_the_parameters(
    lab: Lab,
    browser: httpx.Client,  # noqa: F811
) -> None:
    index = browser.get("/runs").text
    page = browser.get("/runs/pk_regimen").text
    assert 'href="/runs/pk_regimen"' in index
    assert 'name="pkfit"' in page and 'name="parameter"' in page and 'name="route"' in page
