"""Population simulation of a balixafortide + eribulin regimen over cycles (SIMULATED patients).

For a seeded virtual population (covariates :data:`~cxcr4lab.pkpd.population.MBC_WOMEN`,
log-normal between-subject variability, allometric weight scaling) and a
:class:`~cxcr4lab.pkpd.regimens.Regimen`, :func:`simulate_regimen` returns the population bands
(5th, 50th, 95th percentiles) over time of

- the balixafortide plasma concentration ``Cp`` (ug/mL = mg/L; 2-compartment PK,
  :data:`~cxcr4lab.pkpd.pk.BALIXAFORTIDE_HUMAN` with the between-subject CVs of
  :mod:`~cxcr4lab.pkpd.balixafortide`, solved exactly by :mod:`.pk_batch`);
- CXCR4 receptor occupancy ``RO`` (%) from the unbound concentration ``fu * Cp``
  (:class:`~cxcr4lab.pkpd.occupancy_model.OccupancyModel`, Kd = the balixafortide Kb
  calibrated to the published IC50 bounds in :mod:`cxcr4lab.studies.calibration`);
- peripheral-blood CD34+ cells (cells/uL) through :class:`Cd34Link`, an effect-compartment Emax
  link built from the Karpova 2017 dose-response fit (:mod:`.mobilization`);
- the ANC (10^9/L) under eribulin (Friberg model, :mod:`.friberg_batch`), with CTCAE grades;

and a per-cycle table: balixafortide Cmax and AUC, hours above the occupancy target, nadir ANC
(median and 90 % band) and the probability of grade >= 3 and grade 4 neutropenia with exact
(Clopper-Pearson) 95 % CIs. The CIs are Monte Carlo uncertainty of the virtual population, not
uncertainty in the model's parameters.

The dose-based CD34+ model becomes a time course as follows: a typical 70-kg subject given a
single 2-h infusion of ``D`` ug/kg reaches an effect-site peak ``Ce,max = k D`` (linear PK), so
``CD34(t) = E0 + Emax Ce^h / (EC50c^h + Ce^h)`` with ``EC50c = k ED50`` reproduces the fitted
single-dose peaks exactly for that subject. ``keo`` (effect-site equilibration) is assumed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial, stored
from cxcr4lab.pkpd.balixafortide import BSV_CV_PERCENT as _BALIXAFORTIDE_CV
from cxcr4lab.pkpd.friberg_batch import friberg_anc
from cxcr4lab.pkpd.mobilization import MobilizationResult, fit_mobilization
from cxcr4lab.pkpd.neutropenia import FRIBERG_ERIBULIN, IIV_CV_PERCENT, ctcae_grade
from cxcr4lab.pkpd.occupancy_model import BALIXAFORTIDE_FU, OccupancyModel, time_above_rows
from cxcr4lab.pkpd.pk import BALIXAFORTIDE_HUMAN, ERIBULIN_HUMAN, terminal_half_life
from cxcr4lab.pkpd.pk_batch import (
    DoseChanges,
    breakpoints,
    dose_changes,
    grid_states,
    mammillary_matrix,
    with_auc,
    with_effect_compartment,
)
from cxcr4lab.pkpd.population import TypicalParameter, sample_population
from cxcr4lab.pkpd.regimens import Regimen, regimen_events
from cxcr4lab.receptor.mechanistic import Cxcr4Model

__all__ = [
    "CHUNK_PATIENTS",
    "DEFAULT_KD_MOLAR",
    "DRUGS",
    "LABELS",
    "MAX_POINTS",
    "POPULATION_PARAMETERS",
    "UNITS",
    "Cd34Link",
    "ChunkMap",
    "CourseArrays",
    "CycleSummary",
    "RegimenSimulation",
    "SimulationSettings",
    "assumption_notes",
    "cd34_link",
    "check_size",
    "chunked_course_arrays",
    "course_arrays",
    "eribulin_day_coverage",
    "population_parameters",
    "proportion_ci",
    "simulate_regimen",
    "time_above_rows",
    "virtual_population",
]

Array = NDArray[np.float64]

DRUGS = ("balixafortide", "eribulin")
"""The drugs the simulation has models for."""

DEFAULT_KD_MOLAR = Cxcr4Model().kb
"""Kd of balixafortide at CXCR4 (mol/L): the Kb calibrated to every published IC50 bound
(0.15 nM; docs/receptor.md), an in-vitro value applied to plasma."""

MAX_POINTS = 6_000_000
"""Largest patients x time points of one run (each course array is that many floats)."""

CHUNK_PATIENTS = 2_500
"""Patients per chunk when a run is split (:func:`chunked_course_arrays`)."""

ChunkMap = Callable[[Callable[..., Any], Sequence[tuple[Any, ...]]], list[Any]]
"""``chunk_map(function, chunks) -> [function(*args) for args in chunks]`` in order, wherever
the calls run (a Dask cluster: :func:`cxcr4lab.core.cluster.map_chunks`)."""

UNITS = {"Cp": "µg/mL", "RO": "%", "CD34": "cells/µL", "ANC": "10^9/L"}
"""Units of the banded observables."""

LABELS = {
    "Cp": "balixafortide plasma concentration",
    "RO": "CXCR4 receptor occupancy",
    "CD34": "peripheral-blood CD34+ cells",
    "ANC": "absolute neutrophil count",
}

_B = {p.name: p.value for p in BALIXAFORTIDE_HUMAN.parameters}
_E = {p.name: p.value for p in ERIBULIN_HUMAN.parameters}

POPULATION_PARAMETERS: tuple[TypicalParameter, ...] = (
    # balixafortide (the derived set of pkpd.balixafortide: BSV on CL and V1 assumed;
    # allometry 0.75 / 1 on clearances / volumes)
    TypicalParameter("CL_B", _B["CL"], "L/h", cv_percent=_BALIXAFORTIDE_CV["CL"], exponent=0.75),
    TypicalParameter("V1_B", _B["V1"], "L", cv_percent=_BALIXAFORTIDE_CV["V1"], exponent=1.0),
    TypicalParameter("Q2_B", _B["Q2"], "L/h", exponent=0.75),
    TypicalParameter("V2_B", _B["V2"], "L", exponent=1.0),
    # eribulin (assumed BSV 30 % on CL and V1; dosed per m^2, no allometry)
    TypicalParameter("CL_E", _E["CL"], "L/h", cv_percent=30.0),
    TypicalParameter("V1_E", _E["V1"], "L", cv_percent=30.0),
    TypicalParameter("Q2_E", _E["Q2"], "L/h"),
    TypicalParameter("V2_E", _E["V2"], "L"),
    TypicalParameter("Q3_E", _E["Q3"], "L/h"),
    TypicalParameter("V3_E", _E["V3"], "L"),
    # Friberg, typical values and IIV of van Hasselt et al. 2013
    *(
        TypicalParameter(k, FRIBERG_ERIBULIN[k], u, cv_percent=IIV_CV_PERCENT[k])
        for k, u in (("Circ0", "1e9/L"), ("MTT", "h"), ("gamma", "1"), ("SLOPE", "L/ug"))
    ),
)
"""Typical values at 70 kg, between-subject CV% and allometric exponents of the population."""

_OPTION = {
    "n_patients": "patients",
    "cycles": "cycles",
    "kd_molar": "kd",
    "target": "target",
    "keo_half_life_h": "keo half-life",
    "seed": "seed",
    "step_h": "step",
    "band_step_h": "band step",
}


@stored(omit_default=("population_pk", "population_pk_correlation", "population_pk_source"))
@dataclass(frozen=True)
class SimulationSettings(Serial):
    """How many virtual patients (``n_patients``) over how many ``cycles``, the random ``seed``,
    the occupancy Kd (mol/L) and ``target`` (fraction), the CD34+ effect-site equilibration
    half-life (h), the simulation grid step and the step of the stored bands (h)."""

    n_patients: int = 200
    cycles: int = 6
    seed: int = 20251123
    kd_molar: float = DEFAULT_KD_MOLAR
    target: float = 0.9
    keo_half_life_h: float = 2.0
    step_h: float = 1.0
    band_step_h: float = 4.0
    population_pk: tuple[tuple[str, float, float, float], ...] = ()
    """Estimated balixafortide PK replacing the derived set (a stored popfit,
    :meth:`~cxcr4lab.pkpd.popfit_results.PopFitResult.regimen_parameters`): (CL | V1 | Q | V2,
    typical value at 70 kg in L/h or L, omega^2, body-weight exponent); empty: the derived set."""
    population_pk_correlation: tuple[tuple[float, ...], ...] = ()
    """Correlation of the four etas of :attr:`population_pk` (empty: none)."""
    population_pk_source: str = ""
    """Where :attr:`population_pk` comes from (the popfit analysis)."""

    def __post_init__(self) -> None:
        for name in ("n_patients", "cycles"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(
                    f"must be a whole number >= 1, got {quote(v)}", field=_OPTION[name]
                )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"must be a whole number >= 0, got {quote(self.seed)}", field="seed")
        if self.n_patients > 100_000:
            raise InputError(f"at most 100000, got {self.n_patients}", field="patients")
        for name in ("kd_molar", "keo_half_life_h", "step_h", "band_step_h"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise InputError(f"must be a number > 0, got {quote(v)}", field=_OPTION[name])
        if not (math.isfinite(self.target) and 0 < self.target < 1):
            raise InputError(
                f"occupancy target must be in (0, 1) (a fraction), got {quote(self.target)}",
                field="target",
            )
        ratio = self.band_step_h / self.step_h
        if abs(ratio - round(ratio)) > 1e-9:
            raise InputError("must be a multiple of the simulation step", field="band step")

    @property
    def keo_per_h(self) -> float:
        return math.log(2.0) / self.keo_half_life_h


def proportion_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) CI of k/n, as R's ``binom.test`` (scipy's ``binomtest``).

    >>> [round(x, 4) for x in proportion_ci(9, 24)]
    [0.188, 0.5941]
    """
    from scipy.stats import binomtest

    if n <= 0 or not 0 <= k <= n:
        raise InputError(f"need 0 <= k <= n and n > 0, got {k}/{n}", field="counts")
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Cd34Link(Serial):
    """Peripheral CD34+ (cells/uL) = e0 + emax Ce^hill / (ec50^hill + Ce^hill), Ce the
    balixafortide effect-site concentration (mg/L) with equilibration rate ``keo_per_h``.
    ``ec50_mg_per_l`` is ``ed50_ug_per_kg`` mapped through the typical subject's Ce peak after
    one ``infusion_h`` infusion (see the module docstring)."""

    e0: float
    emax: float
    ec50_mg_per_l: float
    hill: float
    keo_per_h: float
    ed50_ug_per_kg: float
    infusion_h: float = 2.0
    source: str = ""

    def count(self, ce_mg_per_l: ArrayLike) -> Array:
        """CD34+ cells/uL at effect-site concentrations (mg/L)."""
        ce = np.clip(np.asarray(ce_mg_per_l, float), 0.0, None)
        x = (ce / self.ec50_mg_per_l) ** self.hill
        return np.asarray(self.e0 + self.emax * x / (1.0 + x), dtype=np.float64)


def _typical_ce_peak_per_ug_per_kg(keo_per_h: float, infusion_h: float) -> float:
    """Effect-site peak (mg/L) of the typical 70-kg subject after 1 ug/kg over ``infusion_h``."""
    one = np.ones(1)
    K = mammillary_matrix(one * _B["CL"], one * _B["V1"], [one * _B["Q2"]], [one * _B["V2"]])
    Ke = with_effect_compartment(K, one * _B["V1"], keo_per_h)
    amount = 70.0 * 1e-3  # 1 ug/kg x 70 kg, in mg
    doses = DoseChanges(
        np.zeros(1), np.zeros(1, np.int64), np.full((1, 1), amount), one * infusion_h
    )
    window = infusion_h + 10.0 * math.log(2.0) / keo_per_h
    t = np.linspace(0.0, window, 2001)
    ce = grid_states(Ke, doses, t)[0, 2]
    i = int(np.argmax(ce))
    fine = np.linspace(t[max(i - 1, 0)], t[min(i + 1, t.size - 1)], 201)
    if fine[0] > 0:
        fine = np.concatenate([[0.0], fine])
    return float(grid_states(Ke, doses, fine)[0, 2].max())


def cd34_link(
    mobilization: MobilizationResult | None = None,
    *,
    keo_half_life_h: float = 2.0,
    infusion_h: float = 2.0,
) -> Cd34Link:
    """The concentration-driven CD34+ link from a dose-response fit (default: Karpova 2017)."""
    mob = mobilization or fit_mobilization()
    keo = math.log(2.0) / keo_half_life_h
    k = _typical_ce_peak_per_ug_per_kg(keo, infusion_h)
    return Cd34Link(
        e0=mob.baseline,
        emax=mob.emax,
        ec50_mg_per_l=mob.ed50 * k,
        hill=mob.params["hill"],
        keo_per_h=keo,
        ed50_ug_per_kg=mob.ed50,
        infusion_h=infusion_h,
        source=mob.source,
    )


def virtual_population(
    settings: SimulationSettings, covariates: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per-patient covariates (``ID, SEX, WT, HT, BSA``) and PK/PD parameters
    (:data:`POPULATION_PARAMETERS`), seeded by ``settings.seed``; ``covariates`` (``ID, WT``
    and ``HT``) replaces the sampled ones."""
    params, correlation = population_parameters(settings)
    if covariates is None:
        return sample_population(
            params, settings.n_patients, seed=settings.seed, correlation=correlation
        )
    return sample_population(
        params, covariates=covariates, seed=settings.seed, correlation=correlation
    )


_ESTIMATED = {"CL": "CL_B", "V1": "V1_B", "Q": "Q2_B", "V2": "V2_B"}


def population_parameters(
    settings: SimulationSettings,
) -> tuple[tuple[TypicalParameter, ...], Array | None]:
    """:data:`POPULATION_PARAMETERS`, with the balixafortide PK of ``settings.population_pk``
    (estimated) in place of the derived set when given, and the eta correlation matrix."""
    if not settings.population_pk:
        return POPULATION_PARAMETERS, None
    given = {_ESTIMATED[n]: (v, w, e) for n, v, w, e in settings.population_pk}
    params = tuple(
        TypicalParameter(p.name, given[p.name][0], p.unit, omega2=given[p.name][1],
                         exponent=given[p.name][2])
        if p.name in given
        else p
        for p in POPULATION_PARAMETERS
    )  # fmt: skip
    corr = np.eye(len(params))
    if settings.population_pk_correlation:
        index = [next(i for i, p in enumerate(params) if p.name == _ESTIMATED[n])
                 for n, *_ in settings.population_pk]  # fmt: skip
        c = np.asarray(settings.population_pk_correlation, dtype=float)
        corr[np.ix_(index, index)] = c
    return params, corr


def _check_drugs(regimen: Regimen) -> None:
    for d in regimen.drugs:
        if d.drug not in DRUGS:
            raise InputError(
                f"unknown drug {quote(d.drug)}: the simulation has models for {', '.join(DRUGS)}",
                field=f"regimen {quote(regimen.name)}",
            )


@dataclass(frozen=True)
class CourseArrays:
    """Per-patient courses on the grid ``t`` (h): ``cp`` (ug/mL), ``auc`` (running, ug·h/mL),
    ``ro`` (fraction), ``cd34`` (cells/uL), ``anc`` (10^9/L); eribulin dose times (h)."""

    t: Array
    cp: Array
    auc: Array
    ro: Array
    cd34: Array
    anc: Array
    eribulin_times: Array
    changes: Array
    cycle_h: float


def _check_size(n_patients: int, n_times: int) -> None:
    if n_patients * n_times > MAX_POINTS:
        raise InputError(
            f"{n_patients} patients x {n_times} time points is more than {MAX_POINTS:,} "
            "(memory); simulate fewer patients or cycles",
            field="patients",
        )


def check_size(regimen: Regimen, settings: SimulationSettings, n_patients: int) -> None:
    """Refuse a run whose course arrays would not fit (:data:`MAX_POINTS`), before it starts."""
    grid = settings.cycles * regimen.cycle_days * 24.0 / settings.step_h + 1
    _check_size(n_patients, int(grid))


def _grid(regimen: Regimen, settings: SimulationSettings, extra: Array) -> Array:
    end = settings.cycles * regimen.cycle_days * 24.0
    base = np.arange(0.0, end + settings.step_h / 2, settings.step_h)
    return np.unique(np.concatenate([base, extra[extra <= end]]))


def course_arrays(
    regimen: Regimen,
    population: pd.DataFrame,
    settings: SimulationSettings,
    *,
    link: Cd34Link,
    occupancy: OccupancyModel,
    cache: dict[Any, Any] | None = None,
) -> CourseArrays:
    """Simulate ``regimen`` for every patient of ``population`` (see :func:`virtual_population`).

    ``cache`` (one dict per population) lets several regimens share the PK propagators and,
    when their eribulin dosing is the same, one Friberg run (balixafortide does not change the
    ANC in this model).
    """
    _check_drugs(regimen)
    ids = population["ID"].tolist()
    events = regimen_events(regimen, population, settings.cycles)
    by_drug = {d: events[events["DRUG"] == d] for d in DRUGS}
    bal = dose_changes(by_drug["balixafortide"], ids)
    eri = dose_changes(by_drug["eribulin"], ids)
    changes = breakpoints([bal, eri])
    t = _grid(regimen, settings, changes)
    _check_size(len(ids), t.size)
    col = {c: population[c].to_numpy(float) for c in population.columns if c != "ID"}

    v1b = col["V1_B"]
    K = mammillary_matrix(col["CL_B"], v1b, [col["Q2_B"]], [col["V2_B"]])
    K = with_auc(with_effect_compartment(K, v1b, settings.keo_per_h), v1b)
    store: dict[Any, Any] = {} if cache is None else cache
    states = grid_states(K, bal, t, cache=store.setdefault("propagators", {}))
    cp = np.clip(states[:, 0, :] / v1b[:, None], 0.0, None)  # mg/L = ug/mL
    ce = states[:, 2, :]
    auc = states[:, 3, :]
    mw = occupancy.mw_g_per_mol or 1.0
    ro = occupancy.occupancy(cp * 1e-3 / mw)

    key = repr([d.to_dict() for d in regimen.drugs if d.drug == "eribulin"])
    key += f"|{settings.cycles}|{regimen.cycle_days}|{t.size}|{t[-1]}"
    anc = store.get(key)
    if anc is None:
        Ke = mammillary_matrix(
            col["CL_E"], col["V1_E"], [col["Q2_E"], col["Q3_E"]], [col["V2_E"], col["V3_E"]]
        )
        friberg = {k: col[k] for k in ("Circ0", "MTT", "gamma", "SLOPE")}
        anc = friberg_anc(Ke, col["V1_E"], eri, friberg, t)
        store[key] = anc
    return CourseArrays(
        t=t,
        cp=cp,
        auc=auc,
        ro=ro,
        cd34=link.count(ce),
        anc=anc,
        eribulin_times=eri.time,
        changes=changes,
        cycle_h=regimen.cycle_days * 24.0,
    )


def _course_chunk(
    regimen: Regimen,
    population: pd.DataFrame,
    settings: SimulationSettings,
    link: Cd34Link,
    occupancy: OccupancyModel,
) -> CourseArrays:
    """:func:`course_arrays` of one chunk of patients (a task of its own)."""
    return course_arrays(regimen, population, settings, link=link, occupancy=occupancy)


def chunked_course_arrays(
    regimen: Regimen,
    population: pd.DataFrame,
    settings: SimulationSettings,
    *,
    link: Cd34Link,
    occupancy: OccupancyModel,
    chunk_map: ChunkMap,
    chunk_size: int = CHUNK_PATIENTS,
) -> CourseArrays:
    """:func:`course_arrays` of ``chunk_size`` patients at a time, the chunks run by
    ``chunk_map``, joined in the population's order.

    Every patient is dosed at the same times, so every chunk has the same grid. The PK,
    occupancy and CD34+ courses are those of one :func:`course_arrays` call to the last bit; the
    ANC agrees within the Friberg integrator's tolerance (its step control runs over the
    patients it is given, here a chunk; 10,000 patients one cycle: 2.6e-6 relative with chunks
    of 2,500, 4.6e-5 with chunks of 1,000), so a patient whose nadir lies that close to a CTCAE
    boundary can change grade.
    """
    _check_drugs(regimen)
    if chunk_size < 1:
        raise InputError(f"chunk_size must be at least 1, got {chunk_size}", field="chunk_size")
    chunks = [
        (regimen, population.iloc[lo : lo + chunk_size], settings, link, occupancy)
        for lo in range(0, len(population), chunk_size)
    ]
    parts: list[CourseArrays] = chunk_map(_course_chunk, chunks)
    first = parts[0]
    if any(not np.array_equal(p.t, first.t) for p in parts):
        raise InputError("every patient must be dosed at the same times", field="regimen")

    def joined(name: str) -> Array:
        return np.concatenate([getattr(p, name) for p in parts])

    return CourseArrays(
        t=first.t,
        cp=joined("cp"),
        auc=joined("auc"),
        ro=joined("ro"),
        cd34=joined("cd34"),
        anc=joined("anc"),
        eribulin_times=first.eribulin_times,
        changes=first.changes,
        cycle_h=first.cycle_h,
    )


def _q(values: Array) -> tuple[float, float, float]:
    p5, p50, p95 = np.percentile(values, [5.0, 50.0, 95.0])
    return float(p5), float(p50), float(p95)


@dataclass(frozen=True)
class CycleSummary(Serial):
    """Population summary of one cycle (``cycle`` 0 = the whole course): 5th, 50th and 95th
    percentiles of balixafortide Cmax (ug/mL) and AUC (ug·h/mL), time above the occupancy
    target (% of the period), peak CD34+ (cells/uL) and nadir ANC (10^9/L), and the number of
    patients (of ``n``) with grade >= 3 and grade 4 neutropenia."""

    cycle: int
    cmax: tuple[float, float, float]
    auc: tuple[float, float, float]
    above: tuple[float, float, float]
    cd34_peak: tuple[float, float, float]
    nadir: tuple[float, float, float]
    n: int
    grade3: int
    grade4: int

    @property
    def p_grade3(self) -> float:
        return self.grade3 / self.n

    @property
    def p_grade4(self) -> float:
        return self.grade4 / self.n


def _summarise(
    arrays: CourseArrays, target: float, cycle: int, lo: float, hi: float
) -> CycleSummary:
    t = arrays.t
    inside = (t >= lo - 1e-9) & (t <= hi + 1e-9)
    ts = t[inside]
    nadir = arrays.anc[:, inside].min(axis=1)
    grade = ctcae_grade(np.clip(nadir, 0.0, None))
    above = 100.0 * time_above_rows(ts, arrays.ro[:, inside], target) / (hi - lo)
    auc = arrays.auc[:, np.flatnonzero(inside)[-1]] - arrays.auc[:, np.flatnonzero(inside)[0]]
    return CycleSummary(
        cycle=cycle,
        cmax=_q(arrays.cp[:, inside].max(axis=1)),
        auc=_q(auc),
        above=_q(above),
        cd34_peak=_q(arrays.cd34[:, inside].max(axis=1)),
        nadir=_q(nadir),
        n=int(nadir.size),
        grade3=int(np.sum(grade >= 3)),
        grade4=int(np.sum(grade >= 4)),
    )


def eribulin_day_coverage(arrays: CourseArrays, target: float) -> Array:
    """Per patient, the fraction of eribulin dosing days (24 h from each dose) throughout which
    occupancy stays >= ``target`` (on the simulation grid); NaN without eribulin."""
    if arrays.eribulin_times.size == 0:
        return np.full(arrays.ro.shape[0], np.nan)
    held = []
    for td in arrays.eribulin_times:
        window = (arrays.t >= td - 1e-9) & (arrays.t <= td + 24.0 + 1e-9)
        held.append(arrays.ro[:, window].min(axis=1) >= target)
    return np.asarray(np.mean(held, axis=0), dtype=np.float64)


@dataclass(frozen=True)
class RegimenSimulation(Serial):
    """A SIMULATED population run of a regimen: bands over time, per-cycle summaries, and one
    row per virtual patient. See the module docstring for the models and their sources."""

    kind: ClassVar[str] = "regimen_simulation"

    regimen: Regimen
    settings: SimulationSettings
    occupancy: OccupancyModel
    cd34: Cd34Link
    times_h: tuple[float, ...]
    bands: dict[str, tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]]
    cycles: tuple[CycleSummary, ...]
    overall: CycleSummary
    patients: dict[str, tuple[float, ...]]
    patient_ids: tuple[str, ...] = ()
    covariates_source: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def n_patients(self) -> int:
        return self.overall.n

    def p_grade3_ci(self, level: float = 0.95) -> tuple[float, float]:
        """Exact CI of the probability of grade >= 3 neutropenia over the whole course."""
        return proportion_ci(self.overall.grade3, self.overall.n, level)

    def p_grade4_ci(self, level: float = 0.95) -> tuple[float, float]:
        return proportion_ci(self.overall.grade4, self.overall.n, level)

    def band_frame(self, name: str) -> pd.DataFrame:
        """``time (h), day, p5, p50, p95`` of one observable (``Cp, RO, CD34, ANC``)."""
        if name not in self.bands:
            raise InputError(f"no band {quote(name)}; have {sorted(self.bands)}", field="band")
        lo, mid, hi = self.bands[name]
        t = np.asarray(self.times_h)
        return pd.DataFrame({"time (h)": t, "day": t / 24.0 + 1, "p5": lo, "p50": mid, "p95": hi})

    def summary(self) -> pd.DataFrame:
        """One row per cycle and one for the whole course, units in the column names."""
        rows = []
        for c in (*self.cycles, self.overall):
            g3 = proportion_ci(c.grade3, c.n)
            g4 = proportion_ci(c.grade4, c.n)
            rows.append(
                {
                    "cycle": str(c.cycle) if c.cycle else "all",
                    "Cmax median (µg/mL)": c.cmax[1],
                    "Cmax 5% (µg/mL)": c.cmax[0],
                    "Cmax 95% (µg/mL)": c.cmax[2],
                    "AUC median (µg·h/mL)": c.auc[1],
                    "AUC 5% (µg·h/mL)": c.auc[0],
                    "AUC 95% (µg·h/mL)": c.auc[2],
                    f"RO >= {100 * self.settings.target:g}% median (% of time)": c.above[1],
                    "CD34+ peak median (cells/µL)": c.cd34_peak[1],
                    "nadir ANC median (10^9/L)": c.nadir[1],
                    "nadir ANC 5% (10^9/L)": c.nadir[0],
                    "nadir ANC 95% (10^9/L)": c.nadir[2],
                    "P(grade>=3)": c.p_grade3,
                    "P(grade>=3) 95% CI lower": g3[0],
                    "P(grade>=3) 95% CI upper": g3[1],
                    "P(grade 4)": c.p_grade4,
                    "P(grade 4) 95% CI lower": g4[0],
                    "P(grade 4) 95% CI upper": g4[1],
                }
            )
        return pd.DataFrame(rows)

    def patient_frame(self) -> pd.DataFrame:
        """One row per virtual patient (covariates and outcomes)."""
        frame = pd.DataFrame({k: list(v) for k, v in self.patients.items()})
        if self.patient_ids:
            frame.insert(0, "ID", list(self.patient_ids))
        return frame

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies (app protocol: result kinds list the potencies they estimate)."""
        return []


def _estimated_note(settings: SimulationSettings) -> tuple[str, ...]:
    units = {"CL": "L/h", "V1": "L", "Q": "L/h", "V2": "L"}
    parts = ", ".join(
        f"{n} {v:.3g} {units[n]}"
        + (f" (CV {100 * math.sqrt(math.expm1(w)):.0f} %)" if w > 0 else "")
        + (f" x (WT/70)^{e:.3g}" if e else "")
        for n, v, w, e in settings.population_pk
    )
    return (
        f"The balixafortide PK above is REPLACED by the estimates of {settings.population_pk_source}: "
        f"{parts}; variability as estimated (Omega).",
    )


def assumption_notes(settings: SimulationSettings, link: Cd34Link | None = None) -> list[str]:
    """What the simulation assumes, in words (shown with every result)."""
    notes = [
        f"SIMULATED virtual patients (seed {settings.seed}), not observed data.",
        "Balixafortide human PK parameters are derived from physiology and the seed facts, "
        "not fitted to human concentrations (pkpd.balixafortide, docs/balixafortide_pk.md): "
        f"2-compartment, CL {_B['CL']:g} L/h (fu x GFR plus a small non-renal share), "
        f"V1 {_B['V1']:g} L (extracellular fluid), Q {_B['Q2']:g} L/h, V2 {_B['V2']:g} L: "
        f"terminal half-life {terminal_half_life(BALIXAFORTIDE_HUMAN):.1f} h within the "
        "reported 7-15 h, dose-linear, Cmax at the end of the infusion, 32 % plasma protein "
        f"binding; between-subject CV {_BALIXAFORTIDE_CV['CL']:g} % on CL and "
        f"{_BALIXAFORTIDE_CV['V1']:g} % on V1 assumed; allometry on body weight (exponents "
        "0.75 and 1).",
        *(_estimated_note(settings) if settings.population_pk else ()),
        "Eribulin PK: typical values inside the Halaven label ranges, CV 30 % on CL and V1 "
        "assumed. Friberg neutropenia model and its variability: van Hasselt et al. 2013. "
        "Balixafortide has no effect on the ANC in this model.",
        f"Receptor occupancy of plasma CXCR4 from the unbound concentration (fu "
        f"{BALIXAFORTIDE_FU:g}) with Kd "
        f"{settings.kd_molar * 1e9:.3g} nM (default: the Kb calibrated to the published in-vitro "
        "IC50 bounds); no CXCL12 competition; tissue (marrow, tumour) occupancy not modelled.",
    ]
    if link is not None:
        notes.append(
            f"CD34+: effect-compartment Emax link (keo half-life {settings.keo_half_life_h:g} h, "
            f"assumed) that reproduces the single-dose peaks of Karpova et al. 2017 for a typical "
            f"70-kg subject given a {link.infusion_h:g}-h infusion (EC50 "
            f"{link.ec50_mg_per_l:.3g} µg/mL = ED50 {link.ed50_ug_per_kg:.0f} µg/kg); no "
            "tolerance or depletion of the marrow pool with repeated doses, so sustained counts "
            "are likely overstated; healthy-volunteer data applied to patients."
        )
    return notes


def simulate_regimen(
    regimen: Regimen | None = None,
    settings: SimulationSettings | None = None,
    *,
    covariates: pd.DataFrame | None = None,
    covariates_source: str = "",
    mobilization: MobilizationResult | None = None,
    progress: Callable[[str], None] | None = None,
    chunk_map: ChunkMap | None = None,
) -> RegimenSimulation:
    """Simulate ``regimen`` (default: the trial regimen) in a virtual population; with
    ``chunk_map``, in chunks of patients run by it (:func:`chunked_course_arrays`)."""
    reg = regimen or Regimen.balixafortide_eribulin()
    st = settings or SimulationSettings()
    say = progress or (lambda _msg: None)
    _check_drugs(reg)
    check_size(reg, st, st.n_patients if covariates is None else len(covariates))
    if covariates is not None:
        regimen_events(reg, covariates, 1, row_base=2)  # missing WT / HT named first
    say("sampling the virtual population")
    pop = virtual_population(st, covariates)
    link = cd34_link(mobilization, keo_half_life_h=st.keo_half_life_h)
    occ = OccupancyModel.for_compound("balixafortide", kd_molar=st.kd_molar)
    say("simulating PK, occupancy, CD34+ and ANC")
    if chunk_map is None:
        arr = course_arrays(reg, pop, st, link=link, occupancy=occ)
    else:
        arr = chunked_course_arrays(reg, pop, st, link=link, occupancy=occ, chunk_map=chunk_map)
    say("summarising")
    cycle_h = arr.cycle_h
    cycles = tuple(
        _summarise(arr, st.target, c + 1, c * cycle_h, (c + 1) * cycle_h) for c in range(st.cycles)
    )
    overall = _summarise(arr, st.target, 0, 0.0, st.cycles * cycle_h)
    phase = np.mod(arr.t, st.band_step_h)
    keep = np.isclose(phase, 0.0, atol=1e-6) | np.isclose(phase, st.band_step_h, atol=1e-6)
    keep |= np.isin(arr.t, arr.changes)
    bands: dict[str, tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]] = {}
    for name, values in (
        ("Cp", arr.cp),
        ("RO", 100.0 * arr.ro),
        ("CD34", arr.cd34),
        ("ANC", arr.anc),
    ):
        lo, mid, hi = np.percentile(values[:, keep], [5.0, 50.0, 95.0], axis=0)
        bands[name] = (tuple(lo.tolist()), tuple(mid.tolist()), tuple(hi.tolist()))
    nadir = arr.anc.min(axis=1)
    patients = {
        "WT (kg)": tuple(pop["WT"].astype(float)),
        "HT (cm)": tuple(pop["HT"].astype(float)) if "HT" in pop else (),
        "BSA (m^2)": tuple(pop["BSA"].astype(float)) if "BSA" in pop else (),
        "Cmax cycle 1 (µg/mL)": tuple(
            arr.cp[:, arr.t <= cycle_h].max(axis=1).astype(float).tolist()
        ),
        "RO >= target (% of time)": tuple(
            (100.0 * time_above_rows(arr.t, arr.ro, st.target) / arr.t[-1]).tolist()
        ),
        "eribulin days covered (%)": tuple(
            (100.0 * eribulin_day_coverage(arr, st.target)).tolist()
        ),
        "nadir ANC (10^9/L)": tuple(nadir.tolist()),
        "worst grade": tuple(float(g) for g in ctcae_grade(np.clip(nadir, 0.0, None))),
    }
    patients = {k: v for k, v in patients.items() if v}
    return RegimenSimulation(
        regimen=reg,
        settings=st,
        occupancy=occ,
        cd34=link,
        times_h=tuple(arr.t[keep].tolist()),
        bands=bands,
        cycles=cycles,
        overall=overall,
        patients=patients,
        patient_ids=tuple(str(x) for x in pop["ID"]),
        covariates_source=covariates_source or "sampled: MBC_WOMEN (cxcr4lab.pkpd.population)",
        notes=tuple(assumption_notes(st, link)),
    )
