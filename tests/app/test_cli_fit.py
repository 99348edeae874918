"""`cxcr4lab fit`: a long table of curves in, one row per curve out (stored as kind ``fit``),
``--fix``/``--bound`` passed to the batch engine, bad options named in one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.fit import FOUR_PL
from cxcr4lab.fit.batch import TABLE_COLUMNS
from cxcr4lab.fit.batch_result import BatchFitResult
from cxcr4lab.runs import KINDS
from cxcr4lab.runs._kind import PROGRESS
from cxcr4lab.store import Store
from cxcr4lab.workflows import load_analysis
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
    named = {"ic50": "ic50_nM", "ic50_lower": "ic50_lower_nM", "ic50_upper": "ic50_upper_nM"}
    named["log10_ic50"] = "log10_ic50_M"
    base = [named.get(c, c) for c in TABLE_COLUMNS if c != "flags"]
    assert list(table.columns[: len(base)]) == base and table.columns[-1] == "flags"
    assert table["curve_id"].tolist() == ["cmpd-1", "cmpd-2", "cmpd-3"]
    np.testing.assert_allclose(table["ic50_nM"], [0.5, 4.0, 40.0], rtol=0.15)
    assert (table["ic50_lower_nM"] < table["ic50_nM"]).all() and (
        table["ic50_nM"] < table["ic50_upper_nM"]
    ).all()
    np.testing.assert_allclose(10 ** table["log10_ic50_M"] * 1e9, table["ic50_nM"], rtol=1e-9)
    assert table["n"].tolist() == [12, 12, 12]


def test_fit_json_is_the_stored_result(cli: Cli, db_url: str, tmp_path: Path) -> None:
    run = cli("fit", str(_curves(tmp_path)), "--conc-unit", "nM", "--json")
    assert run.code == 0, run.err
    shown = json.loads(run.out)
    rows = shown["rows"]
    assert [r["curve_id"] for r in rows] == ["cmpd-1", "cmpd-2", "cmpd-3"]
    assert all(r["converged"] is True and r["model"] == "4pl" for r in rows)
    assert set(rows[0]) == {*TABLE_COLUMNS, "extra"}  # the inference columns in "extra"
    assert (shown["kind"], shown["model"], shown["unit"]) == ("fit", "4pl", "nM")
    with Store(db_url) as store:
        saved = load_analysis(store, shown["id"])
    assert isinstance(saved.result, BatchFitResult)
    assert saved.result.to_dict() == {k: v for k, v in shown.items() if k != "id"}
    again = cli("results", "show", str(shown["id"]))
    assert again.code == 0 and "3 converged" in again.out


def test_no_save_prints_the_rows_and_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    run = cli("fit", str(_curves(tmp_path)), "--conc-unit", "nM", "--json", "--no-save")
    assert run.code == 0, run.err
    assert json.loads(run.out)["id"] is None


def test_a_bad_curve_is_flagged_not_fatal(cli: Cli, tmp_path: Path) -> None:
    run = cli("fit", str(_curves(tmp_path, bad_curve=True)), "--conc-unit", "nM", "--json")
    assert run.code == 0, run.err
    rows = {r["curve_id"]: r for r in json.loads(run.out)["rows"]}
    assert rows["broken"]["converged"] is False
    assert rows["broken"]["flags"] == "bad_input: fewer points than parameters"
    assert rows["broken"]["ic50"] is None and rows["broken"]["n"] == 2
    assert rows["cmpd-2"]["converged"] is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("curve_id,amount,response\na,1,2\n", "no column for the concentration"),
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


def test_fix_and_bound_reach_the_fit(cli: Cli, tmp_path: Path) -> None:
    curves = str(_curves(tmp_path))
    run = cli("fit", curves, "--conc-unit", "nM", "--fix", "hill=1", "--fix", "bottom=0",
              "--json", "--no-save")  # fmt: skip
    assert run.code == 0, run.err
    shown = json.loads(run.out)
    assert shown["fixed"] == [["hill", 1.0], ["bottom", 0.0]]
    assert all(r["hill"] == 1.0 and r["bottom"] == 0.0 for r in shown["rows"])
    np.testing.assert_allclose([r["ic50"] for r in shown["rows"]], [0.5, 4.0, 40.0], rtol=0.2)
    bounded = cli("fit", curves, "--conc-unit", "nM", "--bound", "top=90:95", "--bound",
                  "hill=0:", "--json", "--no-save")  # fmt: skip
    assert bounded.code == 0, bounded.err
    got = json.loads(bounded.out)
    assert got["bounds"] == [["top", 90.0, 95.0], ["hill", 0.0, "inf"]]  # open side: "inf"
    assert all(90.0 <= r["top"] <= 95.0 + 1e-9 for r in got["rows"])
    assert all("at_bound" in r["flags"] for r in got["rows"])  # the true top is 99
    text = cli("fit", curves, "--conc-unit", "nM", "--fix", "hill=1", "--no-save")
    assert "Every curve: fixed hill = 1." in text.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--fix", "hill"), "--fix: 'hill': expected NAME=VALUE, e.g. hill=1"),
        (("--fix", "hill=steep"), "--fix: 'hill=steep': the value after '=' is not a number"),
        (("--fix", "slope=1"), "--fix: 'slope' is not a parameter of model 4pl; its parameters"),
        (("--fix", "hill=1", "--fix", "hill=2"), "--fix: hill is given twice"),
        (("--bound", "top=110:90"), "--bound: 'top=110:90': LOW must be less than HIGH"),
        (("--bound", "top=90"), "--bound: 'top=90': expected NAME=LOW:HIGH"),
        (("--fix", "top=1", "--bound", "top=0:2"), "--bound: top is fixed; it cannot also be"),
        (("--model", "7pl"), "--model: must be one of '4pl'"),
        (("--conc-unit", "parsec"), "--conc-unit:"),
    ],
)
def test_bad_options_give_one_line_naming_the_option(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    run = cli("fit", str(_curves(tmp_path)), *args, "--no-save")
    assert run.code == 2, run.out
    assert run.err.startswith(f"error: {message}"), run.err
    assert len(run.err.strip().splitlines()) == 1


def test_a_long_run_reports_its_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cxcr4lab.runs.fit as fit_kind
    from cxcr4lab.runs import run_kind

    monkeypatch.setattr(fit_kind, "CHUNK", 2)
    seen: list[tuple[str, int, int]] = []
    token = PROGRESS.set(lambda *report: seen.append(report))
    try:
        content = _curves(tmp_path).read_bytes()
        outcome = run_kind("fit", {"curves": ("c.csv", content)}, {"conc_unit": "nM"})
    finally:
        PROGRESS.reset(token)
    assert outcome.result.n_converged == 3
    assert seen == [
        ("Fitting 3 curves", 0, 3),
        ("Fitting 3 curves", 2, 3),
        ("Fitting 3 curves", 3, 3),
    ]
    assert KINDS["fit"].command == ("fit",)
