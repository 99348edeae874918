"""The fitting engine: every curve in the workbench is fitted here (engine layer).

>>> import numpy as np
>>> from cxcr4lab.fit import ONE_SITE_COMPETITION, fit_curve
>>> x = np.linspace(-11, -6, 11)
>>> y = ONE_SITE_COMPETITION.f(x, np.array([0.0, 100.0, -8.5]))
>>> round(fit_curve(ONE_SITE_COMPETITION, x, y + np.sin(7 * x)).params["log10_ic50"], 2)
-8.5

Only the model library (:mod:`.models`, :mod:`.curves`, :mod:`.dose_response`,
:mod:`.drc_models`, which register
the built-in models) is imported with the package; every other name is imported from its module
on first use, so ``from cxcr4lab.fit.batch import fit_table`` does not pay for scipy.stats,
scipy.optimize and the global, Schild and ROUT fits (the command line starts faster).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cxcr4lab.fit.curves import EXP_DECAY, EXP_GROWTH, LINEAR, QUADRATIC
from cxcr4lab.fit.dose_response import EMAX, OPERATIONAL, log_logistic
from cxcr4lab.fit.drc_models import BC_5, LL2_4, W1_4, W2_4
from cxcr4lab.fit.models import (
    FOUR_PL,
    HORIZONTAL,
    MODELS,
    ONE_SITE_COMPETITION,
    Model,
    get_model,
    register_model,
)

if TYPE_CHECKING:
    from cxcr4lab.fit.batch import BatchResult, fit_many, fit_table
    from cxcr4lab.fit.covariance import ed_delta, with_observed_covariance
    from cxcr4lab.fit.flags import FLAG_TEXT, FitThresholds, hill_flags, potency_flags
    from cxcr4lab.fit.global_fit import (
        Comparison,
        GlobalResult,
        compare_fits,
        compare_shared,
        fit_global,
    )
    from cxcr4lab.fit.nlme import NlmeData, NlmeResult, fit_nlme, nlme_model
    from cxcr4lab.fit.outliers import RoutResult, fit_robust, fit_rout, rsdr
    from cxcr4lab.fit.result import FitResult, ProfileInterval
    from cxcr4lab.fit.schild import SchildResult, fit_schild
    from cxcr4lab.fit.solve import extra_ss_f_test, fit_curve, no_effect_test, profile_interval
    from cxcr4lab.fit.user import model_from_function

_LAZY: dict[str, str] = {
    **dict.fromkeys(("BatchResult", "fit_many", "fit_table"), "batch"),
    **dict.fromkeys(("ed_delta", "with_observed_covariance"), "covariance"),
    **dict.fromkeys(("FLAG_TEXT", "FitThresholds", "hill_flags", "potency_flags"), "flags"),
    **dict.fromkeys(
        ("Comparison", "GlobalResult", "compare_fits", "compare_shared", "fit_global"),
        "global_fit",
    ),
    **dict.fromkeys(("NlmeData", "NlmeResult", "fit_nlme", "nlme_model"), "nlme"),
    **dict.fromkeys(("RoutResult", "fit_robust", "fit_rout", "rsdr"), "outliers"),
    **dict.fromkeys(("FitResult", "ProfileInterval"), "result"),
    **dict.fromkeys(("SchildResult", "fit_schild"), "schild"),
    **dict.fromkeys(
        ("extra_ss_f_test", "fit_curve", "no_effect_test", "profile_interval"), "solve"
    ),
    "model_from_function": "user",
}


def __getattr__(name: str) -> Any:
    """Import a lazily exported name from its module on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


BUILTIN_MODELS: frozenset[str] = frozenset(MODELS)
"""Names of the models that ship with cxcr4lab (user models are registered beside them)."""

__all__ = [
    "BC_5",
    "BUILTIN_MODELS",
    "EMAX",
    "EXP_DECAY",
    "EXP_GROWTH",
    "FLAG_TEXT",
    "FOUR_PL",
    "HORIZONTAL",
    "LINEAR",
    "LL2_4",
    "MODELS",
    "ONE_SITE_COMPETITION",
    "OPERATIONAL",
    "QUADRATIC",
    "W1_4",
    "W2_4",
    "BatchResult",
    "Comparison",
    "FitResult",
    "FitThresholds",
    "GlobalResult",
    "Model",
    "NlmeData",
    "NlmeResult",
    "ProfileInterval",
    "RoutResult",
    "SchildResult",
    "compare_fits",
    "compare_shared",
    "ed_delta",
    "extra_ss_f_test",
    "fit_curve",
    "fit_global",
    "fit_many",
    "fit_nlme",
    "fit_robust",
    "fit_rout",
    "fit_schild",
    "fit_table",
    "get_model",
    "hill_flags",
    "log_logistic",
    "model_from_function",
    "nlme_model",
    "no_effect_test",
    "potency_flags",
    "profile_interval",
    "register_model",
    "rsdr",
    "with_observed_covariance",
]
