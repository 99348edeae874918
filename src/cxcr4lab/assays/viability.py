"""MTT viability: blank subtraction, % of vehicle, IC50 and GI50, maximal effect.

The protocol (seeds: "Cell Viability Assay (MTT Assay)"): cells seeded in a 96-well plate,
24 h later the compound's serial dilutions (and a vehicle control with the same solvent) for
24/48/72 h; MTT 4 h; formazan dissolved in DMSO; absorbance at 570 nm. Analysis
(:mod:`.inhibition`):

1. controls: ``vehicle`` (cells + solvent) = 100 %, ``blank`` (medium, MTT and DMSO, no cells)
   = 0 %; so % of vehicle = 100 (A - mean blank) / (mean vehicle - mean blank) is the blank-
   subtracted absorbance relative to the vehicle; plate QC (Z', S/B, CV) from those wells;
2. a 4PL per compound (every well; replicate mean/SD/CV reported) of % viability against log10
   concentration, top and bottom free;
3. two potencies, which are not the same thing when the curve does not fall to 0 %:

   * **IC50** (relative IC50): the 4PL midpoint, half-way between the fitted top and bottom;
     profile-likelihood CI;
   * **GI50** (absolute IC50, as used here): the concentration at which the fitted curve gives
     50 % of the vehicle signal, log10 GI50 = log10 IC50 + log10((top - 50)/(50 - bottom))/hill;
     CI by the delta method on the log scale from the fit's covariance. Not defined when the
     curve never crosses 50 % (reported as a bound, "> highest tested"). (NCI-60's GI50 is
     relative to a time-zero plate; without one, 50 % of the vehicle is the usual meaning.)

4. maximal effect: fitted (100 - bottom, %) and observed (100 - the lowest mean % viability of
   a tested concentration);
5. a tidy table for combination analysis: compound, concentration_M, viability_pct, replicate.

A compound whose curve is not distinguishable from a flat line (F test) is flagged
``no_effect``: the expected result for balixafortide alone, which is not cytotoxic (seeds).
Absorbance must be non-negative and below the reader's ceiling (``saturation``, ~4 OD).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.inhibition import (
    ControlRoles,
    InhibitionCurve,
    InhibitionPlate,
    PlateSettings,
    analyse_inhibition,
    curve_potencies,
)
from cxcr4lab.assays.layout import Layout
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.readers import PlateData
from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "ASSAY",
    "ROLES",
    "Gi50",
    "ViabilityResult",
    "ViabilitySettings",
    "analyse",
    "gi50_of",
]

ASSAY = "cell viability (MTT)"
ROLES = ControlRoles(
    high=("vehicle", "max"),
    low=("blank",),
    high_label="vehicle (cells + solvent)",
    low_label="blank (no cells)",
)
_NM = 1e-9
_LN10 = math.log(10.0)
Bound = Literal["=", "<", ">"]


@dataclass(frozen=True)
class ViabilitySettings(Serial):
    """``plate``: QC thresholds, CI level, detector ceiling (``saturation``, absorbance units).
    ``cell_line`` and ``exposure_h`` describe the experiment (shown with the potencies)."""

    plate: PlateSettings
    cell_line: str = ""
    exposure_h: float | None = None

    def __post_init__(self) -> None:
        if self.exposure_h is not None and not (
            math.isfinite(self.exposure_h) and self.exposure_h > 0
        ):
            raise InputError(
                f"must be a positive time in h, got {quote(self.exposure_h)}", field="exposure_h"
            )


@dataclass(frozen=True)
class Gi50:
    """One compound's GI50 (mol/L; 50 % of the vehicle signal on the fitted curve) and effects.

    ``bound`` is ``>``/``<`` when the curve crosses 50 % outside the tested range (value = that
    end of the range) or never (``>``, value = the highest concentration); then no CI.
    """

    compound: str
    gi50_molar: float | None
    gi50_lower_molar: float | None
    gi50_upper_molar: float | None
    bound: Bound
    max_effect_fitted_pct: float
    max_effect_observed_pct: float
    viability_at_top_pct: float
    note: str

    def display(self) -> tuple[str, str]:
        """(GI50, CI) in nM as people should read them: bounds shown as bounds."""
        if self.gi50_molar is None:
            return "not determined", "—"
        value = f"{self.gi50_molar / _NM:.3g}"
        if self.bound != "=":
            return f"{self.bound} {value}", "—"
        if self.gi50_lower_molar is None or self.gi50_upper_molar is None:
            return value, "n/a"
        return value, f"{self.gi50_lower_molar / _NM:.3g} – {self.gi50_upper_molar / _NM:.3g}"


@dataclass(frozen=True)
class ViabilityResult(Serial):
    """One MTT plate analysed (frozen; ``to_dict``/``from_dict`` round-trip exactly)."""

    kind: ClassVar[str] = "viability"

    plate: str
    block: str
    settings: ViabilitySettings
    analysis: InhibitionPlate
    gi50: tuple[Gi50, ...]

    @property
    def plate_wells(self) -> int:
        return self.analysis.plate_wells

    @property
    def curves(self) -> tuple[InhibitionCurve, ...]:
        return self.analysis.curves

    def curve(self, compound: str) -> InhibitionCurve:
        return self.analysis.curve(compound)

    def gi50_of(self, compound: str) -> Gi50:
        for g in self.gi50:
            if g.compound.lower() == compound.lower():
                return g
        raise KeyError(f"no GI50 for {quote(compound)}")

    def summary(self) -> pd.DataFrame:
        """One row per compound: IC50 (4PL midpoint) and GI50 (50 % of vehicle) in nM with CIs,
        slope, plateaus, fitted and observed maximal effect, flags."""
        table = self.analysis.summary().drop(
            columns=["kb_nM", "kb_lower_nM", "kb_upper_nM", "max_inhibition_pct"]
        )
        g = {x.compound: x for x in self.gi50}
        table.insert(5, "gi50_nM", [_nm(g[c].gi50_molar) for c in table["compound"]])
        table.insert(6, "gi50_bound", [g[c].bound for c in table["compound"]])
        table.insert(7, "gi50_lower_nM", [_nm(g[c].gi50_lower_molar) for c in table["compound"]])
        table.insert(8, "gi50_upper_nM", [_nm(g[c].gi50_upper_molar) for c in table["compound"]])
        table["max_effect_fitted_pct"] = [g[c].max_effect_fitted_pct for c in table["compound"]]
        table["max_effect_observed_pct"] = [g[c].max_effect_observed_pct for c in table["compound"]]
        table["viability_at_top_pct"] = [g[c].viability_at_top_pct for c in table["compound"]]
        return table

    def wells_table(self) -> pd.DataFrame:
        table = self.analysis.wells_table().rename(columns={"response_pct": "viability_pct"})
        return table.drop(columns=["inhibition_pct"])

    def replicate_table(self) -> pd.DataFrame:
        return self.analysis.replicate_table()

    def combination_table(self) -> pd.DataFrame:
        """Tidy, ready for combination analysis: compound, concentration_M, viability_pct (% of
        vehicle, blank-subtracted), replicate (1.. within compound and concentration), well.
        Vehicle wells are rows of compound ``vehicle`` at 0 M; masked wells are left out."""
        rows = []
        counter: dict[tuple[str, float], int] = {}
        for w in self.analysis.wells:
            if w.excluded is not None or w.response_pct is None:
                continue
            if w.role == "sample" and w.compound is not None and w.conc_molar is not None:
                key = (w.compound, w.conc_molar)
            elif w.role in ROLES.high:
                key = ("vehicle", 0.0)
            else:
                continue
            counter[key] = counter.get(key, 0) + 1
            rows.append(
                {
                    "compound": key[0],
                    "concentration_M": key[1],
                    "viability_pct": w.response_pct,
                    "replicate": counter[key],
                    "well": w.well,
                }
            )
        table = pd.DataFrame(rows)
        return table.sort_values(["compound", "concentration_M", "replicate"], kind="stable")

    def potencies(self, source: str = "") -> list[Potency]:
        """IC50 (4PL midpoint) and GI50 per active compound; nothing for a flat curve."""
        s = self.settings
        system = "MTT absorbance"
        if s.cell_line:
            system += f", {s.cell_line}"
        if s.exposure_h is not None:
            system += f", {s.exposure_h:g} h"
        out: list[Potency] = []
        for c in self.curves:
            found = curve_potencies(c, assay=ASSAY, system=system, source=source or self.plate)
            out.extend(found)
            g = self.gi50_of(c.compound)
            if found and g.gi50_molar is not None:
                out.append(
                    Potency(
                        compound=c.compound,
                        assay=ASSAY,
                        parameter="GI50",
                        value_molar=g.gi50_molar,
                        lower_molar=g.gi50_lower_molar,
                        upper_molar=g.gi50_upper_molar,
                        bound=g.bound,
                        system=system,
                        source=source or self.plate,
                        flags=c.flags,
                    )
                )
        return out


def _nm(v: float | None) -> float | None:
    return None if v is None else v / _NM


def gi50_of(curve: InhibitionCurve, plate: InhibitionPlate, alpha: float = 0.05) -> Gi50:
    """The GI50 of a fitted viability curve (see the module docstring) and its effects."""
    fit = curve.fit
    p = fit.params
    bottom, top, log_ic50, hill = p["bottom"], p["top"], p["log10_ic50"], p["hill"]
    means: dict[float, list[float]] = {}
    for w in plate.wells:
        if (
            w.role == "sample"
            and w.compound == curve.compound
            and w.excluded is None
            and w.conc_molar is not None
            and w.response_pct is not None
        ):
            means.setdefault(w.conc_molar, []).append(w.response_pct)
    by_conc = {c: float(np.mean(v)) for c, v in means.items()}
    lowest = min(by_conc.values())
    at_top = by_conc[max(by_conc)]
    effects = {
        "max_effect_fitted_pct": float(100.0 - bottom),
        "max_effect_observed_pct": float(100.0 - lowest),
        "viability_at_top_pct": at_top,
    }
    if "no_effect" in curve.flags or "not_converged" in curve.flags:
        why = "no effect" if "no_effect" in curve.flags else "the fit did not converge"
        return Gi50(
            curve.compound, None, None, None, "=", **effects, note=f"not determined ({why})"
        )
    ratio = (top - 50.0) / (50.0 - bottom) if bottom != 50.0 else -1.0
    if ratio <= 0 or hill == 0:
        return Gi50(
            curve.compound,
            curve.conc_max_molar,
            None,
            None,
            ">",
            **effects,
            note="the fitted curve does not cross 50 % of the vehicle",
        )
    log_gi50 = log_ic50 + math.log10(ratio) / hill
    if log_gi50 > fit.x_max or log_gi50 < fit.x_min:
        above = log_gi50 > fit.x_max
        return Gi50(
            curve.compound,
            curve.conc_max_molar if above else curve.conc_min_molar,
            None,
            None,
            ">" if above else "<",
            **effects,
            note="50 % of the vehicle is reached outside the tested range",
        )
    lo = hi = None
    t = fit.t_critical(alpha)
    if fit.covariance is not None and t is not None and all(fit.free):
        grad = np.array(
            [
                1.0 / (_LN10 * hill * (50.0 - bottom)),  # d/d bottom
                1.0 / (_LN10 * hill * (top - 50.0)),  # d/d top
                1.0,  # d/d log10 IC50
                -math.log10(ratio) / hill**2,  # d/d hill
            ]
        )
        se = math.sqrt(max(float(grad @ np.asarray(fit.covariance) @ grad), 0.0))
        lo, hi = float(10 ** (log_gi50 - t * se)), float(10 ** (log_gi50 + t * se))
    return Gi50(
        curve.compound,
        float(10**log_gi50),
        lo,
        hi,
        "=",
        **effects,
        note="50 % of the vehicle signal on the fitted curve; CI by the delta method (log scale)",
    )


def analyse(plate: PlateData, layout: Layout, settings: ViabilitySettings) -> ViabilityResult:
    """Analyse one MTT plate read by :func:`~cxcr4lab.assays.readers.read_plate`."""
    values = dict(zip(plate.table["well"], plate.table["signal"].astype(float), strict=True))
    analysis = analyse_inhibition(
        values,
        layout,
        settings.plate,
        plate_format=plate.format,
        place=plate.place(),
        roles=ROLES,
        assay="MTT viability",
    )
    gi50 = tuple(gi50_of(c, analysis, settings.plate.alpha) for c in analysis.curves)
    return ViabilityResult(plate.source, plate.block, settings, analysis, gi50)
