"""The signalling model's SBML checked against the Python model (kind ``signalling_sbml``).

:func:`check_signalling_sbml` takes SBML files of the signalling model (our export,
:func:`~cxcr4lab.receptor.sbml.to_signalling_sbml`, or a user's edited copy), reads each back
into a :class:`~cxcr4lab.receptor.mechanistic.Cxcr4Model` and cell line, and compares the file's
own math, evaluated by an SBML engine, with the Python model on every virtual-assay read-out
over a grid of CXCL12 x balixafortide concentrations: occupancy, G*, pERK, pAKT, migration,
beta-arrestin, surface CXCR4, the Ca2+ trace (µmol/L, 0-120 s every 0.5 s) and its Fluo-4 peak
dF/F0, and the functional IC50 of each read-out (root search, :func:`functional_ic50`) at one
CXCL12 concentration. Both sides integrate the Ca2+ ODE with tight tolerances (rtol 1e-12).

Engines: ``libsbml`` (:class:`~cxcr4lab.receptor.sbml_eval.SbmlRules`: python-libsbml math trees
+ scipy LSODA; always available) or ``libroadrunner`` (CVODE; a development dependency). The
relative difference is |SBML - Python| / max(|Python|, 1e-6): read-outs are fractions or dF/F0
of order 1, so values below 1e-6 (no CXCL12) are compared absolutely. Model, not data: every
read-out here is SIMULATED.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.assays.potency import Potency
from cxcr4lab.core.errors import InputError
from cxcr4lab.core.serial import Serial
from cxcr4lab.receptor.mechanistic import (
    CXCL12_MW,
    CellLine,
    Cxcr4Model,
    Readout,
    functional_ic50,
)
from cxcr4lab.receptor.sbml import AGONIST, ANTAGONIST, from_signalling_sbml, to_signalling_sbml
from cxcr4lab.receptor.sbml_eval import RoadRunnerRules, SbmlRules
from cxcr4lab.studies.calibration import CELL_LINES

__all__ = [
    "DEFAULT_AGONIST",
    "DEFAULT_ANTAGONIST",
    "ENGINES",
    "READOUT_IDS",
    "TOLERANCE",
    "CalciumTrace",
    "ReadoutCheck",
    "ResponseCurve",
    "SignallingSbmlCheck",
    "check_signalling_sbml",
    "export_cell_lines",
]

Array = NDArray[np.float64]
Engine = Literal["libsbml", "libroadrunner"]
ENGINES: tuple[Engine, ...] = ("libsbml", "libroadrunner")

TOLERANCE = 1e-6
"""Largest relative difference accepted between the SBML and the Python model."""
FLOOR = 1e-6
"""Below this magnitude a read-out is compared absolutely (see the module docstring)."""
_RTOL, _ATOL = 1e-12, 1e-14
_NM = 1e-9
IC50_AGONIST = 100e-6 / CXCL12_MW
"""CXCL12 100 ng/mL (12.56 nM), where the functional IC50s are taken by default (seeds)."""
DEFAULT_AGONIST = (0.0, 1 * _NM, IC50_AGONIST, 100 * _NM)
DEFAULT_ANTAGONIST = (0.0, 0.1 * _NM, 1 * _NM, 30 * _NM)
TIMES_S = np.linspace(0.0, 120.0, 241)
"""The Ca2+ trace grid (s): the FLIPR read of :meth:`Cxcr4Model.calcium_peak`."""

READOUT_IDS: dict[str, tuple[str, str]] = {
    # read-out label -> (SBML id, unit)
    "occupancy": ("occupancy", "fraction of CXCR4"),
    "G*": ("g_active", "fraction of maximum"),
    "pERK": ("perk", "fraction of maximum"),
    "pAKT": ("pakt", "fraction of maximum"),
    "migration": ("migration", "fraction of maximum"),
    "beta-arrestin": ("arrestin", "fraction of maximum"),
    "surface CXCR4": ("surface_cxcr4", "fraction of CXCR4"),
}
"""The equilibrium read-outs and the assignment rules that hold them."""
_PATHWAYS: dict[str, Readout] = {
    "G*": "g_protein",
    "pERK": "perk",
    "pAKT": "pakt",
    "migration": "chemotaxis",
    "beta-arrestin": "arrestin",
}
"""The pathway read-outs by their :meth:`Cxcr4Model.response` names."""
CA_PEAK = "Ca2+ peak dF/F0"
CA_TRACE = "Ca2+ trace"


def _python(model: Cxcr4Model, cell: CellLine, label: str, a: float, b: float) -> float:
    if label == "occupancy":
        return model.occupancy(agonist=a, antagonist=b)
    if label == "surface CXCR4":
        return model.surface_fraction(agonist=a, antagonist=b, cell=cell)
    if label == CA_PEAK:
        return model.calcium_peak(agonist=a, antagonist=b, cell=cell, rtol=_RTOL, atol=_ATOL)
    return model.response(_PATHWAYS[label], agonist=a, antagonist=b, cell=cell)


class _Sbml:
    """One file evaluated by the chosen engine: equilibrium read-outs and the Ca2+ trace."""

    def __init__(self, text: str, engine: Engine, file: str | None) -> None:
        self.engine: SbmlRules | RoadRunnerRules = (
            SbmlRules(text, file=file)
            if engine == "libsbml"
            else RoadRunnerRules(text, file=file, rtol=_RTOL, atol=_ATOL)
        )

    def equilibrium(self, a: float, b: float) -> dict[str, float]:
        changes = {AGONIST: a, ANTAGONIST: b}
        ids = [i for i, _ in READOUT_IDS.values()]
        if isinstance(self.engine, SbmlRules):
            v = self.engine.initial(changes)
            return {label: v[i] for label, (i, _) in READOUT_IDS.items()}
        got = self.engine.initial(changes, ids)
        return {label: got[i] for label, (i, _) in READOUT_IDS.items()}

    def trace(self, a: float, b: float) -> tuple[Array, Array]:
        """(Ca2+ µmol/L, dF/F0) on :data:`TIMES_S`."""
        changes = {AGONIST: a, ANTAGONIST: b}
        if isinstance(self.engine, SbmlRules):
            out = self.engine.simulate(TIMES_S, changes, rtol=_RTOL, atol=_ATOL)
        else:
            out = self.engine.simulate(TIMES_S, changes, ["ca", "dff0"])
        return out["ca"], out["dff0"]

    def value(self, label: str, a: float, b: float) -> float:
        if label == CA_PEAK:
            return float(self.trace(a, b)[1].max())
        return self.equilibrium(a, b)[label]


def _rel(sbml: Array | float, python: Array | float) -> float:
    """Largest |SBML - Python| / max(|Python|, FLOOR); infinity if a value is not finite."""
    s, p = np.asarray(sbml, dtype=float), np.asarray(python, dtype=float)
    d = np.abs(s - p) / np.maximum(np.abs(p), FLOOR)
    return float(np.max(d)) if np.all(np.isfinite(d)) else math.inf


def _sbml_ic50(response: Callable[[float], float]) -> float:
    """The SBML side's IC50, NaN where an edited file's read-out has no half-way point."""
    try:
        return functional_ic50(response)
    except ValueError:  # brentq: no sign change (a changed formula)
        return math.nan


@dataclass(frozen=True)
class ReadoutCheck(Serial):
    """One read-out: its largest relative difference over the grid, where, and the verdict."""

    readout: str
    unit: str
    n: int
    """Values compared (grid points x cell lines; time points for the trace)."""
    max_rel_diff: float
    worst: str
    """Where the largest difference is (cell line, CXCL12, balixafortide)."""
    tolerance: float
    passed: bool


@dataclass(frozen=True)
class ResponseCurve(Serial):
    """A read-out against CXCL12 at one balixafortide level: Python model (fine grid) and the
    SBML points (the check's grid)."""

    cell: str
    readout: str
    antagonist_molar: float
    agonist_molar: tuple[float, ...]
    python: tuple[float, ...]
    sbml_agonist_molar: tuple[float, ...]
    sbml: tuple[float, ...]


@dataclass(frozen=True)
class CalciumTrace(Serial):
    """Ca2+ (µmol/L) after CXCL12 at t = 0: Python model and SBML, every 2 s (for plots)."""

    cell: str
    agonist_molar: float
    antagonist_molar: float
    time_s: tuple[float, ...]
    python: tuple[float, ...]
    sbml: tuple[float, ...]


@dataclass(frozen=True)
class SignallingSbmlCheck(Serial):
    """The cross-check table (read-out, max relative difference, tolerance, pass) and the SBML.

    Model, not data: every read-out is SIMULATED by the mechanistic model and by the file.
    """

    kind: ClassVar[str] = "signalling_sbml"

    source: str
    engine: str
    cells: tuple[str, ...]
    sbml: tuple[str, ...]
    """The SBML text checked for each cell line (same order as ``cells``)."""
    agonist_molar: tuple[float, ...]
    antagonist_molar: tuple[float, ...]
    ic50_agonist_molar: float
    checks: tuple[ReadoutCheck, ...]
    ic50_python_molar: tuple[float, ...]
    ic50_sbml_molar: tuple[float, ...]
    ic50_labels: tuple[str, ...]
    """``cell: read-out`` of each IC50 pair."""
    curves: tuple[ResponseCurve, ...]
    """Read-out curves of the first cell line (for the figures)."""
    traces: tuple[CalciumTrace, ...]
    """Ca2+ traces of the first cell line at the highest CXCL12 (for the figures)."""

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def potencies(self, source: str = "") -> list[Potency]:
        """No potencies: the IC50s here are model outputs, not estimates for the summary."""
        return []

    @property
    def max_rel_diff(self) -> float:
        return max(c.max_rel_diff for c in self.checks)

    def summary(self) -> pd.DataFrame:
        """One row per read-out: n, max relative difference, where, tolerance, pass."""
        return pd.DataFrame(
            [
                {
                    "read-out": c.readout,
                    "unit": c.unit,
                    "n": c.n,
                    "max relative difference": c.max_rel_diff,
                    "where": c.worst,
                    "tolerance": c.tolerance,
                    "pass": c.passed,
                }
                for c in self.checks
            ]
        )

    def ic50_table(self) -> pd.DataFrame:
        """Functional IC50s (nM) of the Python model and of the SBML, per cell line."""
        return pd.DataFrame(
            {
                "cell line: read-out": list(self.ic50_labels),
                "Python IC50 (nM)": [v / _NM for v in self.ic50_python_molar],
                "SBML IC50 (nM)": [v / _NM for v in self.ic50_sbml_molar],
                "relative difference": [
                    abs(s - p) / p
                    for s, p in zip(self.ic50_sbml_molar, self.ic50_python_molar, strict=True)
                ],
            }
        )


def export_cell_lines(
    model: Cxcr4Model | None = None, cells: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    """(cell line key, SBML text) of ``model`` (default parameters) in each bundled cell line."""
    model = model or Cxcr4Model()
    keys = list(CELL_LINES) if cells is None else list(cells)
    for key in keys:
        if key not in CELL_LINES:
            raise InputError(f"unknown cell line; choose from {', '.join(CELL_LINES)}", field=key)
    return [(key, to_signalling_sbml(model, CELL_LINES[key])) for key in keys]


def _where(cell: str, a: float, b: float) -> str:
    return f"{cell}, CXCL12 {a / _NM:.4g} nM, balixafortide {b / _NM:.4g} nM"


def _check_grid(name: str, values: Sequence[float]) -> tuple[float, ...]:
    grid = tuple(sorted({float(v) for v in values}))
    if not grid or any(not (math.isfinite(v) and v >= 0) for v in grid):
        raise InputError("needs concentrations >= 0 mol/L", field=name)
    return grid


def check_signalling_sbml(
    files: Sequence[tuple[str, str]],
    *,
    source: str,
    agonist_molar: Sequence[float] = DEFAULT_AGONIST,
    antagonist_molar: Sequence[float] = DEFAULT_ANTAGONIST,
    ic50_agonist_molar: float = IC50_AGONIST,
    engine: Engine = "libsbml",
    tolerance: float = TOLERANCE,
    progress: Callable[[str, int, int], None] | None = None,
) -> SignallingSbmlCheck:
    """Compare each SBML file (name, text) with the Python model it imports to (module doc)."""
    if engine not in ENGINES:
        raise InputError(f"must be one of {', '.join(ENGINES)}", field="engine")
    agonists = _check_grid("agonist_conc", agonist_molar)
    antagonists = _check_grid("antagonist_conc", antagonist_molar)
    if not (math.isfinite(ic50_agonist_molar) and ic50_agonist_molar > 0):
        raise InputError("must be a concentration > 0 mol/L", field="ic50_agonist")
    labels = [*READOUT_IDS, CA_PEAK]
    worst: dict[str, tuple[float, str]] = {k: (0.0, "") for k in [*labels, CA_TRACE]}
    counts = dict.fromkeys(worst, 0)
    ic50_labels: list[str] = []
    ic50_py: list[float] = []
    ic50_sb: list[float] = []
    curves: list[ResponseCurve] = []
    traces: list[CalciumTrace] = []
    cells: list[str] = []
    texts: list[str] = []
    fine = tuple(float(x) for x in np.logspace(-12.0, -6.0, 31))

    def note(label: str, rel: float, where: str, n: int) -> None:
        counts[label] += n
        if not worst[label][1] or rel > worst[label][0]:
            worst[label] = (rel, where)

    for done, (file, text) in enumerate(files):
        imported = from_signalling_sbml(text, file=file)
        model, cell = imported.model, imported.cell
        sbml = _Sbml(text, engine, file)
        cells.append(cell.name)
        texts.append(text)
        for b in antagonists:
            sb_curve: dict[str, list[float]] = {label: [] for label in READOUT_IDS}
            for a in agonists:
                got = sbml.equilibrium(a, b)
                for label in READOUT_IDS:
                    p = _python(model, cell, label, a, b)
                    note(label, _rel(got[label], p), _where(cell.name, a, b), 1)
                    sb_curve[label].append(got[label])
                ca, dff0 = sbml.trace(a, b)
                py_ca = model.calcium_trace(
                    agonist=a, antagonist=b, cell=cell, times_s=TIMES_S, rtol=_RTOL, atol=_ATOL
                )
                note(CA_TRACE, _rel(ca, py_ca), _where(cell.name, a, b), ca.size)
                py_f = model.fluo4(py_ca)
                py_peak = float(py_f.max() / py_f[0] - 1.0)
                note(CA_PEAK, _rel(float(dff0.max()), py_peak), _where(cell.name, a, b), 1)
                if done == 0 and a == agonists[-1]:
                    traces.append(
                        CalciumTrace(
                            cell.name, a, b, tuple(TIMES_S[::4].tolist()),
                            tuple(py_ca[::4].tolist()), tuple(ca[::4].tolist()),
                        )
                    )  # fmt: skip
            for label in READOUT_IDS if done == 0 else ():
                curves.append(
                    ResponseCurve(
                        cell.name, label, b, fine,
                        tuple(_python(model, cell, label, a, b) for a in fine),
                        agonists, tuple(sb_curve[label]),
                    )
                )  # fmt: skip
        for label in labels:
            py = functional_ic50(partial(_python, model, cell, label, ic50_agonist_molar))
            sb = _sbml_ic50(partial(sbml.value, label, ic50_agonist_molar))
            ic50_labels.append(f"{cell.name}: {label}")  # CXCL12 at ic50_agonist_molar
            ic50_py.append(py)
            ic50_sb.append(sb)
        if progress is not None:
            progress("signalling SBML cross-check", done + 1, len(files))
    rel_ic50 = [
        abs(s - p) / p if math.isfinite(s) else math.inf
        for s, p in zip(ic50_sb, ic50_py, strict=True)
    ]
    k = int(np.argmax(rel_ic50))
    units = {**{n: u for n, (_, u) in READOUT_IDS.items()}, CA_PEAK: "dF/F0", CA_TRACE: "umol/L"}
    checks = [
        ReadoutCheck(label, units[label], counts[label], worst[label][0],
                     worst[label][1] if worst[label][0] > 0 else "identical everywhere",
                     tolerance, worst[label][0] <= tolerance)
        for label in [*labels, CA_TRACE]
    ]  # fmt: skip
    checks.append(
        ReadoutCheck(
            "functional IC50", "mol/L", len(rel_ic50), rel_ic50[k],
            f"{ic50_labels[k]}, CXCL12 {ic50_agonist_molar / _NM:.4g} nM", tolerance,
            rel_ic50[k] <= tolerance,
        )
    )  # fmt: skip
    return SignallingSbmlCheck(
        source=source,
        engine=engine,
        cells=tuple(cells),
        sbml=tuple(texts),
        agonist_molar=agonists,
        antagonist_molar=antagonists,
        ic50_agonist_molar=float(ic50_agonist_molar),
        checks=tuple(checks),
        ic50_python_molar=tuple(ic50_py),
        ic50_sbml_molar=tuple(ic50_sb),
        ic50_labels=tuple(ic50_labels),
        curves=tuple(curves),
        traces=tuple(traces),
    )
