"""The frozen result of one curve fit, with the same names across model families.

``params``, ``stderr``, ``conf_int(alpha)``, ``aicc``, ``summary()``, ``report()`` and a band on
predictions, as in statsmodels and lmfit. Everything is plain floats and tuples, so a result
round-trips through JSON (``to_dict`` / ``from_dict``) and compares equal afterwards.
Missing values (a fixed parameter's SE, an unbounded CI side) are ``None``, never NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import stdtrit

from cxcr4lab.core.serial import Serial
from cxcr4lab.fit.models import Model, get_model

__all__ = ["FitResult", "ProfileInterval"]


@dataclass(frozen=True)
class ProfileInterval:
    """A profile-likelihood CI for one parameter; ``None`` marks a side that never closes."""

    name: str
    level: float
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class FitResult(Serial):
    """One fitted curve. ``x`` and parameters are in the model's scale (log10 mol/L for potency)."""

    model: str
    param_names: tuple[str, ...]
    values: tuple[float, ...]
    stderr: tuple[float | None, ...]
    covariance: tuple[tuple[float, ...], ...] | None
    free: tuple[bool, ...]
    rss: float
    n: int
    converged: bool
    message: str
    x_min: float
    x_max: float
    weighted: bool = False
    profiles: tuple[ProfileInterval, ...] = field(default=())

    # -- basic quantities ----------------------------------------------------------------------
    @property
    def n_free(self) -> int:
        return sum(self.free)

    @property
    def dof(self) -> int:
        """Residual degrees of freedom: points minus fitted parameters."""
        return self.n - self.n_free

    @property
    def params(self) -> dict[str, float]:
        return dict(zip(self.param_names, self.values, strict=True))

    @property
    def se(self) -> dict[str, float | None]:
        return dict(zip(self.param_names, self.stderr, strict=True))

    @property
    def sigma(self) -> float | None:
        """Residual standard deviation, sqrt(RSS / dof)."""
        return math.sqrt(self.rss / self.dof) if self.dof > 0 else None

    @property
    def aicc(self) -> float | None:
        """Akaike's criterion, small-sample corrected (Prism's form: K = fitted params + 1)."""
        n, k = self.n, self.n_free + 1
        if n - k - 1 <= 0 or self.rss <= 0:
            return None
        return n * math.log(self.rss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)

    def get_model(self) -> Model:
        return get_model(self.model)

    # -- inference -------------------------------------------------------------------------------
    def t_critical(self, alpha: float = 0.05) -> float | None:
        return float(stdtrit(self.dof, 1 - alpha / 2)) if self.dof > 0 else None

    def conf_int(self, alpha: float = 0.05) -> dict[str, tuple[float | None, float | None]]:
        """Asymptotic (Wald, t-based) CIs: value +/- t(1 - alpha/2, dof) * SE."""
        t = self.t_critical(alpha)
        out: dict[str, tuple[float | None, float | None]] = {}
        for name, v, se in zip(self.param_names, self.values, self.stderr, strict=True):
            if t is None or se is None:
                out[name] = (None, None)
            else:
                out[name] = (v - t * se, v + t * se)
        return out

    def profile(self, name: str) -> ProfileInterval | None:
        """The profile-likelihood CI computed at fit time for ``name``, if any."""
        return next((p for p in self.profiles if p.name == name), None)

    def predict(self, x: ArrayLike) -> NDArray[np.float64]:
        xs = np.asarray(x, dtype=float)
        return self.get_model().f(xs, np.asarray(self.values))

    def band(
        self,
        x: ArrayLike,
        alpha: float = 0.05,
        kind: Literal["confidence", "prediction"] = "confidence",
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Lower and upper band around the curve at ``x`` (delta method, t-based).

        ``confidence``: where the true curve lies; ``prediction``: where a new point would.
        """
        xs = np.asarray(x, dtype=float)
        y = self.predict(xs)
        t = self.t_critical(alpha)
        if t is None or self.covariance is None:
            nan = np.full_like(y, np.nan)
            return nan, nan
        jac = self.get_model().jac(xs, np.asarray(self.values))[:, np.asarray(self.free)]
        cov = np.asarray(self.covariance)
        var = np.einsum("ij,jk,ik->i", jac, cov, jac)
        if kind == "prediction":
            var = var + (self.sigma or 0.0) ** 2
        half = t * np.sqrt(np.maximum(var, 0.0))
        return y - half, y + half

    # -- presentation ------------------------------------------------------------
    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per parameter: value, SE, asymptotic CI and (where computed) profile CI."""
        ci = self.conf_int(alpha)
        rows = []
        for name, v, se, is_free in zip(
            self.param_names, self.values, self.stderr, self.free, strict=True
        ):
            prof = self.profile(name)
            rows.append(
                {
                    "parameter": name,
                    "value": v,
                    "stderr": se,
                    "ci_lower": ci[name][0],
                    "ci_upper": ci[name][1],
                    "profile_lower": prof.lower if prof else None,
                    "profile_upper": prof.upper if prof else None,
                    "fixed": not is_free,
                }
            )
        return pd.DataFrame(rows)

    def report(self) -> str:
        """A readable text fit report."""
        level = round(100 * 0.95)
        lines = [
            f"[[Model]] {self.get_model().title}",
            f"[[Fit]] converged: {self.converged} ({self.message})",
            f"    points: {self.n}   free parameters: {self.n_free}   dof: {self.dof}",
            f"    RSS: {self.rss:.6g}   sigma: {self.sigma if self.sigma is None else f'{self.sigma:.6g}'}"
            f"   AICc: {self.aicc if self.aicc is None else f'{self.aicc:.4f}'}",
            f"[[Parameters]] value +/- SE  ({level}% CI)",
        ]
        ci = self.conf_int()
        for name, v, se in zip(self.param_names, self.values, self.stderr, strict=True):
            if se is None:
                lines.append(f"    {name:>12}: {v:.6g} (fixed or not estimable)")
            else:
                lo, hi = ci[name]
                lines.append(f"    {name:>12}: {v:.6g} +/- {se:.3g}  ({lo:.6g} to {hi:.6g})")
        return "\n".join(lines)
