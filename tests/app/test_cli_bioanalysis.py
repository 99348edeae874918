"""``cxcr4lab analyze bioanalysis`` end to end on a temporary database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "bioanalysis"


def test_passing_run_saves_with_nm_from_the_registry(cli: Cli, tmp_path: Path) -> None:
    run = cli("analyze", "bioanalysis", str(EXAMPLES / "run1.csv"))
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "Run acceptance (ICH M10): pass" in run.out
    assert "MW 1864.1 g/mol" in run.out and "S01-2h" in run.out
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 2 and "Run acceptance (ICH M10)" in html


def test_failing_run_lists_every_reason(cli: Cli) -> None:
    run = cli("analyze", "bioanalysis", str(EXAMPLES / "run2_failed.csv"), "--no-save")
    assert run.code == 0, run.err  # a failed run is a result, not an error
    assert "Run acceptance (ICH M10): fail" in run.out
    for needle in ("calibrators: 5/8", "5 concentration level(s)", "QC level 4000", "blank DBLK"):
        assert needle in run.out


def test_json_and_options(cli: Cli) -> None:
    run = cli(
        "analyze",
        "bioanalysis",
        str(EXAMPLES / "run1.csv"),
        "--regression",
        "quadratic",
        "--weighting",
        "1/x",
        "--json",
        "--no-save",
    )
    payload = json.loads(run.out)
    assert payload["kind"] == "bioanalysis" and payload["settings"]["regression"] == "quadratic"
    assert "curvature" in payload["fit"]["param_names"]


def test_bad_input_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    text = (
        (EXAMPLES / "run1.csv")
        .read_text(encoding="utf-8")
        .replace("ZERO,zero,,0,", "ZERO,zero,,-5,")
    )
    bad = tmp_path / "negative.csv"
    bad.write_text(text, encoding="utf-8")
    run = cli("analyze", "bioanalysis", str(bad))
    assert run.code == 2 and "negative.csv, row 5, column 'analyte_area'" in run.err
    assert cli("results", "list").out.startswith("No stored analyses")
    wrong = cli("analyze", "bioanalysis", str(EXAMPLES / "run1.csv"), "--weighting", "1/z")
    assert wrong.code == 2
    assert (
        wrong.err.strip() == "error: --weighting: must be one of '1/x^2', '1/x', 'none'; got '1/z'"
    )
