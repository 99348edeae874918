"""``cxcr4lab analyze viability`` end to end on a temporary SQLite database."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
FOLDER = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "viability"
RUN = (
    "analyze",
    "viability",
    str(FOLDER / "mtt_pc3_48h.csv"),
    "--layout",
    str(FOLDER / "layout96.toml"),
)


def test_analyze_viability_saves_reports_and_writes_the_tidy_table(
    cli: Cli, tmp_path: Path
) -> None:
    tidy = tmp_path / "out" / "tidy.csv"
    run = cli(*RUN, "--cell-line", "PC-3", "--hours", "48", "--tidy", str(tidy))
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "docetaxel" in run.out
    assert "GI50 (nM)" in run.out and "no_effect" in run.out and "Plate QC pass" in run.out
    with tidy.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["compound", "concentration_M", "viability_pct", "replicate", "well"]
    assert len(rows) == 68
    rep = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert rep.code == 0, rep.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 2 and "GI50" in html and "4PL midpoint" in html


def test_json_without_saving(cli: Cli) -> None:
    run = cli(*RUN, "--json", "--no-save")
    payload = json.loads(run.out)
    assert payload["kind"] == "viability" and payload["id"] is None
    assert payload["settings"]["plate"]["saturation"] == 4.0
    assert cli("results", "list").out.startswith("No stored analyses")


def test_failing_analysis_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    text = (FOLDER / "mtt_pc3_48h.csv").read_text(encoding="utf-8").splitlines()
    row_c = next(i for i, line in enumerate(text) if line.startswith("C,"))
    cells = text[row_c].split(",")
    cells[5] = "4.0000"
    text[row_c] = ",".join(cells)
    bad = tmp_path / "saturated.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    run = cli(*RUN[:2], str(bad), "--layout", str(FOLDER / "layout96.toml"))
    assert run.code == 2 and "well C5" in run.err and "saturated" in run.err
    assert cli("results", "list").out.startswith("No stored analyses")


def test_bad_option_is_one_line(cli: Cli) -> None:
    run = cli(*RUN, "--hours", "-3")
    assert run.code == 2
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --hours: must be a number > 0"), run.err
