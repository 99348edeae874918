"""Population PK estimation (``cxcr4lab popfit``): a compartmental model, log-normal
between-subject (and between-occasion) variability, covariates, BLQ by M3, fitted by the
NLME engine (:func:`cxcr4lab.fit.nlme.fit_nlme`: FOCE-I, the Laplacian or SAEM).

:func:`fit_population` reads the table (:mod:`~cxcr4lab.pkpd.popfit_data`), builds the model
(:mod:`~cxcr4lab.pkpd.popfit_model` for the prediction, :func:`cxcr4lab.fit.nlme_map.
covariate_map` for the individual parameters), finds start values, fits, and reports with
units (volumes in L or L/kg from the dose and concentration units, as the NCA does).

**Start values**: a naive pooled fit (all subjects, eta = 0) of the structural model on the
log of the observed concentrations: a grid around an NCA-like guess (CL from dose / AUC, V
from CL times the mean residence time, ka 1/h) scored in one vectorised call, the best
refined by scipy's ``least_squares``. Given ``start`` values win. Omegas start at 0.3
(about 30 % CV), covariate coefficients at 0, the residual error at the pooled fit's
scatter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import least_squares

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.fit.nlme import NlmeData, NlmeModel, fit_nlme
from cxcr4lab.fit.nlme_map import CovariateEffect, covariate_map
from cxcr4lab.fit.nlme_model import ErrorModel, StructuralModel
from cxcr4lab.fit.nlme_result import NlmeResult
from cxcr4lab.pkpd.nca import derived_units
from cxcr4lab.pkpd.popfit_data import PopData, read_population
from cxcr4lab.pkpd.popfit_model import PkModelSpec, pk_prediction, pk_spec
from cxcr4lab.pkpd.popfit_ode import file_prediction
from cxcr4lab.pkpd.popfit_results import PopEstimate, PopFitResult, PopObservations
from cxcr4lab.pkpd.popfit_settings import CovariateSpec, PopFitSettings
from cxcr4lab.sim.model_file import parse_model_file

__all__ = ["PopFitResult", "PopFitSettings", "PopulationProblem", "build_problem", "fit_population"]

Array = NDArray[np.float64]


class PopulationProblem:
    """The data, model and units of one population fit, before fitting."""

    def __init__(
        self,
        data: PopData,
        spec: PkModelSpec | None,
        structural: StructuralModel,
        nlme_data: NlmeData,
        model: NlmeModel,
        units: dict[str, str],
        effects: tuple[CovariateEffect, ...],
        notes: tuple[str, ...],
        param_units: dict[str, str],
    ) -> None:
        self.param_units = param_units
        self.data = data
        self.spec = spec
        self.structural = structural
        self.nlme_data = nlme_data
        self.model = model
        self.units = units
        self.effects = effects
        self.notes = notes


def _default_bsv(spec: PkModelSpec) -> tuple[str, ...]:
    central = "V" if spec.structure.n_cmt == 1 else "V1"
    return ("CL", central) + (("ka",) if spec.oral else ())


def _resolve_covariates(
    specs: tuple[CovariateSpec, ...], data: PopData, names: tuple[str, ...]
) -> tuple[tuple[CovariateEffect, ...], tuple[str, ...], list[str]]:
    columns = {str(c).upper(): str(c) for c in data.covariates.columns}
    effects: list[CovariateEffect] = []
    used: list[str] = []
    notes: list[str] = []
    for s in specs:
        if s.parameter not in names:
            raise InputError(
                f"{quote(s.parameter)} is not a parameter of the model {names}",
                field=f"covariate {s.text}",
            )
        col = columns.get(s.covariate.upper())
        if col is None:
            have = ", ".join(map(str, data.covariates.columns)) or "none"
            raise InputError(
                f"the data have no numeric subject covariate {quote(s.covariate)} "
                f"(subject covariates: {have})",
                field=f"covariate {s.text}",
            )
        values = data.covariates[col].to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise InputError(
                f"covariate {col} is missing for subject {quote(data.subjects[bad[0]])}",
                file=data.source,
                column=col,
            )
        if col not in used:
            used.append(col)
        if s.kind == "categorical":
            levels, counts = np.unique(values, return_counts=True)
            if len(levels) < 2:
                raise InputError(
                    f"{col} has one level only ({levels[0]:g}): no effect to estimate",
                    field=f"covariate {s.text}",
                )
            refs = (
                [s.reference]
                if s.reference is not None
                else [float(v) for v in levels if v != levels[np.argmax(counts)]]
            )
            for r in refs:
                if r not in levels:
                    raise InputError(
                        f"{col} has no subject at level {r:g} (levels {levels.tolist()})",
                        field=f"covariate {s.text}",
                    )
                effects.append(CovariateEffect(s.parameter, col, "categorical", float(r)))
            continue
        if s.kind in ("power", "allometric") and np.any(values <= 0):
            i = int(np.flatnonzero(values <= 0)[0])
            raise InputError(
                f"a {s.kind} model needs {col} > 0; subject {quote(data.subjects[i])} has "
                f"{values[i]:g}",
                file=data.source,
                column=col,
            )
        ref = s.reference
        if ref is None:
            ref = 70.0 if s.kind == "allometric" else float(np.median(values))
            notes.append(f"{s.parameter}~{col} ({s.kind}) is centred at {ref:g}")
        effects.append(CovariateEffect(s.parameter, col, s.kind, ref))  # type: ignore[arg-type]
    return tuple(effects), tuple(used), notes


def _pooled_start(
    spec: PkModelSpec, structural: StructuralModel, data: PopData, amount_scale: float
) -> dict[str, float]:
    """Typical values from a naive pooled fit on log concentrations (see the module
    docstring)."""
    y = data.obs_dv
    keep = ~data.obs_blq & (y > 0)
    if keep.sum() < len(spec.param_names) + 1:
        raise InputError(
            f"only {int(keep.sum())} quantifiable observations for "
            f"{len(spec.param_names)} parameters",
            file=data.source,
        )
    # NCA-like guess from the pooled profile (all subjects, all doses)
    dose = float(np.mean(np.bincount(data.dose_subject, weights=data.dose_amount)))
    dose *= amount_scale
    t, c = data.obs_time[keep], y[keep]
    order = np.argsort(t)
    t, c = t[order], c[order]
    grid_t = np.unique(t)
    mean_c = np.array([np.mean(c[t == g]) for g in grid_t])
    auc = float(np.trapezoid(mean_c, grid_t)) if len(grid_t) > 1 else float(mean_c[0])
    aumc = float(np.trapezoid(mean_c * grid_t, grid_t)) if len(grid_t) > 1 else 1.0
    cl0 = dose / max(auc, 1e-12) if auc > 0 else 1.0
    mrt = max(aumc / auc, 0.1) if auc > 0 else 1.0
    v0 = cl0 * mrt
    x = np.arange(data.n_obs, dtype=float)[keep][:, None]
    ly = np.log(y[keep])
    names = spec.param_names

    def base(cl: float, v: float, ka: float) -> list[float]:
        out = {"CL": cl, "V": v, "V1": v / 2, "Q": cl, "V2": v / 2, "Q2": cl, "Q3": cl / 3}
        out |= {"V3": v / 2, "ka": ka, "tlag": 0.25}
        if spec.structure.n_cmt == 3:
            out |= {"V1": v / 3, "V2": v / 3, "V3": v / 3}
        return [out[n] for n in names]

    cands = np.array(
        [
            base(cl0 * a, v0 * b, ka)
            for a in (0.5, 1.0, 2.0)
            for b in (0.3, 1.0, 3.0)
            for ka in ((0.3, 1.0, 3.0) if spec.oral else (1.0,))
        ]
    )
    logc = np.log(cands)

    def resid(lp: Array) -> Array:
        with np.errstate(all="ignore"):
            f = structural.predict(np.repeat(np.exp(lp)[None, :], len(x), axis=0), x)
            r = np.log(np.maximum(f, 1e-300)) - ly
        return np.where(np.isfinite(r), r, 50.0)

    scores = [float(np.sum(resid(lp) ** 2)) for lp in logc]
    best = logc[int(np.argmin(scores))]
    try:
        sol = least_squares(resid, best, method="lm", max_nfev=400 * len(best))
        est = sol.x if np.all(np.isfinite(sol.x)) and sol.cost <= min(scores) / 2 else best
    except (ValueError, np.linalg.LinAlgError):
        est = best
    est = np.clip(est, -20.0, 20.0)
    return {n: float(v) for n, v in zip(names, np.exp(est), strict=True)}


def build_problem(
    frame: pd.DataFrame, settings: PopFitSettings, *, source: str, row_base: int = 2
) -> PopulationProblem:
    """The data, prediction and NLME model of a fit (see :func:`fit_population`)."""
    mfile = (
        parse_model_file(settings.model_file, source=settings.model_source)
        if settings.model_file is not None
        else None
    )
    spec = pk_spec(settings.model) if mfile is None else None
    depot_model = mfile.depot is not None if mfile is not None else bool(spec and spec.oral)
    data = read_population(
        frame, source=source, row_base=row_base, lloq=settings.lloq, depot_model=depot_model
    )
    units, factor = derived_units(settings.conc_unit, settings.dose_unit)
    if mfile is None:
        assert spec is not None
        structural = pk_prediction(spec, data, factor)
        param_units = {n: _unit_of(n, units) for n in spec.param_names}
    else:
        if data.form == "nonmem" and (mfile.depot, mfile.central) not in (
            (1, 2), (1, None), (None, 1),
        ):  # fmt: skip
            raise InputError(
                "a NONMEM data set has depot doses in CMT 1 and IV doses in CMT 2 (CMT 1 "
                "without a depot): the model file's [data] must say depot = 1, central = 2",
                file=mfile.source,
                field="data",
            )
        structural = file_prediction(mfile, data, amount_scale=factor)
        param_units = {p.name: p.unit for p in mfile.model.parameters}
    names = structural.phi_names
    bsv = settings.bsv or (_default_bsv(spec) if spec is not None else ())
    for group, label in ((bsv, "bsv"), (settings.bov, "bov")):
        for n in group:
            if n not in names:
                raise InputError(f"{quote(n)} is not a parameter of {names}", field=label)
    if settings.bov and data.n_occasions < 2:
        raise InputError(
            "between-occasion variability needs an OCC column with at least two occasions",
            field="bov",
        )
    effects, z_names, notes = _resolve_covariates(settings.covariate_specs, data, names)
    imap = covariate_map(
        names,
        bsv,
        transform="log",
        covariates=effects,
        z_names=z_names,
        bov=settings.bov,
        n_occasions=data.n_occasions if settings.bov else 1,
    )
    z = (
        data.covariates[list(z_names)].to_numpy(dtype=float)
        if z_names
        else np.zeros((data.n_subjects, 0))
    )
    nd = NlmeData(
        subject_ids=data.subjects,
        subject=data.obs_subject,
        y=data.obs_dv,
        x=np.column_stack([np.arange(data.n_obs, dtype=float), data.obs_time]),
        x_names=("obs", "time"),
        rows=data.obs_row,
        z=z if z_names else np.zeros((0, 0)),
        z_names=z_names,
        y_name="DV",
        cens=data.obs_blq.astype(np.int8),
        occasion=data.obs_occasion if settings.bov else None,
    )
    given = dict(settings.start)
    unknown = [n for n in given if n not in names]
    if unknown:
        raise InputError(f"unknown parameters {unknown}; the model has {names}", field="start")
    if mfile is not None:
        start = {p.name: p.value for p in mfile.model.parameters}
    elif len(given) < len(names):
        assert spec is not None
        start = _pooled_start(spec, structural, data, factor)
    else:
        start = {}
    start |= given
    n_beta = len(imap.theta_names) - len(names)
    quant = data.obs_dv[~data.obs_blq]
    low = float(np.quantile(quant[quant > 0], 0.05)) if np.any(quant > 0) else 1.0
    error = ErrorModel(
        kind=settings.error,  # type: ignore[arg-type]
        additive=max(low / 2, 1e-8) if settings.error != "proportional" else None,
        proportional=0.2 if settings.error != "additive" else None,
    )
    model = NlmeModel(
        structural=structural,
        individual=imap,
        theta_start=tuple(start[n] for n in names) + (0.0,) * n_beta,
        error=error,
        omega=settings.omega,  # type: ignore[arg-type]
        omega_start=(0.3,) * len(imap.eta_names),
    )
    return PopulationProblem(
        data, spec, structural, nd, model, units, effects, data.notes + tuple(notes), param_units
    )


def _unit_of(name: str, units: dict[str, str]) -> str:
    if name == "CL" or name.startswith("Q"):
        return units["cl"]
    if name.startswith("V"):
        return units["v"]
    if name == "ka":
        return "1/h"
    if name == "tlag":
        return "h"
    return ""


def _estimates(problem: PopulationProblem, fit: NlmeResult) -> tuple[PopEstimate, ...]:
    names = problem.structural.phi_names
    cov_names = set(problem.model.individual.theta_names[len(names) :])
    out: list[PopEstimate] = []
    shrink = dict(zip(fit.eta_names, fit.shrinkage, strict=True))
    sd_names = problem.model.individual.sd_names
    for name, kind, value, se, lo, hi in zip(
        fit.param_names, fit.kinds, fit.estimates, fit.stderr, fit.ci_lower, fit.ci_upper,
        strict=True,
    ):  # fmt: skip
        if kind == "theta":
            k = "covariate" if name in cov_names else "theta"
            unit = problem.param_units.get(name, "") if k == "theta" else ""
            out.append(PopEstimate(name, k, value, unit, se, lo, hi))
        elif kind == "omega" and not name.startswith("cor("):
            etas = [e for e, s in zip(fit.eta_names, sd_names, strict=True) if s == name]
            sh = shrink.get(etas[0]) if len(etas) == 1 else None
            out.append(
                PopEstimate(
                    name,
                    "omega",
                    value,
                    "",
                    se,
                    lo,
                    hi,
                    cv_percent=100.0 * math.sqrt(math.expm1(value * value)),
                    shrinkage_percent=None if sh is None or math.isnan(sh) else 100.0 * sh,
                )
            )
        elif kind == "omega":
            out.append(PopEstimate(name, "omega", value, "", se, lo, hi))
        else:
            unit = problem.units["conc"] if name == "sigma_add" else "fraction"
            out.append(PopEstimate(name, "sigma", value, unit, se, lo, hi))
    return tuple(out)


def _individual(problem: PopulationProblem, fit: NlmeResult) -> Array:
    """Individual parameters at the EBEs (between-subject etas; occasion etas at 0)."""
    imap = problem.model.individual
    m = problem.nlme_data.n_subjects
    theta = np.repeat(np.array(fit.estimation_values[: len(imap.theta_names)])[None, :], m, 0)
    eta = np.array(fit.ebe, dtype=float).reshape(m, len(imap.eta_names))
    q_bsv = imap.linear.q_bsv if imap.linear is not None else eta.shape[1]
    eta[:, q_bsv:] = 0.0
    z = problem.nlme_data.z_matrix
    if imap.per_observation:
        z = np.column_stack([z, np.zeros(m)])
    return imap.phi(theta, eta, z)


def _diagnostics(
    problem: PopulationProblem, fit: NlmeResult, settings: PopFitSettings
) -> tuple[
    Any, tuple[tuple[str, float | None], ...], tuple[tuple[str, tuple[float | None, ...]], ...]
]:
    """CWRES and NPDE (:mod:`cxcr4lab.fit.nlme_diagnostics`), their summary, and the
    prediction-corrected VPC over time (:mod:`cxcr4lab.fit.nlme_vpc`); nothing without
    replicates."""
    from cxcr4lab.fit.nlme_diagnostics import diagnose
    from cxcr4lab.fit.nlme_vpc import vpc

    n = settings.vpc_replicates
    if n < 1:
        return None, (), ()
    model, nd = problem.model, problem.nlme_data
    diag = diagnose(model, nd, fit, n_rep=n, seed=settings.seed)
    table = diag.summary()
    summary: list[tuple[str, float | None]] = []
    for row in ("cwres", "npde"):
        if row in table.index:
            r = table.loc[row]
            for key, label in (
                ("mean", "mean"),
                ("variance", "variance"),
                ("normality_p", "normality p"),
                ("global_p", "global p"),
            ):
                summary.append((f"{row.upper()} {label}", _float(r.get(key))))
    result = vpc(model, nd, fit, n_rep=n, seed=settings.seed, idv="time")
    frame = result.frame
    columns: list[tuple[str, tuple[float | None, ...]]] = [
        ("time", tuple(_float(v) for v in result.idv_median))
    ]
    for col in frame.columns:
        columns.append((str(col), tuple(_float(v) for v in frame[col])))
    return diag, tuple(summary), tuple(columns)


def _float(v: object) -> float | None:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _observations(problem: PopulationProblem, fit: NlmeResult) -> PopObservations:
    from cxcr4lab.fit.nlme import predict_observations

    model, nd = problem.model, problem.nlme_data
    p = len(model.individual.theta_names)
    theta = np.array(fit.estimation_values[:p])
    q = len(model.individual.eta_names)
    ebe = np.array(fit.ebe, dtype=float).reshape(nd.n_subjects, q)
    pred = predict_observations(model, nd, theta, np.zeros_like(ebe))
    ipred = predict_observations(model, nd, theta, ebe)
    sig = {
        n: v
        for n, k, v in zip(fit.param_names, fit.kinds, fit.estimates, strict=True)
        if k == "sigma"
    }
    a, b = sig.get("sigma_add", 0.0), sig.get("sigma_prop", 0.0)
    sd = np.sqrt(a * a + b * b * ipred * ipred)
    iwres = np.where(problem.data.obs_blq, np.nan, (nd.y - ipred) / sd)
    data = problem.data
    return PopObservations(
        subject=tuple(data.subjects[i] for i in data.obs_subject),
        time=tuple(float(v) for v in data.obs_time),
        dv=tuple(float(v) for v in data.obs_dv),
        blq=tuple(bool(v) for v in data.obs_blq),
        pred=tuple(float(v) for v in pred),
        ipred=tuple(float(v) for v in ipred),
        iwres=tuple(float(v) for v in iwres),
        cwres=(None,) * data.n_obs,
        npde=(None,) * data.n_obs,
    )


def fit_population(
    frame: pd.DataFrame,
    settings: PopFitSettings,
    *,
    source: str,
    row_base: int = 2,
    progress: Callable[[str], None] | None = None,
) -> PopFitResult:
    """Fit the population model of ``settings`` to the table ``frame`` (see the module
    docstring); ``progress`` is told each stage (reading, fitting, diagnostics)."""
    say = progress or (lambda _s: None)
    say("reading the data")
    problem = build_problem(frame, settings, source=source, row_base=row_base)
    say(f"fitting {problem.structural.name} by {settings.method}")
    kwargs: dict[str, Any] = {}
    if settings.method == "saem":
        kwargs["seed"] = settings.seed
        kwargs["progress"] = lambda i, n: say(f"fitting by saem: iteration {i} of {n}")
    fit = fit_nlme(problem.model, problem.nlme_data, method=settings.method, **kwargs)  # type: ignore[arg-type]
    say("diagnostics")
    individual = _individual(problem, fit)
    obs = _observations(problem, fit)
    diag, diag_summary, vpc_columns = _diagnostics(problem, fit, settings)
    if diag is not None:
        obs = replace(
            obs,
            cwres=tuple(_float(v) for v in diag.cwres),
            npde=tuple(_float(v) for v in diag.npde),
        )
    data = problem.data
    covs = data.covariates
    return PopFitResult(
        source=source,
        settings=settings,
        fit=fit,
        estimates=_estimates(problem, fit),
        units=tuple(problem.units.items()),
        parameter_names=problem.structural.phi_names,
        subjects=data.subjects,
        individual=tuple(tuple(float(v) for v in row) for row in individual),
        covariate_names=tuple(str(c) for c in covs.columns),
        covariate_values=tuple(tuple(float(v) for v in row) for row in covs.to_numpy(dtype=float)),
        n_doses=len(data.dose_time),
        n_blq=data.n_blq,
        observations=obs,
        notes=problem.notes,
        effects=tuple((e.parameter, e.covariate, e.kind, e.reference) for e in problem.effects),
        diagnostics_summary=diag_summary,
        vpc=vpc_columns,
    )
