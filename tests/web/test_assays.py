"""Every plate assay through the API and the pages: upload, results near the simulated truth,
the same result as the command line, figures, downloads, and refusals naming the field.

The example plates are SIMULATED from a truth stated in ``examples/<kind>/README.md`` (and in the
commands' dossier notes); the tests check that the 95% CIs cover it.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from cxcr4lab.workflows import example_bytes
from tests.web.conftest import PASSWORD, Lab
from tests.web.test_pages import _csrf

CASES: dict[str, tuple[str, str, dict[str, str]]] = {
    "arrestin": ("plate96_run1.csv", "layout96.toml", {"agonist_conc": "200 ng/mL"}),
    "calcium": (
        "flipr_run1.csv",
        "layout96.toml",
        {"injection_s": "20", "agonist_conc": "60ng/mL"},
    ),
    "chemotaxis": (
        "crystal_violet_mda231.csv",
        "layout96_crystal_violet.toml",
        {"readout": "absorbance", "agonist_conc": "100 ng/mL"},
    ),
    "viability": ("mtt_pc3_48h.csv", "layout96.toml", {"cell_line": "PC-3", "exposure_h": "48"}),
    "elisa": ("trap5b_plate.csv", "trap5b_layout.toml", {}),
}

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


def _post(lab: Lab, kind: str, **extra: str) -> Any:
    plate, layout, options = CASES[kind]
    files = {"plate": example_bytes(kind, plate), "layout": example_bytes(kind, layout)}
    with lab.client("alice") as client:
        return client.post(
            "/api/analyses",
            data={"project": "alpha", "kind": kind, **options, **extra},
            files=files,  # type: ignore[arg-type]
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


def test_the_web_stores_what_the_command_line_computes(lab: Lab, made: dict[str, Any]) -> None:
    from cxcr4lab.assays.inhibition import PlateSettings
    from cxcr4lab.commands._plate import agonist_molar
    from cxcr4lab.commands.arrestin import analyse_files

    settings = PlateSettings(agonist_molar=agonist_molar("200 ng/mL", "agonist"))
    expected, _ = analyse_files(
        example_bytes("arrestin", "plate96_run1.csv"),
        example_bytes("arrestin", "layout96.toml"),
        settings,
    )
    with lab.client("alice") as client:
        stored = client.get(f"/api/analyses/{made['arrestin']['id']}/result").json()
    assert stored == json.loads(json.dumps(expected.to_dict()))  # tuples arrive as lists
    assert made["arrestin"]["parameters"]["agonist_molar"] == settings.agonist_molar


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
        made = client.post(
            "/api/analyses", data={"project": "alpha", "kind": "arrestin"}, files=files
        )
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
        ("calcium", {"injection_s": ""}, "injection_s"),
        ("chemotaxis", {"readout": ""}, "readout"),
        ("chemotaxis", {"readout": "peak"}, "readout"),
        ("arrestin", {"agonist_conc": "lots"}, "agonist_conc"),
        ("viability", {"exposure_h": "-4"}, "exposure_h"),
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
        response = client.post(
            "/api/analyses", data={"project": "alpha", "kind": "ihc"}, files=files
        )
    assert response.status_code == 422 and "kind" in response.json()["detail"]


def test_the_upload_form_lists_every_assay(lab: Lab) -> None:
    with lab.client() as browser:
        _login(browser)
        form = browser.get("/upload").text
    for kind in ("binding", *CASES):
        assert f'<option value="{kind}"' in form
    assert 'name="injection_s"' in form and 'name="agonist_conc"' in form
