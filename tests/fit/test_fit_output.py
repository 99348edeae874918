"""The ``fit`` kind's output table: every parameter with SE and CI, pIC50, effective doses,
R^2, sigma and AICc, one unit per column named in its header; checked against closed forms
computed here from the same rows and against a single fit of the same curve."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tests.conftest import EXAMPLES, CliRun

from cxcr4lab.fit import FOUR_PL, fit_curve

CURVES = EXAMPLES.parent / "fit" / "curves.csv"


@pytest.fixture
def out(cli: Callable[..., CliRun], tmp_path: Path) -> pd.DataFrame:
    target = tmp_path / "fits.csv"
    run = cli(
        "fit", str(CURVES), "--conc-unit", "nM", "--ed", "10,50,90", "--normalised",
        "--out", str(target), "--no-save",
    )  # fmt: skip
    assert run.code == 0, run.err
    return pd.read_csv(target)


def test_units_are_in_the_column_names(out: pd.DataFrame) -> None:
    for column in ("ic50_nM", "ic50_lower_nM", "ic50_upper_nM", "log10_ic50_M", "pic50"):
        assert column in out.columns, column
    for column in ("ed10_nM", "ed90_upper_nM", "log10_ed90_se", "r_squared", "sigma", "aicc"):
        assert column in out.columns, column
    assert "ic50" not in out.columns and "log10_ic50" not in out.columns


def test_every_parameter_has_se_and_ci_as_a_single_fit(out: pd.DataFrame) -> None:
    """c05 fitted alone (fit_curve, the scipy path) gives the same estimates and SEs."""
    data = pd.read_csv(CURVES)
    part = data[data["curve_id"] == "c05"]
    x = np.log10(part["concentration"].to_numpy() * 1e-9)
    y = part["response"].to_numpy()
    single = fit_curve(FOUR_PL, x, y)
    row = out[out["curve_id"] == "c05"].iloc[0]
    t = stats.t.ppf(0.975, single.dof)
    for name in ("bottom", "top", "hill"):
        assert row[name] == pytest.approx(single.params[name], rel=1e-6)
        assert row[f"{name}_se"] == pytest.approx(single.se[name], rel=1e-4)
        assert row[f"{name}_lower"] == pytest.approx(row[name] - t * row[f"{name}_se"], rel=1e-9)
    assert row["log10_ic50_M"] == pytest.approx(single.params["log10_ic50"], abs=1e-7)
    assert row["pic50"] == pytest.approx(-row["log10_ic50_M"], rel=1e-12)
    assert row["pic50_lower"] == pytest.approx(-row["log10_ic50_upper_M"], rel=1e-12)
    # residual SD, R^2 and AICc (Prism's: K = parameters + 1) by hand
    rss, n = single.rss, len(y)
    assert row["sigma"] == pytest.approx(math.sqrt(rss / (n - 4)), rel=1e-6)
    assert row["r_squared"] == pytest.approx(1 - rss / np.sum((y - y.mean()) ** 2), rel=1e-6)
    k = 5
    aicc = n * math.log(rss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)
    assert row["aicc"] == pytest.approx(aicc, rel=1e-6)


def test_the_ed50_of_a_4pl_is_its_ic50_and_the_eds_are_ordered(out: pd.DataFrame) -> None:
    fitted = out[out["flags"].fillna("").str.len() == 0]
    assert len(fitted) > 10
    np.testing.assert_allclose(fitted["ed50_nM"], fitted["ic50_nM"], rtol=1e-6)
    np.testing.assert_allclose(fitted["ed50_lower_nM"], fitted["ic50_lower_nM"], rtol=1e-4)
    assert (fitted["ed10_nM"] < fitted["ed50_nM"]).all()
    assert (fitted["ed50_nM"] < fitted["ed90_nM"]).all()


def test_estimates_of_flat_curves_are_empty_with_the_reason(out: pd.DataFrame) -> None:
    flat = out[out["curve_id"].isin(["c18", "c19", "c20"])]
    assert (flat["flags"] == "no_effect").all()
    for column in ("ic50_nM", "hill", "ed10_nM", "pic50", "r_squared"):
        assert flat[column].isna().all(), column


def test_a_bad_ed_level_names_the_option(cli: Callable[..., CliRun]) -> None:
    for given, words in (("10,abc", "'abc' is not a number"), ("0", "(0, 100)")):
        run = cli("fit", str(CURVES), "--conc-unit", "nM", "--ed", given, "--no-save")
        assert run.code == 2, run.out
        assert "--ed" in run.err and words in run.err, run.err


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".tsv"])
def test_out_as_xlsx_parquet_or_tsv_holds_the_same_table(
    cli: Callable[..., CliRun], tmp_path: Path, out: pd.DataFrame, suffix: str
) -> None:
    target = tmp_path / f"fits{suffix}"
    run = cli(
        "fit", str(CURVES), "--conc-unit", "nM", "--ed", "10,50,90", "--normalised",
        "--out", str(target), "--no-save",
    )  # fmt: skip
    assert run.code == 0, run.err
    if suffix == ".xlsx":
        back = pd.read_excel(target)
    elif suffix == ".parquet":
        back = pd.read_parquet(target)
    else:
        back = pd.read_csv(target, sep="\t")
    assert list(back.columns) == list(out.columns)
    np.testing.assert_allclose(back["ic50_nM"], out["ic50_nM"], rtol=1e-12)


def test_an_out_file_of_another_type_is_refused_before_fitting(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    run = cli("fit", str(CURVES), "--conc-unit", "nM", "--out", str(tmp_path / "fits.json"))
    assert run.code == 2 and "--out" in run.err and ".xlsx" in run.err, run.err
    assert not (tmp_path / "fits.json").exists()


def test_plots_draw_every_curve_and_a_contact_sheet(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    folder = tmp_path / "plots"
    run = cli(
        "fit", str(CURVES), "--conc-unit", "nM", "--plots", str(folder), "--covariance",
        "hessian", "--no-save",
    )  # fmt: skip
    assert run.code == 0, run.err
    pngs = sorted(p.name for p in (folder / "curves").iterdir())
    assert pngs == [f"c{i:02d}.png" for i in range(1, 21)]
    assert all((folder / "curves" / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.index("c18") < index.index("c01")  # the flagged (no_effect) curves first
    assert (folder / "contact_sheet.pdf").read_bytes()[:4] == b"%PDF"
