"""One real, small instance of every stored result kind, built from the bundled examples.

Each builder runs the domain code directly (not through the CLI or the run registry), with
fixed inputs and small settings, so the same call gives the same result in every version:
``tests/core/test_serial.py`` round-trips them and compares them with the JSON the previous
serialisation code wrote (``tests/data/serial/<kind>.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

EXAMPLES = resources.files("cxcr4lab.examples")
PINNED = Path(__file__).resolve().parents[1] / "data" / "serial"
"""``<example>/<file>`` here: bundled example inputs as they were when the stored JSON was
written, for the examples regenerated since (bioanalysis, invivo: issue 17, the one human
balixafortide PK set)."""


def _bytes(folder: str, name: str) -> bytes:
    return EXAMPLES.joinpath(folder, name).read_bytes()


def _mw(name: str) -> float | None:
    from cxcr4lab.compounds import load_registry
    from cxcr4lab.core.errors import NotFoundError

    try:
        return load_registry().get(name).molecular_weight_g_per_mol
    except NotFoundError:
        return None


def _plate(folder: str, plate: str, layout: str) -> tuple[Any, Any]:
    from cxcr4lab.assays.layout import read_layout_bytes
    from cxcr4lab.assays.readers import read_plates_bytes

    data = read_plates_bytes(_bytes(folder, plate), plate)[0]
    return data, read_layout_bytes(_bytes(folder, layout), layout, mw_lookup=_mw)


def _table(folder: str, name: str) -> Any:
    from cxcr4lab.assays.tabular import read_table_bytes

    return read_table_bytes(_bytes(folder, name), name)


FROZEN = Path(__file__).resolve().parents[1] / "data" / "serial" / "clinical"


def _clinical(name: str) -> Any:
    """An example clinical table as it was when the stored results were written (the examples
    were regenerated since to reproduce every published figure: tests/data/serial/clinical)."""
    from cxcr4lab.clinical.cdisc import read_clinical_bytes

    return read_clinical_bytes((FROZEN / name).read_bytes(), name)[0]


# --- assays ---------------------------------------------------------------------------------------


def binding() -> Any:
    from cxcr4lab.assays.binding import BindingSettings, analyse

    plate, layout = _plate("binding", "plate96_run1.csv", "layout96.toml")
    return analyse(plate, layout, BindingSettings(radioligand_molar=0.1e-9, kd_molar=0.5e-9))


def arrestin() -> Any:
    from cxcr4lab.assays.arrestin import analyse
    from cxcr4lab.assays.inhibition import PlateSettings

    plate, layout = _plate("arrestin", "plate96_run1.csv", "layout96.toml")
    return analyse(plate, layout, PlateSettings(agonist_molar=25e-9))


def calcium() -> Any:
    from cxcr4lab.assays.calcium import CalciumSettings, analyse
    from cxcr4lab.assays.inhibition import PlateSettings
    from cxcr4lab.assays.kinetic import read_kinetic_bytes
    from cxcr4lab.assays.layout import read_layout_bytes

    data = read_kinetic_bytes(_bytes("calcium", "flipr_run1.csv"), "flipr_run1.csv")
    layout = read_layout_bytes(_bytes("calcium", "layout96.toml"), "layout96.toml", mw_lookup=_mw)
    settings = CalciumSettings(PlateSettings(agonist_molar=60.0 / 7963.5 * 1e-6), injection_s=20.0)
    return analyse(data, layout, settings)


def chemotaxis() -> Any:
    from cxcr4lab.assays.chemotaxis import ChemotaxisSettings, analyse_plate
    from cxcr4lab.assays.inhibition import PlateSettings

    plate, layout = _plate("chemotaxis", "calcein_jurkat.csv", "layout96_calcein.toml")
    settings = ChemotaxisSettings(
        PlateSettings(agonist_molar=12.5e-9), readout="fluorescence", cell_line="Jurkat"
    )
    return analyse_plate(plate, layout, settings)


def viability() -> Any:
    from cxcr4lab.assays.inhibition import PlateSettings
    from cxcr4lab.assays.viability import ViabilitySettings, analyse

    plate, layout = _plate("viability", "mtt_pc3_48h.csv", "layout96.toml")
    settings = ViabilitySettings(PlateSettings(saturation=4.0), cell_line="PC-3", exposure_h=48)
    return analyse(plate, layout, settings)


def elisa() -> Any:
    from cxcr4lab.assays.elisa import ElisaSettings, analyse

    plate, layout = _plate("elisa", "ifng_plate.csv", "ifng_layout.toml")
    return analyse(plate, layout, ElisaSettings())


def western() -> Any:
    from cxcr4lab.assays.western import WesternSettings, analyse

    settings = WesternSettings(agonist_molar=12.5e-9, cell_line="Namalwa")
    return analyse(_table("western", "namalwa_3blots.csv"), settings)


def bioanalysis() -> Any:
    from cxcr4lab.assays.bioanalysis import BioanalysisSettings, analyse
    from cxcr4lab.assays.tabular import read_table_bytes

    table = read_table_bytes((PINNED / "bioanalysis" / "run1.csv").read_bytes(), "run1.csv")
    return analyse(table, BioanalysisSettings(mw_g_per_mol=1864.1))


def cd34() -> Any:
    from cxcr4lab.assays.cd34 import Cd34Settings, analyse, counts_from_table

    counts = counts_from_table(_table("cd34", "counts.csv"))
    return analyse(counts, Cd34Settings(), source="counts.csv", input_format="table")


def occupancy() -> Any:
    from cxcr4lab.assays.occupancy import OccupancySettings, analyse, records_from_table

    records = records_from_table(_table("occupancy", "mfi_table.csv"))
    return analyse(records, OccupancySettings(), source="mfi_table.csv", input_format="table")


def ihc() -> Any:
    from cxcr4lab.assays.ihc import IhcSettings, analyse

    return analyse(_table("ihc", "scores_percent.csv"), IhcSettings(cutoff=200))


def cfu() -> Any:
    from cxcr4lab.assays.cfu import CfuSettings, analyse

    return analyse(_table("cfu", "apheresis.csv"), CfuSettings(reference="G-CSF"))


# --- pkpd ---------------------------------------------------------------------------------------


def mobilization() -> Any:
    from cxcr4lab.pkpd.mobilization import fit_mobilization

    return fit_mobilization()


def _theoph() -> Any:
    import io

    import pandas as pd

    return pd.read_csv(io.BytesIO(_bytes("pk", "theoph.csv")))


def nca() -> Any:
    from cxcr4lab.pkpd.nca import NcaSettings, nca

    settings = NcaSettings(lambda_z_ranges=(("2", 5.0, 24.3),))
    return nca(_theoph(), settings, source="theoph.csv")


def pkfit() -> Any:
    from cxcr4lab.pkpd.pkfit import fit_pk_table
    from cxcr4lab.pkpd.pkfit_results import PkFitSettings

    frame = _theoph()
    frame = frame[frame["subject"] <= 2]
    return fit_pk_table(frame, PkFitSettings(model="1cmt", route="oral"), source="theoph.csv")


def popfit() -> Any:
    import io

    import pandas as pd

    from cxcr4lab.pkpd.popfit import PopFitSettings, fit_population

    frame = pd.read_csv(io.BytesIO(_bytes("pk", "theoph_nonmem.csv")), dtype=str)
    settings = PopFitSettings(
        model="1cmt-oral", error="additive", bsv=("CL", "ka"), vpc_replicates=20
    )
    return fit_population(frame, settings, source="theoph_nonmem.csv")


def pk_regimen() -> Any:
    from cxcr4lab.pkpd.pk_regimen import DosingRegimen, given_parameters, simulate_pk_regimen

    regimen = DosingRegimen("oral", 320.0, 12.0, doses=3, bioavailability=0.9, lag=0.5)
    parameters = given_parameters("1cmt", "oral", {"CL": 2.8, "V": 34.3, "ka": 2.45})
    return simulate_pk_regimen(regimen, [parameters], conc_unit="mg/L", horizon=48.0, points=9)


def occupancy_course() -> Any:
    from cxcr4lab.pkpd.occupancy_model import OccupancyModel, occupancy_course

    model = OccupancyModel.for_compound("balixafortide", kd_molar=1e-9)
    times = [0.0, 1.0, 2.0, 6.0, 12.0, 24.0]
    conc = [0.0, 5000.0, 8000.0, 900.0, 150.0, 10.0]
    return occupancy_course(model, times, conc, "ng/mL", source="simulated")


def regimen() -> Any:
    from cxcr4lab.pkpd.regimens import Regimen

    return Regimen.balixafortide_eribulin()


def _small() -> Any:
    from cxcr4lab.pkpd.regimen_simulation import SimulationSettings

    return SimulationSettings(n_patients=6, cycles=1, seed=7, band_step_h=24.0, step_h=2.0)


def regimen_simulation() -> Any:
    from cxcr4lab.pkpd.regimen_simulation import simulate_regimen

    return simulate_regimen(settings=_small())


def regimen_comparison() -> Any:
    from cxcr4lab.pkpd.comparison import compare_regimens

    return compare_regimens(settings=_small())


# --- clinical -----------------------------------------------------------------------------------


def survival() -> Any:
    from cxcr4lab.clinical.cdisc import validate_adsl
    from cxcr4lab.clinical.survival import analyse_adtte

    sl = validate_adsl(_clinical("fortress_adsl.csv"), "adsl")
    return analyse_adtte(
        _clinical("fortress_adtte.csv"),
        paramcd="PFS",
        adsl=sl,
        by="ARM",
        reference="eribulin",
        tau=12.0,
        subgroups=("STRAT1",),
    )


def response() -> Any:
    from cxcr4lab.clinical.cdisc import validate_adrs, validate_adsl
    from cxcr4lab.clinical.response import response_rates

    sl = validate_adsl(_clinical("fortress_adsl.csv"), "adsl")
    rs = validate_adrs(_clinical("fortress_adrs.csv"), "adrs", adsl=sl)
    return response_rates(rs, sl, stratum="STRAT1", source="fortress_adrs.csv")


def safety() -> Any:
    from cxcr4lab.clinical.cdisc import validate_adae, validate_adsl
    from cxcr4lab.clinical.safety import ae_incidence

    sl = validate_adsl(_clinical("phase1b_adsl.csv"), "adsl")
    ae = validate_adae(_clinical("phase1b_adae.csv"), "adae", adsl=sl)
    return ae_incidence(ae, sl, source="phase1b_adae.csv")


def three_plus_three() -> Any:
    from cxcr4lab.clinical.design import three_plus_three

    return three_plus_three([0.05, 0.05, 0.08, 0.1, 0.15, 0.2])


def trial() -> Any:
    from cxcr4lab.clinical.trials import ArmSpec, TrialDesign, simulate_trials

    design = TrialDesign(
        ArmSpec("eribulin", 0.13, (4.0,)), ArmSpec("combination", 0.30, (6.0,)), n=120
    )
    return simulate_trials(design, 200, seed=6)


def fortress() -> Any:
    from cxcr4lab.clinical.fortress import fortress_analysis

    return fortress_analysis(replicates=200, seed=1)


# --- studies ------------------------------------------------------------------------------------


def receptor_calibration() -> Any:
    from cxcr4lab.studies.calibration import calibrate

    return calibrate()


def virtual_recovery() -> Any:
    from cxcr4lab.studies.recovery import recover_kb

    return recover_kb(seed=11)


def schild() -> Any:
    from cxcr4lab.studies.schild_study import schild_study

    return schild_study(seed=1)


def signalling_sbml() -> Any:
    from cxcr4lab.studies.signalling_sbml import check_signalling_sbml, export_cell_lines

    files = export_cell_lines(cells=["Jurkat"])
    return check_signalling_sbml(files, source="bundled", agonist_molar=(0.0, 3e-9))


def _example(kind: str) -> Any:
    from cxcr4lab.runs import KINDS, example_inputs, run_kind

    example = KINDS[kind].examples[0]
    return run_kind(kind, example_inputs(example), dict(example.options)).result


def cox() -> Any:
    return _example("cox")


def nonmem() -> Any:
    return _example("nonmem")


def fit() -> Any:
    return _example("fit")


def compare() -> Any:
    return _example("compare")


def synergy() -> Any:
    """A 4 x 4 block without replicates (so no bootstrap), every method, one refused block."""
    from cxcr4lab.combination import BlockProblem, BlockSet, analyse_blocks, make_block

    dose = [0.0, 1.0, 3.0, 10.0]
    response = [
        [0.0, 12.0, 30.0, 55.0],
        [8.0, 25.0, 45.0, 70.0],
        [20.0, 40.0, 62.0, 80.0],
        [45.0, 63.0, 78.0, 90.0],
    ]
    block = make_block(dose, dose, response, drug_row="docetaxel", drug_col="balixafortide")
    problem = BlockProblem("2", "no single-drug rows of 'eribulin'", 14)
    return analyse_blocks(BlockSet("blocks.csv", (block,), (problem,)))


def invivo() -> Any:
    """The bundled PC-3-luc study (as pinned, ``PINNED``) cut to 5 mice per arm and days 0-21
    (with its design and endpoints): every part of the result, small."""
    import pandas as pd

    from cxcr4lab.preclinical import read_animal_table, read_design, read_endpoints
    from cxcr4lab.runs import KINDS, example_inputs
    from cxcr4lab.studies.invivo import analyse_study

    files = example_inputs(KINDS["invivo"].examples[0])
    pinned = PINNED / "invivo"
    study = pd.read_csv(pinned / "study.csv", dtype=str, keep_default_na=False)
    keep = {a for a in study["animal_id"] if int(a[1:]) <= 5}
    study = study[study["animal_id"].isin(keep) & (study["day"].astype(float) <= 21)]
    ends = pd.read_csv(pinned / "endpoints.csv", dtype=str, keep_default_na=False)
    ends = ends[ends["animal_id"].isin(keep)]
    design = read_design(files["design"][1], "design.toml")
    table = read_animal_table(study.to_csv(index=False).encode(), "study.csv", design=design)
    endpoints = read_endpoints(ends.to_csv(index=False).encode(), "endpoints.csv")
    return analyse_study(table, endpoints=endpoints)


def engraftment() -> Any:
    from cxcr4lab.preclinical.engraftment import analyse_engraftment, read_engraftment

    table = _table("engraftment", "chimerism.csv")
    rows = read_engraftment(table.frame, table.source, row_base=table.row_base)
    return analyse_engraftment(rows, source="chimerism.csv")


def elda() -> Any:
    """Groups all negative, mixed and all positive (Inf and one-sided CIs)."""
    from cxcr4lab.preclinical.elda import DilutionRow
    from cxcr4lab.preclinical.elda import elda as analyse

    counts = ((0, 0, 0), (1, 3, 5), (5, 5, 5))
    return analyse(
        [
            DilutionRow(g, d, 5, n)
            for g, row in zip("ABC", counts, strict=True)
            for d, n in zip((1e4, 1e5, 1e6), row, strict=True)
        ],
        source="extreme.csv",
    )


CASES: dict[str, Callable[[], Any]] = {
    "elda": elda,
    "engraftment": engraftment,
    "arrestin": arrestin,
    "binding": binding,
    "bioanalysis": bioanalysis,
    "calcium": calcium,
    "cd34": cd34,
    "cfu": cfu,
    "chemotaxis": chemotaxis,
    "compare": compare,
    "cox": cox,
    "elisa": elisa,
    "fit": fit,
    "fortress": fortress,
    "ihc": ihc,
    "invasion": lambda: _example("invasion"),
    "inventory": lambda: _example("inventory"),
    "invivo": invivo,
    "mobilization": mobilization,
    "nca": nca,
    "nonmem": nonmem,
    "occupancy": occupancy,
    "occupancy_course": occupancy_course,
    "pk_regimen": pk_regimen,
    "pkfit": pkfit,
    "popfit": popfit,
    "receptor_calibration": receptor_calibration,
    "regimen": regimen,
    "regimen_comparison": regimen_comparison,
    "regimen_simulation": regimen_simulation,
    "response": response,
    "safety": safety,
    "schild": schild,
    "signalling_sbml": signalling_sbml,
    "survival": survival,
    "synergy": synergy,
    "three_plus_three": three_plus_three,
    "trial": trial,
    "viability": viability,
    "virtual_recovery": virtual_recovery,
    "western": western,
}
"""kind -> a builder of one real result of that kind."""


# --- non-finite values: how each was written before core/serial.py ------------------------------


def regimen_simulation_nan() -> Any:
    """Balixafortide alone: no eribulin days, so a patient column of NaN (written as null)."""
    from cxcr4lab.pkpd.regimen_simulation import simulate_regimen
    from cxcr4lab.pkpd.regimens import DoseSpec, DrugDosing, Regimen

    bali = DrugDosing("balixafortide", DoseSpec(5.5, "mg/kg"), (1, 2, 3), infusion_h=2.0)
    return simulate_regimen(Regimen("balixafortide_alone", 21, (bali,)), settings=_small())


def response_infinite() -> Any:
    """Odds ratios and CI ends of +inf (written as the string "inf")."""
    import math
    from dataclasses import replace

    r = response()
    fisher = replace(r.fisher_orr, odds_ratio=math.inf, ci_high=math.inf)
    cmh = replace(r.cmh_orr, odds_ratio=math.inf, ci_high=math.inf)
    return replace(r, subjects=r.subjects[:4], fisher_orr=fisher, cmh_orr=cmh)


def simulation() -> Any:
    """A solved two-compartment model, one value NaN (written as null)."""
    import math
    from dataclasses import replace

    import numpy as np

    from cxcr4lab.pkpd.pk import two_compartment
    from cxcr4lab.sim import bolus, combine, infusion, simulate

    events = combine(infusion(100.0, duration=2.0, ii=24.0, addl=2), bolus(40.0, time=5.5))
    r = simulate(two_compartment(), events, np.linspace(0.0, 8.0, 5))
    values = dict(r.values)
    values["Cp"] = (*values["Cp"][:-1], math.nan)
    return replace(r, values=values)


def population_simulation() -> Any:
    import numpy as np

    from cxcr4lab.pkpd.pk import two_compartment
    from cxcr4lab.sim import bolus, simulate_analytic

    return simulate_analytic(two_compartment(), bolus(100.0), np.linspace(0.0, 8.0, 5))


SPECIAL: dict[str, Callable[[], Any]] = {
    "regimen_simulation_nan": regimen_simulation_nan,
    "response_infinite": response_infinite,
    "simulation": simulation,
    "population_simulation": population_simulation,
}
"""Further stored forms (file name -> builder): non-finite values and the ODE engine's results
(kinds ``simulation`` and ``population_simulation``, not among the saved analyses)."""
