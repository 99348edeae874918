"""Plasma concentration -> unbound concentration -> CXCR4 receptor occupancy over time.

``Cu = fu * C`` (balixafortide: 32 % bound in human plasma, so fu = 0.68; seed_facts.toml
[pharmacokinetics]). Mass concentrations become molar through the compound registry's molecular
weight (balixafortide 1864.1 g/mol). Occupancy at equilibrium, with optional Hill coefficient
``n`` and competition by the endogenous agonist CXCL12 at concentration ``L`` (affinity ``KL``)::

    RO = Cu^n / (Cu^n + (Kd * (1 + L / KL))^n)

All concentrations inside are mol/L; times are h.

>>> m = OccupancyModel(kd_molar=1e-9, fu=0.5)
>>> float(m.occupancy(2e-9))           # Cu = 1 nM = Kd
0.5
>>> time_above([0, 1, 2], [0.0, 1.0, 0.0], 0.5)   # crossings at 0.5 h and 1.5 h
1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from cxcr4lab.compounds.registry import load_registry
from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.units import molar_factor

__all__ = [
    "BALIXAFORTIDE_FU",
    "OccupancyCourse",
    "OccupancyModel",
    "occupancy_course",
    "time_above",
    "time_above_rows",
]

Array = NDArray[np.float64]

BALIXAFORTIDE_FU = 0.68
"""Unbound fraction of balixafortide in human plasma (32 % protein bound; seed_facts.toml)."""


def _as_array(values: ArrayLike, name: str) -> Array:
    a = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(a)):
        i = int(np.argmax(~np.isfinite(a)))
        raise InputError(f"value #{i + 1} is {a.ravel()[i]} (must be finite)", field=name)
    if np.any(a < 0):
        i = int(np.argmax(a < 0))
        raise InputError(f"value #{i + 1} is negative ({a.ravel()[i]:g})", field=name)
    return a


@dataclass(frozen=True)
class OccupancyModel(Serial):
    """Equilibrium occupancy by the unbound drug: ``kd_molar`` (mol/L), unbound fraction ``fu``,
    Hill coefficient ``hill``, endogenous ligand ``ligand_molar`` with affinity ``kl_molar``
    (mol/L; ``ligand_molar = 0`` means no competition)."""

    kd_molar: float
    fu: float = BALIXAFORTIDE_FU
    hill: float = 1.0
    ligand_molar: float = 0.0
    kl_molar: float | None = None
    mw_g_per_mol: float | None = None
    compound: str = ""

    def __post_init__(self) -> None:
        checks = (
            ("kd_molar", math.isfinite(self.kd_molar) and self.kd_molar > 0),
            ("fu", math.isfinite(self.fu) and 0 < self.fu <= 1),
            ("hill", math.isfinite(self.hill) and self.hill > 0),
            ("ligand_molar", math.isfinite(self.ligand_molar) and self.ligand_molar >= 0),
        )
        for name, ok in checks:
            if not ok:
                raise InputError(f"out of range: {getattr(self, name)!r}", field=name)
        if self.ligand_molar > 0 and not (
            self.kl_molar is not None and math.isfinite(self.kl_molar) and self.kl_molar > 0
        ):
            raise InputError(
                "competition with an endogenous ligand needs its affinity kl_molar > 0",
                field="kl_molar",
            )
        if self.mw_g_per_mol is not None and not self.mw_g_per_mol > 0:
            raise InputError(f"must be > 0, got {self.mw_g_per_mol!r}", field="mw_g_per_mol")

    @classmethod
    def for_compound(cls, name: str, *, kd_molar: float, **kwargs: Any) -> OccupancyModel:
        """A model whose molecular weight comes from the compound registry (``fu`` defaults to
        0.68 for balixafortide; other compounds must give it)."""
        compound = load_registry().get(name)
        if "fu" not in kwargs and compound.name != "balixafortide":
            raise InputError(f"give the unbound fraction fu of {compound.name}", field="fu")
        return cls(
            kd_molar=kd_molar,
            mw_g_per_mol=compound.molecular_weight_g_per_mol,
            compound=compound.name,
            **kwargs,
        )

    @property
    def apparent_kd(self) -> float:
        """Kd * (1 + L / KL), mol/L: the Kd shifted by competing CXCL12."""
        if self.ligand_molar == 0 or self.kl_molar is None:
            return self.kd_molar
        return self.kd_molar * (1.0 + self.ligand_molar / self.kl_molar)

    def to_molar(self, conc: ArrayLike, unit: str) -> Array:
        """Total concentrations in ``unit`` (``"ng/mL"``, ``"nM"``, ...) as mol/L."""
        c = _as_array(conc, "concentration")
        factor = molar_factor(
            unit, place=Place(field="concentration unit"), mw_g_per_mol=self.mw_g_per_mol
        )
        return np.asarray(c * factor, dtype=np.float64)

    def unbound(self, total_molar: ArrayLike) -> Array:
        """Unbound concentration fu * C (mol/L)."""
        return np.asarray(_as_array(total_molar, "concentration") * self.fu, dtype=np.float64)

    def occupancy_of_unbound(self, unbound_molar: ArrayLike) -> Array:
        """Fractional occupancy (0-1) at unbound concentrations (mol/L)."""
        cu = _as_array(unbound_molar, "unbound concentration")
        # Cu^n / (Cu^n + K^n) = expit(n (ln Cu - ln K)): no overflow; Cu = 0 gives 0
        with np.errstate(divide="ignore"):
            z = self.hill * (np.log(cu) - math.log(self.apparent_kd))
        return np.asarray(expit(z), dtype=np.float64)

    def occupancy(self, total_molar: ArrayLike) -> Array:
        """Fractional occupancy (0-1) at total plasma concentrations (mol/L)."""
        return self.occupancy_of_unbound(self.unbound(total_molar))

    def unbound_for_occupancy(self, ro: float) -> float:
        """The unbound concentration (mol/L) giving fractional occupancy ``ro`` (0 < ro < 1)."""
        if not 0 < ro < 1:
            raise InputError(f"occupancy must be in (0, 1), got {ro!r}", field="target")
        return float(self.apparent_kd * (ro / (1 - ro)) ** (1 / self.hill))


def time_above(times: ArrayLike, values: ArrayLike, threshold: float) -> float:
    """Time (in the unit of ``times``) with ``values >= threshold``, crossings located by linear
    interpolation between samples (the profile is taken as piecewise linear)."""
    t = np.asarray(times, dtype=float).ravel()
    y = np.asarray(values, dtype=float).ravel()
    if t.shape != y.shape or len(t) < 2:
        raise InputError("need at least two times and one value per time", field="times")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(y))):
        raise InputError("times and values must be finite", field="times")
    if np.any(np.diff(t) <= 0):
        i = int(np.argmax(np.diff(t) <= 0)) + 1
        raise InputError(f"times must increase; time #{i + 1} is {t[i]:g}", field="times")
    if not math.isfinite(threshold):
        raise InputError(f"threshold must be finite, got {threshold!r}", field="threshold")
    return float(time_above_rows(t, y, threshold)[0])


def time_above_rows(times: ArrayLike, values: ArrayLike, threshold: float) -> Array:
    """Per row of ``values`` (subjects x times) the time with ``values >= threshold``, crossings
    by linear interpolation (:func:`time_above` for many rows at once)."""
    t = np.asarray(times, float)
    y = np.atleast_2d(np.asarray(values, float))
    if y.shape[1] != t.size or t.size < 2 or np.any(np.diff(t) <= 0):
        raise InputError("need increasing times and one column per time", field="times")
    y0, y1, dt = y[:, :-1], y[:, 1:], np.diff(t)[None, :]
    a0, a1 = y0 >= threshold, y1 >= threshold
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # discarded cells
        frac = np.where(a0 != a1, (threshold - y0) / (y1 - y0), 0.0)
    part = np.where(a0 & a1, dt, np.where(a1 & ~a0, dt * (1 - frac), np.where(a0, dt * frac, 0)))
    return np.asarray(part.sum(axis=1), dtype=np.float64)


@dataclass(frozen=True)
class OccupancyCourse(Serial):
    """Occupancy over a concentration-time course (times in h, concentrations in mol/L)."""

    kind: ClassVar[str] = "occupancy_course"

    model: OccupancyModel
    times_h: tuple[float, ...]
    total_molar: tuple[float, ...]
    unbound_molar: tuple[float, ...]
    occupancy: tuple[float, ...]
    source: str = ""

    def time_above(self, target: float) -> float:
        """Hours with fractional occupancy >= ``target`` (linear interpolation of crossings)."""
        if not 0 <= target <= 1:
            raise InputError(f"target occupancy must be in [0, 1], got {target!r}", field="target")
        return time_above(self.times_h, self.occupancy, target)

    def summary(self) -> pd.DataFrame:
        """One row per time: h, total and unbound nM, occupancy %."""
        return pd.DataFrame(
            {
                "time (h)": self.times_h,
                "C total (nM)": np.asarray(self.total_molar) * 1e9,
                "C unbound (nM)": np.asarray(self.unbound_molar) * 1e9,
                "occupancy (%)": np.asarray(self.occupancy) * 100,
            }
        )

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies (app protocol: result kinds list the potencies they estimate)."""
        return []


def occupancy_course(
    model: OccupancyModel,
    times_h: ArrayLike,
    conc: ArrayLike,
    unit: str = "mol/L",
    *,
    source: str = "",
) -> OccupancyCourse:
    """Occupancy at each time of a total plasma concentration course given in ``unit``."""
    t = _as_array(times_h, "times").ravel()
    total = model.to_molar(conc, unit).ravel()
    if t.shape != total.shape:
        raise InputError(f"{len(t)} times but {len(total)} concentrations", field="conc")
    if np.any(np.diff(t) <= 0):
        i = int(np.argmax(np.diff(t) <= 0)) + 1
        raise InputError(f"times must increase; time #{i + 1} is {t[i]:g} h", field="times")
    cu = model.unbound(total)
    ro = model.occupancy_of_unbound(cu)
    return OccupancyCourse(
        model=model,
        times_h=tuple(float(x) for x in t),
        total_molar=tuple(float(x) for x in total),
        unbound_molar=tuple(float(x) for x in cu),
        occupancy=tuple(float(x) for x in ro),
        source=source,
    )
