"""``cxcr4lab simulate regimen|compare|sbml|mobilization`` end to end on a temporary database,
the report sections of the PK/PD result kinds, and a section for every stored result kind."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import libsbml
import pytest

from cxcr4lab.pkpd.occupancy_model import OccupancyModel, occupancy_course
from cxcr4lab.pkpd.regimens import Regimen
from cxcr4lab.report.sections import render_section
from cxcr4lab.runs import KINDS, example_inputs, run_kind
from cxcr4lab.workflows import result_types
from tests.conftest import CliRun

Cli = Callable[..., CliRun]
SMALL = ("--patients", "12", "--cycles", "1")


def _one_line_error(run: CliRun, *needles: str) -> None:
    assert run.code == 2, (run.out, run.err)
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), run.err
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_regimen_saves_prints_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli("simulate", "regimen", *SMALL)
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "SIMULATED" in run.out
    assert "Cmax (µg/mL)" in run.out and "nadir ANC (10^9/L)" in run.out
    assert "P(grade >= 3)" in run.out and "derived from physiology and the seed facts" in run.out
    shown = cli("results", "show", "1")
    assert shown.code == 0 and "regimen_simulation" in shown.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 1 and "SIMULATED" in html and "cells/µL" in html
    assert "P(grade &gt;= 3) % (95% CI)" in html


def test_regimen_json_without_saving(cli: Cli) -> None:
    run = cli(
        "simulate", "regimen", *SMALL, "--balixafortide", "3 mg/kg", "--eribulin", "0",
        "--json", "--no-save",
    )  # fmt: skip
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert payload["kind"] == "regimen_simulation" and payload["id"] is None
    assert [d["drug"] for d in payload["regimen"]["drugs"]] == ["balixafortide"]
    assert payload["overall"]["grade3"] == 0  # no eribulin, no neutropenia
    assert cli("results", "list").out.startswith("No stored analyses")


def test_regimen_with_a_covariates_file(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("ID,WT,HT\n1,55,158\n2,82,170\n", encoding="utf-8")
    run = cli("simulate", "regimen", "--cycles", "1", "--covariates", str(path))
    assert run.code == 0, run.err
    assert "2 virtual patients" in run.out
    shown = cli("results", "show", "1")
    assert "patients.csv" in shown.out


def test_compare_saves_prints_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli(
        "simulate", "compare", *SMALL,
        "--schedule", "balixafortide 5.5 mg/kg d1-3,8-10 + eribulin 1.4 mg/m^2 d2,9",
        "--schedule", "balixafortide 5.5 mg/kg d1-3 + eribulin 1.1 mg/m^2 d2,9",
        "--limit", "0.6",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "meets both" in run.out
    assert "P(grade >= 3) <= 60%" in run.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 1 and "hold target % (95% CI)" in html


def test_sbml_export_reads_back(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "combination.xml"
    run = cli("simulate", "sbml", str(out))
    assert run.code == 0, run.err
    doc = libsbml.readSBMLFromFile(str(out))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    model = doc.getModel()
    assert model.getId() == "balixafortide_eribulin_friberg"
    assert model.getNumRules() == 10 + 4  # rate rules per state, assignment rules per output
    assert not list(tmp_path.glob("combination.xml.*"))  # no temporary file left behind
    _one_line_error(cli("simulate", "sbml", str(out), "--model", "pk9"), "--model", "pk9")


def test_mobilization_prints_the_plateau(cli: Cli) -> None:
    run = cli("simulate", "mobilization", "--no-save")
    assert run.code == 0, run.err
    assert "Plateau 38.0 CD34+/µL" in run.out and "28.6/µL" in run.out
    _one_line_error(cli("simulate", "mobilization", "--efficiency", "1.5"), "--efficiency")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("regimen", "--patients", "0"), ("--patients", "0")),
        (("regimen", "--cycles", "0"), ("--cycles",)),
        (("regimen", "--target", "150"), ("--target",)),
        (("regimen", "--balixafortide=-5 mg/kg"), ("--balixafortide", "positive")),
        (("regimen", "--eribulin", "1.4 mL"), ("--eribulin", "not a dose")),
        (("regimen", "--kd", "0.15 parsec"), ("--kd",)),
        (("regimen", "--schedule", "docetaxel 5 mg/kg d1"), ("--schedule", "unknown drug")),
        (("compare", "--schedule", "foo 1 mg d1"), ("--schedule", "'foo 1 mg d1'", "unknown drug")),
        (("compare", "--limit", "2"), ("--limit",)),
        (("compare", "--held-by", "0"), ("--held-by",)),
    ],
)
def test_errors_are_one_line_naming_the_option(
    cli: Cli, args: tuple[str, ...], needles: tuple[str, ...]
) -> None:
    _one_line_error(cli("simulate", *args), *needles)
    assert cli("results", "list").out.startswith("No stored analyses")


def test_missing_weight_names_the_file_and_column(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "no_weight.csv"
    path.write_text("ID,HT\n1,160\n", encoding="utf-8")
    _one_line_error(
        cli("simulate", "regimen", *SMALL, "--covariates", str(path)), "no_weight.csv", "'WT'"
    )


def test_every_result_kind_has_a_report_section() -> None:
    missing = [kind for kind in sorted(result_types()) if not hasattr(_section(kind), "render")]
    assert not missing, f"no report/sections/<kind>.py with render() for {missing}"


def _section(kind: str) -> object:
    try:
        return importlib.import_module(f"cxcr4lab.report.sections.{kind}")
    except ModuleNotFoundError:
        return object()


def test_sections_of_regimen_and_occupancy_course() -> None:
    html = render_section(3, "Trial regimen", Regimen.balixafortide_eribulin())
    assert "<svg" in html and "5.5 mg/kg" in html and "infusion length not stated" in html
    model = OccupancyModel.for_compound("balixafortide", kd_molar=1e-9)
    course = occupancy_course(model, [0, 1, 2, 4, 8, 24], [0, 2000, 1000, 400, 100, 1], "ng/mL")
    html = render_section(4, "Occupancy", course)
    assert "<svg" in html and "time above (h)" in html and "Kd 1 nM" in html


SIMULATE_KINDS = ("regimen_simulation", "regimen_comparison", "mobilization")


def test_dossier_examples_are_fast_and_render() -> None:
    for name in SIMULATE_KINDS:
        for example in KINDS[name].examples:
            started = time.perf_counter()
            files = example_inputs(example)
            outcome = run_kind(name, files, dict(example.options))
            elapsed = time.perf_counter() - started
            assert elapsed < 30.0, f"{example.title}: {elapsed:.1f} s"  # aim < 3 s when idle
            html = render_section(1, example.title, outcome.result)
            assert "<svg" in html and files == {} and outcome.parameters
            assert KINDS[name].result_class().kind == outcome.result.kind == name
