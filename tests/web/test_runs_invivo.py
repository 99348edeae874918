"""The ``invivo`` kind from every surface: the example study through the command line with
``--out DIR``, the API, and bad input naming its place."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from cxcr4lab.runs import KINDS, example_inputs
from cxcr4lab.runs._options import parse_options
from tests.conftest import EXAMPLES, CliRun
from tests.web.conftest import Lab

EX = EXAMPLES.parent / "invivo"
STUDY, DESIGN, ENDPOINTS = EX / "study.csv", EX / "design.toml", EX / "endpoints.csv"


def test_the_cli_writes_summary_growth_and_synergy(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    out = tmp_path / "study_out"
    run = cli(
        "invivo", str(STUDY), "--design", str(DESIGN), "--endpoints", str(ENDPOINTS),
        "--out", str(out), "--no-save",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "In-vivo synergy" in run.out and "translation" in run.out
    assert "V06 (vehicle): dropout on day 24" in run.out  # never carried forward silently
    summary = pd.read_csv(out / "summary.csv")
    assert {"group", "day", "n"} <= set(summary.columns)
    growth = pd.read_csv(out / "growth.csv")
    assert set(growth["group"]) == {"vehicle", "docetaxel", "balixafortide", "combination"}
    synergy = pd.read_csv(out / "synergy.csv")
    assert list(synergy.columns[:7]) == [
        "method", "day", "combination_index", "ci_lower", "ci_upper", "synergy_score", "ss_lower",
    ]  # fmt: skip
    last = synergy[(synergy.method == "Bliss") & (synergy.day == synergy.day.max())].iloc[0]
    assert last.ci_lower < last.combination_index < last.ci_upper < 1  # synergy, as simulated
    assert last.p_value < 0.05
    tgi = pd.read_csv(out / "tgi_model.csv").set_index("parameter")
    assert tgi.loc["lambda0", "unit"] == "1/day"
    assert tgi.loc["lambda0", "CI 95% lower"] < tgi.loc["lambda0", "value"]
    combination = pd.read_csv(out / "tgi_combination.csv")
    assert list(combination["day"]) == [0.0, 7.0, 14.0, 21.0, 28.0]
    assert "Simeoni TGI model" in run.out and "interaction gamma" in run.out


def test_the_tgi_model_of_the_kind_is_the_domain_fit_with_the_designs_doses() -> None:
    """The kind builds each group's doses from the design TOML; the fit equals fit_tgi given
    the protocol's doses written out by hand."""
    from cxcr4lab.preclinical.tgi_model import GroupDosing, TgiDrug, compare_combination, fit_tgi
    from cxcr4lab.preclinical.translation import (
        BALIXAFORTIDE_MOUSE,
        DOCETAXEL_MOUSE,
        STUDY_BALIXAFORTIDE,
        STUDY_DOCETAXEL,
    )

    drugs = (
        TgiDrug("balixafortide", "BAL", BALIXAFORTIDE_MOUSE),
        TgiDrug("docetaxel", "DOC", DOCETAXEL_MOUSE),
    )
    dosing = (
        GroupDosing("vehicle"),
        GroupDosing("docetaxel", (STUDY_DOCETAXEL,)),
        GroupDosing("balixafortide", (STUDY_BALIXAFORTIDE,)),
        GroupDosing("combination", (STUDY_DOCETAXEL, STUDY_BALIXAFORTIDE)),
    )

    run = KINDS["invivo"].run
    options = KINDS["invivo"].options()
    inputs = {
        "study": (STUDY.name, STUDY.read_bytes()),
        "design": (DESIGN.name, DESIGN.read_bytes()),
    }
    result = run(inputs, options).result
    assert result.tgi is not None and result.tgi_combination is not None
    study = pd.read_csv(STUDY)
    data = study[study["status"] == "alive"].dropna(subset=["total_flux_p_s"])
    data = data.rename(columns={"total_flux_p_s": "value"})[["group", "day", "value"]]
    by_hand = fit_tgi(data, drugs, dosing, unit="p/s")
    for name, value in by_hand.params.items():
        assert result.tgi.params[name] == pytest.approx(value, rel=1e-6), name
    combo = compare_combination(by_hand, data)
    assert result.tgi_combination.gamma == pytest.approx(combo.gamma, rel=1e-6)
    assert result.tgi_combination.predicted_additive == pytest.approx(
        combo.predicted_additive, rel=1e-6
    )
    assert any("k1 not identified" in n for n in result.notes)  # weekly data cannot say


def test_a_file_where_the_out_folder_should_be_is_refused(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    target = tmp_path / "a_file"
    target.write_text("x")
    run = cli("invivo", str(STUDY), "--design", str(DESIGN), "--out", str(target), "--no-save")
    assert run.code == 2 and "is a file; give a folder" in run.err


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda t: t.replace("V01,vehicle", "V01,docetaxel", 1), "V01"),
        (lambda t: t.replace(",-", ",").replace("V02,vehicle,7,", "V02,vehicle,7,-", 1), "V02"),
    ],
    ids=["animal-in-two-groups", "negative-flux"],
)
def test_bad_study_tables_name_the_animal(
    cli: Callable[..., CliRun], tmp_path: Path, edit: Callable[[str], str], words: str
) -> None:
    path = tmp_path / "study.csv"
    path.write_text(edit(STUDY.read_text()))
    run = cli("invivo", str(path), "--design", str(DESIGN), "--no-save")
    assert run.code == 2, run.out
    assert words in run.err and "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_the_example_through_the_api_is_stored(lab: Lab) -> None:
    example = KINDS["invivo"].examples[0]
    with lab.client("alice") as client:
        response = client.post(
            "/api/runs/invivo", data={"project": "alpha"}, files=example_inputs(example)
        )
        assert response.status_code == 201, response.text
        stored = client.get(f"/api/analyses/{response.json()['id']}").json()
    assert stored["kind"] == "invivo"


def test_the_examples_tgi_model_covers_the_simulation_truth() -> None:
    """examples/invivo was simulated from the Simeoni/Terranova model (truth in its README and
    scripts/simulate_invivo.py); the example's options hold k1 at the truth, 1/day. Each
    estimated parameter's 95 % CI covers the truth (w0: the naive pooled fit gives the typical
    mouse, 0.83 x the truth's median take, so it is checked to 25 %)."""
    kind = KINDS["invivo"]
    (example,) = kind.examples
    options = parse_options(kind.options, example.options)
    result = kind.run(example_inputs(example), options).result
    assert result.tgi is not None and result.tgi_combination is not None
    flux_per_mm3 = 1e7  # scripts/simulate_invivo.py FLUX_PER_MM3
    truth = {
        "lambda0": 0.30,
        "lambda1": 15.0 * flux_per_mm3,
        "k2_docetaxel": 1.9,
        "k2_balixafortide": 2.712e-3,
    }
    ci = result.tgi.conf_int()
    for name, value in truth.items():
        lo, hi = ci[name]
        assert lo is not None and hi is not None and lo <= value <= hi, (name, lo, value, hi)
    assert ci["k1"] == (None, None) and result.tgi.params["k1"] == 1.0  # held
    assert result.tgi.params["w0"] == pytest.approx(0.02 * flux_per_mm3, rel=0.25)
    lo, hi = result.tgi_combination.gamma_ci
    assert lo is not None and hi is not None and lo <= 0.3164 <= hi
    assert not any("k1 not identified" in n for n in result.notes)


# --- endpoints from stored ELISA analyses -----------------------------------------------------------

ELISA = EXAMPLES.parent / "elisa"
ARMS = {"vehicle": "VEH", "docetaxel": "DOC", "balixafortide": "BAL", "combination": "COM"}


def _study_named_like_the_elisa_plates(tmp_path: Path) -> Path:
    """The example study with the first five animals of each arm renamed as the ELISA example's
    samples are (VEH-1 ... COM-5): the same mice measured on both."""
    study = pd.read_csv(STUDY)
    names: dict[str, str] = {}
    for group, prefix in ARMS.items():
        animals = list(dict.fromkeys(study.loc[study["group"] == group, "animal_id"]))
        names.update({a: f"{prefix}-{i}" for i, a in enumerate(animals[:5], start=1)})
    study["animal_id"] = study["animal_id"].replace(names)
    path = tmp_path / "study.csv"
    study.to_csv(path, index=False)
    return path


def test_endpoints_from_stored_elisa_analyses_by_id(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    from cxcr4lab.store import Store

    ids = []
    for marker in ("trap5b", "ifng"):
        run = cli(
            "analyze", "elisa", str(ELISA / f"{marker}_plate.csv"),
            "--layout", str(ELISA / f"{marker}_layout.toml"), "--json",
        )  # fmt: skip
        assert run.code == 0, run.err
        ids.append(int(json.loads(run.out)["id"]))
    study = _study_named_like_the_elisa_plates(tmp_path)
    run = cli(
        "invivo", str(study), "--design", str(DESIGN), "--elisa", str(ids[0]),
        "--elisa", str(ids[1]), "--no-tgi-model", "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    invivo_id = int(json.loads(run.out)["id"])
    with Store() as store:
        trap = store.get(ids[0]).result
        record = store.get(invivo_id)
    # each animal's value is the stored ELISA value of its sample, in the plate's unit
    measured = {s["sample"]: s["value"] for s in trap["samples"] if s["role"] == "unknown"}
    ends = record.result["endpoint_table"]
    got = {
        a: v
        for a, m, v in zip(ends["animal_id"], ends["marker"], ends["value"], strict=True)
        if m == "TRAcP 5b"
    }
    assert got == pytest.approx(measured, rel=1e-12) and len(got) == 20
    assert set(ends["unit"]) == {"U/L", "pg/mL"}
    # the stored ELISA results are kept with the analysis (provenance)
    roles = {i.role for i in record.inputs}
    assert "elisa result" in roles
    flags = " ".join(ends["flags"])
    assert "outside the quantitation range or not calculable, left out: VEH-" in flags
    effects = record.result["endpoints"]["effects"]
    assert {e["marker"] for e in effects} == {"TRAcP 5b", "IFN-gamma"}


def test_a_stored_id_that_is_not_an_elisa_or_not_there_is_named(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    run = cli("fit", str(EXAMPLES.parent / "fit" / "curves.csv"), "--json")
    assert run.code == 0, run.err
    fit_id = int(json.loads(run.out)["id"])
    for given, words in ((str(fit_id), f"analysis {fit_id} is a 'fit' result, not 'elisa'"),
                         ("999", "no analysis with id 999"),
                         ("x1", "must be ids of stored analyses")):  # fmt: skip
        run = cli("invivo", str(STUDY), "--design", str(DESIGN), "--elisa", given, "--no-save")
        assert run.code == 2, run.out
        assert words in run.err and "Traceback" not in run.err, run.err
        assert len(run.err.strip().splitlines()) == 1


def test_the_api_reads_stored_elisa_only_from_the_callers_projects(lab: Lab) -> None:
    example = KINDS["elisa"].examples[0]
    with lab.client("bob") as bob:
        response = bob.post(
            "/api/runs/elisa", data={"project": "beta"}, files=example_inputs(example)
        )
        assert response.status_code == 201, response.text
        bobs = response.json()["id"]
    files = {
        "study": (STUDY.name, STUDY.read_bytes()),
        "design": (DESIGN.name, DESIGN.read_bytes()),
    }
    with lab.client("alice") as alice:
        response = alice.post(
            "/api/runs/invivo",
            data={"project": "alpha", "elisa": str(bobs), "tgi_model": "false"},
            files=files,
        )
    assert response.status_code == 404, response.text
    assert f"no analysis {bobs} in your projects" in response.text
