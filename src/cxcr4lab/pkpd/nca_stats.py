"""Statistics over NCA parameters: descriptive summaries per group and dose proportionality.

Hand-written because no Python library does either the way NCA reports need them: pandas'
``describe`` has no geometric mean or geometric CV and no missing-value rule, and the dose
proportionality assessment of Smith et al. (Pharm Res 2000; 17:1278-1283) exists only in
PKNCA-adjacent R code and SAS macros. The arithmetic is small (numpy, scipy; the power-model
fit is statsmodels OLS) and is checked against R in the tests.

* :func:`summary_statistics`: n, mean, SD, CV%, geometric mean, geometric CV%, median, min, max
  of each parameter column per group, with PKNCA's missing-value business rule.
* :func:`dose_proportionality`: the power model ln(P) = a + b ln(dose) with the CI of the slope
  judged against the Smith et al. acceptance interval.

>>> import pandas as pd
>>> frame = pd.DataFrame({"dose": [1, 1, 10, 10], "auc": [2.0, 8.0, 20.0, 80.0]})
>>> s = summary_statistics(frame, ["auc"], by=["dose"])
>>> s[["dose", "n", "geomean"]].round(9).to_dict("list")
{'dose': [1, 10], 'n': [2, 2], 'geomean': [4.0, 40.0]}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.core.serial import Serial

__all__ = [
    "CONCLUSIONS",
    "STAT_COLUMNS",
    "DoseProportionality",
    "dose_proportionality",
    "geometric_cv_pct",
    "smith_interval",
    "summary_statistics",
]

STAT_COLUMNS = (
    "n",
    "mean",
    "sd",
    "cv_pct",
    "n_geo",
    "geomean",
    "geocv_pct",
    "median",
    "min",
    "max",
)
"""The statistic columns of :func:`summary_statistics`, after the group columns and
``parameter``."""

Conclusion = Literal["proportional", "not proportional", "inconclusive"]
CONCLUSIONS: tuple[Conclusion, ...] = ("proportional", "not proportional", "inconclusive")


# --------------------------------------------------------------------------------------------
# descriptive statistics


def geometric_cv_pct(values: np.ndarray) -> float:
    """100 * sqrt(exp(s^2) - 1), s the SD (n - 1) of ln(values); NaN for fewer than 2 values.

    >>> round(geometric_cv_pct(np.array([1.0, 2.0, 4.0])), 4)
    78.537
    """
    logs = np.log(np.asarray(values, dtype=float))
    if len(logs) < 2:
        return math.nan
    s = float(np.std(logs, ddof=1))
    return 100.0 * math.sqrt(math.expm1(s * s))


def _stats(values: np.ndarray, max_missing: float) -> dict[str, float | int]:
    """The statistics of one group's values (NaN = missing), by the rule of the module."""
    total = len(values)
    present = values[~np.isnan(values)]
    n = len(present)
    out: dict[str, float | int] = dict.fromkeys(STAT_COLUMNS, math.nan)
    out["n"] = n
    out["n_geo"] = 0
    if total == 0 or n == 0 or (total - n) / total > max_missing:
        return out
    mean = float(np.mean(present))
    sd = float(np.std(present, ddof=1)) if n > 1 else math.nan
    out.update(
        mean=mean,
        sd=sd,
        cv_pct=100.0 * sd / mean if mean != 0 else math.nan,
        median=float(np.median(present)),
        min=float(np.min(present)),
        max=float(np.max(present)),
    )
    positive = present[present > 0]
    zero_or_missing = total - n + int(np.sum(present == 0))
    if np.any(present < 0) or len(positive) == 0 or zero_or_missing / total > max_missing:
        return out
    out["n_geo"] = len(positive)
    out["geomean"] = float(np.exp(np.mean(np.log(positive))))
    out["geocv_pct"] = geometric_cv_pct(positive)
    return out


def _numeric(frame: pd.DataFrame, column: str, row_base: int) -> np.ndarray:
    """Column ``column`` as float (blank = NaN), refusing text and infinities by row."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    for i, (v, r) in enumerate(zip(values, raw.to_numpy(), strict=True)):
        blank = r is None or (isinstance(r, float) and math.isnan(r)) or str(r).strip() == ""
        if math.isnan(v) and not blank and str(r).strip().lower() not in {"nan", "na"}:
            raise InputError(f"{r!r} is not a number", row=i + row_base, column=column)
        if math.isinf(v):
            raise InputError("value is infinite", row=i + row_base, column=column)
    return values


def summary_statistics(
    frame: pd.DataFrame,
    parameters: Sequence[str],
    by: Sequence[str] = (),
    *,
    max_missing: float = 0.5,
    row_base: int = 2,
) -> pd.DataFrame:
    """Descriptive statistics of each parameter column, per group of the ``by`` columns.

    ``frame`` has one row per subject (or profile); ``parameters`` names its numeric columns
    (blank/NaN = missing); ``by`` the grouping columns (none: all rows form one group). The
    statistics carry the parameter's own unit (CV% in %; n counts).

    The rule, as PKNCA's ``business.*`` functions (``PKNCA.options("max.missing")`` = 0.5):

    * ``n`` counts the non-missing values; mean, SD (n - 1), CV% = 100 SD/mean, median, min
      and max use them. Every statistic is NaN when more than ``max_missing`` of the group's
      values are missing (SD and CV% also when n < 2).
    * Geometric mean exp(mean ln x) and geometric CV% 100 sqrt(exp(s_ln^2) - 1) use the
      positive values (``n_geo`` of them): zeros count as missing, as in PKNCA's
      ``business.geomean``/``business.geocv`` (``zero.missing = TRUE``), so both are NaN when
      more than ``max_missing`` of the values are missing or zero. Any negative value makes
      them NaN (PKNCA would return a sign-adjusted geometric mean, which means nothing here).

    One row per group x parameter: the ``by`` columns, ``parameter``, then
    :data:`STAT_COLUMNS`. Groups are sorted; a missing group key forms its own group.
    """
    if not parameters:
        raise InputError("name at least one parameter column", field="parameters")
    if not 0 <= max_missing < 1:
        raise InputError(f"must be in [0, 1); got {max_missing!r}", field="max_missing")
    names = [str(c) for c in frame.columns]
    for column in [*by, *parameters]:
        if column not in names:
            have = ", ".join(names) or "none"
            raise InputError(f"no such column; columns present: {have}", column=column)
    repeated = set(by) & set(parameters)
    if repeated:
        raise InputError("a column cannot be both a group and a parameter", column=min(repeated))
    data = frame.reset_index(drop=True)
    values = {p: _numeric(data, p, row_base) for p in parameters}
    rows: list[dict[str, Any]] = []
    if by:
        groups = data.groupby(list(by), sort=True, dropna=False).indices
        items = [(k if isinstance(k, tuple) else (k,), np.asarray(v)) for k, v in groups.items()]
    else:
        items = [((), np.arange(len(data)))]
    for key, index in items:
        for p in parameters:
            row: dict[str, Any] = dict(zip(by, key, strict=True))
            row["parameter"] = p
            row.update(_stats(values[p][index], max_missing))
            rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "parameter", *STAT_COLUMNS])


# --------------------------------------------------------------------------------------------
# dose proportionality


def smith_interval(
    dose_ratio: float, theta_low: float = 0.8, theta_high: float = 1.25
) -> tuple[float, float]:
    """The acceptance interval of the power-model slope for a dose range of ``dose_ratio``
    (highest / lowest dose): 1 + ln(theta_low)/ln(r), 1 + ln(theta_high)/ln(r) (Smith et al.
    2000).

    >>> [round(x, 6) for x in smith_interval(10.0)]
    [0.90309, 1.09691]
    """
    if not dose_ratio > 1:
        raise InputError(f"must be > 1; got {dose_ratio!r}", field="dose ratio")
    if not 0 < theta_low < 1 < theta_high:
        raise InputError(
            f"need 0 < theta_low < 1 < theta_high; got {theta_low!r}, {theta_high!r}",
            field="theta",
        )
    ln_r = math.log(dose_ratio)
    return 1 + math.log(theta_low) / ln_r, 1 + math.log(theta_high) / ln_r


@dataclass(frozen=True)
class DoseProportionality(Serial):
    """The power-model assessment of one parameter: ln(P) = intercept + slope ln(dose).

    ``slope_ci`` is the two-sided t-based CI at ``level``; ``acceptance`` the Smith et al.
    interval for ``dose_ratio`` = max/min dose; ``conclusion`` is ``proportional`` (CI inside
    the interval), ``not proportional`` (CI wholly outside) or ``inconclusive`` (overlapping).
    ``dn_gm_ratio`` is the observed ratio of the geometric means of parameter/dose at the
    highest vs the lowest dose; ``dn_ratio_pred`` = r^(slope - 1) is the model's estimate of it,
    with ``dn_ratio_pred_ci`` from the slope's CI. Doses and parameter keep the input's units.
    """

    kind: ClassVar[str] = "dose_proportionality"

    parameter: str
    dose_column: str
    n: int
    n_excluded: int
    doses: tuple[float, ...]
    level: float
    intercept: float
    intercept_se: float
    slope: float
    slope_se: float
    df: int
    slope_ci: tuple[float, float]
    dose_ratio: float
    theta_low: float
    theta_high: float
    acceptance: tuple[float, float]
    conclusion: Conclusion
    dn_gm_ratio: float
    dn_ratio_pred: float
    dn_ratio_pred_ci: tuple[float, float]

    def summary(self) -> pd.DataFrame:
        """One row: the slope with its CI, the acceptance interval and the conclusion."""
        pct = f"{100 * self.level:g}%"
        return pd.DataFrame(
            [
                {
                    "parameter": self.parameter,
                    "n": self.n,
                    "doses": len(self.doses),
                    "dose ratio": self.dose_ratio,
                    "slope": self.slope,
                    f"slope {pct} CI low": self.slope_ci[0],
                    f"slope {pct} CI high": self.slope_ci[1],
                    "acceptance low": self.acceptance[0],
                    "acceptance high": self.acceptance[1],
                    "conclusion": self.conclusion,
                    "DN GM ratio (high/low)": self.dn_gm_ratio,
                    "DN ratio predicted": self.dn_ratio_pred,
                }
            ]
        )


def dose_proportionality(
    frame: pd.DataFrame,
    dose_col: str,
    parameter_col: str,
    level: float = 0.90,
    *,
    theta_low: float = 0.8,
    theta_high: float = 1.25,
    row_base: int = 2,
) -> DoseProportionality:
    """Dose proportionality of ``parameter_col`` (e.g. AUC, Cmax) over ``dose_col`` by the power
    model, fitted by ordinary least squares on ln(P) vs ln(dose) (statsmodels).

    One row per subject (or profile). Rows whose dose or parameter is missing are left out and
    counted in ``n_excluded``; a dose or parameter <= 0 is refused (its logarithm does not
    exist), as are fewer than 2 distinct doses or fewer than 3 values (no residual degree of
    freedom). Errors name the column and the row (position + ``row_base``).
    """
    import statsmodels.api as sm  # heavy: imported when used

    if not 0 < level < 1:
        raise InputError(f"must be in (0, 1); got {level!r}", field="level")
    for column in (dose_col, parameter_col):
        if column not in frame.columns:
            have = ", ".join(map(str, frame.columns)) or "none"
            raise InputError(f"no such column; columns present: {have}", column=column)
    data = frame.reset_index(drop=True)
    dose = _numeric(data, dose_col, row_base)
    value = _numeric(data, parameter_col, row_base)
    for column, x in ((dose_col, dose), (parameter_col, value)):
        bad = np.where(~np.isnan(x) & (x <= 0))[0]
        if len(bad):
            raise InputError(
                f"must be > 0 for the power model (ln), got {x[bad[0]]:g}",
                row=int(bad[0]) + row_base,
                column=column,
            )
    keep = ~np.isnan(dose) & ~np.isnan(value)
    dose, value = dose[keep], value[keep]
    levels = np.unique(dose)
    if len(levels) < 2:
        raise InputError(
            f"needs at least 2 distinct doses; found {len(levels)}",
            place=Place(column=dose_col),
        )
    if len(dose) < 3:
        raise InputError(
            f"needs at least 3 values with a dose (found {len(dose)})",
            column=parameter_col,
        )
    x, y = np.log(dose), np.log(value)
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    intercept, slope = (float(v) for v in fit.params)
    intercept_se, slope_se = (float(v) for v in fit.bse)
    lo, hi = (float(v) for v in np.asarray(fit.conf_int(alpha=1 - level))[1])  # t, n - 2 df
    r = float(levels[-1] / levels[0])
    acc_lo, acc_hi = smith_interval(r, theta_low, theta_high)
    conclusion: Conclusion
    if acc_lo <= lo and hi <= acc_hi:
        conclusion = "proportional"
    elif hi < acc_lo or lo > acc_hi:
        conclusion = "not proportional"
    else:
        conclusion = "inconclusive"
    dn = np.log(value / dose)
    gm_high = float(np.exp(np.mean(dn[dose == levels[-1]])))
    gm_low = float(np.exp(np.mean(dn[dose == levels[0]])))
    return DoseProportionality(
        parameter=parameter_col,
        dose_column=dose_col,
        n=len(dose),
        n_excluded=int(np.sum(~keep)),
        doses=tuple(float(d) for d in levels),
        level=level,
        intercept=intercept,
        intercept_se=intercept_se,
        slope=slope,
        slope_se=slope_se,
        df=len(dose) - 2,
        slope_ci=(lo, hi),
        dose_ratio=r,
        theta_low=theta_low,
        theta_high=theta_high,
        acceptance=(acc_lo, acc_hi),
        conclusion=conclusion,
        dn_gm_ratio=gm_high / gm_low,
        dn_ratio_pred=r ** (slope - 1),
        dn_ratio_pred_ci=(r ** (lo - 1), r ** (hi - 1)),
    )
