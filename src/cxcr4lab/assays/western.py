"""pERK / pAKT western blot densitometry: normalised band ratios -> IC50 per blot and combined.

The protocol (seeds: "pERK/pAKT Signaling Assay (Western Blotting)", "pERK/pAKT Signaling
Inhibition Assay (Western Blot)"): Namalwa or Jurkat cells pre-treated with the antagonist, then
CXCL12 (~100 ng/mL, 5-15 min: the phosphorylation is transient); lysis, equal protein loaded,
SDS-PAGE, PVDF, antibodies against pERK and pAKT and against total ERK/AKT or a housekeeping
protein (GAPDH); chemiluminescence; band densitometry.

Input: a tidy table, one row per band: ``blot, lane, target, intensity, compound,
concentration`` (optional ``role``: stimulated / unstimulated / sample; optional ``saturated``:
the imager's flag of saturated pixels). Lanes without a ``role`` are read from ``compound``:
``vehicle`` (or DMSO) = the CXCL12-stimulated vehicle lane, ``unstimulated`` (or "no CXCL12",
basal) = the unstimulated lane, anything else = a sample at its concentration.

Per lane and phospho target (``pERK``, ``p-AKT``, ``phospho-ERK`` ...):

1. ratio = phospho / normaliser, the normaliser being the total protein (``ERK`` for ``pERK``;
   ``normalise_to = "total"``) or the loading control (``loading_control``, e.g. GAPDH);
2. response = 100 (ratio - unstimulated) / (stimulated vehicle - unstimulated), i.e. % of the
   CXCL12-induced phosphorylation, with the means of the blot's vehicle and unstimulated lanes;
   without an unstimulated lane, 100 ratio / vehicle (% of the stimulated vehicle);
3. per blot, a 4PL of the response against log10 concentration (the vehicle lanes at zero dose,
   x = -inf, on the top plateau), IC50 with its profile-likelihood CI, when the blot has at
   least 4 concentrations;
4. combined over the blots: one curve with a shared log10 IC50 and Hill slope and a bottom and
   top per blot (blot-level offsets absorb exposure and transfer differences),
   ``fit_global(FOUR_PL, {blot: (x, y)}, shared=["log10_ic50", "hill"])``, IC50 with its
   profile-likelihood CI; "no effect" by an F test against a flat line per blot.

Intensities are background-subtracted band volumes: negative values, saturated bands, a blot
without a stimulated vehicle lane, a lane/target given twice, a phospho band without its
normaliser, all give an error naming the file, row or blot and lane.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import asdict, dataclass, field
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.tabular import Table, text_column
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.tables import numeric_column, require_columns, require_unique
from cxcr4lab.core.units import to_molar
from cxcr4lab.fit import (
    FOUR_PL,
    FitResult,
    FitThresholds,
    fit_curve,
    fit_global,
    hill_flags,
    potency_flags,
)

__all__ = [
    "ASSAY",
    "BlotCurve",
    "BlotOffset",
    "CombinedCurve",
    "LaneRatio",
    "WesternResult",
    "WesternSettings",
    "analyse",
    "phospho_base",
]

ASSAY = "pERK / pAKT inhibition (western blot)"
"""The assay's name in potency tables (as in the published values)."""

_NM = 1e-9
Role = Literal["stimulated", "unstimulated", "sample"]
_STIMULATED = {"vehicle", "dmso", "cxcl12", "cxcl12 + vehicle", "stimulated", "vehicle + cxcl12"}
_UNSTIMULATED = {"unstimulated", "no cxcl12", "no_cxcl12", "basal", "none", "untreated"}
_TRUE = {"yes", "y", "true", "1", "x", "saturated"}
_PHOSPHO = re.compile(r"^(?:p-?|phospho-?)(?=[A-Z0-9])(.+)$|^(?i:phospho)[-_ ]?(.+)$")


def phospho_base(target: str) -> str | None:
    """``"pERK"`` -> ``"ERK"``, ``"p-AKT"`` -> ``"AKT"``, ``"phospho-ERK1/2"`` -> ``"ERK1/2"``;
    None for a target that is not a phospho-protein (``"ERK"``, ``"GAPDH"``, ``"PTEN"``)."""
    m = _PHOSPHO.match(target.strip())
    if m is None:
        return None
    return (m.group(1) or m.group(2)).strip()


@dataclass(frozen=True)
class WesternSettings(Serial):
    """``normalise_to``: the phospho band over its ``total`` protein or over the
    ``loading`` control named ``loading_control``. ``floor``: subtract the unstimulated lanes
    (when present). ``agonist_molar``: CXCL12 concentration (for the record)."""

    normalise_to: Literal["total", "loading"] = "total"
    loading_control: str = "GAPDH"
    floor: bool = True
    agonist_molar: float | None = None
    agonist: str = "CXCL12"
    cell_line: str = ""
    alpha: float = 0.05
    flags: FitThresholds = field(default_factory=FitThresholds)

    def __post_init__(self) -> None:
        if self.normalise_to not in ("total", "loading"):
            raise InputError(
                f"must be 'total' or 'loading', got {quote(self.normalise_to)}",
                field="normalise_to",
            )
        if not 0 < self.alpha < 1:
            raise InputError(f"must be between 0 and 1, got {quote(self.alpha)}", field="alpha")
        if self.agonist_molar is not None and not self.agonist_molar > 0:
            raise InputError(
                f"must be positive, got {quote(self.agonist_molar)}", field="agonist_molar"
            )


@dataclass(frozen=True)
class LaneRatio:
    """One lane and phospho target: intensities, ratio and response (% of the CXCL12-induced
    signal, or of the stimulated vehicle without an unstimulated lane)."""

    blot: str
    lane: str
    role: str
    compound: str | None
    conc_molar: float | None
    target: str
    normaliser: str
    phospho: float
    normaliser_intensity: float
    ratio: float
    response_pct: float


@dataclass(frozen=True)
class BlotCurve(Serial):
    """One blot's own 4PL (target, compound); concentrations in mol/L."""

    target: str
    compound: str
    blot: str
    fit: FitResult
    ic50_molar: float
    ic50_lower_molar: float | None
    ic50_upper_molar: float | None
    conc_min_molar: float
    conc_max_molar: float
    no_effect_p: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class BlotOffset:
    """A blot's own plateaus in the combined fit (% units)."""

    blot: str
    bottom: float
    top: float


@dataclass(frozen=True)
class CombinedCurve(Serial):
    """The curve shared by several blots: log10 IC50 and Hill common, bottom/top per blot.
    ``fit`` is the joint fit (its parameters ``log10_ic50``, ``hill``, ``bottom[blot]``, ...)."""

    target: str
    compound: str
    blots: tuple[str, ...]
    fit: FitResult
    ic50_molar: float
    ic50_lower_molar: float | None
    ic50_upper_molar: float | None
    hill: float
    offsets: tuple[BlotOffset, ...]
    conc_min_molar: float
    conc_max_molar: float
    no_effect_p: float | None
    flags: tuple[str, ...]

    def predict(self, blot: str, log10_conc: np.ndarray) -> np.ndarray:
        """The shared curve with ``blot``'s plateaus, at log10 concentrations (mol/L)."""
        off = next(o for o in self.offsets if o.blot == blot)
        p = np.array([off.bottom, off.top, math.log10(self.ic50_molar), self.hill])
        return FOUR_PL.f(np.asarray(log10_conc, dtype=float), p)


@dataclass(frozen=True)
class WesternResult(Serial):
    """A set of western blots analysed (frozen; ``to_dict``/``from_dict`` round-trip)."""

    kind: ClassVar[str] = "western"

    source: str
    settings: WesternSettings
    lanes: tuple[LaneRatio, ...]
    blot_curves: tuple[BlotCurve, ...]
    combined: tuple[CombinedCurve, ...]
    notes: tuple[str, ...]

    @property
    def blots(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(lane.blot for lane in self.lanes))

    def combined_curve(self, target: str, compound: str) -> CombinedCurve:
        for c in self.combined:
            if c.target.lower() == target.lower() and c.compound.lower() == compound.lower():
                return c
        raise KeyError(f"no combined curve for {quote(target)} / {quote(compound)}")

    def blot_curve(self, target: str, compound: str, blot: str) -> BlotCurve:
        for c in self.blot_curves:
            if (c.target.lower(), c.compound.lower(), c.blot) == (
                target.lower(),
                compound.lower(),
                blot,
            ):
                return c
        raise KeyError(f"no curve for {quote(target)} / {quote(compound)} on blot {quote(blot)}")

    def summary(self) -> pd.DataFrame:
        """One row per target, compound and fit (each blot, then ``combined``): IC50 in nM
        with its CI, Hill, plateaus, flags."""
        rows = []
        for c in self.combined:
            for b in (
                x for x in self.blot_curves if (x.target, x.compound) == (c.target, c.compound)
            ):
                p = b.fit.params
                rows.append(
                    {
                        "target": b.target,
                        "compound": b.compound,
                        "fit": f"blot {b.blot}",
                        "n_points": b.fit.n,
                        "ic50_nM": b.ic50_molar / _NM,
                        "ic50_lower_nM": _nm(b.ic50_lower_molar),
                        "ic50_upper_nM": _nm(b.ic50_upper_molar),
                        "hill": p["hill"],
                        "bottom_pct": p["bottom"],
                        "top_pct": p["top"],
                        "flags": ",".join(b.flags),
                    }
                )
            rows.append(
                {
                    "target": c.target,
                    "compound": c.compound,
                    "fit": f"combined ({len(c.blots)} blots)",
                    "n_points": c.fit.n,
                    "ic50_nM": c.ic50_molar / _NM,
                    "ic50_lower_nM": _nm(c.ic50_lower_molar),
                    "ic50_upper_nM": _nm(c.ic50_upper_molar),
                    "hill": c.hill,
                    "bottom_pct": float(np.mean([o.bottom for o in c.offsets])),
                    "top_pct": float(np.mean([o.top for o in c.offsets])),
                    "flags": ",".join(c.flags),
                }
            )
        return pd.DataFrame(rows)

    def lanes_table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(lane) for lane in self.lanes])

    def potencies(self, source: str = "") -> list[Potency]:
        """The combined IC50 per phospho target and compound (bounds when outside the range)."""
        s = self.settings
        out = []
        for c in self.combined:
            if {"no_effect", "not_converged"} & set(c.flags):
                continue
            system = ", ".join(
                x
                for x in (
                    c.target,
                    s.cell_line,
                    ""
                    if s.agonist_molar is None
                    else f"{s.agonist} {s.agonist_molar / _NM:.3g} nM",
                    f"{len(c.blots)} blot(s), shared curve",
                )
                if x
            )
            bound: Literal["=", "<", ">"] = "="
            value, lo, hi = c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar
            if "outside_range" in c.flags:
                bound = ">" if value > c.conc_max_molar else "<"
                value = c.conc_max_molar if bound == ">" else c.conc_min_molar
                lo = hi = None
            out.append(
                Potency(
                    compound=c.compound,
                    assay=ASSAY,
                    parameter="IC50",
                    value_molar=value,
                    lower_molar=lo,
                    upper_molar=hi,
                    bound=bound,
                    system=system,
                    source=source or self.source,
                    flags=c.flags,
                )
            )
        return out


def _nm(v: float | None) -> float | None:
    return None if v is None else v / _NM


# --- reading the band table --------------------------------------------------------------------


@dataclass(frozen=True)
class _Lane:
    blot: str
    lane: str
    role: Role
    compound: str | None
    conc_molar: float | None
    row: int
    bands: dict[str, float]


def _role(text: str | None, compound: str | None, where: Place) -> Role:
    if text is not None:
        t = text.strip().lower()
        if t in ("stimulated", "vehicle", "max"):
            return "stimulated"
        if t in ("unstimulated", "no_agonist", "basal", "min"):
            return "unstimulated"
        if t in ("sample", "compound"):
            return "sample"
        raise InputError(
            f"unknown role {quote(text)}; roles: stimulated, unstimulated, sample", place=where
        )
    name = (compound or "").strip().lower()
    if name in _STIMULATED:
        return "stimulated"
    if name in _UNSTIMULATED:
        return "unstimulated"
    return "sample"


def _lanes(table: Table, settings: WesternSettings) -> list[_Lane]:
    df = table.frame
    place = table.place()
    require_columns(
        df, ["blot", "lane", "target", "intensity", "compound", "concentration"], place=place
    )
    blots = text_column(table, "blot")
    lanes = text_column(table, "lane")
    targets = text_column(table, "target")
    compounds = text_column(table, "compound", required=False)
    concs = text_column(table, "concentration", required=False)
    units = text_column(table, "conc_unit", required=False) if "conc_unit" in df else None
    roles = text_column(table, "role", required=False) if "role" in df else None
    saturated = text_column(table, "saturated", required=False) if "saturated" in df else None
    intensity = numeric_column(
        df, "intensity", place=place, nonnegative=True, row_base=table.row_base
    )
    keyed = pd.DataFrame(
        {"blot": blots, "lane": lanes, "target": [str(t).lower() for t in targets]}
    )
    require_unique(keyed, ["blot", "lane", "target"], place=place, row_base=table.row_base)
    out: dict[tuple[str, str], _Lane] = {}
    for i in range(len(df)):
        row = table.line(i)
        blot, lane, target = str(blots[i]), str(lanes[i]), str(targets[i])
        if saturated is not None and (saturated[i] or "").strip().lower() in _TRUE:
            raise InputError(
                f"the {target} band of blot {blot}, lane {lane} has saturated pixels: its "
                "intensity is only a lower bound; re-image with a shorter exposure",
                place=place,
                row=row,
                column="saturated",
            )
        where = Place(file=table.source, row=row, column="concentration")
        compound = compounds[i]
        role = _role(None if roles is None else roles[i], compound, where)
        conc: float | None = None
        if concs[i] is not None:
            unit = None if units is None else units[i]
            text: str | float = concs[i] or ""
            with contextlib.suppress(ValueError):
                text = float(text)
            if isinstance(text, float) and text == 0:
                conc = 0.0
            else:
                if isinstance(text, float) and unit is None:
                    raise InputError(
                        f"concentration {concs[i]} has no unit: write e.g. '10 nM' or add a "
                        "conc_unit column",
                        place=where,
                    )
                conc = to_molar(text, unit, place=where)
        if role == "sample":
            if compound is None:
                raise InputError("sample lane has no compound", place=place, row=row)
            if conc is None or conc <= 0:
                raise InputError(
                    f"lane {lane} of blot {blot} ({compound}) needs a concentration > 0 (name "
                    "the stimulated vehicle lane 'vehicle' and the unstimulated lane "
                    "'unstimulated', or give a role column)",
                    place=where,
                )
        else:
            conc = None
        key = (blot, lane)
        if key not in out:
            out[key] = _Lane(blot, lane, role, compound, conc, row, {})
        first = out[key]
        if (first.role, first.compound, first.conc_molar) != (role, compound, conc):
            raise InputError(
                f"blot {blot}, lane {lane}: compound/concentration differ from row {first.row} "
                "of the same lane",
                place=place,
                row=row,
            )
        first.bands[target] = float(intensity[i])
    return list(out.values())


def _ratios(lanes: list[_Lane], settings: WesternSettings, source: str) -> list[LaneRatio]:
    all_targets = {t for lane in lanes for t in lane.bands}
    lower = {t.lower(): t for t in all_targets}
    phospho = sorted(t for t in all_targets if phospho_base(t) is not None)
    if not phospho:
        raise InputError(
            f"no phospho target among {', '.join(sorted(all_targets))} (names like pERK, p-AKT, "
            "phospho-ERK)",
            file=source,
            column="target",
        )
    norm_of: dict[str, str] = {}
    for t in phospho:
        if settings.normalise_to == "total":
            base = str(phospho_base(t))
            if base.lower() not in lower:
                raise InputError(
                    f"no total {base} bands to normalise {t} to (or use normalise_to='loading' "
                    f"with {settings.loading_control})",
                    file=source,
                    column="target",
                )
            norm_of[t] = lower[base.lower()]
        else:
            if settings.loading_control.lower() not in lower:
                raise InputError(
                    f"no {settings.loading_control} (loading control) bands",
                    file=source,
                    column="target",
                )
            norm_of[t] = lower[settings.loading_control.lower()]
    by_blot: dict[str, list[_Lane]] = {}
    for lane in lanes:
        by_blot.setdefault(lane.blot, []).append(lane)
    out: list[LaneRatio] = []
    for blot, blot_lanes in by_blot.items():
        if not any(x.role == "stimulated" for x in blot_lanes):
            raise InputError(
                f"blot {blot} has no CXCL12-stimulated vehicle lane (compound 'vehicle' or role "
                "'stimulated'); its bands cannot be normalised",
                file=source,
                field=f"blot {blot}",
            )
        for t in phospho:
            n = norm_of[t]
            ratio: dict[str, float] = {}
            for lane in blot_lanes:
                if t not in lane.bands:
                    continue
                where = Place(file=source, row=lane.row, field=f"blot {blot}, lane {lane.lane}")
                if n not in lane.bands:
                    raise InputError(f"{t} band without a {n} band to normalise it to", place=where)
                if lane.bands[n] <= 0:
                    raise InputError(
                        f"{n} intensity is 0: the ratio {t}/{n} is undefined", place=where
                    )
                ratio[lane.lane] = lane.bands[t] / lane.bands[n]
            stim = [ratio[x.lane] for x in blot_lanes if x.role == "stimulated" and x.lane in ratio]
            if not stim:
                raise InputError(
                    f"blot {blot} has no {t} band in its stimulated vehicle lane",
                    file=source,
                    field=f"blot {blot}",
                )
            unstim = [
                ratio[x.lane] for x in blot_lanes if x.role == "unstimulated" and x.lane in ratio
            ]
            hi = float(np.mean(stim))
            lo = float(np.mean(unstim)) if unstim and settings.floor else 0.0
            if hi <= lo:
                raise InputError(
                    f"{t}/{n} of the stimulated vehicle lane(s) ({hi:.4g}) is not above the "
                    f"unstimulated lane(s) ({lo:.4g}): CXCL12 did not stimulate on this blot",
                    file=source,
                    field=f"blot {blot}",
                )
            for lane in blot_lanes:
                if lane.lane not in ratio:
                    continue
                r = ratio[lane.lane]
                out.append(
                    LaneRatio(
                        blot=blot,
                        lane=lane.lane,
                        role=lane.role,
                        compound=lane.compound,
                        conc_molar=lane.conc_molar,
                        target=t,
                        normaliser=n,
                        phospho=lane.bands[t],
                        normaliser_intensity=lane.bands[n],
                        ratio=r,
                        response_pct=100.0 * (r - lo) / (hi - lo),
                    )
                )
    return out


# --- fitting -----------------------------------------------------------------------------------


def _points(
    lanes: list[LaneRatio], target: str, compound: str, blot: str
) -> tuple[np.ndarray, np.ndarray]:
    sel = [
        x
        for x in lanes
        if x.blot == blot
        and x.target == target
        and (x.role == "stimulated" or (x.role == "sample" and x.compound == compound))
    ]
    x = np.array(
        [-math.inf if s.role == "stimulated" else math.log10(s.conc_molar or 0.0) for s in sel]
    )
    return x, np.array([s.response_pct for s in sel])


def _flat_p(fit: FitResult, rss_flat: float, df_flat: int) -> float | None:
    """p of the extra-sum-of-squares F test of ``fit`` against flat lines (``rss_flat`` on
    ``df_flat`` degrees of freedom); zero doses (x = -inf) are allowed, unlike a fitted line."""
    from scipy import stats

    df_full = fit.dof
    if not fit.converged or df_full <= 0 or fit.rss <= 0 or df_flat <= df_full:
        return None
    f = ((rss_flat - fit.rss) / (df_flat - df_full)) / (fit.rss / df_full)
    return float(stats.f.sf(f, df_flat - df_full, df_full))


def _blot_curve(
    target: str,
    compound: str,
    blot: str,
    x: np.ndarray,
    y: np.ndarray,
    s: WesternSettings,
    source: str,
) -> BlotCurve:
    where = Place(file=source, curve=f"{target} {compound} blot {blot}")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        fit = fit_curve(FOUR_PL, x, y, profile=("log10_ic50",), alpha=s.alpha, place=where)
    p_flat = _flat_p(fit, float(np.sum((y - y.mean()) ** 2)), len(y) - 1)
    flags = potency_flags(fit, no_effect_p=p_flat, thresholds=s.flags, x=x)
    prof = fit.profile("log10_ic50")
    finite = 10 ** x[np.isfinite(x)]
    return BlotCurve(
        target=target,
        compound=compound,
        blot=blot,
        fit=fit,
        ic50_molar=float(10 ** fit.params["log10_ic50"]),
        ic50_lower_molar=None if prof is None or prof.lower is None else float(10**prof.lower),
        ic50_upper_molar=None if prof is None or prof.upper is None else float(10**prof.upper),
        conc_min_molar=float(finite.min()),
        conc_max_molar=float(finite.max()),
        no_effect_p=p_flat,
        flags=flags,
    )


def _combined(
    target: str,
    compound: str,
    data: dict[str, tuple[np.ndarray, np.ndarray]],
    s: WesternSettings,
    source: str,
) -> CombinedCurve:
    where = Place(file=source, curve=f"{target} {compound} (combined)")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        g = fit_global(
            FOUR_PL,
            data,
            shared=["log10_ic50", "hill"],
            profile=("log10_ic50",),
            alpha=s.alpha,
            place=where,
        )
    fit = g.fit
    log_ic50 = fit.params["log10_ic50"]
    finite = np.concatenate([10 ** x[np.isfinite(x)] for x, _ in data.values()])
    c_min, c_max = float(finite.min()), float(finite.max())
    prof = fit.profile("log10_ic50")
    lo = None if prof is None or prof.lower is None else prof.lower
    hi = None if prof is None or prof.upper is None else prof.upper
    # F test against a flat line per blot (the blots' means): is there an effect at all?
    rss_flat = float(sum(np.sum((y - y.mean()) ** 2) for _, y in data.values()))
    n = sum(len(y) for _, y in data.values())
    p_flat = _flat_p(fit, rss_flat, n - len(data))
    flags: list[str] = []
    if not fit.converged:
        flags.append("not_converged")
    else:
        if any(se is None for se, free in zip(fit.stderr, fit.free, strict=True) if free):
            flags.append("ambiguous")
        if not math.log10(c_min) <= log_ic50 <= math.log10(c_max):
            flags.append("outside_range")
        if lo is None or hi is None:
            flags.append("ci_unbounded")
        elif hi - lo > math.log10(s.flags.max_ci_ratio):
            flags.append("wide_ci")
        if p_flat is not None and p_flat >= s.flags.no_effect_alpha:
            flags.append("no_effect")
        flags.extend(hill_flags(fit.params["hill"], s.flags))
    return CombinedCurve(
        target=target,
        compound=compound,
        blots=tuple(data),
        fit=fit,
        ic50_molar=float(10**log_ic50),
        ic50_lower_molar=None if lo is None else float(10**lo),
        ic50_upper_molar=None if hi is None else float(10**hi),
        hill=float(fit.params["hill"]),
        offsets=tuple(
            BlotOffset(b, float(g.params(b)["bottom"]), float(g.params(b)["top"])) for b in data
        ),
        conc_min_molar=c_min,
        conc_max_molar=c_max,
        no_effect_p=p_flat,
        flags=tuple(flags),
    )


def analyse(table: Table, settings: WesternSettings) -> WesternResult:
    """Analyse a band table read by :func:`~cxcr4lab.assays.tabular.read_table_bytes`."""
    lanes = _lanes(table, settings)
    ratios = _ratios(lanes, settings, table.source)
    targets = list(dict.fromkeys(r.target for r in ratios))
    compounds = list(dict.fromkeys(r.compound for r in ratios if r.role == "sample" and r.compound))
    if not compounds:
        raise InputError("no sample lanes (a compound at a concentration > 0)", file=table.source)
    blots = list(dict.fromkeys(r.blot for r in ratios))
    blot_curves: list[BlotCurve] = []
    combined: list[CombinedCurve] = []
    notes: list[str] = []
    for target in targets:
        for compound in compounds:
            data: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            for blot in blots:
                x, y = _points(ratios, target, compound, blot)
                distinct = len(np.unique(x[np.isfinite(x)]))
                if distinct == 0:
                    continue
                data[blot] = (x, y)
                if distinct >= 4:
                    blot_curves.append(
                        _blot_curve(target, compound, blot, x, y, settings, table.source)
                    )
                else:
                    notes.append(
                        f"{target} {compound}, blot {blot}: {distinct} concentration(s), too few "
                        "for a curve of its own; used in the combined fit only"
                    )
            total = len(np.unique(np.concatenate([x[np.isfinite(x)] for x, _ in data.values()])))
            if total < 4:
                raise InputError(
                    f"{target} {compound}: {total} distinct concentration(s) over all blots; a "
                    "4-parameter curve needs at least 4",
                    file=table.source,
                )
            combined.append(_combined(target, compound, data, settings, table.source))
    return WesternResult(
        source=table.source,
        settings=settings,
        lanes=tuple(ratios),
        blot_curves=tuple(blot_curves),
        combined=tuple(combined),
        notes=tuple(notes),
    )
