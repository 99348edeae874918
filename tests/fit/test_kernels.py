"""The compiled sigmoid kernel's fused inference equals the numpy path's, whatever the threads.

``fit_sigmoid`` computes each curve's covariance, tested range and flat-line RSS right after
its fit; these must be what :mod:`cxcr4lab.fit.batch` computes from the same fit in numpy (the
covariance to the last bit: the same Cholesky steps in the same order). The curves are shared
among threads in chunks claimed as threads come free, and each thread fits two at a time, so
no result may depend on the number of threads, the chunk size or the curve fitted beside it.
The vectorised shortcuts of ``fit_many`` (a shared row of concentrations checked once, flags
made once per distinct case) must equal the rules they replace, written out here curve by
curve.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from tests.fit.test_batch import _mixed_curves

from cxcr4lab.core.parallel import run_chunked
from cxcr4lab.fit import FOUR_PL, ONE_SITE_COMPETITION, Model, batch
from cxcr4lab.fit import _kernels as kernels
from cxcr4lab.fit.batch import fit_many


def _inputs(model: Model, weighted: bool, seed: int = 31, n: int = 120) -> tuple[np.ndarray, ...]:
    """What ``_fit_padded`` hands the kernel: filled X, Y, sqrt weights, weights, presence."""
    X, Y, _, _ = _mixed_curves(model, n, seed=seed)
    present = ~(np.isnan(X) | np.isnan(Y))
    first = X[np.arange(n), np.argmax(present, axis=1)]
    Xf = np.where(present, X, first[:, None])
    Yf = np.where(present, Y, 0.0)
    w = np.where(present, 1.0 / np.maximum(np.abs(Yf), 1.0), 0.0) if weighted else None
    sw = np.sqrt(w) if w is not None else present.astype(np.float64)
    P0 = batch._starts(model, Xf, Yf, present, "numba")
    return Xf, Yf, sw, w, present, P0


@pytest.mark.parametrize("model", [FOUR_PL, ONE_SITE_COMPETITION], ids=lambda m: m.name)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_fused_inference_equals_the_numpy_path(model: Model, weighted: bool) -> None:
    Xf, Yf, sw, w, present, P0 = _inputs(model, weighted)
    fit = kernels.fit_sigmoid(Xf, Yf, sw, w, P0, 200)
    k = model.n_params
    dof = present.sum(axis=1) - k
    # the fit itself is lm_sigmoid's
    for got, want in zip(fit[:5], kernels.lm_sigmoid(Xf, Yf, sw, P0, 200), strict=True):
        np.testing.assert_array_equal(got, want)
    assert fit.converged.sum() >= 100
    # the covariance: batch._covariances on the same J^T J, bit for bit
    want = batch._covariances(fit.A, fit.rss, dof, fit.converged)
    fused = ~fit.needs_lu
    np.testing.assert_array_equal(fit.covariance[fused], want[fused])
    assert np.isfinite(fit.covariance[fit.converged & fused]).all()
    # the tested range and the horizontal line's RSS
    np.testing.assert_array_equal(
        fit.x_min, np.where(present & np.isfinite(Xf), Xf, np.inf).min(axis=1)
    )
    np.testing.assert_array_equal(fit.x_max, np.where(present, Xf, -np.inf).max(axis=1))
    np.testing.assert_allclose(fit.rss0, batch._flat_rss(Yf, w, present), rtol=1e-12)


def test_a_singular_fit_is_left_to_the_lu_inverse() -> None:
    # J^T J with a positive diagonal but not positive definite (two equal columns): the kernel
    # says so and leaves the covariance to batch._inverse's LU fallback
    A = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    cov = np.empty((3, 3))
    x = np.linspace(-9.0, -5.0, 6)
    lu, lo, hi, rss0 = kernels._infer_one(
        x, np.arange(6.0), np.ones(6), A, 1.0, True, 3, np.empty((3, 3)), np.empty((9, 3)), cov
    )
    assert lu and np.isnan(cov).all()
    assert (lo, hi) == (-9.0, -5.0)
    assert rss0 == pytest.approx(17.5)


@pytest.mark.parametrize("model", [FOUR_PL, ONE_SITE_COMPETITION], ids=lambda m: m.name)
def test_results_do_not_depend_on_threads_or_chunks(model: Model) -> None:
    Xf, Yf, sw, _, _, P0 = _inputs(model, weighted=False, seed=5, n=97)
    k, n = P0.shape

    def run(n_threads: int, chunk: int) -> kernels.SigmoidFit:
        out = kernels.SigmoidFit(
            np.empty((k, n)), np.empty((k, k, n)), np.empty(n), np.zeros(n, bool),
            np.zeros(n, np.int64), np.empty((n, k, k)), np.zeros(n, bool), np.empty(n),
            np.empty(n), np.empty(n),
        )  # fmt: skip
        args = (Xf, Yf, sw, sw, P0, 200, *out)
        run_chunked(kernels._fit_chunks, n, *args, n_threads=n_threads, chunk=chunk)
        return out

    serial = run(1, n)  # one chunk of every curve: two at a time, in order
    for n_threads, chunk in [(1, 1), (2, 1), (2, 2), (2, 7), (3, 5), (2, n)]:
        got = run(n_threads, chunk)
        for a, b in zip(got, serial, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"{n_threads} threads, chunk {chunk}")


def test_fit_many_on_one_thread_equals_all_threads() -> None:
    X, Y, _, _ = _mixed_curves(FOUR_PL, 150, seed=8)
    every = fit_many(FOUR_PL, X, Y, engine="numba")
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        one = fit_many(FOUR_PL, X, Y, engine="numba")
    finally:
        numba.set_num_threads(before)
    for name in ("params", "stderr", "covariance", "ci_lower", "rss", "no_effect_p", "x_min"):
        np.testing.assert_array_equal(getattr(one, name), getattr(every, name), err_msg=name)
    assert one.flags == every.flags


# --- the vectorised shortcuts against the rules they replace -----------------------------------


def _problems_reference(model: Model, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``batch._problems`` as it was: every test through the presence mask."""
    present = ~(np.isnan(X) | np.isnan(Y))
    n = present.sum(axis=1)
    code = np.zeros(len(Y), dtype=np.int8)

    def mark(cond: np.ndarray, which: int) -> None:
        code[(code == 0) & cond] = which + 1

    big = np.finfo(np.float64).max
    with np.errstate(invalid="ignore"):
        mark(n == 0, 0)
        mark((present & np.isinf(Y)).any(axis=1), 1)
        mark((present & (np.inf == X)).any(axis=1), 2)
        if not model.zero_dose_ok:
            mark((present & (-np.inf == X)).any(axis=1), 3 if model.x_is_log10 else 2)
        mark(n < model.n_params + 1, 5)
        mark(np.where(present, X, big).min(axis=1) == np.where(present, X, -big).max(axis=1), 6)
        mark(np.where(present, Y, big).min(axis=1) == np.where(present, Y, -big).max(axis=1), 7)
    return code


@pytest.mark.parametrize("model", [FOUR_PL, ONE_SITE_COMPETITION], ids=lambda m: m.name)
def test_problems_shortcuts_equal_the_masked_tests(model: Model) -> None:
    rng = np.random.default_rng(3)
    x = np.linspace(-10.0, -5.0, 7)
    Y = rng.normal(50.0, 20.0, (9, 7))
    Y[1, 3] = np.inf
    Y[2] = 4.0  # constant
    Y[3, :4] = -np.inf
    shared = np.broadcast_to(x, Y.shape)
    for X in (shared, shared.copy()):  # one shared row, and the same as full rows
        np.testing.assert_array_equal(
            batch._problems(model, X, Y, None), _problems_reference(model, X, Y)
        )
    X = shared.copy()
    X[4, :] = -7.0  # one concentration
    X[5, 0] = -np.inf  # a zero dose
    X[6, 2] = np.inf
    Y[7, 1:] = np.nan  # too few points
    Y[8, :] = np.nan  # no data
    got = batch._problems(model, X, Y, None)
    np.testing.assert_array_equal(got, _problems_reference(model, X, Y))
    assert set(got.tolist()) >= {0, 2, 3, 6, 7, 8}


def test_flag_bits_of_a_shared_row_equal_those_of_full_rows() -> None:
    rng = np.random.default_rng(11)
    x = np.r_[-np.inf, np.linspace(-10.0, -5.0, 8), -5.0]  # a zero dose and a replicate
    n = 400
    P = np.vstack(
        [rng.normal(0, 5, n), rng.normal(100, 5, n), rng.uniform(-12, -3, n), rng.normal(1, 1, n)]
    )
    P[2, :5] = [np.nan, -np.inf, np.inf, -10.0, -5.0]  # missing, infinite and on a point
    se = np.abs(rng.normal(0.2, 0.2, (4, n)))
    lo, hi = P[2] - 2 * se[2], P[2] + 2 * se[2]
    args = (FOUR_PL, P, se, lo, hi, np.full(n, -10.0), np.full(n, -5.0), rng.uniform(0, 1, n))
    shared = batch._flag_bits(*args, batch.FitThresholds(), x[None, :], np.full(n, 2.4))
    rows = batch._flag_bits(*args, batch.FitThresholds(), np.tile(x, (n, 1)), np.full(n, 2.4))
    np.testing.assert_array_equal(shared, rows)
    assert (shared >> batch._FLAG_BITS.index("outside_range") & 1).sum() > 50


def _decided_reference(
    table: list[tuple[str, ...]],
    flat: np.ndarray,
    conv: np.ndarray,
    unsure: np.ndarray,
    rescued: dict[int, tuple[str, ...]],
) -> list[tuple[str, ...]]:
    """``_fit_padded``'s flags as they were made, curve by curve."""
    out: list[tuple[str, ...]] = []
    for j, (f, c) in enumerate(zip(table, conv.tolist(), strict=True)):
        if flat[j]:
            out.append(("no_effect",))
        elif not c:
            out.append(rescued.get(j, ("not_converged",)))
        elif j in rescued:
            extra = tuple(x for x in f if x != "ambiguous" or unsure[j])
            out.append(tuple(dict.fromkeys((*rescued[j], *extra))))
        else:
            out.append(f)
    return out


def test_decided_flags_equal_the_curve_by_curve_rules() -> None:
    rng = np.random.default_rng(2)
    n = 2_000
    bits = rng.integers(0, 1 << len(batch._FLAG_BITS), n)
    bits[rng.uniform(size=n) < 0.5] = 0
    flat = rng.uniform(size=n) < 0.1
    conv = rng.uniform(size=n) < 0.8
    unsure = rng.uniform(size=n) < 0.3
    rescued: dict[int, tuple[str, ...]] = {}
    for j in np.flatnonzero(rng.uniform(size=n) < 0.2).tolist():
        rescued[j] = ("steep",) if conv[j] else ("not_converged", "outside_range")
    table = [batch._flag_names(int(b)) for b in bits]
    got = batch._decided_flags(bits, flat, conv, unsure, rescued)
    assert got == _decided_reference(table, flat, conv, unsure, rescued)
    assert batch._decided_flags(bits, flat, conv, unsure, {}) == _decided_reference(
        table, flat, conv, unsure, {}
    )
