"""The fitting engine: every curve in the workbench is fitted here (engine layer).

>>> import numpy as np
>>> from cxcr4lab.fit import ONE_SITE_COMPETITION, fit_curve
>>> x = np.linspace(-11, -6, 11)
>>> y = ONE_SITE_COMPETITION.f(x, np.array([0.0, 100.0, -8.5]))
>>> round(fit_curve(ONE_SITE_COMPETITION, x, y + np.sin(7 * x)).params["log10_ic50"], 2)
-8.5
"""

from cxcr4lab.fit.flags import FLAG_TEXT, FitThresholds, potency_flags
from cxcr4lab.fit.models import FOUR_PL, HORIZONTAL, MODELS, ONE_SITE_COMPETITION, Model, get_model
from cxcr4lab.fit.result import FitResult, ProfileInterval
from cxcr4lab.fit.solve import extra_ss_f_test, fit_curve, no_effect_test, profile_interval

__all__ = [
    "FLAG_TEXT",
    "FOUR_PL",
    "HORIZONTAL",
    "MODELS",
    "ONE_SITE_COMPETITION",
    "FitResult",
    "FitThresholds",
    "Model",
    "ProfileInterval",
    "extra_ss_f_test",
    "fit_curve",
    "get_model",
    "no_effect_test",
    "potency_flags",
    "profile_interval",
]
