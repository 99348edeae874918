"""A simulated Schild experiment as a stored result (kind ``schild``): pA2 against the model's pKb.

:func:`schild_study` runs :func:`~.virtual.schild_experiment` (SIMULATED CXCL12 curves at several
balixafortide concentrations, fitted globally with :func:`cxcr4lab.fit.schild.fit_schild`) and
keeps what a report needs: the points, the global Gaddum/Schild fit (pA2 with its 95 % profile
CI, Schild slope with its 95 % Wald CI), the dose ratios of separate 4PL fits beside Gaddum's
1 + [B]/Kb, and the classic Schild regression of log10(DR - 1) on log10[B] with a t-based 95 %
CI on its slope. Concentrations in mol/L; responses in % of the pathway maximum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from cxcr4lab.assays.potency import Potency
from cxcr4lab.core.errors import InputError
from cxcr4lab.core.serial import Serial
from cxcr4lab.fit.dose_response import log_logistic
from cxcr4lab.fit.result import FitResult
from cxcr4lab.receptor.mechanistic import Cxcr4Model, Readout
from cxcr4lab.studies.calibration import CELL_LINES
from cxcr4lab.studies.virtual import schild_experiment

__all__ = [
    "SCHILD_READOUTS",
    "DoseRatio",
    "SchildRegression",
    "SchildStudy",
    "schild_regression_ci",
    "schild_study",
]

SCHILD_READOUTS: tuple[Readout, ...] = ("arrestin", "g_protein", "perk", "pakt", "chemotaxis")
"""Readouts with an explicit concentration-response (the calcium peak needs the ODE)."""

_STIM = log_logistic(4, "stimulation", "log")


@dataclass(frozen=True)
class DoseRatio:
    """CXCL12 EC50 shift at one balixafortide concentration (separate 4PL fits)."""

    antagonist_molar: float
    log10_ec50: float
    dose_ratio: float
    gaddum_dose_ratio: float
    """1 + [B]/Kb: the shift a competitive antagonist of the model's Kb must produce."""


@dataclass(frozen=True)
class SchildRegression:
    """log10(DR - 1) = slope log10[B] + intercept; pA2 = intercept / slope (t-based CI on slope)."""

    slope: float
    slope_lower: float | None
    slope_upper: float | None
    pa2: float
    n: int


def schild_regression_ci(
    antagonist_molar: ArrayLike, dose_ratio: ArrayLike, *, alpha: float = 0.05
) -> SchildRegression | None:
    """The Schild regression with a (1 - alpha) t CI on its slope; None below two DR > 1.

    Points with DR <= 1 carry no log10(DR - 1) and are left out (the count used is ``n``).
    """
    b = np.asarray(antagonist_molar, dtype=float).ravel()
    dr = np.asarray(dose_ratio, dtype=float).ravel()
    ok = (b > 0) & np.isfinite(dr) & (dr > 1)
    n = int(ok.sum())
    if n < 2:
        return None
    reg = stats.linregress(np.log10(b[ok]), np.log10(dr[ok] - 1.0))
    lower = upper = None
    if n > 2:
        t = float(stats.t.ppf(1 - alpha / 2, n - 2))
        lower, upper = reg.slope - t * reg.stderr, reg.slope + t * reg.stderr
    return SchildRegression(float(reg.slope), lower, upper, float(reg.intercept / reg.slope), n)


@dataclass(frozen=True)
class SchildStudy(Serial):
    """A SIMULATED Schild experiment on the model, its fits and the model's true pKb."""

    kind: ClassVar[str] = "schild"

    readout: str
    cell_line: str
    seed: int
    noise_pct: float
    kb_molar: float
    log10_agonist: tuple[float, ...]
    antagonist: tuple[float, ...]
    response: tuple[float, ...]
    fit: FitResult
    dose_ratios: tuple[DoseRatio, ...]
    regression: SchildRegression | None
    alpha: float = 0.05

    @property
    def pkb(self) -> float:
        """The model's -log10 Kb (mol/L): the truth the pA2 should recover."""
        return -math.log10(self.kb_molar)

    @property
    def pa2(self) -> float:
        return self.fit.params["pA2"]

    @property
    def pa2_ci(self) -> tuple[float | None, float | None]:
        """95 % profile-likelihood CI of pA2 (the asymptotic one if no profile was kept)."""
        prof = self.fit.profile("pA2")
        return (prof.lower, prof.upper) if prof else self.fit.conf_int(self.alpha)["pA2"]

    @property
    def schild_slope(self) -> float:
        return self.fit.params["schild_slope"]

    @property
    def schild_slope_ci(self) -> tuple[float | None, float | None]:
        return self.fit.conf_int(self.alpha)["schild_slope"]

    @property
    def pkb_in_ci(self) -> bool:
        lo, hi = self.pa2_ci
        return lo is not None and hi is not None and lo <= self.pkb <= hi

    def predict(self, log10_agonist: ArrayLike, antagonist_molar: float) -> NDArray[np.float64]:
        """The global fit's response (%) at log10 [CXCL12] (mol/L) and one [B] (mol/L)."""
        p = self.fit.params
        shift = 0.0
        if antagonist_molar > 0:
            r = (antagonist_molar * 10.0 ** p["pA2"]) ** p["schild_slope"]
            shift = math.log10(1.0 + r)
        x = np.asarray(log10_agonist, dtype=float) - shift
        return _STIM.f(x, np.array([p["bottom"], p["top"], p["log10_ec50"], p["hill"]]))

    def summary(self) -> pd.DataFrame:
        """pA2 and Schild slope (global fit and regression) beside the model's pKb."""
        lo, hi = self.pa2_ci
        s_lo, s_hi = self.schild_slope_ci
        rows: list[dict[str, Any]] = [
            _row(
                "pA2 (global Gaddum/Schild fit)", self.pa2, lo, hi, "profile likelihood", self.pkb
            ),
            _row("Schild slope (global fit)", self.schild_slope, s_lo, s_hi, "Wald, t", 1.0),
        ]
        reg = self.regression
        if reg is not None:
            rows.append(_row("pA2 (Schild regression)", reg.pa2, None, None, "", self.pkb))
            rows.append(
                _row(
                    f"Schild slope (regression, {reg.n} points)",
                    reg.slope,
                    reg.slope_lower,
                    reg.slope_upper,
                    f"t, {reg.n - 2} df",
                    1.0,
                )
            )
        return pd.DataFrame(rows)

    def dose_ratio_table(self) -> pd.DataFrame:
        """[B] (nM), CXCL12 EC50 (nM), observed DR, log10(DR - 1) and Gaddum's 1 + [B]/Kb."""
        return pd.DataFrame(
            [
                {
                    "balixafortide (nM)": d.antagonist_molar / 1e-9,
                    "CXCL12 EC50 (nM)": 10.0**d.log10_ec50 / 1e-9,
                    "dose ratio": d.dose_ratio,
                    "log10(DR - 1)": math.log10(d.dose_ratio - 1) if d.dose_ratio > 1 else None,
                    "Gaddum 1 + [B]/Kb": d.gaddum_dose_ratio,
                }
                for d in self.dose_ratios
            ]
        )

    def potencies(self, source: str = "") -> list[Potency]:
        """Kb = 10^-pA2 with its CI (from a SIMULATED experiment)."""
        lo, hi = self.pa2_ci
        return [
            Potency(
                compound="balixafortide",
                assay=f"Schild ({self.readout}, SIMULATED)",
                parameter="Kb",
                value_molar=10.0**-self.pa2,
                lower_molar=None if hi is None else 10.0**-hi,
                upper_molar=None if lo is None else 10.0**-lo,
                system=CELL_LINES[self.cell_line].name
                if self.cell_line in CELL_LINES
                else self.cell_line,
                source=source,
            )
        ]


def _row(
    name: str, value: float, lo: float | None, hi: float | None, method: str, truth: float
) -> dict[str, Any]:
    return {
        "estimate": name,
        "value": value,
        "95% CI lower": lo,
        "95% CI upper": hi,
        "CI method": method,
        "model value": truth,
        "model value in CI": None if lo is None or hi is None else bool(lo <= truth <= hi),
    }


def schild_study(
    model: Cxcr4Model | None = None,
    *,
    seed: int = 1,
    antagonist_molar: Sequence[float] = (0.3e-9, 3e-9, 30e-9),
    readout: str = "arrestin",
    cell: str = "engineered",
    noise_pct: float = 0.5,
) -> SchildStudy:
    """Simulate and fit a Schild experiment: CXCL12 1 pM - 10 µM (half-log, duplicate) with no
    balixafortide and at each ``antagonist_molar`` (mol/L, > 0), ``noise_pct`` % Gaussian noise."""
    model = model or Cxcr4Model()
    if readout not in SCHILD_READOUTS:
        raise InputError(
            f"unknown readout {readout!r}; choose one of {', '.join(SCHILD_READOUTS)}",
            field="readout",
        )
    if cell not in CELL_LINES:
        raise InputError(
            f"unknown cell line {cell!r}; choose one of {', '.join(CELL_LINES)}", field="cell"
        )
    levels = sorted(set(float(b) for b in antagonist_molar))
    if len(levels) < 2 or not all(math.isfinite(b) and b > 0 for b in levels):
        raise InputError(
            "needs at least two different antagonist concentrations above 0 mol/L "
            f"(the control without antagonist is added), got {list(antagonist_molar)!r}",
            field="antagonist_molar",
        )
    e = schild_experiment(
        model,
        seed=seed,
        antagonist_molar=(0.0, *levels),
        readout=readout,  # narrowed to a Readout by the check above
        cell=cell,
        noise_pct=noise_pct,
    )
    control = e.fit.log10_ec50_by_antagonist[0]
    dose_ratios = tuple(
        DoseRatio(b, ec, 10.0 ** (ec - control), 1.0 + b / model.kb)
        for b, ec in zip(e.fit.antagonist_molar, e.fit.log10_ec50_by_antagonist, strict=True)
        if b > 0
    )
    regression = schild_regression_ci(
        [d.antagonist_molar for d in dose_ratios], [d.dose_ratio for d in dose_ratios]
    )
    data = e.data
    return SchildStudy(
        readout=readout,
        cell_line=cell,
        seed=seed,
        noise_pct=noise_pct,
        kb_molar=model.kb,
        log10_agonist=tuple(map(float, data["log10 CXCL12 (M)"])),
        antagonist=tuple(map(float, data["balixafortide (M)"])),
        response=tuple(map(float, data["response (%)"])),
        fit=e.fit.fit,
        dose_ratios=dose_ratios,
        regression=regression,
    )
