"""The command line, end to end on a temporary SQLite database."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, CliRun

Cli = Callable[..., CliRun]
BINDING = (
    "analyze",
    "binding",
    str(EXAMPLES / "plate96_run1.csv"),
    "--layout",
    str(EXAMPLES / "layout96.toml"),
)
CONSTANTS = ("--radioligand-conc", "0.1nM", "--kd", "0.5nM")


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys, cxcr4lab.cli\n"
        "heavy = [m for m in ('pandas', 'scipy', 'matplotlib', 'sqlalchemy', 'rdkit', 'pint', 'wellmap')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_analyze_binding_saves_and_lists(cli: Cli) -> None:
    run = cli(*BINDING, *CONSTANTS)
    assert run.code == 0, run.err
    assert "balixafortide" in run.out and "saved as analysis #1" in run.out
    assert "Plate QC pass" in run.out
    listed = cli("results", "list")
    assert "Binding plate96_run1.csv" in listed.out
    shown = cli("results", "show", "1")
    assert "plate96_run1.csv" in shown.out and "sha256" in shown.out and "plerixafor" in shown.out


def test_analyze_binding_json(cli: Cli) -> None:
    run = cli(*BINDING, *CONSTANTS, "--json", "--no-save")
    payload = json.loads(run.out)
    assert payload["kind"] == "binding" and payload["id"] is None
    names = [c["compound"] for c in payload["curves"]]
    assert names == ["balixafortide", "plerixafor", "motixafortide"]
    assert cli("results", "list").out.startswith("No stored analyses")


def test_report_writes_html(cli: Cli, tmp_path: Path) -> None:
    cli(*BINDING, *CONSTANTS)
    run = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert run.code == 0, run.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert "<svg" in html and "Ki (nM)" in html and "balixafortide" in html
    for external in ('src="http', 'href="http', "<link ", "<script src", "url(http"):
        assert external not in html  # self-contained: nothing is fetched


def test_dossier(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "dossier"
    run = cli("dossier", "--out", str(out))
    assert run.code == 0, run.err
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "SIMULATED" in html and html.count("<svg") >= 6
    stored = re.search(r"Stored (\d+) analyses", run.out)
    assert stored is not None and int(stored.group(1)) >= 3  # binding's three, then other assays
    assert len(cli("results", "list").out.splitlines()) >= 3


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            (*BINDING[:2], "missing.csv", "--layout", str(EXAMPLES / "layout96.toml"), *CONSTANTS),
            "missing.csv",
        ),
        ((*BINDING, "--radioligand-conc", "0.1 parsec", "--kd", "0.5nM"), "--radioligand-conc"),
        ((*BINDING, "--radioligand-conc", "0.1nM", "--kd", "0nM"), "--kd"),
        (
            (
                *BINDING[:2],
                str(EXAMPLES / "plate384_run1.xlsx"),
                "--layout",
                str(EXAMPLES / "layout96.toml"),
                *CONSTANTS,
            ),
            "384-well",
        ),
        (("results", "show", "99"), "99"),
        (("compound", "show", "balixafortid"), "balixafortide"),
    ],
)
def test_errors_are_one_line_naming_the_place(cli: Cli, args: tuple[str, ...], needle: str) -> None:
    run = cli(*args)
    assert run.code == 2
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), run.err
    assert needle in lines[0]
    assert "Traceback" not in run.err


def test_failed_analysis_stores_nothing(cli: Cli) -> None:
    cli(
        *BINDING[:2],
        str(EXAMPLES / "plate384_run1.xlsx"),
        "--layout",
        str(EXAMPLES / "layout96.toml"),
        *CONSTANTS,
    )
    assert cli("results", "list").out.startswith("No stored analyses")


def test_debug_shows_the_exception(cli: Cli) -> None:
    from cxcr4lab.core.errors import InputError

    with pytest.raises(InputError):
        cli("--debug", *BINDING[:2], "missing.csv", "--layout", "x.toml", *CONSTANTS)


def test_compound_show_checks_identity(cli: Cli) -> None:
    run = cli("compound", "show", "POL6326")
    assert run.code == 0, run.err
    assert "C84H118N24O21S2" in run.out and "OYWQJZAVFWOOBF-WBMPNIIXSA-N" in run.out
    assert "identity check ok" in run.out


def test_compound_stock_and_dilution(cli: Cli) -> None:
    # 5 mg / 1864.1 g/mol = 2.682 µmol; at 10 mM that is 268.2 µL (hand arithmetic).
    run = cli("compound", "stock", "balixafortide", "--conc", "10mM", "--mass", "5mg")
    assert run.code == 0, run.err
    assert "268.2" in run.out
    series = cli("compound", "dilute", "--top", "1uM", "--points", "10", "--factor", "half-log")
    assert series.code == 0, series.err
    assert "10-point" in series.out
