"""The flags a screener sorts on, on a seeded screen of 5,000 curves of known classes
(``tests/fit/screen.py``: 60 % good, 15 % inactive, 10 % partial, 10 % noisy, 5 % very steep),
fitted by the ``fit`` kind with ``normalised`` responses (% of control)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.fit.screen import screen

from cxcr4lab.runs import KINDS
from cxcr4lab.runs._options import parse_options


@pytest.fixture(scope="module")
def fitted() -> pd.DataFrame:
    curves, truth = screen(5000, seed=2026)
    kind = KINDS["fit"]
    content = curves.to_csv(index=False).encode()
    options = parse_options(kind.options, {"normalised": "true"})
    result = kind.run({"curves": ("screen.csv", content)}, options).result
    table = result.table()
    return table.merge(truth.add_prefix("true_"), left_on="curve_id", right_on="true_curve_id")


def _flags(frame: pd.DataFrame) -> pd.Series:
    return frame["flags"].fillna("").astype(str).str.split(";")


def _rate(frame: pd.DataFrame, flag: str) -> float:
    return float(_flags(frame).apply(lambda f: flag in f).mean())


def test_inactive_good_and_partial_curves_get_their_flags(fitted: pd.DataFrame) -> None:
    by = {c: fitted[fitted["true_class"] == c] for c in ("good", "inactive", "partial")}
    assert _rate(by["inactive"], "no_effect") >= 0.95
    unflagged = (by["good"]["flags"].fillna("").astype(str) == "").mean()
    assert unflagged >= 0.95
    assert _rate(by["partial"], "outside_range") >= 0.90


def test_estimates_are_left_empty_where_they_mean_nothing(fitted: pd.DataFrame) -> None:
    flags = _flags(fitted)
    empty = flags.apply(lambda f: "no_effect" in f or "not_converged" in f)
    assert empty.sum() > 700  # the inactive curves at least
    for column in ("bottom", "top", "hill", "ic50_M", "log10_ic50_M", "pic50", "r_squared"):
        assert fitted.loc[empty, column].isna().all(), column
        assert fitted.loc[~empty, column].notna().all(), column
    # no absurd plateau is left in a row: every estimate shown is near the data's scale
    assert fitted.loc[~empty, "top"].abs().max() < 1000


def test_very_steep_curves_are_steep_not_failures(fitted: pd.DataFrame) -> None:
    steep = fitted[fitted["true_class"] == "steep"]
    assert _rate(steep, "not_converged") < 0.10
    held = steep[np.isclose(steep["hill"].abs(), 30.0)]
    assert len(held) > 0 and _rate(held, "steep") == 1.0  # a step: the slope held at 30
