"""Repeated-dose simulation of a 1-, 2- or 3-compartment PK model (kind ``pk_regimen``).

A :class:`DosingRegimen` (``doses`` equal doses every ``interval`` h: IV boluses, zero-order
infusions of ``duration`` h, or oral doses with bioavailability ``F`` and a lag time) is applied
to one or more :class:`PkParameters` (given, or the estimates of a stored ``pkfit``).
:func:`simulate_pk_regimen` returns a :class:`PkRegimenResult`: the concentration-time curve of
each parameter set on one grid, and per dosing interval Cmax, Tmax, the trough Cmin and the AUC,
with the accumulation ratio, the terminal half-life and the time to 90 % of steady state.

Everything is exact, from the closed forms of :mod:`cxcr4lab.pkpd.compartments`:

* The regimen is regular, so by superposition the concentration ``u`` h into interval ``i`` is
  ``C_i(u) = sum_{m<=i} C1(u + m*tau)``, ``C1`` being the response to a single dose. One call of
  :func:`~cxcr4lab.pkpd.compartments.concentrations` with the single dose on the grid
  ``m*tau + u`` gives every interval at once (a cumulative sum over ``m``).
* The trough is ``C_i(tau)``: the concentration at the end of the interval, just before the next
  dose. Cmax is the largest value of ``C_i`` on a grid of the interval (with the end of an
  infusion on it), refined by Brent's method where the peak lies between grid points (oral doses,
  multi-compartment infusions); after an IV bolus it is ``C_i(0)`` exactly.
* The AUC over interval ``i`` is ``F*D * integral_0^{(i+1) tau} C1`` (the doses before the
  interval add the tails of their own curves), integrated in closed form: for a unit bolus
  ``sum_j c_j (1 - exp(-k_j x)) / k_j``, for an infusion and for first-order absorption the
  analogous double integrals, written with ``chi_p(z) = integral_0^1 u^p exp(-z u) du`` so that
  no case divides by a small number (``ka`` equal to a disposition rate included). At steady
  state it tends to ``F*D/CL``.
* The accumulation ratio is AUC(last interval) / AUC(first interval); the terminal half-life is
  ``ln 2`` over the slowest rate (the absorption rate if it is slower: flip-flop); the time to
  90 % of steady state is the time ``t`` after the first dose at which a single dose has given
  90 % of its AUC (then the AUC over an interval ending at ``t`` is 90 % of the steady-state
  one; ``ln 10 / k`` = 3.32 half-lives for a 1-compartment IV model).

For oral doses with a lag time the intervals start when absorption starts (dose time + lag), so
Cmin is the lowest concentration before the next dose is absorbed; Tmax is counted from the dose
(lag included). Units: time in h; amounts in the dose unit; ``CL``, ``Q`` in L/h and volumes in L
(for given parameters: concentrations in dose unit per L), or the units of the pkfit the
parameters come from (its concentration unit).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.pkpd.compartments import MODEL_NAMES, Doses, Structure, concentrations, disposition
from cxcr4lab.pkpd.pkfit_results import PkFitResult, SubjectPkFit

__all__ = [
    "HALF_LIVES",
    "MAX_CURVE_VALUES",
    "MAX_DOSES",
    "MAX_HORIZON_H",
    "MAX_INTERVAL_ROWS",
    "MAX_POINTS",
    "PARAMETER_RANGE",
    "ROUTES",
    "DosingRegimen",
    "IntervalMetrics",
    "PkParameters",
    "PkRegimenResult",
    "RegimenProfile",
    "cumulative_auc",
    "default_horizon",
    "given_parameters",
    "parameter_units",
    "pkfit_dose",
    "pkfit_parameters",
    "read_pkfit",
    "simulate_pk_regimen",
]

Array = NDArray[np.float64]
Route = Literal["bolus", "infusion", "oral"]

ROUTES: tuple[str, ...] = ("bolus", "infusion", "oral")
MAX_DOSES = 1000
"""The most doses of one regimen."""
MAX_POINTS = 5000
"""The most evenly spaced points of the concentration-time grid."""
MAX_HORIZON_H = 87_600.0
"""The longest simulated time: 10 years, in h."""
MAX_CURVE_VALUES = 200_000
"""The most stored concentrations (parameter sets x grid times) of one result."""
MAX_INTERVAL_ROWS = 10_000
"""The most per-interval rows (parameter sets x doses) of one result."""
HALF_LIVES = 5.0
"""The default horizon runs this many terminal half-lives past the last dose."""
PARAMETER_RANGE = (1e-9, 1e9)
"""Allowed range of every PK parameter (L, L/h, 1/h)."""

_GRID = 257
"""Grid points per dosing interval for Cmax (before refinement)."""
_STEADY = 1e-15
"""A dose whose contribution is below this fraction of the concentration changes nothing."""


# --------------------------------------------------------------------------------------------
# inputs


@dataclass(frozen=True)
class DosingRegimen(Serial):
    """``doses`` doses of ``dose`` (in ``dose_unit``) every ``interval`` h from time 0 by
    ``route``; ``duration`` (h) of an infusion; ``bioavailability`` and ``lag`` (h) of an oral
    dose. Checked on construction (an error names the option)."""

    route: Route
    dose: float
    interval: float
    doses: int = 1
    duration: float = 0.0
    bioavailability: float = 1.0
    lag: float = 0.0
    dose_unit: str = "mg"

    def __post_init__(self) -> None:
        if self.route not in ROUTES:
            raise InputError(
                f"must be one of {', '.join(ROUTES)}; got {quote(self.route)}", field="route"
            )
        _positive(self.dose, "dose")
        _positive(self.interval, "interval")
        if not 1 <= self.doses <= MAX_DOSES:
            raise InputError(f"must be 1 to {MAX_DOSES}; got {quote(self.doses)}", field="doses")
        if (self.doses - 1) * self.interval > MAX_HORIZON_H:
            raise InputError(
                f"the last dose would be at {(self.doses - 1) * self.interval:g} h, after the "
                f"longest simulated time ({MAX_HORIZON_H:g} h)",
                field="interval",
            )
        if self.route == "infusion":
            _positive(self.duration, "duration")
            if self.doses > 1 and self.duration > self.interval:
                raise InputError(
                    f"an infusion of {self.duration:g} h is longer than the dosing interval "
                    f"({self.interval:g} h)",
                    field="duration",
                )
        elif self.duration != 0:
            raise InputError("applies to infusions only (--route infusion)", field="duration")
        if self.route == "oral":
            if not (math.isfinite(self.bioavailability) and 0 < self.bioavailability <= 1):
                raise InputError(
                    f"must be above 0 and at most 1; got {quote(self.bioavailability)}",
                    field="bioavailability",
                )
            if not (math.isfinite(self.lag) and 0 <= self.lag <= MAX_HORIZON_H):
                raise InputError(
                    f"must be from 0 to {MAX_HORIZON_H:g} h; got {quote(self.lag)}", field="lag"
                )
        else:
            if self.bioavailability != 1:
                raise InputError(
                    "applies to oral doses only (--route oral)", field="bioavailability"
                )
            if self.lag != 0:
                raise InputError("applies to oral doses only (--route oral)", field="lag")
        text = self.dose_unit.strip()
        if not text or len(text) > 40 or any(ch in text for ch in "\n\r\t$<>"):
            raise InputError(
                f"must be a short unit such as mg or ug; got {quote(self.dose_unit)}",
                field="dose_unit",
            )

    @property
    def oral(self) -> bool:
        return self.route == "oral"

    @property
    def amount(self) -> float:
        """The amount reaching the circulation per dose, ``F * dose``."""
        return self.bioavailability * self.dose

    @property
    def dose_times(self) -> Array:
        """The nominal dose times (h)."""
        return np.asarray(self.interval * np.arange(self.doses), dtype=float)

    def describe(self) -> str:
        """``385 mg 2-h IV infusion q24h x 3``."""
        what = {
            "bolus": "IV bolus",
            "infusion": f"{self.duration:g}-h IV infusion",
            "oral": "oral",
        }[self.route]
        extra = ""
        if self.oral and (self.bioavailability != 1 or self.lag):
            parts = [f"F {self.bioavailability:g}"] if self.bioavailability != 1 else []
            parts += [f"lag {self.lag:g} h"] if self.lag else []
            extra = f" ({', '.join(parts)})"
        every = f" q{self.interval:g}h x {self.doses}" if self.doses > 1 else " single dose"
        return f"{self.dose:g} {self.dose_unit} {what}{every}{extra}"


def _positive(value: float, field: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"must be a number > 0; got {quote(value)}", field=field)


def parameter_units(names: Sequence[str], cl: str = "L/h", v: str = "L") -> tuple[str, ...]:
    """Units of parameters by name: ka 1/h, volumes ``v``, clearances ``cl``."""
    return tuple("1/h" if n == "ka" else v if n.startswith("V") else cl for n in names)


@dataclass(frozen=True)
class PkParameters(Serial):
    """One parameter set: ``label`` (``given`` or a pkfit subject), ``model`` (1cmt, 2cmt or
    3cmt), values by name in ``units``. ``vfactor`` converts the model's native volumes and
    clearances (dose unit / concentration unit) to these units (1 for given parameters);
    ``source`` says where the values come from."""

    label: str
    model: str
    names: tuple[str, ...]
    values: tuple[float, ...]
    units: tuple[str, ...]
    vfactor: float = 1.0
    source: str = ""

    def __post_init__(self) -> None:
        if self.model not in MODEL_NAMES:
            raise InputError(
                f"unknown model {quote(self.model)}; one of {', '.join(MODEL_NAMES)}",
                field="model",
            )
        if not len(self.names) == len(self.values) == len(self.units):
            raise InputError("one value and one unit per parameter name", field="parameter")
        lo, hi = PARAMETER_RANGE
        for name, value in zip(self.names, self.values, strict=True):
            if not (math.isfinite(value) and lo <= value <= hi):
                where = "" if self.label == "given" else f" (subject {self.label})"
                raise InputError(
                    f"{name}{where} must be a number from {lo:g} to {hi:g}; got {quote(value)}",
                    field="parameter",
                )
        if not (math.isfinite(self.vfactor) and self.vfactor > 0):
            raise InputError(f"must be > 0; got {quote(self.vfactor)}", field="vfactor")

    @property
    def params(self) -> dict[str, float]:
        return dict(zip(self.names, self.values, strict=True))

    def native(self, structure: Structure) -> Array:
        """The values in ``structure.param_names`` order, volumes and clearances in native units
        (one row, as :func:`~cxcr4lab.pkpd.compartments.concentrations` takes them)."""
        given = self.params
        missing = [n for n in structure.param_names if n not in given]
        if missing:
            raise InputError(
                f"{', '.join(missing)} missing for {structure.name}; the parameters are "
                f"{', '.join(structure.param_names)}",
                field="parameter",
            )
        row = [given[n] if n == "ka" else given[n] / self.vfactor for n in structure.param_names]
        return np.asarray([row], dtype=float)


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class IntervalMetrics(Serial):
    """One dosing interval: ``dose`` (1-based), its nominal ``start`` (h), ``cmax`` and
    ``tmax`` (h after the dose), the trough ``cmin`` (end of the interval) and ``auc`` over it."""

    dose: int
    start: float
    cmax: float
    tmax: float
    cmin: float
    auc: float


@dataclass(frozen=True)
class RegimenProfile(Serial):
    """The regimen applied to one parameter set: concentrations on the result's grid, the
    per-interval metrics, and ``accumulation_ratio`` (AUC last / first interval),
    ``terminal_half_life`` (h), ``time_to_90_ss`` (h after the first dose), ``doses_to_90_ss``
    (the first interval whose AUC is >= 90 % of the steady state's) and ``auc_ss`` (AUC over one
    interval at steady state, F*D/CL)."""

    parameters: PkParameters
    conc: tuple[float, ...]
    intervals: tuple[IntervalMetrics, ...]
    accumulation_ratio: float
    terminal_half_life: float
    time_to_90_ss: float
    doses_to_90_ss: int
    auc_ss: float

    @property
    def label(self) -> str:
        return self.parameters.label


@dataclass(frozen=True)
class PkRegimenResult(Serial):
    """A regimen simulated for one or more parameter sets (SIMULATED concentrations)."""

    kind: ClassVar[str] = "pk_regimen"

    regimen: DosingRegimen
    conc_unit: str
    times: tuple[float, ...]
    profiles: tuple[RegimenProfile, ...]
    source: str = ""
    notes: tuple[str, ...] = ()

    @property
    def route(self) -> str:
        return self.regimen.route

    @property
    def auc_unit(self) -> str:
        return f"h*{self.conc_unit}"

    def profile(self, label: str) -> RegimenProfile:
        for p in self.profiles:
            if p.label == label:
                return p
        raise KeyError(label)

    def summary(self) -> pd.DataFrame:
        """One row per parameter set and dosing interval, units in the column names."""
        c, auc = self.conc_unit, self.auc_unit
        rows: list[dict[str, Any]] = []
        for p in self.profiles:
            for m in p.intervals:
                rows.append(
                    {
                        "subject": p.label,
                        "model": p.parameters.model,
                        "dose": m.dose,
                        "start (h)": m.start,
                        f"Cmax ({c})": m.cmax,
                        "Tmax (h after dose)": m.tmax,
                        f"Cmin ({c})": m.cmin,
                        f"AUC_tau ({auc})": m.auc,
                        "accumulation ratio": p.accumulation_ratio,
                        "t1/2 terminal (h)": p.terminal_half_life,
                        "time to 90% SS (h)": p.time_to_90_ss,
                        f"AUC_tau,ss ({auc})": p.auc_ss,
                    }
                )
        return pd.DataFrame(rows)

    def potencies(self, source: str = "") -> list[Any]:
        """A PK simulation yields no potencies (app protocol)."""
        return []


# --------------------------------------------------------------------------------------------
# closed-form integrals


def _chi(p: int, z: Array) -> Array:
    """``integral_0^1 u^p exp(-z u) du`` for z >= 0 (a series below 1, closed form above)."""
    z = np.asarray(z, dtype=float)
    small = z < 1.0
    zs = np.where(small, z, 0.0)
    series = np.zeros_like(z)
    term = np.ones_like(z)
    for n in range(26):
        series += term / (n + p + 1)
        term = term * (-zs) / (n + 1)
    zl = np.where(small, 1.0, z)
    poly = sum(zl**i / math.factorial(i) for i in range(p + 1))
    closed = math.factorial(p) / zl ** (p + 1) * (1.0 - np.exp(-zl) * poly)
    return np.where(small, series, closed)


def _e(k: Array, x: Array) -> Array:
    """``integral_0^x exp(-k s) ds`` (0 for x <= 0)."""
    x = np.maximum(x, 0.0)
    return x * _chi(0, k * x)


def _g(k: Array, x: Array) -> Array:
    """``integral_0^x integral_0^y exp(-k s) ds dy`` (0 for x <= 0)."""
    x = np.maximum(x, 0.0)
    z = k * x
    return x * x * (_chi(0, z) - _chi(1, z))


def _absorbed(k: Array, ka: Array, x: Array) -> Array:
    """``integral_0^x (exp(-k s) - exp(-ka s)) / (ka - k) ds`` (0 for x <= 0), also for
    ka == k."""
    x = np.maximum(x, 0.0)
    lo, hi = np.minimum(k, ka), np.maximum(k, ka)
    delta = hi - lo
    w = delta * x
    near = w < 1e-3
    safe = np.where(near, 1.0, delta)
    general = (_e(lo, x) - _e(hi, x)) / safe
    z = lo * x
    series = x * x * (_chi(1, z) - w / 2 * _chi(2, z) + w * w / 6 * _chi(3, z))
    return np.where(near, series, general)


def cumulative_auc(structure: Structure, P: Array, route: str, duration: float, x: Array) -> Array:
    """``integral_0^x C1`` for a unit dose given at time 0 (``C1`` as
    :func:`~cxcr4lab.pkpd.compartments.concentrations` computes it; oral: into the depot, no
    lag), for each parameter set (row of ``P``): shape (parameter sets, len(x))."""
    P = np.atleast_2d(np.asarray(P, dtype=float))
    x = np.asarray(x, dtype=float)[None, None, :]
    k, c = disposition(structure, P)
    kk, cc = k[:, :, None], c[:, :, None]
    if route == "oral":
        ka = P[:, -1][:, None, None]
        per_mode = ka * _absorbed(kk, ka, x)
    elif route == "infusion":
        per_mode = (_g(kk, x) - _g(kk, x - duration)) / duration
    else:
        per_mode = _e(kk, x)
    return np.asarray((cc * per_mode).sum(axis=1), dtype=float)


# --------------------------------------------------------------------------------------------
# simulation


def _rates(structure: Structure, P: Array) -> tuple[float, float]:
    """(slowest rate including absorption, clearance in native units)."""
    k, _ = disposition(structure, P)
    slowest = float(k[0, 0])
    if structure.oral:
        slowest = min(slowest, float(P[0, -1]))
    return slowest, float(P[0, 0])


def _time_to_fraction(
    structure: Structure, P: Array, regimen: DosingRegimen, total: float, fraction: float
) -> float:
    """The time after the dose (lag excluded) at which a unit dose has given ``fraction`` of
    its AUC ``total``."""
    from scipy.optimize import brentq

    def short(t: float) -> float:
        got = cumulative_auc(structure, P, regimen.route, regimen.duration, np.array([t]))
        return float(got[0, 0]) - fraction * total

    hi = max(regimen.duration, 1e-6)
    while short(hi) < 0:
        hi *= 2.0
        if hi > 1e12:
            return math.inf
    return float(brentq(short, 0.0, hi, xtol=1e-12 * hi, rtol=1e-14, maxiter=200))


def _peaks(
    structure: Structure, P: Array, regimen: DosingRegimen, unit: Doses
) -> tuple[Array, Array]:
    """Cmax and its time after the start of each interval (lag excluded), for a unit amount."""
    from scipy.optimize import minimize_scalar

    tau, n = regimen.interval, regimen.doses
    u = np.linspace(0.0, tau, _GRID)
    if regimen.route == "infusion" and regimen.duration < tau:
        u = np.union1d(u, [regimen.duration])
    times = (tau * np.arange(n))[:, None] + u[None, :]
    single = concentrations(structure, P, unit, times.ravel())[0].reshape(n, u.size)
    curves = np.cumsum(single, axis=0)  # row i: doses 0..i
    cmax = np.empty(n)
    tmax = np.empty(n)
    kinks = {0.0, regimen.duration} if regimen.route == "infusion" else {0.0}
    for i in range(n):
        row = curves[i]
        g = int(np.argmax(row))
        best_u, best_c = float(u[g]), float(row[g])
        if i > 0 and float(single[i].max()) <= _STEADY * best_c:  # steady state: as before
            cmax[i], tmax[i] = cmax[i - 1], tmax[i - 1]
            continue
        if regimen.route != "bolus":  # after a bolus the peak is at the dose, on the grid
            offsets = tau * np.arange(i + 1, dtype=float)

            def minus(t: float, offsets: Array = offsets) -> float:
                return -float(concentrations(structure, P, unit, t + offsets)[0].sum())

            lo, hi = float(u[max(g - 1, 0)]), float(u[min(g + 1, u.size - 1)])
            # a smooth peak lies between the neighbours; at a kink (dose start, infusion end)
            # look on a side only if the curve rises towards the kink from it
            brackets = [(lo, hi)]
            if best_u in kinks:
                h = 1e-7 * tau
                brackets = [
                    (a, b)
                    for a, b, near in ((lo, best_u, best_u - h), (best_u, hi, best_u + h))
                    if a < near < b and -minus(near) > best_c
                ]
            for a, b in brackets:
                if b <= a:
                    continue
                found = minimize_scalar(
                    minus, bounds=(a, b), method="bounded", options={"xatol": 1e-10 * tau}
                )
                if -found.fun > best_c:
                    best_u, best_c = float(found.x), float(-found.fun)
        cmax[i], tmax[i] = best_c, best_u
    return cmax, tmax


def _profile(parameters: PkParameters, regimen: DosingRegimen, times: Array) -> RegimenProfile:
    structure = Structure.named(parameters.model, oral=regimen.oral)
    P = parameters.native(structure)
    tau, n, amount = regimen.interval, regimen.doses, regimen.amount
    unit = Doses.of([(0.0, 1.0, regimen.duration)])
    cmax, tmax = _peaks(structure, P, regimen, unit)
    ends = tau * np.arange(1, n + 1, dtype=float)
    trough = np.cumsum(concentrations(structure, P, unit, ends)[0])
    auc = cumulative_auc(structure, P, regimen.route, regimen.duration, ends)[0]
    slowest, cl = _rates(structure, P)
    total = 1.0 / cl  # integral of C1 to infinity: a unit dose over the clearance
    t90 = _time_to_fraction(structure, P, regimen, total, 0.9)
    intervals = tuple(
        IntervalMetrics(
            dose=i + 1,
            start=float(regimen.dose_times[i]),
            cmax=float(amount * cmax[i]),
            tmax=float(tmax[i] + regimen.lag),
            cmin=float(amount * trough[i]),
            auc=float(amount * auc[i]),
        )
        for i in range(n)
    )
    doses = Doses.of([(t + regimen.lag, amount, regimen.duration) for t in regimen.dose_times])
    conc = concentrations(structure, P, doses, times)[0]
    return RegimenProfile(
        parameters=parameters,
        conc=tuple(float(v) for v in conc),
        intervals=intervals,
        accumulation_ratio=float(auc[-1] / auc[0]),
        terminal_half_life=math.log(2.0) / slowest,
        time_to_90_ss=t90 + regimen.lag,
        doses_to_90_ss=max(1, math.ceil(t90 / tau - 1e-9)) if math.isfinite(t90) else 0,
        auc_ss=float(amount * total),
    )


def _grid(regimen: DosingRegimen, horizon: float, points: int) -> Array:
    """``points`` evenly spaced times from 0 to ``horizon`` with every dose start (after the
    lag) and infusion end in it."""
    starts = regimen.dose_times + regimen.lag
    special = np.concatenate([starts, starts + regimen.duration]) if regimen.duration else starts
    special = special[special <= horizon]
    return np.asarray(np.union1d(np.linspace(0.0, horizon, points), special), dtype=float)


def default_horizon(regimen: DosingRegimen, half_life: float) -> float:
    """The last dose (its lag and infusion included) plus :data:`HALF_LIVES` half-lives, at
    most :data:`MAX_HORIZON_H`."""
    last = float(regimen.dose_times[-1]) + regimen.lag + regimen.duration
    tail = HALF_LIVES * half_life if math.isfinite(half_life) else MAX_HORIZON_H
    return min(last + tail, MAX_HORIZON_H)


def simulate_pk_regimen(
    regimen: DosingRegimen,
    parameter_sets: Sequence[PkParameters],
    *,
    conc_unit: str,
    horizon: float | None = None,
    points: int = 500,
    source: str = "",
    notes: Sequence[str] = (),
) -> PkRegimenResult:
    """The regimen applied to each parameter set (see the module docstring).

    ``horizon`` (h): the end of the concentration-time grid (default: the last dose plus
    :data:`HALF_LIVES` of the longest terminal half-life, at most :data:`MAX_HORIZON_H`);
    ``points``: evenly spaced grid points (dose starts and infusion ends are added). The
    per-interval metrics do not depend on the grid.
    """
    if not parameter_sets:
        raise InputError("no parameter set to simulate", field="parameter")
    if not 2 <= points <= MAX_POINTS:
        raise InputError(f"must be 2 to {MAX_POINTS}; got {quote(points)}", field="points")
    if len(parameter_sets) * regimen.doses > MAX_INTERVAL_ROWS:
        raise InputError(
            f"{len(parameter_sets)} parameter sets x {regimen.doses} doses is more than "
            f"{MAX_INTERVAL_ROWS:,} dosing intervals; give fewer doses or pick a subject",
            field="doses",
        )
    structures = [Structure.named(p.model, oral=regimen.oral) for p in parameter_sets]
    for p, s in zip(parameter_sets, structures, strict=True):
        extra = [n for n in p.names if n not in s.param_names]
        if extra:
            raise InputError(
                f"{', '.join(extra)} is not a parameter of {s.name} "
                f"{regimen.route}; the parameters are {', '.join(s.param_names)}",
                field="parameter",
            )
        p.native(s)  # every parameter present
    if horizon is None:
        longest = max(
            math.log(2.0) / _rates(s, p.native(s))[0]
            for p, s in zip(parameter_sets, structures, strict=True)
        )
        horizon = default_horizon(regimen, longest)
    elif not (math.isfinite(horizon) and 0 < horizon <= MAX_HORIZON_H):
        raise InputError(
            f"must be above 0 and at most {MAX_HORIZON_H:g} h; got {quote(horizon)}",
            field="horizon",
        )
    times = _grid(regimen, float(horizon), points)
    if len(parameter_sets) * times.size > MAX_CURVE_VALUES:
        raise InputError(
            f"{len(parameter_sets)} curves of {times.size} points is more than "
            f"{MAX_CURVE_VALUES:,} values; give fewer points or pick a subject",
            field="points",
        )
    profiles = tuple(_profile(p, regimen, times) for p in parameter_sets)
    return PkRegimenResult(
        regimen=regimen,
        conc_unit=conc_unit,
        times=tuple(float(t) for t in times),
        profiles=profiles,
        source=source,
        notes=tuple(notes),
    )


def given_parameters(
    model: str,
    route: str,
    values: Mapping[str, float],
    *,
    label: str = "given",
    cl_unit: str = "L/h",
    v_unit: str = "L",
    vfactor: float = 1.0,
    source: str = "given",
) -> PkParameters:
    """A :class:`PkParameters` of ``values`` for ``model`` and ``route``: names matched without
    regard to case; an unknown or missing name is one InputError (field ``parameter``) listing
    the parameters of the model."""
    structure = Structure.named(model, oral=route == "oral")
    expected = structure.param_names
    by_lower = {n.lower(): n for n in expected}
    chosen: dict[str, float] = {}
    unknown = []
    for name, value in values.items():
        canonical = by_lower.get(name.lower())
        if canonical is None:
            unknown.append(name)
        else:
            chosen[canonical] = float(value)
    what = f"{structure.name} {route}" + ("" if label == "given" else f" (subject {label})")
    if unknown:
        raise InputError(
            f"unknown parameter {', '.join(quote(u) for u in unknown)} for {what}; the "
            f"parameters are {', '.join(expected)} (another structure: --model)",
            field="parameter",
        )
    missing = [n for n in expected if n not in chosen]
    if missing:
        raise InputError(
            f"{', '.join(missing)} missing for {what}; give every one of "
            f"{', '.join(n + '=VALUE' for n in expected)}",
            field="parameter",
        )
    return PkParameters(
        label=label,
        model=structure.name,
        names=expected,
        values=tuple(chosen[n] for n in expected),
        units=parameter_units(expected, cl_unit, v_unit),
        vfactor=vfactor,
        source=source,
    )


# --------------------------------------------------------------------------------------------
# parameters from a stored pkfit

_FITTED_ROUTE = {"oral": "oral", "infusion": "infusion", "iv bolus": "bolus"}
"""A pkfit subject's route (:func:`~cxcr4lab.pkpd.pkfit_results.route_name`) -> a route here."""


def read_pkfit(content: bytes, name: str) -> tuple[PkFitResult, str]:
    """The stored pkfit result in a JSON file (as ``cxcr4lab results show ID --json`` prints it
    or the web app's JSON download gives it; its ``id`` and ``title`` keys are only shown) and
    a description of it. Any other file is one InputError naming the file (field ``pkfit``)."""
    import json

    from cxcr4lab.core.limits import check_size
    from cxcr4lab.core.serial import SerialError

    check_size(content, name)
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not UTF-8 text (byte {exc.start})", file=name, field="pkfit"
        ) from None
    except RecursionError:
        raise InputError("is nested too deeply to be a result", file=name, field="pkfit") from None
    except ValueError as exc:  # json.JSONDecodeError, or an integer of too many digits
        raise InputError(
            f"is not JSON ({quote(str(exc), 120)})", file=name, field="pkfit"
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            "is not a stored result (a JSON object with a 'kind'); export one with "
            "`cxcr4lab results show ID --json`",
            file=name,
            field="pkfit",
        )
    kind = data.get("kind")
    if kind != PkFitResult.kind:
        shown = "no 'kind'" if kind is None else f"a {quote(kind)} result"
        raise InputError(
            f"holds {shown}, not a pkfit result; export a PK fit with "
            "`cxcr4lab results show ID --json`",
            file=name,
            field="pkfit",
        )
    try:
        fit = PkFitResult.from_dict(data)
    except SerialError as exc:
        raise InputError(
            f"is not a readable pkfit result: {exc.message}", file=name, field="pkfit"
        ) from None
    about = f"pkfit {name}"
    ident, title = data.get("id"), data.get("title")
    if isinstance(ident, int) and not isinstance(ident, bool):
        about += f" (analysis #{ident}" + (f": {title[:120]})" if isinstance(title, str) else ")")
    elif isinstance(title, str):
        about += f" ({title[:120]})"
    return fit, about


def _same(values: Sequence[float], what: str, field: str) -> float:
    if not values:
        raise InputError(f"is needed: the pkfit holds no {what}", field=field)
    if len(set(values)) != 1:
        shown = ", ".join(f"{v:g}" for v in sorted(set(values))[:6])
        raise InputError(f"is needed: the pkfit's subjects differ in {what} ({shown})", field=field)
    return values[0]


def pkfit_parameters(
    fit: PkFitResult,
    *,
    subject: str | None = None,
    route: str | None = None,
    model: str | None = None,
    overrides: Mapping[str, float] | None = None,
    source: str = "pkfit",
) -> tuple[list[PkParameters], str, list[str]]:
    """The parameter sets of a pkfit's subjects (``subject`` only, or every subject whose fit
    converged), in the pkfit's units, with ``overrides`` (by name) replacing fitted values;
    the route (``route``, or the one the subjects were fitted to) and notes (subjects left
    out). An IV fit may be given oral doses (ka from ``overrides``); an oral fit's parameters
    are apparent (CL/F, V/F), so it gives oral doses only."""
    if subject is not None:
        try:
            chosen = [fit.subject(subject)]
        except KeyError:
            names = [s.subject for s in fit.subjects]
            shown = ", ".join(names[:20]) + (
                f", ... ({len(names)} subjects)" if len(names) > 20 else ""
            )
            raise InputError(
                f"no subject {quote(subject)} in the pkfit; its subjects are {shown}",
                field="subject",
            ) from None
        if not chosen[0].estimates:
            why = f" ({chosen[0].error})" if chosen[0].error else ""
            raise InputError(f"subject {quote(subject)} was not fitted{why}", field="subject")
        notes = [] if chosen[0].converged else [f"subject {subject}: the fit did not converge"]
    else:
        chosen = [s for s in fit.subjects if s.converged and s.estimates]
        kept = {id(s) for s in chosen}
        left = [s.subject for s in fit.subjects if id(s) not in kept]
        notes = [f"left out (fit failed or did not converge): {', '.join(left)}"] if left else []
        if not chosen:
            raise InputError("no subject's fit converged: nothing to simulate", field="pkfit")
    fitted = {_FITTED_ROUTE.get(s.route, s.route) for s in chosen}
    if route is None:
        if len(fitted) > 1:
            raise InputError(
                f"is needed: the subjects were fitted to different routes ({', '.join(sorted(fitted))}); "
                "give --route or pick one with --subject",
                field="route",
            )
        route = fitted.pop()
    for s in chosen:
        if s.route == "oral" and route != "oral":
            raise InputError(
                f"subject {s.subject} was fitted to oral doses: its CL/F and V/F give oral "
                "concentrations only",
                field="route",
            )
        if model is not None and model != s.model:
            raise InputError(
                f"subject {s.subject} was fitted with {s.model}; leave out --model to use the "
                "fitted one",
                field="model",
            )
    if any(s.route == "oral" for s in chosen):
        notes.append(
            "the oral fits' CL, V and Q are apparent (CL/F, V/F, Q/F); a bioavailability is "
            "then relative to the fitted doses"
        )
    cl, v = fit.units.get("cl", "L/h"), fit.units.get("v", "L")
    sets = [_subject_parameters(s, route, dict(overrides or {}), cl, v, source) for s in chosen]
    return sets, route, notes


def _subject_parameters(
    s: SubjectPkFit, route: str, overrides: dict[str, float], cl: str, v: str, source: str
) -> PkParameters:
    given = ", ".join(f"{k}={val:g}" for k, val in overrides.items())
    return given_parameters(
        s.model,
        route,
        {**s.params, **overrides},
        label=s.subject,
        cl_unit=cl,
        v_unit=v,
        vfactor=s.vfactor,
        source=f"{source}, subject {s.subject}" + (f"; given {given}" if given else ""),
    )


def pkfit_dose(chosen: Sequence[SubjectPkFit], route: str) -> tuple[float, float]:
    """The fitted (first) dose of the subjects and, for an infusion, its duration; an
    InputError naming ``dose`` or ``duration`` if the subjects differ."""
    dose = _same([s.doses[0].amount for s in chosen if s.doses], "their doses", "dose")
    duration = 0.0
    if route == "infusion":
        durations = [s.doses[0].duration for s in chosen if s.doses and s.doses[0].duration > 0]
        if not durations:
            raise InputError(
                "is needed for an infusion (the pkfit's doses are not infusions)", field="duration"
            )
        duration = _same(durations, "their infusion durations", "duration")
    return dose, duration
