"""``--format table|csv|json`` on the commands that print results, and output fit for a pipe."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliRun

ROOT = Path(__file__).resolve().parents[2]
THEOPH = ROOT / "src" / "cxcr4lab" / "examples" / "pk" / "theoph.csv"


def test_a_kind_prints_csv_json_or_its_table(cli: Callable[..., CliRun]) -> None:
    as_csv = cli("nca", str(THEOPH), "--no-save", "--format", "csv")
    assert as_csv.code == 0, as_csv.err
    rows = list(csv.DictReader(io.StringIO(as_csv.out)))
    assert len(rows) == 12 and "Cmax (mg/L)" in rows[0]
    assert float(rows[0]["Cmax (mg/L)"]) == 10.5
    as_json = cli("nca", str(THEOPH), "--no-save", "--format", "json")
    shown = json.loads(as_json.out)
    assert shown["id"] is None and shown["kind"] == "nca"
    assert json.loads(cli("nca", str(THEOPH), "--no-save", "--json").out) == shown


def test_results_list_and_show_in_every_format(cli: Callable[..., CliRun]) -> None:
    saved = json.loads(cli("nca", str(THEOPH), "--format", "json").out)["id"]
    listed = list(csv.DictReader(io.StringIO(cli("results", "list", "--format", "csv").out)))
    assert [int(r["id"]) for r in listed] == [saved] and listed[0]["kind"] == "nca"
    records = json.loads(cli("results", "list", "--format", "json").out)
    assert records[0]["id"] == saved
    shown = list(
        csv.DictReader(io.StringIO(cli("results", "show", str(saved), "--format", "csv").out))
    )
    assert len(shown) == 12


def test_compound_commands_in_csv_and_json(cli: Callable[..., CliRun]) -> None:
    compounds = list(csv.DictReader(io.StringIO(cli("compound", "list", "--format", "csv").out)))
    assert any(r["name"] == "balixafortide" for r in compounds)
    series = json.loads(
        cli("compound", "dilute", "--top", "1uM", "--points", "4", "--format", "json").out
    )
    assert len(series) == 4 and series[0]["concentration_nM"] == pytest.approx(1000.0)


@pytest.mark.parametrize(
    "args",
    [
        ("nca", str(THEOPH), "--no-save", "--format", "yaml"),
        ("results", "list", "--format", "xml"),
        ("compound", "list", "--format", "html"),
    ],
)
def test_an_unknown_format_is_one_line_naming_the_option(
    cli: Callable[..., CliRun], args: tuple[str, ...]
) -> None:
    run = cli(*args)
    assert run.code == 2
    assert run.err.count("\n") == 1 and "--format" in run.err and "table, csv, json" in run.err


def test_tables_are_not_cut_in_a_pipe(tmp_path: Path) -> None:
    """In a pipe (no terminal, no COLUMNS) the wide NCA table keeps every column and value."""
    env = {"PATH": "/usr/bin:/bin", "CXCR4LAB_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    out = subprocess.run(
        [sys.executable, "-m", "cxcr4lab.cli", "nca", str(THEOPH), "--no-save"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    ).stdout
    assert "…" not in out
    assert "AUCinf_obs" in out or "AUCinf" in out
    assert max(len(line) for line in out.splitlines()) > 80
