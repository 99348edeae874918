"""Batched fits give the answers of single fits; bad curves are flagged; Dask changes nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError
from cxcr4lab.fit import (
    FOUR_PL,
    ONE_SITE_COMPETITION,
    Model,
    fit_curve,
    no_effect_test,
    potency_flags,
)
from cxcr4lab.fit.batch import TABLE_COLUMNS, BatchResult, Engine, fit_many, fit_table


def _mixed_curves(
    model: Model, n: int, seed: int
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Ragged curves, some with zero-dose points (x = -inf) and replicates, padded with NaN."""
    rng = np.random.default_rng(seed)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for i in range(n):
        m = int(rng.integers(6, 13))
        x = np.sort(rng.choice(np.arange(-11.0, -4.0, 0.5), size=m, replace=False))
        if i % 4 == 0 and model.zero_dose_ok:
            x = np.concatenate([[-np.inf, -np.inf], x])
        if i % 5 == 0:
            x = np.repeat(x, 2)
        p = [rng.normal(0, 5), rng.normal(100, 5), rng.uniform(-9.5, -6.0)]
        if model is FOUR_PL:
            p.append(rng.uniform(0.6, 2.5) * (1 if i % 7 else -1))
        y = model.f(x, np.array(p)) + rng.normal(0, 4, x.size)
        xs.append(x)
        ys.append(y)
    width = max(len(x) for x in xs)
    X = np.full((n, width), np.nan)
    Y = np.full((n, width), np.nan)
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        X[i, : len(x)] = x
        Y[i, : len(y)] = y
    return X, Y, xs, ys


def _well_determined(result: object) -> bool:
    from cxcr4lab.fit import FitResult

    assert isinstance(result, FitResult)
    if not result.converged or any(se is None for se in result.stderr):
        return False
    se = result.se
    return bool(
        se["log10_ic50"] is not None
        and se["log10_ic50"] < 0.25
        and ("hill" not in se or abs(result.params["hill"]) > 4 * (se["hill"] or np.inf))
        and result.x_min < result.params["log10_ic50"] < result.x_max
    )


@pytest.mark.parametrize("engine", ["numba", "numpy"])
@pytest.mark.parametrize("model", [FOUR_PL, ONE_SITE_COMPETITION], ids=lambda m: m.name)
def test_batch_equals_single_fits(model: Model, engine: Engine) -> None:
    X, Y, xs, ys = _mixed_curves(model, 60, seed=11)
    batch = fit_many(model, X, Y, engine=engine)
    compared = 0
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        single = fit_curve(model, x, y)
        if not _well_determined(single):
            continue
        compared += 1
        got = batch.result(i)
        assert got.converged and got.n == single.n == len(x)
        span = abs(single.params["top"] - single.params["bottom"])
        # absolute tolerance for bottom/top on the response scale: a plateau near 0 has no
        # meaningful relative error
        for name, a, b in zip(model.param_names, got.values, single.values, strict=True):
            atol = 1e-6 * span if name in ("bottom", "top") else 0.0
            assert a == pytest.approx(b, rel=1e-6, abs=atol), (i, name)
        np.testing.assert_allclose(
            np.array(got.stderr, dtype=float), np.array(single.stderr, dtype=float), rtol=1e-5
        )
        assert got.rss == pytest.approx(single.rss, rel=1e-9)
        assert (got.x_min, got.x_max) == (single.x_min, single.x_max)
        lo, hi = single.conf_int()["log10_ic50"]
        assert batch.ci_lower[i] == pytest.approx(lo, abs=1e-5)
        assert batch.ci_upper[i] == pytest.approx(hi, abs=1e-5)
        # the horizontal line ignores x; give it finite x (HORIZONTAL refuses zero doses)
        p = no_effect_test(np.where(np.isfinite(x), x, -20.0), y, single)
        assert batch.no_effect_p[i] == pytest.approx(p, rel=1e-6, abs=1e-12)
        assert batch.flags[i] == potency_flags(single, no_effect_p=p, x=x)
    assert compared >= 30


def test_weights_match_single_fits() -> None:
    X, Y, xs, ys = _mixed_curves(FOUR_PL, 12, seed=5)
    W = 1.0 / np.maximum(np.abs(Y), 1.0)
    batch = fit_many(FOUR_PL, X, Y, weights=W)
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        single = fit_curve(FOUR_PL, x, y, weights=W[i, : len(x)])
        if _well_determined(single):
            np.testing.assert_allclose(batch.params[i], single.values, rtol=1e-6, atol=1e-4)
            assert batch.result(i).weighted


def test_bad_curves_are_flagged_and_the_rest_finish() -> None:
    X, Y, _, _ = _mixed_curves(FOUR_PL, 4, seed=3)
    w = X.shape[1]
    bad_rows = {
        "bad_input: no data": (np.full(w, np.nan), np.full(w, np.nan)),
        "bad_input: fewer points than parameters": (
            np.r_[-9.0, -8.0, -7.0, -6.0, [np.nan] * (w - 4)],
            np.r_[90.0, 70.0, 30.0, 10.0, [np.nan] * (w - 4)],
        ),
        "bad_input: constant response": (np.linspace(-10, -5, w), np.full(w, 50.0)),
        "bad_input: infinite response": (
            np.linspace(-10, -5, w),
            np.r_[np.inf, np.linspace(90, 10, w - 1)],
        ),
        "bad_input: all points at one concentration": (np.full(w, -8.0), np.linspace(0, 9, w)),
    }
    Xb = np.vstack([X, *[x for x, _ in bad_rows.values()]])
    Yb = np.vstack([Y, *[y for _, y in bad_rows.values()]])
    batch = fit_many(FOUR_PL, Xb, Yb)
    alone = fit_many(FOUR_PL, X, Y)
    assert len(batch) == 4 + len(bad_rows)
    np.testing.assert_array_equal(batch.params[:4], alone.params)
    assert batch.flags[:4] == alone.flags and alone.converged.sum() >= 3
    assert list(batch.flags[4:]) == [(flag,) for flag in bad_rows]
    assert batch.bad_input.tolist() == [False] * 4 + [True] * len(bad_rows)
    assert np.isnan(batch.params[4:]).all() and not batch.converged[4:].any()
    with pytest.raises(InputError, match="fewer points than parameters"):
        batch.result(5)
    frame = batch.to_frame([f"c{i}" for i in range(len(batch))])
    assert frame["flags"].iloc[-1] == "bad_input: all points at one concentration"


def test_zero_dose_on_a_model_without_a_plateau_is_flagged() -> None:
    x = np.array([[-np.inf, -10, -9, -8, -7, -6, -5], [-11, -10, -9, -8, -7, -6, -5]])
    y = ONE_SITE_COMPETITION.f(np.array([-11.0, -10, -9, -8, -7, -6, -5]), np.array([0, 100, -8]))
    batch = fit_many(ONE_SITE_COMPETITION, x, np.vstack([y, y + np.sin(np.arange(7))]))
    assert batch.flags[0] == ("bad_input: non-positive concentration on a log model",)
    assert batch.converged[1]


_POOL_X, _POOL_Y, _, _ = _mixed_curves(FOUR_PL, 8, seed=21)
_POOL = fit_many(FOUR_PL, _POOL_X, _POOL_Y)
_GOOD = [i for i in range(8) if _well_determined(_POOL.result(i))]


@settings(max_examples=25, deadline=None)
@given(
    order=st.permutations(list(range(8))),
    extra=st.integers(min_value=0, max_value=5),
    repeats=st.integers(min_value=1, max_value=3),
)
def test_padding_and_order_of_curves_do_not_change_results(
    order: list[int], extra: int, repeats: int
) -> None:
    idx = np.array(order * repeats)
    X = np.pad(_POOL_X[idx], ((0, 0), (0, extra)), constant_values=np.nan)
    Y = np.pad(_POOL_Y[idx], ((0, 0), (0, extra)), constant_values=np.nan)
    batch = fit_many(FOUR_PL, X, Y)
    for pos, i in enumerate(idx.tolist()):
        if i in _GOOD:
            np.testing.assert_allclose(batch.params[pos], _POOL.params[i], rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(batch.stderr[pos], _POOL.stderr[i], rtol=1e-7)
            assert batch.flags[pos] == _POOL.flags[i]


def test_concat_keeps_order() -> None:
    a = fit_many(FOUR_PL, _POOL_X[:3], _POOL_Y[:3])
    b = fit_many(FOUR_PL, _POOL_X[3:], _POOL_Y[3:])
    both = BatchResult.concat([a, b])
    np.testing.assert_array_equal(both.params, _POOL.params)
    assert both.flags == _POOL.flags


def test_dask_path_equals_in_memory_path() -> None:
    from cxcr4lab.fit.distributed import fit_many_dask

    X, Y, _, _ = _mixed_curves(FOUR_PL, 40, seed=8)
    local = fit_many(FOUR_PL, X, Y)
    chunked = fit_many_dask(FOUR_PL, X, Y, chunk_size=7, progress=False)
    for name in ("params", "stderr", "ci_lower", "ci_upper", "rss", "no_effect_p"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(local, name), err_msg=name)
    np.testing.assert_array_equal(chunked.converged, local.converged)
    assert chunked.flags == local.flags


# --- long tables -----------------------------------------------------------------------------------


def _table() -> pd.DataFrame:
    conc_nm = np.array([0, 0.01, 0.1, 1, 10, 100, 1000, 10000])
    rows = []
    for cid, ic50_nm in (("cmpd-1", 3.0), ("cmpd-2", 250.0)):
        with np.errstate(divide="ignore"):  # the zero dose: x = -inf
            x = np.log10(conc_nm * 1e-9)
        y = FOUR_PL.f(x, np.array([2.0, 98.0, np.log10(ic50_nm * 1e-9), 1.1]))
        y = y + np.cos(np.arange(len(x)) * 3.0)
        rows += [
            {"curve_id": cid, "concentration": c, "response": r}
            for c, r in zip(conc_nm, y, strict=True)
        ]
    return pd.DataFrame(rows)


def test_fit_table_reports_ic50_in_the_input_unit() -> None:
    out = fit_table(_table(), "4pl", conc_unit="nM")
    assert tuple(out.columns) == TABLE_COLUMNS
    assert out["curve_id"].tolist() == ["cmpd-1", "cmpd-2"]
    assert out["converged"].all()
    np.testing.assert_allclose(out["ic50"], [3.0, 250.0], rtol=0.05)
    np.testing.assert_allclose(out["ic50"], 10 ** out["log10_ic50"] * 1e9, rtol=1e-12)
    assert (out["ic50_lower"] < out["ic50"]).all() and (out["ic50"] < out["ic50_upper"]).all()
    assert out["n"].tolist() == [8, 8]
    molar = fit_table(_table().assign(concentration=lambda d: d.concentration * 1e-9), "4pl")
    np.testing.assert_allclose(molar["log10_ic50"], out["log10_ic50"], rtol=1e-9)


def test_fit_table_engines_agree_and_a_small_table_takes_numpy() -> None:
    auto = fit_table(_table(), "4pl", conc_unit="nM")
    numpy = fit_table(_table(), "4pl", conc_unit="nM", engine="numpy")
    numba = fit_table(_table(), "4pl", conc_unit="nM", engine="numba")
    pd.testing.assert_frame_equal(auto, numpy)  # fewer than SMALL_TABLE curves
    pd.testing.assert_frame_equal(numba, numpy, rtol=1e-9)
    with pytest.raises(InputError, match="engine"):
        fit_table(_table(), "4pl", engine="fortran")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no compiled solver"):
        fit_table(_table(), "exp_decay", engine="numba")


def test_fit_table_flags_negative_concentrations_and_keeps_going() -> None:
    df = _table()
    df.loc[df.curve_id == "cmpd-2", "concentration"] *= -1
    out = fit_table(df, "4pl", conc_unit="nM")
    assert out["flags"].tolist() == ["", "bad_input: negative concentration"]
    assert out["converged"].tolist() == [True, False]


def test_fit_table_refuses_a_curve_with_two_units() -> None:
    df = _table().assign(unit="nM")
    df.loc[5, "unit"] = "uM"
    with pytest.raises(InputError, match="cmpd-1") as err:
        fit_table(df, "4pl", file="plate.csv")
    assert "plate.csv" in str(err.value) and "row 7" in str(err.value)


def test_fit_table_names_the_bad_cell() -> None:
    df = _table().astype({"concentration": object})
    df.loc[3, "concentration"] = "ten"
    with pytest.raises(InputError, match="row 5, column 'concentration'"):
        fit_table(df, "4pl", file="plate.csv")
    with pytest.raises(InputError, match="missing column"):
        fit_table(df.drop(columns="response"), "4pl", file="plate.csv")


# --- the compiled (numba) solver ---------------------------------------------------------------


@pytest.mark.parametrize("model", [FOUR_PL, ONE_SITE_COMPETITION], ids=lambda m: m.name)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_compiled_solver_equals_numpy_solver(model: Model, weighted: bool) -> None:
    X, Y, _, _ = _mixed_curves(model, 80, seed=17)
    W = 1.0 / np.maximum(np.abs(Y), 1.0) if weighted else None
    fast = fit_many(model, X, Y, weights=W, engine="numba")
    slow = fit_many(model, X, Y, weights=W, engine="numpy")
    np.testing.assert_array_equal(fast.converged, slow.converged)
    assert fast.flags == slow.flags
    assert fast.converged.sum() >= 60
    # both stop at the same tolerances and their sums differ only in order, so well-determined
    # (converged, unflagged) curves agree to rounding; flat minima may differ in the last digits
    ok = fast.converged & np.array([not f for f in fast.flags])
    assert ok.sum() >= 40
    span = np.abs(slow.params[ok, 1] - slow.params[ok, 0])[:, None]
    diff = np.abs(fast.params[ok] - slow.params[ok])
    assert (diff <= 1e-7 * (np.abs(slow.params[ok]) + span)).all()
    np.testing.assert_allclose(fast.stderr[ok], slow.stderr[ok], rtol=1e-5)
    np.testing.assert_allclose(fast.rss[ok], slow.rss[ok], rtol=1e-10)
    np.testing.assert_allclose(fast.ci_lower[ok], slow.ci_lower[ok], rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(fast.no_effect_p[ok], slow.no_effect_p[ok], rtol=1e-6, atol=1e-12)


def test_compiled_solver_equals_single_fits_on_many_curves() -> None:
    # the benchmark's kind of data: 10 shared concentrations, a wide range of IC50 and slope
    rng = np.random.default_rng(99)
    n = 300
    x = np.linspace(-11.0, -4.0, 10)
    truth = np.column_stack(
        [
            rng.normal(0, 5, n),
            rng.normal(100, 5, n),
            rng.uniform(-10, -5, n),
            rng.uniform(0.5, 3.0, n),
        ]
    )
    y = np.stack([FOUR_PL.f(x, p) for p in truth]) + rng.normal(0, 5, (n, x.size))
    batch = fit_many(FOUR_PL, x, y, engine="numba")
    compared = 0
    for i in range(0, n, 8):
        single = fit_curve(FOUR_PL, x, y[i])
        if not _well_determined(single):
            continue
        compared += 1
        got = batch.result(i)
        span = abs(single.params["top"] - single.params["bottom"])
        for name, a, b in zip(FOUR_PL.param_names, got.values, single.values, strict=True):
            atol = 1e-6 * span if name in ("bottom", "top") else 0.0
            assert a == pytest.approx(b, rel=1e-6, abs=atol), (i, name)
        np.testing.assert_allclose(
            np.array(got.stderr, dtype=float), np.array(single.stderr, dtype=float), rtol=1e-5
        )
    assert compared >= 20


def test_compiled_solver_in_threads_equals_one_call() -> None:
    # a Dask worker's threads: one runs the parallel loop, the others the serial one
    from concurrent.futures import ThreadPoolExecutor

    X, Y, _, _ = _mixed_curves(FOUR_PL, 64, seed=4)
    whole = fit_many(FOUR_PL, X, Y, engine="numba")
    with ThreadPoolExecutor(4) as pool:
        parts = list(
            pool.map(lambda lo: fit_many(FOUR_PL, X[lo : lo + 8], Y[lo : lo + 8]), range(0, 64, 8))
        )
    np.testing.assert_array_equal(BatchResult.concat(parts).params, whole.params)


def test_engine_is_checked() -> None:
    from cxcr4lab.fit import EXP_DECAY

    x = np.linspace(-10, -5, 8)
    y = FOUR_PL.f(x, np.array([0.0, 100.0, -7.5, 1.0]))[None, :]
    with pytest.raises(InputError, match="engine"):
        fit_many(FOUR_PL, x, y, engine="fortran")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no compiled solver") as err:
        fit_many(EXP_DECAY, x, y, engine="numba")
    assert err.value.place is not None and err.value.place.field == "engine"


@pytest.mark.parametrize("model", [FOUR_PL, ONE_SITE_COMPETITION], ids=lambda m: m.name)
def test_compiled_starts_equal_the_models_guess(model: Model) -> None:
    from cxcr4lab.fit._kernels import sigmoid_starts

    X, Y, xs, ys = _mixed_curves(model, 40, seed=23)
    present = ~(np.isnan(X) | np.isnan(Y))
    got = sigmoid_starts(np.where(present, X, 0.0), np.where(present, Y, 0.0), present, 4)
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        want = model.guess(x, y)
        np.testing.assert_allclose(got[: len(want), i], want, rtol=1e-12, atol=1e-12)


def test_compiled_solver_on_exact_and_degenerate_curves() -> None:
    # an exact curve (RSS 0 at the start: a zero divisor in the gradient test), a step (Hill
    # slope running off to infinity), pure noise, and a flat line with one outlier
    x = np.linspace(-10.0, -5.0, 9)
    exact = FOUR_PL.f(x, np.array([0.0, 100.0, -7.5, 1.0]))
    step = np.where(x < -7.2, 100.0, 0.0)
    noise = np.sin(np.arange(9.0) * 2.3) * 5.0 + 50.0
    spike = np.r_[np.full(8, 10.0), 60.0]
    y = np.stack([exact, step, noise, spike])
    fast = fit_many(FOUR_PL, x, y, engine="numba")
    slow = fit_many(FOUR_PL, x, y, engine="numpy")
    np.testing.assert_array_equal(fast.converged, slow.converged)
    assert fast.flags == slow.flags
    assert fast.converged[0] and fast.rss[0] == pytest.approx(0.0, abs=1e-20)
    np.testing.assert_allclose(fast.params[0], [0.0, 100.0, -7.5, 1.0], atol=1e-9)
    np.testing.assert_array_equal(fast.iterations[0], slow.iterations[0])


def test_compiled_solver_shares_the_numpy_solvers_stopping_rules() -> None:
    # the kernels keep their own copies of these (numba's cache does not see batch.py change)
    from cxcr4lab.fit import _kernels, batch

    names = ["_LN10", "_XTOL", "_FTOL", "_FTOL_HITS", "_DRIFT_RTOL", "_DRIFT_ITERS"]
    names += ["_DRIFT_RATIO", "_GTOL", "_LAMBDA0", "_LAMBDA_MAX"]
    for name in names:
        assert getattr(_kernels, name) == getattr(batch, name), name
