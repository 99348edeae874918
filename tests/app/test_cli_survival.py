"""``cxcr4lab survival`` and ``cxcr4lab trial`` end to end on a temporary database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "clinical"


def test_survival_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli(
        "survival",
        str(EXAMPLES / "fortress_adtte.csv"),
        "--adsl",
        str(EXAMPLES / "fortress_adsl.csv"),
        "--paramcd",
        "PFS",
        "--by",
        "ARM",
        "--reference",
        "eribulin",
        "--tau",
        "12",
        "--subgroup",
        "STRAT1",
    )
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "Log-rank" in run.out and "SIMULATED" in run.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "number at risk" in html


def test_survival_json(cli: Cli) -> None:
    out = cli(
        "survival",
        str(EXAMPLES / "fortress_adtte.csv"),
        "--adsl",
        str(EXAMPLES / "fortress_adsl.csv"),
        "--paramcd",
        "OS",
        "--by",
        "ARM",
        "--json",
        "--no-save",
    ).out
    payload = json.loads(out)
    assert payload["kind"] == "survival" and payload["endpoint"] == "OS"
    assert len(payload["curves"]) == 2


def test_survival_bad_input_names_the_record(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "adtte.csv"
    bad.write_text("USUBJID,PARAMCD,AVAL,CNSR\nS1,PFS,10,0\nS2,PFS,12,3\n", encoding="utf-8")
    run = cli("survival", str(bad), "--paramcd", "PFS")
    assert run.code != 0
    text = run.out + run.err
    assert "row 3" in text and "S2" in text and "CNSR" in text


def test_trial_simulate(cli: Cli) -> None:
    run = cli(
        "trial",
        "simulate",
        "--n",
        "432",
        "--orr",
        "0.13,0.137",
        "--replicates",
        "2000",
        "--json",
    )
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert payload["kind"] == "trial" and payload["power_orr"] < 0.1
    bad = cli("trial", "simulate", "--orr", "0.13")
    assert bad.code != 0 and "--orr" in bad.out + bad.err


def test_trial_fortress(cli: Cli) -> None:
    run = cli("trial", "fortress", "--replicates", "2000")
    assert run.code == 0, run.err
    assert "Why FORTRESS failed" in run.out and "Fisher p = 1.00" in run.out
