"""Every plate assay through ``POST /api/runs/<kind>`` and the pages: upload, results near the
simulated truth, the same result as the command line, figures, downloads, and refusals naming
the field.

The example plates are SIMULATED from a truth stated in ``examples/<kind>/README.md`` (and in the
commands' dossier notes); the tests check that the 95% CIs cover it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from cxcr4lab.runs import KINDS
from cxcr4lab.workflows import example_bytes
from tests.conftest import CliRun
from tests.web.conftest import PASSWORD, Lab
from tests.web.test_pages import _csrf

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples"

CASES: dict[str, tuple[str, str, dict[str, str]]] = {
    "arrestin": ("plate96_run1.csv", "layout96.toml", {"agonist_conc": "200 ng/mL"}),
    "calcium": (
        "flipr_run1.csv",
        "layout96.toml",
        {"injection": "20", "agonist_conc": "60ng/mL"},
    ),
    "chemotaxis": (
        "crystal_violet_mda231.csv",
        "layout96_crystal_violet.toml",
        {"readout": "absorbance", "agonist_conc": "100 ng/mL"},
    ),
    "viability": ("mtt_pc3_48h.csv", "layout96.toml", {"cell_line": "PC-3", "hours": "48"}),
    "elisa": ("trap5b_plate.csv", "trap5b_layout.toml", {}),
}
"""kind -> (data file, layout, options) of its bundled example; options by their field names."""

# (compound, column, true value in nM) from examples/<kind>/README.md and the dossier notes.
TRUTH = {
    "arrestin": [("balixafortide", "ic50", 5.0), ("balixafortide", "kb", 1.0)],
    "calcium": [("balixafortide", "ic50", 1.83), ("balixafortide", "kb", 0.8)],
    "chemotaxis": [("balixafortide", "ic50", 8.0), ("plerixafor", "ic50", 100.0)],
    "viability": [("docetaxel", "ic50", 3.72)],
}


def _login(browser: httpx.Client) -> None:
    page = browser.get("/login")
    done = browser.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf": _csrf(page.text)}
    )
    assert done.status_code == 303


def _data_field(kind: str) -> str:
    """The form field of a kind's data file (its first input: ``plate``, ``kinetic``, ...)."""
    return KINDS[kind].inputs[0].name


def _post(lab: Lab, kind: str, **extra: str) -> Any:
    plate, layout, options = CASES[kind]
    files = {_data_field(kind): example_bytes(kind, plate), "layout": example_bytes(kind, layout)}
    with lab.client("alice") as client:
        return client.post(
            f"/api/runs/{kind}",
            data={"project": "alpha", **options, **extra},
            files=files,
        )


@pytest.fixture(scope="module")
def made(lab: Lab) -> dict[str, dict[str, Any]]:
    out = {}
    for kind in CASES:
        response = _post(lab, kind)
        assert response.status_code == 201, (kind, response.text)
        out[kind] = response.json()
    return out


@pytest.mark.parametrize("kind", sorted(TRUTH))
def test_potency_cis_cover_the_simulated_truth(made: dict[str, Any], kind: str) -> None:
    rows = {r["compound"]: r for r in made[kind]["results"]}
    for compound, what, truth in TRUTH[kind]:
        row = rows[compound]
        assert row[f"{what}_lower_nM"] < truth < row[f"{what}_upper_nM"], (compound, what, row)
    assert made[kind]["kind"] == kind and made[kind]["qc"]["passed"] is True


def test_elisa_back_calculates_the_qcs_and_the_mice(made: dict[str, Any]) -> None:
    # examples/elisa/README.md: QCs 0.5 and 5 U/L in the well; VEH-1 3.893, VEH-2 6.184 U/L.
    rows = {r["sample"]: r for r in made["elisa"]["results"]}
    assert rows["QC 0.5"]["conc_U_per_L"] == pytest.approx(0.5, rel=0.15)
    assert rows["QC 5"]["conc_U_per_L"] == pytest.approx(5.0, rel=0.15)
    assert rows["VEH-1"]["conc_U_per_L"] == pytest.approx(3.893, rel=0.2)
    assert rows["VEH-2"]["conc_U_per_L"] == pytest.approx(6.184, rel=0.2)
    assert made["elisa"]["qc"]["passed"] is True and made["elisa"]["qc"]["lloq"] > 0


def test_the_web_stores_what_the_command_line_computes(
    lab: Lab, made: dict[str, Any], cli: Callable[..., CliRun]
) -> None:
    from cxcr4lab.runs import parse_options

    arrestin = KINDS["arrestin"]
    run = cli(
        "analyze",
        "arrestin",
        str(EXAMPLES / "arrestin" / "plate96_run1.csv"),
        "--layout",
        str(EXAMPLES / "arrestin" / "layout96.toml"),
        "--agonist-conc",
        "200 ng/mL",
        "--no-save",
        "--json",
    )
    assert run.code == 0, run.err
    expected = json.loads(run.out)
    assert expected.pop("id") is None
    options = parse_options(
        arrestin.options, {"agonist_conc": "200 ng/mL"}, mw_lookup=arrestin.mw_lookup
    )
    with lab.client("alice") as client:
        stored = client.get(f"/api/analyses/{made['arrestin']['id']}/result").json()
    assert stored == expected
    assert made["arrestin"]["parameters"]["agonist_molar"] == options.agonist_conc


@pytest.mark.parametrize(
    ("kind", "plots"),
    [
        ("arrestin", ("curves", "agonist", "heatmap")),
        ("calcium", ("curves", "traces", "heatmap")),
        ("chemotaxis", ("curves", "heatmap")),
        ("viability", ("curves", "heatmap")),
        ("elisa", ("standard", "heatmap")),
    ],
)
def test_pages_draw_the_figures_and_downloads_work(
    lab: Lab, made: dict[str, Any], kind: str, plots: tuple[str, ...]
) -> None:
    aid = made[kind]["id"]
    with lab.client() as browser:
        _login(browser)
        page = browser.get(f"/analyses/{aid}")
    assert page.status_code == 200
    for name in plots:
        assert f'id="plot-{name}"' in page.text, name
    assert 'id="figures"' in page.text and "<img" not in page.text  # plotly, not matplotlib
    with lab.client("alice") as client:
        csv = client.get(f"/api/analyses/{aid}/results.csv")
        xlsx = client.get(f"/api/analyses/{aid}/results.xlsx")
        report = client.get(f"/api/analyses/{aid}/report.html")
    assert csv.status_code == xlsx.status_code == report.status_code == 200
    first = made[kind]["results"][0]
    assert csv.content.decode("utf-8-sig").startswith(",".join(first))
    assert "results" in load_workbook(io.BytesIO(xlsx.content)).sheetnames
    assert "<html" in report.text.lower()


def test_xlsx_escapes_formulas_for_another_assay(lab: Lab) -> None:
    layout = example_bytes("arrestin", "layout96.toml")[1].replace(b"plerixafor", b"@SUM(A1)")
    files = {
        "plate": example_bytes("arrestin", "plate96_run1.csv"),
        "layout": ("evil.toml", layout),
    }
    with lab.client("alice") as client:
        made = client.post("/api/runs/arrestin", data={"project": "alpha"}, files=files)
        assert made.status_code == 201, made.text
        content = client.get(f"/api/analyses/{made.json()['id']}/results.xlsx").content
    names = [
        r[0]
        for r in load_workbook(io.BytesIO(content))["results"].iter_rows(
            min_row=2, values_only=True
        )
    ]
    assert "'@SUM(A1)" in names


@pytest.mark.parametrize(
    ("kind", "extra", "field"),
    [
        ("calcium", {"injection": ""}, "injection"),
        ("chemotaxis", {"readout": ""}, "readout"),
        ("chemotaxis", {"readout": "peak"}, "readout"),
        ("arrestin", {"agonist_conc": "lots"}, "agonist_conc"),
        ("viability", {"hours": "-4"}, "hours"),
    ],
)
def test_bad_options_are_422_naming_the_field(
    lab: Lab, kind: str, extra: dict[str, str], field: str
) -> None:
    response = _post(lab, kind, **extra)
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"] or response.json().get("place") == {"field": field}


def test_unknown_kind_is_refused(lab: Lab) -> None:
    files = {"plate": example_bytes("ihc", "scores_percent.csv"), "layout": ("l.toml", b"")}
    with lab.client("alice") as client:
        response = client.post("/api/runs/nothing", data={"project": "alpha"}, files=files)
    assert response.status_code == 404


def test_ihc_scores_are_analysed_through_their_own_route(lab: Lab) -> None:
    # examples/ihc/README.md: 56 SIMULATED patients, 8 of them above the cut-off 200.
    files = {_data_field("ihc"): example_bytes("ihc", "scores_percent.csv")}
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/ihc", data={"project": "alpha", "cutoff": "200"}, files=files
        )
        assert response.status_code == 201, response.text
        made = response.json()
        refused = client.post(
            "/api/runs/ihc", data={"project": "alpha", "cutoff": "lots"}, files=files
        )
    assert made["kind"] == "ihc" and len(made["results"]) == 56
    assert sum(r["category"] == "high" for r in made["results"]) == 8
    assert refused.status_code == 422
    assert refused.json()["place"] == {"field": "cutoff"}


def test_the_runs_index_links_every_assay(lab: Lab) -> None:
    with lab.client() as browser:
        _login(browser)
        index = browser.get("/runs").text
        calcium = browser.get("/runs/calcium").text
    for kind in ("binding", *CASES):
        assert f'href="/runs/{kind}"' in index
    assert 'name="injection"' in calcium and 'name="agonist_conc"' in calcium
