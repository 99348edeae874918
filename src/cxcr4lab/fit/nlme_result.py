"""The frozen result of a population (NLME) fit: estimates, SEs, CIs, EBEs, shrinkage, flags.

Plain floats, tuples and strings only, so the result round-trips through the project's one JSON
converter (:class:`~cxcr4lab.core.serial.Serial`). Names follow the other result classes:
``params``, ``stderr``, ``conf_int()``, ``aic``, ``summary()``.

Reported parameters, in order: each theta on its natural scale (a log-normal typical value as
``exp(theta)``), ``sd(eta)`` for each random effect, ``cor(a,b)`` for a block Omega, and the
residual-error parameters ``sigma_add`` / ``sigma_prop``. Wald intervals are built on the
``scales`` given per parameter (``identity``, ``log`` for SDs and log-normal thetas, ``atanh``
for correlations) and transformed back; SEs on the natural scale are the delta method's.

``ofv`` is -2 log L *with* the constant ``N log(2 pi)`` (so ``ofv == -2 * logLik`` of R);
:attr:`NlmeResult.ofv_nonmem` drops the constant, as NONMEM's printed objective function does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.core.serial import Serial

__all__ = ["NlmeResult"]


@dataclass(frozen=True)
class NlmeResult(Serial):
    """One population fit. See the module docstring for names and scales."""

    method: str
    model: str
    param_names: tuple[str, ...]
    kinds: tuple[str, ...]
    scales: tuple[str, ...]
    estimates: tuple[float, ...]
    stderr: tuple[float | None, ...]
    ci_lower: tuple[float | None, ...]
    ci_upper: tuple[float | None, ...]
    level: float
    covariance_method: str
    ofv: float
    n_obs: int
    n_subjects: int
    eta_names: tuple[str, ...]
    subject_ids: tuple[str, ...]
    ebe: tuple[tuple[float, ...], ...]
    shrinkage: tuple[float, ...]
    omega: tuple[tuple[float, ...], ...]
    condition_number: float | None
    identifiable: bool
    flags: tuple[str, ...]
    converged: bool
    message: str
    iterations: int
    n_evaluations: int
    estimation_names: tuple[str, ...]
    estimation_values: tuple[float, ...]
    estimation_covariance: tuple[tuple[float, ...], ...] | None
    stderr_r: tuple[float | None, ...] = ()
    stderr_sandwich: tuple[float | None, ...] = ()

    @property
    def n_params(self) -> int:
        """Number of estimated parameters (thetas, Omega elements, error parameters)."""
        return len(self.estimation_values)

    @property
    def log_likelihood(self) -> float:
        return -0.5 * self.ofv

    @property
    def ofv_nonmem(self) -> float:
        """-2 log L without the constant N log(2 pi) (NONMEM's objective function value)."""
        return self.ofv - self.n_obs * math.log(2.0 * math.pi)

    @property
    def aic(self) -> float:
        return self.ofv + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """With log(number of observations), as R nlme."""
        return self.ofv + self.n_params * math.log(self.n_obs)

    @property
    def params(self) -> dict[str, float]:
        return dict(zip(self.param_names, self.estimates, strict=True))

    @property
    def se(self) -> dict[str, float | None]:
        return dict(zip(self.param_names, self.stderr, strict=True))

    @property
    def omega_matrix(self) -> NDArray[np.float64]:
        return np.array(self.omega, dtype=float).reshape(len(self.eta_names), len(self.eta_names))

    @property
    def ebe_frame(self) -> pd.DataFrame:
        """Empirical Bayes estimates of eta, one row per subject."""
        return pd.DataFrame(
            np.array(self.ebe, dtype=float).reshape(self.n_subjects, len(self.eta_names)),
            index=pd.Index(self.subject_ids, name="subject"),
            columns=list(self.eta_names),
        )

    def conf_int(self) -> dict[str, tuple[float | None, float | None]]:
        """The Wald intervals at :attr:`level`."""
        return {
            n: (lo, hi)
            for n, lo, hi in zip(self.param_names, self.ci_lower, self.ci_upper, strict=True)
        }

    def summary(self) -> pd.DataFrame:
        """One row per parameter: kind, estimate, SE, RSE %, CI and the scale of the CI."""
        rse = [
            None if s is None or e == 0 else 100.0 * s / abs(e)
            for e, s in zip(self.estimates, self.stderr, strict=True)
        ]
        pct = f"{100 * self.level:g}"
        frame = pd.DataFrame(
            {
                "kind": list(self.kinds),
                "estimate": list(self.estimates),
                "se": [np.nan if s is None else s for s in self.stderr],
                "rse_percent": [np.nan if r is None else r for r in rse],
                f"ci{pct}_lower": [np.nan if c is None else c for c in self.ci_lower],
                f"ci{pct}_upper": [np.nan if c is None else c for c in self.ci_upper],
                "ci_scale": list(self.scales),
            },
            index=pd.Index(self.param_names, name="parameter"),
        )
        return frame
