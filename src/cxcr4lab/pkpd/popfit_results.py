"""The result of a population PK fit (``popfit``): estimates with units and CIs, individual
parameters, the data behind it and the fit's diagnostics.

Omega is reported as the SD of each eta and as the CV % of the log-normal parameter,
``100 sqrt(exp(omega^2) - 1)``; a proportional residual error as a fraction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cxcr4lab.core.serial import Serial
from cxcr4lab.fit.nlme_result import NlmeResult
from cxcr4lab.pkpd.popfit_settings import PopFitSettings

__all__ = ["PopEstimate", "PopFitResult", "PopObservations"]


@dataclass(frozen=True)
class PopEstimate:
    """One reported parameter: its kind (theta, covariate, omega, sigma), value with unit, SE,
    CI at the fit's level and, for an omega, the CV % of the parameter."""

    name: str
    kind: str
    value: float
    unit: str
    se: float | None
    ci_lower: float | None
    ci_upper: float | None
    cv_percent: float | None = None
    shrinkage_percent: float | None = None

    @property
    def rse_percent(self) -> float | None:
        return None if self.se is None or self.value == 0 else 100.0 * self.se / abs(self.value)


@dataclass(frozen=True)
class PopObservations:
    """The observations with the fit's predictions (concentration unit, h): PRED at eta = 0,
    IPRED at the EBEs, and the weighted residuals of the diagnostics."""

    subject: tuple[str, ...]
    time: tuple[float, ...]
    dv: tuple[float, ...]
    blq: tuple[bool, ...]
    pred: tuple[float, ...]
    ipred: tuple[float, ...]
    iwres: tuple[float, ...]
    cwres: tuple[float | None, ...]
    npde: tuple[float | None, ...]

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "subject": list(self.subject),
                "time": list(self.time),
                "dv": list(self.dv),
                "blq": list(self.blq),
                "pred": list(self.pred),
                "ipred": list(self.ipred),
                "iwres": list(self.iwres),
                "cwres": [np.nan if v is None else v for v in self.cwres],
                "npde": [np.nan if v is None else v for v in self.npde],
            }
        )


@dataclass(frozen=True)
class PopFitResult(Serial):
    """A population fit of one data set, with the settings that produced it."""

    kind: ClassVar[str] = "popfit"

    source: str
    settings: PopFitSettings
    fit: NlmeResult
    estimates: tuple[PopEstimate, ...]
    units: tuple[tuple[str, str], ...]
    parameter_names: tuple[str, ...]
    subjects: tuple[str, ...]
    individual: tuple[tuple[float, ...], ...]
    covariate_names: tuple[str, ...]
    covariate_values: tuple[tuple[float, ...], ...]
    n_doses: int
    n_blq: int
    observations: PopObservations
    diagnostics_summary: tuple[tuple[str, float | None], ...] = ()
    vpc: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
    notes: tuple[str, ...] = ()
    effects: tuple[tuple[str, str, str, float], ...] = ()
    """The covariate effects as fitted: (parameter, covariate, kind, reference or level)."""

    @property
    def flags(self) -> tuple[str, ...]:
        return self.fit.flags

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []

    @property
    def unit(self) -> dict[str, str]:
        return dict(self.units)

    def estimate(self, name: str) -> PopEstimate:
        for e in self.estimates:
            if e.name == name:
                return e
        raise KeyError(name)

    @property
    def typical(self) -> dict[str, float]:
        """Typical values of the structural parameters (natural units, reference covariates)."""
        return {
            e.name: e.value
            for e in self.estimates
            if e.kind == "theta" and e.name in self.parameter_names
        }

    def summary(self) -> pd.DataFrame:
        """One row per parameter: its name, kind, estimate, unit, SE, RSE %, CI, CV % and
        shrinkage %."""
        pct = f"{100 * self.fit.level:g}"
        return pd.DataFrame(
            {
                "parameter": [e.name for e in self.estimates],
                "kind": [e.kind for e in self.estimates],
                "estimate": [e.value for e in self.estimates],
                "unit": [e.unit for e in self.estimates],
                "se": [_nan(e.se) for e in self.estimates],
                "rse_percent": [_nan(e.rse_percent) for e in self.estimates],
                f"ci{pct}_lower": [_nan(e.ci_lower) for e in self.estimates],
                f"ci{pct}_upper": [_nan(e.ci_upper) for e in self.estimates],
                "cv_percent": [_nan(e.cv_percent) for e in self.estimates],
                "shrinkage_percent": [_nan(e.shrinkage_percent) for e in self.estimates],
            }
        )

    def individual_table(self) -> pd.DataFrame:
        """Per subject: the individual parameters (at the EBEs, natural units), the between-
        subject etas and the data's subject covariates."""
        frame = pd.DataFrame([list(r) for r in self.individual], columns=list(self.parameter_names))
        frame.insert(0, "subject", list(self.subjects))
        ebe = self.fit.ebe_frame
        for name in self.fit.eta_names:
            if "@" not in name:
                frame[f"eta({name})"] = ebe[name].to_numpy()
        for k, name in enumerate(self.covariate_names):
            frame[name] = [row[k] for row in self.covariate_values]
        return frame

    def vpc_table(self) -> pd.DataFrame:
        """The visual predictive check, one row per bin (empty when not computed)."""
        return pd.DataFrame({k: [_nan(v) for v in col] for k, col in self.vpc})

    def fit_statistics(self) -> dict[str, Any]:
        """OFV (-2 log L), NONMEM's OFV (without N log 2 pi), AIC, BIC, counts, condition."""
        f = self.fit
        return {
            "method": f.method,
            "ofv": f.ofv,
            "ofv_nonmem": f.ofv_nonmem,
            "aic": f.aic,
            "bic": f.bic,
            "n_subjects": f.n_subjects,
            "n_observations": f.n_obs,
            "n_blq": self.n_blq,
            "n_doses": self.n_doses,
            "n_parameters": f.n_params,
            "condition_number": f.condition_number,
            "converged": f.converged,
        }

    def population(self) -> dict[str, Any]:
        """What a population simulation needs: the model, typical values (natural units),
        the log-scale Omega over the BSV parameters and the residual error."""
        f = self.fit
        bsv = [n for n in f.eta_names if "@" not in n]
        idx = [f.eta_names.index(n) for n in bsv]
        om = f.omega_matrix[np.ix_(idx, idx)]
        sigma = {e.name: e.value for e in self.estimates if e.kind == "sigma"}
        return {
            "model": self.settings.model,
            "typical": self.typical,
            "eta": bsv,
            "omega": om.tolist(),
            "cv_percent": {n: 100 * math.sqrt(math.expm1(om[i, i])) for i, n in enumerate(bsv)},
            "sigma": sigma,
            "covariates": [e.name for e in self.estimates if e.kind == "covariate"],
        }

    def regimen_parameters(
        self, reference_weight_kg: float = 70.0
    ) -> tuple[tuple[tuple[str, float, float, float], ...], tuple[tuple[float, ...], ...]]:
        """The estimated 2-compartment PK as the regimen simulation takes it: per parameter
        (CL, V1, Q, V2) its typical value at ``reference_weight_kg`` (L/h, L), omega^2 and
        body-weight exponent, and the correlation matrix of the four etas. Refuses a model
        that is not a 2-compartment IV model, units that are not L and L/h, and covariates
        other than body weight (the simulation samples weight only)."""
        from cxcr4lab.core.errors import InputError, quote

        place = "popfit"
        if self.settings.model not in ("2cmt-iv", "2cmt-infusion"):
            raise InputError(
                f"the regimen simulation takes a 2-compartment IV model; this fit is "
                f"{quote(self.settings.model)}",
                field=place,
            )
        if self.unit.get("v") != "L":
            raise InputError(
                f"volumes must be in L (dose and concentration units giving L); this fit has "
                f"{quote(self.unit.get('v'))}",
                field=place,
            )
        values = {e.name: e for e in self.estimates}
        exponent = dict.fromkeys(("CL", "V1", "Q", "V2"), 0.0)
        typical = {n: self.typical[n] for n in exponent}
        for param, cov, kind, ref in self.effects:
            if cov.upper() not in ("WT", "WEIGHT", "BW", "BODYWEIGHT"):
                raise InputError(
                    f"covariate {param}~{cov}: the regimen simulation samples body weight only",
                    field=place,
                )
            if kind == "allometric":
                e = 0.75 if param == "CL" or param.startswith("Q") else 1.0
            elif kind == "power":
                e = values[f"{param}~{cov}"].value
            else:
                raise InputError(
                    f"covariate {param}~{cov}: a {kind} weight effect cannot be carried; use "
                    "power or allometric",
                    field=place,
                )
            exponent[param] += e
            typical[param] *= (reference_weight_kg / ref) ** e
        f = self.fit
        names = ("CL", "V1", "Q", "V2")
        om = np.zeros((4, 4))
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                if a in f.eta_names and b in f.eta_names:
                    om[i, j] = f.omega_matrix[f.eta_names.index(a), f.eta_names.index(b)]
        sd = np.sqrt(np.diag(om))
        corr = np.eye(4)
        for i in range(4):
            for j in range(4):
                if i != j and sd[i] > 0 and sd[j] > 0:
                    corr[i, j] = om[i, j] / (sd[i] * sd[j])
        params = tuple(
            (n, float(typical[n]), float(om[i, i]), float(exponent[n])) for i, n in enumerate(names)
        )
        return params, tuple(tuple(float(v) for v in row) for row in corr)


def _nan(v: float | None) -> float:
    return math.nan if v is None else v
