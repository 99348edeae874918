"""``cxcr4lab compare``: shared vs separate parameter (extra-sum-of-squares F test), per-curve
estimates and the fold shift of the IC50 with its delta-method CI, against references computed
here independently:

* F from two scipy ``curve_fit`` fits of the same data (one with the log10 IC50 shared by the
  three curves, one with everything per curve), by the textbook formula
  ``((RSS_s - RSS_f) / (df_s - df_f)) / (RSS_f / df_f)``, to 1e-6;
* the fold shift's CI by hand from the covariance matrix of scipy's joint separate fit (pooled
  residual variance, analytic Jacobian written out below): ``d = L_B - L_A``,
  ``SE(d)^2 = V_BB + V_AA - 2 V_AB``, ``10^(d -/+ t SE(d))``, and drc's ``EDcomp(...,
  interval = "delta")`` ratio SE ``10^d ln(10) SE(d)``.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from tests.conftest import CliRun

from cxcr4lab.core.errors import InputError
from cxcr4lab.fit import FOUR_PL, get_model
from cxcr4lab.fit.comparison import CurveComparison, compare_curves
from cxcr4lab.runs import KINDS, example_inputs

LN10 = math.log(10.0)
CONC_NM = np.repeat([0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0], 2)
TRUE_LOG_IC50 = {"A": -8.7, "B": -8.2, "C": -8.7}


def _table(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.log10(CONC_NM * 1e-9)
    rows = []
    for cid, log_ic50 in TRUE_LOG_IC50.items():
        y = FOUR_PL.f(x, np.array([0.0, 100.0, log_ic50, 1.0])) + rng.normal(0.0, 4.0, x.size)
        rows += [(cid, c, v) for c, v in zip(CONC_NM, y, strict=True)]
    return pd.DataFrame(rows, columns=["curve_id", "concentration", "response"])


def _f(x: np.ndarray, b: float, t: float, L: float, h: float) -> np.ndarray:
    return b + (t - b) / (1.0 + 10.0 ** ((x - L) * h))


def _jac(x: np.ndarray, b: float, t: float, L: float, h: float) -> np.ndarray:
    """d f / d (b, t, L, h), written out by hand."""
    u = 10.0 ** ((x - L) * h)
    s = 1.0 / (1.0 + u)
    g = (t - b) * s * s * u * LN10
    return np.column_stack([1.0 - s, s, g * h, -g * (x - L)])


def _data() -> tuple[np.ndarray, list[np.ndarray]]:
    df = _table()
    x = np.log10(CONC_NM * 1e-9)
    return x, [df.loc[df.curve_id == c, "response"].to_numpy() for c in TRUE_LOG_IC50]


def _fit(
    model: Callable[..., np.ndarray], jac: Callable[..., np.ndarray], y: np.ndarray, p0: list[float]
) -> tuple[np.ndarray, np.ndarray, float]:
    popt, pcov = optimize.curve_fit(
        model, None, y, p0=p0, jac=jac, xtol=1e-15, ftol=1e-15, gtol=1e-15, maxfev=10_000
    )
    r = model(None, *popt) - y
    return popt, pcov, float(r @ r)


def _separate(x: np.ndarray, ys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, float]:
    """All 12 parameters per curve, one joint least-squares problem (pooled variance)."""

    def model(_: object, *p: float) -> np.ndarray:
        return np.concatenate([_f(x, *p[4 * i : 4 * i + 4]) for i in range(3)])

    def jac(_: object, *p: float) -> np.ndarray:
        out = np.zeros((3 * x.size, 12))
        for i in range(3):
            out[i * x.size : (i + 1) * x.size, 4 * i : 4 * i + 4] = _jac(x, *p[4 * i : 4 * i + 4])
        return out

    p0 = [v for L in TRUE_LOG_IC50.values() for v in (0.0, 100.0, L, 1.0)]
    return _fit(model, jac, np.concatenate(ys), p0)


def _shared(x: np.ndarray, ys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, float]:
    """bottom, top, hill per curve (9) and one log10 IC50 (the last)."""

    def model(_: object, *p: float) -> np.ndarray:
        return np.concatenate([_f(x, p[3 * i], p[3 * i + 1], p[9], p[3 * i + 2]) for i in range(3)])

    def jac(_: object, *p: float) -> np.ndarray:
        out = np.zeros((3 * x.size, 10))
        for i in range(3):
            j = _jac(x, p[3 * i], p[3 * i + 1], p[9], p[3 * i + 2])
            rows = slice(i * x.size, (i + 1) * x.size)
            out[rows, 3 * i : 3 * i + 3] = j[:, [0, 1, 3]]
            out[rows, 9] = j[:, 2]
        return out

    return _fit(model, jac, np.concatenate(ys), [0.0, 100.0, 1.0] * 3 + [-8.5])


def _compare(**kw: object) -> CurveComparison:
    return compare_curves(_table(), FOUR_PL, "ic50", conc_unit="nM", file="t.csv", **kw)  # type: ignore[arg-type]


def test_the_f_test_equals_the_textbook_formula_on_two_scipy_fits() -> None:
    x, ys = _data()
    _, _, rss_f = _separate(x, ys)
    _, _, rss_s = _shared(x, ys)
    n = 3 * x.size
    df_f, df_s = n - 12, n - 10
    f = ((rss_s - rss_f) / (df_s - df_f)) / (rss_f / df_f)
    p = stats.f.sf(f, df_s - df_f, df_f)
    got = _compare(reference="A")
    assert (got.df_numerator, got.df_denominator) == (2, df_f)
    assert got.rss_separate == pytest.approx(rss_f, rel=1e-8)
    assert got.rss_shared == pytest.approx(rss_s, rel=1e-8)
    assert got.f_statistic == pytest.approx(f, rel=1e-6)
    assert got.p_value == pytest.approx(p, rel=1e-6)
    assert got.preferred == "separate"


def test_the_fold_shift_ci_equals_the_hand_computation_from_the_covariance() -> None:
    x, ys = _data()
    popt, pcov, _ = _separate(x, ys)
    dof = 3 * x.size - 12
    t = stats.t.ppf(0.975, dof)
    got = _compare(reference="A")
    a = 2  # log10 IC50 of curve A in the 12-vector; B's is 6, C's 10
    for cid, j in (("B", 6), ("C", 10)):
        d = popt[j] - popt[a]
        se = math.sqrt(pcov[j, j] + pcov[a, a] - 2.0 * pcov[j, a])
        e = got.curve(cid)
        assert e.difference == pytest.approx(d, rel=1e-6)
        assert e.difference_se == pytest.approx(se, rel=1e-5)
        assert e.fold == pytest.approx(10.0**d, rel=1e-6)
        assert e.fold_lower == pytest.approx(10.0 ** (d - t * se), rel=1e-5)
        assert e.fold_upper == pytest.approx(10.0 ** (d + t * se), rel=1e-5)
        # drc EDcomp(interval = "delta"): SE of the ratio itself, CI ratio -/+ t SE
        assert e.fold_se == pytest.approx(10.0**d * LN10 * se, rel=1e-5)
        assert e.relative_potency == pytest.approx(10.0**-d, rel=1e-6)
        assert e.relative_potency_lower == pytest.approx(1.0 / e.fold_upper, rel=1e-12)
        assert e.difference_p == pytest.approx(2 * stats.t.sf(abs(d) / se, dof), rel=1e-4)
        # per-curve IC50 in nM with the pooled-variance t CI
        lo = popt[j] - t * math.sqrt(pcov[j, j])
        assert e.ic50 == pytest.approx(10.0 ** popt[j] * 1e9, rel=1e-6)
        assert e.ic50_lower == pytest.approx(10.0**lo * 1e9, rel=1e-5)
    ref = got.curve("A")
    assert ref.fold is None and ref.difference is None


def test_the_bundled_example_recovers_its_three_fold_shift() -> None:
    kind = KINDS["compare"]
    name, content = example_inputs(kind.examples[0])["curves"]
    df = pd.read_csv(io.BytesIO(content), dtype={"curve_id": str})
    got = compare_curves(df, FOUR_PL, "ic50", reference="cmpd-A", conc_unit="nM", file=name)
    assert got.p_value < 1e-4
    b, c = got.curve("cmpd-B"), got.curve("cmpd-C")
    assert b.fold_lower < 3.0 < b.fold_upper  # truth: 3-fold
    assert c.fold_lower < 1.0 < c.fold_upper  # truth: no shift
    assert resources.files("cxcr4lab.examples").joinpath("compare/README.md").is_file()


def test_a_hill_comparison_and_a_fixed_bottom() -> None:
    got = _compare(reference="B", fixed={"bottom": 0.0})
    assert got.compared == "log10_ic50" and got.reference == "B"
    hill = compare_curves(_table(), FOUR_PL, "hill", conc_unit="nM", fixed={"bottom": 0.0})
    assert hill.compared == "hill" and hill.preferred == "shared"  # truth: one Hill slope
    j = hill.param_names.index("bottom")
    assert all(c.values[j] == 0.0 and c.stderr[j] is None for c in hill.curves)
    assert hill.df_numerator == 2


def test_round_trip_through_json() -> None:
    got = _compare(reference="A")
    again = CurveComparison.from_dict(json.loads(json.dumps(got.to_dict())))
    assert again == got
    assert list(got.summary()["curve"]) == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"reference": "Z"}, "reference", "no curve 'Z' in the file; its curves are A, B, C"),
        ({"param": "bottom", "model": "3pl"}, "param", "model 3pl has no parameter 'bottom'"),
        ({"fixed": {"log10_ic50": -8.0}}, "fix", "log10_ic50 is fixed"),
    ],
)
def test_bad_requests_name_the_option(kwargs: dict[str, object], field: str, words: str) -> None:
    model = get_model(str(kwargs.pop("model", "4pl")))
    param = str(kwargs.pop("param", "ic50"))
    with pytest.raises(InputError, match=words) as err:
        compare_curves(_table(), model, param, conc_unit="nM", **kwargs)  # type: ignore[arg-type]
    assert err.value.place.field == field


def test_one_curve_is_not_a_comparison() -> None:
    with pytest.raises(InputError, match="at least two curves"):
        compare_curves(_table().query("curve_id == 'A'"), FOUR_PL, conc_unit="nM", file="a.csv")


# --- the command line ---------------------------------------------------------------------------


def test_compare_from_the_command_line(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    path = tmp_path / "curves.csv"
    _table().to_csv(path, index=False)
    run = cli("compare", str(path), "--conc-unit", "nM", "--reference", "A", "--json")
    assert run.code == 0, run.err
    shown = json.loads(run.out)
    assert shown["kind"] == "compare" and shown["id"] is not None
    assert shown["reference"] == "A" and shown["compared"] == "log10_ic50"
    text = cli("compare", str(path), "--conc-unit", "nM", "--no-save")
    assert text.code == 0, text.err
    assert "Extra-sum-of-squares F test" in text.out and "fold shift" in text.out
    bad = cli("compare", str(path), "--conc-unit", "nM", "--reference", "Z", "--no-save")
    assert bad.code == 2
    assert bad.err.strip().startswith("error: --reference: no curve 'Z'")
    assert len(bad.err.strip().splitlines()) == 1
    fix = cli("compare", str(path), "--fix", "hill", "--no-save")
    assert fix.code == 2 and fix.err.strip().startswith("error: --fix: 'hill': expected NAME=VALUE")
