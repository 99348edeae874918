"""The mechanistic CXCL12/CXCR4 model: binding, G protein, Ca2+, AKT, ERK, arrestin, migration.

Concentrations in mol/L, times in s, Ca2+ in µmol/L; pathway readouts are fractions (0-1) of
the pathway's maximum. Every parameter, its unit and where its value comes from is in
:data:`PARAMETER_SOURCES` (docs/receptor.md has the table).

Receptor (Gaddum competition, with an optional simplified two-state constitutive activity):
CXCL12 (A, KD ``ka``) and balixafortide (B, ``kb``) compete for CXCR4 at equilibrium,
a = [A]/KA, b = [B]/Kb, occupancies o_A = a/(1+a+b), o_R = 1/(1+a+b), o_B = b/(1+a+b). The
receptor stimulus is s = o_A + c (o_R + (1 - iota) o_B): agonist-bound receptor is fully active,
free receptor has constitutive activity c (the active-state fraction L/(1+L) of the two-state
model) and antagonist-bound receptor keeps (1 - iota) of it: iota = 1 is a full inverse agonist,
iota = 0 a neutral antagonist. c = 0 (the default) is pure competition.

Transduction (operational-model stages, Black & Leff 1983): each stage turns its input x into
tau x / (1 + tau x). G protein: G* = stage(tau_G e, s) with e the cell line's relative CXCR4
expression. ERK: G* -> RAS -> RAF/MEK -> ERK; AKT: G* -> PI3K -> AKT; migration: G* ->
chemotaxis (PI3Kgamma/Rac polarisation lumped in one stage). Arrestin: GRK-phosphorylated, agonist-occupied receptor recruits beta-arrestin
without G-protein amplification, arr = stage(tau_arr e, o_A); at steady state the surface
fraction of CXCR4 is k_rec / (k_rec + k_int arr). Ca2+: an ODE (:func:`calcium_trace`).

>>> m = Cxcr4Model()
>>> round(m.occupancy(agonist=m.ka, antagonist=0.0), 12)
0.5
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from cxcr4lab.core.errors import InputError

__all__ = [
    "CXCL12_MW",
    "PARAMETER_SOURCES",
    "CalciumKinetics",
    "CellLine",
    "Cxcr4Model",
    "Readout",
    "cascade_tau",
    "functional_ec",
    "functional_ic50",
    "stage",
]

CXCL12_MW = 7963.5
"""CXCL12 (SDF-1alpha, 68 residues) molecular weight, g/mol: 100 ng/mL = 12.56 nM."""

Readout = Literal["binding", "g_protein", "arrestin", "calcium", "perk", "pakt", "chemotaxis"]

PARAMETER_SOURCES: dict[str, tuple[str, str]] = {
    "ka": ("mol/L", "CXCL12 KD at CXCR4; assumed 3 nM, within the low-nM range in the literature"),
    "kb": ("mol/L", "balixafortide Kb; calibrated (one value for every assay, this module)"),
    "constitutive": ("1", "constitutive activity c of free CXCR4; 0 unless studied (assumption)"),
    "inverse_efficacy": ("1", "fraction of c removed by bound antagonist (seeds: inverse agonism)"),
    "tau_g": ("1", "G protein transducer ratio at expression 1; assumed (calibration)"),
    "tau_ras": ("1", "RAS stage gain; assumed (calibration, MAPK amplification)"),
    "tau_mek": ("1", "RAF/MEK stage gain; assumed (calibration)"),
    "tau_erk": ("1", "ERK stage gain; assumed (calibration)"),
    "tau_pi3k": ("1", "PI3K stage gain; assumed (calibration)"),
    "tau_akt": ("1", "AKT stage gain; assumed (calibration)"),
    "tau_migration": ("1", "G protein -> migration stage gain; assumed (calibration)"),
    "tau_arrestin": ("1", "beta-arrestin transducer ratio; low (stoichiometric, no amplification)"),
    "k_int_over_k_rec": ("1", "internalisation / recycling rate ratio; assumed 3"),
}


def stage(tau: float, x: float) -> float:
    """One operational (hyperbolic) transduction stage: tau x / (1 + tau x)."""
    return tau * x / (1.0 + tau * x)


def cascade_tau(gains: tuple[float, ...]) -> float:
    """Effective transducer ratio of hyperbolic stages in series (input = occupancy).

    After stage k the output is M_k tau_k o / (1 + tau_k o) (o the input occupancy); a further
    stage of gain g gives tau_(k+1) = tau_k (1 + g M_k) and M_(k+1) = g M_k / (1 + g M_k), with
    tau_1 = g_1 and M_1 = 1.

    >>> cascade_tau((4.0,))
    4.0
    >>> cascade_tau((1.0, 1.0))  # o/(1+o) then x/(1+x) = o/(1+2o)
    2.0
    """
    if not gains or any(not (math.isfinite(g) and g > 0) for g in gains):
        raise InputError(f"stage gains must be positive, got {gains!r}", field="gains")
    tau = gains[0]
    top = 1.0
    for g in gains[1:]:
        tau *= 1.0 + g * top
        top = g * top / (1.0 + g * top)
    return tau


@dataclass(frozen=True)
class CellLine:
    """A cell line: relative CXCR4 expression (1 = reference) and per-pathway stage gains."""

    name: str
    expression: float = 1.0
    tau_ras: float = 3.0
    tau_mek: float = 3.0
    tau_erk: float = 3.0
    tau_pi3k: float = 3.0
    tau_akt: float = 3.0
    tau_migration: float = 1.0

    def __post_init__(self) -> None:
        for name in ("expression", "tau_ras", "tau_mek", "tau_erk", "tau_pi3k", "tau_akt"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"must be positive, got {v!r}", field=name)
        if not (math.isfinite(self.tau_migration) and self.tau_migration > 0):
            raise InputError(f"must be positive, got {self.tau_migration!r}", field="tau_migration")


@dataclass(frozen=True)
class CalciumKinetics:
    """PLC/IP3/Ca2+ transient (µmol/L, s). IP3 made by active G protein and degraded; IP3
    receptors open (Hill 2 in IP3) and inactivate slowly with Ca2+ (De Young-Keizer style, much
    reduced); SERCA/PMCA pump back to rest; GRK desensitises agonist-occupied receptor.
    Fluo-4 KD 0.345 µmol/L (Invitrogen), F = Fmin + (Fmax - Fmin) Ca / (Ca + KD)."""

    v_plc: float = 1.0  # µM/s IP3 production at full G* activation
    k_ip3: float = 0.5  # 1/s IP3 degradation
    k_ip3r: float = 1.0  # µM IP3 half-activation of the IP3 receptor
    v_release: float = 0.6  # µM/s store release at open channels
    k_pump: float = 0.5  # 1/s Ca2+ clearance
    ca_rest: float = 0.1  # µM
    k_inact: float = 0.3  # µM Ca2+ for channel inactivation
    tau_inact: float = 3.0  # s
    k_des: float = 0.05  # 1/s GRK desensitisation of agonist-occupied receptor
    k_res: float = 0.005  # 1/s resensitisation
    fluo4_kd: float = 0.345  # µM
    fmax_over_fmin: float = 14.0  # Fluo-4 dynamic range (Fmax/Fmin ~ 14, the dye's spec sheet)


@dataclass(frozen=True)
class Cxcr4Model:
    """CXCL12/CXCR4 signalling model. See the module docstring; units in PARAMETER_SOURCES."""

    ka: float = 3e-9
    kb: float = 0.15e-9
    constitutive: float = 0.0
    inverse_efficacy: float = 1.0
    tau_g: float = 4.0
    tau_arrestin: float = 2.0
    k_int_over_k_rec: float = 3.0
    calcium: CalciumKinetics = field(default_factory=CalciumKinetics)

    def __post_init__(self) -> None:
        for name in ("ka", "kb", "tau_g", "tau_arrestin", "k_int_over_k_rec"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InputError(f"must be positive, got {v!r}", field=name)
        if not (0.0 <= self.constitutive < 1.0):
            raise InputError(f"must be in [0, 1), got {self.constitutive!r}", field="constitutive")
        if not (0.0 <= self.inverse_efficacy <= 1.0):
            raise InputError(
                f"must be in [0, 1], got {self.inverse_efficacy!r}", field="inverse_efficacy"
            )

    def with_kb(self, kb: float) -> Cxcr4Model:
        return replace(self, kb=kb)

    # --- receptor ---------------------------------------------------------------------------

    def _ab(self, agonist: float, antagonist: float) -> tuple[float, float]:
        for name, v in (("agonist", agonist), ("antagonist", antagonist)):
            if not (math.isfinite(v) and v >= 0):
                raise InputError(f"must be a concentration >= 0 mol/L, got {v!r}", field=name)
        return agonist / self.ka, antagonist / self.kb

    def occupancy(self, *, agonist: float, antagonist: float) -> float:
        """Fraction of CXCR4 bound by CXCL12."""
        a, b = self._ab(agonist, antagonist)
        return a / (1.0 + a + b)

    def stimulus(self, *, agonist: float, antagonist: float) -> float:
        """Receptor stimulus s = o_A + c (o_R + (1 - iota) o_B) (fraction of full activation)."""
        a, b = self._ab(agonist, antagonist)
        d = 1.0 + a + b
        c = self.constitutive
        return a / d + c * (1.0 + (1.0 - self.inverse_efficacy) * b) / d

    def bound_radioligand(self, *, ligand: float, antagonist: float) -> float:
        """Fraction of CXCR4 bound by a labelled CXCL12 tracer at ``ligand`` (no unlabelled A)."""
        return self.occupancy(agonist=ligand, antagonist=antagonist)

    # --- transduction ------------------------------------------------------------------------

    def gains(self, readout: Readout, cell: CellLine) -> tuple[float, ...]:
        """Stage gains from the receptor stimulus to ``readout`` in ``cell``."""
        g = self.tau_g * cell.expression
        chains: dict[str, tuple[float, ...]] = {
            "g_protein": (g,),
            "perk": (g, cell.tau_ras, cell.tau_mek, cell.tau_erk),
            "pakt": (g, cell.tau_pi3k, cell.tau_akt),
            "chemotaxis": (g, cell.tau_migration),
            "arrestin": (self.tau_arrestin * cell.expression,),
        }
        if readout not in chains:
            raise InputError(f"no stage chain for readout {readout!r}", field="readout")
        return chains[readout]

    def response(
        self, readout: Readout, *, agonist: float, antagonist: float, cell: CellLine
    ) -> float:
        """Steady-state readout (fraction of the pathway maximum); ``calcium``: peak dF/F0."""
        if readout == "binding":
            return self.occupancy(agonist=agonist, antagonist=antagonist)
        if readout == "calcium":
            return self.calcium_peak(agonist=agonist, antagonist=antagonist, cell=cell)
        x = (
            self.occupancy(agonist=agonist, antagonist=antagonist)
            if readout == "arrestin"
            else self.stimulus(agonist=agonist, antagonist=antagonist)
        )
        for tau in self.gains(readout, cell):
            x = stage(tau, x)
        return x

    def surface_fraction(self, *, agonist: float, antagonist: float, cell: CellLine) -> float:
        """Steady-state fraction of CXCR4 at the cell surface (arrestin-driven internalisation)."""
        arr = self.response("arrestin", agonist=agonist, antagonist=antagonist, cell=cell)
        return 1.0 / (1.0 + self.k_int_over_k_rec * arr)

    # --- calcium -----------------------------------------------------------------------------

    def calcium_trace(
        self,
        *,
        agonist: float,
        antagonist: float,
        cell: CellLine,
        times_s: NDArray[np.float64],
        rtol: float = 1e-7,
        atol: float = 1e-10,
    ) -> NDArray[np.float64]:
        """Cytosolic Ca2+ (µmol/L) at ``times_s`` after CXCL12 is added at t = 0 to cells
        equilibrated with the antagonist (binding assumed instantaneous: no hemi-equilibrium);
        ``rtol``/``atol`` (µmol/L) are LSODA's tolerances (tighter for cross-checks)."""
        k = self.calcium
        o_a = self.occupancy(agonist=agonist, antagonist=antagonist)
        s = self.stimulus(agonist=agonist, antagonist=antagonist)
        s_basal = self.stimulus(agonist=0.0, antagonist=antagonist)
        tau_g = self.tau_g * cell.expression

        def g_star(x: float) -> float:
            return stage(tau_g, x)

        ip3_rest = k.v_plc * g_star(s_basal) / k.k_ip3

        def rhs(_t: float, y: NDArray[np.float64]) -> list[float]:
            ip3, ca, h, des = y
            act = s - des * o_a  # desensitised agonist-bound receptor no longer signals
            d_ip3 = k.v_plc * g_star(act) - k.k_ip3 * ip3
            open_ = ip3**2 / (ip3**2 + k.k_ip3r**2) * h
            d_ca = k.v_release * open_ - k.k_pump * (ca - k.ca_rest)
            d_h = (k.k_inact / (k.k_inact + ca) - h) / k.tau_inact
            d_des = k.k_des * o_a * (1.0 - des) - k.k_res * des
            return [d_ip3, d_ca, d_h, d_des]

        # resting state (antagonist and constitutive activity present, no agonist) by relaxation
        ca0 = k.ca_rest + k.v_release * ip3_rest**2 / (ip3_rest**2 + k.k_ip3r**2) / k.k_pump
        y0 = [ip3_rest, ca0, k.k_inact / (k.k_inact + ca0), 0.0]
        rest = solve_ivp(
            lambda _t, y: _rest_rhs(y, k, g_star(s_basal)),
            (0.0, 600.0),
            y0,
            method="LSODA",
            rtol=min(1e-8, rtol),
            atol=min(1e-10, atol),
        )
        start = rest.y[:, -1]
        start[3] = 0.0
        sol = solve_ivp(
            rhs,
            (0.0, float(times_s[-1])),
            start,
            t_eval=times_s,
            method="LSODA",
            rtol=rtol,
            atol=atol,
            max_step=1.0,
        )
        return np.asarray(sol.y[1], dtype=float)

    def fluo4(self, ca: NDArray[np.float64]) -> NDArray[np.float64]:
        """Fluo-4 fluorescence relative to Fmin (dimensionless) for Ca2+ in µmol/L."""
        k = self.calcium
        return np.asarray(1.0 + (k.fmax_over_fmin - 1.0) * ca / (ca + k.fluo4_kd), dtype=float)

    def calcium_peak(
        self,
        *,
        agonist: float,
        antagonist: float,
        cell: CellLine,
        rtol: float = 1e-7,
        atol: float = 1e-10,
    ) -> float:
        """Peak Fluo-4 dF/F0 in the 120 s after CXCL12 (the FLIPR readout; 0.5 s grid)."""
        t = np.linspace(0.0, 120.0, 241)
        ca = self.calcium_trace(
            agonist=agonist, antagonist=antagonist, cell=cell, times_s=t, rtol=rtol, atol=atol
        )
        f = self.fluo4(ca)
        return float(f.max() / f[0] - 1.0)


def _rest_rhs(y: NDArray[np.float64], k: CalciumKinetics, g_basal: float) -> list[float]:
    ip3, ca, h, _ = y
    open_ = ip3**2 / (ip3**2 + k.k_ip3r**2) * h
    return [
        k.v_plc * g_basal - k.k_ip3 * ip3,
        k.v_release * open_ - k.k_pump * (ca - k.ca_rest),
        (k.k_inact / (k.k_inact + ca) - h) / k.tau_inact,
        0.0,
    ]


def functional_ec(fraction: float, response: Callable[[float], float], *, top: float) -> float:
    """Agonist concentration (mol/L) giving ``fraction`` of ``response``'s value at ``top``
    (above its value at 0), by root search in log concentration (1e-15 to ``top``)."""
    if not 0.0 < fraction < 1.0:
        raise InputError(f"must be between 0 and 1, got {fraction!r}", field="fraction")
    low, high = response(0.0), response(top)
    target = low + fraction * (high - low)
    return float(10.0 ** brentq(lambda x: response(10.0**x) - target, -15.0, math.log10(top)))


def functional_ic50(response: Callable[[float], float]) -> float:
    """Antagonist concentration (mol/L) halving a stimulated ``response(antagonist)`` between its
    value without antagonist and its basal value ``response(inf)`` (taken at 1 mol/L)."""
    full, floor = response(0.0), response(1.0)
    target = 0.5 * (full + floor)
    return float(10.0 ** brentq(lambda x: response(10.0**x) - target, -16.0, 0.0, xtol=1e-12))
