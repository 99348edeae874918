"""Animal PK of balixafortide (mouse, rat) and docetaxel (mouse) for the in-vivo study, simulated
through the project's ODE engine (:mod:`cxcr4lab.sim`).

A :class:`SpeciesPk` is a 1- or 2-compartment model per kg of body weight (doses in mg/kg,
volumes in L/kg, clearances in L/h/kg, so concentrations are in mg/L whatever the animal weighs)
with first-order absorption from a depot for an extravascular (s.c., i.p.) dose, of which the
fraction ``bioavailability`` reaches the depot. :class:`Dosing` is a schedule in study days
(``BID``: 08:00 and 20:00; ``TID``: 06:00, 14:00 and 22:00; the others, once on each
dosing day: 08:00). :func:`simulate_exposure`
runs both through :func:`cxcr4lab.sim.simulate` (LSODA, rtol 1e-10) and returns an
:class:`ExposureCourse`: total and unbound concentrations and the exact cumulative unbound AUC
(an AUC state integrated with the ODEs).

**Balixafortide, mouse** (:data:`BALIXAFORTIDE_MOUSE`). Seed facts ([pharmacokinetics] in
seed_facts.toml; seed 001, "Pharmacokinetics and Safety"): terminal half-life 0.3-1.7 h in
mouse, rat, monkey and dog (one combined range), plasma protein binding 35 % in mouse (fu 0.65),
minimal metabolism, dose-linear. No animal concentration-time data are available to us, so:

- *Disposition*: the project's one human parameter set
  (:data:`cxcr4lab.pkpd.pk.BALIXAFORTIDE_HUMAN`, derived in :mod:`cxcr4lab.pkpd.balixafortide`:
  CL 5.44 L/h, Vss 59.8 L at 70 kg) scaled by allometry to a 25 g mouse with the exponents the
  project uses (0.75 for clearances, 1 for volumes; :mod:`cxcr4lab.pkpd.population`):
  CL = 5.44 (0.025/70)^0.75 / 0.025 = 0.565 L/h/kg and V = 59.8/70 = 0.854 L/kg. (The human
  set's reasoning applied to the mouse gives a similar clearance: fu 0.65 times a mouse GFR of
  about 10-14 mL/min/kg, 0.6-0.84 L/h/kg, is 0.4-0.55 L/h/kg.) One compartment: the human
  distribution half-life (0.55 h) scales to 0.08 h in a mouse, well inside the absorption
  phase. Terminal half-life **1.05 h**, inside the seed's 0.3-1.7 h (the tests check the
  scaling against ``pkpd.pk``). :meth:`SpeciesPk.with_half_life` gives the ends of the range
  (CL changed, V kept) for sensitivity.
- *Subcutaneous absorption*: **ka = 5 /h** (absorption half-life 8 min; Tmax 0.47 h) and
  **F = 0.9**, both assumed. Why: a 1.9 kDa hydrophilic peptide is absorbed from the s.c. space
  into blood capillaries rather than lymph (molecules below ~16 kDa; Richter, Bhansali & Morris,
  AAPS J 2012;14:559-570; Supersaxo et al., Pharm Res 1990;7:167-169), which gives Tmax of about
  0.25-1 h and near-complete bioavailability for small peptides in rodents; balixafortide is
  minimally metabolised (seed), so little is lost at the injection site. F enters exposure
  linearly and the time above an occupancy threshold only through ln F / k (F 0.7 instead of
  0.9 shortens it by 0.4 h per dose at t1/2 1.05 h).

**Balixafortide, rat** (:data:`BALIXAFORTIDE_RAT`, 250 g): the same allometry gives 1.86 h,
above the seed's range, so the half-life is set to the range's upper end, **1.7 h** (V 0.854 L/kg,
CL 0.349 L/h/kg); fu 0.68 (32 % bound, seed); ka 3 /h and F 0.9 assumed as for the mouse.

**Docetaxel, mouse** (:data:`DOCETAXEL_MOUSE`). A published mouse compartment table could not be
retrieved for this workbench, so the 2-compartment parameters are *assumed* and chosen to agree
with what the mouse literature reports: linear PK between 2.5 and 10 mg/kg i.v. in FVB mice with
plasma exposure at 10 mg/kg comparable to patients at the MTD (van Tellingen et al., Clin Cancer
Res 1999;5:2918-2924; the Taxotere label gives AUC 4.6 ug.h/mL after 100 mg/m^2 over 1 h), a
multiphasic profile with rapid tissue uptake and a large volume of distribution (Bruno &
Sanderink, Cancer Surv 1993;17:305-313), and a plasma AUC after i.p. injection similar to that
after i.v. injection (8 mg/kg in nude mice; Shimada et al., J Pharm Pharmacol 2005;57:177-181).
CL 2.2 L/h/kg (AUC 4.5 ug.h/mL at 10 mg/kg), V1 1.0 L/kg, Q 3.0 L/h/kg, V2 10 L/kg (Vss 11 L/kg;
half-lives 0.13 h and 5.6 h), i.p. ka 2 /h, F 1. fu 0.07 is the human value (Loos et al., Clin
Pharmacol Ther 2003;74:364-371); the TGI model uses total plasma concentrations.

>>> round(BALIXAFORTIDE_MOUSE.terminal_half_life_h, 2)
1.05
>>> STUDY_BALIXAFORTIDE.times_h()[:3]
(32.0, 44.0, 56.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.sim import Model, Output, Parameter, State, bolus, combine, simulate, system_matrix

__all__ = [
    "BALIXAFORTIDE_MOUSE",
    "BALIXAFORTIDE_RAT",
    "DOCETAXEL_MOUSE",
    "DOSE_HOURS",
    "MOUSE_PK",
    "ROUTES",
    "SCHEDULES",
    "STUDY_BALIXAFORTIDE",
    "STUDY_DOCETAXEL",
    "Dosing",
    "ExposureCourse",
    "SpeciesPk",
    "dose_events",
    "simulate_exposure",
]

Array = NDArray[np.float64]
Route = Literal["iv", "sc", "ip"]
Schedule = Literal["once", "QD", "BID", "TID", "Q2D", "Q3D", "Q4D", "weekly", "Q2W"]

ROUTES: tuple[str, ...] = ("iv", "sc", "ip")
"""Routes: ``iv`` bolus into the central compartment; ``sc`` and ``ip`` into a depot."""
SCHEDULES: tuple[str, ...] = ("once", "QD", "BID", "TID", "Q2D", "Q3D", "Q4D", "weekly", "Q2W")
DOSE_HOURS: dict[str, tuple[float, ...]] = {
    "once": (8.0,),
    "QD": (8.0,),
    "BID": (8.0, 20.0),
    "TID": (6.0, 14.0, 22.0),
    "Q2D": (8.0,),
    "Q3D": (8.0,),
    "Q4D": (8.0,),
    "weekly": (8.0,),
    "Q2W": (8.0,),
}
"""Clock hours of the doses on a dosing day (a study day runs from 0 h to 24 h)."""


def _positive(value: float, field: str, *, zero_ok: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not zero_ok):
        raise InputError(
            f"must be a number {'>=' if zero_ok else '>'} 0, got {quote(value)}", field=field
        )


@dataclass(frozen=True)
class SpeciesPk(Serial):
    """PK of ``compound`` in ``species`` per kg: clearance ``cl_l_per_h_kg`` (L/h/kg), central
    volume ``v1_l_per_kg`` (L/kg), optional peripheral ``q_l_per_h_kg``/``v2_l_per_kg`` (0 for
    one compartment), first-order absorption ``ka_per_h`` (1/h) of the fraction
    ``bioavailability`` of an extravascular dose, unbound fraction ``fu``; ``route`` is the
    route of the study dose. ``source`` says where the numbers come from."""

    compound: str
    species: str
    body_weight_kg: float
    cl_l_per_h_kg: float
    v1_l_per_kg: float
    ka_per_h: float
    bioavailability: float
    fu: float
    route: Route = "sc"
    q_l_per_h_kg: float = 0.0
    v2_l_per_kg: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        where = f"{self.compound} {self.species}"
        for name in ("body_weight_kg", "cl_l_per_h_kg", "v1_l_per_kg", "ka_per_h"):
            _positive(getattr(self, name), f"{where}: {name}")
        for name in ("q_l_per_h_kg", "v2_l_per_kg"):
            _positive(getattr(self, name), f"{where}: {name}", zero_ok=True)
        if (self.q_l_per_h_kg > 0) != (self.v2_l_per_kg > 0):
            raise InputError(
                "a peripheral compartment needs both q_l_per_h_kg and v2_l_per_kg > 0 "
                f"(got {self.q_l_per_h_kg!r} and {self.v2_l_per_kg!r})",
                field=f"{where}: v2_l_per_kg",
            )
        for name in ("bioavailability", "fu"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and 0 < v <= 1):
                raise InputError(f"must be in (0, 1], got {quote(v)}", field=f"{where}: {name}")
        if self.route not in ROUTES:
            raise InputError(
                f"must be one of {', '.join(ROUTES)}, got {quote(self.route)}",
                field=f"{where}: route",
            )

    @property
    def n_cmt(self) -> int:
        """Disposition compartments (1 or 2)."""
        return 2 if self.v2_l_per_kg > 0 else 1

    @property
    def state_names(self) -> tuple[str, ...]:
        """States of :meth:`model`: depot ``A0`` (mg/kg), central ``A1``, peripheral ``A2``."""
        return ("A0", "A1", "A2")[: 2 + (self.n_cmt == 2)]

    def parameters(self, suffix: str = "") -> tuple[Parameter, ...]:
        """The PK parameters of the ODE model (names ending in ``suffix``)."""
        s = suffix
        out = [
            Parameter(f"CL{s}", self.cl_l_per_h_kg, "L/h/kg", "clearance"),
            Parameter(f"V1{s}", self.v1_l_per_kg, "L/kg", "central volume"),
            Parameter(f"KA{s}", self.ka_per_h, "1/h", "absorption rate constant"),
            Parameter(f"FU{s}", self.fu, "dimensionless", "unbound fraction in plasma"),
        ]
        if self.n_cmt == 2:
            out += [
                Parameter(f"Q{s}", self.q_l_per_h_kg, "L/h/kg", "inter-compartmental clearance"),
                Parameter(f"V2{s}", self.v2_l_per_kg, "L/kg", "peripheral volume"),
            ]
        return tuple(out)

    def equations(self, suffix: str = "", *, absorption: bool = True) -> dict[str, str]:
        """Right-hand sides of the depot (with ``absorption``) and disposition states (amounts
        per kg)."""
        s = suffix
        central = f"-(CL{s}/V1{s})*A1{s}"
        eqs: dict[str, str] = {}
        if absorption:
            eqs[f"A0{s}"] = f"-KA{s}*A0{s}"
            central = f"KA{s}*A0{s} " + central
        if self.n_cmt == 2:
            central += f" - (Q{s}/V1{s})*A1{s} + (Q{s}/V2{s})*A2{s}"
        eqs[f"A1{s}"] = central
        if self.n_cmt == 2:
            eqs[f"A2{s}"] = f"(Q{s}/V1{s})*A1{s} - (Q{s}/V2{s})*A2{s}"
        return eqs

    def model(self, *, with_auc: bool = False) -> Model:
        """The ODE model: states ``A0, A1[, A2]`` (mg/kg) and, with ``with_auc``, ``AUCU``
        (cumulative unbound AUC, mg.h/L); outputs ``Cp`` and ``Cu`` (mg/L)."""
        eqs = self.equations()
        states = [State(n, "mg/kg") for n in self.state_names]
        if with_auc:
            eqs["AUCU"] = "FU*A1/V1"
            states.append(State("AUCU", "mg*h/L"))
        return Model(
            f"{self.compound}_{self.species}_{self.n_cmt}cmt",
            states=tuple(states),
            parameters=self.parameters(),
            equations=eqs,
            outputs=(Output("Cp", "A1/V1", "mg/L"), Output("Cu", "FU*A1/V1", "mg/L")),
            description=f"{self.compound} in the {self.species}, per kg ({self.source})",
        )

    def half_lives_h(self) -> tuple[float, ...]:
        """Disposition half-lives (h), terminal first (eigenvalues of the IV model)."""
        disposition = Model(
            "disposition",
            states=tuple(State(n, "mg/kg") for n in self.state_names[1:]),
            parameters=self.parameters(),
            equations=self.equations(absorption=False),
        )
        K = system_matrix(disposition, disposition.parameter_vector())
        rates = np.sort(-np.linalg.eigvals(K).real)
        return tuple(float(math.log(2.0) / r) for r in rates)

    @property
    def terminal_half_life_h(self) -> float:
        return self.half_lives_h()[0]

    def with_half_life(self, half_life_h: float) -> SpeciesPk:
        """A one-compartment copy with terminal half-life ``half_life_h`` (CL = ln 2 V / t1/2;
        V and absorption unchanged)."""
        _positive(half_life_h, "half_life_h")
        if self.n_cmt != 1:
            raise InputError("only a one-compartment model can be given a half-life", field="pk")
        cl = math.log(2.0) * self.v1_l_per_kg / half_life_h
        return replace(self, cl_l_per_h_kg=cl, source=f"{self.source}; t1/2 set to {half_life_h} h")


BALIXAFORTIDE_MOUSE = SpeciesPk(
    compound="balixafortide",
    species="mouse",
    body_weight_kg=0.025,
    cl_l_per_h_kg=0.565,
    v1_l_per_kg=0.854,
    ka_per_h=5.0,
    bioavailability=0.9,
    fu=0.65,
    route="sc",
    source=(
        "CL, V: pkpd.pk.BALIXAFORTIDE_HUMAN scaled to 25 g (CL^0.75, V^1); fu: 35 % bound in "
        "mouse (seed_facts [pharmacokinetics]); ka, F: assumed (s.c. peptide < 16 kDa)"
    ),
)
"""Balixafortide in a 25 g mouse after s.c. injection (see the module docstring)."""

BALIXAFORTIDE_RAT = SpeciesPk(
    compound="balixafortide",
    species="rat",
    body_weight_kg=0.25,
    cl_l_per_h_kg=0.349,
    v1_l_per_kg=0.854,
    ka_per_h=3.0,
    bioavailability=0.9,
    fu=0.68,
    route="sc",
    source=(
        "V: human Vss per kg; CL: t1/2 1.7 h (upper end of the seed's 0.3-1.7 h; allometry "
        "gives 1.86 h); fu: 32 % bound in rat (seed_facts); ka, F: assumed"
    ),
)
"""Balixafortide in a 250 g rat after s.c. injection (see the module docstring)."""

DOCETAXEL_MOUSE = SpeciesPk(
    compound="docetaxel",
    species="mouse",
    body_weight_kg=0.025,
    cl_l_per_h_kg=2.2,
    v1_l_per_kg=1.0,
    q_l_per_h_kg=3.0,
    v2_l_per_kg=10.0,
    ka_per_h=2.0,
    bioavailability=1.0,
    fu=0.07,
    route="ip",
    source=(
        "assumed 2-compartment model consistent with van Tellingen 1999 (linear 2.5-10 mg/kg, "
        "exposure at 10 mg/kg like patients at MTD), Bruno & Sanderink 1993 (large Vd), "
        "Shimada 2005 (i.p. AUC ~ i.v. AUC); fu: human value (Loos 2003)"
    ),
)
"""Docetaxel in a 25 g mouse after i.p. injection (see the module docstring)."""

MOUSE_PK: dict[str, SpeciesPk] = {
    "balixafortide": BALIXAFORTIDE_MOUSE,
    "docetaxel": DOCETAXEL_MOUSE,
}
"""The mouse PK models by compound (lower-case name): what a study's TGI model can be driven by."""


@dataclass(frozen=True)
class Dosing(Serial):
    """``dose_mg_per_kg`` of ``drug`` by ``route`` on study ``days`` (0 = randomisation), at the
    clock hours of :data:`DOSE_HOURS` for the ``schedule``."""

    drug: str
    dose_mg_per_kg: float
    route: Route
    schedule: Schedule
    days: tuple[int, ...]

    def __post_init__(self) -> None:
        where = f"dosing of {self.drug}"
        _positive(self.dose_mg_per_kg, f"{where}: dose")
        if self.route not in ROUTES:
            raise InputError(
                f"must be one of {', '.join(ROUTES)}, got {quote(self.route)}",
                field=f"{where}: route",
            )
        if self.schedule not in SCHEDULES:
            raise InputError(
                f"must be one of {', '.join(SCHEDULES)}, got {quote(self.schedule)}",
                field=f"{where}: schedule",
            )
        days = list(self.days)
        if not days or any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in days):
            raise InputError(
                f"days must be whole study days >= 0, got {quote(self.days)}",
                field=f"{where}: days",
            )
        if days != sorted(set(days)):
            raise InputError(
                f"days must be increasing and distinct, got {quote(self.days)}",
                field=f"{where}: days",
            )

    def times_h(self) -> tuple[float, ...]:
        """Dose times in h from the start of study day 0."""
        return tuple(24.0 * d + h for d in self.days for h in DOSE_HOURS[self.schedule])

    @property
    def label(self) -> str:
        return f"{self.drug} {self.dose_mg_per_kg:g} mg/kg {self.route} {self.schedule}"


STUDY_BALIXAFORTIDE = Dosing("balixafortide", 20.0, "sc", "BID", tuple(range(1, 29)))
"""Balixafortide 20 mg/kg s.c. twice daily, study days 1-28 (seed 001 protocol)."""
STUDY_DOCETAXEL = Dosing("docetaxel", 5.0, "ip", "weekly", (1, 8, 15, 22))
"""Docetaxel 5 mg/kg i.p. once weekly from day 1 (seed 001 protocol)."""


def dose_events(pk: SpeciesPk, dosing: Dosing, *, depot_cmt: int = 1, id: Any = 1) -> pd.DataFrame:
    """Dose records (the :mod:`cxcr4lab.sim.events` contract) of ``dosing`` for ``pk``: an
    extravascular dose puts ``bioavailability * dose`` (mg/kg) into the depot (CMT
    ``depot_cmt``), an i.v. dose the whole dose into the central compartment (``depot_cmt + 1``)."""
    if dosing.drug != pk.compound:
        raise InputError(
            f"dosing is of {dosing.drug!r} but the PK model is of {pk.compound!r}", field="drug"
        )
    iv = dosing.route == "iv"
    amount = dosing.dose_mg_per_kg * (1.0 if iv else pk.bioavailability)
    cmt = depot_cmt + 1 if iv else depot_cmt
    return combine(*(bolus(amount, time=t, cmt=cmt, id=id) for t in dosing.times_h()))


@dataclass(frozen=True)
class ExposureCourse(Serial):
    """SIMULATED concentrations of ``pk`` under ``dosing``: times (h from the start of study
    day 0), total and unbound plasma concentrations (mg/L) and the cumulative unbound AUC from
    time 0 (mg.h/L)."""

    kind: ClassVar[str] = "exposure_course"

    pk: SpeciesPk
    dosing: Dosing
    times_h: tuple[float, ...]
    total_mg_per_l: tuple[float, ...]
    unbound_mg_per_l: tuple[float, ...]
    auc_unbound: tuple[float, ...]

    def _window(self, start_h: float, end_h: float) -> NDArray[np.bool_]:
        t = np.asarray(self.times_h)
        if not (start_h < end_h and t[0] <= start_h and end_h <= t[-1] + 1e-9):
            raise InputError(
                f"window {start_h:g}-{end_h:g} h is outside the simulated {t[0]:g}-{t[-1]:g} h",
                field="window",
            )
        return np.asarray((t >= start_h - 1e-9) & (t <= end_h + 1e-9))

    def cmax_unbound(self, start_h: float, end_h: float) -> float:
        """Largest unbound concentration (mg/L) on the grid within the window."""
        return float(np.max(np.asarray(self.unbound_mg_per_l)[self._window(start_h, end_h)]))

    def auc_unbound_between(self, start_h: float, end_h: float) -> float:
        """Unbound AUC (mg.h/L) from ``start_h`` to ``end_h`` (exact at grid times)."""
        self._window(start_h, end_h)
        a = np.interp([start_h, end_h], self.times_h, self.auc_unbound)
        return float(a[1] - a[0])

    def summary(self) -> pd.DataFrame:
        """One row per time: h, total and unbound concentration (mg/L), cumulative unbound AUC."""
        return pd.DataFrame(
            {
                "time (h)": self.times_h,
                "C total (mg/L)": self.total_mg_per_l,
                "C unbound (mg/L)": self.unbound_mg_per_l,
                "AUC unbound (mg·h/L)": self.auc_unbound,
            }
        )

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies (app protocol)."""
        return []


def simulate_exposure(pk: SpeciesPk, dosing: Dosing, times_h: ArrayLike) -> ExposureCourse:
    """SIMULATED exposure of ``pk`` under ``dosing`` at ``times_h`` (h from study day 0), through
    :func:`cxcr4lab.sim.simulate` (LSODA, rtol 1e-10, atol 1e-12)."""
    model = pk.model(with_auc=True)
    t = np.asarray(times_h, dtype=float).ravel()
    result = simulate(model, dose_events(pk, dosing), t, rtol=1e-10, atol=1e-12)
    return ExposureCourse(
        pk=pk,
        dosing=dosing,
        times_h=tuple(float(x) for x in t),
        total_mg_per_l=tuple(float(x) for x in result["Cp"]),
        unbound_mg_per_l=tuple(float(x) for x in result["Cu"]),
        auc_unbound=tuple(float(x) for x in result["AUCU"]),
    )
