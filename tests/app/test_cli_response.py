"""``cxcr4lab response`` and ``cxcr4lab safety`` end to end on a temporary database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "clinical"


def test_response_saves_prints_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli(
        "response",
        str(EXAMPLES / "fortress_adrs.csv"),
        "--adsl",
        str(EXAMPLES / "fortress_adsl.csv"),
        "--tr",
        str(EXAMPLES / "fortress_tr.csv"),
        "--strata",
        "STRAT1",
    )
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out
    assert "13.0" in run.out and "13.7" in run.out and "Fisher exact p" in run.out
    assert "CMH" in run.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 2 and "best change in target sum" in html


def test_response_json_single_arm(cli: Cli) -> None:
    run = cli("response", str(EXAMPLES / "phase1b_adrs.csv"), "--json", "--no-save")
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert payload["kind"] == "response" and payload["id"] is None
    (arm,) = payload["arms"]
    assert arm["n"] == 54 and arm["counts"]["PR"] == 16  # the evaluable population, 29.6 %


def test_safety_table(cli: Cli) -> None:
    run = cli(
        "safety",
        str(EXAMPLES / "phase1b_adae.csv"),
        "--adsl",
        str(EXAMPLES / "phase1b_adsl.csv"),
        "--no-save",
    )
    assert run.code == 0, run.err
    assert "FATIGUE" in run.out and "44 (78.6%" in run.out


def test_bad_input_names_the_place_and_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "adae.csv"
    bad.write_text("USUBJID,AEDECOD,AETOXGR\nP1B-X-001,NAUSEA,7\n", encoding="utf-8")
    run = cli("safety", str(bad), "--adsl", str(EXAMPLES / "phase1b_adsl.csv"))
    assert run.code != 0
    assert "adae.csv" in run.err and "row 2" in run.err and "grade" in run.err
    assert (
        "No analyses" in cli("results", "list").out or "adae.csv" not in cli("results", "list").out
    )
