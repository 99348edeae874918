"""``POST /api/runs/<kind>``: routes generated from :data:`cxcr4lab.runs.KINDS`."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from cxcr4lab.runs import KINDS, example_inputs, option_specs
from tests.conftest import EXAMPLES, CliRun
from tests.web.conftest import LAYOUT, PLATE, Lab
from tests.web.test_pages import _csrf, browser  # noqa: F401 (the logged-in browser fixture)


def test_every_kind_has_a_route_with_its_declared_form(lab: Lab) -> None:
    with lab.client() as client:
        schema = client.get("/openapi.json").json()
    for name, kind in KINDS.items():
        route = schema["paths"][f"/api/runs/{name}"]["post"]
        content = route["requestBody"]["content"]  # a kind without input files: urlencoded
        form = "multipart/form-data" if kind.inputs else "application/x-www-form-urlencoded"
        ref = content[form]["schema"]["$ref"]
        fields = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]
        for spec in option_specs(kind.options):
            assert spec.help in fields[spec.name]["description"], spec.name
        for spec in kind.inputs:
            assert spec.name in fields


@pytest.mark.parametrize("name", list(KINDS))
def test_each_kind_runs_its_example_through_the_api_and_is_stored(lab: Lab, name: str) -> None:
    example = KINDS[name].examples[0]
    files = example_inputs(example)
    with lab.client("alice") as client:
        response = client.post(
            f"/api/runs/{name}", data={"project": "alpha", **example.options}, files=files
        )
        assert response.status_code == 201, response.text
        got = response.json()
        stored = client.get(f"/api/analyses/{got['id']}").json()
    assert got["results"] and stored["kind"] == got["kind"]
    assert sorted(stored["input_names"]) == sorted(n for n, _ in files.values())


def test_the_binding_example_gives_the_simulated_ki(lab: Lab) -> None:
    example = KINDS["binding"].examples[0]
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/binding",
            data={"project": "alpha", **example.options},
            files=example_inputs(example),
        )
    ki = {r["compound"]: r["ki_nM"] for r in response.json()["results"]}
    assert ki["balixafortide"] == pytest.approx(1.0, rel=0.3)  # simulated truth: 1 nM


def test_a_bad_option_gets_the_same_words_from_the_api_and_the_cli(
    lab: Lab, cli: Callable[..., CliRun]
) -> None:
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/binding",
            data={"project": "alpha", "radioligand_conc": "0.1 nM", "kd": "1e300 M"},
            files={"plate": PLATE, "layout": LAYOUT},
        )
    assert response.status_code == 422
    body = response.json()
    assert body["place"] == {"field": "kd"}
    words = body["detail"].split(": ", 1)[1]
    run = cli(
        "analyze",
        "binding",
        str(EXAMPLES / "plate96_run1.csv"),
        "--layout",
        str(EXAMPLES / "layout96.toml"),
        "--radioligand-conc",
        "0.1 nM",
        "--kd",
        "1e300 M",
    )
    assert run.code == 2
    assert run.err.strip() == f"error: --kd: {words}"


def test_a_layout_of_the_wrong_type_names_the_field(lab: Lab) -> None:
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/binding",
            data={"project": "alpha", "radioligand_conc": "0.1 nM", "kd": "0.5 nM"},
            files={"plate": PLATE, "layout": ("layout.csv", b"well,role\nA1,total\n")},
        )
    assert response.status_code == 422
    assert response.json()["place"]["field"] == "layout"


def test_the_web_form_is_generated_and_runs_the_kind(browser: httpx.Client) -> None:  # noqa: F811
    page = browser.get("/runs/binding")
    assert page.status_code == 200
    for spec in option_specs(KINDS["binding"].options):
        assert f'name="{spec.name}"' in page.text
        assert spec.help in page.text
    csrf = _csrf(page.text)
    files = {"plate": PLATE, "layout": LAYOUT}
    options = {"csrf": csrf, "project": "alpha", "radioligand_conc": "0.1 nM"}
    bad = browser.post("/runs/binding", data={**options, "kd": "1e300 M"}, files=files)
    assert bad.status_code == 422
    assert "kd: concentration &#39;1e300 M&#39; is outside the plausible range" in bad.text
    good = browser.post("/runs/binding", data={**options, "kd": "0.5 nM"}, files=files)
    assert good.status_code == 303 and good.headers["location"].startswith("/analyses/")
    assert browser.get(good.headers["location"]).status_code == 200
    no_csrf = browser.post("/runs/binding", data={"project": "alpha"}, files=files)
    assert no_csrf.status_code == 403
    assert browser.get("/runs/nothing").status_code == 404


@pytest.mark.parametrize("name", list(KINDS))
def test_each_kind_runs_its_example_from_its_web_form(
    browser: httpx.Client,  # noqa: F811
    name: str,
) -> None:
    """The conformance walk on the browser surface: every kind's form takes its example's files
    and options, stores the analysis and shows it (its figures and report section) with downloads."""
    kind = KINDS[name]
    page = browser.get(f"/runs/{name}")
    assert page.status_code == 200
    for spec in kind.inputs:
        assert f'name="{spec.name}"' in page.text, spec.name
    example = kind.examples[0]
    data = {"csrf": _csrf(page.text), "project": "alpha", **example.options}
    files = example_inputs(example)
    done = browser.post(f"/runs/{name}", data=data, files=files or None)
    assert done.status_code == 303, done.text[:2000]
    shown = browser.get(done.headers["location"])
    assert shown.status_code == 200
    assert 'id="results"' in shown.text
    assert 'class="plot"' in shown.text and 'id="figures"' in shown.text, f"{name}: no figure"
    assert 'id="report-section"' in shown.text, f"{name}: no report section"
    analysis = done.headers["location"].rsplit("/", 1)[-1]
    section = browser.get(f"/analyses/{analysis}/section")
    assert section.status_code == 200 and "<svg" in section.text, f"{name}: section"
    for download in ("results.csv", "results.xlsx", "report.html"):
        got = browser.get(f"/api/analyses/{analysis}/{download}")
        assert got.status_code == 200, (name, download)


def test_a_model_file_is_uploaded_as_sbml_text(lab: Lab) -> None:
    """A kind whose input is a model (SBML XML) takes it as UTF-8 text, as the CLI does; other
    types and binary data under its name are refused, naming the field."""
    example = next(e for e in KINDS["signalling_sbml"].examples if e.files)
    files = example_inputs(example)
    name, content = files["sbml"]
    assert name.endswith(".xml")
    with lab.client("alice") as client:
        ok = client.post(
            "/api/runs/signalling_sbml",
            data={"project": "alpha", **example.options},
            files=files,
        )
        assert ok.status_code == 201, ok.text
        assert client.get(f"/api/analyses/{ok.json()['id']}").json()["input_names"] == [name]
        for bad_name, bad, words in (
            ("model.csv", content, "file type .csv is not accepted here; use .xml, .sbml"),
            ("model.xml", b"<sbml\x00" + content, "holds binary data"),
            ("model.xml", b"\xff\xfe" + content, "is not UTF-8 text"),
        ):
            refused = client.post(
                "/api/runs/signalling_sbml",
                data={"project": "alpha"},
                files={"sbml": (bad_name, bad)},
            )
            assert refused.status_code == 422, bad_name
            assert words in refused.json()["detail"], refused.json()
            assert refused.json()["place"]["field"] == "sbml"
