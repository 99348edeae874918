"""Non-compartmental analysis (NCA) of concentration-time profiles, single and multiple dose.

Input is a tidy table, one row per sample: ``subject, time, conc`` and the dose (a ``dose``
column, on every row or once per subject; or a separate dose table with one row per dose, see
:mod:`.nca_read`), optionally ``route`` (``extravascular`` (default), ``iv bolus`` or
``infusion``) and ``duration`` (h, for infusions). Times are in hours on the subject's clock
(the first dose usually at 0); concentrations are in ``settings.conc_unit`` and may be ``BLQ``
(or below ``settings.lloq``); doses are in ``settings.dose_unit``.

Per subject: Cmax, Tmax, Clast, Tlast, AUClast, AUCall, AUMClast, the terminal slope lambda_z
(automatic best fit as Phoenix WinNonlin, after the last dose; or a stated time range),
half-life, and for a single dose AUCinf and AUMCinf (observed from Clast and predicted from the
fitted Clast), % extrapolated, MRT, CL (CL/F), Vz (Vz/F), for IV doses Vss, and the
dose-normalised Cmax/D, AUClast/D and AUCinf/D. An IV bolus gets C0 back-extrapolated
log-linearly from the first two samples when they fall (else the first sample); extravascular
and infusion profiles without a time-0 sample get C = 0 at the first dose.

BLQ samples follow one of two schemes: by Tmax (``blq_before_tmax``/``blq_after_tmax``, the
default: zero before, missing after) or by position as PKNCA's ``conc.blq`` (``blq_first``
before the first measurable sample, ``blq_middle`` between, ``blq_last`` after the last;
PKNCA's default keep/drop/keep is zero/missing/zero).

Intervals (:mod:`.nca_interval`): partial AUCs between stated times, and with a dosing interval
``tau`` (or several doses) the first and last dosing intervals with AUCtau, Cmin, Ctrough, Cavg,
fluctuation, swing, accumulation ratio and, at steady state, CLss and Vz,ss.

>>> import pandas as pd
>>> frame = pd.DataFrame({"subject": ["a"] * 5, "time": [0, 1, 2, 4, 6],
...                       "conc": [0, 10, 5, 1.25, 0.3125], "dose": [100] * 5})
>>> r = nca(frame, source="demo.csv").subjects[0]
>>> round(r.lambda_z.lambda_z, 4), r.auc_last, r.cmax
(0.6931, 20.3125, 10.0)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.core.serial import Serial, stored
from cxcr4lab.pkpd.nca_calc import AUC_METHODS, FloatArray, SlopeFit, auc_segments, best_slope
from cxcr4lab.pkpd.nca_calc import fit_slope as _fit_slope
from cxcr4lab.pkpd.nca_interval import IntervalNca, dosing_intervals, partial_auc
from cxcr4lab.pkpd.nca_read import (
    BLQ_TOKENS,
    ROUTES,
    Dose,
    Profile,
    Route,
    parse_route,
    read_doses,
    read_profiles,
)
from cxcr4lab.pkpd.nca_stats import DoseProportionality

__all__ = [
    "BLQ_RULES",
    "BLQ_SCHEMES",
    "BLQ_TOKENS",
    "ROUTES",
    "Dose",
    "DoseProportionality",
    "IntervalNca",
    "LambdaZ",
    "NcaResult",
    "NcaSettings",
    "Profile",
    "StatRow",
    "SubjectNca",
    "derived_units",
    "nca",
    "parse_route",
    "read_doses",
    "read_profiles",
]

BLQ_RULES = ("zero", "missing")
BLQ_SCHEMES = ("tmax", "position")
_IV: tuple[Route, ...] = ("iv bolus", "infusion")
POINT_STATES = ("measured", "blq zero", "blq excluded", "before dose")
"""How each sample was used: measured, BLQ set to 0, BLQ left out, before the first dose."""


@stored(
    omit_default=(
        "blq_scheme",
        "blq_first",
        "blq_middle",
        "blq_last",
        "intervals",
        "tau",
        "steady_state",
        "group",
        "proportionality_dose",
    )
)
@dataclass(frozen=True)
class NcaSettings(Serial):
    """How to run the NCA.

    ``auc_method``: ``"linear"`` (linear trapezoidal) or ``"log-down"`` (linear-up/log-down).
    ``blq_scheme``: ``"tmax"`` uses ``blq_before_tmax`` / ``blq_after_tmax``; ``"position"``
    uses ``blq_first`` / ``blq_middle`` / ``blq_last`` (PKNCA); each ``"zero"`` or ``"missing"``.
    ``lambda_z_ranges``: (subject, t_lower, t_upper) manual terminal-phase ranges (h).
    ``intervals``: (start, end) of partial AUCs (h), not overlapping. ``tau``: the dosing
    interval (h); ``steady_state``: the last dosing interval is at steady state (needs a tau,
    here or in the dose table). ``group``: columns of the table to summarise by.
    ``proportionality_dose``: a numeric column (constant per subject) taken as the dose of the
    power model instead of the amount (a dose level in mg/kg when dosing is by weight).
    """

    auc_method: str = "linear"
    blq_before_tmax: str = "zero"
    blq_after_tmax: str = "missing"
    lloq: float | None = None
    lambda_z_ranges: tuple[tuple[str, float, float], ...] = ()
    conc_unit: str = "mg/L"
    dose_unit: str = "mg"
    min_points: int = 3
    adj_r2_tolerance: float = 1e-4
    blq_scheme: str = "tmax"
    blq_first: str = "zero"
    blq_middle: str = "missing"
    blq_last: str = "zero"
    intervals: tuple[tuple[float, float], ...] = ()
    tau: float | None = None
    steady_state: bool = False
    group: tuple[str, ...] = ()
    proportionality_dose: str | None = None

    def __post_init__(self) -> None:
        checks = (
            ("auc_method", self.auc_method, AUC_METHODS),
            ("blq_before_tmax", self.blq_before_tmax, BLQ_RULES),
            ("blq_after_tmax", self.blq_after_tmax, BLQ_RULES),
            ("blq_scheme", self.blq_scheme, BLQ_SCHEMES),
            ("blq_first", self.blq_first, BLQ_RULES),
            ("blq_middle", self.blq_middle, BLQ_RULES),
            ("blq_last", self.blq_last, BLQ_RULES),
        )
        for name, value, allowed in checks:
            if value not in allowed:
                raise InputError(f"must be one of {', '.join(allowed)}; got {value!r}", field=name)
        if self.lloq is not None and not (math.isfinite(self.lloq) and self.lloq > 0):
            raise InputError(f"must be a positive number; got {self.lloq!r}", field="lloq")
        if self.min_points < 3:
            raise InputError(f"must be >= 3; got {self.min_points}", field="min_points")
        for subject, lo, hi in self.lambda_z_ranges:
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
                raise InputError(
                    f"lambda_z range {lo:g}-{hi:g} h: need 0 <= start < end",
                    field=f"lambda_z range of subject {subject}",
                )
        if self.tau is not None and not (math.isfinite(self.tau) and self.tau > 0):
            raise InputError(f"must be a number of hours > 0; got {self.tau!r}", field="tau")
        spans = sorted(self.intervals)
        for lo, hi in spans:
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
                raise InputError(f"{lo:g}-{hi:g} h: need 0 <= start < end", field="interval")
        for (a0, a1), (b0, b1) in itertools.pairwise(spans):
            if b0 < a1:
                raise InputError(
                    f"{a0:g}-{a1:g} h and {b0:g}-{b1:g} h overlap; give intervals that do not",
                    field="interval",
                )


@stored(omit_default=("fit_times",))
@dataclass(frozen=True)
class LambdaZ:
    """The terminal-phase fit: ln(C) = intercept - lambda_z * t over t_lower..t_upper; ``fit_times``
    are the samples it used (h)."""

    lambda_z: float
    intercept: float
    r2: float
    adj_r2: float | None
    n_points: int
    t_lower: float
    t_upper: float
    manual: bool
    fit_times: tuple[float, ...] = ()

    @property
    def half_life(self) -> float:
        return math.log(2) / self.lambda_z


_SUBJECT_ADDED = (
    "n_doses",
    "dose_times",
    "cmax_dn",
    "auc_last_dn",
    "auc_inf_obs_dn",
    "meta",
    "sample_times",
    "sample_concs",
    "sample_states",
)


@stored(omit_default=_SUBJECT_ADDED)
@dataclass(frozen=True)
class SubjectNca(Serial):
    """NCA parameters of one subject; None where not estimable (see ``notes``). ``dose`` is the
    first dose; the samples as used are kept for pictures (``sample_states`` from
    :data:`POINT_STATES`; a BLQ concentration is None)."""

    subject: str
    route: str
    dose: float
    duration: float
    n_samples: int
    cmax: float | None
    tmax: float | None
    clast: float | None
    tlast: float | None
    tlag: float | None
    c0: float | None
    auc_last: float | None
    auc_all: float | None
    aumc_last: float | None
    mrt_last: float | None
    lambda_z: LambdaZ | None
    half_life: float | None
    auc_inf_obs: float | None
    auc_inf_pred: float | None
    auc_pct_extrap_obs: float | None
    auc_pct_extrap_pred: float | None
    auc_pct_back_extrap_obs: float | None
    auc_pct_back_extrap_pred: float | None
    aumc_inf_obs: float | None
    aumc_inf_pred: float | None
    aumc_pct_extrap_obs: float | None
    aumc_pct_extrap_pred: float | None
    mrt_inf_obs: float | None
    mrt_inf_pred: float | None
    cl_obs: float | None
    cl_pred: float | None
    vz_obs: float | None
    vz_pred: float | None
    vss_obs: float | None
    vss_pred: float | None
    notes: tuple[str, ...] = ()
    n_doses: int = 1
    dose_times: tuple[float, ...] = ()
    cmax_dn: float | None = None
    auc_last_dn: float | None = None
    auc_inf_obs_dn: float | None = None
    meta: tuple[tuple[str, str], ...] = ()
    sample_times: tuple[float, ...] = ()
    sample_concs: tuple[float | None, ...] = ()
    sample_states: tuple[str, ...] = ()

    def group_value(self, column: str) -> str:
        """The subject's value of a grouping column ("" if it has none)."""
        return dict(self.meta).get(column, "")


@dataclass(frozen=True)
class StatRow:
    """Descriptive statistics of one parameter in one group (``group`` as ``col=value; ...``,
    "" for all subjects); geometric ones None when a value is <= 0 (PKNCA)."""

    group: str
    parameter: str
    unit: str
    n: int
    mean: float | None
    sd: float | None
    cv_pct: float | None
    geomean: float | None
    geocv_pct: float | None
    median: float | None
    min: float | None
    max: float | None


# (attribute, label, unit key) of the summary table, in order.
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("dose", "Dose", "dose"),
    ("cmax", "Cmax", "conc"),
    ("tmax", "Tmax", "time"),
    ("clast", "Clast", "conc"),
    ("tlast", "Tlast", "time"),
    ("tlag", "Tlag", "time"),
    ("c0", "C0", "conc"),
    ("auc_last", "AUClast", "auc"),
    ("auc_all", "AUCall", "auc"),
    ("auc_inf_obs", "AUCinf_obs", "auc"),
    ("auc_inf_pred", "AUCinf_pred", "auc"),
    ("auc_pct_extrap_obs", "AUC_%extrap_obs", "%"),
    ("auc_pct_extrap_pred", "AUC_%extrap_pred", "%"),
    ("auc_pct_back_extrap_obs", "AUC_%back_extrap_obs", "%"),
    ("lambda_z_value", "lambda_z", "rate"),
    ("half_life", "t1/2", "time"),
    ("lambda_z_n", "lambda_z_n", "points"),
    ("lambda_z_lower", "lambda_z_lower", "time"),
    ("lambda_z_upper", "lambda_z_upper", "time"),
    ("lambda_z_adj_r2", "lambda_z_adj_R2", "1"),
    ("aumc_last", "AUMClast", "aumc"),
    ("aumc_inf_obs", "AUMCinf_obs", "aumc"),
    ("aumc_inf_pred", "AUMCinf_pred", "aumc"),
    ("mrt_last", "MRTlast", "time"),
    ("mrt_inf_obs", "MRTinf_obs", "time"),
    ("mrt_inf_pred", "MRTinf_pred", "time"),
    ("cl_obs", "CL_obs", "cl"),
    ("cl_pred", "CL_pred", "cl"),
    ("vz_obs", "Vz_obs", "v"),
    ("vz_pred", "Vz_pred", "v"),
    ("vss_obs", "Vss_obs", "v"),
    ("vss_pred", "Vss_pred", "v"),
    ("cmax_dn", "Cmax/D", "conc_dn"),
    ("auc_last_dn", "AUClast/D", "auc_dn"),
    ("auc_inf_obs_dn", "AUCinf_obs/D", "auc_dn"),
)

# (attribute, label, unit key) of the interval table, in order.
_INTERVAL_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("start", "start", "time"),
    ("end", "end", "time"),
    ("dose", "Dose", "dose"),
    ("auc", "AUC", "auc"),
    ("cmax", "Cmax", "conc"),
    ("tmax", "Tmax", "time"),
    ("cmin", "Cmin", "conc"),
    ("ctrough", "Ctrough", "conc"),
    ("cavg", "Cavg", "conc"),
    ("fluctuation_pct", "Fluctuation", "%"),
    ("swing", "Swing", "1"),
    ("accumulation_ratio", "Rac_obs", "1"),
    ("accumulation_pred", "Rac_pred", "1"),
    ("cl_ss", "CLss", "cl"),
    ("vz_ss", "Vz_ss", "v"),
)

SUMMARY_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("cmax", "conc"),
    ("tmax", "time"),
    ("auc_last", "auc"),
    ("auc_inf_obs", "auc"),
    ("half_life", "time"),
    ("cl_obs", "cl"),
    ("vz_obs", "v"),
    ("cmax_dn", "conc_dn"),
    ("auc_last_dn", "auc_dn"),
    ("auc_inf_obs_dn", "auc_dn"),
)
"""Parameters (SubjectNca attribute, unit key) summarised by group."""


@stored(
    order=("source", "settings", "units"),  # then subjects
    omit_default=("intervals", "statistics", "proportionality", "dose_source"),
)
@dataclass(frozen=True)
class NcaResult(Serial):
    """The NCA of every subject of one table, with the settings that produced it: per subject,
    per interval, summary statistics by group and dose proportionality."""

    kind: ClassVar[str] = "nca"

    source: str
    settings: NcaSettings
    subjects: tuple[SubjectNca, ...]
    units: Mapping[str, str] = field(default_factory=dict)
    intervals: tuple[IntervalNca, ...] = ()
    statistics: tuple[StatRow, ...] = ()
    proportionality: tuple[DoseProportionality, ...] = ()
    dose_source: str = ""

    def subject(self, name: str) -> SubjectNca:
        for s in self.subjects:
            if s.subject == name:
                return s
        raise KeyError(name)

    def summary(self) -> pd.DataFrame:
        """One row per subject; every column name carries its unit (CL/F, Vz/F if EV)."""
        rows: list[dict[str, Any]] = []
        groups = _meta_columns(self.subjects)
        for s in self.subjects:
            lz = s.lambda_z
            extra = {
                "lambda_z_value": None if lz is None else lz.lambda_z,
                "lambda_z_n": None if lz is None else lz.n_points,
                "lambda_z_lower": None if lz is None else lz.t_lower,
                "lambda_z_upper": None if lz is None else lz.t_upper,
                "lambda_z_adj_r2": None if lz is None else lz.adj_r2,
            }
            row: dict[str, Any] = {"subject": s.subject, "route": s.route}
            row |= {g: s.group_value(g) for g in groups}
            if any(x.n_doses > 1 for x in self.subjects):
                row["doses"] = s.n_doses
            for attr, label, unit in _COLUMNS:
                row[self._label(label, unit)] = extra[attr] if attr in extra else getattr(s, attr)
            rows.append(row)
        return pd.DataFrame(rows)

    def interval_table(self) -> pd.DataFrame:
        """One row per interval (partial AUCs and dosing intervals), units in the names."""
        rows = []
        for iv in self.intervals:
            row: dict[str, Any] = {"subject": iv.subject, "interval": iv.kind}
            for attr, label, unit in _INTERVAL_COLUMNS:
                row[self._label(label, unit)] = getattr(iv, attr)
            rows.append(row)
        return pd.DataFrame(rows)

    def statistics_table(self) -> pd.DataFrame:
        """The summary statistics by group, one row per group and parameter."""
        return pd.DataFrame([vars(r) for r in self.statistics])

    def parameters_long(self) -> pd.DataFrame:
        """Every estimated parameter in long form (``subject, parameter, value, unit, start,
        end, route``): the input of the CDISC PP writer (:mod:`.nca_cdisc`)."""
        rows: list[dict[str, Any]] = []
        for s in self.subjects:
            lz = s.lambda_z
            values: dict[str, Any] = {
                attr: getattr(s, attr) for attr, _, _ in _COLUMNS if hasattr(s, attr)
            }
            values |= {
                "lambda_z": None if lz is None else lz.lambda_z,
                "lambda_z_n": None if lz is None else lz.n_points,
                "lambda_z_adj_r2": None if lz is None else lz.adj_r2,
            }
            units = {attr: unit for attr, _, unit in _COLUMNS}
            units |= {"lambda_z": "rate", "lambda_z_n": "points", "lambda_z_adj_r2": "1"}
            for key, value in values.items():
                if value is None or key == "dose":
                    continue
                rows.append(
                    {
                        "subject": s.subject,
                        "parameter": key,
                        "value": float(value),
                        "unit": self._unit(units[key]),
                        "start": None,
                        "end": None,
                        "route": s.route,
                    }
                )
        routes = {s.subject: s.route for s in self.subjects}
        keys = {
            "auc": "auc_tau",
            "cmax": "cmax",
            "tmax": "tmax",
            "cmin": "cmin",
            "ctrough": "ctrough",
            "cavg": "cavg",
            "fluctuation_pct": "fluctuation_pct",
            "swing": "swing",
            "accumulation_ratio": "accumulation_ratio",
            "cl_ss": "cl_obs",
            "vz_ss": "vz_obs",
        }
        for iv in self.intervals:
            attrs = {"auc": "auc_int"} if iv.kind == "partial" else keys
            for attr, key in attrs.items():
                value = getattr(iv, attr)
                if value is None:
                    continue
                unit = next(u for a, _, u in _INTERVAL_COLUMNS if a == attr)
                rows.append(
                    {
                        "subject": iv.subject,
                        "parameter": key,
                        "value": float(value),
                        "unit": self._unit(unit),
                        "start": iv.start,
                        "end": iv.end,
                        "route": routes.get(iv.subject, ""),
                    }
                )
        return pd.DataFrame(
            rows, columns=["subject", "parameter", "value", "unit", "start", "end", "route"]
        )

    def _unit(self, key: str) -> str:
        return "" if key in ("1", "points") else self.units.get(key, key)

    def _label(self, label: str, unit: str) -> str:
        if unit in ("1", "points"):
            return label
        return f"{label} ({self.units.get(unit, unit)})"

    def potencies(self, source: str = "") -> list[Any]:
        """NCA yields no potencies (app protocol)."""
        return []


def _meta_columns(subjects: Sequence[SubjectNca]) -> list[str]:
    seen: dict[str, None] = {}
    for s in subjects:
        for k, _ in s.meta:
            seen.setdefault(k)
    return list(seen)


# --------------------------------------------------------------------------------------------
# units


def _checked_units(conc_unit: str, dose_unit: str) -> tuple[Any, Any]:
    """One of each as pint quantities, refused (naming the setting) unless ``conc_unit`` is an
    amount or mass per volume and ``dose_unit`` a mass or amount (or one per kg or m^2)."""
    from cxcr4lab.core.units import concentration_unit, registry
    from cxcr4lab.core.units import dose_unit as checked_dose_unit

    conc = concentration_unit(conc_unit, place=Place(field="conc_unit"))
    dose = checked_dose_unit(dose_unit, place=Place(field="dose_unit"))
    return registry().Quantity(1.0, conc), registry().Quantity(1.0, dose)


def derived_units(conc_unit: str, dose_unit: str) -> tuple[dict[str, str], float]:
    """Unit labels of every parameter, and the factor taking dose/(conc) into the volume unit.

    mg with mg/L gives CL in L/h and V in L; mg/kg gives L/h/kg and L/kg. Units pint cannot
    reduce to a volume (per mass or area) stay as written, with factor 1.
    """
    conc, dose = _checked_units(conc_unit, dose_unit)
    volume, factor = f"{dose_unit}/({conc_unit})", 1.0
    ratio = dose / conc
    for target in ("L", "L/kg", "L/m**2"):
        if ratio.check(ratio._REGISTRY.Quantity(1.0, target).dimensionality):
            volume, factor = target.replace("**", "^"), float(ratio.to(target).magnitude)
            break
    cl = f"{volume}/h" if "/" not in volume else f"({volume})/h"
    if volume == "L/kg":
        cl = "L/h/kg"
    elif volume == "L/m^2":
        cl = "L/h/m^2"
    units = {
        "time": "h",
        "conc": conc_unit,
        "dose": dose_unit,
        "auc": f"h*{conc_unit}",
        "aumc": f"h^2*{conc_unit}",
        "rate": "1/h",
        "%": "%",
        "cl": cl,
        "v": volume,
        "conc_dn": f"({conc_unit})/({dose_unit})",
        "auc_dn": f"h*({conc_unit})/({dose_unit})",
    }
    return units, factor


# --------------------------------------------------------------------------------------------
# one profile


def _apply_blq(
    t: FloatArray, c: FloatArray, settings: NcaSettings, notes: list[str]
) -> tuple[FloatArray, FloatArray, list[str]]:
    """The samples kept after the BLQ rules (BLQ as 0 or left out), and each sample's state."""
    states = ["measured"] * len(t)
    blq = np.isnan(c)
    if not blq.any():
        return t, c, states
    measured = np.where(~blq)[0]
    parts: tuple[tuple[npt.NDArray[np.bool_], str, str], ...]
    if settings.blq_scheme == "tmax":
        tmax = t[measured[int(np.argmax(c[measured]))]] if len(measured) else math.inf
        parts = (
            (blq & (t < tmax), settings.blq_before_tmax, "before Tmax"),
            (blq & (t > tmax), settings.blq_after_tmax, "after Tmax"),
        )
    else:
        positive = np.where(~blq & (c > 0))[0]
        lo = t[positive[0]] if len(positive) else math.inf
        hi = t[positive[-1]] if len(positive) else math.inf
        first = blq & (t < lo)
        last = blq & (t > hi)
        parts = (
            (first, settings.blq_first, "before the first measurable sample"),
            (blq & ~first & ~last, settings.blq_middle, "between measurable samples"),
            (last, settings.blq_last, "after the last measurable sample"),
        )
    keep = np.ones(len(t), dtype=bool)
    c = c.copy()
    for mask, rule, where in parts:
        if not mask.any():
            continue
        shown = ", ".join(f"{x:g}" for x in t[mask])
        if rule == "zero":
            c[mask] = 0.0
        else:
            keep &= ~mask
        for i in np.flatnonzero(mask):
            states[i] = "blq zero" if rule == "zero" else "blq excluded"
        notes.append(
            f"BLQ {where} at t = {shown} h: {'set to 0' if rule == 'zero' else 'excluded'}"
        )
    return t[keep], c[keep], states


def _none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _analyse_profile(
    p: Profile, settings: NcaSettings, vfactor: float
) -> tuple[SubjectNca, list[IntervalNca]]:
    notes: list[str] = []
    if p.missing:
        notes.append(
            "missing concentration at t = "
            + ", ".join(f"{x:g}" for x in p.missing)
            + " h: excluded"
        )
    d0 = p.doses[0].time
    t_all, c_all = p.time, p.conc
    early = t_all < d0
    if early.any():
        notes.append(
            "samples before the first dose (t = "
            + ", ".join(f"{x:g}" for x in t_all[early])
            + f" h < {d0:g} h): excluded"
        )
    t, c, states = _apply_blq(t_all[~early], c_all[~early], settings, notes)
    states = ["before dose"] * int(early.sum()) + states
    values: dict[str, Any] = dict.fromkeys(f.name for f in SubjectNca.__dataclass_fields__.values())
    values.update(
        subject=p.subject,
        route=p.route,
        dose=p.dose,
        duration=p.duration,
        n_samples=len(t),
        n_doses=len(p.doses),
        dose_times=tuple(d.time for d in p.doses) if len(p.doses) > 1 or d0 != 0 else (),
        meta=p.meta,
        sample_times=tuple(float(x) for x in t_all),
        sample_concs=tuple(None if math.isnan(x) else float(x) for x in c_all),
        sample_states=tuple(states),
    )
    single = len(p.doses) == 1
    tau = settings.tau if settings.tau is not None else p.tau
    if settings.steady_state and tau is None and len(p.doses) > 1:
        gaps = np.diff([d.time for d in p.doses])
        if np.allclose(gaps, gaps[0], rtol=1e-9):
            tau = float(gaps[0])
            notes.append(f"tau {tau:g} h from the dose times")
    if settings.steady_state and tau is None:
        raise InputError(
            f"steady state asked for subject {p.subject} without a dosing interval: give --tau "
            "(h) or a tau column in the dose table",
            field="tau",
        )
    if not single and tau is None:
        notes.append("several doses and no tau: the last dosing interval is not analysed")
    positive = np.where(c > 0)[0]
    if len(positive) == 0:
        notes.append("no measurable concentration: nothing estimable")
        values["notes"] = tuple(notes)
        return SubjectNca(**values), []
    imax = int(np.argmax(c))
    ilast = int(positive[-1])
    cmax, tmax = float(c[imax]), float(t[imax])
    clast, tlast = float(c[ilast]), float(t[ilast])
    values.update(cmax=cmax, tmax=tmax, clast=clast, tlast=tlast)

    # the profile integrated from the first dose
    ta, ca = t, c
    c0: float | None = None
    if p.route == "iv bolus":
        if len(t) and t[0] == d0 and c[0] > 0 and single:
            c0 = float(c[0])
        else:
            obs = np.where((t > d0) & (c > 0))[0]
            t1, c1 = float(t[obs[0]]), float(c[obs[0]])
            if len(obs) > 1 and c[obs[1]] < c1:
                t2, c2 = float(t[obs[1]]), float(c[obs[1]])
                c0 = math.exp(math.log(c1) - (math.log(c2) - math.log(c1)) / (t2 - t1) * (t1 - d0))
                notes.append(f"C0 back-extrapolated from t = {t1:g} and {t2:g} h")
            else:
                c0 = c1
                notes.append(f"C0 set to the first measured concentration (t = {t1:g} h)")
            drop = t > d0
            ta, ca = np.concatenate([[d0], t[drop]]), np.concatenate([[c0], c[drop]])
        values["c0"] = c0
    elif t[0] > d0:
        ta, ca = np.concatenate([[d0], t]), np.concatenate([[0.0], c])
        notes.append(f"no sample at t = {d0:g} h: C = 0 assumed at the dose")
    if p.route == "extravascular":
        first = int(np.argmax(ca > 0))
        values["tlag"] = float(ta[first - 1]) if first > 0 else 0.0

    auc, aumc = auc_segments(ta, ca, settings.auc_method)
    nlast = int(np.where(ta == tlast)[0][0])
    auc_last = float(auc[:nlast].sum())
    aumc_last = float(aumc[:nlast].sum())
    half_dur = p.duration / 2 if p.route == "infusion" else 0.0
    values.update(
        auc_last=auc_last,
        auc_all=float(auc.sum()),
        aumc_last=aumc_last,
        mrt_last=aumc_last / auc_last - half_dur if auc_last > 0 and single else None,
    )

    # the terminal phase: after the Tmax of the last dose
    dn = p.doses[-1].time
    after_last = np.flatnonzero(t >= dn)
    imax_last = int(after_last[int(np.argmax(c[after_last]))]) if len(after_last) else imax
    fit = _terminal_fit(p, t, c, imax_last, ilast, settings, notes)
    terminal = None
    if fit is not None:
        lz = fit.lambda_z
        values.update(lambda_z=fit, half_life=fit.half_life)
        terminal = (lz, tlast, clast)
    if fit is not None and single:
        lz = fit.lambda_z
        for tag, cl_end in (("obs", clast), ("pred", math.exp(fit.intercept - lz * tlast))):
            auc_inf = auc_last + cl_end / lz
            aumc_inf = aumc_last + cl_end * (tlast - d0) / lz + cl_end / lz**2
            mrt = aumc_inf / auc_inf - half_dur
            cl = p.dose / auc_inf * vfactor
            values[f"auc_inf_{tag}"] = auc_inf
            values[f"auc_pct_extrap_{tag}"] = 100 * (auc_inf - auc_last) / auc_inf
            values[f"aumc_inf_{tag}"] = aumc_inf
            values[f"aumc_pct_extrap_{tag}"] = 100 * (aumc_inf - aumc_last) / aumc_inf
            values[f"mrt_inf_{tag}"] = mrt
            values[f"cl_{tag}"] = cl
            values[f"vz_{tag}"] = cl / lz
            if p.route in _IV:
                values[f"vss_{tag}"] = mrt * cl
            if p.route == "iv bolus":
                values[f"auc_pct_back_extrap_{tag}"] = 100 * float(auc[0]) / auc_inf
    elif not single:
        notes.append(
            f"{len(p.doses)} doses: AUCinf, CL, Vz and MRT are not computed; see the dosing "
            "intervals (CLss, Vz,ss)"
        )
    if single:
        values.update(
            cmax_dn=cmax / p.dose,
            auc_last_dn=auc_last / p.dose,
            auc_inf_obs_dn=None
            if values["auc_inf_obs"] is None
            else values["auc_inf_obs"] / p.dose,
        )
    intervals = [
        partial_auc(p.subject, ta, ca, lo, hi, settings.auc_method, terminal)
        for lo, hi in settings.intervals
    ]
    intervals += dosing_intervals(
        p,
        t,
        c,
        tau=tau,
        steady_state=settings.steady_state,
        method=settings.auc_method,
        terminal=terminal,
        lambda_z=None if fit is None else fit.lambda_z,
        vfactor=vfactor,
    )
    for iv in intervals:
        notes.extend(iv.notes)
    values["notes"] = tuple(notes)
    for k, v in values.items():
        if isinstance(v, float | np.floating):
            values[k] = _none(float(v))
    return SubjectNca(**values), intervals


def _terminal_fit(
    p: Profile,
    t: FloatArray,
    c: FloatArray,
    imax: int,
    ilast: int,
    settings: NcaSettings,
    notes: list[str],
) -> LambdaZ | None:
    manual = [(lo, hi) for s, lo, hi in settings.lambda_z_ranges if s == p.subject]
    fit: SlopeFit | None
    if manual:
        lo, hi = manual[-1]
        sel = (t >= lo - 1e-12) & (t <= hi + 1e-12) & (c > 0)
        fit = _fit_slope(t[sel], c[sel])
        if fit is None:
            notes.append(
                f"lambda_z range {lo:g}-{hi:g} h: fewer than 2 positive points or no decline"
            )
            return None
        used = t[sel]
    else:
        start = imax if p.route == "iv bolus" else imax + 1
        tt, cc = t[start : ilast + 1], c[start : ilast + 1]
        fit = best_slope(
            tt, cc, min_points=settings.min_points, tolerance=settings.adj_r2_tolerance
        )
        if fit is None:
            notes.append(
                f"lambda_z not estimable: no declining fit of >= {settings.min_points} points "
                f"{'from' if p.route == 'iv bolus' else 'after'} Tmax"
            )
            return None
        used = tt[(cc > 0) & (tt >= fit.t_lower)]
    return LambdaZ(
        lambda_z=fit.lambda_z,
        intercept=fit.intercept,
        r2=fit.r2,
        adj_r2=fit.adj_r2,
        n_points=fit.n_points,
        t_lower=fit.t_lower,
        t_upper=fit.t_upper,
        manual=bool(manual),
        fit_times=tuple(float(x) for x in used),
    )


def nca(
    frame: pd.DataFrame,
    settings: NcaSettings | None = None,
    *,
    source: str,
    row_base: int = 2,
    doses: pd.DataFrame | None = None,
    dose_source: str = "",
    dose_row_base: int = 2,
) -> NcaResult:
    """NCA of every subject in ``frame`` (cells as read from a file: text or numbers), with its
    doses from ``frame``'s dose column or from the dose table ``doses``.

    ``row_base`` maps row positions to the file's line numbers for error messages.
    """
    settings = settings or NcaSettings()
    units, vfactor = derived_units(settings.conc_unit, settings.dose_unit)
    dosing = None if doses is None else read_doses(doses, dose_source, dose_row_base)
    profiles = read_profiles(
        frame, source, row_base, settings.lloq, doses=dosing, dose_source=dose_source
    )
    known = {p.subject for p in profiles}
    for subject, _, _ in settings.lambda_z_ranges:
        if subject not in known:
            raise InputError(
                f"lambda_z range given for subject {subject!r}, which is not in the table",
                file=source,
                field="lambda_z range",
            )
    checked = [*settings.group, *filter(None, [settings.proportionality_dose])]
    for column in checked:
        if not any(column == k for p in profiles for k, _ in p.meta):
            raise InputError(
                "no such column constant within subjects in the table", file=source, column=column
            )
    subjects: list[SubjectNca] = []
    intervals: list[IntervalNca] = []
    for p in profiles:
        one, its = _analyse_profile(p, settings, vfactor)
        subjects.append(one)
        intervals.extend(its)
    from cxcr4lab.pkpd.nca_summary import proportionality_of, statistics_of

    return NcaResult(
        source=source,
        settings=settings,
        subjects=tuple(subjects),
        units=units,
        intervals=tuple(intervals),
        statistics=statistics_of(subjects, intervals, settings.group, units),
        proportionality=proportionality_of(subjects, intervals, settings.proportionality_dose),
        dose_source=dose_source,
    )
