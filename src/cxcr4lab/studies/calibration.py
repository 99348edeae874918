"""One balixafortide Kb against every published potency bound, and why pERK/pAKT sit right.

The published IC50s (seed_facts.toml ``[[potency]]``, all "<" upper bounds, nM) are re-typed in
:data:`PUBLISHED`. Each assay is predicted from
:class:`~cxcr4lab.receptor.mechanistic.Cxcr4Model` with its own agonist concentration and readout
(stated in :data:`CONDITIONS`): the IC50 is found by root search on the model's readout, so it
carries every effect the model has (agonist concentration, receptor reserve, amplification,
curve shape).

For the western blots (hyperbolic stages, no constitutive activity) the IC50 has the closed form
Kb (1 + a (1 + tau_eff)), a = [A]/KA, tau_eff the cascade's effective transducer ratio; it is
split into fold-shifts (agonist occupancy, then each stage's added reserve) that multiply to
the predicted IC50 (:func:`shift_decomposition`); each fold is tagged with its mechanism
(agonist concentration, receptor reserve at the G protein, kinase amplification) and
:meth:`ReceptorCalibration.mechanism_table` multiplies them per mechanism.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import ClassVar

import pandas as pd

from cxcr4lab.assays.potency import Potency
from cxcr4lab.core.errors import InputError
from cxcr4lab.core.serial import Serial
from cxcr4lab.receptor.mechanistic import (
    CXCL12_MW,
    PARAMETER_SOURCES,
    CellLine,
    Cxcr4Model,
    Readout,
    cascade_tau,
    functional_ec,
    functional_ic50,
)

__all__ = [
    "CELL_LINES",
    "CONDITIONS",
    "MECHANISMS",
    "PUBLISHED",
    "PUBLISHED_SOURCE",
    "AssayCondition",
    "AssayPrediction",
    "ModelParameter",
    "ReceptorCalibration",
    "ShiftFactor",
    "calibrate",
    "predict_ic50",
    "shift_decomposition",
]

_NM = 1e-9
_CXCL12_100_NG_PER_ML = 100e-6 / CXCL12_MW  # 100 ng/mL CXCL12 in mol/L (12.56 nM)

CELL_LINES: dict[str, CellLine] = {
    # Relative CXCR4 expression and stage gains: assumptions chosen within plausible ranges so
    # that one Kb meets every bound (documented in docs/receptor.md); not measured values.
    "engineered": CellLine("engineered (EFC)", expression=1.0),
    "Jurkat": CellLine("Jurkat", expression=2.0, tau_migration=0.5),
    "Namalwa": CellLine("Namalwa", expression=1.0, tau_migration=1.0),
    "MDA-MB-231": CellLine("MDA-MB-231", expression=1.0, tau_migration=4.0),
}

PUBLISHED: tuple[tuple[str, str, float], ...] = (
    # (assay, system, IC50 upper bound in nM), re-typed from seed_facts.toml [[potency]]
    ("CXCR4 binding / antagonism", "CXCR4-expressing cells", 10.0),
    ("beta-arrestin recruitment", "engineered cells, CXCL12 at EC80", 10.0),
    ("calcium flux", "Jurkat, Fluo-4, FLIPR", 10.0),
    ("chemotaxis (SDF-1 dependent)", "MDA-MB-231", 20.0),
    ("chemotaxis (SDF-1 dependent)", "Namalwa", 10.0),
    ("chemotaxis (SDF-1 dependent)", "Jurkat", 10.0),
    ("pERK / pAKT inhibition (western blot)", "Namalwa, CXCL12 ~100 ng/mL", 200.0),
    ("pERK / pAKT inhibition (western blot)", "Jurkat, CXCL12 ~100 ng/mL", 400.0),
)


PUBLISHED_SOURCE = "seed technical guides, table 'In Vitro Activity' (seed_facts.toml [[potency]])"

MECHANISMS = ("agonist concentration", "receptor reserve", "amplification")
"""The three causes of the pERK/pAKT right-shift, in the order the folds are taken."""


@dataclass(frozen=True)
class AssayCondition:
    """How one published assay is run: readout, cell line and agonist (mol/L, or an ECxx)."""

    assay: str
    system: str
    bound_nm: float
    readout: Readout
    cell: str
    agonist_molar: float | None = None
    agonist_ec: float | None = None
    note: str = ""


CONDITIONS: tuple[AssayCondition, ...] = (
    AssayCondition(*PUBLISHED[0], "binding", "engineered", agonist_molar=0.1 * _NM,
                   note="[125I]CXCL12 0.1 nM tracer (at or below its KD, seeds)"),
    AssayCondition(*PUBLISHED[1], "arrestin", "engineered", agonist_ec=0.8,
                   note="CXCL12 at the EC80 of recruitment (seeds)"),
    AssayCondition(*PUBLISHED[2], "calcium", "Jurkat", agonist_ec=0.8,
                   note="CXCL12 at the EC80 of the peak (FLIPR antagonist-mode convention)"),
    AssayCondition(*PUBLISHED[3], "chemotaxis", "MDA-MB-231", agonist_molar=_CXCL12_100_NG_PER_ML,
                   note="CXCL12 100 ng/mL in the lower chamber (seeds)"),
    AssayCondition(*PUBLISHED[4], "chemotaxis", "Namalwa", agonist_molar=_CXCL12_100_NG_PER_ML,
                   note="CXCL12 100 ng/mL (seeds)"),
    AssayCondition(*PUBLISHED[5], "chemotaxis", "Jurkat", agonist_molar=_CXCL12_100_NG_PER_ML,
                   note="CXCL12 100 ng/mL (seeds)"),
    AssayCondition(*PUBLISHED[6], "perk", "Namalwa", agonist_molar=_CXCL12_100_NG_PER_ML,
                   note="CXCL12 ~100 ng/mL (seeds); pERK"),
    AssayCondition(*PUBLISHED[6], "pakt", "Namalwa", agonist_molar=_CXCL12_100_NG_PER_ML,
                   note="CXCL12 ~100 ng/mL (seeds); pAKT"),
    AssayCondition(*PUBLISHED[7], "perk", "Jurkat", agonist_molar=_CXCL12_100_NG_PER_ML,
                   note="CXCL12 ~100 ng/mL (seeds); pERK"),
    AssayCondition(*PUBLISHED[7], "pakt", "Jurkat", agonist_molar=_CXCL12_100_NG_PER_ML,
                   note="CXCL12 ~100 ng/mL (seeds); pAKT"),
)  # fmt: skip


@dataclass(frozen=True)
class AssayPrediction:
    """Predicted IC50 (mol/L) of one assay against its published upper bound."""

    assay: str
    system: str
    readout: str
    cell_line: str
    agonist_molar: float
    predicted_ic50_molar: float
    bound_molar: float
    note: str

    @property
    def satisfied(self) -> bool:
        return self.predicted_ic50_molar < self.bound_molar


@dataclass(frozen=True)
class ShiftFactor:
    """One fold-shift between Kb and a western-blot IC50; ``cumulative_molar`` = Kb x product.

    ``mechanism`` is one of :data:`MECHANISMS` ("" in results stored before it existed).
    """

    cell_line: str
    readout: str
    step: str
    fold: float
    cumulative_molar: float
    mechanism: str = ""


@dataclass(frozen=True)
class ModelParameter:
    """A model parameter with its unit and source."""

    name: str
    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class ReceptorCalibration(Serial):
    """The calibration of balixafortide's Kb (mol/L) against every published potency bound."""

    kind: ClassVar[str] = "receptor_calibration"

    kb_molar: float
    kb_max_molar: float | None
    ka_molar: float
    predictions: tuple[AssayPrediction, ...]
    decomposition: tuple[ShiftFactor, ...]
    parameters: tuple[ModelParameter, ...]

    @property
    def all_satisfied(self) -> bool:
        return all(p.satisfied for p in self.predictions)

    @property
    def limiting(self) -> AssayPrediction | None:
        """The assay whose bound sets ``kb_max_molar`` (smallest bound / IC50), if defined."""
        if self.kb_max_molar is None or not self.predictions:
            return None
        return min(self.predictions, key=lambda p: p.bound_molar / p.predicted_ic50_molar)

    def kb_range_text(self) -> str:
        """The range of Kb meeting every published bound, in words with units (nM)."""
        lim = self.limiting
        if self.kb_max_molar is None or lim is None:
            return (
                "No closed-form Kb range: with constitutive activity the IC50s are not "
                "proportional to Kb."
            )
        return (
            f"Kb consistent with every published bound: any Kb <= {self.kb_max_molar / _NM:.3g} "
            "nM (the bounds are upper bounds on IC50s proportional to Kb, so there is no lower "
            f"limit); the edge is set by {lim.assay}, {lim.system} ({lim.readout}: "
            f"{lim.predicted_ic50_molar / _NM:.3g} nM predicted vs < {lim.bound_molar / _NM:.3g} "
            "nM published)."
        )

    def potencies(self, source: str = "") -> list[Potency]:
        """No potencies: predicted IC50s are model outputs, not estimates for the summary."""
        return []

    def summary(self) -> pd.DataFrame:
        """One row per assay: agonist (nM), predicted IC50 (nM), bound (nM), IC50/Kb, met."""
        return pd.DataFrame(
            [
                {
                    "assay": p.assay,
                    "system": p.system,
                    "readout": p.readout,
                    "cell line": p.cell_line,
                    "CXCL12 (nM)": p.agonist_molar / _NM,
                    "predicted IC50 (nM)": p.predicted_ic50_molar / _NM,
                    "published IC50 bound (nM)": p.bound_molar / _NM,
                    "IC50 / Kb": p.predicted_ic50_molar / self.kb_molar,
                    "bound met": p.satisfied,
                }
                for p in self.predictions
            ]
        )

    def decomposition_table(self) -> pd.DataFrame:
        """Fold-shifts from Kb to each western-blot IC50 (nM); folds multiply to the IC50/Kb."""
        return pd.DataFrame(
            [
                {
                    "cell line": f.cell_line,
                    "readout": f.readout,
                    "step": f.step,
                    "fold": f.fold,
                    "cumulative IC50 (nM)": f.cumulative_molar / _NM,
                }
                for f in self.decomposition
            ]
        )

    def mechanism_table(self) -> pd.DataFrame:
        """Per western-blot readout: Kb times one fold per mechanism = predicted IC50 (nM).

        The folds of :data:`MECHANISMS` multiply to IC50 / Kb; the binding IC50 (tracer at
        0.1 nM) is shown beside it for the right-shift the seeds report.
        """
        binding = next((p for p in self.predictions if p.readout == "binding"), None)
        rows = []
        for cell, readout in dict.fromkeys((f.cell_line, f.readout) for f in self.decomposition):
            steps = [f for f in self.decomposition if (f.cell_line, f.readout) == (cell, readout)]
            pred = next(
                (p for p in self.predictions if (p.cell_line, p.readout) == (cell, readout)), None
            )
            ic50 = steps[-1].cumulative_molar
            rows.append(
                {
                    "cell line": cell,
                    "readout": readout,
                    "Kb (nM)": self.kb_molar / _NM,
                    **{
                        f"x {m}": math.prod(f.fold for f in steps if f.mechanism == m)
                        for m in MECHANISMS
                    },
                    "product (IC50 / Kb)": math.prod(f.fold for f in steps),
                    "predicted IC50 (nM)": ic50 / _NM,
                    "published IC50 bound (nM)": None if pred is None else pred.bound_molar / _NM,
                    "IC50 / binding IC50": (
                        None if binding is None else ic50 / binding.predicted_ic50_molar
                    ),
                }
            )
        return pd.DataFrame(rows)

    def parameters_table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(p) for p in self.parameters])


def _agonist(model: Cxcr4Model, cond: AssayCondition, cell: CellLine) -> float:
    if cond.agonist_molar is not None:
        return cond.agonist_molar
    if cond.agonist_ec is None:
        raise InputError("needs agonist_molar or agonist_ec", field=cond.assay)

    def curve(a: float) -> float:
        return model.response(cond.readout, agonist=a, antagonist=0.0, cell=cell)

    return functional_ec(cond.agonist_ec, curve, top=1e-2)


def predict_ic50(model: Cxcr4Model, cond: AssayCondition) -> tuple[float, float]:
    """(agonist mol/L, predicted IC50 mol/L) of ``cond`` by root search on the model readout."""
    cell = CELL_LINES[cond.cell]
    agonist = _agonist(model, cond, cell)

    def inhibited(b: float) -> float:
        return model.response(cond.readout, agonist=agonist, antagonist=b, cell=cell)

    return agonist, functional_ic50(inhibited)


_STEP_NAMES = {
    "perk": ("G protein (Gi) reserve", "RAS", "RAF/MEK", "ERK"),
    "pakt": ("G protein (Gi) reserve", "PI3K", "AKT"),
}


def shift_decomposition(model: Cxcr4Model, cond: AssayCondition) -> tuple[ShiftFactor, ...]:
    """Kb -> IC50 as fold-shifts: agonist occupancy (1 + a), then each stage's reserve.

    IC50 = Kb (1 + a (1 + tau_k)) after stage k (tau_k the effective ratio of stages 1..k), so
    the successive ratios telescope: their product is IC50 / Kb exactly.
    """
    if cond.readout not in _STEP_NAMES or cond.agonist_molar is None:
        raise InputError("decomposition is for the western-blot readouts", field="readout")
    if model.constitutive != 0:
        raise InputError("decomposition assumes no constitutive activity", field="constitutive")
    cell = CELL_LINES[cond.cell]
    a = cond.agonist_molar / model.ka
    gains = model.gains(cond.readout, cell)
    factors = [("agonist occupancy (Cheng-Prusoff, [A]/KA)", 1.0 + a, MECHANISMS[0])]
    previous = 1.0 + a
    for k, name in enumerate(_STEP_NAMES[cond.readout], start=1):
        tau = cascade_tau(gains[:k])
        now = 1.0 + a * (1.0 + tau)
        mechanism = MECHANISMS[1] if k == 1 else MECHANISMS[2]
        factors.append((f"{name} (tau_eff {tau:.3g})", now / previous, mechanism))
        previous = now
    out = []
    cumulative = model.kb
    for step, fold, mechanism in factors:
        cumulative *= fold
        out.append(ShiftFactor(cell.name, cond.readout, step, fold, cumulative, mechanism))
    return tuple(out)


def _parameters(model: Cxcr4Model) -> tuple[ModelParameter, ...]:
    rows = [
        ModelParameter(name, float(getattr(model, name)), unit, source)
        for name, (unit, source) in PARAMETER_SOURCES.items()
        if hasattr(model, name)
    ]
    for key, cell in CELL_LINES.items():
        for attr in ("expression", "tau_ras", "tau_mek", "tau_erk", "tau_pi3k", "tau_akt"):
            rows.append(
                ModelParameter(f"{key}.{attr}", getattr(cell, attr), "1", "assumed (calibration)")
            )
        rows.append(
            ModelParameter(f"{key}.tau_migration", cell.tau_migration, "1", "assumed (calibration)")
        )
    return tuple(rows)


def calibrate(model: Cxcr4Model | None = None) -> ReceptorCalibration:
    """Predict every published assay with ``model`` (default parameters) and its one Kb.

    ``kb_max_molar`` is the largest Kb meeting every bound: with no constitutive activity each
    IC50 is proportional to Kb (the readouts depend on [B]/Kb only).
    """
    model = model or Cxcr4Model()
    predictions = []
    for cond in CONDITIONS:
        agonist, ic50 = predict_ic50(model, cond)
        predictions.append(
            AssayPrediction(
                assay=cond.assay,
                system=cond.system,
                readout=cond.readout,
                cell_line=CELL_LINES[cond.cell].name,
                agonist_molar=agonist,
                predicted_ic50_molar=ic50,
                bound_molar=cond.bound_nm * _NM,
                note=cond.note,
            )
        )
    plain = model.constitutive == 0
    kb_max = (
        min(model.kb * p.bound_molar / p.predicted_ic50_molar for p in predictions)
        if plain
        else None
    )
    decomposition = tuple(
        f
        for cond in CONDITIONS
        if plain and cond.readout in _STEP_NAMES
        for f in shift_decomposition(model, cond)
    )
    return ReceptorCalibration(
        kb_molar=model.kb,
        kb_max_molar=kb_max,
        ka_molar=model.ka,
        predictions=tuple(predictions),
        decomposition=decomposition,
        parameters=_parameters(model),
    )
