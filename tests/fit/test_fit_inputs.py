"""The ``fit`` kind reads the tables scientists have: a GraphPad Prism XY table (compounds
side by side, replicate sub-columns, blanks) and long tables with their own column names, the
metadata columns carried to the output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.conftest import CliRun

TRUTH = {"balixafortide": -8.6, "plerixafor": -7.2, "AMD-070": -6.5}
"""log10 IC50 (mol/L) of each SIMULATED compound."""
LOG_CONC_NM = np.arange(-2.0, 3.01, 0.5)  # 10 pM to 1 uM, half-log


def _prism_xlsx(path: Path) -> None:
    """Layout (a): each title written once over its Y1..Y3 (Prism's merged cells), X as
    concentrations in nM (11 half-log levels), one blank replicate."""
    rng = np.random.default_rng(4)
    head: list[object] = ["Concentration (nM)"]
    subs: list[object] = [""]
    columns = []
    for name, log_ic50 in TRUTH.items():
        for r in range(3):
            head.append(name if r == 0 else None)
            subs.append(f"Y{r + 1}")
            y = 100 / (1 + 10 ** (LOG_CONC_NM - 9 - log_ic50)) + rng.normal(0, 3, LOG_CONC_NM.size)
            columns.append(y)
    body = np.column_stack([10**LOG_CONC_NM, *columns]).astype(object)
    body[4, 2] = None  # a blank replicate
    frame = pd.DataFrame([head, subs, *body.tolist()])
    frame.to_excel(path, header=False, index=False)


def test_a_prism_xy_table_is_fitted_compound_by_compound(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    table = tmp_path / "prism.xlsx"
    _prism_xlsx(table)
    out = tmp_path / "fits.csv"
    run = cli("fit", str(table), "--layout", "prism", "--out", str(out), "--no-save")
    assert run.code == 0, run.err
    fits = pd.read_csv(out).set_index("curve_id")
    assert list(fits.index) == list(TRUTH)
    assert "ic50_nM" in fits.columns  # the unit from the X header, not --conc-unit
    for name, log_ic50 in TRUTH.items():
        assert fits.loc[name, "log10_ic50_M"] == pytest.approx(log_ic50, abs=0.1), name
        assert fits.loc[name, "n"] == (32 if name == "balixafortide" else 33)
    assert "concentrations in nM (X header)" in run.out


def test_a_long_table_with_its_own_names_keeps_its_metadata(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    rng = np.random.default_rng(5)
    rows = []
    for k, (name, log_ic50) in enumerate(TRUTH.items()):
        for i, lc in enumerate(LOG_CONC_NM):
            y = 100 / (1 + 10 ** (lc - 9 - log_ic50)) + rng.normal(0, 3)
            rows.append((name, f"P{k + 1}", "lot-7", 10**lc, y, f"{'ABC'[k]}{i + 1}"))
    frame = pd.DataFrame(rows, columns=["Compound", "Plate", "Lot", "Conc", "Activity %", "Well"])
    table = tmp_path / "screen.tsv"
    frame.to_csv(table, sep="\t", index=False)
    out = tmp_path / "fits.csv"
    run = cli(
        "fit", str(table), "--conc-unit", "nM", "--id-col", "Compound", "--conc-col", "Conc",
        "--response-col", "Activity %", "--out", str(out), "--no-save",
    )  # fmt: skip
    assert run.code == 0, run.err
    fits = pd.read_csv(out)
    assert list(fits.columns[:3]) == ["curve_id", "Plate", "Lot"]
    assert list(fits["Plate"]) == ["P1", "P2", "P3"]
    assert "Well" not in fits.columns and "Well (varies within curve" in run.out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--id-col", "Cmpd"), "'Cmpd' is not a column"),
        (("--id-col", "Conc", "--conc-col", "Conc"), "both the curve_id and the concentration"),
    ],
)
def test_a_column_that_is_not_there_is_named(
    cli: Callable[..., CliRun], tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    table = tmp_path / "screen.csv"
    table.write_text("Compound,Conc,Activity %\nA,1,90\nA,10,50\nA,100,10\nA,1000,2\n")
    run = cli("fit", str(table), "--conc-unit", "nM", *args, "--no-save")
    assert run.code == 2, run.out
    assert words in run.err and len(run.err.strip().splitlines()) == 1, run.err


def test_text_in_a_prism_cell_names_row_and_column(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    table = tmp_path / "prism.csv"
    table.write_text("Conc (nM),A,A,B\n1,99,98,97\n10,n.d.,80,90\n100,10,12,>50\n")
    run = cli("fit", str(table), "--layout", "prism", "--no-save")
    assert run.code == 2, run.out
    assert "'n.d.' is not a number" in run.err and "row 3" in run.err, run.err
