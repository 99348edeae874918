"""Virtual experiments from the mechanistic model (SIMULATED data): plates and a Schild study.

Plates are written as the instruments export them (plate-grid CSV, FLIPR time x well CSV) with a
wellmap TOML layout, in the formats :mod:`cxcr4lab.assays` reads, so the assay analyses can be
run on them unchanged and their Kb compared with the model's. Every file says it is simulated.
Concentrations in mol/L unless a name says nM; noise is seeded (``numpy.random.default_rng``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxcr4lab.assays.binding import BindingSettings
from cxcr4lab.assays.calcium import CalciumSettings
from cxcr4lab.assays.chemotaxis import ChemotaxisSettings
from cxcr4lab.assays.inhibition import PlateSettings
from cxcr4lab.core.errors import InputError
from cxcr4lab.fit.schild import SchildResult, fit_schild
from cxcr4lab.receptor.mechanistic import Cxcr4Model, Readout, functional_ec
from cxcr4lab.studies.calibration import CELL_LINES

__all__ = [
    "SchildExperiment",
    "VirtualPlate",
    "schild_experiment",
    "virtual_arrestin_plate",
    "virtual_binding_plate",
    "virtual_calcium_plate",
    "virtual_chemotaxis_plate",
]

_NM = 1e-9
_ROWS = "ABCDEFGH"
_LABEL = "SIMULATED data (cxcr4lab.studies.virtual, mechanistic CXCL12/CXCR4 model)"


@dataclass(frozen=True)
class VirtualPlate:
    """A simulated plate file and its layout (bytes, as uploaded) with the analysis settings."""

    plate_name: str
    plate: bytes
    layout: bytes
    settings: BindingSettings | PlateSettings | CalciumSettings | ChemotaxisSettings
    kb_molar: float


@dataclass(frozen=True)
class SchildExperiment:
    """Agonist curves at several antagonist concentrations and their global Gaddum/Schild fit."""

    data: pd.DataFrame
    fit: SchildResult
    pkb: float


def _series(top_nm: float, factor: float, n: int) -> list[float]:
    return [top_nm / factor**k for k in range(n)]


def _layout(
    header: str, controls: dict[str, str], blocks: list[tuple[str, str, list[float]]]
) -> bytes:
    """96-well wellmap TOML: controls (key -> role) and (first well, role/compound, nM) rows."""
    lines = [f"# {_LABEL}", f"# {header}", "", "[expt]", "plate = 96", ""]
    for key, role in controls.items():
        lines += [f"[{key}]", f'role = "{role}"', ""]
    for first, what, concs in blocks:
        role, compound = what.split("/")
        height = 3 if role == "sample" else 2
        for k, conc in enumerate(concs):
            lines += [
                f"[block.1x{height}.{first[0]}{int(first[1:]) + k}]",
                f'role = "{role}"',
                f'compound = "{compound}"',
                f'conc = "{conc:.6g} nM"',
                "",
            ]
    return "\n".join(lines).encode()


def _grid_csv(grid: np.ndarray, title: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([_LABEL])
    w.writerow([])
    w.writerow([title])
    w.writerow(["", *range(1, 13)])
    for r, row in enumerate(grid):
        w.writerow([_ROWS[r], *(f"{v:.1f}" for v in row)])
    return buf.getvalue().encode()


def virtual_binding_plate(
    model: Cxcr4Model, *, seed: int, ligand_molar: float = 0.1 * _NM
) -> VirtualPlate:
    """[125I]CXCL12 competition: col 1 total, col 12 NSB, rows A-H balixafortide (half-log from
    300 nM), Poisson counts with 5 % pipetting error; B0 5,000 cpm, NSB 400 cpm."""
    rng = np.random.default_rng(seed)
    concs = [300.0 / 10 ** (k / 2) for k in range(10)]
    b0, nsb = 5000.0, 400.0
    occ0 = model.bound_radioligand(ligand=ligand_molar, antagonist=0.0)
    grid = np.zeros((8, 12))
    for r in range(8):
        for c in range(12):
            if c == 11:
                mean = nsb
            else:
                b = 0.0 if c == 0 else concs[c - 1] * _NM
                mean = nsb + b0 * model.bound_radioligand(ligand=ligand_molar, antagonist=b) / occ0
            grid[r, c] = rng.poisson(mean) * (1 + 0.05 * rng.standard_normal())
    lines = [f"# {_LABEL}", "# col 1 total, col 12 NSB, rows A-H balixafortide", "", "[expt]"]
    lines += ["plate = 96", "", "[col.1]", 'role = "total"', "", "[col.12]", 'role = "nsb"', ""]
    lines += ['[row."A-H"]', 'compound = "balixafortide"', ""]
    for k, conc in enumerate(concs):
        lines += [f"[col.{k + 2}]", 'role = "sample"', f'conc = "{conc:.6g} nM"', ""]
    return VirtualPlate(
        "virtual_binding.csv",
        _grid_csv(grid, "Plate 1 - CCPM"),
        "\n".join(lines).encode(),
        BindingSettings(radioligand_molar=ligand_molar, kd_molar=model.ka),
        model.kb,
    )


def _functional_layout(header: str, low_role: str, top_b_nm: float) -> tuple[bytes, list[float]]:
    balix = _series(top_b_nm, 3.0, 10)
    agon = _series(300.0, 3.0, 10)
    layout = _layout(
        header,
        {
            "block.1x4.A1": "max",
            "block.1x4.A12": "max",
            "block.1x4.E1": low_role,
            "block.1x4.E12": low_role,
        },
        [("A2", "sample/balixafortide", balix), ("G2", "agonist/CXCL12", agon)],
    )
    return layout, balix


def _well_conditions(
    balix_nm: list[float], agonist_molar: float
) -> dict[str, tuple[float, float, bool]]:
    """well -> (CXCL12 mol/L, balixafortide mol/L, is a low control)."""
    agon = _series(300.0, 3.0, 10)
    out = {}
    for r, letter in enumerate(_ROWS):
        for c in range(12):
            well = f"{letter}{c + 1}"
            if c in (0, 11):
                out[well] = (0.0 if r >= 4 else agonist_molar, 0.0, r >= 4)
            elif letter in "GH":
                out[well] = (agon[c - 1] * _NM, 0.0, False)
            elif letter in "ABC":
                out[well] = (agonist_molar, balix_nm[c - 1] * _NM, False)
            else:
                out[well] = (0.0, 0.0, True)  # rows D-F unused: buffer
    return out


def _ec80(model: Cxcr4Model, readout: Readout, cell: str) -> float:
    line = CELL_LINES[cell]

    def curve(a: float) -> float:
        return model.response(readout, agonist=a, antagonist=0.0, cell=line)

    return functional_ec(0.8, curve, top=1e-2)


def virtual_arrestin_plate(model: Cxcr4Model, *, seed: int, cv: float = 0.04) -> VirtualPlate:
    """PathHunter-style EFC plate: CXCL12 at the model's EC80, balixafortide rows A-C (300 nM,
    1:3), CXCL12 curve rows G-H; RLU = 2,000 + 60,000 x recruitment, ``cv`` multiplicative noise.
    Rows D-F are left as buffer wells (layout: unused)."""
    rng = np.random.default_rng(seed)
    agonist = _ec80(model, "arrestin", "engineered")
    layout, balix = _functional_layout("beta-arrestin, CXCL12 at EC80", "no_agonist", 300.0)
    cell = CELL_LINES["engineered"]
    grid = np.zeros((8, 12))
    for well, (a, b, _) in _well_conditions(balix, agonist).items():
        r, c = _ROWS.index(well[0]), int(well[1:]) - 1
        mean = 2000.0 + 60000.0 * model.response("arrestin", agonist=a, antagonist=b, cell=cell)
        grid[r, c] = mean * (1 + cv * rng.standard_normal())
    return VirtualPlate(
        "virtual_arrestin.csv",
        _grid_csv(grid, "Plate 1 - Luminescence"),
        layout,
        PlateSettings(agonist_molar=agonist),
        model.kb,
    )


def virtual_calcium_plate(model: Cxcr4Model, *, seed: int) -> VirtualPlate:
    """FLIPR-style Jurkat/Fluo-4 kinetic plate from the Ca2+ ODE: 1 s reads for 120 s, CXCL12
    (its EC80) injected at 20 s; dye loading varies 15 % (lognormal), reading noise 1 %."""
    rng = np.random.default_rng(seed)
    cell = CELL_LINES["Jurkat"]
    agonist = _ec80(model, "calcium", "Jurkat")
    layout, balix = _functional_layout("calcium flux, Jurkat, CXCL12 at EC80", "buffer", 100.0)
    times = np.arange(0.0, 121.0, 1.0)
    after = times[times >= 20.0] - 20.0
    n_before = int(np.sum(times < 20.0))
    cache: dict[tuple[float, float], np.ndarray] = {}
    traces: dict[str, np.ndarray] = {}
    for well, (a, b, _) in _well_conditions(balix, agonist).items():
        key = (a, b)
        if key not in cache:
            ca = model.calcium_trace(agonist=a, antagonist=b, cell=cell, times_s=after)
            f = model.fluo4(ca)
            cache[key] = np.concatenate([np.full(n_before, f[0]), f])
        base = 2000.0 * rng.lognormal(0.0, 0.15)
        traces[well] = base * cache[key] * (1 + 0.01 * rng.standard_normal(times.size))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([_LABEL])
    w.writerow([])
    w.writerow(["Time (s)", *traces])
    for i, t in enumerate(times):
        w.writerow([f"{t:g}", *(f"{v[i]:.0f}" for v in traces.values())])
    return VirtualPlate(
        "virtual_calcium.csv",
        buf.getvalue().encode(),
        layout,
        CalciumSettings(plate=PlateSettings(agonist_molar=agonist), injection_s=20.0),
        model.kb,
    )


def virtual_chemotaxis_plate(
    model: Cxcr4Model, *, seed: int, cell: str = "Jurkat", agonist_molar: float = 100e-6 / 7963.5
) -> VirtualPlate:
    """Transwell plate read by crystal violet (A570 = 0.08 + 8e-5 per migrated cell, 0.01 OD
    noise): basal 2,500 cells + 10,000 x the model's migration readout, 8 % insert-to-insert
    variation; CXCL12 100 ng/mL below; balixafortide rows A-C (300 nM, 1:3); blanks G2-G4,
    H2-H4. The settings carry the model's CXCL12 EC50 for this readout (chemotaxis plates have
    no usable CXCL12 curve of their own), so the analysis reports a Leff-Dougall Kb."""
    rng = np.random.default_rng(seed)
    line = CELL_LINES[cell]
    balix = _series(300.0, 3.0, 10)
    layout = _layout(
        f"chemotaxis, {line.name}, CXCL12 {agonist_molar / _NM:.3g} nM, crystal violet",
        {
            "block.1x4.A1": "max",
            "block.1x4.A12": "max",
            "block.1x4.E1": "no_agonist",
            "block.1x4.E12": "no_agonist",
            "block.3x2.G2": "blank",
        },
        [("A2", "sample/balixafortide", balix)],
    )
    grid = np.full((8, 12), 0.08)
    for well, (a, b, _) in _well_conditions(balix, agonist_molar).items():
        r, c = _ROWS.index(well[0]), int(well[1:]) - 1
        if r >= 6 and 1 <= c <= 3:
            grid[r, c] = 0.08 + 0.01 * rng.standard_normal()  # blank membranes
            continue
        migration = model.response("chemotaxis", agonist=a, antagonist=b, cell=line)
        cells = (2500.0 + 10000.0 * migration) * (1 + 0.08 * rng.standard_normal())
        grid[r, c] = 0.08 + 8e-5 * cells + 0.01 * rng.standard_normal()

    def curve(x: float) -> float:
        return model.response("chemotaxis", agonist=x, antagonist=0.0, cell=line)

    ec50 = functional_ec(0.5, curve, top=1e-2)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([_LABEL])
    w.writerow([])
    w.writerow(["Plate 1 - Absorbance 570 nm"])
    w.writerow(["", *range(1, 13)])
    for r, row in enumerate(grid):
        w.writerow([_ROWS[r], *(f"{v:.4f}" for v in row)])
    settings = ChemotaxisSettings(
        plate=PlateSettings(agonist_molar=agonist_molar, agonist_ec50_molar=ec50),
        readout="absorbance",
        cell_line=line.name,
    )
    return VirtualPlate(
        "virtual_chemotaxis.csv", buf.getvalue().encode(), layout, settings, model.kb
    )


def schild_experiment(
    model: Cxcr4Model,
    *,
    seed: int,
    antagonist_molar: tuple[float, ...] = (0.0, 0.3e-9, 3e-9, 30e-9),
    readout: Readout = "arrestin",
    cell: str = "engineered",
    noise_pct: float = 1.0,
    fix_slope: float | None = None,
) -> SchildExperiment:
    """CXCL12 curves (1 pM - 10 µM, half-log, duplicate) at each balixafortide concentration,
    response in % of the pathway maximum plus Gaussian noise (``noise_pct`` SD), fitted with the
    global Gaddum/Schild model of :mod:`cxcr4lab.fit.schild`."""
    if noise_pct < 0:
        raise InputError(f"must be >= 0, got {noise_pct!r}", field="noise_pct")
    rng = np.random.default_rng(seed)
    line = CELL_LINES[cell]
    log_a = np.arange(-12.0, -4.99, 0.5)
    rows = []
    for b in antagonist_molar:
        for x in log_a:
            mean = 100.0 * model.response(readout, agonist=10.0**x, antagonist=b, cell=line)
            for _ in range(2):
                rows.append((x, b, mean + noise_pct * rng.standard_normal()))
    data = pd.DataFrame(rows, columns=["log10 CXCL12 (M)", "balixafortide (M)", "response (%)"])
    fit = fit_schild(
        data["log10 CXCL12 (M)"],
        data["balixafortide (M)"],
        data["response (%)"],
        fix_slope=fix_slope,
    )
    return SchildExperiment(data, fit, -float(np.log10(model.kb)))
