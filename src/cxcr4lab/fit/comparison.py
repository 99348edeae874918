"""Do curves differ in one parameter? (``cxcr4lab compare``; R drc's ``compParm``/``EDcomp``,
Prism's "do the best-fit values of selected parameters differ between data sets?").

The curves of a long table are fitted jointly twice (:func:`~cxcr4lab.fit.global_fit.fit_global`):
with the parameter shared by every curve (the simple model) and with one value per curve (the
complex model; the other parameters are per curve in both). The extra-sum-of-squares F test
(:func:`~cxcr4lab.fit.global_fit.compare_fits`) says whether one shared value is enough:
``F = ((RSS_shared - RSS_separate) / (df_shared - df_separate)) / (RSS_separate / df_separate)``.

From the separate fit (residual variance pooled over the curves, as drc's ``drm(..., curveid)``)
come the per-curve estimates with t-based CIs, the difference of the parameter from the
reference curve (``compParm(m, param, "-")``) and, for the potency, the fold shift of the IC50
against the reference: ``fold = IC50 / IC50_ref = 10^d`` with ``d`` the difference of the log10
IC50s, ``SE(d)^2 = V_cc + V_rr - 2 V_cr`` from the joint covariance (the delta method on the log
scale), CI ``10^(d -/+ t SE(d))`` (drc ``EDcomp(m, c(50, 50), interval = "tfls")``); ``fold_se``
is the delta-method SE of the ratio itself, ``fold ln(10) SE(d)``, so ``fold +/- t fold_se`` is
drc's ``interval = "delta"`` interval. The relative potency is ``1 / fold`` (above 1: more potent
than the reference). The covariance is Gauss-Newton's ``s^2 (J^T J)^-1`` (Prism's); drc's, from
the observed information, differs by a few percent (see :mod:`cxcr4lab.fit.covariance`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cxcr4lab.core.serial import Serial

if TYPE_CHECKING:
    import pandas as pd

    from cxcr4lab.fit.models import Model

__all__ = ["POTENCY_WORDS", "CurveComparison", "CurveEstimate", "compare_curves"]

POTENCY_WORDS = ("ic50", "ec50")
"""Words naming the model's potency (``log10_ic50``/``log10_ec50``) in ``--param``."""


def _num(value: float | None) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class CurveEstimate(Serial):
    """One curve of a comparison.

    ``values``/``stderr``/``lower``/``upper``: the separate fit's parameters (model order) with
    SE and t-based CI; ``shared_values`` its parameters in the shared fit. ``ic50`` and its CI
    are in the comparison's unit. ``difference`` (of the compared parameter from the reference
    curve, in the model's scale) and the fold shift are None for the reference curve.
    ``conc``/``response`` are the points (conc in the comparison's unit; 0 for a zero dose).
    """

    curve_id: str
    n: int
    values: tuple[float, ...]
    stderr: tuple[float | None, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    shared_values: tuple[float, ...]
    ic50: float | None
    ic50_lower: float | None
    ic50_upper: float | None
    difference: float | None
    difference_se: float | None
    difference_lower: float | None
    difference_upper: float | None
    difference_p: float | None
    fold: float | None
    fold_lower: float | None
    fold_upper: float | None
    fold_se: float | None
    relative_potency: float | None
    relative_potency_lower: float | None
    relative_potency_upper: float | None
    conc: tuple[float, ...]
    response: tuple[float, ...]


@dataclass(frozen=True)
class CurveComparison(Serial):
    """Curves compared in one parameter (see the module docstring).

    ``compared`` is the model's parameter (``log10_ic50``), ``param`` the word asked for
    (``ic50``); ``potency`` the model's potency parameter (fold shifts are of it).
    ``probability_separate`` is the Akaike weight of the separate fit.
    """

    kind: ClassVar[str] = "compare"

    source: str
    model: str
    param_names: tuple[str, ...]
    param: str
    compared: str
    potency: str | None
    reference: str
    unit: str
    f_statistic: float | None
    df_numerator: int
    df_denominator: int
    p_value: float
    rss_shared: float
    rss_separate: float
    aicc_shared: float | None
    aicc_separate: float | None
    probability_separate: float | None
    converged: bool
    shared_value: float
    shared_se: float | None
    shared_lower: float | None
    shared_upper: float | None
    curves: tuple[CurveEstimate, ...]
    alpha: float = 0.05
    fixed: tuple[tuple[str, float], ...] = ()

    @property
    def preferred(self) -> str:
        """``separate`` if the F test rejects one shared value at ``alpha``, else ``shared``."""
        return "separate" if self.p_value < self.alpha else "shared"

    def curve(self, curve_id: str) -> CurveEstimate:
        return next(c for c in self.curves if c.curve_id == curve_id)

    def test_table(self) -> pd.DataFrame:
        """The F test and AICc as one row."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "question": f"one {self.compared} for all curves?",
                    "F": self.f_statistic,
                    "df": f"{self.df_numerator}, {self.df_denominator}",
                    "p": self.p_value,
                    "RSS shared": self.rss_shared,
                    "RSS separate": self.rss_separate,
                    "AICc shared": self.aicc_shared,
                    "AICc separate": self.aicc_separate,
                    "P(separate) by AICc": self.probability_separate,
                    "preferred": self.preferred,
                }
            ]
        )

    def summary(self) -> pd.DataFrame:
        """One row per curve: the compared parameter with its CI, the IC50 with its CI, the
        difference from the reference and the fold shift and relative potency with CIs."""
        import pandas as pd

        j = self.param_names.index(self.compared)
        rows = []
        for c in self.curves:
            rows.append(
                {
                    "curve": c.curve_id,
                    "n": c.n,
                    self.compared: c.values[j],
                    f"{self.compared}_lower": c.lower[j],
                    f"{self.compared}_upper": c.upper[j],
                    f"ic50 ({self.unit})": c.ic50,
                    "ic50_lower": c.ic50_lower,
                    "ic50_upper": c.ic50_upper,
                    f"difference vs {self.reference}": c.difference,
                    "difference_lower": c.difference_lower,
                    "difference_upper": c.difference_upper,
                    "difference_p": c.difference_p,
                    "fold shift": c.fold,
                    "fold_lower": c.fold_lower,
                    "fold_upper": c.fold_upper,
                    "relative potency": c.relative_potency,
                    "relative_potency_lower": c.relative_potency_lower,
                    "relative_potency_upper": c.relative_potency_upper,
                }
            )
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Any]:
        """None: compared curves are not named compounds of the cross-assay summary."""
        return []


def compare_curves(
    df: pd.DataFrame,
    model: Model,
    param: str = "ic50",
    *,
    reference: str | None = None,
    conc_unit: str = "M",
    fixed: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    file: str | None = None,
) -> CurveComparison:
    """Compare the curves of a long table (``curve_id``, ``concentration``, ``response``,
    optionally ``weight``, ``unit``) in ``param`` (a model parameter, or ``ic50``/``ec50`` for
    its potency); ``reference`` is a curve id (default: the first curve). Bad input is one
    :class:`InputError` naming the file, curve or option (``param``, ``reference``)."""
    import numpy as np
    from scipy.special import stdtr, stdtrit

    from cxcr4lab.core.errors import InputError, Place, quote
    from cxcr4lab.fit.batch import long_curves
    from cxcr4lab.fit.global_fit import compare_fits, fit_global

    fixed = dict(fixed or {})
    names = model.param_names
    potency = next((p for p in names if p in ("log10_ic50", "log10_ec50")), None)
    compared = potency if param in POTENCY_WORDS else param
    if compared is None or compared not in names:
        allowed = [*(["ic50"] if potency else []), *(p for p in names if p != potency)]
        raise InputError(
            f"model {model.name} has no parameter {quote(param)}; compare one of "
            f"{', '.join(allowed)}",
            place=Place(field="param"),
        )
    if compared in fixed:
        raise InputError(f"{compared} is fixed: there is nothing to compare", field="fix")
    where = Place(file=file or "table")
    data = long_curves(df, model, conc_unit=conc_unit, file=file)
    ids = [str(i) for i in data.ids]
    if len(ids) < 2:
        raise InputError("a comparison needs at least two curves (curve_id)", place=where)
    if len(set(ids)) < len(ids):
        raise InputError("two curve ids read as the same text", place=where)
    ref = ids[0] if reference is None or not reference.strip() else reference.strip()
    if ref not in ids:
        shown = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
        raise InputError(
            f"no curve {quote(ref)} in the file; its curves are {shown}",
            place=Place(field="reference"),
        )
    n_free = model.n_params - len(fixed)
    curves: dict[str, tuple[Any, Any]] = {}
    weights: dict[str, Any] | None = {} if data.W is not None else None
    for i, cid in enumerate(ids):
        if data.problems[i] is not None:
            message = str(data.problems[i]).removeprefix("bad_input: ")
            raise InputError(message, place=where, curve=cid)
        keep = ~(np.isnan(data.X[i]) | np.isnan(data.Y[i]))
        x, y = data.X[i, keep], data.Y[i, keep]
        if x.size < n_free + 1 or np.unique(x).size < 2:
            raise InputError(
                f"{x.size} points at {np.unique(x).size} concentrations cannot fit the "
                f"{n_free} free parameters of {model.name}",
                place=where,
                curve=cid,
            )
        curves[cid] = (x, y)
        if weights is not None and data.W is not None:
            weights[cid] = data.W[i, keep]

    separate = fit_global(model, curves, fixed=fixed, weights=weights, alpha=alpha, place=where)
    shared = fit_global(
        model, curves, shared=[compared], fixed=fixed, weights=weights, alpha=alpha, place=where
    )
    test = compare_fits(shared.fit, separate.fit, alpha=alpha)

    fit = separate.fit
    free_names = [n for n, f in zip(fit.param_names, fit.free, strict=True) if f]
    cov = None if fit.covariance is None else np.asarray(fit.covariance)
    dof = fit.dof
    t = float(stdtrit(dof, 1 - alpha / 2)) if dof > 0 else math.nan
    has_unit_column = "unit" in df.columns
    unit = "M" if has_unit_column else conc_unit

    def per_unit(i: int) -> float:
        """Unit of the comparison per mol/L for curve ``i``."""
        return 1.0 if has_unit_column else 1.0 / float(data.factors[i])

    def var(a: str, b: str) -> float | None:
        if cov is None or a not in free_names or b not in free_names:
            return None
        return float(cov[free_names.index(a), free_names.index(b)])

    def difference(name: str, cid: str) -> tuple[float, float | None]:
        """``name`` of curve ``cid`` less the reference's, and the SE of that difference."""
        a, b = f"{name}[{cid}]", f"{name}[{ref}]"
        d = fit.params[a] - fit.params[b]
        vaa, vbb, vab = var(a, a), var(b, b), var(a, b)
        if vaa is None or vbb is None or vab is None:
            return d, None
        return d, math.sqrt(max(vaa + vbb - 2.0 * vab, 0.0))

    estimates = []
    for i, cid in enumerate(ids):
        values = separate.params(cid)
        se = separate.stderr(cid)
        ci = separate.conf_int(cid, alpha)
        scale = per_unit(i)
        ic50 = ic50_lo = ic50_hi = None
        if potency is not None:
            ic50 = 10.0 ** values[potency] * scale
            lo, hi = ci[potency]
            ic50_lo = None if lo is None else 10.0**lo * scale
            ic50_hi = None if hi is None else 10.0**hi * scale
        diff = dict.fromkeys(("d", "se", "lo", "hi", "p"))
        fold = dict.fromkeys(("fold", "lo", "hi", "se", "rp", "rp_lo", "rp_hi"))
        if cid != ref:
            d, d_se = difference(compared, cid)
            diff["d"] = d
            if d_se is not None and d_se > 0 and dof > 0:
                diff.update(
                    se=d_se,
                    lo=d - t * d_se,
                    hi=d + t * d_se,
                    p=float(2.0 * stdtr(dof, -abs(d) / d_se)),
                )
            if potency is not None:
                s, s_se = difference(potency, cid)
                ratio = 10.0**s
                fold.update(fold=ratio, rp=1.0 / ratio)
                if s_se is not None and dof > 0:
                    lo_f, hi_f = 10.0 ** (s - t * s_se), 10.0 ** (s + t * s_se)
                    fold.update(
                        lo=lo_f,
                        hi=hi_f,
                        se=ratio * math.log(10.0) * s_se,
                        rp_lo=1.0 / hi_f,
                        rp_hi=1.0 / lo_f,
                    )
        x, y = curves[cid]
        conc = np.where(np.isfinite(x), 10.0**x, 0.0) * scale if model.x_is_log10 else x * scale
        shared_params = shared.params(cid)
        estimates.append(
            CurveEstimate(
                curve_id=cid,
                n=int(x.size),
                values=tuple(float(values[n]) for n in names),
                stderr=tuple(_num(se[n]) for n in names),
                lower=tuple(_num(ci[n][0]) for n in names),
                upper=tuple(_num(ci[n][1]) for n in names),
                shared_values=tuple(float(shared_params[n]) for n in names),
                ic50=_num(ic50),
                ic50_lower=_num(ic50_lo),
                ic50_upper=_num(ic50_hi),
                difference=_num(diff["d"]),
                difference_se=_num(diff["se"]),
                difference_lower=_num(diff["lo"]),
                difference_upper=_num(diff["hi"]),
                difference_p=_num(diff["p"]),
                fold=_num(fold["fold"]),
                fold_lower=_num(fold["lo"]),
                fold_upper=_num(fold["hi"]),
                fold_se=_num(fold["se"]),
                relative_potency=_num(fold["rp"]),
                relative_potency_lower=_num(fold["rp_lo"]),
                relative_potency_upper=_num(fold["rp_hi"]),
                conc=tuple(float(c) for c in conc),
                response=tuple(float(v) for v in y),
            )
        )
    shared_ci = shared.fit.conf_int(alpha)[compared]
    return CurveComparison(
        source=file or "table",
        model=model.name,
        param_names=tuple(names),
        param=param,
        compared=compared,
        potency=potency,
        reference=ref,
        unit=unit,
        f_statistic=_num(test.f_statistic),
        df_numerator=int(test.df_numerator),
        df_denominator=int(test.df_denominator),
        p_value=float(test.p_value),
        rss_shared=float(shared.fit.rss),
        rss_separate=float(fit.rss),
        aicc_shared=_num(test.aicc_simple),
        aicc_separate=_num(test.aicc_complex),
        probability_separate=_num(test.probability_complex),
        converged=bool(shared.fit.converged and fit.converged),
        shared_value=float(shared.fit.params[compared]),
        shared_se=_num(shared.fit.se[compared]),
        shared_lower=_num(shared_ci[0]),
        shared_upper=_num(shared_ci[1]),
        curves=tuple(estimates),
        alpha=alpha,
        fixed=tuple((n, float(v)) for n, v in fixed.items()),
    )
