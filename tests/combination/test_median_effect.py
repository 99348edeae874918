"""Chou-Talalay median-effect analysis against the references in ``tests/data/synergy``.

The files are copies of ``../shared/data/synergy/`` (``chou_synthetic_*.csv``,
``reference_cells.csv``, ``reference_singlefits.csv``; rebuilt by its ``scripts/run_all.sh``)
and of ``../shared/data/public_sets/chou1994_input.csv``. Their README sets the tolerance of
m, Dm, r, CI and DRI: rel 1e-9 (closed-form OLS; numpy = ``synergy`` 1.0.0 = R
``medianeffect`` 0.9.1 to 1.3e-15 on the synthetic example, numpy = ``synergy`` to 1.1e-13 per
cell). The reference computations were::

    # scripts/chou_synthetic.py (numpy; cross-checked with synergy's Hill_CI/CombinationIndex
    # and R medianeffect's drug_effects()/calc_ci())
    m, b = np.polyfit(np.log(D), np.log(fa / (1 - fa)), 1); Dm = np.exp(-b / m)
    CI = dA / (DmA * (fa / (1 - fa)) ** (1 / mA)) + dB / (DmB * (fa / (1 - fa)) ** (1 / mB))
    # scripts/make_reference.py: the same per checkerboard cell, fits on the monotherapy
    # points with d > 0 and 0 < fa < 1, fa = response / 100
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.combination.median_effect import (
    FA_GRID,
    FA_LEVELS,
    CheckerboardCI,
    FixedRatioResult,
    analyse_checkerboard,
    analyse_fixed_ratio,
    combination_index,
    dose_for_effect,
    effect_at_dose,
    fit_median_effect,
)
from cxcr4lab.core.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"
REL = 1e-9
"""The README's tolerance for m, Dm, r, CI and DRI."""

DRUGS = ("drugA", "drugB")


def rel(a: object, b: object) -> float:
    """Largest relative difference of two arrays of the same NaN pattern."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert np.array_equal(np.isnan(x), np.isnan(y))
    ok = ~np.isnan(x)
    return float(np.max(np.abs(x[ok] / y[ok] - 1))) if ok.any() else 0.0


def none_nan(values: object) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def synthetic_input() -> pd.DataFrame:
    return pd.read_csv(DATA / "chou_synthetic_input.csv")


@pytest.fixture(scope="module")
def synthetic(synthetic_input: pd.DataFrame) -> FixedRatioResult:
    d = synthetic_input
    return analyse_fixed_ratio(list(d.agent), (d.dose_a, d.dose_b), d.fa, drugs=DRUGS, unit="uM")


# --- the synthetic constant-ratio example -------------------------------------------------------


def test_synthetic_fits_match_reference(synthetic: FixedRatioResult) -> None:
    ref = pd.read_csv(DATA / "chou_synthetic_fits.csv").set_index("agent")
    fits = {f.agent: f for f in (*synthetic.singles, *(m.fit for m in synthetic.mixtures))}
    assert list(fits) == list(ref.index)
    ours = pd.DataFrame(
        [(f.m, f.dm, f.r, f.intercept, f.n) for f in fits.values()],
        index=list(fits),
        columns=["m", "Dm", "r", "intercept", "n"],
    )
    for col in ("m", "Dm", "r", "intercept"):
        assert rel(ours[col], ref[col]) < REL, col
    # the R medianeffect and synergy-package columns of the same file
    assert rel(ours.m, ref.m_medianeffect_R) < REL
    assert rel(ours.Dm, ref.Dm_medianeffect_R) < REL
    assert rel(ours.r, ref.r_medianeffect_R) < REL
    assert rel(ours.Dm, ref.Dm_synergy_pkg) < REL
    assert (ours.n == ref.n).all()
    assert all(f.valid and not f.flags for f in fits.values())


def test_synthetic_ci_and_dri_match_reference(synthetic: FixedRatioResult) -> None:
    ref = pd.read_csv(DATA / "chou_synthetic_ci.csv")
    ours = synthetic.summary()
    assert list(ours.mixture) == list(ref.combination)
    assert list(ours.fa_kind) == list(ref.fa_kind)
    pairs = {
        "fa": "fa",
        "total_dose": "total_dose",
        "dose_drugA": "dose_a",
        "dose_drugB": "dose_b",
        "dx_drugA": "Dx_a",
        "dx_drugB": "Dx_b",
        "ci": "CI",
        "dri_drugA": "DRI_a",
        "dri_drugB": "DRI_b",
    }
    for mine, theirs in pairs.items():
        assert rel(ours[mine], ref[theirs]) < REL, mine
    assert rel(ours.ci, ref.CI_medianeffect_R) < REL
    assert rel(ours.ci, ref.CI_synergy_pkg) < REL
    # the README's example: fitted CI at the four levels
    lv = ours[ours.fa_kind == "level"]
    assert np.round(lv.ci.to_numpy(float), 4).tolist() == [
        0.6430, 0.6510, 0.6772, 0.7056, 1.4571, 1.7948, 2.2370, 2.6204,
    ]  # fmt: skip


def test_noise_free_input_recovers_the_generating_values(
    synthetic_input: pd.DataFrame,
) -> None:
    d = synthetic_input
    res = analyse_fixed_ratio(
        list(d.agent), (d.dose_a, d.dose_b), d.fa_noise_free, drugs=DRUGS, unit="uM"
    )
    truth = pd.read_csv(DATA / "chou_synthetic_fits.csv").set_index("agent")
    for f in (*res.singles, *(m.fit for m in res.mixtures)):
        assert f.m == pytest.approx(truth.m_true[f.agent], rel=1e-12)
        assert f.dm == pytest.approx(truth.Dm_true[f.agent], rel=1e-12)
        assert f.r == pytest.approx(1.0, rel=1e-12)
    ci_true = pd.read_csv(DATA / "chou_synthetic_ci.csv").query("fa_kind == 'level'").CI_true
    ours = res.summary().query("fa_kind == 'level'").ci
    assert rel(ours, ci_true) < 1e-12
    assert res.mixtures[0].levels[0].ci == pytest.approx(0.6, rel=1e-12)
    assert res.mixtures[1].levels[0].ci == pytest.approx(1.5, rel=1e-12)


# --- checkerboards: the per-cell CI of reference_cells.csv --------------------------------------


@pytest.mark.parametrize("block", [1, 2, 3])
def test_per_cell_ci_matches_reference(block: int) -> None:
    cells = pd.read_csv(DATA / "reference_cells.csv").query("block_id == @block")
    fits = pd.read_csv(DATA / "reference_singlefits.csv").query("block_id == @block")
    res = analyse_checkerboard(
        cells.conc_r,
        cells.conc_c,
        cells.response / 100.0,
        drugs=(cells.drug_row.iloc[0], cells.drug_col.iloc[0]),
        unit="uM",
    )
    combo = cells[(cells.conc_r > 0) & (cells.conc_c > 0)]
    assert len(res.cells) == len(combo) == 81
    assert [c.index for c in res.cells] == [cells.index.get_loc(i) for i in combo.index]
    ours = none_nan(c.ci for c in res.cells)
    assert rel(ours, combo.ci_chou) < REL  # also: defined in exactly the same cells
    assert all((c.ci is None) == bool(c.note) for c in res.cells)
    for fit, (_, row) in zip(res.fits, fits.iterrows(), strict=True):
        assert fit is not None
        assert fit.m == pytest.approx(row.me_m, rel=REL)
        assert fit.dm == pytest.approx(row.me_Dm, rel=REL)
        assert fit.r == pytest.approx(row.me_r, rel=REL)
        assert fit.n == row.me_n
    # the block score of reference_blocks.csv: median of the defined per-cell CIs
    assert res.median_ci == pytest.approx(combo.ci_chou.median(), rel=REL)
    assert res.n_defined == combo.ci_chou.notna().sum()


def test_per_cell_ci_agrees_with_the_synergy_package() -> None:
    combination = pytest.importorskip("synergy.combination")
    cells = pd.read_csv(DATA / "reference_cells.csv").query("block_id == 1")
    d1, d2 = cells.conc_r.to_numpy(), cells.conc_c.to_numpy()
    fa = cells.response.to_numpy() / 100.0
    theirs = combination.CombinationIndex().fit(d1, d2, 1.0 - fa)
    res = analyse_checkerboard(d1, d2, fa)
    idx = [c.index for c in res.cells if c.ci is not None]
    assert rel(none_nan(c.ci for c in res.cells if c.ci is not None), theirs[idx]) < REL


# --- closed forms and null combinations ---------------------------------------------------------


def test_ci_from_given_dm_and_m_is_the_closed_form() -> None:
    dm, m = (2.0, 0.05), (1.3, 0.9)
    d_a, d_b, fa = [0.5, 1.0, 3.0], [0.01, 0.002, 0.2], [0.3, 0.45, 0.93]
    expected = [
        a / (dm[0] * (f / (1 - f)) ** (1 / m[0])) + b / (dm[1] * (f / (1 - f)) ** (1 / m[1]))
        for a, b, f in zip(d_a, d_b, fa, strict=True)
    ]
    assert rel(combination_index((d_a, d_b), fa, dm=dm, m=m), expected) < 1e-9
    # Dx and the median-effect equation are inverse to each other
    assert dose_for_effect(0.5, 2.0, 1.3) == pytest.approx(2.0, rel=1e-15)
    f = np.array([0.05, 0.5, 0.97])
    assert rel(effect_at_dose(dose_for_effect(f, 0.3, 0.7), 0.3, 0.7), f) < 1e-12


def _hill_fa(dose: np.ndarray, dm: float, m: float) -> np.ndarray:
    return 1.0 / (1.0 + (dm / dose) ** m)


@pytest.mark.parametrize("ratio", [1.0, 3.0, 0.1])
def test_sham_fixed_ratio_combination_is_additive(ratio: float) -> None:
    """A drug with itself: "drug B" is drug A, the mixture is A with A at a fixed ratio."""
    dm, m = 0.8, 1.4
    dose = 0.05 * 2.0 ** np.arange(8)
    part_a = dose * ratio / (1 + ratio)
    agent = ["A"] * 8 + ["A'"] * 8 + ["A+A'"] * 8
    dose_a = np.concatenate([dose, 0 * dose, part_a])
    dose_b = np.concatenate([0 * dose, dose, dose - part_a])
    fa = np.tile(_hill_fa(dose, dm, m), 3)
    res = analyse_fixed_ratio(agent, (dose_a, dose_b), fa, drugs=("A", "A'"))
    mix = res.mixtures[0]
    cis = [p.ci for p in (*mix.levels, *mix.observed)] + list(mix.fa_ci.ci)
    assert np.max(np.abs(np.array(cis, dtype=float) - 1)) < 1e-6
    # noisy data: identical points for A, A' and the mixture give identical fits, so CI 1
    # at every effect level (an observed point's CI reflects its own noise)
    rng = np.random.default_rng(11)
    noisy = 1 / (1 + np.exp(-(np.log(fa[:8] / (1 - fa[:8])) + rng.normal(0, 0.3, 8))))
    res = analyse_fixed_ratio(agent, (dose_a, dose_b), np.tile(noisy, 3), drugs=("A", "A'"))
    mix = res.mixtures[0]
    cis = [p.ci for p in mix.levels] + list(mix.fa_ci.ci)
    assert np.max(np.abs(np.array(cis, dtype=float) - 1)) < 1e-6


def test_sham_checkerboard_is_additive_in_every_cell() -> None:
    dm, m = 0.8, 1.4
    doses = np.concatenate([[0.0], 0.05 * 2.0 ** np.arange(7)])
    a, b = (g.ravel() for g in np.meshgrid(doses, doses))
    fa = np.zeros_like(a)
    fa[a + b > 0] = _hill_fa((a + b)[a + b > 0], dm, m)
    res = analyse_checkerboard(a, b, fa, drugs=("A", "A'"))
    assert res.n_defined == 49 and not res.flags
    assert np.max(np.abs(none_nan(c.ci for c in res.cells) - 1)) < 1e-6
    x, y = res.normalized_isobologram()  # on the additive line x + y = 1
    assert np.max(np.abs(x + y - 1)) < 1e-6
    # rays: each constant ratio is a sham mixture too
    assert res.rays and all(
        abs(p.ci - 1) < 1e-6 for ray in res.rays for p in ray.levels if p.ci is not None
    )


# --- outputs: levels, fa-CI curve, isobologram, intervals ---------------------------------------


def test_fa_ci_curve_and_isobologram_data(synthetic: FixedRatioResult) -> None:
    mix = synthetic.mixtures[0]
    assert mix.fa_ci.fa == FA_GRID and FA_GRID[0] == 0.05 and FA_GRID[-1] == 0.97
    assert len(FA_GRID) == 93
    on_grid = {f: c for f, c in zip(mix.fa_ci.fa, mix.fa_ci.ci, strict=True)}
    for p in mix.levels:
        assert p.fa in FA_LEVELS
        if p.fa in on_grid:
            assert on_grid[p.fa] == pytest.approx(p.ci, rel=1e-12)
        assert p.ci is not None and p.ci_lower is not None and p.ci_upper is not None
        assert p.ci_lower < p.ci < p.ci_upper
    a, b = synthetic.singles
    for iso in mix.isobologram:
        assert iso.dx[0] == pytest.approx(a.dx(iso.fa).item(), rel=1e-12)
        assert iso.dx[1] == pytest.approx(b.dx(iso.fa).item(), rel=1e-12)
        doses, dx = none_nan(iso.doses), none_nan(iso.dx)
        assert iso.ci == pytest.approx(float(np.sum(doses / dx)), rel=1e-12)
        assert doses[0] / doses[1] == pytest.approx(40.0, rel=1e-9)


def test_delta_method_interval_covers_the_true_ci() -> None:
    """The README's generating model and noise (logit + N(0, 0.1^2)) for drugA, drugB and
    mix_40to1, simulated 400 times: the 95 % intervals of CI at the four levels cover the true
    CI (``CI_true``) about 95 % of the time. Measured (seed 5): 0.955, 0.950, 0.953, 0.960."""
    truth = (
        pd.read_csv(DATA / "chou_synthetic_ci.csv")
        .query("combination == 'mix_40to1' and fa_kind == 'level'")
        .CI_true.to_numpy()
    )
    rng = np.random.default_rng(5)
    k = np.arange(7)
    dose_a, dose_b, part_a = 0.25 * 2.0**k, 0.00625 * 2.0**k, 0.0625 * 2.0**k
    mix_dm = 0.6 / ((40 / 41) / 2.0 + (1 / 41) / 0.05)  # true CI 0.6 at fa 0.5
    fa_true = np.concatenate(
        [
            _hill_fa(dose_a, 2.0, 1.3),
            _hill_fa(dose_b, 0.05, 0.9),
            _hill_fa(part_a * (1 + 1 / 40), mix_dm, 1.1),
        ]
    )
    agent = ["A"] * 7 + ["B"] * 7 + ["M"] * 7
    da = np.concatenate([dose_a, 0 * k, part_a])
    db = np.concatenate([0 * k, dose_b, part_a / 40])
    hits = np.zeros(4)
    runs = 400
    for _ in range(runs):
        lg = np.log(fa_true / (1 - fa_true)) + rng.normal(0, 0.1, 21)
        res = analyse_fixed_ratio(agent, (da, db), 1 / (1 + np.exp(-lg)), drugs=("A", "B"))
        lower = none_nan(p.ci_lower for p in res.mixtures[0].levels)
        upper = none_nan(p.ci_upper for p in res.mixtures[0].levels)
        hits += (lower <= truth) & (truth <= upper)
    assert np.all((hits / runs >= 0.93) & (hits / runs <= 0.97))


def test_public_chou1994_set_fits() -> None:
    """Chou et al. 1994 (medianeffect's example): no reference numbers are given with the
    inputs, so the checks are that every agent fits well and every mixture has its CIs."""
    d = pd.read_csv(DATA / "chou1994_input.csv")
    drugs = ("paclitaxel", "cisplatin", "topotecan")
    res = analyse_fixed_ratio(
        list(d.agent), tuple(d[c] for c in drugs), d.fa, drugs=drugs, unit="uM"
    )
    fits = [*res.singles, *(m.fit for m in res.mixtures)]
    assert [f.agent for f in fits] == list(dict.fromkeys(d.agent))
    assert all(f.m > 0 and f.r > 0.9 and f.valid for f in fits)
    assert len(res.mixtures) == 4  # three pairs and the three-drug mixture
    triple = res.mixtures[-1]
    assert triple.fractions == pytest.approx((1 / 111, 100 / 111, 10 / 111), rel=1e-9)
    for mix in res.mixtures:
        assert all(p.ci is not None and p.ci > 0 for p in (*mix.levels, *mix.observed))


# --- flags and bad input ------------------------------------------------------------------------


def test_checkerboard_with_a_falling_drug_is_flagged_not_refused() -> None:
    doses = np.array([0.0, 0.1, 0.3, 1.0, 3.0])
    a, b = (g.ravel() for g in np.meshgrid(doses, doses))
    fa = np.clip(0.5 - 0.1 * np.log1p(a) + 0.1 * np.log1p(b), 0.01, 0.99)  # drug A lowers fa
    res = analyse_checkerboard(a, b, fa, drugs=("X", "Y"))
    assert res.fits[0] is not None and not res.fits[0].valid
    assert any(f.startswith("X: slope m") for f in res.flags)
    assert res.n_defined == 0 and res.median_ci is None and res.rays == ()
    assert all(c.ci is None and "X: slope m" in c.note for c in res.cells)


def test_checkerboard_leaves_out_monotherapy_points_outside_0_1() -> None:
    doses = np.array([0.0, 0.1, 0.3, 1.0, 3.0, 10.0])
    a, b = (g.ravel() for g in np.meshgrid(doses, doses))
    fa = np.zeros_like(a)
    fa[a + b > 0] = _hill_fa((a + b)[a + b > 0], 1.0, 1.0)
    fa[(a == 0.1) & (b == 0)] = -0.05  # a negative inhibition, as real plates have
    res = analyse_checkerboard(a, b, fa)
    assert res.fits[0] is not None and res.fits[0].n == 4 and res.fits[0].n_excluded == 1


def _three(fa: list[float] | None = None, dose: list[float] | None = None) -> FixedRatioResult:
    agent = ["A"] * 3 + ["B"] * 3 + ["A+B"] * 3
    da = dose or [1.0, 2.0, 4.0]
    return analyse_fixed_ratio(
        agent,
        (da + [0.0] * 3 + [0.5, 1.0, 2.0], [0.0] * 3 + [1.0, 2.0, 4.0] + [0.5, 1.0, 2.0]),
        (fa or [0.2, 0.4, 0.6]) + [0.2, 0.4, 0.6] * 2,
        drugs=("A", "B"),
    )


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"fa": [0.2, 1.02, 0.6]}, ["curve 'A'", "point 2", "fa = 1.02", "outside (0, 1)"]),
        ({"fa": [0.0, 0.4, 0.6]}, ["curve 'A'", "point 1", "fa = 0"]),
        ({"dose": [2.0, 2.0, 2.0]}, ["curve 'A'", "one dose"]),
        ({"dose": [1.0, -2.0, 4.0]}, ["curve 'A'", "point 2", "-2", "negative"]),
    ],
)
def test_bad_points_are_one_error_naming_the_drug_and_point(
    kwargs: dict[str, list[float]], words: list[str]
) -> None:
    with pytest.raises(InputError) as err:
        _three(**kwargs)
    for word in words:
        assert word in str(err.value)


def test_bad_designs_are_refused_by_name() -> None:
    with pytest.raises(InputError, match=r"curve 'A'.*at least 3 points with .*, has 1"):
        fit_median_effect([1.0], [0.5], agent="A")
    with pytest.raises(InputError, match=r"curve 'A\+B', point 9.*ratio"):
        analyse_fixed_ratio(
            ["A"] * 3 + ["B"] * 3 + ["A+B"] * 3,
            ([1, 2, 4, 0, 0, 0, 1, 2, 4], [0, 0, 0, 1, 2, 4, 1, 2, 3]),
            [0.2, 0.4, 0.6] * 3,
            drugs=("A", "B"),
        )
    with pytest.raises(InputError, match=r"curve 'A\+B'.*no single-drug points for B"):
        analyse_fixed_ratio(
            ["A"] * 3 + ["A+B"] * 3,
            ([1, 2, 4, 1, 2, 4], [0, 0, 0, 1, 2, 4]),
            [0.2, 0.4, 0.6] * 2,
            drugs=("A", "B"),
        )
    with pytest.raises(InputError, match=r"curve 'A', point 2.*no drug has a dose > 0"):
        analyse_fixed_ratio(["A"] * 3, ([1, 0, 4],), [0.2, 0.4, 0.6], drugs=("A",))
    with pytest.raises(InputError, match=r"point 5.*dose of B -1 is negative"):
        analyse_checkerboard([0, 1, 2, 0, 0], [0, 0, 0, 1, -1], [0, 0.2, 0.4, 0.3, 0.5])


# --- serialisation ------------------------------------------------------------------------------


def test_results_round_trip_through_json(synthetic: FixedRatioResult) -> None:
    back = FixedRatioResult.from_dict(json.loads(json.dumps(synthetic.to_dict())))
    assert back == synthetic
    cells = pd.read_csv(DATA / "reference_cells.csv").query("block_id == 2")
    board = analyse_checkerboard(cells.conc_r, cells.conc_c, cells.response / 100.0)
    assert any(c.ci is None for c in board.cells)  # None survives as null
    text = json.dumps(board.to_dict(), allow_nan=False)
    assert CheckerboardCI.from_dict(json.loads(text)) == board
    assert math.isfinite(board.median_ci or math.nan)
