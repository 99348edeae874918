"""``cxcr4lab analyze ihc`` end to end on a temporary database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "ihc"


def test_analyze_ihc_saves_lists_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli("analyze", "ihc", str(EXAMPLES / "scores_percent.csv"), "--cutoff", "200")
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "high = H-score > 200: 8 (14%)" in run.out
    assert "scores_percent.csv" in cli("results", "list").out
    shown = cli("results", "show", "1")
    assert "P056" in shown.out and "sha256" in shown.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert "<svg" in html and "H-score" in html


def test_analyze_ihc_json(cli: Cli) -> None:
    run = cli(
        "analyze", "ihc", str(EXAMPLES / "cells_image_analysis.csv"), "--cutoff", "200", "--json"
    )
    payload = json.loads(run.out)
    assert payload["kind"] == "ihc" and payload["input_format"] == "cells"
    assert [p["patient"] for p in payload["patients"]] == ["P001", "P002", "P003", "P004"]


def test_failing_analysis_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("patient,pct_1,pct_2,pct_3\nA,10,20,30\nA,10,20,30\n", encoding="utf-8")
    run = cli("analyze", "ihc", str(bad), "--cutoff", "200")
    assert run.code == 2
    assert run.err.startswith("error:") and "bad.csv, row 3" in run.err
    assert cli("results", "list").out.startswith("No stored analyses")


def test_bad_cutoff_is_one_line(cli: Cli) -> None:
    run = cli("analyze", "ihc", str(EXAMPLES / "scores_percent.csv"), "--cutoff", "400")
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert run.code == 2 and len(lines) == 1 and lines[0].startswith("error: --cutoff:"), run.err
