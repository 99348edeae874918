"""``cxcr4lab analyze elisa`` end to end on a temporary database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "elisa"
ARGS = (
    "analyze",
    "elisa",
    str(EXAMPLES / "ifng_plate.csv"),
    "--layout",
    str(EXAMPLES / "ifng_layout.toml"),
)


def test_analyze_elisa_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli(*ARGS)
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "IFN-gamma" in run.out
    assert "below_lloq" in run.out and "< 31.25" in run.out
    shown = cli("results", "show", "1")
    assert "ifng_layout.toml" in shown.out and "sha256" in shown.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert "<svg" in html and "Quantitation range" in html


def test_analyze_elisa_json_with_a_chosen_model(cli: Cli) -> None:
    run = cli(*ARGS, "--model", "5pl", "--json", "--no-save")
    payload = json.loads(run.out)
    assert payload["kind"] == "elisa" and payload["choice"]["chosen"] == "5PL"
    assert cli("results", "list").out.startswith("No stored analyses")


def test_failing_analysis_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    plate = (EXAMPLES / "ifng_plate.csv").read_text(encoding="utf-8")
    lines = plate.splitlines()
    lines[4] = lines[4].replace(lines[4].split(",")[1], "4.5", 1)  # row A, column 1: saturated
    bad = tmp_path / "saturated.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = cli(*ARGS[:2], str(bad), "--layout", str(EXAMPLES / "ifng_layout.toml"))
    assert run.code == 2 and "saturated.csv" in run.err and "well A1" in run.err
    assert cli("results", "list").out.startswith("No stored analyses")


def test_bad_weighting_is_one_line(cli: Cli) -> None:
    run = cli(*ARGS, "--weighting", "1/z")
    assert run.code == 2 and "--weighting" in run.err
