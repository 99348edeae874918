"""The Simeoni tumour-growth-inhibition (TGI) PK/PD model, fitted with the mouse PK driving it.

Simeoni et al., Cancer Res 2004;64:1094-1101. Proliferating cells ``x1`` grow exponentially
(rate ``lambda0``, 1/day) and then linearly (``lambda1``, burden/day), the switch made smooth by
``psi`` (20, as in the paper); a drug at plasma concentration ``C(t)`` (mg/L) damages them at
rate ``k2 C`` (L/mg/day), and damaged cells pass through three transit compartments (rate
``k1``, 1/day) before they die::

    dx1/dt = lambda0 x1 / [1 + (lambda0 w / lambda1)^psi]^(1/psi) - k(t) x1
    dx2/dt = k_d(t) x1 - k1 x2,   dx3/dt = k1 (x2 - x3),   dx4/dt = k1 (x3 - x4)
    w = x1 + sum of the damaged compartments,  x1(0) = w0

Two drugs (the in-vivo combination study) follow Terranova et al., Cancer Chemother Pharmacol
2013;72:471-482 (the no-interaction model of Magni et al., IEEE Trans Biomed Eng
2012;59:2161-2170): each drug damages proliferating cells at its own rate ``k2_A C_A``,
``k2_B C_B`` into its own transit chain, and one interaction term ``gamma C_A C_B``
((L/mg)^2/day) adds to the damage; ``gamma = 0`` is additivity, ``gamma > 0`` synergy,
``gamma < 0`` antagonism. Here the cells damaged by the interaction join the first drug's
chain (an assumption: the cytotoxic drug's death process). The model is declared once for the
:mod:`cxcr4lab.sim` engine (time in h, rates per day divided by 24) with each drug's PK
(:class:`~cxcr4lab.preclinical.translation.SpeciesPk`, per kg) as states, so the PK drives the
tumour exactly as dosed.

Simeoni's threshold concentration ``C_T = lambda0 / k2`` (mg/L) is the constant concentration
that holds the exponential phase still: above it the tumour shrinks
(:meth:`TgiFit.threshold_concentration`).

**Fitting** (:func:`fit_tgi`) is through the fit engine (:func:`cxcr4lab.fit.fit_curve`; with
bounds it runs scipy's trust-region reflective solver) on the natural logs of ``w0, lambda0,
lambda1, k1`` (``k1`` shared by the drugs' chains) and on each ``k2`` itself (>= 0, so a drug
without effect alone is estimated at 0 with a CI), to the log of the observed burden (BLI total
flux or tumour volume), pooled over animals (naive pooled) and over the groups given. The predictions of every
group, and of every parameter perturbation of the central-difference Jacobian, come from one
call of the compiled batch kernel of the sim engine (:func:`cxcr4lab.sim.run_batch`: the linear
PK block solved exactly, the tumour by Dormand-Prince at rtol 1e-9). CIs are Wald CIs, on the
log scale (``exp(log value +/- t SE)``) for the log-fitted parameters.

**Combination** (:func:`compare_combination`): the fitted single-agent parameters predict the
combination group under additivity (``gamma = 0``), with a 95 % band from the delta method; the
observed group geometric means are set beside it, and ``gamma`` alone is fitted to the
combination group (the other parameters held) with its CI and a t-test of ``gamma = 0``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import stdtr

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.fit import FitResult
from cxcr4lab.fit import Model as CurveModel
from cxcr4lab.fit.solve import fit_curve
from cxcr4lab.preclinical.study import SCHEDULES as STUDY_SCHEDULES
from cxcr4lab.preclinical.study import StudyDesign
from cxcr4lab.preclinical.translation import (
    MOUSE_PK,
    Dosing,
    SpeciesPk,
    dose_events,
    simulate_exposure,
)
from cxcr4lab.sim import (
    Model,
    Output,
    Parameter,
    Schedule,
    SimResult,
    State,
    combine,
    run_batch,
    schedules,
    simulate,
)

__all__ = [
    "CHAIN",
    "PSI",
    "CombinationComparison",
    "GroupDosing",
    "TgiDrug",
    "TgiFit",
    "TgiParameters",
    "burden",
    "burden_many",
    "compare_combination",
    "design_dosing",
    "design_drugs",
    "fit_tgi",
    "simulate_tgi",
    "tgi_model",
    "unperturbed_time",
]

Array = NDArray[np.float64]

PSI = 20.0
"""Simeoni's switch exponent (fixed in the paper)."""
CHAIN = 3
"""Transit (damage) compartments per drug (x2, x3, x4 in Simeoni et al.)."""

_RTOL, _ATOL = 1e-9, 1e-12
_STEP = 1e-5
_LOG_LIMIT = 50.0
_MAX_STEPS = 200_000
_MAX_KILL = 200.0
"""Upper bound (1/day) on k2 Cmax (and |gamma| Cmax_A Cmax_B) in a fit: faster damage than
this is indistinguishable in weekly data and makes the equations stiff."""


@dataclass(frozen=True)
class TgiDrug(Serial):
    """A drug of the TGI model: its ``name`` (as in the dosing), a short identifier ``code``
    used in the model's state and parameter names, and its PK."""

    name: str
    code: str
    pk: SpeciesPk

    def __post_init__(self) -> None:
        if not self.code.isidentifier() or not self.code.isupper():
            raise InputError(
                f"must be an upper-case identifier, got {quote(self.code)}", field="code"
            )
        if self.name != self.pk.compound:
            raise InputError(
                f"drug {self.name!r} has the PK of {self.pk.compound!r}", field=f"{self.name}"
            )


@dataclass(frozen=True)
class GroupDosing(Serial):
    """The doses of one treatment group (none for the vehicle group)."""

    group: str
    doses: tuple[Dosing, ...] = ()


@dataclass(frozen=True)
class TgiParameters(Serial):
    """Simeoni parameters: initial burden ``w0`` and linear growth ``lambda1`` (per day) in the
    burden's unit, ``lambda0`` (1/day), per drug ``k1`` (1/day) and ``k2`` (L/mg/day), the
    interaction ``gamma`` ((L/mg)^2/day) and ``psi``."""

    w0: float
    lambda0: float
    lambda1: float
    k1: Mapping[str, float] = field(default_factory=dict)
    k2: Mapping[str, float] = field(default_factory=dict)
    gamma: float = 0.0
    psi: float = PSI

    def __post_init__(self) -> None:
        for name in ("w0", "lambda0", "lambda1", "psi"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise InputError(f"must be a number > 0, got {quote(v)}", field=name)
        for group in ("k1", "k2"):
            for drug, v in getattr(self, group).items():
                ok = isinstance(v, int | float) and math.isfinite(v)
                if not ok or v < 0 or (group == "k1" and v == 0):
                    raise InputError(
                        f"must be a number {'>' if group == 'k1' else '>='} 0, got {quote(v)}",
                        field=f"{group}[{drug!r}]",
                    )
        if not math.isfinite(self.gamma):
            raise InputError(f"must be finite, got {quote(self.gamma)}", field="gamma")


_ROUTES = {"i.v.": "iv", "s.c.": "sc", "i.p.": "ip"}
_ONCE_A_DAY = {"once": "once", "QD": "QD", "Q2D": "Q2D", "Q3D": "Q3D", "Q4D": "Q4D", "QW": "weekly",
               "Q2W": "Q2W"}  # fmt: skip
_SEVERAL_A_DAY = {"BID": "BID", "TID": "TID"}


def design_drugs(design: StudyDesign) -> tuple[TgiDrug, ...]:
    """The drugs of ``design`` (vehicles left out) with their mouse PK
    (:data:`~cxcr4lab.preclinical.translation.MOUSE_PK`), codes from the first three letters;
    :class:`InputError` naming the compound without a mouse PK model or when there are not one or
    two drugs."""
    names = sorted({t.compound for g in design.groups for t in g.treatments if not t.is_vehicle})
    drugs = []
    for name in names:
        pk = MOUSE_PK.get(name.strip().lower())
        if pk is None:
            raise InputError(
                f"no mouse PK model for {name!r} (known: {', '.join(sorted(MOUSE_PK))})",
                field="design",
            )
        code = "".join(c for c in pk.compound.upper() if c.isalpha())[:3]
        drugs.append(TgiDrug(pk.compound, code, pk))
    _check_drugs(drugs)
    return tuple(drugs)


def design_dosing(design: StudyDesign, until_day: float) -> tuple[GroupDosing, ...]:
    """Each group's doses in ``design`` up to study day ``until_day``, as the TGI model takes
    them (mg/kg by i.v., s.c. or i.p. on whole study days). :class:`InputError` naming the group
    and compound for a dose in another unit, another route, or dosing days that are not whole
    days (twice weekly at 3.5-day steps: give a daily schedule with start and end days)."""
    out = []
    for group in design.groups:
        doses = []
        for t in group.treatments:
            if t.is_vehicle:
                continue
            where = f"group {group.name!r}: {t.compound}"
            if t.dose_unit != "mg/kg" or not math.isfinite(t.dose):
                raise InputError(
                    f"the TGI model takes doses in mg/kg, got {quote(f'{t.dose:g} {t.dose_unit}')}",
                    field=where,
                )
            route = _ROUTES.get(t.route)
            if route is None:
                raise InputError(
                    f"the TGI model takes i.v., s.c. or i.p. doses, got {quote(t.route)}",
                    field=where,
                )
            times = t.administrations(until_day)
            if not times:
                continue
            if t.schedule in _SEVERAL_A_DAY:
                schedule = _SEVERAL_A_DAY[t.schedule]  # every dose of each dosing day
                days = sorted({math.floor(d + 1e-9) for d in times})
            else:
                schedule = _ONCE_A_DAY.get(t.schedule, "")
                days = [round(d) for d in times]
                if not schedule or any(abs(d - r) > 1e-9 for d, r in zip(times, days, strict=True)):
                    raise InputError(
                        f"{STUDY_SCHEDULES[t.schedule].label} dosing falls between study days "
                        f"({quote(times)}); give the dosing days as a daily schedule",
                        field=where,
                    )
            doses.append(
                Dosing(t.compound.strip().lower(), t.dose, route, schedule, tuple(days))  # type: ignore[arg-type]
            )
        out.append(GroupDosing(group.name, tuple(doses)))
    return tuple(out)


def _check_drugs(drugs: Sequence[TgiDrug]) -> None:
    if not 1 <= len(drugs) <= 2:
        raise InputError(f"the model takes one or two drugs, got {len(drugs)}", field="drugs")
    if len({d.code for d in drugs}) != len(drugs) or len({d.name for d in drugs}) != len(drugs):
        raise InputError("drug names and codes must be distinct", field="drugs")


def tgi_model(drugs: Sequence[TgiDrug]) -> Model:
    """The Simeoni model (one or two drugs, Terranova interaction) for the sim engine.

    States: per drug the PK states ``A0_<code>, A1_<code>[, A2_<code>]`` (mg/kg), then ``X1``
    and per drug ``X2_<code>, X3_<code>, X4_<code>`` (burden, in units of the scale the caller
    uses). Output ``W`` is the total burden and ``C_<code>`` each plasma concentration (mg/L).
    """
    _check_drugs(drugs)
    states: list[State] = []
    params: list[Parameter] = []
    eqs: dict[str, str] = {}
    conc: dict[str, str] = {}
    for d in drugs:
        s = f"_{d.code}"
        names = d.pk.state_names
        states += [State(f"{n}{s}", "mg/kg") for n in names]
        params += list(d.pk.parameters(s))
        eqs.update(d.pk.equations(s))
        conc[d.code] = f"(A1{s}/V1{s})"
    chain = [f"X{i}_{d.code}" for d in drugs for i in range(2, 2 + CHAIN)]
    total = "(X1 + " + " + ".join(chain) + ")"
    rate = {d.code: f"K2_{d.code}*{conc[d.code]}" for d in drugs}
    inter = f" + GAMMA*{conc[drugs[0].code]}*{conc[drugs[1].code]}" if len(drugs) == 2 else ""
    kill = " + ".join(rate.values()) + inter
    states += [State("X1", "1", "W0")]
    eqs["X1"] = f"(L0/24)*X1/(1 + (L0/L1*{total})**PSI)**(1/PSI) - (({kill})/24)*X1"
    for i, d in enumerate(drugs):
        c = d.code
        into = rate[c] + (inter if i == 0 else "")
        states += [State(f"X{k}_{c}", "1") for k in range(2, 2 + CHAIN)]
        eqs[f"X2_{c}"] = f"(({into})/24)*X1 - (K1_{c}/24)*X2_{c}"
        for k in range(3, 2 + CHAIN):
            eqs[f"X{k}_{c}"] = f"(K1_{c}/24)*(X{k - 1}_{c} - X{k}_{c})"
        params += [
            Parameter(f"K1_{c}", 1.0, "1/d", f"transit rate of {d.name}-damaged cells"),
            Parameter(f"K2_{c}", 0.0, "L/mg/d", f"potency of {d.name}"),
        ]
    params += [
        Parameter("W0", 1.0, "1", "initial burden"),
        Parameter("L0", 0.3, "1/d", "exponential growth rate"),
        Parameter("L1", 1.0, "1/d", "linear growth rate (burden/day)"),
        Parameter("PSI", PSI, "1", "switch exponent"),
    ]
    if len(drugs) == 2:
        params.append(Parameter("GAMMA", 0.0, "L**2/mg**2/d", "interaction"))
    outputs = (
        Output("W", total, "1"),
        *(Output(f"C_{d.code}", conc[d.code], "mg/L") for d in drugs),
    )
    return Model(
        "simeoni_tgi_" + "_".join(d.code for d in drugs),
        states=tuple(states),
        parameters=tuple(params),
        equations=eqs,
        outputs=outputs,
        description="Simeoni 2004 TGI model with Terranova 2013 interaction, PK per kg",
    )


def _parameter_values(
    drugs: Sequence[TgiDrug], params: TgiParameters, scale: float = 1.0
) -> dict[str, float]:
    """Sim-model parameter values; ``w0`` and ``lambda1`` divided by ``scale``."""
    out = {"W0": params.w0 / scale, "L0": params.lambda0, "L1": params.lambda1 / scale}
    out["PSI"] = params.psi
    for d in drugs:
        if d.name not in params.k2:
            raise InputError(f"no k2 for {d.name!r}", field="k2")
        out[f"K2_{d.code}"] = params.k2[d.name]
        out[f"K1_{d.code}"] = params.k1.get(d.name, 1.0)
    if len(drugs) == 2:
        out["GAMMA"] = params.gamma
    return out


def _events(
    drugs: Sequence[TgiDrug], model: Model, doses: Sequence[Dosing], id: Any = 1
) -> pd.DataFrame | None:
    by_name = {d.name: d for d in drugs}
    parts = []
    for dosing in doses:
        drug = by_name.get(dosing.drug)
        if drug is None:
            raise InputError(
                f"{dosing.drug!r} is not a drug of the model ({', '.join(by_name)})",
                field="doses",
            )
        depot = model.state_names.index(f"A0_{drug.code}") + 1
        parts.append(dose_events(drug.pk, dosing, depot_cmt=depot, id=id))
    return combine(*parts) if parts else None


def _days(days: ArrayLike) -> Array:
    d = np.asarray(days, dtype=float).ravel()
    if d.size == 0 or not np.all(np.isfinite(d)) or np.any(d < 0):
        raise InputError("days must be finite and >= 0", field="days")
    if np.any(np.diff(d) <= 0):
        raise InputError("days must be strictly increasing", field="days")
    return d


def _from_zero(days: Array) -> tuple[Array, int]:
    """Output times (h) that start at 0 (the engine starts integrating at the first output
    time or dose, and the tumour starts at w0 on day 0), and how many were added in front."""
    if days[0] > 0:
        return 24.0 * np.concatenate([[0.0], days]), 1
    return 24.0 * days, 0


def simulate_tgi(
    drugs: Sequence[TgiDrug],
    params: TgiParameters,
    doses: Sequence[Dosing],
    days: ArrayLike,
) -> SimResult:
    """One group's SIMULATED course at strictly increasing ``days`` (states, ``W`` and the
    concentrations), through :func:`cxcr4lab.sim.simulate` (LSODA, rtol 1e-10)."""
    model = tgi_model(drugs)
    t, added = _from_zero(_days(days))
    result = simulate(
        model,
        _events(drugs, model, doses),
        t,
        _parameter_values(drugs, params),
        rtol=1e-10,
        atol=1e-14 * params.w0,
    )
    if not added:
        return result
    return SimResult(
        result.model,
        result.method,
        result.times[added:],
        {k: v[added:] for k, v in result.values.items()},
        result.units,
    )


def _empty_schedule() -> Schedule:
    return Schedule(np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))


def _schedule(drugs: Sequence[TgiDrug], model: Model, doses: Sequence[Dosing]) -> Schedule:
    events = _events(drugs, model, doses)
    if events is None:
        return _empty_schedule()
    return next(iter(schedules(events, n_states=len(model.states)).values()))


def burden(
    drugs: Sequence[TgiDrug],
    params: TgiParameters,
    groups: Sequence[GroupDosing],
    days: ArrayLike,
) -> dict[str, Array]:
    """Total burden ``w`` of each group at ``days`` (the burden's unit), all groups in one call
    of the compiled batch kernel of the sim engine."""
    model = tgi_model(drugs)
    t, added = _from_zero(_days(days))
    scheds = [_schedule(drugs, model, g.doses) for g in groups]
    p = model.parameter_vector(_parameter_values(drugs, params, params.w0))
    P = np.tile(p, (len(groups), 1))
    out, steps = run_batch(model, P, scheds, t, observe=["W"], rtol=_RTOL, atol=_ATOL)
    _check_steps(steps)
    return {g.group: out[i, 0, added:] * params.w0 for i, g in enumerate(groups)}


def burden_many(
    drugs: Sequence[TgiDrug],
    params: Sequence[TgiParameters],
    groups: Sequence[GroupDosing],
    days: ArrayLike,
) -> Array:
    """Total burden (subjects x days) of subject ``i`` with ``params[i]`` dosed as
    ``groups[i]`` (e.g. every animal of a simulated study), in one call of the batch kernel."""
    if len(params) != len(groups) or not params:
        raise InputError(
            f"one parameter set per group, got {len(params)} and {len(groups)}", field="params"
        )
    model = tgi_model(drugs)
    t, added = _from_zero(_days(days))
    scheds = [_schedule(drugs, model, g.doses) for g in groups]
    P = np.array([model.parameter_vector(_parameter_values(drugs, p, p.w0)) for p in params])
    out, steps = run_batch(model, P, scheds, t, observe=["W"], rtol=_RTOL, atol=_ATOL)
    _check_steps(steps)
    w0 = np.array([p.w0 for p in params])[:, None]
    return np.asarray(out[:, 0, added:] * w0, dtype=np.float64)


def _check_steps(steps: NDArray[np.int64]) -> None:
    if np.any(steps < 0):
        raise InputError("the tumour model could not be integrated (too many steps)", field="fit")


def unperturbed_time(w: ArrayLike, *, w0: float, lambda0: float, lambda1: float) -> Array:
    """Days for an untreated tumour to grow from ``w0`` to ``w`` with ``psi = 1``, in closed
    form: ``dw/dt = lambda0 lambda1 w / (lambda1 + lambda0 w)`` integrates to
    ``t = ln(w / w0) / lambda0 + (w - w0) / lambda1``. (With ``psi`` -> infinity the growth is
    exactly exponential up to ``w = lambda1 / lambda0`` and linear above it.)

    >>> float(unperturbed_time(2.0, w0=1.0, lambda0=math.log(2.0), lambda1=1e300))
    1.0
    """
    x = np.asarray(w, dtype=float)
    return np.asarray(np.log(x / w0) / lambda0 + (x - w0) / lambda1, dtype=np.float64)


# --- fitting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    drugs: tuple[TgiDrug, ...]
    model: Model
    groups: tuple[GroupDosing, ...]
    scheds: tuple[Schedule, ...]
    times_h: Array
    row_group: NDArray[np.int64]
    row_time: NDArray[np.int64]
    names: tuple[str, ...]
    base: dict[str, float]
    scale: float
    floor: dict[str, float]


def _fit_names(drugs: Sequence[TgiDrug], with_gamma: bool) -> tuple[str, ...]:
    names = ["log_w0", "log_lambda0", "log_lambda1", "log_k1"]
    names += [f"k2_{d.name}" for d in drugs]
    return (*names, "gamma") if with_gamma else tuple(names)


def _params_from_theta(problem: _Problem, theta: Array) -> dict[str, float]:
    """Sim-model parameter values of one fit-space vector (burden in units of the scale)."""
    values = dict(problem.base)
    th = dict(zip(problem.names, theta, strict=True))

    def e(name: str) -> float:
        return math.exp(min(max(float(th[name]), -_LOG_LIMIT), _LOG_LIMIT))

    values["W0"] = e("log_w0") / problem.scale
    values["L0"] = e("log_lambda0")
    values["L1"] = e("log_lambda1") / problem.scale
    for d in problem.drugs:
        values[f"K1_{d.code}"] = e("log_k1")
        values[f"K2_{d.code}"] = float(th[f"k2_{d.name}"])
    if "gamma" in th:
        values["GAMMA"] = float(th["gamma"])
    return values


def _predict_log(problem: _Problem, thetas: Array) -> Array:
    """log burden (data unit) at every observation row, one row per fit-space vector."""
    thetas = np.atleast_2d(thetas)
    n_groups = len(problem.groups)
    rows = []
    for theta in thetas:
        p = problem.model.parameter_vector(_params_from_theta(problem, theta))
        rows += [p] * n_groups
    P = np.asarray(rows)
    scheds = list(problem.scheds) * len(thetas)
    out, steps = run_batch(
        problem.model,
        P,
        scheds,
        problem.times_h,
        observe=["W"],
        rtol=_RTOL,
        atol=_ATOL,
        max_steps=_MAX_STEPS,
    )
    out[steps < 0] = np.nan  # a parameter set the kernel could not integrate: no prediction
    w = out[:, 0, :].reshape(len(thetas), n_groups, problem.times_h.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        logw = np.log(w[:, problem.row_group, problem.row_time]) + math.log(problem.scale)
    return np.asarray(logw, dtype=np.float64)


def _steps(problem: _Problem, theta: Array) -> Array:
    """Central-difference steps: relative, with a floor per parameter (``problem.floor``)."""
    return np.array(
        [_STEP * max(abs(v), problem.floor[n]) for n, v in zip(problem.names, theta, strict=True)]
    )


def _jacobian(problem: _Problem, theta: Array) -> Array:
    """d log burden / d theta by central differences, every perturbation in one batch call."""
    k = theta.size
    h = _steps(problem, theta)
    stack = np.repeat(theta[None, :], 2 * k, axis=0)
    stack[np.arange(k), np.arange(k)] += h
    stack[k + np.arange(k), np.arange(k)] -= h
    pred = _predict_log(problem, stack)
    return np.asarray(((pred[:k] - pred[k:]) / (2 * h[:, None])).T, dtype=np.float64)


def _curve_model(problem: _Problem) -> CurveModel:
    cache: dict[bytes, Array] = {}

    def f(x: Array, theta: Array) -> Array:
        key = np.asarray(theta, dtype=float).tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = _predict_log(problem, np.asarray(theta, dtype=float))[0]
        return cache[key][np.asarray(x, dtype=np.int64)]

    def jac(x: Array, theta: Array) -> Array:
        return _jacobian(problem, np.asarray(theta, dtype=float))[np.asarray(x, dtype=np.int64)]

    def guess(x: Array, y: Array) -> Array:
        return np.full(len(problem.names), np.nan)  # starts are always given

    return CurveModel(
        name="simeoni_tgi",
        title="Simeoni tumour growth inhibition (log burden)",
        param_names=problem.names,
        f=f,
        jac=jac,
        guess=guess,
        x_is_log10=False,
    )


def _read_data(data: pd.DataFrame, value: str) -> pd.DataFrame:
    for col in ("group", "day", value):
        if col not in data.columns:
            raise InputError(f"the data need a {col!r} column", column=col)
    frame = data[["group", "day", value]].copy()
    frame = frame[frame[value].notna()]
    day = pd.to_numeric(frame["day"], errors="coerce")
    val = pd.to_numeric(frame[value], errors="coerce")
    bad = ~(np.isfinite(day) & (day >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"day must be a number >= 0, got {quote(frame['day'].iloc[i])}",
            row=int(frame.index[i]) + 2,
            column="day",
        )
    bad = ~(np.isfinite(val) & (val > 0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"burden must be a number > 0 (it is fitted on the log scale), got "
            f"{quote(frame[value].iloc[i])}",
            row=int(frame.index[i]) + 2,
            column=value,
        )
    return pd.DataFrame(
        {"group": frame["group"].astype(str).to_numpy(), "day": day, "value": val}
    ).reset_index(drop=True)


def _problem(
    drugs: Sequence[TgiDrug],
    dosing: Sequence[GroupDosing],
    frame: pd.DataFrame,
    *,
    with_gamma: bool,
    scale: float,
) -> _Problem:
    model = tgi_model(drugs)
    by_group = {g.group: g for g in dosing}
    groups = tuple(dict.fromkeys(frame["group"]))
    missing = [g for g in groups if g not in by_group]
    if missing:
        raise InputError(
            f"no dosing given for group {missing[0]!r} (groups with dosing: "
            f"{', '.join(by_group) or 'none'})",
            column="group",
        )
    days = np.unique(np.append(frame["day"].to_numpy(dtype=float), 0.0))  # from day 0 (w0)
    base = {p.name: p.value for p in model.parameters}
    names = _fit_names(drugs, with_gamma)
    limits = _limits(drugs, dosing)
    floor = {n: 1.0 if n.startswith("log_") else 1e-6 * limits[n] for n in names}
    return _Problem(
        drugs=tuple(drugs),
        model=model,
        groups=tuple(by_group[g] for g in groups),
        scheds=tuple(_schedule(drugs, model, by_group[g].doses) for g in groups),
        times_h=24.0 * days,
        row_group=np.array([groups.index(g) for g in frame["group"]], dtype=np.int64),
        row_time=np.searchsorted(days, frame["day"].to_numpy(dtype=float)).astype(np.int64),
        names=names,
        base=base,
        scale=scale,
        floor=floor,
    )


def _geomean_by(frame: pd.DataFrame) -> pd.DataFrame:
    g = frame.assign(logv=np.log(frame["value"])).groupby(["group", "day"], sort=True)
    out = g["logv"].agg(["mean", "std", "count"]).reset_index()
    return out


def _auc_days(drug: TgiDrug, doses: Sequence[Dosing], end_day: float) -> float:
    """Total-plasma AUC (mg.day/L) of ``drug`` up to ``end_day`` (for starting values)."""
    total = 0.0
    for d in doses:
        if d.drug != drug.name:
            continue
        t = np.linspace(0.0, 24.0 * end_day, 2)
        course = simulate_exposure(drug.pk, d, t)
        total += course.auc_unbound[-1] / drug.pk.fu / 24.0
    return total


def _starts(
    drugs: Sequence[TgiDrug], dosing: Sequence[GroupDosing], frame: pd.DataFrame, control: str
) -> dict[str, float]:
    gm = _geomean_by(frame)
    first_day = float(gm["day"].min())
    w0 = float(np.exp(gm.loc[gm["day"] == first_day, "mean"].mean()))
    ctrl = gm[gm["group"] == control] if control in set(gm["group"]) else gm
    ctrl = ctrl.groupby("day")["mean"].mean().reset_index()
    x, y = ctrl["day"].to_numpy(float), ctrl["mean"].to_numpy(float)
    lam0 = float(np.polyfit(x, y, 1)[0]) if x.size >= 2 else 0.2
    lam0 = min(max(lam0, 0.02), 3.0)
    wmax = float(np.exp(y.max())) if y.size else w0
    start = {
        "log_w0": math.log(w0),
        "log_lambda0": math.log(lam0),
        "log_lambda1": math.log(lam0 * max(wmax, 2 * w0)),  # the switch at the largest burden
        "log_k1": 0.0,
    }
    last = float(gm["day"].max())
    ref = gm[(gm["group"] == control) & (gm["day"] == last)]["mean"]
    by_group = {g.group: g for g in dosing}
    for d in drugs:
        k2 = None
        for grp in by_group.values():
            if grp.group not in set(gm["group"]) or [x.drug for x in grp.doses] != [d.name]:
                continue
            obs = gm[(gm["group"] == grp.group) & (gm["day"] == last)]["mean"]
            auc = _auc_days(d, grp.doses, last)
            if len(obs) and len(ref) and auc > 0:
                drop = float(ref.iloc[0] - obs.iloc[0])
                k2 = max(drop, 0.05) / auc
        start[f"k2_{d.name}"] = k2 if k2 else 1e-3
    return start


def _cmax(drug: TgiDrug, dosing: Sequence[GroupDosing]) -> float:
    """Largest total plasma concentration (mg/L) of ``drug`` in any group (bounds the fit)."""
    best = 0.0
    for d in dict.fromkeys(d for g in dosing for d in g.doses if d.drug == drug.name):
        best = max(best, _first_peak(drug.pk, d))
    return best if best > 0 else 1.0


@lru_cache(maxsize=64)
def _first_peak(pk: SpeciesPk, dosing: Dosing) -> float:
    """Largest total plasma concentration (mg/L) in the 48 h from the first dose of ``dosing``
    (a pure function of frozen inputs, remembered: the fit, its bounds and the combination
    check ask for the same few doses again and again)."""
    first = dosing.times_h()[0]
    t = first + np.linspace(0.0, 48.0, 481)
    return float(np.max(simulate_exposure(pk, dosing, t).total_mg_per_l))


def _limits(drugs: Sequence[TgiDrug], dosing: Sequence[GroupDosing]) -> dict[str, float]:
    """Upper limits of each ``k2`` and of ``|gamma|``: :data:`_MAX_KILL` over the Cmax."""
    cmax = {d.name: _cmax(d, dosing) for d in drugs}
    out = {f"k2_{d.name}": _MAX_KILL / cmax[d.name] for d in drugs}
    if len(drugs) == 2:
        out["gamma"] = _MAX_KILL / (cmax[drugs[0].name] * cmax[drugs[1].name])
    return out


def _bounds(
    drugs: Sequence[TgiDrug], dosing: Sequence[GroupDosing], frame: pd.DataFrame, gamma: bool
) -> dict[str, tuple[float, float]]:
    """Bounds of the fit-space parameters: wide, but away from stiff or flat regions; ``k2``
    is >= 0 (0 = no effect of the drug alone)."""
    lo, hi = math.log(float(frame["value"].min())), math.log(float(frame["value"].max()))
    limits = _limits(drugs, dosing)
    out = {
        "log_w0": (lo - 10.0, hi + 1.0),
        "log_lambda0": (math.log(1e-3), math.log(5.0)),
        "log_lambda1": (lo - 10.0, hi + 5.0),
        "log_k1": (math.log(1e-2), math.log(100.0)),
    }
    for d in drugs:
        out[f"k2_{d.name}"] = (0.0, limits[f"k2_{d.name}"])
    if gamma:
        out["gamma"] = (-limits["gamma"], limits["gamma"])
    return out


@dataclass(frozen=True)
class TgiFit(Serial):
    """A fitted Simeoni model (SIMULATED predictions from fitted parameters). ``values``,
    ``ci_lower`` and ``ci_upper`` are on the natural scale (``units``); ``fit`` is the engine's
    result on the log scale (``log_w0``, ...); ``sigma`` is the residual SD of log burden."""

    kind: ClassVar[str] = "tgi_fit"

    drugs: tuple[TgiDrug, ...]
    dosing: tuple[GroupDosing, ...]
    groups: tuple[str, ...]
    unit: str
    param_names: tuple[str, ...]
    values: tuple[float, ...]
    units: tuple[str, ...]
    ci_lower: tuple[float | None, ...]
    ci_upper: tuple[float | None, ...]
    fit: FitResult
    scale: float
    psi: float = PSI
    alpha: float = 0.05

    @property
    def params(self) -> dict[str, float]:
        return dict(zip(self.param_names, self.values, strict=True))

    @property
    def converged(self) -> bool:
        return self.fit.converged

    @property
    def sigma(self) -> float | None:
        return self.fit.sigma

    def conf_int(self) -> dict[str, tuple[float | None, float | None]]:
        """Wald CIs on the log scale, back-transformed (natural units)."""
        return {
            n: (lo, hi)
            for n, lo, hi in zip(self.param_names, self.ci_lower, self.ci_upper, strict=True)
        }

    def parameters(self) -> TgiParameters:
        """The estimates as :class:`TgiParameters` (``gamma = 0``: additivity)."""
        p = self.params
        return TgiParameters(
            w0=p["w0"],
            lambda0=p["lambda0"],
            lambda1=p["lambda1"],
            k1={d.name: p["k1"] for d in self.drugs},
            k2={d.name: max(p[f"k2_{d.name}"], 0.0) for d in self.drugs},
            gamma=0.0,
            psi=self.psi,
        )

    def threshold_concentration(self, drug: str) -> tuple[float, float | None, float | None]:
        """Simeoni's ``C_T = lambda0 / k2`` (mg/L) of ``drug`` with its Wald CI on the log
        scale (delta method over log lambda0 and k2); ``inf`` when ``k2`` is 0."""
        names = self.fit.param_names
        key = f"k2_{drug}"
        if key not in names:
            raise InputError(f"no drug {drug!r} in the fit", field="drug")
        theta = dict(zip(names, self.fit.values, strict=True))
        k2 = theta[key]
        if k2 <= 0:
            return math.inf, None, None
        log_ct = theta["log_lambda0"] - math.log(k2)
        cov = self._covariance()
        t = self.fit.t_critical(self.alpha)
        if cov is None or t is None:
            return math.exp(log_ct), None, None
        i, j = names.index("log_lambda0"), names.index(key)
        var = cov[i, i] + cov[j, j] / k2**2 - 2 * cov[i, j] / k2
        se = math.sqrt(max(var, 0.0))
        return math.exp(log_ct), math.exp(log_ct - t * se), math.exp(log_ct + t * se)

    def _covariance(self) -> Array | None:
        """Covariance over all fit parameters (zero rows for fixed ones)."""
        if self.fit.covariance is None:
            return None
        free = np.asarray(self.fit.free)
        full = np.zeros((free.size, free.size))
        idx = np.flatnonzero(free)
        full[np.ix_(idx, idx)] = np.asarray(self.fit.covariance)
        return full

    def predict(self, doses: Sequence[Dosing], days: ArrayLike, gamma: float = 0.0) -> Array:
        """Predicted burden of a group dosed with ``doses`` at ``days`` (data unit)."""
        p = self.parameters()
        params = TgiParameters(p.w0, p.lambda0, p.lambda1, p.k1, p.k2, gamma, p.psi)
        return burden(self.drugs, params, [GroupDosing("group", tuple(doses))], days)["group"]

    def curves(self, days: ArrayLike) -> pd.DataFrame:
        """SIMULATED burden of every dosed group at ``days`` from the estimates (``gamma = 0``:
        a combination group's curve is the additive prediction): ``group, day, burden``."""
        d = _days(days)
        out = burden(self.drugs, self.parameters(), self.dosing, d)
        return pd.DataFrame(
            [
                {"group": g, "day": float(day), "burden": float(w)}
                for g, ws in out.items()
                for day, w in zip(d, ws, strict=True)
            ]
        )

    def summary(self) -> pd.DataFrame:
        """One row per parameter: value, unit, CI (natural scale) and RSE % (the SE of the log
        for a log-fitted parameter, SE / |value| for ``k2`` and ``gamma``)."""
        se = dict(zip(self.fit.param_names, self.fit.stderr, strict=True))
        rows = []
        for fit_name, n, v, u, lo, hi in zip(
            self.fit.param_names,
            self.param_names,
            self.values,
            self.units,
            self.ci_lower,
            self.ci_upper,
            strict=True,
        ):
            s = se[fit_name]
            if s is not None and not fit_name.startswith("log_"):
                s = s / abs(v) if v != 0 else None  # relative SE of a linear parameter
            rows.append(
                {
                    "parameter": n,
                    "value": v,
                    "unit": u,
                    f"CI {100 * (1 - self.alpha):g}% lower": lo,
                    f"CI {100 * (1 - self.alpha):g}% upper": hi,
                    "RSE (%)": None if s is None else 100.0 * s,
                }
            )
        rows.append({"parameter": "psi", "value": self.psi, "unit": "1", "RSE (%)": None})
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies (app protocol)."""
        return []


def _exp(x: float) -> float:
    """``exp(x)``, infinite where it overflows."""
    return math.inf if x > 709.0 else math.exp(x)


def _natural(
    names: Sequence[str], fit: FitResult, unit: str, alpha: float
) -> tuple[
    tuple[str, ...], tuple[float, ...], tuple[str, ...], list[float | None], list[float | None]
]:
    units = {
        "w0": unit,
        "lambda0": "1/day",
        "lambda1": f"{unit}/day",
        "k1": "1/day",
        "gamma": "(L/mg)^2/day",
    }
    t = fit.t_critical(alpha)
    out_names: list[str] = []
    values: list[float] = []
    out_units: list[str] = []
    lo: list[float | None] = []
    hi: list[float | None] = []
    for n, v, se in zip(names, fit.values, fit.stderr, strict=True):
        if n.startswith("log_"):
            name = n[4:]
            values.append(math.exp(v))
            if se is None or t is None:
                lo.append(None)
                hi.append(None)
            else:
                # an unidentified parameter's SE can put its upper limit beyond a float
                lo.append(_exp(v - t * se))
                hi.append(_exp(v + t * se))
        else:
            name = n
            values.append(v)
            lo.append(None if se is None or t is None else v - t * se)
            hi.append(None if se is None or t is None else v + t * se)
        out_names.append(name)
        out_units.append(units.get(name, "L/mg/day"))
    return tuple(out_names), tuple(values), tuple(out_units), lo, hi


def fit_tgi(
    data: pd.DataFrame,
    drugs: Sequence[TgiDrug],
    dosing: Sequence[GroupDosing],
    *,
    value: str = "value",
    unit: str = "",
    groups: Sequence[str] | None = None,
    control: str = "vehicle",
    fixed: Mapping[str, float] | None = None,
    start: Mapping[str, float] | None = None,
    alpha: float = 0.05,
) -> TgiFit:
    """Fit the Simeoni model to tumour burden (see the module docstring).

    ``data`` is tidy: ``group``, ``day`` (study day, 0 = randomisation) and ``value`` (burden >
    0, one row per animal and day or per group mean; missing values are left out). ``dosing``
    gives each group's doses; ``groups`` picks the groups fitted (default: every group whose
    dosing has at most one drug, so that a combination group is left for
    :func:`compare_combination`). ``fixed`` and ``start`` take fit-space names (``log_k1``,
    ...); ``unit`` names the burden's unit (``"p/s"``, ``"mm^3"``).
    """
    _check_drugs(drugs)
    if not 0 < alpha < 1:
        raise InputError(f"must be in (0, 1), got {quote(alpha)}", field="alpha")
    frame = _read_data(data, value)
    by_group = {g.group: g for g in dosing}
    if groups is None:
        groups = [g for g in dict.fromkeys(frame["group"]) if len(_drug_set(by_group, g)) <= 1]
    unknown = [g for g in groups if g not in set(frame["group"])]
    if unknown:
        raise InputError(f"no data for group {unknown[0]!r}", field="groups")
    frame = frame[frame["group"].isin(list(groups))].reset_index(drop=True)
    scale = float(np.exp(np.log(frame["value"]).mean()))
    problem = _problem(drugs, dosing, frame, with_gamma=False, scale=scale)
    model = _curve_model(problem)
    starts = _starts(drugs, dosing, frame, control)
    starts.update(start or {})
    held = dict(fixed or {})
    bounds = {k: v for k, v in _bounds(drugs, dosing, frame, False).items() if k not in held}
    fit = fit_curve(
        model,
        np.arange(len(frame), dtype=float),
        np.log(frame["value"].to_numpy(float)),
        start=starts,
        fixed=held,
        bounds=bounds,
        alpha=alpha,
    )
    names, values, units, lo, hi = _natural(problem.names, fit, unit or "burden", alpha)
    return TgiFit(
        drugs=tuple(drugs),
        dosing=tuple(dosing),
        groups=tuple(groups),
        unit=unit,
        param_names=names,
        values=values,
        units=units,
        ci_lower=tuple(lo),
        ci_upper=tuple(hi),
        fit=fit,
        scale=scale,
        alpha=alpha,
    )


def _drug_set(by_group: Mapping[str, GroupDosing], group: str) -> set[str]:
    g = by_group.get(group)
    return set() if g is None else {d.drug for d in g.doses}


@dataclass(frozen=True)
class CombinationComparison(Serial):
    """The combination group observed against the additive prediction of the single-agent fit
    (SIMULATED predictions), and the interaction ``gamma`` fitted to the combination group."""

    kind: ClassVar[str] = "tgi_combination"

    group: str
    unit: str
    days: tuple[float, ...]
    n: tuple[int, ...]
    observed_geomean: tuple[float, ...]
    predicted_additive: tuple[float, ...]
    band_lower: tuple[float, ...]
    band_upper: tuple[float, ...]
    gamma: float
    gamma_se: float | None
    gamma_ci: tuple[float | None, float | None]
    gamma_p: float | None
    dof: int
    alpha: float = 0.05
    joint: FitResult | None = None

    @property
    def verdict(self) -> str:
        lo, hi = self.gamma_ci
        if lo is not None and lo > 0:
            return "greater than additive (synergy)"
        if hi is not None and hi < 0:
            return "less than additive (antagonism)"
        return "consistent with additivity"

    def summary(self) -> pd.DataFrame:
        """One row per day: n, observed geometric mean, additive prediction and its band, and
        observed / predicted."""
        u = f" ({self.unit})" if self.unit else ""
        pct = f"{100 * (1 - self.alpha):g}"
        return pd.DataFrame(
            {
                "day": self.days,
                "n": self.n,
                f"observed geometric mean{u}": self.observed_geomean,
                f"additive prediction{u}": self.predicted_additive,
                f"prediction {pct}% lower{u}": self.band_lower,
                f"prediction {pct}% upper{u}": self.band_upper,
                "observed / additive": np.asarray(self.observed_geomean)
                / np.asarray(self.predicted_additive),
            }
        )

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies (app protocol)."""
        return []


def compare_combination(
    fit: TgiFit,
    data: pd.DataFrame,
    *,
    group: str = "combination",
    value: str = "value",
) -> CombinationComparison:
    """Additivity check of ``group`` (see the module docstring).

    The additive prediction uses ``fit`` alone. ``gamma`` is then fitted jointly with the
    single-agent parameters (those ``fit`` held stay held) to the groups of ``fit`` and
    ``group`` together, so its CI carries their uncertainty.
    """
    if len(fit.drugs) != 2:
        raise InputError("a combination needs a model of two drugs", field="drugs")
    frame = _read_data(data, value)
    combo = frame[frame["group"] == group].reset_index(drop=True)
    if combo.empty:
        raise InputError(f"no data for group {group!r}", field="group")
    by_group = {g.group: g for g in fit.dosing}
    if group not in by_group or len(_drug_set(by_group, group)) != 2:
        raise InputError(f"group {group!r} is not dosed with both drugs", field="group")
    theta0 = np.append(np.asarray(fit.fit.values, dtype=float), 0.0)
    # the additive prediction and its delta-method band at each observed day
    gm = _geomean_by(combo)
    days = gm["day"].to_numpy(float)
    day_rows = pd.DataFrame({"group": group, "day": days, "value": 1.0})
    band_problem = _problem(fit.drugs, fit.dosing, day_rows, with_gamma=True, scale=fit.scale)
    pred = _predict_log(band_problem, theta0)[0]
    J = _jacobian(band_problem, theta0)[:, :-1]
    cov = fit._covariance()
    t = fit.fit.t_critical(fit.alpha)
    if cov is None or t is None:
        lo = hi = np.full_like(pred, np.nan)
    else:
        half = t * np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, cov, J), 0.0))
        lo, hi = np.exp(pred - half), np.exp(pred + half)
    # gamma jointly with the single-agent parameters, on the single-agent groups and the combination
    joint = frame[frame["group"].isin([*fit.groups, group])].reset_index(drop=True)
    problem = _problem(fit.drugs, fit.dosing, joint, with_gamma=True, scale=fit.scale)
    held = {
        n: v
        for n, v, free in zip(fit.fit.param_names, fit.fit.values, fit.fit.free, strict=True)
        if not free
    }
    bounds = _bounds(fit.drugs, fit.dosing, joint, True)
    gfit = fit_curve(
        _curve_model(problem),
        np.arange(len(joint), dtype=float),
        np.log(joint["value"].to_numpy(float)),
        start=dict(zip(problem.names, theta0, strict=True)),
        fixed=held,
        bounds={k: v for k, v in bounds.items() if k not in held},
        alpha=fit.alpha,
    )
    g = gfit.params["gamma"]
    se = gfit.se["gamma"]
    ci = gfit.conf_int(fit.alpha)["gamma"]
    p = None if se is None or se == 0 else float(2 * stdtr(gfit.dof, -abs(g / se)))
    return CombinationComparison(
        group=group,
        unit=fit.unit,
        days=tuple(float(d) for d in days),
        n=tuple(int(c) for c in gm["count"]),
        observed_geomean=tuple(float(v) for v in np.exp(gm["mean"])),
        predicted_additive=tuple(float(v) for v in np.exp(pred)),
        band_lower=tuple(float(v) for v in lo),
        band_upper=tuple(float(v) for v in hi),
        gamma=float(g),
        gamma_se=se,
        gamma_ci=ci,
        gamma_p=p,
        dof=gfit.dof,
        alpha=fit.alpha,
        joint=gfit,
    )
