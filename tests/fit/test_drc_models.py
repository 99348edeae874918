"""drc's other models (``fit.drc_models``) against R on drc's ryegrass data.

R 4 (Debian r-base-core), ``nls`` with drc's formulas (drc minimises the same sum of squares,
so its estimates are these; ``nls``'s SEs are Gauss-Newton's, as ``fit_curve``'s):

    d <- read.csv("ryegrass.csv")  # drcData's ryegrass, tests/data/drc
    nls(rootl ~ c + (dd - c) * exp(-exp(b * (log(conc) - log(e)))), d, ...)        # W1.4
    nls(rootl ~ c + (dd - c) * (1 - exp(-exp(b * (log(conc) - log(e))))), d, ...)  # W2.4
    nls(rootl ~ c + (dd - c) / (1 + exp(b * (log(conc) - e))), d, ...)             # LL2.4
    nls(rootl ~ c + (dd - c + f * conc) / (1 + exp(b * (log(conc) - log(e)))), d, ...)  # BC.5
    (control = nls.control(maxiter = 500, tol = 1e-8, minFactor = 1e-10))

printed with digits = 10 (estimate, SE), and the residual sum of squares. Tolerances: estimates
1e-6 relative, SEs 1e-4 (R's convergence tolerance 1e-8 moves their last digits).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.fit import fit_curve, get_model
from cxcr4lab.fit.batch import fit_many

DATA = Path(__file__).resolve().parents[1] / "data" / "drc"

R = {
    "w1_4": (
        {"hill": (2.3933460938, 0.4396232987), "bottom": (0.6604515637, 0.1863922876),
         "top": (7.8058758872, 0.2075902190), "e": (3.6001283202, 0.1941751724)},
        6.02415085309,
    ),
    "w2_4": (
        {"hill": (-1.9678018111, 0.2884995456), "bottom": (0.3245748932, 0.2487794506),
         "top": (7.7263297259, 0.1731482775), "e": (2.4876326246, 0.1475665146)},
        5.29256538341,
    ),
    "ll2_4": (
        {"hill": (2.9822286729, 0.4584288191), "bottom": (0.4814099443, 0.2095060433),
         "top": (7.7929623274, 0.1897332592), "ln_ed50": (1.1177464467, 0.0607690098)},
        5.40021462777,
    ),
    "bc_5": (
        {"hill": (2.7568511286, 0.5026905171), "bottom": (0.4151464945, 0.2564764900),
         "top": (7.7417271725, 0.2148607951), "e": (2.7768357774, 0.5179544092),
         "f": (0.3567669578, 0.6934209040)},
        5.31072899242,
    ),
}  # fmt: skip


def _ryegrass() -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_csv(DATA / "ryegrass.csv")
    with np.errstate(divide="ignore"):
        x = np.log10(df["conc"].to_numpy(dtype=float))
    return x, df["rootl"].to_numpy(dtype=float)


@pytest.mark.parametrize("name", sorted(R))
def test_against_R_nls_on_ryegrass(name: str) -> None:
    x, y = _ryegrass()
    fit = fit_curve(get_model(name), x, y)
    assert fit.converged
    reference, rss = R[name]
    assert fit.rss == pytest.approx(rss, rel=1e-8)
    for key, (value, se) in reference.items():
        if key == "e":  # drc's e is a dose; here log10 of it
            got = 10 ** fit.params["log10_e"]
            got_se = fit.se["log10_e"] * got * math.log(10)  # delta method back to the dose
        else:
            got, got_se = fit.params[key], fit.se[key]
        assert got == pytest.approx(value, rel=1e-6), key
        assert got_se == pytest.approx(se, rel=1e-4), key


@pytest.mark.parametrize("name", sorted(R))
def test_the_batch_solver_fits_them_too(name: str) -> None:
    x, y = _ryegrass()
    single = fit_curve(get_model(name), x, y)
    batch = fit_many(get_model(name), x, y[None, :])
    np.testing.assert_allclose(batch.params[0], single.values, rtol=1e-5)
    assert batch.converged[0]


def test_the_analytic_jacobians_match_finite_differences() -> None:
    x = np.array([-np.inf, -1.0, 0.0, 0.3, 0.7, 1.2])
    for name, p in (
        ("w1_4", [2.4, 0.66, 7.8, 0.55]),
        ("w2_4", [-1.97, 0.32, 7.7, 0.40]),
        ("ll2_4", [2.98, 0.48, 7.79, 1.12]),
        ("bc_5", [2.76, 0.42, 7.74, 0.44, 0.36]),
    ):
        model = get_model(name)
        theta = np.array(p)
        jac = model.jac(x, theta)
        for j in range(theta.size):
            h = 1e-6 * max(1.0, abs(theta[j]))
            up, down = theta.copy(), theta.copy()
            up[j] += h
            down[j] -= h
            numeric = (model.f(x, up) - model.f(x, down)) / (2 * h)
            np.testing.assert_allclose(jac[:, j], numeric, rtol=1e-6, atol=1e-8, err_msg=name)
