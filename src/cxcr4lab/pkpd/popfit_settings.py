"""Settings of a population PK fit (``popfit``) and the covariate mini-language.

A covariate effect is written ``PARAM~COV[:KIND[=REF]]``, e.g. ``CL~WT:allometric``
(fixed exponent 0.75 on clearances, 1 on volumes, reference 70), ``CL~WT:power`` (estimated
exponent, reference the median), ``V1~AGE:linear=40`` or ``CL~SEX:categorical=1`` (the ratio
of level 1 to the others). The covariate name is matched to a column of the data without
regard to case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial, stored
from cxcr4lab.fit.nlme_map import COVARIATE_KINDS

__all__ = [
    "ERRORS",
    "METHODS",
    "OMEGAS",
    "CovariateSpec",
    "PopFitSettings",
    "parse_covariate",
]

ERRORS = ("additive", "proportional", "combined")
METHODS = ("foce-i", "laplace", "saem")
OMEGAS = ("diagonal", "block")


@dataclass(frozen=True)
class CovariateSpec:
    """A parsed ``PARAM~COV[:KIND[=REF]]``; ``reference`` None: the default of the kind."""

    parameter: str
    covariate: str
    kind: str = "power"
    reference: float | None = None

    @property
    def text(self) -> str:
        ref = "" if self.reference is None else f"={self.reference:g}"
        return f"{self.parameter}~{self.covariate}:{self.kind}{ref}"


def parse_covariate(text: str) -> CovariateSpec:
    """``CL~WT:allometric`` -> its parts (see the module docstring).

    >>> parse_covariate("CL~WT:allometric")
    CovariateSpec(parameter='CL', covariate='WT', kind='allometric', reference=None)
    >>> parse_covariate("V1~SEX:categorical=1").reference
    1.0
    """
    param, tilde, rest = text.strip().partition("~")
    cov, _, kind_ref = rest.partition(":")
    kind, eq, ref = kind_ref.partition("=")
    kind = kind.strip().lower() or "power"
    if not (tilde and param.strip() and cov.strip()):
        raise ValueError("expected PARAM~COVARIATE[:KIND[=REF]], e.g. CL~WT:allometric")
    if kind not in COVARIATE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(COVARIATE_KINDS)}, got {kind!r}")
    reference: float | None = None
    if eq:
        try:
            reference = float(ref)
        except ValueError:
            raise ValueError(f"reference must be a number, got {ref!r}") from None
        if not math.isfinite(reference):
            raise ValueError(f"reference must be finite, got {ref!r}")
    return CovariateSpec(param.strip(), cov.strip(), kind, reference)


@stored(omit_default=("model_file", "model_source"))
@dataclass(frozen=True)
class PopFitSettings(Serial):
    """How to fit a population PK model; units as text, times in h.

    ``bsv``: parameters with a between-subject eta (empty: CL and the central volume, and ka
    for oral models); ``bov``: parameters with a between-occasion eta (needs an ``OCC``
    column); ``start``: start values (natural units) as (name, value) pairs.
    """

    model: str = "1cmt-oral"
    bsv: tuple[str, ...] = ()
    error: str = "combined"
    covariates: tuple[str, ...] = ()
    bov: tuple[str, ...] = ()
    method: str = "foce-i"
    omega: str = "diagonal"
    lloq: float | None = None
    conc_unit: str = "mg/L"
    dose_unit: str = "mg"
    start: tuple[tuple[str, float], ...] = ()
    vpc_replicates: int = 200
    seed: int = 1
    model_file: str | None = None
    """A user ODE model (the text of a model file, :mod:`cxcr4lab.sim.model_file`), stored
    whole so the analysis says what was fitted; it replaces ``model``."""
    model_source: str = "model.toml"
    """The name of the model file."""

    def __post_init__(self) -> None:
        from cxcr4lab.pkpd.popfit_model import MODEL_NAMES

        for name, value, allowed in (
            ("model", self.model, MODEL_NAMES),
            ("error", self.error, ERRORS),
            ("method", self.method, METHODS),
            ("omega", self.omega, OMEGAS),
        ):
            if value not in allowed:
                raise InputError(
                    f"must be one of {', '.join(allowed)}; got {quote(value)}", field=name
                )
        if self.lloq is not None and not (math.isfinite(self.lloq) and self.lloq > 0):
            raise InputError(f"must be a positive number; got {quote(self.lloq)}", field="lloq")
        if self.vpc_replicates < 0:
            raise InputError(
                f"must be >= 0; got {quote(self.vpc_replicates)}", field="vpc_replicates"
            )
        for text in self.covariates:
            try:
                parse_covariate(text)
            except ValueError as exc:
                raise InputError(str(exc), field=f"covariate {text}") from None
        if self.model_file is not None:
            from cxcr4lab.sim.model_file import parse_model_file

            mfile = parse_model_file(self.model_file, source=self.model_source)
            if mfile.depot is None and mfile.central is None:
                raise InputError(
                    "a model file for popfit needs a [data] table (observe, depot or central)",
                    file=self.model_source,
                    field="data",
                )
            if self.bov:
                raise InputError(
                    "between-occasion variability is not available for ODE models", field="bov"
                )
            if not self.bsv:
                raise InputError(
                    "name the parameters with variability for an ODE model", field="bsv"
                )
        for pname, start in self.start:
            if not (math.isfinite(start) and start > 0):
                raise InputError(f"start value must be > 0, got {quote(start)}", field=pname)

    @property
    def covariate_specs(self) -> tuple[CovariateSpec, ...]:
        return tuple(parse_covariate(t) for t in self.covariates)
