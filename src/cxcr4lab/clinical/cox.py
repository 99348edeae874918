"""Cox proportional-hazards regression with covariates: the model a statistician writes in R as
``coxph(Surv(time, status) ~ age + sex + ph.ecog + strata(inst))``.

Covariates are numeric (as given) or categorical (treatment contrasts against a chosen reference
level, R's ``relevel``); interactions are products of their terms (R's ``a:b``); strata give
each level its own baseline hazard. The fit is lifelines' ``CoxPHFitter`` (Efron ties, as R's
``coxph`` default); this module builds the design matrix with R's term names and reports what
``summary(coxph)`` does: coefficients, HRs with Wald CIs, the likelihood-ratio and Wald tests,
the concordance, and the proportional-hazards test on Schoenfeld residuals
(lifelines' ``proportional_hazard_test``, rank time transform). Rows with a missing value in
any used column are dropped and counted, as R's ``na.omit``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "CoxModel",
    "CoxResult",
    "CoxTerm",
    "PhTest",
    "fit_cox",
    "parse_categorical",
    "parse_interaction",
]


@dataclass(frozen=True)
class CoxModel:
    """What to fit: columns of the table, categorical references, interactions, strata."""

    time: str
    event: str
    covariates: tuple[str, ...]
    categorical: tuple[tuple[str, str], ...] = ()
    """(column, reference level) of each categorical covariate."""
    interactions: tuple[tuple[str, str], ...] = ()
    strata: tuple[str, ...] = ()
    conf_level: float = 0.95


@dataclass(frozen=True)
class CoxTerm:
    """One model term: log-HR coefficient, SE, HR with its Wald CI, z and two-sided p."""

    term: str
    coef: float
    se: float
    hr: float
    hr_lower: float
    hr_upper: float
    z: float
    p: float


@dataclass(frozen=True)
class PhTest:
    """Test of proportional hazards for one covariate (or ``GLOBAL``): chi-square, df, p."""

    term: str
    chisq: float
    df: int
    p: float


@dataclass(frozen=True)
class CoxResult(Serial):
    """A fitted Cox model on one table; times in ``time_unit``; HRs are unitless."""

    kind: ClassVar[str] = "cox"

    source: str
    model: CoxModel
    time_unit: str
    n: int
    events: int
    dropped: int
    """Rows left out for a missing value in a used column."""
    terms: tuple[CoxTerm, ...]
    loglik_null: float
    loglik: float
    lr_chisq: float
    wald_chisq: float
    df: int
    concordance: float
    ph_tests: tuple[PhTest, ...]
    simulated: bool = False

    @property
    def lr_p(self) -> float:
        return float(stats.chi2.sf(self.lr_chisq, self.df))

    @property
    def wald_p(self) -> float:
        return float(stats.chi2.sf(self.wald_chisq, self.df))

    def summary(self) -> pd.DataFrame:
        """One row per term: coefficient, SE, HR with its CI, z, p."""
        level = f"{self.model.conf_level:.0%}"
        return pd.DataFrame(
            [
                {
                    "term": t.term,
                    "coef (log HR)": t.coef,
                    "SE": t.se,
                    "HR": t.hr,
                    f"HR lower {level}": t.hr_lower,
                    f"HR upper {level}": t.hr_upper,
                    "z": t.z,
                    "p": t.p,
                }
                for t in self.terms
            ]
        )

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []


def _level_text(value: object) -> str:
    """A categorical level as text; 2.0 (a float column read from CSV) is '2', as R shows it."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _design(
    data: pd.DataFrame, model: CoxModel, source: str
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The numeric design matrix (R's term names) and each covariate's columns in it."""
    references = dict(model.categorical)
    columns: dict[str, pd.Series] = {}
    made: dict[str, list[str]] = {}
    for name in model.covariates:
        values = data[name]
        if name in references:
            text = values.map(_level_text)
            levels = sorted(set(text), key=lambda v: (len(v), v))
            reference = references[name]
            if reference not in levels:
                raise InputError(
                    f"reference level {quote(reference)} is not a level of this column; "
                    f"its levels are {', '.join(levels[:20])}",
                    file=source,
                    column=name,
                )
            made[name] = []
            for level in levels:
                if level != reference:
                    term = f"{name}{level}"
                    columns[term] = (text == level).astype(float)
                    made[name].append(term)
        else:
            numbers = pd.to_numeric(values, errors="coerce")
            if numbers.isna().any():
                row = int(numbers.isna().to_numpy().argmax())
                raise InputError(
                    f"is not numeric ({quote(values.iloc[row])}); declare it categorical "
                    f"with --categorical {name}=LEVEL",
                    file=source,
                    column=name,
                )
            columns[name] = numbers.astype(float)
            made[name] = [name]
    for a, b in model.interactions:
        for side in (a, b):
            if side not in made:
                raise InputError(
                    f"interaction {a}:{b} names {quote(side)}, which is not a covariate",
                    field="interaction",
                )
        for ta in made[a]:
            for tb in made[b]:
                term = f"{ta}:{tb}"
                columns[term] = columns[ta] * columns[tb]
                made[f"{a}:{b}"] = [*made.get(f"{a}:{b}", []), term]
    design = pd.DataFrame(columns, index=data.index)
    flat = design.std(ddof=0)
    constant = [c for c in design.columns if not flat[c] > 0]
    if constant:
        raise InputError(
            f"term {quote(constant[0])} is constant in the rows used: it cannot be estimated",
            file=source,
        )
    return design, made


def fit_cox(
    frame: pd.DataFrame,
    model: CoxModel,
    *,
    source: str = "",
    time_unit: str = "days",
    row_base: int = 2,
) -> CoxResult:
    """Fit the Cox model ``model`` to ``frame`` (one row per subject; ``event`` 1 = event,
    0 = censored; ``time`` > 0)."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError, ConvergenceWarning
    from lifelines.statistics import proportional_hazard_test

    used = [model.time, model.event, *model.covariates, *model.strata]
    for column in dict.fromkeys(used):
        if column not in frame.columns:
            raise InputError(
                f"column not found; the columns are {', '.join(map(str, frame.columns[:30]))}",
                file=source,
                column=column,
            )
    if not model.covariates:
        raise InputError("a Cox model needs at least one covariate", field="covariate")
    for column in (c for c, _ in model.categorical if c not in model.covariates):
        raise InputError(
            f"{quote(column)} is declared categorical but is not a covariate", field="categorical"
        )
    data = frame[list(dict.fromkeys(used))].dropna()
    dropped = len(frame) - len(data)
    time = pd.to_numeric(data[model.time], errors="coerce")
    event = pd.to_numeric(data[model.event], errors="coerce")
    valid_time = time.notna() & (time > 0) & np.isfinite(time)
    for name, bad, what in (
        (model.time, ~valid_time, "a time > 0"),
        (model.event, ~event.isin([0, 1]), "0 (censored) or 1 (event)"),
    ):
        if bad.any():
            index = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"must be {what}; got {quote(data[name].iloc[index])}",
                file=source,
                row=int(data.index[index]) + row_base,
                column=name,
            )
    events = int(event.sum())
    design, _ = _design(data, model, source)
    if events < design.shape[1] + 1:
        raise InputError(
            f"has {events} events for {design.shape[1]} terms: too few to fit", file=source
        )
    table = design.assign(_time=time.astype(float), _event=event.astype(int))
    strata = list(model.strata)
    for s in strata:
        table[f"_stratum_{s}"] = data[s].map(_level_text)
    strata_cols = [f"_stratum_{s}" for s in strata] or None
    cph = CoxPHFitter(alpha=1 - model.conf_level)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            cph.fit(table, duration_col="_time", event_col="_event", strata=strata_cols)
        except (ConvergenceError, ConvergenceWarning) as exc:
            reason = str(exc).split(".")[0]
            raise InputError(
                f"the Cox model did not converge ({reason}); check for a covariate that "
                "separates events from censored subjects, or too few events",
                file=source,
            ) from None
    z_crit = float(stats.norm.ppf(0.5 + model.conf_level / 2))
    terms = []
    for term in design.columns:
        b = float(cph.params_[term])
        se = float(cph.standard_errors_[term])
        z = b / se
        terms.append(
            CoxTerm(
                term,
                b,
                se,
                math.exp(b),
                math.exp(b - z_crit * se),
                math.exp(b + z_crit * se),
                z,
                float(2 * stats.norm.sf(abs(z))),
            )
        )
    beta = cph.params_.to_numpy()
    wald = float(beta @ np.linalg.solve(cph.variance_matrix_.to_numpy(), beta))
    lr = cph.log_likelihood_ratio_test()
    loglik = float(cph.log_likelihood_)
    ph = proportional_hazard_test(cph, table, time_transform="rank")
    ph_frame = ph.summary
    ph_tests = [
        PhTest(str(name), float(row["test_statistic"]), 1, float(row["p"]))
        for name, row in ph_frame.iterrows()
    ]
    return CoxResult(
        source=source,
        model=model,
        time_unit=time_unit,
        n=len(data),
        events=events,
        dropped=dropped,
        terms=tuple(terms),
        loglik_null=loglik - float(lr.test_statistic) / 2,
        loglik=loglik,
        lr_chisq=float(lr.test_statistic),
        wald_chisq=wald,
        df=len(terms),
        concordance=float(cph.concordance_index_),
        ph_tests=tuple(ph_tests),
    )


def parse_categorical(text: str) -> tuple[str, str]:
    """``"sex=1"`` -> ("sex", "1"): a categorical covariate and its reference level."""
    column, sep, reference = text.partition("=")
    if not (sep and column.strip() and reference.strip()):
        raise ValueError("expected COLUMN=REFERENCE, e.g. sex=1")
    return column.strip(), reference.strip()


def parse_interaction(text: str) -> tuple[str, str]:
    """``"age:sex"`` -> ("age", "sex")."""
    a, sep, b = text.partition(":")
    if not (sep and a.strip() and b.strip()) or ":" in b:
        raise ValueError("expected A:B, two covariates, e.g. age:sex")
    return a.strip(), b.strip()
