"""Bad input to the NLME estimators: one InputError naming the subject (and row), never a
traceback from numpy; a bad setting names the setting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import FitError, InputError
from cxcr4lab.fit.nlme import ONE_CMT_ORAL, NlmeData, fit_nlme, individual_map, nlme_model

DATA = Path(__file__).resolve().parents[1] / "data" / "nlme"
X = {"dose": "Dose", "time": "Time"}


def frame() -> pd.DataFrame:
    return pd.read_csv(DATA / "theoph.csv")


def test_subject_without_observations() -> None:
    df = frame()
    with pytest.raises(InputError, match=r"subject '13': has no observations"):
        NlmeData.from_frame(df, subject="Subject", y="conc", x=X, subjects=[*range(1, 14)])


def test_non_finite_y_names_subject_and_row() -> None:
    df = frame()
    df.loc[25, "conc"] = np.nan  # subject 3, file line 27
    with pytest.raises(InputError) as err:
        NlmeData.from_frame(df, subject="Subject", y="conc", x=X)
    assert str(err.value) == "row 27, column 'conc', subject '3': conc is not finite (nan)"
    df.loc[25, "conc"] = np.inf
    with pytest.raises(InputError, match=r"row 27, column 'conc', subject '3'"):
        NlmeData.from_frame(df, subject="Subject", y="conc", x=X)


def test_missing_column() -> None:
    with pytest.raises(InputError, match=r"column 'Dose'"):
        NlmeData.from_frame(frame().drop(columns="Dose"), subject="Subject", y="conc", x=X)


@pytest.mark.parametrize("method", ["lb", "foce-i", "laplace"])
def test_prediction_not_finite_at_start(method: str) -> None:
    """SSfol divides by exp(lKa) - exp(lKe): equal start values give 0/0 everywhere."""
    data = NlmeData.from_frame(frame(), subject="Subject", y="conc", x=X)
    bad = nlme_model(ONE_CMT_ORAL, {"lKe": -1.0, "lKa": -1.0, "lCl": -3.0}, ["lKa", "lCl"])
    with pytest.raises(InputError) as err:
        fit_nlme(bad, data, method=method)  # type: ignore[arg-type]
    assert "subject '1'" in str(err.value) and "row 2" in str(err.value)
    assert "prediction of 'one_cmt_oral' at the start values is not finite" in str(err.value)


def test_proportional_error_needs_non_zero_prediction() -> None:
    """Theoph has samples at t = 0, where the prediction is 0."""
    data = NlmeData.from_frame(frame(), subject="Subject", y="conc", x=X)
    m = nlme_model(
        ONE_CMT_ORAL, {"lKe": -2.5, "lKa": 0.5, "lCl": -3.0}, ["lKa"], error="proportional"
    )
    with pytest.raises(InputError, match=r"row 2, subject '1': .* is 0 \(a proportional"):
        fit_nlme(m, data)


def test_bad_settings() -> None:
    data = NlmeData.from_frame(frame(), subject="Subject", y="conc", x=X)
    m = nlme_model(ONE_CMT_ORAL, {"lKe": -2.5, "lKa": 0.5, "lCl": -3.0}, ["lKa"])
    with pytest.raises(InputError, match="method"):
        fit_nlme(m, data, method="fo")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="REML is available with method 'lb' only"):
        fit_nlme(m, data, reml=True)
    with pytest.raises(InputError, match="random"):
        individual_map(["CL", "V"], random=["KA"])
    with pytest.raises(InputError, match="theta"):
        nlme_model(ONE_CMT_ORAL, {"lKe": -2.5, "lKa": 0.5}, ["lKa"])
    with pytest.raises(InputError, match=r"lCl: start value must be finite and > 0 \(log-normal\)"):
        nlme_model(ONE_CMT_ORAL, {"lKe": 1.0, "lKa": 1.0, "lCl": -3.0}, ["lKa"], transform="log")
    combined = nlme_model(
        ONE_CMT_ORAL, {"lKe": -2.5, "lKa": 0.5, "lCl": -3.0}, ["lKa"], error="combined"
    )
    with pytest.raises(FitError, match="additive error only"):
        fit_nlme(combined, data, method="lb")
