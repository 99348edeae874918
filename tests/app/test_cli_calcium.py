"""``cxcr4lab analyze calcium`` end to end on a temporary SQLite database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
FOLDER = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "calcium"
RUN = (
    "analyze",
    "calcium",
    str(FOLDER / "flipr_run1.csv"),
    "--layout",
    str(FOLDER / "layout96.toml"),
    "--injection",
    "20",
)


def test_analyze_calcium_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli(*RUN, "--agonist-conc", "60ng/mL")
    assert run.code == 0, run.err
    assert "balixafortide" in run.out and "saved as analysis #1" in run.out
    assert "peak dF/F0" in run.out and "Kb (nM)" in run.out
    rep = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert rep.code == 0, rep.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 4 and "calcium traces" in html


def test_auc_readout_as_json(cli: Cli) -> None:
    run = cli(*RUN, "--readout", "auc", "--json", "--no-save")
    payload = json.loads(run.out)
    assert payload["kind"] == "calcium" and payload["settings"]["readout"] == "auc"


def test_bad_readout_is_a_one_line_error(cli: Cli) -> None:
    run = cli(*RUN, "--readout", "max")
    assert run.code == 2 and run.err.startswith("error:") and "readout" in run.err


def test_failing_analysis_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "uneven.csv"
    rows = [
        "well,time,rfu",
        *(f"A1,{t},100" for t in range(5)),
        *(f"A2,{t * 1.1},100" for t in range(5)),
    ]
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run = cli(*RUN[:2], str(bad), *RUN[3:])
    assert run.code == 2 and "uneven time points" in run.err and "well A2" in run.err
    assert cli("results", "list").out.startswith("No stored analyses")
