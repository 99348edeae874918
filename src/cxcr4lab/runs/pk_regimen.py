"""The ``pk_regimen`` kind (``cxcr4lab simulate pk``): a dosing regimen simulated for any
compound with a 1-, 2- or 3-compartment model: IV bolus, infusion or oral doses, any interval and
number of doses; the parameters given (``--parameter CL=1.2``) or taken from a stored PK fit
(``--pkfit FIT.json``). Concentration-time curves, and per dosing interval Cmax, Tmax, the
trough, the AUC, with the accumulation ratio, the terminal half-life and the time to 90 % of
steady state (:func:`cxcr4lab.pkpd.pk_regimen.simulate_pk_regimen`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options", "parse_parameter"]

# The bounds of cxcr4lab.pkpd.pk_regimen (not imported here: the registry stays light; a test
# checks they agree).
MAX_DOSES = 1000
MAX_POINTS = 5000
MAX_HORIZON_H = 87_600.0


def parse_parameter(text: str) -> tuple[str, float]:
    """One ``--parameter`` item: ``NAME=VALUE`` with a positive value.

    >>> parse_parameter("CL = 1.2")
    ('CL', 1.2)
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name or not value.strip():
        raise ValueError("expected NAME=VALUE, e.g. CL=1.2")
    if not name.isidentifier():
        raise ValueError("the parameter name must be a word, e.g. CL")
    try:
        number = float(value)
    except ValueError:
        raise ValueError("the value after '=' is not a number") from None
    if not (math.isfinite(number) and number > 0):
        raise ValueError("the value must be a number > 0")
    return name, number


@dataclass(frozen=True)
class Options:
    """The regimen, the model and its parameters; times in h."""

    model: Literal["1cmt", "2cmt", "3cmt"] | None = option(
        "Compartments: 1cmt, 2cmt or 3cmt (default 1cmt; with --pkfit each subject's fitted "
        "model).",
        default=None,
    )
    route: Literal["bolus", "infusion", "oral"] | None = option(
        "IV bolus, IV infusion (--duration) or oral (first-order absorption, ka) (default bolus; "
        "with --pkfit the route it was fitted to).",
        default=None,
    )
    dose: float | None = option(
        "Amount of each dose, in the dose unit (needed unless --pkfit gives it).",
        default=None,
        gt=0,
    )
    dose_unit: str | None = option(
        "Unit of the dose, e.g. mg (default mg; with --pkfit the fit's). Concentrations are in "
        "dose unit per L (with --pkfit in the fit's concentration unit).",
        default=None,
    )
    duration: float | None = option(
        "Infusion duration (route infusion; with --pkfit default the fitted infusion's).",
        default=None,
        unit="h",
        gt=0,
        le=MAX_HORIZON_H,
    )
    interval: float = option("Dosing interval tau.", default=24.0, unit="h", gt=0, le=MAX_HORIZON_H)
    doses: int = option("Number of doses.", default=1, ge=1, le=MAX_DOSES)
    parameter: tuple[tuple[str, float], ...] = option(
        "A PK parameter, NAME=VALUE: CL and Q in L/h, V in L, ka in 1/h. 1cmt: CL, V; 2cmt: "
        "CL, V1, Q, V2; 3cmt: CL, V1, Q2, V2, Q3, V3; oral adds ka. With --pkfit it replaces "
        "the fitted value (in the fit's units).",
        default=(),
        item=parse_parameter,
        example="CL=1.2",
    )
    bioavailability: float | None = option(
        "Oral bioavailability F (default 1; with an oral --pkfit, relative to the fitted doses).",
        default=None,
        gt=0,
        le=1,
    )
    lag: float | None = option(
        "Oral lag time: each dose is absorbed this long after it is given (default 0).",
        default=None,
        unit="h",
        ge=0,
        le=MAX_HORIZON_H,
    )
    subject: str | None = option(
        "With --pkfit: this subject only (default: every subject whose fit converged).",
        default=None,
    )
    horizon: float | None = option(
        "End of the concentration-time curve (default: the last dose + 5 terminal half-lives).",
        default=None,
        unit="h",
        gt=0,
        le=MAX_HORIZON_H,
    )
    points: int = option(
        "Evenly spaced points of the curve (dose starts and infusion ends are added).",
        default=500,
        ge=20,
        le=MAX_POINTS,
    )


def _overrides(items: tuple[tuple[str, float], ...]) -> dict[str, float]:
    from cxcr4lab.core.errors import InputError, quote

    out: dict[str, float] = {}
    for name, value in items:
        if name.lower() in {n.lower() for n in out}:
            raise InputError(f"{quote(name)} is given twice", field="parameter")
        out[name] = value
    return out


def _conc_unit(dose_unit: str) -> str:
    return f"({dose_unit})/L" if "/" in dose_unit else f"{dose_unit}/L"


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Apply the regimen to the given parameters or to each subject of the pkfit."""
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.pkpd.pk_regimen import (
        DosingRegimen,
        given_parameters,
        pkfit_dose,
        pkfit_parameters,
        read_pkfit,
        simulate_pk_regimen,
    )

    overrides = _overrides(options.parameter)
    file = inputs.get("pkfit")
    notes = ["SIMULATED concentrations from the closed-form compartment model (not measurements)."]
    dose, duration = options.dose, options.duration
    if file is None:
        if options.subject is not None:
            raise InputError("applies with --pkfit only", field="subject")
        route: str = options.route or "bolus"
        model = options.model or "1cmt"
        dose_unit = options.dose_unit or "mg"
        conc_unit = _conc_unit(dose_unit)
        sets = [given_parameters(model, route, overrides)]
        source = "given parameters"
        if dose is None:
            raise InputError("is needed: the amount of each dose", field="dose")
    else:
        name, content = file
        fit, source = read_pkfit(content, name)
        sets, route, left = pkfit_parameters(
            fit,
            subject=options.subject,
            route=options.route,
            model=options.model,
            overrides=overrides,
            source=f"pkfit {name}",
        )
        notes += left
        dose_unit = fit.settings.dose_unit
        if options.dose_unit is not None and options.dose_unit != dose_unit:
            raise InputError(
                f"the pkfit's doses are in {dose_unit}: give the dose in {dose_unit} (or leave "
                "out --dose-unit)",
                field="dose_unit",
            )
        conc_unit = fit.settings.conc_unit
        if dose is None or (route == "infusion" and duration is None):
            fitted_dose, fitted_duration = pkfit_dose([fit.subject(p.label) for p in sets], route)
            dose = fitted_dose if dose is None else dose
            duration = fitted_duration if duration is None else duration
    if route == "infusion" and duration is None:
        raise InputError("is needed for an infusion: its length in h", field="duration")
    regimen = DosingRegimen(
        route=route,  # type: ignore[arg-type]
        dose=dose,
        interval=options.interval,
        doses=options.doses,
        duration=duration or 0.0,
        bioavailability=1.0 if options.bioavailability is None else options.bioavailability,
        lag=0.0 if options.lag is None else options.lag,
        dose_unit=dose_unit,
    )
    result = simulate_pk_regimen(
        regimen,
        sets,
        conc_unit=conc_unit,
        horizon=options.horizon,
        points=options.points,
        source=source,
        notes=notes,
    )
    parameters: dict[str, Any] = {
        "regimen": regimen.to_dict(),
        "source": source,
        "parameters": overrides,
        "subject": options.subject,
        "horizon": options.horizon,
        "points": options.points,
    }
    who = (
        f"{sets[0].model}, given parameters"
        if file is None
        else f"{len(sets)} subject{'s' if len(sets) > 1 else ''} of {file[0]}"
    )
    return Outcome(result, parameters, f"PK regimen: {regimen.describe()} ({who})")


# The typical values of cxcr4lab.pkpd.balixafortide.TYPICAL (= pkpd.pk.BALIXAFORTIDE_HUMAN; not
# imported here: the registry stays light; tests/pkpd/test_pk_regimen.py checks they agree).
_BALIXAFORTIDE_PARAMETERS = "CL=5.44; V1=14; Q=10; V2=45.8"
_BALIXAFORTIDE_TEXT = "CL 5.44 L/h, V1 14 L, Q 10 L/h, V2 45.8 L"

_BALIXAFORTIDE_NOTE = (
    "Balixafortide 5.5 mg/kg (385 mg for 70 kg) as a 2-h IV infusion on days 1-3: a SIMULATED "
    "profile, not measured concentrations. The regimen is the phase 1b / FORTRESS one "
    "(seed_facts.toml [regimen.balixafortide_eribulin], pkpd/regimens.toml, 2-h infusion "
    f"assumed); the 2-compartment parameters ({_BALIXAFORTIDE_TEXT}) are the project's human "
    "set, cxcr4lab.pkpd.pk.BALIXAFORTIDE_HUMAN, derived in cxcr4lab.pkpd.balixafortide from "
    "physiology (fu x GFR, extracellular volume) and the published facts (terminal half-life "
    "7-15 h in man, Cmax at the end of the infusion, dose linearity; seed_facts.toml "
    "[pharmacokinetics]; docs/balixafortide_pk.md), not fitted to human data."
)

_THEOPH_NOTE = (
    "Theophylline 320 mg q12h, 10 doses: a SIMULATED regimen for each subject of the bundled "
    "pkfit example (1-compartment oral fits of R's public Theoph data set, single 320 mg "
    "doses); theoph_pkfit.json is that stored analysis as `cxcr4lab results show ID --json` "
    "prints it."
)

KIND = AnalysisKind(
    name="pk_regimen",
    label="Simulate a dosing regimen of any compound (1/2/3-compartment, bolus, infusion or "
    "oral): curves, Cmax, trough, AUC per interval, accumulation",
    inputs=(
        InputSpec(
            "pkfit",
            "a stored PK fit (pkfit) as JSON, from `cxcr4lab results show ID --json` or the web "
            "app's JSON download: model, route and parameters per subject",
            ("json",),
            "pkfit",
            required=False,
            flag="--pkfit",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.pk_regimen:print_result",
    result="cxcr4lab.pkpd.pk_regimen:PkRegimenResult",
    plots="cxcr4lab.web.plots.pk_regimen:figures",
    examples=(
        Example(
            "Balixafortide 5.5 mg/kg 2-h infusion q24h x 3, 2-compartment PK (SIMULATED)",
            "",
            {},
            {
                "model": "2cmt",
                "route": "infusion",
                "dose": "385",
                "dose_unit": "mg",
                "duration": "2",
                "interval": "24",
                "doses": "3",
                "parameter": _BALIXAFORTIDE_PARAMETERS,
            },
            _BALIXAFORTIDE_NOTE,
        ),
        Example(
            "Theophylline 320 mg q12h x 10 from the Theoph PK fits (SIMULATED regimen, public "
            "data)",
            "pk",
            {"pkfit": "theoph_pkfit.json"},
            {"dose": "320", "interval": "12", "doses": "10"},
            _THEOPH_NOTE,
        ),
    ),
    command=("simulate", "pk"),
    docs="docs/pkpd.md",
)
