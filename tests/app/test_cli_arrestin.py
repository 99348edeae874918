"""``cxcr4lab analyze arrestin`` end to end on a temporary SQLite database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliRun

Cli = Callable[..., CliRun]
FOLDER = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "arrestin"
RUN = (
    "analyze",
    "arrestin",
    str(FOLDER / "plate96_run1.csv"),
    "--layout",
    str(FOLDER / "layout96.toml"),
)


def test_analyze_arrestin_saves_and_reports(cli: Cli, tmp_path: Path) -> None:
    run = cli(*RUN, "--agonist-conc", "200ng/mL")
    assert run.code == 0, run.err
    assert "balixafortide" in run.out and "saved as analysis #1" in run.out
    assert "Kb (nM)" in run.out and "EC50" in run.out and "Plate QC pass" in run.out
    shown = cli("results", "show", "1")
    assert shown.code == 0 and "plate96_run1.csv" in shown.out and "plerixafor" in shown.out
    rep = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert rep.code == 0, rep.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 3 and "Kb (nM)" in html and "edge effect" in html


def test_agonist_concentration_in_mass_units_uses_the_cxcl12_mw(cli: Cli) -> None:
    run = cli(*RUN, "--agonist-conc", "100ng/mL", "--json", "--no-save")
    payload = json.loads(run.out)
    # 100 ng/mL / 7963.5 g/mol = 12.557 nM
    assert payload["settings"]["agonist_molar"] == pytest.approx(12.557e-9, rel=1e-4)
    assert payload["kind"] == "arrestin" and payload["id"] is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--agonist-conc", "200 parsec"), "--agonist-conc"),
        (("--layout", str(FOLDER / "missing.toml")), "missing.toml"),
    ],
)
def test_bad_options_are_one_line_errors(cli: Cli, args: tuple[str, ...], needle: str) -> None:
    run = cli(*RUN, *args)
    assert run.code == 2
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], run.err


def test_failing_analysis_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "saturated.csv"
    text = (FOLDER / "plate96_run1.csv").read_text(encoding="utf-8").splitlines()
    row_b = next(i for i, line in enumerate(text) if line.startswith("B,"))
    cells = text[row_b].split(",")
    cells[3] = "16777215"
    text[row_b] = ",".join(cells)
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    run = cli(*RUN[:2], str(bad), "--layout", str(FOLDER / "layout96.toml"))
    assert run.code == 2 and "well B3" in run.err and "saturated" in run.err
    assert cli("results", "list").out.startswith("No stored analyses")
