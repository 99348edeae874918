"""Fit 1-, 2- and 3-compartment PK models to concentration-time data, one subject at a time.

:func:`fit_subject` fits one subject's concentrations (h, concentration unit) given its dose
records (:class:`DoseRecord`: IV bolus, zero-order infusion with a duration, or oral with
first-order absorption). The fit goes through the :mod:`cxcr4lab.fit` engine: a curve model whose
parameters are the natural logs of ``CL, V`` (``V1, Q, V2``, ...) and ``ka``, so every estimate
stays positive. Its prediction is the closed-form superposition of
:mod:`cxcr4lab.pkpd.compartments`. Details:

- **Starting values** come from an NCA of the profile. The terminal slope lambda_z gives CL =
  dose/AUCinf and V = CL/lambda_z, and Tmax gives ka. Around these a grid of starting points is
  scored in one vectorised call, and the best two are refined by the engine's
  Levenberg-Marquardt.
- **Weights**: ``none``, ``1/y`` or ``1/y^2``, computed from the observed concentrations.
- **Uncertainty**: SEs come from the asymptotic covariance of the log parameters. The 95% CIs are
  exp(log value +/- t SE), so they are asymmetric and always positive. ``profile=True`` adds
  profile-likelihood CIs.
- **Model choice**: ``model="auto"`` fits every compartment count the data can support and
  keeps the lowest AICc.
- **Secondary parameters** get delta-method CIs on the log scale: the terminal half-life (and
  the faster ones), the absorption half-life, Vss and AUCinf (all doses).

For oral doses CL, V and Q are apparent (divided by F).

:func:`fit_pk_table` fits every subject of a table (one result per subject). A subject that
cannot be fitted is kept with flag ``failed`` and the reason, so the batch goes on. Two table
forms are read:

* the NCA form ``subject, time, conc, dose`` with optional ``route`` (``extravascular``/``oral``,
  ``iv bolus``, ``infusion``) and ``duration`` (h): one dose per subject at time 0;
* the NONMEM form (``ID, TIME, DV, AMT``, with optional ``EVID, RATE, II, ADDL, MDV``; see
  :mod:`cxcr4lab.pkpd.datasets`): any number of dose records, RATE > 0 meaning an infusion of
  AMT/RATE h; the route then comes from the settings.

Concentrations given as ``BLQ`` (or below ``lloq``) are left out of the fit, with a note.

>>> import numpy as np
>>> t = np.array([0.5, 1, 2, 4, 6, 8, 12, 24])
>>> c = 100 / 20 * np.exp(-0.25 * t) * np.exp(0.01 * np.sin(3 * t))
>>> fit = fit_subject(t, c, [DoseRecord(0.0, 100.0)], model="1cmt")
>>> {e.name: round(e.value, 1) for e in fit.estimates}  # truth: CL 5 L/h, V 20 L
{'CL': 5.0, 'V': 19.8}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize
from scipy.special import stdtrit

from cxcr4lab.core.errors import Cxcr4labError, InputError, Place
from cxcr4lab.fit import FitResult, Model, fit_curve
from cxcr4lab.fit.weights import WeightScheme, weights_for
from cxcr4lab.pkpd.compartments import MODEL_NAMES, Doses, Structure, concentrations, disposition
from cxcr4lab.pkpd.nca import derived_units
from cxcr4lab.pkpd.nca_calc import auc_segments, best_slope, fit_slope
from cxcr4lab.pkpd.pkfit_results import (
    MODEL_CHOICES,
    PKFIT_FLAGS,
    ROUTES,
    WEIGHTINGS,
    DoseRecord,
    Estimate,
    PkFitResult,
    PkFitSettings,
    SubjectPkFit,
    dose_arrays,
    route_name,
)
from cxcr4lab.pkpd.pkfit_tables import read_pk_table

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
    "fit_pk_table",
    "fit_subject",
]

Array = NDArray[np.float64]

_STEP = float(np.cbrt(np.finfo(float).eps))  # central-difference step on log parameters
_LOG_LIMIT = 40.0  # log parameters are clipped to +/- this inside the model (no overflow)


# --------------------------------------------------------------------------------------------
# one subject


def _check_doses(records: Sequence[DoseRecord], place: Place) -> None:
    if not records:
        raise InputError("no dose record: a PK model needs the doses", place=place)
    routes = {r.route for r in records}
    if not routes <= set(ROUTES):
        raise InputError(f"dose route must be iv or oral, got {sorted(routes)}", place=place)
    if len(routes) > 1:
        raise InputError("doses mix iv and oral routes; fit one route at a time", place=place)
    for r in records:
        bad = [
            (name, value)
            for name, value in (("time", r.time), ("amount", r.amount), ("duration", r.duration))
            if not math.isfinite(value) or value < 0
        ]
        if bad or r.amount <= 0:
            name, value = bad[0] if bad else ("amount", r.amount)
            raise InputError(
                f"dose at {r.time:g} h: {name} must be {'> 0' if name == 'amount' else '>= 0'}, "
                f"got {value:g}",
                place=place,
            )
        if r.route == "oral" and r.duration > 0:
            raise InputError(
                f"dose at {r.time:g} h: oral doses are first-order (no duration)", place=place
            )


def _pk_model(structure: Structure, doses: Doses) -> Model:
    """The fit engine's curve model: x = time (h), parameters = log of the PK parameters."""
    names = tuple(f"log_{n}" for n in structure.param_names)

    def f(x: Array, theta: Array) -> Array:
        with np.errstate(all="ignore"):
            P = np.exp(np.clip(theta, -_LOG_LIMIT, _LOG_LIMIT))[None, :]
            return np.asarray(concentrations(structure, P, doses, x)[0], dtype=np.float64)

    def jac(x: Array, theta: Array) -> Array:
        k = theta.size
        stack = np.repeat(theta[None, :], 2 * k, axis=0)
        stack[np.arange(k), np.arange(k)] += _STEP
        stack[k + np.arange(k), np.arange(k)] -= _STEP
        with np.errstate(all="ignore"):
            C = concentrations(structure, np.exp(np.clip(stack, -_LOG_LIMIT, _LOG_LIMIT)), doses, x)
        return np.asarray(((C[:k] - C[k:]) / (2 * _STEP)).T, dtype=np.float64)

    def guess(x: Array, y: Array) -> Array:
        return np.full(len(names), np.nan)  # starts are always given (see _starts)

    return Model(
        name=f"pkfit_{structure.name}_{'oral' if structure.oral else 'iv'}",
        title=f"{structure.name} {'oral' if structure.oral else 'IV'} PK model (log parameters)",
        param_names=names,
        f=f,
        jac=jac,
        guess=guess,
        x_is_log10=False,
    )


def _nca_start(
    t: Array, c: Array, doses: Doses, structure: Structure
) -> tuple[float, float, float, float]:
    """Rough CL, V (native units), terminal rate lambda_z and ka (1/h) from an NCA."""
    t0 = float(doses.time.min())
    pos = c > 0
    tp, cp = t[pos], c[pos]
    imax = int(np.argmax(cp))
    start = imax if not structure.oral and doses.duration.max() == 0 else imax + 1
    slope = best_slope(tp[start:], cp[start:], min_points=3, tolerance=1e-4)
    if slope is None:
        slope = fit_slope(tp[imax:], cp[imax:])
    span = max(float(tp[-1] - t0), 1e-6)
    lz = slope.lambda_z if slope is not None and slope.lambda_z > 0 else math.log(2) / span
    after = t >= t0
    ta, ca = np.concatenate([[t0], t[after]]), np.concatenate([[0.0], np.where(c > 0, c, 0)[after]])
    if not structure.oral and doses.duration.max() == 0:  # bolus: C(t0) back-extrapolated
        ca[0] = float(cp[0] * math.exp(lz * (tp[0] - t0)))
    auc = float(auc_segments(ta, ca, "log-down")[0].sum()) + float(cp[-1]) / lz
    given = doses.amount[doses.time <= tp[-1]].sum()
    cl = float(given) / auc if auc > 0 else 1.0
    v = cl / lz
    ka = 2.0 * lz
    tmax = float(tp[imax] - t0)
    if structure.oral and 0 < tmax < 1 / lz:
        # 1-compartment tmax = ln(ka/k)/(ka - k), decreasing in ka from 1/k towards 0
        def gap(a: float) -> float:
            return math.log(a / lz) / (a - lz) - tmax

        hi = lz * 1e4
        if gap(hi) < 0:
            ka = float(optimize.brentq(gap, lz * (1 + 1e-9), hi, xtol=1e-6 * lz))
        else:
            ka = hi
    return cl, v, lz, ka


def _starts(structure: Structure, cl: float, v: float, ka: float) -> Array:
    """Candidate starting points (log parameters), one per row."""
    n = structure.n_cmt
    grids: list[list[float]]
    if n == 1:
        grids = [[cl], [v * f for f in (0.5, 1.0, 2.0)]]
    elif n == 2:
        grids = [
            [cl],
            [v * f for f in (0.1, 0.3, 0.6)],
            [cl * f for f in (0.5, 2.0, 8.0)],
            [v * f for f in (0.5, 1.5)],
        ]
    else:
        grids = [
            [cl],
            [v * f for f in (0.05, 0.2)],
            [cl * f for f in (2.0, 10.0)],
            [v * f for f in (0.3, 1.0)],
            [cl * f for f in (0.3, 1.5)],
            [v * f for f in (1.0, 4.0)],
        ]
    if structure.oral:
        grids.append([ka * f for f in (0.25, 1.0, 4.0)])
    mesh = np.meshgrid(*[np.log(g) for g in grids], indexing="ij")
    return np.column_stack([m.ravel() for m in mesh])


@dataclass(frozen=True)
class _Fitted:
    structure: Structure
    fit: FitResult


def _fit_structure(
    structure: Structure,
    t: Array,
    c: Array,
    w: Array | None,
    doses: Doses,
    profile: bool,
    place: Place,
) -> _Fitted:
    model = _pk_model(structure, doses)
    cl, v, _, ka = _nca_start(t, c, doses, structure)
    starts = _starts(structure, cl, v, ka)
    with np.errstate(all="ignore"):
        pred = concentrations(structure, np.exp(starts), doses, t)
    sw = np.ones_like(c) if w is None else w
    rss = np.where(np.isfinite(pred).all(axis=1), ((pred - c) ** 2 * sw).sum(axis=1), np.inf)
    best: FitResult | None = None
    for i in np.argsort(rss)[: 1 if structure.n_cmt == 1 and not structure.oral else 2]:
        fit = fit_curve(
            model,
            t,
            c,
            weights=w,
            start=dict(zip(model.param_names, starts[i], strict=True)),
            profile=model.param_names if profile else (),
            place=place,
        )
        if best is None or (fit.converged, -fit.rss) > (best.converged, -best.rss):
            best = fit
    assert best is not None
    return _Fitted(structure, best)


def _transform(
    theta: Array, cov: Array | None, dof: int, fn: Any, eps: float = _STEP
) -> tuple[float, float | None]:
    """log g(theta) and its delta-method SE for a positive scalar function ``g``."""
    value = math.log(float(fn(theta)))
    if cov is None or dof <= 0:
        return value, None
    grad = np.empty(theta.size)
    for j in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[j] += eps
        down[j] -= eps
        grad[j] = (math.log(float(fn(up))) - math.log(float(fn(down)))) / (2 * eps)
    var = float(grad @ cov @ grad)
    return value, math.sqrt(var) if var >= 0 and math.isfinite(var) else None


def _estimate(
    name: str, unit: str, log_value: float, log_se: float | None, t: float | None, scale: float
) -> Estimate:
    value = scale * math.exp(log_value)
    if log_se is None or t is None:
        return Estimate(name, value, unit)
    return Estimate(
        name,
        value,
        unit,
        se=value * log_se,
        ci_lower=_exp(log_value - t * log_se, scale),
        ci_upper=_exp(log_value + t * log_se, scale),
    )


def _exp(x: float, scale: float) -> float | None:
    """scale * exp(x), or None (not a number) where that overflows or vanishes."""
    return scale * math.exp(x) if -700.0 < x < 700.0 else None


def _secondary(
    structure: Structure,
    theta: Array,
    cov: Array | None,
    dof: int,
    t_crit: float | None,
    doses: Doses,
    units: Mapping[str, str],
    vfactor: float,
) -> tuple[Estimate, ...]:
    def rates(th: Array) -> Array:
        k, _ = disposition(structure, np.exp(th)[None, :])
        return np.asarray(k[0])

    out: list[Estimate] = []
    n = structure.n_cmt
    phase = ("alpha", "beta")
    for j in range(n):  # rates are terminal first
        name = "t1/2 terminal" if j == 0 else f"t1/2 {phase[n - 1 - j]}"
        lv, se = _transform(theta, cov, dof, lambda th, j=j: math.log(2) / rates(th)[j])
        out.append(_estimate(name, "h", lv, se, t_crit, 1.0))
    if structure.oral:
        lv, se = _transform(theta, cov, dof, lambda th: math.log(2) / math.exp(th[-1]))
        out.append(_estimate("t1/2 absorption", "h", lv, se, t_crit, 1.0))
    idx = [structure.param_names.index(v) for v in structure.volumes]
    lv, se = _transform(theta, cov, dof, lambda th: float(np.exp(th[idx]).sum()))
    out.append(_estimate("Vss", units["v"], lv, se, t_crit, vfactor))
    lv, se = _transform(theta, cov, dof, lambda th: doses.total / math.exp(th[0]))
    out.append(_estimate("AUCinf", units["auc"], lv, se, t_crit, 1.0))
    return tuple(out)


def _flags(fit: FitResult, structure: Structure, estimates: Sequence[Estimate]) -> list[str]:
    if not fit.converged:
        return ["not_converged"]
    flags: list[str] = []
    if any(se is None or not math.isfinite(se) for se in fit.stderr):
        flags.append("ambiguous")
    if any(
        e.ci_lower is not None and e.ci_upper is not None and e.ci_upper > 100 * e.ci_lower
        for e in estimates
    ):
        flags.append("wide_ci")
    if structure.oral:
        k, _ = disposition(structure, np.exp(np.asarray(fit.values))[None, :])
        if math.exp(fit.values[-1]) < k[0, 0]:
            flags.append("flip_flop")
    return flags


def _clean(
    time: ArrayLike, conc: ArrayLike, weights: str, place: Place, notes: list[str]
) -> tuple[Array, Array]:
    t = np.asarray(time, dtype=float).ravel()
    c = np.asarray(conc, dtype=float).ravel()
    if t.shape != c.shape:
        raise InputError(f"{t.size} times but {c.size} concentrations", place=place)
    for label, arr, nan_ok in (("time", t, False), ("concentration", c, True)):
        bad = (np.isnan(arr) & (not nan_ok)) | np.isinf(arr) | (arr < 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"{label} #{i + 1} is {arr[i]:g} (must be >= 0)", place=place)
    blq = np.isnan(c)
    if blq.all():
        raise InputError("no measurable concentration (all BLQ): nothing to fit", place=place)
    if blq.any():
        notes.append(f"BLQ at t = {', '.join(f'{x:g}' for x in t[blq])} h: excluded")
    keep = ~blq
    if weights != "none":
        zero = keep & (c == 0)
        if zero.any():
            notes.append(
                f"zero concentration at t = {', '.join(f'{x:g}' for x in t[zero])} h: "
                f"excluded (weight {weights} undefined)"
            )
            keep &= ~zero
    return t[keep], c[keep]


def fit_subject(
    time: ArrayLike,
    conc: ArrayLike,
    doses: Sequence[DoseRecord],
    *,
    model: str = "auto",
    weights: str = "none",
    subject: str = "1",
    conc_unit: str = "mg/L",
    dose_unit: str = "mg",
    profile: bool = False,
    alpha: float = 0.05,
    place: Place | None = None,
) -> SubjectPkFit:
    """Fit a compartment model to one subject (see the module docstring).

    ``time`` in h on the dose records' clock; ``conc`` in ``conc_unit`` with NaN for BLQ;
    ``doses`` in ``dose_unit``. Bad input raises one :class:`InputError` naming ``place`` (or the
    subject): negative or infinite values, no dose, mixed routes, every sample BLQ, or fewer
    measured concentrations than parameters + 1. A fit that goes badly is returned flagged.
    """
    where = place or Place(field=f"subject {subject}")
    settings = PkFitSettings(model=model, weights=weights, conc_unit=conc_unit, dose_unit=dose_unit)
    _check_doses(doses, where)
    notes: list[str] = []
    t, c = _clean(time, conc, weights, where, notes)
    oral = doses[0].route == "oral"
    names = [settings.model] if settings.model != "auto" else [m for m in MODEL_NAMES]
    if oral and settings.model == "auto":
        names = [m for m in names if m != "3cmt"]
    structures = [Structure.named(m, oral=oral) for m in names]
    usable = [s for s in structures if c.size >= len(s.param_names) + 1]
    if not usable:
        k = len(structures[0].param_names)
        raise InputError(
            f"{c.size} measured concentrations cannot fit the {k} parameters of the "
            f"{structures[0].name} model (need at least {k + 1})",
            place=where,
        )
    if len(np.unique(t)) < 2:
        raise InputError("all measured concentrations are at one time", place=where)
    skipped = [s.name for s in structures if s not in usable]
    if skipped:
        notes.append(f"{', '.join(skipped)} not tried: too few measured concentrations")
    arrays = dose_arrays(doses)
    scheme = cast(WeightScheme, settings.weights)
    w = None if scheme == "none" else weights_for(scheme, t, c, place=where)
    fits = [_fit_structure(s, t, c, w, arrays, profile, where) for s in usable]
    scored = [f for f in fits if f.fit.converged and f.fit.aicc is not None]
    chosen = min(scored, key=lambda f: f.fit.aicc or 0.0) if scored else fits[0]
    candidates = tuple((f.structure.name, f.fit.aicc) for f in fits)
    if len(fits) > 1:
        notes.append(
            "AICc: "
            + ", ".join(f"{m} {'-' if a is None else f'{a:.2f}'}" for m, a in candidates)
            + f"; kept {chosen.structure.name}"
        )
    fitted = _summarise(chosen, doses, arrays, t, c, settings, candidates, notes, alpha)
    return replace(fitted, subject=subject)


def _summarise(
    chosen: _Fitted,
    records: Sequence[DoseRecord],
    doses: Doses,
    t: Array,
    c: Array,
    settings: PkFitSettings,
    candidates: tuple[tuple[str, float | None], ...],
    notes: list[str],
    alpha: float,
) -> SubjectPkFit:
    units, vfactor = derived_units(settings.conc_unit, settings.dose_unit)
    fit, structure = chosen.fit, chosen.structure
    theta = np.asarray(fit.values)
    cov = None if fit.covariance is None else np.asarray(fit.covariance)
    t_crit = float(stdtrit(fit.dof, 1 - alpha / 2)) if fit.dof > 0 and cov is not None else None
    estimates: list[Estimate] = []
    for j, name in enumerate(structure.param_names):
        unit = "1/h" if name == "ka" else units["v"] if name.startswith("V") else units["cl"]
        scale = 1.0 if name == "ka" else vfactor
        se = fit.stderr[j]
        est = _estimate(name, unit, float(theta[j]), se, t_crit, scale)
        prof = fit.profile(f"log_{name}")
        if prof is not None:
            notes.append(
                f"{name} profile-likelihood 95% CI: "
                + " to ".join(
                    "unbounded" if b is None else f"{scale * math.exp(b):.4g}"
                    for b in (prof.lower, prof.upper)
                )
            )
        estimates.append(est)
    secondary = _secondary(structure, theta, cov, fit.dof, t_crit, doses, units, vfactor)
    return SubjectPkFit(
        subject="",
        route=route_name(records),
        model=structure.name,
        weights=settings.weights,
        doses=tuple(records),
        time=tuple(float(x) for x in t),
        conc=tuple(float(x) for x in c),
        estimates=tuple(estimates),
        secondary=secondary,
        log_values=tuple(float(x) for x in theta),
        log_covariance=fit.covariance,
        vfactor=vfactor,
        rss=fit.rss,
        aicc=fit.aicc,
        dof=fit.dof,
        converged=fit.converged,
        candidates=candidates,
        flags=tuple(_flags(fit, structure, estimates)),
        notes=tuple(notes),
    )


def fit_pk_table(
    frame: pd.DataFrame,
    settings: PkFitSettings | None = None,
    *,
    source: str,
    row_base: int = 2,
) -> PkFitResult:
    """Fit every subject of ``frame`` (NCA or NONMEM form; see the module docstring).

    Table errors (missing columns, text in number cells, negative values) raise one
    :class:`InputError` naming the file row; a subject that cannot be fitted is kept, flagged
    ``failed`` with the reason. ``row_base`` is the file line of the first data row.
    """
    settings = settings or PkFitSettings()
    data = read_pk_table(frame, settings, source=source, row_base=row_base)
    units, vfactor = derived_units(settings.conc_unit, settings.dose_unit)
    fits: list[SubjectPkFit] = []
    for d in data:
        try:
            fit = fit_subject(
                d.time,
                d.conc,
                d.doses,
                model=settings.model,
                weights=settings.weights,
                subject=d.subject,
                conc_unit=settings.conc_unit,
                dose_unit=settings.dose_unit,
                profile=settings.profile,
                place=Place(file=source, field=f"subject {d.subject}"),
            )
            fits.append(replace(fit, subject=d.subject, notes=(*d.notes, *fit.notes)))
        except (Cxcr4labError, np.linalg.LinAlgError) as exc:
            message = exc.message if isinstance(exc, InputError) else str(exc)
            measured = np.isfinite(d.conc)  # BLQ samples are not kept (NaN does not round-trip)
            fits.append(
                SubjectPkFit(
                    subject=d.subject,
                    route=route_name(d.doses) if d.doses else settings.route or "-",
                    model=settings.model,
                    weights=settings.weights,
                    doses=d.doses,
                    time=tuple(float(x) for x in d.time[measured]),
                    conc=tuple(float(x) for x in d.conc[measured]),
                    vfactor=vfactor,
                    flags=("failed",),
                    notes=(*d.notes, message),
                    error=message,
                )
            )
    return PkFitResult(source=source, settings=settings, subjects=tuple(fits), units=units)
