"""The curve kinds (``fit``, ``compare``) on the API: a bad option is a 422 naming the field in
the words the command line prints, and a comparison is stored with its per-curve rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cxcr4lab.runs import KINDS, cli_flag, example_inputs
from tests.conftest import EXAMPLES, CliRun
from tests.web.conftest import Lab

CURVES = EXAMPLES.parent / "fit" / "curves.csv"
BAD = [
    ("fit", "fix", "hill"),
    ("fit", "fix", "slope=1"),
    ("fit", "bound", "top=110:90"),
    ("compare", "reference", "nobody"),
    ("compare", "param", "asymmetry"),
]
"""(kind, option, a value it refuses)."""


@pytest.mark.parametrize(("name", "field", "value"), BAD, ids=[f"{b[0]}-{b[2]}" for b in BAD])
def test_a_bad_option_is_a_422_and_one_cli_line_in_the_same_words(
    lab: Lab, cli: Callable[..., CliRun], name: str, field: str, value: str
) -> None:
    files = {"curves": ("curves.csv", CURVES.read_bytes())}
    with lab.client("alice") as client:
        response = client.post(
            f"/api/runs/{name}",
            data={"project": "alpha", "conc_unit": "nM", field: value},
            files=files,
        )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["place"]["field"] == field
    words = body["detail"].split(": ", 1)[1]
    run = cli(*KINDS[name].command, str(CURVES), "--conc-unit", "nM", f"{cli_flag(field)}={value}")
    assert run.code == 2
    assert run.err.strip() == f"error: {cli_flag(field)}: {words}"


def test_a_comparison_through_the_api(lab: Lab) -> None:
    example = KINDS["compare"].examples[0]
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/compare",
            data={"project": "alpha", **example.options},
            files=example_inputs(example),
        )
    assert response.status_code == 201, response.text
    rows = {r["curve"]: r for r in response.json()["results"]}
    assert rows["cmpd-B"]["fold_lower"] < 3.0 < rows["cmpd-B"]["fold_upper"]  # truth: 3-fold
