"""Fixed and bounded parameters in batch fits (``fit_table(fixed=, bounds=)``, ``cxcr4lab fit
--fix/--bound``), against references computed independently.

* Exact synthetic data with a parameter held at its true value: the truth to 1e-8.
* A fixed-parameter fit equals scipy's ``curve_fit`` of the reduced model on the same noisy data
  (estimates to 1e-6, standard errors to 1e-5: both are ``s^2 (J^T J)^-1``).
* R drc (drcData's ryegrass, tests/data/drc/ryegrass.csv), ``summary(drm(rootl ~ conc, data =
  ryegrass, fct = LL.4()))``: b 2.98222, c 0.48141, d 7.79296, e 3.05795 (as in
  tests/fit/test_drc_compat.py). Holding the slope at drc's b (``LL.4(fixed = c(2.98222, NA,
  NA, NA))``; drc's b is cxcr4lab's hill for the 4PL: both are the slope in ``1 / (1 +
  exp(b (log x - log e)))``) must give drc's c, d and e to their printed digits, since the
  other parameters' optimum given the optimal slope is the full optimum. R is not installed
  here, so this is the drc check that needs no new R run.
* A bound that is active gives the fit with the parameter fixed at the bound; one that is not
  gives the unbounded fit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from cxcr4lab.core.errors import InputError
from cxcr4lab.fit import FOUR_PL, fit_curve
from cxcr4lab.fit.batch import fit_many, fit_table, fixed_model

DATA = Path(__file__).resolve().parents[1] / "data" / "drc"
CONC_NM = np.array([0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0])
TRUTH = {"A": (2.0, 98.0, np.log10(3e-9), 1.2), "B": (-3.0, 105.0, np.log10(40e-9), 0.8)}


def _table(noise: float, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    x = np.log10(CONC_NM * 1e-9)
    for cid, p in TRUTH.items():
        y = FOUR_PL.f(x, np.array(p)) + rng.normal(0.0, noise, x.size) * (noise > 0)
        rows += [(cid, c, v) for c, v in zip(CONC_NM, y, strict=True)]
    return pd.DataFrame(rows, columns=["curve_id", "concentration", "response"])


def test_exact_data_with_a_parameter_fixed_at_its_truth_recovers_the_truth() -> None:
    for name, j in (("bottom", 0), ("hill", 3)):
        exact = _table(0.0)
        for cid, p in TRUTH.items():
            curve = exact[exact.curve_id == cid]
            row = fit_table(curve, "4pl", conc_unit="nM", fixed={name: p[j]}).iloc[0]
            assert row["converged"] and row[name] == p[j]
            got = [row["bottom"], row["top"], row["log10_ic50"], row["hill"]]
            np.testing.assert_allclose(got, p, rtol=1e-8, atol=1e-8)


def _reduced_curve_fit(x: np.ndarray, y: np.ndarray, hill: float) -> tuple[np.ndarray, np.ndarray]:
    def f(xv: np.ndarray, bottom: float, top: float, log_ic50: float) -> np.ndarray:
        return bottom + (top - bottom) / (1.0 + 10.0 ** ((xv - log_ic50) * hill))

    popt, pcov = optimize.curve_fit(
        f, x, y, p0=[0.0, 100.0, -8.0], xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    return popt, np.sqrt(np.diag(pcov))


def test_a_fixed_hill_fit_equals_scipy_curve_fit_of_the_reduced_model() -> None:
    df = _table(4.0)
    out = fit_table(df, "4pl", conc_unit="nM", fixed={"hill": 1.0}).set_index("curve_id")
    x = np.log10(CONC_NM * 1e-9)
    for cid in TRUTH:
        y = df.loc[df.curve_id == cid, "response"].to_numpy()
        popt, se = _reduced_curve_fit(x, y, 1.0)
        row = out.loc[cid]
        assert row["hill"] == 1.0 and not row["flags"]
        np.testing.assert_allclose([row["bottom"], row["top"], row["log10_ic50"]], popt, rtol=1e-6)
        assert row["log10_ic50_se"] == pytest.approx(se[2], rel=1e-5)
        # the same fit as one curve through fit_curve (scipy least_squares) with the same hold
        single = fit_curve(FOUR_PL, x, y, fixed={"hill": 1.0})
        assert row["rss"] == pytest.approx(single.rss, rel=1e-9)


def test_fixed_model_in_fit_many_equals_the_reduced_model() -> None:
    df = _table(4.0)
    x = np.log10(CONC_NM * 1e-9)
    Y = np.stack([df.loc[df.curve_id == c, "response"].to_numpy() for c in TRUTH])
    batch = fit_many(fixed_model(FOUR_PL, {"bottom": 0.0, "hill": 1.0}), x, Y)
    assert batch.param_names == ("top", "log10_ic50")
    for i, cid in enumerate(TRUTH):

        def f(xv: np.ndarray, top: float, log_ic50: float) -> np.ndarray:
            return top / (1.0 + 10.0 ** (xv - log_ic50))

        popt, pcov = optimize.curve_fit(f, x, Y[i], p0=[100.0, -8.0], xtol=1e-15, ftol=1e-15)
        np.testing.assert_allclose(batch.params[i], popt, rtol=1e-6)
        np.testing.assert_allclose(batch.stderr[i], np.sqrt(np.diag(pcov)), rtol=1e-5)
        assert cid in TRUTH


def test_ryegrass_with_the_slope_fixed_at_drcs_estimate_gives_drcs_other_parameters() -> None:
    rye = pd.read_csv(DATA / "ryegrass.csv")
    table = pd.DataFrame({"curve_id": "ryegrass", "concentration": rye.conc, "response": rye.rootl})
    row = fit_table(table, "4pl", fixed={"hill": 2.98222}).iloc[0]
    assert row["converged"] and row["hill"] == 2.98222
    assert row["bottom"] == pytest.approx(0.48141, rel=2e-5)  # drc c
    assert row["top"] == pytest.approx(7.79296, rel=2e-6)  # drc d
    assert row["ic50"] == pytest.approx(3.05795, rel=2e-6)  # drc e (conc in the file's unit)


def test_an_active_bound_equals_the_fit_fixed_at_the_bound() -> None:
    df = _table(4.0)
    free = fit_table(df, "4pl", conc_unit="nM").set_index("curve_id")
    top_b = float(free.loc["B", "top"])  # bound B's top below its free estimate
    bounded = fit_table(df, "4pl", conc_unit="nM", bounds={"top": (50.0, top_b - 5.0)})
    bounded = bounded.set_index("curve_id")
    held = fit_table(df, "4pl", conc_unit="nM", fixed={"top": top_b - 5.0}).set_index("curve_id")
    assert bounded.loc["B", "top"] == pytest.approx(top_b - 5.0, abs=1e-7)
    assert "at_bound" in bounded.loc["B", "flags"]
    for col in ("bottom", "log10_ic50", "hill", "rss"):
        assert bounded.loc["B", col] == pytest.approx(held.loc["B", col], rel=1e-6)
    # curve A's free top (about 98) lies inside the box: its bound is not active
    assert 50.0 < free.loc["A", "top"] < top_b - 5.0
    for col in ("bottom", "top", "log10_ic50", "hill"):
        assert bounded.loc["A", col] == pytest.approx(free.loc["A", col], rel=1e-6)
    assert "at_bound" not in bounded.loc["A", "flags"]


def test_an_inactive_bound_changes_nothing() -> None:
    df = _table(4.0)
    free = fit_table(df, "4pl", conc_unit="nM")
    wide = fit_table(df, "4pl", conc_unit="nM", bounds={"hill": (0.1, 5.0), "top": (50.0, 200.0)})
    for col in ("bottom", "top", "log10_ic50", "hill", "rss", "log10_ic50_se"):
        np.testing.assert_allclose(wide[col], free[col], rtol=1e-5)
    assert wide["flags"].tolist() == free["flags"].tolist()


def test_bad_constraints_are_refused() -> None:
    df = _table(4.0)
    with pytest.raises(InputError, match="'slope' is not a parameter of model 4pl"):
        fit_table(df, "4pl", fixed={"slope": 1.0})
    with pytest.raises(InputError, match="every parameter is fixed"):
        fit_table(df, "4pl", fixed=dict.fromkeys(FOUR_PL.param_names, 1.0))
    with pytest.raises(InputError, match="both fixed and bounded"):
        fit_table(df, "4pl", fixed={"hill": 1.0}, bounds={"hill": (0.0, 2.0)})
    with pytest.raises(InputError, match="lower < upper"):
        fit_table(df, "4pl", bounds={"top": (110.0, 90.0)})


def test_a_fixed_potency_gives_no_ci_and_a_bad_curve_stays_flagged() -> None:
    short = {"curve_id": ["C", "C"], "concentration": [1.0, 10.0], "response": [50.0, 40.0]}
    df = pd.concat([_table(4.0), pd.DataFrame(short)])
    out = fit_table(df, "4pl", conc_unit="nM", fixed={"log10_ic50": -8.0}).set_index("curve_id")
    assert out.loc["A", "ic50"] == pytest.approx(10.0)
    assert np.isnan(out.loc["A", "ic50_lower"]) and np.isnan(out.loc["A", "log10_ic50_se"])
    assert out.loc["C", "flags"] == "bad_input: fewer points than parameters"
    assert np.isnan(out.loc["C", "log10_ic50"]) and not out.loc["C", "converged"]
