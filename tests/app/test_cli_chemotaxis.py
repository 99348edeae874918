"""``cxcr4lab analyze chemotaxis`` end to end on a temporary SQLite database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
FOLDER = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "chemotaxis"


def args(data: str, layout: str, readout: str) -> tuple[str, ...]:
    return (
        "analyze",
        "chemotaxis",
        str(FOLDER / data),
        "--layout",
        str(FOLDER / layout),
        "--readout",
        readout,
        "--agonist-conc",
        "100ng/mL",
    )


CALCEIN = args("calcein_jurkat.csv", "layout96_calcein.toml", "fluorescence")
COUNTS = args("counts_mda231.csv", "layout96.toml", "counts")


def test_analyze_calcein_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli(*CALCEIN, "--cell-line", "Jurkat")
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "balixafortide" in run.out
    assert "Standard curve" in run.out and "Chemotactic index" in run.out
    assert "Plate QC pass" in run.out
    rep = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert rep.code == 0, rep.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 4 and "Cell standard curve" in html
    assert "chemotactic index" in html.lower()


def test_analyze_counts_as_json(cli: Cli) -> None:
    run = cli(*COUNTS, "--json", "--no-save")
    assert run.code == 0, run.err
    payload = json.loads(run.out)
    assert payload["kind"] == "chemotaxis" and payload["unit"] == "cells per field"
    assert len(payload["counts"]) == 76
    assert cli("results", "list").out.startswith("No stored analyses")


def test_failing_analysis_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    text = (FOLDER / "counts_mda231.csv").read_text(encoding="utf-8").splitlines()
    text[5] = text[5].rsplit(",", 1)[0] + ",-4"
    bad = tmp_path / "negative.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    run = cli(*COUNTS[:2], str(bad), *COUNTS[3:])
    assert run.code == 2 and "negative.csv, row 6" in run.err  # line 6 of the file
    assert cli("results", "list").out.startswith("No stored analyses")


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (("--readout", "luminescence"), "--readout"),
        (("--standard-model", "5pl"), "--standard-model"),
        (("--agonist-hill", "0"), "--agonist-hill"),
    ],
)
def test_bad_options_are_one_line(cli: Cli, extra: tuple[str, ...], needle: str) -> None:
    run = cli(*CALCEIN, *extra)
    assert run.code == 2
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], run.err
