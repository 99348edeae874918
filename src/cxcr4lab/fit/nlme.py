"""Population (nonlinear mixed-effects) estimation: the one entry point and its names.

>>> import pandas as pd
>>> from cxcr4lab.fit.nlme import ONE_CMT_ORAL, NlmeData, fit_nlme, nlme_model
>>> df = pd.DataFrame({
...     "ID": [1] * 4 + [2] * 4 + [3] * 4,
...     "t": [0.5, 2.0, 6.0, 12.0] * 3,
...     "c": [5.1, 8.0, 5.2, 2.9, 3.9, 7.1, 5.5, 3.4, 6.0, 9.2, 6.1, 3.1],
... })
>>> df["dose"] = 4.0
>>> data = NlmeData.from_frame(df, subject="ID", y="c", x={"dose": "dose", "time": "t"})
>>> model = nlme_model(ONE_CMT_ORAL, {"lKe": -2.5, "lKa": 0.5, "lCl": -3.0}, ["lCl"])
>>> fit = fit_nlme(model, data, method="foce-i")
>>> fit.summary().index.tolist()
['lKe', 'lKa', 'lCl', 'sd(lCl)', 'sigma_add']

Methods: ``"lb"`` (R nlme's Lindstrom-Bates, ML or REML: :mod:`~cxcr4lab.fit.nlme_lb`),
``"foce-i"`` and ``"laplace"`` (:mod:`~cxcr4lab.fit.nlme_foce`), and ``"saem"`` (stochastic
approximation EM as saemix does it, for mu-referenced maps: :mod:`~cxcr4lab.fit.nlme_saem`;
reproducible with ``seed``). Each returns a frozen
:class:`~cxcr4lab.fit.nlme_result.NlmeResult`. Bad data (a subject without observations, a
non-finite y) and a model whose prediction is not finite at the start values raise one
:class:`~cxcr4lab.core.errors.InputError` naming the subject; a model that is not identifiable
is flagged on the result, not raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.fit.nlme_foce import FoceObjective, fit_foce
from cxcr4lab.fit.nlme_lb import fit_lb
from cxcr4lab.fit.nlme_model import (
    BIEXP,
    ONE_CMT_ORAL,
    ErrorModel,
    IndividualMap,
    NlmeData,
    NlmeModel,
    ParameterLayout,
    StructuralModel,
    check_start,
    individual_map,
    nlme_model,
    predict_observations,
)
from cxcr4lab.fit.nlme_result import NlmeResult
from cxcr4lab.fit.nlme_saem import fit_saem

__all__ = [
    "BIEXP",
    "METHODS",
    "ONE_CMT_ORAL",
    "ErrorModel",
    "FoceObjective",
    "IndividualMap",
    "Method",
    "NlmeData",
    "NlmeModel",
    "NlmeResult",
    "ParameterLayout",
    "StructuralModel",
    "check_start",
    "fit_nlme",
    "individual_map",
    "nlme_model",
    "predict_observations",
]

Method = Literal["lb", "foce-i", "laplace", "saem"]
METHODS: tuple[Method, ...] = ("lb", "foce-i", "laplace", "saem")


def fit_nlme(
    model: NlmeModel,
    data: NlmeData,
    *,
    method: Method = "foce-i",
    reml: bool = False,
    covariance: Literal["sandwich", "r"] = "sandwich",
    level: float = 0.95,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> NlmeResult:
    """Estimate ``model`` on ``data``.

    ``reml`` applies to ``"lb"`` only; ``covariance`` (the SEs reported) to FOCE-I, the
    Laplacian and SAEM (``"lb"`` reports nlme's). Both covariances are kept on the result
    (``stderr_r``, ``stderr_sandwich``). ``seed`` (the random numbers) and
    ``progress(iteration, total)`` apply to ``"saem"`` only (its other settings: call
    :func:`~cxcr4lab.fit.nlme_saem.fit_saem`).
    """
    if method not in METHODS:
        raise InputError(f"must be one of {METHODS}, got {quote(method)}", field="method")
    if not 0.0 < level < 1.0:
        raise InputError(f"must be between 0 and 1, got {quote(level)}", field="level")
    if covariance not in ("sandwich", "r"):
        raise InputError(f"must be 'sandwich' or 'r', got {quote(covariance)}", field="covariance")
    if reml and method != "lb":
        raise InputError("REML is available with method 'lb' only", field="reml")
    if method == "lb":
        return fit_lb(model, data, reml=reml, level=level)
    if method == "saem":
        return fit_saem(
            model, data, seed=seed, covariance=covariance, level=level, progress=progress
        )
    return fit_foce(model, data, laplace=method == "laplace", covariance=covariance, level=level)
