"""Cox proportional-hazards regression with covariates: the model a statistician writes in R as
``coxph(Surv(time, status) ~ age + sex + ph.ecog + strata(inst), ties = "efron")``.

Covariates are numeric (as given) or categorical (treatment contrasts against a chosen reference
level, R's ``relevel``); interactions are products of their terms (R's ``a:b``); strata give
each level its own baseline hazard; tied event times are handled as Efron (R's default) or
Breslow (SAS PHREG's and Stata's default) approximate. This module builds the design matrix
with R's term names and reports what ``summary(coxph)`` and ``cox.zph`` do: coefficients, HRs
with Wald CIs, the likelihood-ratio, Wald and score tests, the concordance, and the
proportional-hazards test per term and global (survival 3.x's ``cox.zph``, rank time). The
numbers come from :mod:`cxcr4lab.clinical._coxph` (statsmodels' ``PHReg`` partial likelihood
maximised as ``coxph`` does). Rows with a missing value in any used column are dropped and
counted, as R's ``na.omit``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial, stored

__all__ = [
    "CoxModel",
    "CoxResult",
    "CoxTerm",
    "PhTest",
    "Ties",
    "fit_cox",
    "parse_categorical",
    "parse_interaction",
]


Ties = Literal["efron", "breslow"]
"""How tied event times enter the partial likelihood (R's ``coxph(ties = ...)``)."""


@stored(omit_default=("ties",))
@dataclass(frozen=True)
class CoxModel:
    """What to fit: columns of the table, categorical references, interactions, strata, ties."""

    time: str
    event: str
    covariates: tuple[str, ...]
    categorical: tuple[tuple[str, str], ...] = ()
    """(column, reference level) of each categorical covariate."""
    interactions: tuple[tuple[str, str], ...] = ()
    strata: tuple[str, ...] = ()
    conf_level: float = 0.95
    ties: Ties = "efron"


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
    """Test of proportional hazards for one model term (R's term label: ``sex`` for all its
    levels, ``age:sex``) or ``GLOBAL``: chi-square, df, p, as ``cox.zph(fit)$table``."""

    term: str
    chisq: float
    df: int
    p: float


@stored(omit_default=("score_chisq",))
@dataclass(frozen=True)
class CoxResult(Serial):
    """A fitted Cox model on one table; times in ``time_unit``; HRs are unitless.

    ``score_chisq`` is the score (log-rank) test of the whole model; None in results stored
    before it was reported, whose fit was lifelines' (all Efron ties) and whose ``ph_tests`` are
    the Grambsch-Therneau approximation per column (see :attr:`ph_method`)."""

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
    score_chisq: float | None = None

    @property
    def lr_p(self) -> float:
        return float(stats.chi2.sf(self.lr_chisq, self.df))

    @property
    def wald_p(self) -> float:
        return float(stats.chi2.sf(self.wald_chisq, self.df))

    @property
    def ph_method(self) -> str:
        """How ``ph_tests`` were computed, in words."""
        if self.score_chisq is None:
            return "Grambsch-Therneau approximation on Schoenfeld residuals, rank time"
        return "score test of a coefficient changing with rank time, as survival's cox.zph"

    @property
    def score_p(self) -> float | None:
        if self.score_chisq is None:
            return None
        return float(stats.chi2.sf(self.score_chisq, self.df))

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
    centred = (design - design.mean()).to_numpy()
    for j in range(1, design.shape[1]):
        if np.linalg.matrix_rank(centred[:, : j + 1]) <= j:
            raise InputError(
                f"term {quote(design.columns[j])} is a linear combination of the terms before "
                "it in the rows used (collinear): it cannot be estimated",
                file=source,
            )
    return design, made


def _check_survival(
    data: pd.DataFrame, model: CoxModel, source: str, row_base: int
) -> tuple[pd.Series, pd.Series]:
    """The time (> 0) and event (0/1) columns as numbers, or one error naming the first bad
    row."""
    time = pd.to_numeric(data[model.time], errors="coerce")
    event = pd.to_numeric(data[model.event], errors="coerce")
    r_coding = bool(event.notna().all() and event.isin([1, 2]).all() and (event == 2).any())
    hint = " (R's 1 = censored, 2 = event coding? recode it as 0/1)" if r_coding else ""
    checks = (
        (model.time, time.isna(), "a number (a time > 0)"),
        (model.time, ~(np.isfinite(time) & (time > 0)), "a time > 0"),
        (model.event, ~event.isin([0, 1]), f"0 (censored) or 1 (event){hint}"),
    )
    for name, bad, what in checks:
        if bad.any():
            index = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"must be {what}; got {quote(data[name].iloc[index])}",
                file=source,
                row=int(data.index[index]) + row_base,
                column=name,
            )
    return time.astype(float), event.astype(float)


def fit_cox(
    frame: pd.DataFrame,
    model: CoxModel,
    *,
    source: str = "table",
    time_unit: str = "days",
    row_base: int = 2,
) -> CoxResult:
    """Fit the Cox model ``model`` to ``frame`` (one row per subject; ``event`` 1 = event,
    0 = censored; ``time`` > 0), as ``coxph(..., ties = model.ties)`` does.

    ``row_base`` is the file row of the frame's index 0 (2: a header line, then data), so an
    error names the row a person sees in the file.
    """
    from scipy.stats import rankdata

    from cxcr4lab.clinical._coxph import (
        NotConverged,
        concordance,
        linear_predictor,
        newton,
        zph,
    )

    if model.ties not in get_args(Ties):
        raise InputError(
            f"must be one of {', '.join(map(repr, get_args(Ties)))}; got {quote(model.ties)}",
            field="ties",
        )
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
    if data.empty:
        raise InputError("has no row without a missing value in the columns used", file=source)
    time, event = _check_survival(data, model, source, row_base)
    events = int(event.sum())
    design, made = _design(data, model, source)
    if events < design.shape[1] + 1:
        raise InputError(
            f"has {events} events for {design.shape[1]} terms: too few to fit", file=source
        )
    strata = None
    if model.strata:
        groups = data.groupby(list(model.strata), sort=True).ngroup()
        strata = groups.to_numpy(dtype=np.int64)
    x = design.to_numpy(dtype=float)
    t, d = time.to_numpy(), event.to_numpy()
    try:
        fit = newton(t, d, x, strata, model.ties)
    except NotConverged as exc:
        which = "" if exc.term is None else f" for {quote(design.columns[exc.term])}"
        raise InputError(
            f"the Cox model did not converge ({exc}{which}); check for a covariate that "
            "separates events from censored subjects, or too few events",
            file=source,
        ) from None
    z_crit = float(stats.norm.ppf(0.5 + model.conf_level / 2))
    terms = []
    for term, b, variance in zip(design.columns, fit.beta, np.diag(fit.var), strict=True):
        se = math.sqrt(float(variance))
        z = float(b) / se
        terms.append(
            CoxTerm(
                str(term),
                float(b),
                se,
                math.exp(b),
                math.exp(b - z_crit * se),
                math.exp(b + z_crit * se),
                z,
                float(2 * stats.norm.sf(abs(z))),
            )
        )
    wald = float(fit.beta @ np.linalg.solve(fit.var, fit.beta))
    position = {c: j for j, c in enumerate(design.columns)}
    labels_of = {name: [position[c] for c in columns] for name, columns in made.items()}
    per_term, overall = zph(
        t, d, x, fit.beta, strata, model.ties, rankdata(t), list(labels_of.values())
    )
    ph_tests = [
        PhTest(name, z.chisq, z.df, float(stats.chi2.sf(z.chisq, z.df)))
        for name, z in zip([*labels_of, "GLOBAL"], [*per_term, overall], strict=True)
    ]
    return CoxResult(
        source=source,
        model=model,
        time_unit=time_unit,
        n=len(data),
        events=events,
        dropped=dropped,
        terms=tuple(terms),
        loglik_null=fit.loglik_null,
        loglik=fit.loglik,
        lr_chisq=2 * (fit.loglik - fit.loglik_null),
        wald_chisq=wald,
        df=len(terms),
        concordance=concordance(t, d, linear_predictor(x, fit.beta), strata),
        ph_tests=tuple(ph_tests),
        score_chisq=fit.score_chisq,
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
