"""Non-compartmental analysis (NCA) of single-dose concentration-time profiles.

Input is a tidy table, one row per sample: ``subject, time, conc, dose`` and optionally
``route`` (``extravascular`` (default), ``iv bolus`` or ``infusion``) and ``duration`` (h, for
infusions). Time is in hours from the dose; concentrations are in ``settings.conc_unit`` and may
be ``BLQ`` (or below ``settings.lloq``); doses are in ``settings.dose_unit``.

Per subject: Cmax, Tmax, Clast, Tlast, AUClast, AUCall, AUMClast, the terminal slope lambda_z
(automatic best fit as Phoenix WinNonlin, or a stated time range), half-life, AUCinf and AUMCinf
(observed from Clast and predicted from the fitted Clast), % extrapolated, MRT, CL (CL/F),
Vz (Vz/F) and, for IV doses, Vss. An IV bolus gets C0 back-extrapolated log-linearly from the
first two samples when they fall (else the first sample); extravascular and infusion profiles
without a time-0 sample get C = 0 at t = 0.

>>> import pandas as pd
>>> frame = pd.DataFrame({"subject": ["a"] * 5, "time": [0, 1, 2, 4, 6],
...                       "conc": [0, 10, 5, 1.25, 0.3125], "dose": [100] * 5})
>>> r = nca(frame, source="demo.csv").subjects[0]
>>> round(r.lambda_z.lambda_z, 4), r.auc_last, r.cmax
(0.6931, 20.3125, 10.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.core.serial import Serial, stored
from cxcr4lab.core.tables import numeric_column, require_columns, require_nonempty, require_unique
from cxcr4lab.pkpd.nca_calc import AUC_METHODS, FloatArray, SlopeFit, auc_segments, best_slope
from cxcr4lab.pkpd.nca_calc import fit_slope as _fit_slope

__all__ = [
    "BLQ_RULES",
    "BLQ_TOKENS",
    "ROUTES",
    "LambdaZ",
    "NcaResult",
    "NcaSettings",
    "Profile",
    "SubjectNca",
    "derived_units",
    "nca",
    "parse_route",
    "read_profiles",
]

Route = Literal["extravascular", "iv bolus", "infusion"]
ROUTES: tuple[Route, ...] = ("extravascular", "iv bolus", "infusion")
_ROUTE_WORDS: dict[str, Route] = {
    "extravascular": "extravascular",
    "ev": "extravascular",
    "oral": "extravascular",
    "po": "extravascular",
    "sc": "extravascular",
    "iv bolus": "iv bolus",
    "ivbolus": "iv bolus",
    "bolus": "iv bolus",
    "iv": "iv bolus",
    "infusion": "infusion",
    "iv infusion": "infusion",
    "ivinfusion": "infusion",
}
BLQ_TOKENS = frozenset({"blq", "bql", "<lloq", "<loq", "bloq", "<lod"})
BLQ_RULES = ("zero", "missing")
_IV: tuple[Route, ...] = ("iv bolus", "infusion")


def parse_route(text: str | None, *, place: Place) -> Route:
    """``"IV bolus"``, ``"bolus"``, ``"infusion"``, ``"oral"``, ... -> a route; blank = EV."""
    if text is None or not text.strip():
        return "extravascular"
    key = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
    if key in _ROUTE_WORDS:
        return _ROUTE_WORDS[key]
    raise InputError(
        f"unknown route {text!r}; use extravascular, iv bolus or infusion", place=place
    )


@dataclass(frozen=True)
class NcaSettings(Serial):
    """How to run the NCA.

    ``auc_method``: ``"linear"`` (linear trapezoidal) or ``"log-down"`` (linear-up/log-down).
    ``blq_before_tmax`` / ``blq_after_tmax``: ``"zero"`` or ``"missing"`` for BLQ samples.
    ``lambda_z_ranges``: (subject, t_lower, t_upper) manual terminal-phase ranges (h).
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

    def __post_init__(self) -> None:
        checks = (
            ("auc_method", self.auc_method, AUC_METHODS),
            ("blq_before_tmax", self.blq_before_tmax, BLQ_RULES),
            ("blq_after_tmax", self.blq_after_tmax, BLQ_RULES),
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


@dataclass(frozen=True)
class LambdaZ:
    """The terminal-phase fit: ln(C) = intercept - lambda_z * t over t_lower..t_upper."""

    lambda_z: float
    intercept: float
    r2: float
    adj_r2: float | None
    n_points: int
    t_lower: float
    t_upper: float
    manual: bool

    @property
    def half_life(self) -> float:
        return math.log(2) / self.lambda_z


@dataclass(frozen=True)
class SubjectNca(Serial):
    """NCA parameters of one subject; None where not estimable (see ``notes``)."""

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
)


@stored(order=("source", "settings", "units"))  # then subjects
@dataclass(frozen=True)
class NcaResult(Serial):
    """The NCA of every subject of one table, with the settings that produced it."""

    kind: ClassVar[str] = "nca"

    source: str
    settings: NcaSettings
    subjects: tuple[SubjectNca, ...]
    units: Mapping[str, str] = field(default_factory=dict)

    def subject(self, name: str) -> SubjectNca:
        for s in self.subjects:
            if s.subject == name:
                return s
        raise KeyError(name)

    def summary(self) -> pd.DataFrame:
        """One row per subject; every column name carries its unit (CL/F, Vz/F if EV)."""
        rows: list[dict[str, Any]] = []
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
            for attr, label, unit in _COLUMNS:
                row[self._label(label, unit)] = extra[attr] if attr in extra else getattr(s, attr)
            rows.append(row)
        return pd.DataFrame(rows)

    def _label(self, label: str, unit: str) -> str:
        if unit in ("1", "points"):
            return label
        return f"{label} ({self.units.get(unit, unit)})"

    def potencies(self, source: str = "") -> list[Any]:
        """NCA yields no potencies (app protocol)."""
        return []


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
    }
    return units, factor


# --------------------------------------------------------------------------------------------
# reading the table


@dataclass(frozen=True)
class Profile:
    """One subject's single-dose profile as read: times (h) with concentrations (NaN = BLQ),
    route, dose and infusion duration (h), and the times of blank samples."""

    subject: str
    route: Route
    dose: float
    duration: float
    time: FloatArray
    conc: FloatArray  # NaN = BLQ (decided later, relative to Tmax)
    missing: tuple[float, ...]  # times whose concentration was blank/NA


def _column_names(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=lambda c: "_".join(str(c).strip().lower().split()))


def _cells(frame: pd.DataFrame, name: str) -> list[str | None]:
    out: list[str | None] = []
    for v in frame[name].to_numpy():
        blank = v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""
        out.append(None if blank else str(v).strip())
    return out


def read_profiles(
    frame: pd.DataFrame, source: str, row_base: int, lloq: float | None
) -> list[Profile]:
    """The profiles of a PK table (subject, time, conc, dose; optional route, duration), each
    refusal naming the row and column; a concentration below ``lloq`` is BLQ."""
    place = Place(file=source)
    frame = _column_names(frame).reset_index(drop=True)
    require_nonempty(frame, place=place)
    require_columns(frame, ["subject", "time", "conc", "dose"], place=place)
    subjects = _cells(frame, "subject")
    for i, s in enumerate(subjects):
        if s is None:
            raise InputError("subject is missing", place=place, row=i + row_base, column="subject")
    times = numeric_column(frame, "time", place=place, nonnegative=True, row_base=row_base)
    doses = numeric_column(frame, "dose", place=place, row_base=row_base)
    for i, d in enumerate(doses):
        if not d > 0:
            raise InputError(
                f"dose must be > 0, got {d:g}", place=place, row=i + row_base, column="dose"
            )
    raw_conc = _cells(frame, "conc")
    blq = np.array([c is not None and c.lower() in BLQ_TOKENS for c in raw_conc])
    conc_frame = pd.DataFrame(
        {"conc": [None if b else c for c, b in zip(raw_conc, blq, strict=True)]}
    )
    conc = numeric_column(
        conc_frame, "conc", place=place, allow_nan=True, nonnegative=True, row_base=row_base
    )
    missing = np.isnan(conc) & ~blq
    if lloq is not None:
        blq |= ~np.isnan(conc) & (conc < lloq)
    conc = np.where(blq, np.nan, conc)
    routes = _cells(frame, "route") if "route" in frame.columns else [None] * len(frame)
    durations = (
        numeric_column(frame, "duration", place=place, allow_nan=True, row_base=row_base)
        if "duration" in frame.columns
        else np.full(len(frame), np.nan)
    )
    keys = pd.DataFrame({"subject": subjects, "time": times})
    require_unique(keys, ["subject", "time"], place=place, row_base=row_base)

    order: dict[str, list[int]] = {}
    for i, s in enumerate(subjects):
        order.setdefault(str(s), []).append(i)
    profiles: list[Profile] = []
    for subject, rows in order.items():
        first = rows[0]
        for col, values in (("dose", doses), ("route", routes), ("duration", durations)):
            for i in rows[1:]:
                a, b = values[first], values[i]
                same = (a == b) or (
                    isinstance(a, float)
                    and isinstance(b, float)
                    and math.isnan(a)
                    and math.isnan(b)
                )
                if not same:
                    raise InputError(
                        f"subject {subject}: {col} {b} differs from {a} at row {first + row_base} "
                        "(one single dose per subject)",
                        place=place,
                        row=i + row_base,
                        column=col,
                    )
        route = parse_route(
            routes[first], place=replace(place, row=first + row_base, column="route")
        )
        duration = float(durations[first])
        if route == "infusion":
            if not (math.isfinite(duration) and duration > 0):
                raise InputError(
                    f"subject {subject}: an infusion needs a duration > 0 (h)",
                    place=place,
                    row=first + row_base,
                    column="duration",
                )
        else:
            duration = 0.0
        idx = np.array(rows)
        idx = idx[np.argsort(times[idx], kind="stable")]
        keep = idx[~missing[idx]]
        profiles.append(
            Profile(
                subject=subject,
                route=route,
                dose=float(doses[first]),
                duration=duration,
                time=times[keep].astype(float),
                conc=conc[keep].astype(float),
                missing=tuple(float(t) for t in times[idx[missing[idx]]]),
            )
        )
    return profiles


# --------------------------------------------------------------------------------------------
# one profile


def _apply_blq(
    p: Profile, settings: NcaSettings, notes: list[str]
) -> tuple[FloatArray, FloatArray]:
    t, c = p.time, p.conc
    blq = np.isnan(c)
    if not blq.any():
        return t, c
    measured = np.where(~blq)[0]
    tmax = t[measured[int(np.argmax(c[measured]))]] if len(measured) else math.inf
    before = blq & (t < tmax)
    after = blq & (t > tmax)
    keep = np.ones(len(t), dtype=bool)
    c = c.copy()
    for mask, rule, where in (
        (before, settings.blq_before_tmax, "before"),
        (after, settings.blq_after_tmax, "after"),
    ):
        if not mask.any():
            continue
        shown = ", ".join(f"{x:g}" for x in t[mask])
        if rule == "zero":
            c[mask] = 0.0
        else:
            keep &= ~mask
        notes.append(
            f"BLQ {where} Tmax at t = {shown} h: {'set to 0' if rule == 'zero' else 'excluded'}"
        )
    return t[keep], c[keep]


def _none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _analyse_profile(p: Profile, settings: NcaSettings, vfactor: float) -> SubjectNca:
    notes: list[str] = []
    if p.missing:
        notes.append(
            "missing concentration at t = "
            + ", ".join(f"{x:g}" for x in p.missing)
            + " h: excluded"
        )
    t, c = _apply_blq(p, settings, notes)
    values: dict[str, Any] = dict.fromkeys(f.name for f in SubjectNca.__dataclass_fields__.values())
    values.update(
        subject=p.subject, route=p.route, dose=p.dose, duration=p.duration, n_samples=len(t)
    )
    positive = np.where(c > 0)[0]
    if len(positive) == 0:
        notes.append("no measurable concentration: nothing estimable")
        values["notes"] = tuple(notes)
        return SubjectNca(**values)
    imax = int(np.argmax(c))
    ilast = int(positive[-1])
    cmax, tmax = float(c[imax]), float(t[imax])
    clast, tlast = float(c[ilast]), float(t[ilast])
    values.update(cmax=cmax, tmax=tmax, clast=clast, tlast=tlast)

    # the profile integrated from the dose at t = 0
    ta, ca = t, c
    c0: float | None = None
    if p.route == "iv bolus":
        if len(t) and t[0] == 0 and c[0] > 0:
            c0 = float(c[0])
        else:
            obs = np.where((t > 0) & (c > 0))[0]
            t1, c1 = float(t[obs[0]]), float(c[obs[0]])
            if len(obs) > 1 and c[obs[1]] < c1:
                t2, c2 = float(t[obs[1]]), float(c[obs[1]])
                c0 = math.exp(math.log(c1) - (math.log(c2) - math.log(c1)) / (t2 - t1) * t1)
                notes.append(f"C0 back-extrapolated from t = {t1:g} and {t2:g} h")
            else:
                c0 = c1
                notes.append(f"C0 set to the first measured concentration (t = {t1:g} h)")
            drop = t > 0
            ta, ca = np.concatenate([[0.0], t[drop]]), np.concatenate([[c0], c[drop]])
        values["c0"] = c0
    elif t[0] > 0:
        ta, ca = np.concatenate([[0.0], t]), np.concatenate([[0.0], c])
        notes.append("no sample at t = 0: C = 0 assumed at the dose")
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
        mrt_last=aumc_last / auc_last - half_dur if auc_last > 0 else None,
    )

    fit = _terminal_fit(p, t, c, imax, ilast, settings, notes)
    if fit is not None:
        lz = fit.lambda_z
        values.update(lambda_z=fit, half_life=fit.half_life)
        for tag, cl_end in (("obs", clast), ("pred", math.exp(fit.intercept - lz * tlast))):
            auc_inf = auc_last + cl_end / lz
            aumc_inf = aumc_last + cl_end * tlast / lz + cl_end / lz**2
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
    values["notes"] = tuple(notes)
    for k, v in values.items():
        if isinstance(v, float | np.floating):
            values[k] = _none(float(v))
    return SubjectNca(**values)


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
    else:
        start = imax if p.route == "iv bolus" else imax + 1
        fit = best_slope(
            t[start : ilast + 1],
            c[start : ilast + 1],
            min_points=settings.min_points,
            tolerance=settings.adj_r2_tolerance,
        )
        if fit is None:
            notes.append(
                f"lambda_z not estimable: no declining fit of >= {settings.min_points} points "
                f"{'from' if p.route == 'iv bolus' else 'after'} Tmax"
            )
            return None
    return LambdaZ(
        lambda_z=fit.lambda_z,
        intercept=fit.intercept,
        r2=fit.r2,
        adj_r2=fit.adj_r2,
        n_points=fit.n_points,
        t_lower=fit.t_lower,
        t_upper=fit.t_upper,
        manual=bool(manual),
    )


def nca(
    frame: pd.DataFrame,
    settings: NcaSettings | None = None,
    *,
    source: str,
    row_base: int = 2,
) -> NcaResult:
    """NCA of every subject in ``frame`` (cells as read from a file: text or numbers).

    ``row_base`` maps row positions to the file's line numbers for error messages.
    """
    settings = settings or NcaSettings()
    units, vfactor = derived_units(settings.conc_unit, settings.dose_unit)
    profiles = read_profiles(frame, source, row_base, settings.lloq)
    known = {p.subject for p in profiles}
    for subject, _, _ in settings.lambda_z_ranges:
        if subject not in known:
            raise InputError(
                f"lambda_z range given for subject {subject!r}, which is not in the table",
                file=source,
                field="lambda_z range",
            )
    subjects = tuple(_analyse_profile(p, settings, vfactor) for p in profiles)
    return NcaResult(source=source, settings=settings, subjects=subjects, units=units)
