"""Colony-forming unit (CFU) assay of mobilized blood: progenitors per 10^5 MNC, per mL, per kg.

The protocol (seed: "Colony-Forming Unit (CFU) Assay", after balixafortide mobilizes CD34+
HSPCs): mononuclear cells (MNC) of mobilized blood or of an apheresis product are isolated by
density gradient, a known number is plated per dish in cytokine-supplemented methylcellulose,
incubated ~14 days (37 °C, 5% CO2), and colonies are counted by type: BFU-E (erythroid),
CFU-GM (granulocyte-macrophage), CFU-GEMM (mixed), and their total. From the colonies ``C``
counted on the dishes of one sample, and the MNC ``N`` plated on them:

    colonies per 10^5 MNC    = 1e5 x C / N
    colonies per mL blood    = C / N x MNC per mL of blood          (given per sample)
    colonies per kg (product) = C / N x total MNC of the product / body weight (kg)

MNC per mL, total MNC and body weight are taken as known (their own error is not carried).

**CIs per sample.** Exact Poisson (Garwood 1936: chi-square quantiles, R's ``poisson.test``)
unless the dishes are overdispersed: per colony type, the index of dispersion of the dishes
around their sample's rate, ``X2 = sum (y - E)^2 / E`` (``E`` = dish MNC x sample rate) pooled
over the samples on ``sum (dishes - 1)`` df (Fisher's test). With ``model="auto"`` a type whose
test gives p < 0.05 gets negative-binomial (NB2) CIs instead: one dispersion ``alpha`` shared
by the samples of that type (2-3 dishes cannot estimate their own), fitted by maximum
likelihood on the dishes (``colonies ~ 0 + sample + offset(log MNC)``, R's ``MASS::glm.nb``),
Wald CIs on the log scale.

**Regimens compared** per colony type on one row per sample (colonies summed over dishes; the
donor, not the dish, is the unit): a Poisson GLM and a negative-binomial GLM (ML ``theta``,
R's ``glm.nb``) of ``colonies ~ regimen + offset(log MNC plated)``, each regimen's rate ratio
to the reference with Wald 95% CI and p. With ``model="auto"`` the NB model is the one
reported when the Poisson fit is overdispersed (Pearson X2 on its residual df, p < 0.05;
donor-to-donor variation nearly always makes it so), else the Poisson one.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.tabular import Table, text_column
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.tables import numeric_column, require_nonempty, require_unique

__all__ = [
    "COLONY_TYPES",
    "CfuResult",
    "CfuSettings",
    "ModelFit",
    "RateRatio",
    "RegimenRate",
    "SampleEstimate",
    "TypeDispersion",
    "analyse",
    "colony_type",
    "poisson_ci",
]

COLONY_TYPES = ("BFU-E", "CFU-GM", "CFU-GEMM", "total")
"""The colony types, in the order shown; ``total`` is given or the sum of the others."""

PER = 1e5
"""Rates are colonies per 10^5 MNC plated."""

Model = Literal["poisson", "negbin"]
TotalSource = Literal["given", "sum of types", "given and summed", "none"]
"""Where the totals come from: total rows, the sum of the typed colonies of each dish, total
rows for some samples and sums for the others, or no total (one colony type only)."""

_SAMPLE = (
    "sample",
    "donor",
    "sample_id",
    "donor_id",
    "subject",
    "subject_id",
    "patient",
    "product",
)
_REGIMEN = ("regimen", "mobilization", "mobilisation", "mobilizer", "treatment", "arm", "group")
_TYPE = ("colony_type", "type", "colony", "progenitor", "lineage")
_DISH = ("dish", "replicate", "dish_replicate", "plate", "rep")
_COUNT = ("colonies", "count", "colony_count", "n_colonies", "counts")
_PLATED = ("cells_plated", "mnc_plated", "cells_per_dish", "mnc_per_dish", "cells")
_PER_ML = ("mnc_per_ml", "mnc_per_ml_blood", "mnc_ml")
_TOTAL_MNC = ("total_mnc", "product_mnc", "apheresis_mnc", "mnc_total")
_WEIGHT = ("body_weight_kg", "weight_kg", "body_weight", "weight")

_SPELLINGS = {
    "BFU-E": ("bfue", "bfu", "erythroid", "bfuecfue", "cfuebfue", "totale"),
    "CFU-GM": ("cfugm", "gm", "granulocytemacrophage", "cfugranulocytemacrophage", "totalgm"),
    "CFU-GEMM": ("cfugemm", "gemm", "cfumix", "mix", "mixed", "cfugemmmix"),
    "total": ("total", "cfutotal", "totalcfu", "cfc", "totalcfc", "all", "cfu", "totalcolonies"),
}
_TYPE_OF = {s: t for t, names in _SPELLINGS.items() for s in names}
_SUBTYPES = {"cfue": "BFU-E", "cfug": "CFU-GM", "cfum": "CFU-GM"}


def colony_type(text: str) -> str | None:
    """The colony type a spelling names, or None.

    >>> colony_type("CFU-GM"), colony_type("bfu_e"), colony_type("CFU-Mix"), colony_type("Total")
    ('CFU-GM', 'BFU-E', 'CFU-GEMM', 'total')
    """
    return _TYPE_OF.get(re.sub(r"[^a-z]", "", text.lower()))


def poisson_ci(count: int, exposure: float, conf_level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) CI of a Poisson rate ``count / exposure``: R's ``poisson.test``.

    >>> tuple(round(v, 6) for v in poisson_ci(10, 1.0))
    (4.795389, 18.390356)
    """
    from statsmodels.stats.rates import confint_poisson

    low, high = confint_poisson(count, exposure, method="exact-c", alpha=1.0 - conf_level)
    return float(low), float(high)


@dataclass(frozen=True)
class CfuSettings:
    """The reference regimen ("" = G-CSF if present, else the first listed), the CI level, the
    count model (``auto``: negative binomial where overdispersed) and the dispersion test's
    level."""

    reference: str = ""
    conf_level: float = 0.95
    model: Literal["auto", "poisson", "negbin"] = "auto"
    dispersion_level: float = 0.05

    def __post_init__(self) -> None:
        if not (0.5 <= self.conf_level < 1):
            raise InputError(
                f"must be in [0.5, 1), got {quote(self.conf_level)}", field="conf_level"
            )
        if not (0 < self.dispersion_level < 1):
            raise InputError("must be in (0, 1)", field="dispersion_level")


@dataclass(frozen=True)
class SampleEstimate:
    """One sample and colony type: colonies on its dishes, the rate per 10^5 MNC plated with CI
    (``ci_method``), the dishes' index of dispersion, and the rate per mL blood / per kg."""

    sample: str
    regimen: str
    colony_type: str
    dishes: int
    colonies: int
    cells_plated: float
    per_1e5: float
    per_1e5_lower: float
    per_1e5_upper: float
    ci_method: Model
    dispersion_chi2: float | None
    dispersion_df: int
    dispersion_p: float | None
    mnc_per_ml: float | None = None
    per_ml: float | None = None
    per_ml_lower: float | None = None
    per_ml_upper: float | None = None
    per_kg: float | None = None
    per_kg_lower: float | None = None
    per_kg_upper: float | None = None


@dataclass(frozen=True)
class TypeDispersion:
    """Dishes of one colony type around their samples' rates: pooled index of dispersion (X2 on
    ``df``, p), whether overdispersed, the CI method chosen and the NB2 ``alpha`` (variance
    ``mu + alpha mu^2``) where it was fitted."""

    colony_type: str
    chi2: float
    df: int
    p: float | None
    overdispersed: bool
    ci_method: Model
    alpha: float | None
    reason: str


@dataclass(frozen=True)
class ModelFit:
    """One count model of one colony type across regimens (rows: samples)."""

    colony_type: str
    model: Model
    chosen: bool
    n: int
    df_resid: int
    deviance: float
    pearson_chi2: float
    dispersion_p: float | None
    """Poisson only: P(X2 >= Pearson X2) on df_resid (small: overdispersed)."""
    loglik: float
    aic: float
    alpha: float | None
    """NB2 dispersion (1/theta) by maximum likelihood; None for Poisson."""
    alpha_se: float | None


@dataclass(frozen=True)
class RegimenRate:
    """A regimen's rate per 10^5 MNC from a model of one colony type, with Wald CI."""

    colony_type: str
    regimen: str
    model: Model
    chosen: bool
    samples: int
    colonies: int
    per_1e5: float
    per_1e5_lower: float
    per_1e5_upper: float


@dataclass(frozen=True)
class RateRatio:
    """Rate of ``regimen`` / rate of ``reference`` (per MNC plated), Wald CI and p."""

    colony_type: str
    regimen: str
    reference: str
    model: Model
    chosen: bool
    log_ratio: float
    se: float
    ratio: float
    lower: float
    upper: float
    z: float
    p: float


@dataclass(frozen=True)
class CfuResult(Serial):
    """CFU counts per sample and regimen comparisons (frozen; ``to_dict``/``from_dict``)."""

    kind: ClassVar[str] = "cfu"

    source: str
    settings: CfuSettings
    reference: str
    regimens: tuple[str, ...]
    colony_types: tuple[str, ...]
    total_source: TotalSource
    samples: tuple[SampleEstimate, ...]
    dispersion: tuple[TypeDispersion, ...]
    fits: tuple[ModelFit, ...]
    regimen_rates: tuple[RegimenRate, ...]
    ratios: tuple[RateRatio, ...]
    notes: tuple[str, ...] = ()

    def estimate(self, sample: str, colony_type: str) -> SampleEstimate:
        for s in self.samples:
            if s.sample == sample and s.colony_type == colony_type:
                return s
        raise KeyError(f"no sample {quote(sample)} with {quote(colony_type)}")

    def ratio(self, colony_type: str, regimen: str, model: Model | None = None) -> RateRatio:
        """The rate ratio of ``regimen`` vs the reference (the chosen model unless named)."""
        for r in self.ratios:
            same = r.colony_type == colony_type and r.regimen == regimen
            if same and ((model is None and r.chosen) or r.model == model):
                return r
        raise KeyError(f"no rate ratio of {quote(regimen)} for {quote(colony_type)}")

    def summary(self) -> pd.DataFrame:
        """One row per sample and colony type: colonies per 10^5 MNC (CI), per mL, per kg."""
        pct = f"{self.settings.conf_level:.0%}"
        rows = [
            {
                "sample": s.sample,
                "regimen": s.regimen,
                "colony_type": s.colony_type,
                "dishes": s.dishes,
                "colonies": s.colonies,
                "mnc_plated": s.cells_plated,
                "per_1e5_mnc": s.per_1e5,
                f"per_1e5_mnc_{pct}_lower": s.per_1e5_lower,
                f"per_1e5_mnc_{pct}_upper": s.per_1e5_upper,
                "ci_method": _CI_TEXT[s.ci_method],
                "dispersion_p": s.dispersion_p,
                "per_ml_blood": s.per_ml,
                f"per_ml_blood_{pct}_lower": s.per_ml_lower,
                f"per_ml_blood_{pct}_upper": s.per_ml_upper,
                "per_kg": s.per_kg,
                f"per_kg_{pct}_lower": s.per_kg_lower,
                f"per_kg_{pct}_upper": s.per_kg_upper,
            }
            for s in self.samples
        ]
        return pd.DataFrame(rows)

    def comparison(self) -> pd.DataFrame:
        """One row per colony type, regimen and model: the rate ratio vs the reference."""
        return pd.DataFrame(
            [
                {
                    "colony_type": r.colony_type,
                    "regimen": r.regimen,
                    "reference": r.reference,
                    "model": r.model,
                    "chosen": r.chosen,
                    "rate_ratio": r.ratio,
                    "lower": r.lower,
                    "upper": r.upper,
                    "p": r.p,
                }
                for r in self.ratios
            ]
        )

    def potencies(self, source: str = "") -> list[Potency]:
        return []


_CI_TEXT = {"poisson": "Poisson exact (Garwood)", "negbin": "negative binomial (Wald, log)"}


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Dishes:
    """The validated rows: one per (sample, regimen, type, dish)."""

    frame: pd.DataFrame  # sample, regimen, type, dish, colonies, cells, line
    per_sample: dict[tuple[str, str], dict[str, float]]
    total_source: TotalSource


def _find(table: Table, names: tuple[str, ...], what: str, *, required: bool = True) -> str | None:
    found = next((n for n in names if n in table.frame.columns), None)
    if found is None and required:
        raise InputError(
            f"no {what} column (one of {', '.join(names)}); columns present: "
            + ", ".join(map(str, table.frame.columns)),
            place=Place(file=table.source),
        )
    return found


def _read(table: Table) -> _Dishes:
    place = Place(file=table.source)
    df = table.frame
    require_nonempty(df, place=place)
    cols = {
        "sample": _find(table, _SAMPLE, "sample/donor"),
        "regimen": _find(table, _REGIMEN, "regimen"),
        "type": _find(table, _TYPE, "colony type"),
        "dish": _find(table, _DISH, "dish (replicate)"),
        "colonies": _find(table, _COUNT, "colony count"),
        "cells": _find(table, _PLATED, "cells (MNC) plated per dish"),
    }
    c = {k: str(v) for k, v in cols.items()}
    samples = [str(v) for v in text_column(table, c["sample"])]
    regimens = [str(v) for v in text_column(table, c["regimen"])]
    dishes = [str(v) for v in text_column(table, c["dish"])]
    types: list[str] = []
    for i, raw in enumerate(text_column(table, c["type"])):
        text = str(raw)
        found = colony_type(text)
        if found is None:
            key = re.sub(r"[^a-z]", "", text.lower())
            hint = f"; count it within {_SUBTYPES[key]} (sum the rows)" if key in _SUBTYPES else ""
            raise InputError(
                f"unknown colony type {quote(text)}: use BFU-E, CFU-GM, CFU-GEMM or total{hint}",
                place=place,
                row=table.line(i),
                column=c["type"],
            )
        types.append(found)
    rb = table.row_base
    colonies = numeric_column(df, c["colonies"], place=place, nonnegative=True, row_base=rb)
    for i, v in enumerate(colonies):
        if v != math.floor(v):
            raise InputError(
                f"{v:g} colonies is not a whole number",
                place=place,
                row=table.line(i),
                column=c["colonies"],
            )
    cells = numeric_column(df, c["cells"], place=place, row_base=rb)
    for i, (n, v) in enumerate(zip(cells, colonies, strict=True)):
        if n <= 0:
            raise InputError(
                f"cells plated must be > 0, got {n:g}",
                place=place,
                row=table.line(i),
                column=c["cells"],
            )
        if v > n:
            raise InputError(
                f"{v:g} colonies is more than the {n:g} cells plated",
                place=place,
                row=table.line(i),
                column=c["colonies"],
            )
    frame = pd.DataFrame(
        {
            "sample": samples,
            "regimen": regimens,
            "type": types,
            "dish": dishes,
            "colonies": colonies.astype(np.int64),
            "cells": cells,
            "line": [table.line(i) for i in range(len(df))],
        }
    )
    require_unique(
        frame.rename(columns={"type": "colony_type"}),
        ["sample", "regimen", "colony_type", "dish"],
        place=place,
        row_base=rb,
    )
    _check_dishes(frame, place, c)
    per_sample = _per_sample_columns(table, frame, place)
    total_source: TotalSource = "none"
    if (frame["type"] == "total").any():
        total_source = "given"
    typed = frame[frame["type"] != "total"]
    if typed["type"].nunique() > 1:
        with_total = set(
            zip(
                *(frame.loc[frame["type"] == "total", k] for k in ("sample", "regimen")),
                strict=True,
            )
        )
        keys = zip(typed["sample"], typed["regimen"], strict=True)
        missing = typed[[k not in with_total for k in keys]]
        if len(missing):
            total_source = "given and summed" if total_source == "given" else "sum of types"
            summed = (
                missing.groupby(["sample", "regimen", "dish"], sort=False)
                .agg(colonies=("colonies", "sum"), cells=("cells", "first"), line=("line", "min"))
                .reset_index()
            )
            summed["type"] = "total"
            frame = pd.concat([frame, summed[frame.columns]], ignore_index=True)
    return _Dishes(frame, per_sample, total_source)


def _check_dishes(frame: pd.DataFrame, place: Place, c: dict[str, str]) -> None:
    """One MNC number per dish; the same typed colony rows on every dish of a sample; the
    typed colonies of a dish no more than its cells or its given total."""
    for (sample, regimen), rows in frame.groupby(["sample", "regimen"], sort=False):
        typed = rows[rows["type"] != "total"]
        sets = {d: set(g["type"]) for d, g in typed.groupby("dish", sort=False)}
        every = set().union(*sets.values()) if sets else set()
        for dish, have in sets.items():
            missing = sorted(every - have)
            if missing:
                line = int(typed[typed["dish"] == dish]["line"].min())
                raise InputError(
                    f"dish {quote(dish)} of sample {quote(sample)} has no {missing[0]} row "
                    "(the other dishes have one): give 0 if none were counted",
                    place=place,
                    row=line,
                    column=c["type"],
                )
        totals = rows[rows["type"] == "total"]
        if len(totals) and set(totals["dish"]) != set(rows["dish"]):
            raise InputError(
                f"sample {quote(sample)} ({regimen}) gives a total for some dishes only",
                place=place,
                row=int(totals["line"].min()),
                column=c["type"],
            )
        for dish, g in rows.groupby("dish", sort=False):
            first = float(g["cells"].iloc[0])
            odd = g[g["cells"] != first]
            if len(odd):
                raise InputError(
                    f"dish {quote(dish)} of sample {quote(sample)}: {float(odd['cells'].iloc[0]):g}"
                    f" cells plated here, {first:g} on another row of the same dish",
                    place=place,
                    row=int(odd["line"].iloc[0]),
                    column=c["cells"],
                )
            n_typed = int(g[g["type"] != "total"]["colonies"].sum())
            if n_typed > first:
                raise InputError(
                    f"dish {quote(dish)} of sample {quote(sample)}: {n_typed} colonies in all, "
                    f"more than the {first:g} cells plated",
                    place=place,
                    row=int(g["line"].max()),
                    column=c["colonies"],
                )
            total = g[g["type"] == "total"]
            if len(total) and n_typed > int(total["colonies"].iloc[0]):
                raise InputError(
                    f"total {int(total['colonies'].iloc[0])} is less than the {n_typed} colonies "
                    "of the types on this dish",
                    place=place,
                    row=int(total["line"].iloc[0]),
                    column=c["colonies"],
                )


def _per_sample_columns(
    table: Table, frame: pd.DataFrame, place: Place
) -> dict[tuple[str, str], dict[str, float]]:
    """MNC per mL blood, total MNC and body weight (kg): one value per sample, > 0."""
    found = {
        "mnc_per_ml": _find(table, _PER_ML, "", required=False),
        "total_mnc": _find(table, _TOTAL_MNC, "", required=False),
        "weight_kg": _find(table, _WEIGHT, "", required=False),
    }
    if (found["total_mnc"] is None) != (found["weight_kg"] is None):
        have, lack = (
            ("total_mnc", "body_weight_kg")
            if found["total_mnc"]
            else ("body_weight_kg", "total_mnc")
        )
        raise InputError(f"{have} needs {lack} too (colonies per kg)", place=place)
    out: dict[tuple[str, str], dict[str, float]] = {}
    keys = list(zip(frame["sample"], frame["regimen"], strict=True))
    for name, col in found.items():
        if col is None:
            continue
        values = numeric_column(table.frame, col, place=place, row_base=table.row_base)
        for i, v in enumerate(values):
            if v <= 0:
                raise InputError(
                    f"must be > 0, got {v:g}", place=place, row=table.line(i), column=col
                )
            seen = out.setdefault(keys[i], {})
            if name in seen and seen[name] != v:
                raise InputError(
                    f"{v:g} differs from {seen[name]:g} on another row of sample "
                    f"{quote(keys[i][0])}: one value per sample",
                    place=place,
                    row=table.line(i),
                    column=col,
                )
            seen[name] = float(v)
    return out


# --- estimating ---------------------------------------------------------------------------------


def analyse(table: Table, settings: CfuSettings | None = None) -> CfuResult:
    """Colonies per 10^5 MNC (per mL blood, per kg) per sample and type, and regimen rate
    ratios, from a tidy table of colony counts per dish."""
    settings = settings or CfuSettings()
    data = _read(table)
    frame = data.frame
    regimens = list(dict.fromkeys(frame["regimen"]))
    reference = _reference(regimens, settings.reference)
    regimens = [reference] + [r for r in regimens if r != reference]
    present = set(frame["type"])
    types = tuple(t for t in COLONY_TYPES if t in present)
    z = _z(settings.conf_level)
    notes: list[str] = []
    dispersion: list[TypeDispersion] = []
    samples: list[SampleEstimate] = []
    for t in types:
        dishes = frame[frame["type"] == t]
        disp, nb = _dish_dispersion(t, dishes, settings, z)
        dispersion.append(disp)
        for (sample, regimen), g in dishes.groupby(["sample", "regimen"], sort=False):
            samples.append(
                _sample_estimate(
                    str(sample), str(regimen), t, g, disp, nb, data.per_sample, settings
                )
            )
    fits: list[ModelFit] = []
    rates: list[RegimenRate] = []
    ratios: list[RateRatio] = []
    if len(regimens) < 2:
        notes.append("one regimen only: no comparison between regimens")
    else:
        for t in types:
            rows = [s for s in samples if s.colony_type == t]
            got = _compare(t, rows, regimens, settings, z)
            if isinstance(got, str):
                notes.append(got)
                continue
            fits += got[0]
            rates += got[1]
            ratios += got[2]
    samples.sort(key=lambda s: (regimens.index(s.regimen), s.sample, types.index(s.colony_type)))
    return CfuResult(
        source=table.source,
        settings=settings,
        reference=reference,
        regimens=tuple(regimens),
        colony_types=types,
        total_source=data.total_source,
        samples=tuple(samples),
        dispersion=tuple(dispersion),
        fits=tuple(fits),
        regimen_rates=tuple(rates),
        ratios=tuple(ratios),
        notes=tuple(notes),
    )


def _z(conf_level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + conf_level / 2))


def _reference(regimens: Sequence[str], wanted: str) -> str:
    def key(text: str) -> str:
        return re.sub(r"[^a-z0-9.]", "", text.lower())

    if wanted.strip():
        for r in regimens:
            if key(r) == key(wanted):
                return r
        raise InputError(
            f"{quote(wanted)} is not a regimen of the table; they are "
            + ", ".join(quote(r) for r in regimens),
            field="reference",
        )
    return next((r for r in regimens if key(r) in {"gcsf", "filgrastim"}), regimens[0])


def _dish_dispersion(
    t: str, dishes: pd.DataFrame, settings: CfuSettings, z: float
) -> tuple[TypeDispersion, dict[str, tuple[float, float]]]:
    """Pooled index of dispersion of one type's dishes; the NB CIs (log-rate, SE) per sample
    key ``sample\\x1fregimen`` where NB is used."""
    from scipy.stats import chi2 as chi2_dist

    stat, df = 0.0, 0
    for _, g in dishes.groupby(["sample", "regimen"], sort=False):
        x2, k = _index_of_dispersion(g)
        stat += x2 or 0.0
        df += k
    p = float(chi2_dist.sf(stat, df)) if df > 0 else None
    over = p is not None and p < settings.dispersion_level
    if settings.model == "poisson":
        method: Model = "poisson"
        reason = "Poisson exact CIs (model = poisson)"
    elif settings.model == "negbin":
        method = "negbin"
        reason = "negative-binomial CIs (model = negbin)"
    elif over:
        method = "negbin"
        reason = f"dishes overdispersed (p = {p:.3g} < {settings.dispersion_level:g})"
    else:
        method = "poisson"
        reason = (
            "one dish per sample: no dispersion test"
            if p is None
            else f"dishes not overdispersed (p = {p:.3g})"
        )
    nb: dict[str, tuple[float, float]] = {}
    alpha = None
    if method == "negbin":
        fitted = _dish_negbin(dishes)
        if fitted is None:
            method = "poisson"
            reason += "; the NB fit needs >= 2 dishes and colonies: Poisson exact CIs kept"
        elif fitted[0] < 1e-6:
            method = "poisson"
            reason += (
                f"; but the NB fit puts alpha at {fitted[0]:.1g} (no spread beyond Poisson "
                "once each sample has its own rate): Poisson exact CIs kept"
            )
        else:
            alpha, nb = fitted
    return TypeDispersion(t, stat, df, p, over, method, alpha, reason), nb


def _index_of_dispersion(g: pd.DataFrame) -> tuple[float | None, int]:
    """Fisher's index of dispersion of one sample's dishes (unequal MNC plated): X2, df."""
    y = g["colonies"].to_numpy(dtype=float)
    n = g["cells"].to_numpy(dtype=float)
    if len(y) < 2:
        return None, 0
    if y.sum() == 0:
        return 0.0, len(y) - 1
    expected = n * y.sum() / n.sum()
    return float(((y - expected) ** 2 / expected).sum()), len(y) - 1


def _key(sample: str, regimen: str) -> str:
    return f"{sample}\x1f{regimen}"


def _dish_negbin(dishes: pd.DataFrame) -> tuple[float, dict[str, tuple[float, float]]] | None:
    """NB2 ``colonies ~ 0 + sample + offset(log cells)`` on the dishes (ML alpha), samples
    with at least one colony; log rate per MNC and its SE per sample."""
    totals = dishes.groupby(["sample", "regimen"], sort=False)["colonies"].transform("sum")
    d = dishes[totals > 0]
    keys = [_key(s, r) for s, r in zip(d["sample"], d["regimen"], strict=True)]
    names = list(dict.fromkeys(keys))
    if len(d) <= len(names):
        return None
    x = pd.get_dummies(pd.Categorical(keys, categories=names)).to_numpy(dtype=float)
    fit = _negbin(d["colonies"].to_numpy(dtype=float), x, np.log(d["cells"].to_numpy(float)))
    if fit is None:
        return None
    pairs = zip(names, fit.params, fit.bse, strict=True)
    return fit.alpha, {k: (float(b), float(s)) for k, b, s in pairs}


@dataclass(frozen=True)
class _NbFit:
    params: np.ndarray
    bse: np.ndarray
    alpha: float
    alpha_se: float | None
    llf: float
    deviance: float
    pearson_chi2: float


def _negbin(y: np.ndarray, x: np.ndarray, offset: np.ndarray) -> _NbFit | None:
    """ML NB2 as R's ``glm.nb``: alpha by ``statsmodels`` ``NegativeBinomial``, then the GLM at
    that alpha (its coefficient SEs, as glm.nb reports). None if alpha cannot be estimated."""
    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            start = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()
            model = NegativeBinomial(y, x, loglike_method="nb2", offset=offset)
            ml = model.fit(
                start_params=np.append(start.params, 0.1), method="bfgs", maxiter=2000, disp=0
            )
            polished = model.fit(start_params=ml.params, method="newton", maxiter=50, disp=0)
        except (np.linalg.LinAlgError, ValueError, OverflowError):
            return None
        if np.isfinite(polished.params).all() and polished.llf >= ml.llf - 1e-9:
            ml = polished
    alpha = float(ml.params[-1])
    if not (np.isfinite(ml.params).all() and alpha > 0):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        glm = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset).fit()
        alpha_se = float(ml.bse[-1])
    return _NbFit(
        params=np.asarray(glm.params),
        bse=np.asarray(glm.bse),
        alpha=alpha,
        alpha_se=alpha_se if math.isfinite(alpha_se) else None,
        llf=float(ml.llf),
        deviance=float(glm.deviance),
        pearson_chi2=float(glm.pearson_chi2),
    )


def _sample_estimate(
    sample: str,
    regimen: str,
    t: str,
    g: pd.DataFrame,
    disp: TypeDispersion,
    nb: dict[str, tuple[float, float]],
    per_sample: dict[tuple[str, str], dict[str, float]],
    settings: CfuSettings,
    /,
) -> SampleEstimate:
    count = int(g["colonies"].sum())
    cells = float(g["cells"].sum())
    x2, df = _index_of_dispersion(g)
    from scipy.stats import chi2 as chi2_dist

    p = float(chi2_dist.sf(x2, df)) if x2 is not None else None
    rate = count / cells
    method: Model = "poisson"
    k = _key(sample, regimen)
    if disp.ci_method == "negbin" and k in nb:
        b, se = nb[k]
        z = _z(settings.conf_level)
        low, high = math.exp(b - z * se), math.exp(b + z * se)
        method = "negbin"
    else:
        low, high = poisson_ci(count, cells, settings.conf_level)
    extra = per_sample.get((sample, regimen), {})
    out: dict[str, float] = {}
    if "mnc_per_ml" in extra:
        m = extra["mnc_per_ml"]
        out |= {"mnc_per_ml": m, "per_ml": rate * m, "per_ml_lower": low * m}
        out["per_ml_upper"] = high * m
    if "total_mnc" in extra:
        m = extra["total_mnc"] / extra["weight_kg"]
        out |= {"per_kg": rate * m, "per_kg_lower": low * m, "per_kg_upper": high * m}
    return SampleEstimate(
        sample=sample,
        regimen=regimen,
        colony_type=t,
        dishes=len(g),
        colonies=count,
        cells_plated=cells,
        per_1e5=PER * rate,
        per_1e5_lower=PER * low,
        per_1e5_upper=PER * high,
        ci_method=method,
        dispersion_chi2=x2,
        dispersion_df=df,
        dispersion_p=p,
        **out,
    )


def _compare(
    t: str, rows: list[SampleEstimate], regimens: list[str], settings: CfuSettings, z: float
) -> tuple[list[ModelFit], list[RegimenRate], list[RateRatio]] | str:
    """Poisson and NB GLMs of one type's per-sample totals across regimens."""
    import statsmodels.api as sm
    from scipy.stats import chi2 as chi2_dist
    from scipy.stats import norm

    here = [r for r in regimens if any(s.regimen == r for s in rows)]
    if len(here) < 2 or here[0] != regimens[0]:
        return f"{t}: the reference and at least one other regimen are needed to compare"
    empty = [r for r in here if sum(s.colonies for s in rows if s.regimen == r) == 0]
    if empty:
        return f"{t}: no colonies under {', '.join(empty)}: no rate ratio (it would be 0)"
    y = np.array([s.colonies for s in rows], dtype=float)
    offset = np.log(np.array([s.cells_plated for s in rows]))
    groups = pd.Categorical([s.regimen for s in rows], categories=here)
    means = pd.get_dummies(groups).to_numpy(dtype=float)
    contrast = np.column_stack([np.ones(len(rows)), means[:, 1:]])
    counts = {
        r: (sum(s.regimen == r for s in rows), sum(s.colonies for s in rows if s.regimen == r))
        for r in here
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pois = sm.GLM(y, contrast, family=sm.families.Poisson(), offset=offset).fit()
        pois_means = sm.GLM(y, means, family=sm.families.Poisson(), offset=offset).fit()
    df_resid = round(float(pois.df_resid))
    pois_p = float(chi2_dist.sf(pois.pearson_chi2, df_resid)) if df_resid > 0 else None
    over = pois_p is not None and pois_p < settings.dispersion_level
    nb = _negbin(y, contrast, offset) if df_resid > 0 else None
    if settings.model == "poisson" or nb is None:
        chosen: Model = "poisson"
    elif settings.model == "negbin" or over:
        chosen = "negbin"
    else:
        chosen = "poisson"
    fits = [
        ModelFit(
            colony_type=t,
            model="poisson",
            chosen=chosen == "poisson",
            n=len(rows),
            df_resid=df_resid,
            deviance=float(pois.deviance),
            pearson_chi2=float(pois.pearson_chi2),
            dispersion_p=pois_p,
            loglik=float(pois.llf),
            aic=float(pois.aic),
            alpha=None,
            alpha_se=None,
        )
    ]
    fitted: list[tuple[Model, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = [
        ("poisson", pois.params, pois.bse, pois_means.params, pois_means.bse)
    ]
    if nb is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            family = sm.families.NegativeBinomial(alpha=nb.alpha)
            nb_means = sm.GLM(y, means, family=family, offset=offset).fit()
        fits.append(
            ModelFit(
                colony_type=t,
                model="negbin",
                chosen=chosen == "negbin",
                n=len(rows),
                df_resid=df_resid,
                deviance=nb.deviance,
                pearson_chi2=nb.pearson_chi2,
                dispersion_p=None,
                loglik=nb.llf,
                aic=-2 * nb.llf + 2 * (len(nb.params) + 1),
                alpha=nb.alpha,
                alpha_se=nb.alpha_se,
            )
        )
        fitted.append(("negbin", nb.params, nb.bse, nb_means.params, nb_means.bse))
    rates: list[RegimenRate] = []
    ratios: list[RateRatio] = []
    for model, params, bse, mparams, mbse in fitted:
        for j, r in enumerate(here):
            b, se = float(mparams[j]), float(mbse[j])
            rates.append(
                RegimenRate(
                    colony_type=t,
                    regimen=r,
                    model=model,
                    chosen=model == chosen,
                    samples=counts[r][0],
                    colonies=counts[r][1],
                    per_1e5=PER * math.exp(b),
                    per_1e5_lower=PER * math.exp(b - z * se),
                    per_1e5_upper=PER * math.exp(b + z * se),
                )
            )
            if j == 0:
                continue
            b, se = float(params[j]), float(bse[j])
            stat = b / se
            ratios.append(
                RateRatio(
                    colony_type=t,
                    regimen=r,
                    reference=here[0],
                    model=model,
                    chosen=model == chosen,
                    log_ratio=b,
                    se=se,
                    ratio=math.exp(b),
                    lower=math.exp(b - z * se),
                    upper=math.exp(b + z * se),
                    z=stat,
                    p=float(2 * norm.sf(abs(stat))),
                )
            )
    return fits, rates, ratios
