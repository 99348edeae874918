"""Chemotaxis (Transwell / Boyden chamber): migrated cells -> chemotactic index, % inhibition, IC50.

The protocols (seeds: "Chemotaxis Assay", "Cell Migration Assay (Transwell Assay)", "Protocol
for In Vitro Chemotaxis Assay", "In Vitro Chemotaxis Assay (Boyden Chamber)"): CXCR4-expressing
cells (MDA-MB-231, Jurkat, Namalwa), serum-starved, pre-incubated 30-60 min with the antagonist,
seeded in the upper chamber; CXCL12 (e.g. 100 ng/mL) in the lower chamber, medium only in the
negative control; 4-24 h; migrated cells quantified in one of three ways (``readout``):

* ``counts``: cells counted in several microscope fields per insert (a tidy table ``well,
  field, count``); the insert's value is the mean count per field;
* ``absorbance``: crystal violet eluted from the membrane; the insert's value is its absorbance
  minus the mean of the ``blank`` wells (membranes stained without cells);
* ``fluorescence``: Calcein-AM-labelled cells in the lower chamber, turned into cell numbers by
  a standard curve on the same plate (role ``standard`` with a ``cells`` key: known numbers of
  labelled cells), fitted with :mod:`cxcr4lab.fit` (``linear`` by default, or ``4pl`` when the
  reader saturates gradually); cells = inverse of the curve. Samples above the highest standard
  are extrapolated (linear) and flagged.

Then (:mod:`.inhibition`): CXCL12 with vehicle (role ``max``) = 100 %, no CXCL12 in the lower
chamber (role ``no_agonist``: random migration) = 0 %, so % of control is the CXCL12-induced
(specific) migration and % inhibition = 100 - % of control; a 4PL per compound gives the IC50
with its profile-likelihood CI. The **chemotactic index** is migration / mean migration without
CXCL12 (for the CXCL12 + vehicle wells: the assay window; per concentration: what is left).
Kb is not computed unless the CXCL12 EC50 is given (chemotaxis curves of the agonist are
bell-shaped, so a plate curve of CXCL12 is not used for it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.inhibition import (
    ControlRoles,
    InhibitionCurve,
    InhibitionPlate,
    PlateSettings,
    analyse_inhibition,
    check_formats,
    check_signals,
    curve_potencies,
)
from cxcr4lab.assays.layout import Layout
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.readers import PlateData
from cxcr4lab.assays.tabular import Table
from cxcr4lab.assays.wells import normalise_well, well_position
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.tables import numeric_column, require_columns, require_unique
from cxcr4lab.fit import FitResult, fit_curve, get_model

__all__ = [
    "ASSAY",
    "ROLES",
    "ChemotaxisResult",
    "ChemotaxisSettings",
    "IndexCI",
    "InsertCounts",
    "InsertReadings",
    "MigrationWell",
    "StandardCurve",
    "analyse_counts",
    "analyse_plate",
    "fit_standard",
    "ratio_ci",
    "read_counted_inserts",
    "read_plate_inserts",
]

ASSAY = "chemotaxis (SDF-1 dependent)"
"""The assay's name in potency tables (as in the published values)."""

ROLES = ControlRoles(
    high=("max", "vehicle"),
    low=("no_agonist", "min"),
    high_label="max (CXCL12 + vehicle)",
    low_label="no CXCL12 (random migration)",
)
Readout = Literal["counts", "absorbance", "fluorescence"]
StandardModel = Literal["linear", "4pl"]
_MODEL_NAMES = {"linear": "linear", "4pl": "4pl_stim_lin"}
_UNITS = {
    "counts": "cells per field",
    "absorbance": "absorbance (OD, blank-subtracted)",
    "fluorescence": "cells (from the standard curve)",
}


@dataclass(frozen=True)
class ChemotaxisSettings(Serial):
    """``plate``: CXCL12 concentration (``agonist_molar``, for the record), CI level, QC limits,
    detector ceiling. ``readout``: counts, absorbance or fluorescence; ``standard_model``: the
    fluorescence standard curve, linear or 4pl."""

    plate: PlateSettings
    readout: Readout
    standard_model: StandardModel = "linear"
    cell_line: str = ""

    def __post_init__(self) -> None:
        if self.readout not in _UNITS:
            raise InputError(
                f"must be counts, absorbance or fluorescence, got {quote(self.readout)}",
                field="readout",
            )
        if self.standard_model not in _MODEL_NAMES:
            raise InputError(
                f"must be linear or 4pl, got {quote(self.standard_model)}", field="standard_model"
            )


@dataclass(frozen=True)
class StandardCurve(Serial):
    """Fluorescence against known numbers of labelled cells; ``fit`` in the model's terms
    (x = cells, y = fluorescence)."""

    model: str
    fit: FitResult
    wells: tuple[str, ...]
    cells: tuple[float, ...]
    signals: tuple[float, ...]
    r_squared: float

    @property
    def cells_max(self) -> float:
        return max(self.cells)

    def to_cells(self, signal: float) -> float:
        """Cells for one fluorescence reading (NaN where a 4PL cannot be inverted)."""
        p = self.fit.params
        if self.model == "linear":
            return (signal - p["intercept"]) / p["slope"]
        bottom, top, ec50, hill = p["bottom"], p["top"], p["ec50"], p["hill"]
        if signal <= bottom:
            return 0.0
        if signal >= top:
            return math.nan
        return float(ec50 * ((signal - bottom) / (top - signal)) ** (1.0 / hill))


@dataclass(frozen=True)
class InsertCounts:
    """Microscope counts of one insert: number of fields, mean and SD per field, total."""

    well: str
    fields: int
    mean_per_field: float
    sd_per_field: float | None
    total: int


@dataclass(frozen=True)
class MigrationWell:
    """One insert's raw reading (signal, or mean count per field), its migration in the result's
    unit, its chemotactic index (migration / mean without CXCL12) and flags."""

    well: str
    raw: float
    migration: float
    chemotactic_index: float | None
    above_standards: bool = False


@dataclass(frozen=True)
class IndexCI:
    """A ratio of the means of two groups of inserts (the chemotactic index: CXCL12 + vehicle /
    no CXCL12; the invasion index: coated / uncoated), 95% CI (delta method on the log ratio, t
    with n_high + n_low - 2 df; :func:`ratio_ci`)."""

    value: float | None
    lower: float | None
    upper: float | None
    n_high: int
    n_low: int


@dataclass(frozen=True)
class InsertReadings:
    """Every used insert's reading before any normalisation (what :func:`read_plate_inserts`
    and :func:`read_counted_inserts` give the chemotaxis and invasion analyses): ``raw`` as read
    (signal, or mean count per field), ``values`` the migrated cells in the readout's unit,
    ``above`` the inserts read beyond the highest standard; the blank mean, the standard curve
    and the microscope counts where the readout has them. Standard and blank wells are not
    inserts and are left out."""

    raw: Mapping[str, float]
    values: Mapping[str, float]
    above: frozenset[str]
    blank_mean: float | None
    standard: StandardCurve | None
    counts: tuple[InsertCounts, ...]
    source: str
    block: str
    place: Place
    plate_format: Any


@dataclass(frozen=True)
class ChemotaxisResult(Serial):
    """One chemotaxis experiment analysed (frozen; ``to_dict``/``from_dict`` round-trip)."""

    kind: ClassVar[str] = "chemotaxis"

    source: str
    block: str
    settings: ChemotaxisSettings
    unit: str
    blank_mean: float | None
    standard: StandardCurve | None
    counts: tuple[InsertCounts, ...]
    migration: tuple[MigrationWell, ...]
    index: IndexCI
    analysis: InhibitionPlate

    @property
    def plate_wells(self) -> int:
        return self.analysis.plate_wells

    @property
    def curves(self) -> tuple[InhibitionCurve, ...]:
        return self.analysis.curves

    def curve(self, compound: str) -> InhibitionCurve:
        return self.analysis.curve(compound)

    def summary(self) -> pd.DataFrame:
        """One row per compound: IC50 (nM) with 95% CI, slope, plateaus, maximal inhibition
        of CXCL12-induced migration, the chemotactic index left at the highest concentration."""
        table = self.analysis.summary().drop(columns=["kb_nM", "kb_lower_nM", "kb_upper_nM"])
        table.insert(1, "readout", self.settings.readout)
        left = self.index_table()
        top = {
            c: float(g.sort_values("conc_nM")["chemotactic_index"].iloc[-1])
            for c, g in left[left["role"] == "sample"].groupby("compound")
        }
        table["index_at_top"] = [top.get(c) for c in table["compound"]]
        return table

    def index_table(self) -> pd.DataFrame:
        """Per control and per compound concentration: n, mean migration, chemotactic index,
        mean % inhibition of CXCL12-induced migration."""
        mig = {m.well: m for m in self.migration}
        groups: dict[tuple[str, str, float | None], list[tuple[float, float | None, float]]] = {}
        for w in self.analysis.wells:
            if w.excluded is not None or w.response_pct is None or w.well not in mig:
                continue
            name = w.compound if w.role == "sample" and w.compound else w.role
            m = mig[w.well]
            groups.setdefault((w.role, name, w.conc_molar), []).append(
                (m.migration, m.chemotactic_index, 100.0 - w.response_pct)
            )
        rows = []
        for (role, name, conc), vals in groups.items():
            migration = np.array([v[0] for v in vals])
            idx = [v[1] for v in vals if v[1] is not None]
            rows.append(
                {
                    "role": role,
                    "compound": name,
                    "conc_nM": None if conc is None else conc / 1e-9,
                    "n": len(vals),
                    "mean_migration": float(migration.mean()),
                    "sd_migration": float(migration.std(ddof=1)) if len(vals) > 1 else None,
                    "chemotactic_index": float(np.mean(idx)) if idx else None,
                    "inhibition_pct": float(np.mean([v[2] for v in vals])),
                }
            )
        return pd.DataFrame(rows)

    def wells_table(self) -> pd.DataFrame:
        extra = pd.DataFrame([asdict(m) for m in self.migration])
        return self.analysis.wells_table().merge(extra, on="well", how="left")

    def replicate_table(self) -> pd.DataFrame:
        return self.analysis.replicate_table()

    def potencies(self, source: str = "") -> list[Potency]:
        s = self.settings
        system = ", ".join(
            x
            for x in (
                s.cell_line,
                f"Transwell, {s.readout}",
                ""
                if s.plate.agonist_molar is None
                else f"{s.plate.agonist} {s.plate.agonist_molar / 1e-9:.3g} nM",
            )
            if x
        )
        return [
            p
            for c in self.curves
            for p in curve_potencies(c, assay=ASSAY, system=system, source=source or self.source)
        ]


# --- the standard curve ----------------------------------------------------------------------


def fit_standard(
    wells: list[str],
    cells: list[float],
    signals: list[float],
    model: StandardModel,
    *,
    place: Place,
) -> StandardCurve:
    """Fit fluorescence against cells (``linear``, or a 4PL on a linear cell axis)."""
    levels = sorted(set(cells))
    need = 3 if model == "linear" else 5
    if len(levels) < need:
        raise InputError(
            f"{len(levels)} distinct standard level(s); a {model} standard curve needs at least "
            f"{need}",
            place=place,
            field="standard",
        )
    x, y = np.array(cells), np.array(signals)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fit = fit_curve(get_model(_MODEL_NAMES[model]), x, y, place=place)
    if not fit.converged:
        raise InputError(
            f"the {model} standard curve did not converge ({fit.message})",
            place=place,
            field="standard",
        )
    p = fit.params
    rising = p["slope"] > 0 if model == "linear" else (p["top"] - p["bottom"]) * p["hill"] > 0
    if not rising:
        raise InputError(
            "the standard curve does not rise with the number of cells; check the 'cells' "
            "values of the standard wells",
            place=place,
            field="standard",
        )
    sst = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - fit.rss / sst if sst > 0 else math.nan
    return StandardCurve(
        model=_MODEL_NAMES[model],
        fit=fit,
        wells=tuple(wells),
        cells=tuple(float(v) for v in cells),
        signals=tuple(float(v) for v in signals),
        r_squared=float(r2),
    )


# --- helpers -----------------------------------------------------------------------------------


def _roles(layout: Layout) -> dict[str, str]:
    used = layout.wells_used()
    return {
        str(w): str(r)
        for w, r, ex in zip(used["well"], used["role"], used["exclude"], strict=True)
        if not isinstance(ex, str)
    }


def _without(layout: Layout, roles: tuple[str, ...]) -> Layout:
    """The layout with wells of ``roles`` set to empty (they are used before the plate analysis)."""
    table = layout.table.copy()
    table.loc[table["role"].isin(roles), "role"] = "empty"
    return Layout(layout.source, layout.format, table, layout.experiment)


def ratio_ci(numerator: np.ndarray, denominator: np.ndarray, alpha: float) -> IndexCI:
    """Ratio of the means of two groups of inserts with its ``1 - alpha`` CI (delta method on
    the log ratio, t with n1 + n2 - 2 df); no value when a group is empty or its mean is not
    above zero, no CI with fewer than two inserts in a group."""
    from scipy.special import stdtrit

    high, low = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if len(high) == 0 or len(low) == 0 or low.mean() <= 0 or high.mean() <= 0:
        return IndexCI(None, None, None, len(high), len(low))
    ratio = float(high.mean() / low.mean())
    if len(high) < 2 or len(low) < 2:
        return IndexCI(ratio, None, None, len(high), len(low))
    var = high.var(ddof=1) / (len(high) * high.mean() ** 2) + low.var(ddof=1) / (
        len(low) * low.mean() ** 2
    )
    t = float(stdtrit(len(high) + len(low) - 2, 1 - alpha / 2))
    half = t * math.sqrt(var)
    return IndexCI(ratio, ratio * math.exp(-half), ratio * math.exp(half), len(high), len(low))


def _index_ci(values: Mapping[str, float], roles: dict[str, str], alpha: float) -> IndexCI:
    high = np.array([v for w, v in values.items() if roles.get(w) in ROLES.high])
    low = np.array([v for w, v in values.items() if roles.get(w) in ROLES.low])
    return ratio_ci(high, low, alpha)


def _finish(
    layout: Layout, settings: ChemotaxisSettings, readings: InsertReadings
) -> ChemotaxisResult:
    r = readings
    values, place = r.values, r.place
    analysis = analyse_inhibition(
        values,
        _without(layout, ("standard", "blank")),
        settings.plate,
        plate_format=r.plate_format,
        place=place,
        roles=ROLES,
        assay="chemotaxis",
        check_raw=False,
    )
    roles = _roles(layout)
    low = [v for w, v in values.items() if roles.get(w) in ROLES.low]
    low_mean = float(np.mean(low)) if low else math.nan
    migration = tuple(
        MigrationWell(
            well=w,
            raw=float(r.raw[w]),
            migration=float(values[w]),
            chemotactic_index=float(values[w] / low_mean) if low_mean > 0 else None,
            above_standards=w in r.above,
        )
        for w in sorted(values, key=well_position)
    )
    return ChemotaxisResult(
        source=r.source,
        block=r.block,
        settings=settings,
        unit=_UNITS[settings.readout],
        blank_mean=r.blank_mean,
        standard=r.standard,
        counts=r.counts,
        migration=migration,
        index=_index_ci(values, roles, settings.plate.alpha),
        analysis=analysis,
    )


# --- plate readouts (crystal violet absorbance, Calcein-AM fluorescence) -----------------------


def analyse_plate(
    plate: PlateData, layout: Layout, settings: ChemotaxisSettings
) -> ChemotaxisResult:
    """Analyse a crystal-violet (absorbance) or Calcein-AM (fluorescence) plate reading."""
    if settings.readout == "counts":
        raise InputError("counts are read from a table: use analyse_counts", field="readout")
    return _finish(layout, settings, read_plate_inserts(plate, layout, settings))


def read_plate_inserts(
    plate: PlateData, layout: Layout, settings: ChemotaxisSettings
) -> InsertReadings:
    """Migrated cells per insert of a crystal-violet (absorbance minus the blank mean) or
    Calcein-AM (cells from the standard curve) plate reading."""
    place = plate.place()
    check_formats(plate.format, layout, place)
    roles = _roles(layout)
    readings = dict(zip(plate.table["well"], plate.table["signal"].astype(float), strict=True))
    check_signals(readings, list(roles), settings.plate.saturation, place)
    for w in roles:
        if not math.isfinite(readings.get(w, math.nan)):
            raise InputError(f"no reading for this {roles[w]} well", place=plate.place(well=w))
    migrating = {w: readings[w] for w, r in roles.items() if r not in ("standard", "blank")}
    blanks = [readings[w] for w, r in roles.items() if r == "blank"]
    blank_mean = float(np.mean(blanks)) if blanks else None
    standard = None
    above: set[str] = set()
    if settings.readout == "absorbance":
        if blank_mean is None:
            raise InputError(
                "crystal-violet absorbance needs blank wells (role 'blank': membranes stained "
                "without cells) for the background",
                file=layout.source,
            )
        values = {w: v - blank_mean for w, v in migrating.items()}
    else:
        standard = _plate_standard(layout, readings, roles, settings, place)
        values = {}
        for w, v in migrating.items():
            cells = standard.to_cells(v)
            if math.isnan(cells):
                raise InputError(
                    f"fluorescence {v:.6g} is at or above the top of the 4PL standard curve; "
                    "the number of cells cannot be read (extend the standards)",
                    place=plate.place(well=w),
                )
            values[w] = cells
            if cells > standard.cells_max:
                above.add(w)
    return InsertReadings(
        raw=migrating,
        values=values,
        above=frozenset(above),
        blank_mean=blank_mean,
        standard=standard,
        counts=(),
        source=plate.source,
        block=plate.block,
        place=place,
        plate_format=plate.format,
    )


def _plate_standard(
    layout: Layout,
    readings: Mapping[str, float],
    roles: dict[str, str],
    settings: ChemotaxisSettings,
    place: Place,
) -> StandardCurve:
    wells = [w for w, r in roles.items() if r == "standard"]
    if not wells:
        raise InputError(
            "Calcein-AM fluorescence needs standard wells (role 'standard' with cells = the "
            "number of labelled cells) to turn fluorescence into cell numbers",
            file=layout.source,
        )
    if "cells" not in layout.table.columns:
        raise InputError(
            "standard wells need a 'cells' key (number of cells in the well)", file=layout.source
        )
    cells: list[float] = []
    for w in wells:
        v = layout.table.loc[layout.table["well"] == w, "cells"].iloc[0]
        try:
            n = float(v)
        except (TypeError, ValueError):
            n = math.nan
        if not (math.isfinite(n) and n >= 0):
            raise InputError(
                f"cells = {quote(v)} is not a number of cells >= 0",
                file=layout.source,
                well=w,
                column="cells",
            )
        cells.append(n)
    return fit_standard(
        wells,
        cells,
        [readings[w] for w in wells],
        settings.standard_model,
        place=Place(file=place.file, block=place.block, curve="standard curve"),
    )


# --- microscope counts ----------------------------------------------------------------------------


def analyse_counts(table: Table, layout: Layout, settings: ChemotaxisSettings) -> ChemotaxisResult:
    """Analyse microscope counts: a table with columns ``well``, ``count`` and (optionally)
    ``field``; one row per field counted (or one per insert)."""
    return _finish(layout, settings, read_counted_inserts(table, layout))


def read_counted_inserts(table: Table, layout: Layout) -> InsertReadings:
    """Mean count per field of every insert of the layout, from a table with columns ``well``,
    ``count`` and (optionally) ``field``; one row per field counted (or one per insert)."""
    place = table.place()
    df = table.frame
    require_columns(df, ["well", "count"], place=place)
    counts = numeric_column(df, "count", place=place, nonnegative=True, row_base=table.row_base)
    for i, v in enumerate(counts):
        if v != round(v):
            raise InputError(
                f"{v:g} is not a whole number of cells (give the count of each field)",
                place=place,
                row=table.line(i),
                column="count",
            )
    fmt = layout.format
    wells: list[str] = []
    for i, text in enumerate(df["well"].to_numpy()):
        where = Place(file=table.source, row=table.line(i), column="well")
        if not isinstance(text, str) or not text.strip():
            raise InputError("well is missing", place=where)
        w = normalise_well(text, place=where)
        row, col = well_position(w)
        if not fmt.contains(row, col):
            raise InputError(
                f"well {w} is not on the layout's {fmt.wells}-well plate ({layout.source})",
                place=where,
            )
        wells.append(w)
    fields = df["field"].to_numpy() if "field" in df.columns else np.ones(len(df))
    keyed = pd.DataFrame({"well": wells, "field": fields})
    require_unique(keyed, ["well", "field"], place=place, row_base=table.row_base)
    roles = _roles(layout)
    for i, w in enumerate(wells):
        if w not in roles:
            raise InputError(
                f"counts for well {w}, which the layout does not use",
                place=place,
                row=table.line(i),
            )
    per: dict[str, list[float]] = {}
    for w, n in zip(wells, counts, strict=True):
        per.setdefault(w, []).append(float(n))
    inserts = tuple(
        InsertCounts(
            well=w,
            fields=len(v),
            mean_per_field=float(np.mean(v)),
            sd_per_field=float(np.std(v, ddof=1)) if len(v) > 1 else None,
            total=int(sum(v)),
        )
        for w, v in sorted(per.items(), key=lambda kv: well_position(kv[0]))
    )
    values = {c.well: c.mean_per_field for c in inserts}
    for w, r in roles.items():
        if r in ("standard", "blank"):
            raise InputError(
                f"role {quote(r)} has no meaning for microscope counts", file=layout.source, well=w
            )
        if w not in values:
            raise InputError(f"no counts for this {r} insert", place=place, well=w)
    return InsertReadings(
        raw=values,
        values=values,
        above=frozenset(),
        blank_mean=None,
        standard=None,
        counts=inserts,
        source=table.source,
        block="counts",
        place=place,
        plate_format=fmt,
    )
