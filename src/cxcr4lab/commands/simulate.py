"""``cxcr4lab simulate ...``: regimen simulation and comparison in virtual patients, SBML export,
and the CD34+ mobilization fit.

* ``simulate regimen``: one regimen in a SIMULATED population: bands of balixafortide
  concentration, receptor occupancy, CD34+ and ANC over cycles, and a per-cycle table;
* ``simulate compare``: several schedules in the same virtual patients: occupancy held against
  P(grade >= 3 neutropenia), with the verdict;
* ``simulate sbml OUT.xml``: the balixafortide 2-compartment + eribulin 3-compartment + Friberg
  model as SBML L3V2, for other tools;
* ``simulate mobilization``: the CD34+ dose-response fit (Karpova 2017) and apheresis yield.

The terminal views of the result kinds live beside this module, one module per kind
(``regimen_simulation.py``, ``regimen_comparison.py``, ``mobilization.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from cxcr4lab.commands import DossierRun
from cxcr4lab.commands._finish import finish
from cxcr4lab.commands._shared import (
    DatabaseOption,
    JsonOption,
    ProjectOption,
    SaveOption,
    TitleOption,
    conc,
    write_atomic,
)
from cxcr4lab.commands.mobilization import print_result as print_mobilization
from cxcr4lab.commands.regimen_comparison import print_result as print_comparison
from cxcr4lab.commands.regimen_simulation import print_result as print_simulation

if TYPE_CHECKING:
    import pandas as pd

    from cxcr4lab.pkpd.regimen_simulation import SimulationSettings
    from cxcr4lab.pkpd.regimens import Regimen
    from cxcr4lab.store import InputBlob

__all__ = [
    "compare",
    "dossier_runs",
    "mobilization",
    "regimen",
    "register_top",
    "sbml",
    "settings_from_options",
]

_NOTE = (
    "Regimen simulations: SIMULATED virtual patients; the balixafortide human PK parameters are "
    "assumptions consistent with the seed facts (not fitted to human data), the CD34+ time "
    "course is an effect-compartment link to the Karpova 2017 single-dose peaks, and "
    "balixafortide has no effect on the ANC in the model."
)

PatientsOption = Annotated[int, typer.Option("--patients", help="Virtual patients.")]
CyclesOption = Annotated[int, typer.Option("--cycles", help="Cycles to simulate.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed of the population.")]
TargetOption = Annotated[float, typer.Option("--target", help="Receptor occupancy target (%).")]
KdOption = Annotated[
    str,
    typer.Option("--kd", help="Kd of balixafortide at CXCR4 (e.g. 0.15nM; default: the Kb "
                 "calibrated to the published IC50 bounds)."),
]  # fmt: skip
KeoOption = Annotated[
    float,
    typer.Option("--keo-half-life", help="CD34+ effect-site equilibration half-life (h)."),
]
CovariatesOption = Annotated[
    Path | None,
    typer.Option(
        "--covariates",
        help="CSV of patients (ID, WT in kg, HT in cm) instead of sampled ones.",
    ),
]


def register_top(app: typer.Typer) -> None:
    """``cxcr4lab simulate regimen|compare|sbml|mobilization``."""
    sim_app = typer.Typer(
        help="Simulate regimens in virtual patients (SIMULATED), export SBML, fit CD34+ "
        "mobilization.",
        no_args_is_help=True,
    )
    sim_app.command("regimen")(regimen)
    sim_app.command("compare")(compare)
    sim_app.command("sbml")(sbml)
    sim_app.command("mobilization")(mobilization)
    app.add_typer(sim_app, name="simulate")


_OPTIONS = {
    "patients": "--patients",
    "cycles": "--cycles",
    "kd": "--kd",
    "target": "--target",
    "keo half-life": "--keo-half-life",
    "seed": "--seed",
}


def settings_from_options(
    *, patients: int, cycles: int, seed: int, kd: str, target: float, keo_half_life: float
) -> SimulationSettings:
    """Simulation settings from the command-line options; an error names the option."""
    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.pkpd.regimen_simulation import SimulationSettings

    if not 0 < target < 100:
        raise InputError(
            f"occupancy target must be in (0, 100) %, got {quote(target)}", field="--target"
        )
    kd_molar = conc(kd, "--kd", mw_g_per_mol=_balixafortide_mw()) if kd else None
    try:
        values: dict[str, Any] = {
            "n_patients": patients,
            "cycles": cycles,
            "seed": seed,
            "target": target / 100.0,
            "keo_half_life_h": keo_half_life,
        }
        if kd_molar is not None:
            values["kd_molar"] = kd_molar
        return SimulationSettings(**values)
    except InputError as exc:
        field = exc.place.field or ""
        raise InputError(exc.message, field=_OPTIONS.get(field, field)) from None


def _balixafortide_mw() -> float | None:
    from cxcr4lab.workflows import compound_mw

    return compound_mw("balixafortide")


def _covariates(path: Path | None) -> tuple[pd.DataFrame | None, list[InputBlob], str]:
    """The patients of a CSV file (ID, WT, HT), its input record and a description."""
    if path is None:
        return None, [], ""
    import io

    import pandas as pd

    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.core.limits import check_text_table
    from cxcr4lab.store import InputBlob
    from cxcr4lab.workflows import read_input

    data = read_input(path, "--covariates")
    check_text_table(data, path.name, delimiters=",")
    try:
        frame = pd.read_csv(io.BytesIO(data), skipinitialspace=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read the file as CSV ({quote(str(exc))})", file=path.name
        ) from None
    except (ValueError, OverflowError, MemoryError) as exc:
        raise InputError(
            f"cannot read the file as CSV ({type(exc).__name__})", file=path.name
        ) from None
    if "ID" not in frame.columns:
        raise InputError("needs an ID column (and WT in kg, HT in cm)", file=path.name, column="ID")
    return frame, [InputBlob(path.name, "covariates", data)], f"{path.name} ({len(frame)} patients)"


def _with_file(call: Callable[[], Any], path: Path | None) -> Any:
    """Run ``call``; an input error about the covariates table names the file."""
    from cxcr4lab.core.errors import InputError, Place

    try:
        return call()
    except InputError as exc:
        if path is not None and exc.place.field in ("subjects", "covariates"):
            where = Place(file=path.name, row=exc.place.row, column=exc.place.column)
            raise type(exc)(exc.message, place=where) from None
        raise


@contextmanager
def _progress(total: int, what: str) -> Iterator[Callable[[str], None]]:
    """A rich progress bar on stderr; the callback advances it and shows what is running."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(what, total=total)

        def step(message: str) -> None:
            progress.update(task, description=f"{what}: {message}", advance=1)

        yield step


def _regimen_from_options(
    balixafortide: str,
    balixafortide_days: str,
    eribulin: str,
    eribulin_days: str,
    schedule: str | None,
) -> Regimen:
    from cxcr4lab.pkpd.comparison import parse_schedule

    if schedule:
        return parse_schedule(schedule, name="custom", place=_place("--schedule"))
    parts = []
    for drug, dose, days, option in (
        ("balixafortide", balixafortide, balixafortide_days, "--balixafortide"),
        ("eribulin", eribulin, eribulin_days, "--eribulin"),
    ):
        if dose.strip().lower() in ("", "0", "none"):
            continue
        parts.append(
            parse_schedule(f"{drug} {dose} d{days}", name=drug, place=_place(option)).drugs[0]
        )
    if not parts:
        from cxcr4lab.core.errors import InputError

        raise InputError("nothing to simulate: give a dose of a drug", field="--balixafortide")
    from dataclasses import replace

    from cxcr4lab.pkpd.comparison import describe
    from cxcr4lab.pkpd.regimens import Regimen

    trial = Regimen.balixafortide_eribulin()
    title = " + ".join(f"{d.drug} {describe(d)}" for d in parts)
    return replace(trial, name="custom", drugs=tuple(parts), title=title)


def _place(option: str) -> Any:
    from cxcr4lab.core.errors import Place

    return Place(field=option)


def regimen(
    patients: PatientsOption = 200,
    cycles: CyclesOption = 6,
    seed: SeedOption = 20251123,
    balixafortide: Annotated[
        str, typer.Option("--balixafortide", help="Balixafortide dose (2 h IV infusion); 0 = none.")
    ] = "5.5 mg/kg",
    balixafortide_days: Annotated[
        str, typer.Option("--balixafortide-days", help="Days of the 21-day cycle, e.g. 1-3,8-10.")
    ] = "1-3,8-10",
    eribulin: Annotated[
        str, typer.Option("--eribulin", help="Eribulin dose (IV bolus); 0 = none.")
    ] = "1.4 mg/m^2",
    eribulin_days: Annotated[
        str, typer.Option("--eribulin-days", help="Days of the 21-day cycle, e.g. 2,9.")
    ] = "2,9",
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule",
            help="Whole schedule as text instead, e.g. 'balixafortide 5.5 mg/kg d1-3,8-10 + "
            "eribulin 1.4 mg/m^2 d2,9'.",
        ),
    ] = None,
    target: TargetOption = 90.0,
    kd: KdOption = "",
    keo_half_life: KeoOption = 2.0,
    covariates: CovariatesOption = None,
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """Simulate a regimen in virtual patients: concentration, occupancy, CD34+ and ANC bands."""
    from cxcr4lab.pkpd.regimen_simulation import simulate_regimen

    st = settings_from_options(
        patients=patients, cycles=cycles, seed=seed, kd=kd, target=target,
        keo_half_life=keo_half_life,
    )  # fmt: skip
    reg = _regimen_from_options(
        balixafortide, balixafortide_days, eribulin, eribulin_days, schedule
    )
    frame, inputs, source = _covariates(covariates)
    with _progress(3, "Simulating") as step:
        result = _with_file(
            lambda: simulate_regimen(
                reg, st, covariates=frame, covariates_source=source, progress=step
            ),
            covariates,
        )
    finish(
        result,
        inputs,
        {"regimen": reg.to_dict(), "settings": st.to_dict()},
        title=title or f"Regimen simulation: {reg.title} ({st.n_patients} virtual patients)",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_simulation,
        project=project,
    )


def compare(
    patients: PatientsOption = 200,
    cycles: CyclesOption = 6,
    seed: SeedOption = 20251123,
    schedule: Annotated[
        list[str] | None,
        typer.Option(
            "--schedule",
            help="A candidate (repeatable), e.g. 'balixafortide 4 mg/kg d1-3,8-10 + eribulin "
            "1.1 mg/m^2 d2,9'; default: balixafortide 2-5.5 mg/kg (days 1-3,8-10 or 1-3) with "
            "eribulin 1.4 or 1.1 mg/m^2.",
        ),
    ] = None,
    target: TargetOption = 90.0,
    held_by: Annotated[
        float,
        typer.Option("--held-by", help="Fraction of patients that must hold the target."),
    ] = 0.9,
    limit: Annotated[
        float, typer.Option("--limit", help="Largest acceptable P(grade >= 3 neutropenia).")
    ] = 0.5,
    kd: KdOption = "",
    covariates: CovariatesOption = None,
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """Compare schedules in the same virtual patients: occupancy held vs P(grade >= 3)."""
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.pkpd.comparison import compare_regimens, default_candidates, parse_schedule

    st = settings_from_options(
        patients=patients, cycles=cycles, seed=seed, kd=kd, target=target, keo_half_life=2.0
    )
    if schedule:
        candidates = tuple(
            parse_schedule(text, place=_place(f"--schedule #{i}"))
            for i, text in enumerate(schedule, start=1)
        )
    else:
        candidates = default_candidates()
    frame, inputs, source = _covariates(covariates)
    with _progress(len(candidates), "Comparing") as step:
        try:
            result = _with_file(
                lambda: compare_regimens(
                    candidates, st, hold_fraction=held_by, limit=limit, covariates=frame,
                    covariates_source=source, progress=step,
                ),
                covariates,
            )  # fmt: skip
        except InputError as exc:
            if exc.place.field in ("held-by", "limit", "schedule"):
                raise InputError(exc.message, field=f"--{exc.place.field}") from None
            raise
    finish(
        result,
        inputs,
        {
            "schedules": [c.to_dict() for c in candidates],
            "settings": st.to_dict(),
            "held_by": held_by,
            "limit": limit,
        },
        title=title
        or f"Regimen comparison: {len(candidates)} schedules, {st.n_patients} virtual patients",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_comparison,
        project=project,
    )


def sbml(
    out: Annotated[Path, typer.Argument(help="SBML file to write (e.g. model.xml).")],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="combination (balixafortide + eribulin PK + Friberg), eribulin (eribulin PK "
            "+ Friberg) or balixafortide (2-compartment PK).",
        ),
    ] = "combination",
) -> None:
    """Export a simulation model as SBML L3V2 (units in each element's notes, time in h)."""
    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.pkpd.neutropenia import eribulin_neutropenia_model
    from cxcr4lab.pkpd.pk import BALIXAFORTIDE_HUMAN
    from cxcr4lab.sim import to_sbml

    models = {
        "combination": lambda: eribulin_neutropenia_model(with_balixafortide=True),
        "eribulin": lambda: eribulin_neutropenia_model(),
        "balixafortide": lambda: BALIXAFORTIDE_HUMAN,
    }
    if model not in models:
        raise InputError(
            f"unknown model {quote(model)}; choose one of {', '.join(models)}", field="--model"
        )
    chosen = models[model]()
    text = to_sbml(chosen)
    if out.parent and not out.parent.exists():
        raise InputError("the folder does not exist", file=str(out.parent), field="OUT")
    write_atomic(out, text, field="OUT")
    Console().print(
        f"SBML L3V2 of {chosen.name} written to {out}: {len(chosen.states)} states, "
        f"{len(chosen.parameters)} parameters, {len(chosen.outputs)} outputs; amounts in mg, "
        "time in h; dosing rates R_<state> (amount/h)."
    )


def mobilization(
    baseline: Annotated[
        float, typer.Option("--baseline", help="Fixed CD34+ baseline E0 (cells/µL).")
    ] = 2.0,
    efficiency: Annotated[
        float, typer.Option("--efficiency", help="CD34+ collection efficiency (0-1].")
    ] = 0.5,
    volumes: Annotated[
        float, typer.Option("--volumes", help="Blood volumes processed in one apheresis.")
    ] = 4.0,
    target_per_kg: Annotated[
        float, typer.Option("--target-per-kg", help="CD34+ cells/kg to collect.")
    ] = 4e6,
    donor_cv: Annotated[
        float, typer.Option("--donor-cv", help="Between-donor CV of the peak (%).")
    ] = 35.0,
    weight: Annotated[float, typer.Option("--weight", help="Donor weight (kg).")] = 70.0,
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """Fit peak CD34+ vs balixafortide dose (Karpova 2017) and predict apheresis yield."""
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.pkpd.mobilization import ApheresisSettings, fit_mobilization

    names = {
        "efficiency": "--efficiency",
        "blood_volumes_processed": "--volumes",
        "target_per_kg": "--target-per-kg",
        "donor_cv_percent": "--donor-cv",
        "baseline": "--baseline",
        "weight_kg": "--weight",
    }
    try:
        settings = ApheresisSettings(
            blood_volumes_processed=volumes,
            efficiency=efficiency,
            target_per_kg=target_per_kg,
            donor_cv_percent=donor_cv,
        )
        result = fit_mobilization(baseline=baseline, settings=settings, weight_kg=weight)
    except InputError as exc:
        field = exc.place.field or ""
        raise InputError(exc.message, field=names.get(field, field)) from None
    finish(
        result,
        [],
        {"baseline": baseline, "settings": result.to_dict()["settings"], "weight_kg": weight},
        title=title or "CD34+ mobilization dose-response and apheresis yield (Karpova 2017)",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_mobilization,
        project=project,
    )


def dossier_runs() -> list[DossierRun]:
    """A regimen simulation, a regimen comparison and the mobilization fit, each small."""

    def simulation() -> tuple[Any, list[Any], dict[str, Any]]:
        from cxcr4lab.pkpd.regimen_simulation import SimulationSettings, simulate_regimen

        st = SimulationSettings(n_patients=100, cycles=6)
        return simulate_regimen(settings=st), [], {"settings": st.to_dict()}

    def comparison() -> tuple[Any, list[Any], dict[str, Any]]:
        from cxcr4lab.pkpd.comparison import compare_regimens
        from cxcr4lab.pkpd.regimen_simulation import SimulationSettings

        st = SimulationSettings(n_patients=100, cycles=2)
        result = compare_regimens(settings=st)
        return result, [], {"settings": st.to_dict(), "held_by": 0.9, "limit": 0.5}

    def mobilization_fit() -> tuple[Any, list[Any], dict[str, Any]]:
        from cxcr4lab.pkpd.mobilization import fit_mobilization

        return fit_mobilization(), [], {"baseline": 2.0}

    return [
        DossierRun(
            "Balixafortide + eribulin, 6 cycles in 100 virtual patients (SIMULATED)",
            simulation,
            (_NOTE,),
        ),
        DossierRun(
            "Schedules compared: occupancy vs grade >= 3 neutropenia, 100 virtual patients, "
            "2 cycles (SIMULATED)",
            comparison,
            (_NOTE,),
        ),
        DossierRun(
            "CD34+ mobilization dose-response and apheresis yield (Karpova 2017)",
            mobilization_fit,
        ),
    ]
