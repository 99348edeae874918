"""``cxcr4lab analyze occupancy`` end to end on a temporary database."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "occupancy"


def test_mfi_table_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli("analyze", "occupancy", str(EXAMPLES / "mfi_table.csv"))
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "S04" in run.out and "pre-dose" in run.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    assert "<svg" in (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")


def test_fcs_manifest_through_flowkit(cli: Cli) -> None:
    run = cli(
        "analyze",
        "occupancy",
        str(EXAMPLES / "manifest.csv"),
        "--gates",
        str(EXAMPLES / "gates.toml"),
        "--json",
    )
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert payload["input_format"].startswith("FCS") and len(payload["points"]) == 3
    shown = cli("results", "show", str(payload["id"]))
    assert shown.out.count("fcs: ") == 6


def test_missing_fcs_file_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "manifest.csv", tmp_path / "manifest.csv")
    shutil.copy(EXAMPLES / "gates.toml", tmp_path / "gates.toml")
    run = cli(
        "analyze",
        "occupancy",
        str(tmp_path / "manifest.csv"),
        "--gates",
        str(tmp_path / "gates.toml"),
    )
    assert run.code == 2 and "file not found" in run.err and "row 3, column 'file'" in run.err
    assert cli("results", "list").out.startswith("No stored analyses")
