"""One in-vivo study analysed end to end: the result the ``invivo`` kind stores.

:func:`analyse_study` takes an :class:`~cxcr4lab.preclinical.study.AnimalTable` (with its
design) and optional endpoint tables and runs what a preclinical pharmacologist reports: TGI and
T/C, per-day comparisons, time to endpoint and the adjusted-AUC comparison
(:mod:`cxcr4lab.preclinical.efficacy`), the log-scale mixed growth model
(:mod:`~cxcr4lab.preclinical.growth`), SynergyLMM's time-resolved Bliss and HSA synergy when
the design has two monotherapies and their combination (:mod:`~cxcr4lab.preclinical.invivo_synergy`),
endpoint biomarkers and tissue scores (:mod:`~cxcr4lab.preclinical.endpoints`), the Simeoni
tumour-growth-inhibition model driven by each drug's mouse PK, fitted to the single-agent arms
and predicting the combination under additivity (:mod:`~cxcr4lab.preclinical.tgi_model`; when
the design doses, in mg/kg, only compounds with a mouse PK model) and, when the study gives
balixafortide, the mouse-to-human translation table (:mod:`.invivo_translation`). It lives in ``studies/`` because the translation needs ``pkpd``
beside ``preclinical``. A part that cannot be computed leaves a note, not an error; the burden
is the table's primary measure (caliper volume in mm^3, or BLI total flux in p/s).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from cxcr4lab.core.errors import Cxcr4labError, InputError
from cxcr4lab.core.serial import Serial
from cxcr4lab.preclinical.efficacy import EfficacyResult, analyse_efficacy
from cxcr4lab.preclinical.endpoints import (
    EndpointComparison,
    EndpointTable,
    compare_endpoints,
    endpoint_table,
)
from cxcr4lab.preclinical.growth import GrowthModelResult, fit_growth
from cxcr4lab.preclinical.invivo_synergy import (
    InvivoSynergyResult,
    SynergyMethod,
    invivo_synergies,
)
from cxcr4lab.preclinical.study import AnimalTable, StudyDesign
from cxcr4lab.preclinical.tgi_model import (
    CombinationComparison,
    TgiFit,
    compare_combination,
    design_dosing,
    design_drugs,
    fit_tgi,
)
from cxcr4lab.studies.invivo_translation import BalixafortideTranslation, translate_balixafortide

__all__ = [
    "CombinationArms",
    "InvivoStudyResult",
    "analyse_study",
    "combination_arms",
    "endpoints_from_elisa",
]

if TYPE_CHECKING:
    from cxcr4lab.assays.elisa import ElisaResult

_UNITS = {"volume_mm3": "mm3", "total_flux_p_s": "p/s"}


def _sample_list(names: Sequence[str]) -> str:
    shown = ", ".join(names[:8])
    return shown + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def endpoints_from_elisa(
    results: Sequence[tuple[int, ElisaResult]], table: AnimalTable
) -> EndpointTable:
    """Serum-marker endpoints from stored ELISA analyses: each unknown sample named like an
    animal of ``table`` gives that animal's value of the plate's analyte, in the plate's unit
    (dilution applied), in the animal's group from the study. Flagged, not used: a value
    outside the quantitation range (``< LLOQ`` or ``> ULOQ``: a censored value is not a
    measurement), a sample not calculable, a sample at several dilutions inside the range
    (their mean is used), samples that are no animal of the study, and an ELISA group that
    differs from the study's. A plate that failed its acceptance criteria is refused."""
    group_of = {a.animal_id: a.group for a in table.animals}
    records: list[tuple[str, str, str, float, str]] = []
    flags: list[str] = []
    for analysis_id, result in results:
        where = f"ELISA analysis {analysis_id} ({result.analyte})"
        if not result.passed:
            raise InputError(
                f"{where} failed its acceptance criteria ({'; '.join(result.reasons)}): its "
                "values are not reportable",
                field="elisa",
            )
        values: dict[str, list[float]] = {}
        censored: list[str] = []
        strangers: list[str] = []
        regrouped: list[str] = []
        for s in result.samples:
            if s.role != "unknown":
                continue
            if s.sample not in group_of:
                strangers.append(s.sample)
                continue
            if s.group is not None and s.group != group_of[s.sample]:
                regrouped.append(f"{s.sample} ({s.group} on the plate, {group_of[s.sample]})")
            if s.value is None or s.bound != "=":
                censored.append(f"{s.sample} ({'not calculable' if s.value is None else s.bound})")
                continue
            values.setdefault(s.sample, []).append(s.value)
        for animal, vs in values.items():
            records.append(
                (animal, group_of[animal], result.analyte, sum(vs) / len(vs), result.unit)
            )
        several = [a for a, vs in values.items() if len(vs) > 1]
        if several:
            flags.append(f"{where}: mean of the in-range dilutions of {_sample_list(several)}")
        if censored:
            flags.append(
                f"{where}: outside the quantitation range or not calculable, left out: "
                f"{_sample_list(censored)}"
            )
        if strangers:
            flags.append(
                f"{where}: samples that are no animal of the study: {_sample_list(strangers)}"
            )
        if regrouped:
            flags.append(
                f"{where}: group on the plate differs from the study's (the study's used): {_sample_list(regrouped)}"
            )
    if not records:
        raise InputError(
            "no ELISA sample is named like an animal of the study (sample names must be the "
            "animal ids)",
            field="elisa",
        )
    source = "ELISA " + ", ".join(f"#{i}" for i, _ in results)
    return endpoint_table(records, source=source, flags=flags)


@dataclass(frozen=True)
class CombinationArms(Serial):
    """The arms of a two-drug combination design: control, each monotherapy, the combination."""

    control: str
    drug_a: str
    drug_b: str
    combination: str


def combination_arms(design: StudyDesign | None) -> CombinationArms | None:
    """The combination arms of ``design``: the one group given two compounds, and the groups
    given exactly one of them alone (vehicles ignored); None when the design has no such set."""
    if design is None:
        return None

    def compounds(name: str) -> frozenset[str]:
        g = design.group(name)
        return frozenset(t.compound for t in g.treatments if not t.is_vehicle)

    names = [g.name for g in design.groups if g.name != design.control]
    combos = [n for n in names if len(compounds(n)) == 2]
    if len(combos) != 1:
        return None
    a, b = sorted(compounds(combos[0]))
    mono_a = [n for n in names if compounds(n) == {a}]
    mono_b = [n for n in names if compounds(n) == {b}]
    if len(mono_a) != 1 or len(mono_b) != 1:
        return None
    return CombinationArms(design.control, mono_a[0], mono_b[0], combos[0])


@dataclass(frozen=True)
class InvivoStudyResult(Serial):
    """An in-vivo study (module docstring). ``burden`` names the primary measure column;
    ``synergy`` holds SynergyLMM's Bliss and HSA results (empty without a combination design)."""

    kind: ClassVar[str] = "invivo"

    source: str
    table: AnimalTable
    burden: str
    efficacy: EfficacyResult
    growth: GrowthModelResult | None
    arms: CombinationArms | None
    synergy: tuple[InvivoSynergyResult, ...]
    endpoints: EndpointComparison | None
    translation: BalixafortideTranslation | None
    notes: tuple[str, ...] = ()
    endpoint_table: EndpointTable | None = None
    """The endpoint values per animal (for the box and strip plots)."""
    tgi: TgiFit | None = None
    """The Simeoni model fitted to the vehicle and single-agent arms."""
    tgi_combination: CombinationComparison | None = None
    """The combination arm against the Simeoni model's additive prediction."""

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []

    @property
    def unit(self) -> str:
        return _UNITS.get(self.burden, "")

    def summary(self) -> pd.DataFrame:
        """Per group and day: n, means and geometric means of the burden (the table's summary)
        and, for the primary burden, the mean relative burden, T/C (%) by mean, median and
        geometric mean, and TGI (%) in both conventions, named: ``tgi_delta_pct`` (on group
        means of the burden) and ``tgi_rtv_pct`` (on mean relative burden)."""
        base = self.table.summary()
        tgi = self.efficacy.tgi or self.efficacy.flux_tgi
        if self.burden == "total_flux_p_s" and self.efficacy.flux_tgi:
            tgi = self.efficacy.flux_tgi
        rows = [
            {
                "group": g.group,
                "day": g.day,
                "mean relative burden": g.mean_relative,
                "tc_mean_pct": g.tc_mean_pct,
                "tc_median_pct": g.tc_median_pct,
                "tc_geometric_pct": g.tc_geometric_pct,
                "tgi_delta_pct": g.tgi_delta_pct,
                "tgi_rtv_pct": g.tgi_rtv_pct,
                "nci_active": g.nci_active,
            }
            for r in tgi
            for g in r.groups
        ]
        if not rows:
            return base
        return base.merge(pd.DataFrame(rows), on=["group", "day"], how="left")

    def synergy_table(self) -> pd.DataFrame:
        """``method, day, combination_index, ci_lower, ci_upper, synergy_score, p_value`` (and
        the score's interval): one row per method and day."""
        rows: list[dict[str, object]] = []
        for result in self.synergy:
            frame = result.summary()
            for day, part in frame.groupby("Time", sort=True):
                ci = part[part["Metric"] == "CI"].iloc[0]
                ss = part[part["Metric"] == "SS"].iloc[0]
                rows.append(
                    {
                        "method": ci["Model"],
                        "day": float(str(day)),
                        "combination_index": ci["Estimate"],
                        "ci_lower": ci["lwr"],
                        "ci_upper": ci["upr"],
                        "synergy_score": ss["Estimate"],
                        "ss_lower": ss["lwr"],
                        "ss_upper": ss["upr"],
                        "p_value": ss["pval"],
                    }
                )
        return pd.DataFrame(rows)


def _note(what: str, exc: Exception) -> str:
    return f"{what} not computed: {exc}"


def analyse_study(
    table: AnimalTable,
    *,
    endpoints: EndpointTable | None = None,
    day: float | None = None,
    adjustment: str = "dunnett",
    robust: bool = True,
    translate: bool = True,
    endpoint_volume_mm3: float | None = None,
    endpoint_flux_p_s: float | None = None,
    tgi_model: bool = True,
    tgi_k1: float | None = None,
) -> InvivoStudyResult:
    """Every analysis of one study (module docstring); ``day`` for the per-day comparisons
    (default: the last day with every group), ``adjustment`` ``dunnett`` or ``holm``,
    ``robust`` CR2 standard errors for the synergy; ``endpoint_volume_mm3`` and
    ``endpoint_flux_p_s`` the burden that ends an animal's time to endpoint (with the humane
    endpoints and deaths); ``tgi_model`` fits the Simeoni model when the design allows it, with its death rate
    ``tgi_k1`` (1/day) held fixed when given (weekly data rarely identify it)."""
    notes: list[str] = []
    burden = table.burden or ("volume_mm3" if "volume_mm3" in table.measures else "total_flux_p_s")
    control = table.control or (table.design.control if table.design else table.groups[0])
    efficacy = analyse_efficacy(
        table,
        day=day,
        control=control,
        adjustment=adjustment,  # type: ignore[arg-type]
        endpoint_volume_mm3=endpoint_volume_mm3,
        endpoint_flux_p_s=endpoint_flux_p_s,
    )
    frame = table.frame()[["animal_id", "group", "day", burden]].dropna()
    frame = frame[frame[burden] > 0]
    unit = _UNITS[burden]
    growth = None
    try:
        growth = fit_growth(frame, control=control, value=burden, unit=unit, source=table.source)
    except Cxcr4labError as exc:
        notes.append(_note("growth model", exc))
    arms = combination_arms(table.design)
    synergy: list[InvivoSynergyResult] = []
    if arms is None:
        notes.append("no combination design (two monotherapies and their combination): no synergy")
    else:
        methods: tuple[SynergyMethod, ...] = ("Bliss", "HSA")
        try:  # one model fit and one refit per day serve both methods
            synergy.extend(
                invivo_synergies(
                    frame,
                    control=arms.control,
                    drug_a=arms.drug_a,
                    drug_b=arms.drug_b,
                    combination=arms.combination,
                    methods=methods,
                    value=burden,
                    unit=unit,
                    robust=robust,
                    source=table.source,
                )
            )
        except Cxcr4labError as exc:
            notes.extend(_note(f"{method} synergy", exc) for method in methods)
    compared = None
    if endpoints is not None:
        try:
            compared = compare_endpoints(endpoints, control=control)
        except Cxcr4labError as exc:
            notes.append(_note("endpoint comparison", exc))
    tgi, tgi_combination = (
        _tgi(table, frame, burden, control, arms, notes, tgi_k1) if tgi_model else (None, None)
    )
    translation = None
    gives_balixafortide = table.design is not None and any(
        t.compound.lower() == "balixafortide" for g in table.design.groups for t in g.treatments
    )
    if translate and gives_balixafortide:
        translation = translate_balixafortide()
    return InvivoStudyResult(
        source=table.source,
        table=table,
        burden=burden,
        efficacy=efficacy,
        growth=growth,
        arms=arms,
        synergy=tuple(synergy),
        endpoints=compared,
        translation=translation,
        notes=tuple(notes),
        endpoint_table=endpoints,
        tgi=tgi,
        tgi_combination=tgi_combination,
    )


def _tgi(
    table: AnimalTable,
    frame: pd.DataFrame,
    burden: str,
    control: str,
    arms: CombinationArms | None,
    notes: list[str],
    k1: float | None,
) -> tuple[TgiFit | None, CombinationComparison | None]:
    """The Simeoni fit and the combination's additivity check (notes where they cannot run)."""
    if table.design is None:
        notes.append("no study design: no TGI model (it needs each group's doses)")
        return None, None
    data = frame.rename(columns={burden: "value"})[["group", "day", "value"]]
    try:
        drugs = design_drugs(table.design)
        dosing = design_dosing(table.design, float(data["day"].max()))
        fit = fit_tgi(
            data,
            drugs,
            dosing,
            value="value",
            unit=_UNITS[burden],
            control=control,
            fixed=None if k1 is None else {"log_k1": math.log(k1)},
        )
    except Cxcr4labError as exc:
        notes.append(_note("TGI model", exc))
        return None, None
    if not fit.converged:
        notes.append("TGI model: the fit did not converge; its estimates are not reliable")
    wide = [
        n
        for n, lo, hi in zip(fit.param_names, fit.ci_lower, fit.ci_upper, strict=True)
        if lo is not None and hi is not None and (hi == float("inf") or (lo > 0 and hi / lo > 100))
    ]
    if wide:
        notes.append(
            f"TGI model: {', '.join(wide)} not identified by these data (95 % CI wider than "
            "100-fold or unbounded)"
        )
    if arms is None or len(fit.drugs) != 2:
        return fit, None
    try:
        return fit, compare_combination(fit, data, group=arms.combination, value="value")
    except Cxcr4labError as exc:
        notes.append(_note("TGI combination prediction", exc))
        return fit, None
