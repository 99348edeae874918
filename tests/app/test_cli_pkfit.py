"""``cxcr4lab pkfit``: fits, JSON, CSV out, storing, the report section and bad files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from cxcr4lab.pkpd.pkfit import PkFitResult
from cxcr4lab.runs import KINDS, example_inputs, run_kind
from tests.conftest import CliRun

Cli = Callable[..., CliRun]
DATA = Path(__file__).resolve().parents[1] / "data" / "pk"


def test_pkfit_indometh_two_compartments_writes_csv(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "fits.csv"
    run = cli(
        "pkfit",
        str(DATA / "indometh.csv"),
        "--model",
        "2cmt",
        "--route",
        "iv",
        "--weights",
        "1/y^2",
        "--no-save",
        "--out",
        str(out),
    )
    assert run.code == 0, run.err
    assert "6 subjects; model 2cmt; weights 1/y^2" in run.out and "Route iv bolus" in run.out
    table = pd.read_csv(out)
    assert list(table["subject"]) == [1, 2, 3, 4, 5, 6]
    assert (table["model"] == "2cmt").all() and "t1/2 terminal (h)" in table.columns


def test_pkfit_json_matches_R_for_theoph_subject_1(cli: Cli, tmp_path: Path) -> None:
    """Subject 1 of Theoph with its R dose (4.02 mg/kg): CL = exp(lCl) of R's SSfol fit,
    exp(-3.9159) L/h/kg (see tests/pkpd/test_pkfit.py)."""
    frame = pd.read_csv(DATA / "theoph.csv")
    one = frame[frame["subject"] == 1].assign(dose=4.02)
    path = tmp_path / "theoph1.csv"
    one.to_csv(path, index=False)
    run = cli(
        "pkfit", str(path), "--model", "1cmt", "--route", "oral", "--dose-unit", "mg/kg",
        "--json", "--no-save",
    )  # fmt: skip
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert payload["kind"] == "pkfit" and payload["id"] is None
    cl = next(e for e in payload["subjects"][0]["estimates"] if e["name"] == "CL")
    assert cl["unit"] == "L/h/kg" and cl["value"] == pytest.approx(0.019923, rel=1e-4)
    assert PkFitResult.from_dict(payload).subjects[0].params["CL"] == cl["value"]


def test_pkfit_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli("pkfit", str(DATA / "theoph.csv"), "--model", "1cmt", "--route", "oral")
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "CL/F (L/h)" in run.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert "<svg" in html and "CL/F (L/h)" in html and "t1/2 terminal (h)" in html


def test_pkfit_bad_file_exits_2_naming_the_row(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    shutil.copy(DATA / "theoph.csv", bad)
    bad.write_text(bad.read_text().replace("1,0.25,2.84,320", "1,-0.25,2.84,320"))
    run = cli("pkfit", str(bad), "--no-save")
    assert run.code == 2
    assert "bad.csv, row 3, column 'time'" in run.err + run.out
    run = cli("pkfit", str(DATA / "theoph.csv"), "--model", "5cmt", "--no-save")
    assert run.code == 2 and "model" in run.err + run.out


def test_pkfit_is_at_the_top_level_and_under_analyze(cli: Cli) -> None:
    data = str(DATA / "theoph.csv")
    for path in (("pkfit",), ("analyze", "pkfit")):
        run = cli(*path, data, "--model", "1cmt", "--json", "--no-save")
        assert run.code == 0, run.err
        assert json.loads(run.out)["kind"] == "pkfit"


def test_dossier_example_fits_every_theoph_subject() -> None:
    (example,) = KINDS["pkfit"].examples
    outcome = run_kind("pkfit", example_inputs(example), dict(example.options))
    result, parameters = outcome.result, outcome.parameters
    assert isinstance(result, PkFitResult) and len(result.subjects) == 12
    assert all(s.converged and "failed" not in s.flags for s in result.subjects)
    assert parameters["model"] == "1cmt" and outcome.title == "PK fit theoph.csv"


def test_a_bad_weighting_names_the_flag(cli: Cli) -> None:
    run = cli("pkfit", str(DATA / "theoph.csv"), "--weights", "1/x", "--no-save")
    assert run.code == 2
    assert run.err.strip() == "error: --weights: must be one of 'none', '1/y', '1/y^2'; got '1/x'"


def test_pkfit_project_needs_saving_and_an_existing_project(cli: Cli) -> None:
    data = str(DATA / "theoph.csv")
    run = cli("pkfit", data, "--model", "1cmt", "--project", "lab", "--no-save")
    assert run.code == 2 and "--project" in run.err
    run = cli("pkfit", data, "--model", "1cmt", "--project", "nope")
    assert run.code == 2 and "--project: no project named 'nope'" in run.err
    assert cli("results", "list").out.startswith("No stored analyses")
