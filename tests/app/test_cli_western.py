"""``cxcr4lab analyze western`` end to end on a temporary SQLite database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
FOLDER = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "western"
RUN = ("analyze", "western", str(FOLDER / "namalwa_3blots.csv"))


def test_analyze_western_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli(*RUN, "--agonist-conc", "100ng/mL", "--cell-line", "Namalwa")
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "combined (3 blots)" in run.out
    assert "pERK" in run.out and "pAKT" in run.out
    shown = cli("results", "show", "1")
    assert shown.code == 0 and "namalwa_3blots.csv" in shown.out
    rep = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert rep.code == 0, rep.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert "<svg" in html and "shared IC50" in html and "combined (3 blots)" in html


def test_json_with_loading_control(cli: Cli) -> None:
    run = cli(*RUN, "--normalise-to", "loading", "--json", "--no-save")
    payload = json.loads(run.out)
    assert payload["kind"] == "western" and payload["id"] is None
    assert {lane["normaliser"] for lane in payload["lanes"]} == {"GAPDH"}
    assert payload["settings"]["floor"] is True
    no_floor = json.loads(cli(*RUN, "--no-floor", "--json", "--no-save").out)
    assert no_floor["settings"]["floor"] is False
    assert cli("results", "list").out.startswith("No stored analyses")


def test_failing_analysis_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    lines = (FOLDER / "namalwa_3blots.csv").read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "no_vehicle.csv"
    bad.write_text(
        "\n".join(line for line in lines if not line.startswith("2,2,")) + "\n", encoding="utf-8"
    )
    run = cli("analyze", "western", str(bad))
    assert run.code == 2 and "no_vehicle.csv" in run.err and "blot 2" in run.err
    assert cli("results", "list").out.startswith("No stored analyses")


def test_bad_option_is_one_line(cli: Cli) -> None:
    run = cli(*RUN, "--normalise-to", "actin")
    assert run.code == 2
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "--normalise-to" in lines[0], run.err
