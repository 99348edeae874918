"""`cxcr4lab fit`: a long table of curves in, one row per curve out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.fit import FOUR_PL
from cxcr4lab.fit.batch import TABLE_COLUMNS
from tests.conftest import CliRun

Cli = Callable[..., CliRun]
CONC_NM = [0.0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000]


def _curves(tmp_path: Path, *, bad_curve: bool = False) -> Path:
    rng = np.random.default_rng(4)
    rows = []
    for i, ic50_nm in enumerate((0.5, 4.0, 40.0)):
        with np.errstate(divide="ignore"):
            x = np.log10(np.array(CONC_NM) * 1e-9)
        y = FOUR_PL.f(x, np.array([1.0, 99.0, np.log10(ic50_nm * 1e-9), 1.0]))
        y = y + rng.normal(0, 2, len(x))
        rows += [(f"cmpd-{i + 1}", c, r) for c, r in zip(CONC_NM, y, strict=True)]
    if bad_curve:
        rows += [("broken", 1.0, 50.0), ("broken", 10.0, 40.0)]
    path = tmp_path / "curves.csv"
    pd.DataFrame(rows, columns=["curve_id", "concentration", "response"]).to_csv(path, index=False)
    return path


def test_fit_writes_one_row_per_curve(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    run = cli(
        "fit", str(_curves(tmp_path)), "--model", "4pl", "--conc-unit", "nM", "--out", str(out)
    )
    assert run.code == 0, run.err
    assert "3 converged" in run.out
    table = pd.read_csv(out)
    assert tuple(table.columns) == TABLE_COLUMNS
    assert table["curve_id"].tolist() == ["cmpd-1", "cmpd-2", "cmpd-3"]
    np.testing.assert_allclose(table["ic50"], [0.5, 4.0, 40.0], rtol=0.15)
    assert (table["ic50_lower"] < table["ic50"]).all() and (
        table["ic50"] < table["ic50_upper"]
    ).all()
    np.testing.assert_allclose(10 ** table["log10_ic50"] * 1e9, table["ic50"], rtol=1e-9)
    assert table["n"].tolist() == [12, 12, 12]


def test_fit_json(cli: Cli, tmp_path: Path) -> None:
    run = cli("fit", str(_curves(tmp_path)), "--conc-unit", "nM", "--json")
    assert run.code == 0, run.err
    rows = json.loads(run.out)
    assert [r["curve_id"] for r in rows] == ["cmpd-1", "cmpd-2", "cmpd-3"]
    assert all(r["converged"] is True and r["model"] == "4pl" for r in rows)
    assert set(rows[0]) == set(TABLE_COLUMNS)


def test_a_bad_curve_is_flagged_not_fatal(cli: Cli, tmp_path: Path) -> None:
    run = cli("fit", str(_curves(tmp_path, bad_curve=True)), "--conc-unit", "nM", "--json")
    assert run.code == 0, run.err
    rows = {r["curve_id"]: r for r in json.loads(run.out)}
    assert rows["broken"]["converged"] is False
    assert rows["broken"]["flags"] == "bad_input: fewer points than parameters"
    assert rows["broken"]["ic50"] is None and rows["broken"]["n"] == 2
    assert rows["cmpd-2"]["converged"] is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("curve_id,conc,response\na,1,2\n", "missing column(s) concentration"),
        (
            "curve_id,concentration,response\na,1,2\na,ten,3\n",
            "row 3, column 'concentration': 'ten' is not a number",
        ),
        ("curve_id,concentration,response\na,1,2\na,3,lots\n", "row 3, column 'response'"),
        ("", "the file is empty"),
        ("curve_id,concentration,response\n", "no data rows"),
    ],
)
def test_bad_files_give_one_line_and_status_2(
    cli: Cli, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    out = tmp_path / "results.csv"
    run = cli("fit", str(path), "--out", str(out))
    assert run.code == 2
    assert "bad.csv" in run.err and message in run.err
    assert len(run.err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_missing_file(cli: Cli, tmp_path: Path) -> None:
    run = cli("fit", str(tmp_path / "nope.csv"))
    assert run.code == 2 and "file not found" in run.err
