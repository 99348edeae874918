"""Inputs and results of compartmental PK fits (:mod:`cxcr4lab.pkpd.pkfit`).

:class:`DoseRecord` and :class:`PkFitSettings` go in; :class:`SubjectPkFit` (one subject) and
:class:`PkFitResult` (kind ``pkfit``, a whole table) come out. Every number is a plain float, so
a result round-trips through JSON (``to_dict`` / ``from_dict``) and compares equal afterwards.
Missing values (the SE of a parameter that cannot be estimated, the CI side of an overflow)
are ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial, stored
from cxcr4lab.pkpd.compartments import MODEL_NAMES, Doses, Structure, concentrations, disposition

__all__ = [
    "MODEL_CHOICES",
    "PKFIT_FLAGS",
    "ROUTES",
    "WEIGHTINGS",
    "DoseRecord",
    "Estimate",
    "PkFitResult",
    "PkFitSettings",
    "SubjectPkFit",
    "dose_arrays",
    "route_name",
]

Array = NDArray[np.float64]

MODEL_CHOICES = (*MODEL_NAMES, "auto")
ROUTES = ("iv", "oral")
WEIGHTINGS = ("none", "1/y", "1/y^2")

PKFIT_FLAGS: dict[str, str] = {
    "failed": "the subject could not be fitted (see the note)",
    "not_converged": "the fit did not converge",
    "ambiguous": "a parameter is not identifiable from these data (no standard error)",
    "wide_ci": "the 95% CI of a parameter spans more than a factor of 100",
    "flip_flop": "ka is below the terminal disposition rate: the terminal phase is absorption",
}


# --------------------------------------------------------------------------------------------
# inputs and settings


@dataclass(frozen=True)
class DoseRecord:
    """One dose: ``time`` (h), ``amount`` (dose unit), ``duration`` (h; > 0 = zero-order IV
    infusion, 0 = bolus) and ``route`` (``"iv"`` or ``"oral"``)."""

    time: float
    amount: float
    duration: float = 0.0
    route: str = "iv"


@dataclass(frozen=True)
class PkFitSettings(Serial):
    """How to fit. ``model``: ``1cmt``, ``2cmt``, ``3cmt`` or ``auto`` (lowest AICc);
    ``route``: ``iv`` or ``oral`` for tables without a route (NCA form: default oral, as the
    NCA's "extravascular"; NONMEM form: required); ``weights``: ``none``, ``1/y``, ``1/y^2``."""

    model: str = "auto"
    route: str | None = None
    weights: str = "none"
    conc_unit: str = "mg/L"
    dose_unit: str = "mg"
    lloq: float | None = None
    profile: bool = False

    def __post_init__(self) -> None:
        checks = (
            ("model", self.model, MODEL_CHOICES),
            ("weights", self.weights, WEIGHTINGS),
            ("route", self.route, (None, *ROUTES)),
        )
        for name, value, allowed in checks:
            if value not in allowed:
                shown = ", ".join(str(a) for a in allowed if a is not None)
                raise InputError(f"must be one of {shown}; got {quote(value)}", field=name)
        if self.lloq is not None and not (math.isfinite(self.lloq) and self.lloq > 0):
            raise InputError(f"must be a positive number; got {quote(self.lloq)}", field="lloq")


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Estimate:
    """A parameter in display units with its SE and 95% CI (``None`` where not estimable)."""

    name: str
    value: float
    unit: str
    se: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None

    @property
    def rse_percent(self) -> float | None:
        """Relative standard error, 100 SE / value."""
        return None if self.se is None else 100.0 * self.se / abs(self.value)


@dataclass(frozen=True)
class SubjectPkFit(Serial):
    """The fit of one subject; a failed subject has ``error`` set and no estimates.

    ``log_values``/``log_covariance`` are the fitted natural logs of the parameters in the model's
    native units (dose unit, concentration unit, h), ``vfactor`` converts native volumes and
    clearances to the display units of ``estimates``.
    """

    subject: str
    route: str
    model: str
    weights: str
    doses: tuple[DoseRecord, ...]
    time: tuple[float, ...]
    conc: tuple[float, ...]
    estimates: tuple[Estimate, ...] = ()
    secondary: tuple[Estimate, ...] = ()
    log_values: tuple[float, ...] = ()
    log_covariance: tuple[tuple[float, ...], ...] | None = None
    vfactor: float = 1.0
    rss: float | None = None
    aicc: float | None = None
    dof: int = 0
    converged: bool = False
    candidates: tuple[tuple[str, float | None], ...] = ()
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None

    @property
    def structure(self) -> Structure:
        return Structure.named(self.model, oral=self.route == "oral")

    @property
    def params(self) -> dict[str, float]:
        """Estimates in display units, by name."""
        return {e.name: e.value for e in self.estimates}

    @property
    def sigma(self) -> float | None:
        """Residual standard deviation (weighted scale), sqrt(RSS / dof)."""
        return None if self.rss is None or self.dof <= 0 else math.sqrt(self.rss / self.dof)

    def estimate(self, name: str) -> Estimate:
        for e in (*self.estimates, *self.secondary):
            if e.name == name:
                return e
        raise KeyError(name)

    def predict(self, times: ArrayLike) -> Array:
        """Fitted concentrations (concentration unit) at ``times`` (h)."""
        if not self.log_values:
            raise InputError("this subject was not fitted", field=f"subject {self.subject}")
        P = np.exp(np.asarray(self.log_values))[None, :]
        C = concentrations(
            self.structure, P, dose_arrays(self.doses), np.asarray(times, dtype=float)
        )
        return np.asarray(C[0], dtype=np.float64)

    def disposition_terms(self) -> tuple[tuple[float, float], ...]:
        """(coefficient, rate) pairs of C(t) = sum coefficient * exp(-rate t) after a unit IV
        bolus (coefficient in concentration per dose unit, rate in 1/h), terminal first."""
        P = np.exp(np.asarray(self.log_values))[None, :]
        k, c = disposition(self.structure, P)
        return tuple((float(ci), float(ki)) for ci, ki in zip(c[0], k[0], strict=True))


@stored(order=("source", "settings", "units"))  # then subjects
@dataclass(frozen=True)
class PkFitResult(Serial):
    """Compartmental fits of every subject of one table, with the settings that produced them."""

    kind: ClassVar[str] = "pkfit"

    source: str
    settings: PkFitSettings
    subjects: tuple[SubjectPkFit, ...]
    units: Mapping[str, str] = field(default_factory=dict)

    def subject(self, name: str) -> SubjectPkFit:
        for s in self.subjects:
            if s.subject == name:
                return s
        raise KeyError(name)

    def label(self, name: str, route: str) -> str:
        """Display name: ``CL/F`` etc. for oral doses (apparent parameters)."""
        apparent = route == "oral" and (name[0] in "VQ" or name.startswith("CL"))
        return f"{name}/F" if apparent else name

    def summary(self) -> pd.DataFrame:
        """One row per subject: model, AICc, each estimate with its 95% CI and unit, flags."""
        rows: list[dict[str, Any]] = []
        for s in self.subjects:
            row: dict[str, Any] = {
                "subject": s.subject,
                "route": s.route,
                "model": s.model,
                "weights": s.weights,
                "n": len(s.time),
                "AICc": s.aicc,
            }
            for e in (*s.estimates, *s.secondary):
                head = f"{self.label(e.name, s.route)} ({e.unit})"
                row[head] = e.value
                row[f"{head} CI lower"] = e.ci_lower
                row[f"{head} CI upper"] = e.ci_upper
                row[f"{self.label(e.name, s.route)} RSE (%)"] = e.rse_percent
            row["flags"] = ",".join(s.flags)
            row["error"] = s.error or ""
            rows.append(row)
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Any]:
        """PK fits yield no potencies (app protocol)."""
        return []


def dose_arrays(records: Sequence[DoseRecord]) -> Doses:
    """Dose records as the arrays :func:`~cxcr4lab.pkpd.compartments.concentrations` takes."""
    return Doses.of([(r.time, r.amount, r.duration) for r in records])


def route_name(records: Sequence[DoseRecord]) -> str:
    """``oral``, ``infusion`` (any dose with a duration) or ``iv bolus``."""
    if records[0].route == "oral":
        return "oral"
    return "infusion" if any(r.duration > 0 for r in records) else "iv bolus"
