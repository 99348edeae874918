"""Global fits: several curves fitted at once with some parameters shared.

Sharing answers the questions pharmacologists ask of a plate: do these compounds differ in IC50
(one shared logIC50 vs one per compound, by the extra-sum-of-squares F test and AICc)? Is the
Hill slope common? The joint fit is an ordinary least-squares problem over the expanded parameter
vector (shared parameters once, the others once per curve), solved by the same engine as single
curves, so SEs, CIs and profiles come from the joint covariance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.fit.models import Model, data_model_name, register_model
from cxcr4lab.fit.result import FitResult
from cxcr4lab.fit.solve import extra_ss_f_test, fit_curve

__all__ = ["Comparison", "GlobalResult", "compare_fits", "compare_shared", "fit_global"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class GlobalResult:
    """A joint fit of ``curve_ids`` with ``shared`` parameters common to all curves.

    ``fit`` is the joint :class:`FitResult` over the expanded parameters, named ``p`` when
    shared and ``p[curve]`` otherwise.
    """

    model: str
    curve_ids: tuple[str, ...]
    shared: tuple[str, ...]
    fit: FitResult
    x_ranges: tuple[tuple[float, float], ...]

    def _name(self, param: str, curve: str) -> str:
        return param if param in self.shared else f"{param}[{curve}]"

    def params(self, curve: str) -> dict[str, float]:
        """Parameter values of one curve (shared ones included)."""
        values = self.fit.params
        return {p: values[self._name(p, curve)] for p in self.base_model().param_names}

    def stderr(self, curve: str) -> dict[str, float | None]:
        se = self.fit.se
        return {p: se[self._name(p, curve)] for p in self.base_model().param_names}

    def conf_int(
        self, curve: str, alpha: float = 0.05
    ) -> dict[str, tuple[float | None, float | None]]:
        ci = self.fit.conf_int(alpha)
        return {p: ci[self._name(p, curve)] for p in self.base_model().param_names}

    def base_model(self) -> Model:
        from cxcr4lab.fit.models import get_model

        return get_model(self.model)

    def predict(self, curve: str, x: ArrayLike) -> Array:
        p = self.params(curve)
        model = self.base_model()
        return model.f(np.asarray(x, dtype=float), np.array([p[n] for n in model.param_names]))

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per curve and parameter: value, SE, CI, and whether it is shared."""
        rows = []
        for curve in self.curve_ids:
            values, se, ci = self.params(curve), self.stderr(curve), self.conf_int(curve, alpha)
            for p in self.base_model().param_names:
                rows.append(
                    {
                        "curve": curve,
                        "parameter": p,
                        "value": values[p],
                        "stderr": se[p],
                        "ci_lower": ci[p][0],
                        "ci_upper": ci[p][1],
                        "shared": p in self.shared,
                    }
                )
        return pd.DataFrame(rows)


def fit_global(
    model: Model,
    curves: Mapping[str, tuple[ArrayLike, ArrayLike]],
    *,
    shared: Sequence[str] = (),
    fixed: Mapping[str, float] | None = None,
    weights: Mapping[str, ArrayLike] | None = None,
    profile: Sequence[str] = (),
    alpha: float = 0.05,
    place: Place | None = None,
) -> GlobalResult:
    """Fit ``curves`` (id -> (x, y)) jointly with ``model``, sharing the ``shared`` parameters.

    ``fixed`` holds base-model parameters at a value for every curve. ``profile`` names expanded
    parameters (e.g. ``"log10_ic50[A]"`` or a shared ``"hill"``) that get profile-likelihood CIs.
    """
    where = place or Place(field="global fit")
    if len(curves) < 1:
        raise InputError("a global fit needs at least one curve", place=where)
    for name in shared:
        model.index(name)
    fixed = dict(fixed or {})
    ids = tuple(str(c) for c in curves)
    xs = [np.asarray(curves[c][0], dtype=float).ravel() for c in curves]
    ys = [np.asarray(curves[c][1], dtype=float).ravel() for c in curves]
    for cid, x, y in zip(ids, xs, ys, strict=True):
        if x.shape != y.shape:
            raise InputError(f"{x.size} x values but {y.size} y values", place=where, curve=cid)
    ws = None
    if weights is not None:
        ws = np.concatenate([np.asarray(weights[c], dtype=float).ravel() for c in curves])

    expanded: list[str] = []
    index: list[list[int]] = []  # per curve: position of each base parameter in the expanded vector
    for cid in ids:
        positions = []
        for p in model.param_names:
            name = p if p in shared else f"{p}[{cid}]"
            if name not in expanded:
                expanded.append(name)
            positions.append(expanded.index(name))
        index.append(positions)
    which = np.concatenate([np.full(x.size, i) for i, x in enumerate(xs)])
    x_all = np.concatenate(xs)
    y_all = np.concatenate(ys)
    idx = [np.asarray(pos) for pos in index]
    blocks = [np.nonzero(which == i)[0] for i in range(len(ids))]

    def f(point: Array, p: Array) -> Array:
        out = np.empty(x_all.size)
        for i, block in enumerate(blocks):
            out[block] = model.f(x_all[block], p[idx[i]])
        return np.asarray(out[point.astype(int)], dtype=np.float64)

    def jac(point: Array, p: Array) -> Array:
        out = np.zeros((x_all.size, len(expanded)))
        for i, block in enumerate(blocks):
            j = model.jac(x_all[block], p[idx[i]])
            for k, col in enumerate(idx[i]):
                out[block, col] += j[:, k]
        return np.asarray(out[point.astype(int)], dtype=np.float64)

    def guess(point: Array, y: Array) -> Array:
        start = np.zeros(len(expanded))
        counts = np.zeros(len(expanded))
        for i, block in enumerate(blocks):
            g = model.guess(x_all[block], y_all[block])
            for k, col in enumerate(idx[i]):
                start[col] += g[k]
                counts[col] += 1
        return start / np.maximum(counts, 1)

    joint = register_model(
        Model(
            name=data_model_name(f"global:{model.name}", (tuple(shared), ids), *xs, *ys),
            title=f"Global {model.title}; shared: {', '.join(shared) or 'none'}",
            param_names=tuple(expanded),
            f=f,
            jac=jac,
            guess=guess,
            x_is_log10=False,
        ),
        replace=True,
    )
    joint_fixed = {
        name: value
        for p, value in fixed.items()
        for name in expanded
        if name == p or name.startswith(f"{p}[")
    }
    for p in fixed:
        model.index(p)
    result = fit_curve(
        joint,
        np.arange(x_all.size, dtype=float),
        y_all,
        weights=ws,
        fixed=joint_fixed,
        profile=profile,
        alpha=alpha,
        place=where,
    )
    ranges = tuple((float(np.min(x[np.isfinite(x)])), float(np.max(x[np.isfinite(x)]))) for x in xs)
    return GlobalResult(model.name, ids, tuple(shared), result, ranges)


@dataclass(frozen=True)
class Comparison:
    """Two nested fits compared: extra-sum-of-squares F test and AICc.

    ``preferred`` is the simpler fit unless the F test rejects it at ``alpha``;
    ``probability_complex`` is the Akaike weight of the more complex fit (0-1).
    """

    f_statistic: float
    p_value: float
    df_numerator: int
    df_denominator: int
    aicc_simple: float | None
    aicc_complex: float | None
    probability_complex: float | None
    alpha: float

    @property
    def preferred(self) -> str:
        return "complex" if self.p_value < self.alpha else "simple"

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "F": self.f_statistic,
                    "df": f"{self.df_numerator}, {self.df_denominator}",
                    "p": self.p_value,
                    "AICc simple": self.aicc_simple,
                    "AICc complex": self.aicc_complex,
                    "P(complex) by AICc": self.probability_complex,
                    "preferred": self.preferred,
                }
            ]
        )


def compare_fits(simple: FitResult, complex_: FitResult, *, alpha: float = 0.05) -> Comparison:
    """Compare nested fits of the same data (``simple`` has fewer free parameters)."""
    f, p = extra_ss_f_test(simple, complex_)
    a_s, a_c = simple.aicc, complex_.aicc
    prob = None
    if a_s is not None and a_c is not None:
        delta = a_s - a_c
        prob = 1.0 / (1.0 + math.exp(-delta / 2.0)) if abs(delta) < 1400 else float(delta > 0)
    return Comparison(f, p, simple.dof - complex_.dof, complex_.dof, a_s, a_c, prob, alpha)


def compare_shared(
    model: Model,
    curves: Mapping[str, tuple[ArrayLike, ArrayLike]],
    param: str,
    *,
    alpha: float = 0.05,
    fixed: Mapping[str, float] | None = None,
) -> tuple[Comparison, GlobalResult, GlobalResult]:
    """Does ``param`` differ between curves? One shared value (simple) vs one per curve (complex).

    Returns the comparison and both global fits. E.g. ``param="log10_ic50"`` answers "do these
    compounds differ in IC50?"
    """
    separate = fit_global(model, curves, fixed=fixed)
    common = fit_global(model, curves, shared=[param], fixed=fixed)
    return compare_fits(common.fit, separate.fit, alpha=alpha), common, separate
