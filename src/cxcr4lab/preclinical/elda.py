"""Extreme limiting-dilution analysis (ELDA): the frequency of repopulating cells per group.

Hu & Smyth 2009 (J Immunol Methods 347:70), as R statmod's ``elda``/``limdil`` computes it.
Under the single-hit Poisson model a recipient given ``d`` cells of a graft whose active
(SCID-repopulating, SRC) cells have frequency ``f`` is negative with probability
``exp(-f d)``; so ``P(positive) = 1 - exp(-f d)``, a binomial GLM with complementary log-log
link, offset ``log(d)`` and intercept ``log f`` (fitted with statsmodels, per group).

Per group the estimate is ``1/f`` (cells per one active cell) with a Wald CI on ``log f``
(``confidence``, default 95%); ELDA's "extreme" cases:

* every recipient negative: ``1/f`` = Inf, lower end Inf, upper end ``1/U`` with
  ``U = -log(1 - confidence) / sum(d x tested)`` (one-sided, Clopper-Pearson-like);
* every recipient positive: ``1/f`` = 1 (its floor), upper end 1, lower end ``1/U`` where
  ``sum(tested x log(1 - exp(-U d))) = log(1 - confidence)``.

Every end is floored at 1 cell (statmod's ``pmax(CI, 1)``). With ``observed=True`` the doses
are actual, not expected, cell numbers (statmod's ``observed``): ``1/f = -1/expm1(-exp(a))``.

Tests: the likelihood-ratio chi-square of differences between groups (one frequency for all vs
one per group, ``groups - 1`` df), and with more than two groups the same test for every pair; the single-hit model's goodness of fit: the log-dose slope
(free slope with a group term; Wald and likelihood-ratio tests that it is 1, and the score test
on ``log(dose)``), the score test on ``dose`` (Gart & Weiss 1967: negative suggests
heterogeneity), as statmod's ``test.unit.slope``; and the deviance of the single-hit model
against the saturated one (``rows - groups`` df; a large chi-square: heterogeneity or a wrong
model). Groups where every recipient is negative (or positive) carry no information on the slope
and are left out of the slope fit (the limit of statmod's diverging fit).

Input: one row per group and dose: ``group`` (optional), ``dose`` (cells), ``tested``,
``positive`` (:func:`read_dilutions`).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import brentq
from scipy.stats import chi2, norm

from cxcr4lab.core.errors import FitError, InputError, Place, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.tables import numeric_column

__all__ = [
    "ChiSquareTest",
    "DilutionRow",
    "EldaResult",
    "EldaSettings",
    "GroupFrequency",
    "PairTest",
    "SlopeTests",
    "elda",
    "read_dilutions",
]

Extreme = Literal["", "all_negative", "all_positive"]

_GROUP = ("group", "regimen", "arm", "graft", "population")
_DOSE = ("dose", "cells", "dose_cells", "cell_dose", "cells_transplanted", "cells_injected")
_TESTED = ("tested", "n_tested", "mice", "recipients", "n", "wells")
_POSITIVE = ("positive", "positives", "response", "responses", "engrafted", "n_positive")


@dataclass(frozen=True)
class EldaSettings:
    """The CI level and whether doses are actual cell numbers (statmod's ``observed``)."""

    confidence: float = 0.95
    observed: bool = False

    def __post_init__(self) -> None:
        if not (0 < self.confidence < 1):
            raise InputError(
                f"confidence must be strictly between 0 and 1, got {quote(self.confidence)}",
                field="confidence",
            )


@dataclass(frozen=True)
class DilutionRow:
    """One group at one dose: recipients tested and positive, and where the row came from."""

    group: str
    dose: float
    """Cells given per recipient."""
    tested: int
    positive: int
    origin: str = ""


@dataclass(frozen=True)
class GroupFrequency:
    """One group's active-cell frequency as ``1/f`` (cells per active cell) with its CI.

    ``lower`` is the end with the fewest active cells (the larger number, as ELDA prints it),
    ``upper`` the end with the most. ``log_f``/``se_log_f`` are the GLM intercept and its SE
    (None in an extreme group)."""

    group: str
    estimate: float
    lower: float
    upper: float
    extreme: Extreme
    log_f: float | None
    se_log_f: float | None
    deviance: float
    n_doses: int
    tested: int
    positive: int

    @property
    def frequency(self) -> float:
        """``f``: active cells per cell (0 if every recipient was negative)."""
        return 0.0 if math.isinf(self.estimate) else 1.0 / self.estimate


@dataclass(frozen=True)
class ChiSquareTest:
    """A chi-square statistic with its degrees of freedom and p-value."""

    chisq: float
    df: int
    p: float


@dataclass(frozen=True)
class PairTest:
    """Likelihood-ratio test that two groups share one frequency (1 df), as ELDA's pairwise
    table: the same test as the overall one, on the two groups' rows alone."""

    group_a: str
    group_b: str
    chisq: float
    df: int
    p: float


@dataclass(frozen=True)
class SlopeTests:
    """statmod's ``test.unit.slope``: the free log-dose slope (1 under the single-hit model),
    its Wald, likelihood-ratio and score z tests, and the score test on dose (heterogeneity)."""

    slope: float
    slope_se: float
    wald_z: float
    wald_p: float
    lr_z: float
    lr_p: float
    score_logdose_z: float
    score_logdose_p: float
    score_dose_z: float
    score_dose_p: float


@dataclass(frozen=True)
class EldaResult(Serial):
    """ELDA of one dilution table (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "elda"

    source: str
    settings: EldaSettings
    rows: tuple[DilutionRow, ...]
    groups: tuple[GroupFrequency, ...]
    difference: ChiSquareTest | None
    """Likelihood-ratio test of differences between groups (None with one group)."""
    slope: SlopeTests | None
    """None when no group has two doses with a mixed response."""
    deviance: ChiSquareTest | None
    """Deviance goodness of fit of the single-hit model (None without residual df)."""
    dose_unit: str = "cells"
    pairwise: tuple[PairTest, ...] = ()
    """Every pair of groups, when there are more than two."""

    def group(self, name: str) -> GroupFrequency:
        for g in self.groups:
            if g.group == name:
                return g
        raise KeyError(f"no group {quote(name)}")

    def summary(self) -> pd.DataFrame:
        """One row per group: 1/frequency (cells per active cell) with its CI, and the data."""
        level = round(100 * self.settings.confidence, 6)
        return pd.DataFrame(
            [
                {
                    "group": g.group,
                    "one_in_cells": g.estimate,
                    f"one_in_lower_{level:g}pct_cells": g.lower,
                    f"one_in_upper_{level:g}pct_cells": g.upper,
                    "frequency_per_1e6_cells": 1e6 * g.frequency,
                    "extreme": g.extreme,
                    "doses": g.n_doses,
                    "tested": g.tested,
                    "positive": g.positive,
                    "deviance": g.deviance,
                }
                for g in self.groups
            ]
        )

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []

    def fitted_lines(self) -> dict[str, tuple[float, float, float]]:
        """Group -> slopes of ELDA's log-fraction plot, ``log(fraction negative) = -d/(1/f)``,
        for (lower end, estimate, upper end); 0 for an infinite end."""
        return {
            g.group: tuple(  # type: ignore[misc]
                0.0 if math.isinf(v) else -1.0 / v for v in (g.lower, g.estimate, g.upper)
            )
            for g in self.groups
        }


# --- input ---------------------------------------------------------------------------------------


def _find(columns: Sequence[str], names: tuple[str, ...]) -> str | None:
    normal = {re.sub(r"[\s\-/]+", "_", c.strip().lower()): c for c in columns}
    return next((normal[n] for n in names if n in normal), None)


def read_dilutions(
    frame: pd.DataFrame, source: str, *, row_base: int = 2
) -> tuple[DilutionRow, ...]:
    """A dilution table (as read by :func:`cxcr4lab.assays.tabular.read_table_bytes`: ``frame``
    with line ``position + row_base`` per row): ``group`` (optional), ``dose`` (cells per
    recipient), ``tested``, ``positive``; the same dose may repeat within a group."""
    place = Place(file=source)
    cols = [str(c) for c in frame.columns]
    found = {
        "dose": _find(cols, _DOSE),
        "tested": _find(cols, _TESTED),
        "positive": _find(cols, _POSITIVE),
    }
    missing = [k for k, v in found.items() if v is None]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} (dose = cells per recipient, tested, "
            f"positive); columns present: {', '.join(cols)}",
            place=place,
        )
    dose_col, tested_col, pos_col = (str(found[k]) for k in ("dose", "tested", "positive"))
    dose = numeric_column(frame, dose_col, place=place, row_base=row_base)
    counts = {
        c: numeric_column(frame, c, place=place, row_base=row_base) for c in (tested_col, pos_col)
    }
    group_col = _find(cols, _GROUP)
    rows = []
    for i in range(len(frame)):
        line = i + row_base
        for c, what in ((tested_col, "recipients"), (pos_col, "positives")):
            v = float(counts[c][i])
            if v < 0:
                raise InputError(
                    f"{what} cannot be negative, got {v:g}", place=place, row=line, column=c
                )
            if not v.is_integer():
                raise InputError(
                    f"{v:g} is not a whole number of {what}", place=place, row=line, column=c
                )
        group = "all"
        if group_col is not None:
            cell = frame[group_col].iloc[i]
            group = (
                ""
                if cell is None or (isinstance(cell, float) and math.isnan(cell))
                else str(cell).strip()
            )
            if not group:
                raise InputError("value is missing", place=place, row=line, column=group_col)
        row = DilutionRow(
            group,
            float(dose[i]),
            int(counts[tested_col][i]),
            int(counts[pos_col][i]),
            f"{source}, row {line}",
        )
        _check_row(row, Place(file=source, row=line), (dose_col, tested_col, pos_col))
        rows.append(row)
    return tuple(rows)


def _check_row(
    r: DilutionRow, place: Place, columns: tuple[str, str, str] = ("dose", "tested", "positive")
) -> None:
    dose_col, tested_col, pos_col = columns
    if not (math.isfinite(r.dose) and r.dose > 0):
        raise InputError(f"dose must be > 0 cells, got {r.dose:g}", place=place, column=dose_col)
    if r.tested <= 0:
        raise InputError(
            "no recipients tested at this dose (tested = 0): drop the row",
            place=place,
            column=tested_col,
        )
    if r.positive < 0:
        raise InputError(
            f"positive cannot be negative, got {r.positive}", place=place, column=pos_col
        )
    if r.positive > r.tested:
        raise InputError(
            f"{r.positive} positive of {r.tested} tested: more positive than tested",
            place=place,
            column=pos_col,
        )


# --- analysis ------------------------------------------------------------------------------------


def _glm(
    positive: NDArray[np.float64],
    tested: NDArray[np.float64],
    exog: NDArray[np.float64],
    offset: NDArray[np.float64] | None,
    start: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, NDArray[np.float64]]:
    """Binomial GLM, complementary log-log link (statsmodels): (params, SEs, deviance, fitted p)."""
    import statsmodels.api as sm

    endog = np.column_stack([positive, tested - positive])
    family = sm.families.Binomial(link=sm.families.links.CLogLog())
    model = sm.GLM(endog, exog, family=family, offset=offset)
    irls = {"tol": 1e-13, "tol_criterion": "params", "maxiter": 1000}
    with warnings.catch_warnings():  # as statmod's suppressWarnings: a diverging free slope
        warnings.simplefilter("ignore")
        fit = model.fit(start_params=start, **irls)
        if not (fit.converged and np.all(np.isfinite(fit.params))):
            # IRLS has no step-halving and can leap away from a poor start (a group all
            # negative pooled with one all positive); a quasi-Newton search finds the basin,
            # and IRLS from there gives the expected-information SEs statmod reports.
            found = model.fit(start_params=start, method="lbfgs", maxiter=5000)
            fit = model.fit(start_params=found.params, **irls)
    if not np.all(np.isfinite(fit.params)):
        raise FitError("the single-hit GLM did not converge (complementary log-log, statsmodels)")
    return (
        np.asarray(fit.params, dtype=float),
        np.asarray(fit.bse, dtype=float),
        float(fit.deviance),
        np.asarray(fit.fittedvalues, dtype=float),
    )


def _to_cells(log_f: float, observed: bool) -> float:
    """``1/f`` from the intercept ``log f`` (statmod's ``exp(-a)`` or ``-1/expm1(-exp(a))``)."""
    if observed:
        return float(-1.0 / math.expm1(-math.exp(log_f)))
    return math.exp(-log_f)


def _all_positive_bound(
    dose: NDArray[np.float64], tested: NDArray[np.float64], settings: EldaSettings
) -> float:
    """``U`` of an all-positive group: ``sum(tested x log(P(positive at U))) = log(1 - conf)``."""
    alpha = 1.0 - settings.confidence

    def f(rate: float) -> float:
        # P(positive at the bound): 1 - (1 - rate)^d (observed cells) or 1 - exp(-rate d)
        p = -np.expm1(dose * np.log1p(-rate)) if settings.observed else -np.expm1(-rate * dose)
        return float(np.sum(tested * np.log(p)) - math.log(alpha))

    lo, hi = 1e-300, 1.0 - 1e-16 if settings.observed else 1.0
    while not settings.observed and f(hi) < 0:
        hi *= 2.0
    return float(brentq(f, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=2000))


@dataclass(frozen=True)
class _Scores:
    d_logdose: float = 0.0
    i_logdose: float = 0.0
    d_dose: float = 0.0
    i_dose: float = 0.0


def _one_group(
    name: str, rows: Sequence[DilutionRow], settings: EldaSettings
) -> tuple[GroupFrequency, _Scores]:
    dose = np.array([r.dose for r in rows], dtype=float)
    tested = np.array([r.tested for r in rows], dtype=float)
    positive = np.array([r.positive for r in rows], dtype=float)
    common: dict[str, Any] = {
        "group": name,
        "n_doses": len(rows),
        "tested": int(tested.sum()),
        "positive": int(positive.sum()),
    }
    alpha = 1.0 - settings.confidence
    if np.all(positive == 0):
        cells = float(np.sum(dose * tested))
        rate = (
            -math.expm1(math.log(alpha) / cells) if settings.observed else -math.log(alpha) / cells
        )
        return (
            GroupFrequency(
                estimate=math.inf,
                lower=math.inf,
                upper=max(1.0 / rate, 1.0),
                extreme="all_negative",
                log_f=None,
                se_log_f=None,
                deviance=0.0,
                **common,
            ),
            _Scores(),
        )
    if np.all(positive == tested):
        rate = _all_positive_bound(dose, tested, settings)
        return (
            GroupFrequency(
                estimate=1.0,
                lower=max(1.0 / rate, 1.0),
                upper=1.0,
                extreme="all_positive",
                log_f=None,
                se_log_f=None,
                deviance=0.0,
                **common,
            ),
            _Scores(),
        )
    # statmod's start: the rate that explains the mean response at the largest dose
    start = np.log([-math.log1p(-positive.mean() / tested.mean()) / dose.max()])
    params, se, deviance, p = _glm(positive, tested, np.ones((len(rows), 1)), np.log(dose), start)
    a, s = float(params[0]), float(se[0])
    z = float(norm.ppf(1 - alpha / 2))
    ends = [_to_cells(v, settings.observed) for v in (a - z * s, a, a + z * s)]
    lower, estimate, upper = (max(v, 1.0) for v in ends)
    # statmod's score tests of the log-dose (multi-hit) and dose (heterogeneity) terms
    onemp = np.exp(-np.exp(a) * dose)
    v = p * (1 - p) / tested
    mu_eta = np.exp(a) * dose * onemp
    info = mu_eta**2 / v
    phat = positive / tested
    scores = []
    for x in (np.log(dose), dose):
        xmean = float(np.sum(x * info) / np.sum(info))
        mu_beta = (x - xmean) * mu_eta
        scores.append((float(np.sum(mu_beta * (phat - p) / v)), float(np.sum(mu_beta**2 / v))))
    return (
        GroupFrequency(
            estimate=estimate,
            lower=lower,
            upper=upper,
            extreme="",
            log_f=a,
            se_log_f=s,
            deviance=deviance,
            **common,
        ),
        _Scores(scores[0][0], scores[0][1], scores[1][0], scores[1][1]),
    )


def _slope_tests(
    groups: dict[str, list[DilutionRow]],
    fits: dict[str, GroupFrequency],
    scores: _Scores,
) -> SlopeTests | None:
    if not scores.i_logdose > 1e-15:
        return None
    mixed = [g for g in groups if not fits[g].extreme]
    rows = [r for g in mixed for r in groups[g]]
    dummies = np.array([[1.0 if r.group == g else 0.0 for g in mixed] for r in rows])
    exog = np.column_stack([dummies, np.log([r.dose for r in rows])])
    positive = np.array([r.positive for r in rows], dtype=float)
    tested = np.array([r.tested for r in rows], dtype=float)
    params, se, deviance, _ = _glm(positive, tested, exog, None)
    slope, slope_se = float(params[-1]), float(se[-1])
    wald_z = (slope - 1.0) / slope_se
    lr = max(sum(f.deviance for f in fits.values()) - deviance, 0.0)
    lr_z = math.sqrt(lr) * float(np.sign(wald_z))
    z_log = scores.d_logdose / math.sqrt(scores.i_logdose)
    z_dose = scores.d_dose / math.sqrt(scores.i_dose)

    def two_sided(z: float) -> float:
        return float(2 * norm.sf(abs(z)))

    return SlopeTests(
        slope=slope,
        slope_se=slope_se,
        wald_z=wald_z,
        wald_p=two_sided(wald_z),
        lr_z=lr_z,
        lr_p=float(chi2.sf(lr, 1)),
        score_logdose_z=z_log,
        score_logdose_p=two_sided(z_log),
        score_dose_z=z_dose,
        score_dose_p=two_sided(z_dose),
    )


def elda(
    rows: Sequence[DilutionRow], settings: EldaSettings | None = None, *, source: str = ""
) -> EldaResult:
    """Active-cell frequency per group, the test of differences and the goodness-of-fit tests.

    >>> rows = [DilutionRow("g", d, 24, r) for d, r in zip((50, 100, 200, 400, 800), (2, 6, 9, 15, 21))]
    >>> round(elda(rows).groups[0].estimate, 2)  # statmod: 403.0632
    403.06
    """
    settings = settings or EldaSettings()
    where = source or "dilution table"
    if not rows:
        raise InputError("no dilution rows to analyse", file=where)
    for r in rows:
        _check_row(r, Place(file=r.origin or where, field=f"group {r.group}, dose {r.dose:g}"))
    groups: dict[str, list[DilutionRow]] = {}
    for r in rows:
        groups.setdefault(r.group, []).append(r)
    fits: dict[str, GroupFrequency] = {}
    total = _Scores()
    for name, members in groups.items():
        fits[name], s = _one_group(name, members, settings)
        total = _Scores(
            total.d_logdose + s.d_logdose,
            total.i_logdose + s.i_logdose,
            total.d_dose + s.d_dose,
            total.i_dose + s.i_dose,
        )
    difference = None
    if len(groups) > 1:
        pooled, _ = _one_group("all", list(rows), settings)
        dev = max(pooled.deviance - sum(f.deviance for f in fits.values()), 0.0)
        df = len(groups) - 1
        difference = ChiSquareTest(dev, df, float(chi2.sf(dev, df)))
    pairwise = []
    if len(groups) > 2:
        names = list(groups)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                pair, _ = _one_group("pair", groups[a] + groups[b], settings)
                dev = max(pair.deviance - fits[a].deviance - fits[b].deviance, 0.0)
                pairwise.append(PairTest(a, b, dev, 1, float(chi2.sf(dev, 1))))
    residual_df = len(rows) - len(groups)
    dev_total = sum(f.deviance for f in fits.values())
    deviance = (
        ChiSquareTest(dev_total, residual_df, float(chi2.sf(dev_total, residual_df)))
        if residual_df > 0
        else None
    )
    return EldaResult(
        source=source,
        settings=settings,
        rows=tuple(rows),
        groups=tuple(fits.values()),
        difference=difference,
        slope=_slope_tests(groups, fits, total),
        deviance=deviance,
        pairwise=tuple(pairwise),
    )
