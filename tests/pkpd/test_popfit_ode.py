"""User ODE models in population fits: model files, ODE predictions, FOCE-I through them.

The one-compartment oral model written as an ODE file must give what the closed form
(``pk_prediction``) gives on Theoph, call by call and fit by fit; a SIMULATED population with
Michaelis-Menten elimination (the bundled example file) must be recovered; bad model files and
bad pairings of model and data are one error naming the file and the key.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.fit.nlme import NlmeData, NlmeModel, fit_nlme
from cxcr4lab.fit.nlme_map import covariate_map
from cxcr4lab.fit.nlme_model import ErrorModel
from cxcr4lab.pkpd.popfit import PopFitSettings, build_problem
from cxcr4lab.pkpd.popfit_data import PopData, read_population
from cxcr4lab.pkpd.popfit_model import pk_prediction, pk_spec
from cxcr4lab.pkpd.popfit_ode import file_prediction, ode_prediction
from cxcr4lab.sim import bolus, simulate
from cxcr4lab.sim.model_file import ModelFile, parse_model_file, read_model_file

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "pk"
THEOPH = EXAMPLES / "theoph_nonmem.csv"
MM_FILE = EXAMPLES / "mm_elimination.toml"

ORAL = """
name = "one_cmt_oral"
description = "the closed-form 1cmt-oral model as an ODE (NONMEM ADVAN2 order)"

[states]
Ad = { unit = "mg" }  # CMT 1
A1 = { unit = "mg" }  # CMT 2

[parameters]
CL = { value = 2.8, unit = "L/h" }
V = { value = 32.0, unit = "L" }
ka = { value = 1.5, unit = "1/h" }

[equations]
dAd = "-ka * Ad"
dA1 = "ka * Ad - CL / V * A1"

[outputs]
C = { expr = "A1 / V", unit = "mg/L" }

[data]
observe = "C"
depot = 1
central = 2
"""


@pytest.fixture(scope="module")
def oral() -> ModelFile:
    return parse_model_file(ORAL, source="oral.toml")


@pytest.fixture(scope="module")
def theoph() -> PopData:
    frame = pd.read_csv(THEOPH, dtype=str)
    return read_population(frame, source="theoph_nonmem.csv", depot_model=True)


def _stacked(data: PopData, n_copies: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """phi and x as the estimator stacks them: ``n_copies`` copies of all subjects, each
    subject with its own parameters (CL, V, ka around Theoph's typical values)."""
    rng = np.random.default_rng(seed)
    m = data.n_subjects
    per_subject = np.exp(np.log([2.8, 32.0, 1.5]) + 0.4 * rng.standard_normal((n_copies * m, 3)))
    rows = np.tile(data.obs_subject, n_copies) + m * np.repeat(np.arange(n_copies), data.n_obs)
    x = np.tile(np.arange(data.n_obs, dtype=float)[:, None], (n_copies, 1))
    return per_subject[rows], x


@pytest.mark.parametrize(
    ("options", "tol"),
    [
        ({}, 2e-6),  # the default tolerances (rtol 1e-6, atol 1e-9 mg)
        ({"rtol": 1e-9, "atol": 1e-12}, 2e-8),
        ({"exact_linear": True}, 1e-10),  # the linear block solved by its eigenvectors
    ],
)
def test_oral_ode_equals_closed_form_on_theoph(
    oral: ModelFile, theoph: PopData, options: dict[str, float | bool], tol: float
) -> None:
    """Every observation of one copy and of seven stacked copies (the estimator's layout),
    the Jacobian, a subset of the observations (the pooled start's layout), and the amount
    scale, within ``tol`` (relative; 1e-9 mg/L absolute) of the closed form."""
    closed = pk_prediction(pk_spec("1cmt-oral"), theoph, 1.0)
    ode = file_prediction(oral, theoph, **options)  # type: ignore[arg-type]
    assert ode.phi_names == closed.phi_names == ("CL", "V", "ka")
    for n_copies in (1, 7):
        phi, x = _stacked(theoph, n_copies, seed=n_copies)
        want = closed.predict(phi, x)
        np.testing.assert_allclose(ode.predict(phi, x), want, rtol=tol, atol=1e-9)
        jac, want_jac = ode.jacobian(phi, x), closed.jacobian(phi, x)
        np.testing.assert_allclose(jac, want_jac, rtol=0, atol=10 * tol * np.abs(want_jac).max())
    keep = np.flatnonzero(theoph.obs_time > 0.5)
    phi, x = _stacked(theoph, 1, seed=3)
    np.testing.assert_allclose(
        ode.predict(phi[keep], x[keep]), closed.predict(phi[keep], x[keep]), rtol=tol, atol=1e-9
    )
    scaled = file_prediction(oral, theoph, amount_scale=1000.0, **options)  # type: ignore[arg-type]
    want = 1000 * closed.predict(phi, x)
    np.testing.assert_allclose(scaled.predict(phi, x), want, rtol=tol, atol=1e-6)


def test_failures_are_nan_and_occasion_parameters_refused(oral: ModelFile, theoph: PopData) -> None:
    ode = file_prediction(oral, theoph)
    phi, x = _stacked(theoph, 2, seed=5)
    bad = phi.copy()
    first = theoph.obs_subject == 0  # subject 1 of copy 1: NaN parameters
    bad[: theoph.n_obs][first, 1] = np.nan
    got = ode.predict(bad, x)
    assert np.isnan(got[: theoph.n_obs][first]).all()
    np.testing.assert_allclose(got[theoph.n_obs :], ode.predict(phi, x)[theoph.n_obs :])
    starved = file_prediction(oral, theoph, max_steps=5)  # the integration cannot finish
    assert np.isnan(starved.predict(phi, x)).all()
    bov = phi.copy()
    bov[3, 0] *= 1.1  # one observation of subject 1 with its own CL
    with pytest.raises(InputError, match="change between its observations"):
        ode.predict(bov, x)


def test_foce_i_through_the_ode_equals_the_closed_form_fit(
    oral: ModelFile, theoph: PopData
) -> None:
    """The NlmeData and start values of ``build_problem``; only the prediction differs (the
    default tolerances: the OFVs agree to 3e-5, the estimates to 1e-6)."""
    settings = PopFitSettings(model="1cmt-oral", error="additive", bsv=("CL", "ka"))
    problem = build_problem(pd.read_csv(THEOPH, dtype=str), settings, source="theoph_nonmem.csv")
    closed = fit_nlme(problem.model, problem.nlme_data, method="foce-i")
    names = list(oral.model.parameter_names)
    model = NlmeModel(
        structural=file_prediction(oral, problem.data),
        individual=covariate_map(names, ["CL", "ka"], transform="log"),
        theta_start=problem.model.theta_start,
        error=problem.model.error,
        omega_start=problem.model.omega_start,
    )
    fit = fit_nlme(model, problem.nlme_data, method="foce-i")
    assert fit.converged and closed.converged
    assert fit.param_names == closed.param_names
    np.testing.assert_allclose(fit.estimates, closed.estimates, rtol=1e-4)
    np.testing.assert_allclose(
        np.array(fit.stderr, dtype=float), np.array(closed.stderr, dtype=float), rtol=1e-3
    )
    assert fit.ofv == pytest.approx(closed.ofv, abs=1e-4)


# --- a SIMULATED population with saturable elimination ------------------------------------------

MM_TRUTH = {"Vmax": 40.0, "Km": 4.0, "V": 30.0, "ka": 1.5}  # mg/h, mg/L, L, 1/h
MM_SD = {"sd(Vmax)": 0.25, "sd(V)": 0.2}  # SD of eta (log-normal)
MM_PROP = 0.1  # proportional residual error (fraction)
MM_DOSES = (50.0, 400.0)  # mg: C max about Km / 3 (near linear) and 3 Km (saturated)
MM_TIMES = (0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0, 24.0)  # h


def _simulate_mm(spec: ModelFile, n: int = 30, seed: int = 2) -> pd.DataFrame:
    """NONMEM table of ``n`` subjects (half at each dose level), simulated with scipy's LSODA
    (an integrator independent of the fitted kernel). SIMULATED, not data."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        dose, times = MM_DOSES[i * len(MM_DOSES) // n], MM_TIMES
        params = dict(MM_TRUTH)
        params["Vmax"] *= math.exp(rng.normal(0.0, MM_SD["sd(Vmax)"]))
        params["V"] *= math.exp(rng.normal(0.0, MM_SD["sd(V)"]))
        sim = simulate(spec.model, bolus(dose, cmt=1), times, params, rtol=1e-10, atol=1e-12)
        conc = sim["C"] * (1.0 + MM_PROP * rng.standard_normal(len(times)))
        rows.append({"ID": i + 1, "TIME": 0.0, "AMT": dose, "DV": ".", "EVID": 1, "MDV": 1,
                     "CMT": 1})  # fmt: skip
        for t, c in zip(times, conc, strict=True):
            rows.append({"ID": i + 1, "TIME": t, "AMT": ".", "DV": f"{c:.6g}", "EVID": 0,
                         "MDV": 0, "CMT": 2})  # fmt: skip
    return pd.DataFrame(rows).astype(str)


def test_michaelis_menten_population_is_recovered() -> None:
    """The truth is within each 95 % CI (FOCE-I, proportional error, start 30 % off).

    Seed 2 draws typical etas (their means within 0.7 SE of 0). An atypical draw can put the
    truth outside an interval, as 95 % intervals now and then should: seed 7 (the mean eta of
    Vmax 2.2 SE below 0) estimates the typical Vmax of its sample, 12 % below the truth.
    """
    spec = read_model_file(MM_FILE)
    assert spec.model.parameter_names == ("Vmax", "Km", "V", "ka")
    assert (spec.depot_state, spec.central_state, spec.observe) == ("Ad", "A1", "C")
    data = read_population(_simulate_mm(spec), source="mm.csv", depot_model=True)
    assert data.n_subjects == 30
    nd = NlmeData(
        subject_ids=data.subjects,
        subject=data.obs_subject,
        y=data.obs_dv,
        x=np.arange(data.n_obs, dtype=float)[:, None],
        x_names=("obs",),
        rows=data.obs_row,
    )
    start = {"Vmax": 30.0, "Km": 5.5, "V": 24.0, "ka": 1.1}
    model = NlmeModel(
        structural=file_prediction(spec, data),
        individual=covariate_map(list(start), ["Vmax", "V"], transform="log"),
        theta_start=tuple(start.values()),
        error=ErrorModel(kind="proportional", proportional=0.2),
        omega_start=(0.3, 0.3),
    )
    fit = fit_nlme(model, nd, method="foce-i")
    assert fit.converged and fit.identifiable
    truth = {**MM_TRUTH, **MM_SD, "sigma_prop": MM_PROP}
    for name, lo, hi in zip(fit.param_names, fit.ci_lower, fit.ci_upper, strict=True):
        assert lo is not None and hi is not None
        assert lo < truth[name] < hi, (name, lo, truth[name], hi)


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "expect"),
    [
        ('name = "one_cmt_oral"', 'name = "one_cmt_oral', None, "not valid TOML"),
        ('"ka * Ad - CL / V * A1"', '"ka * Ad - CL / Vc * A1"', "equations.dA1", "unknown symbol"),
        ('dAd = "-ka * Ad"\n', "", "equations.dAd", "missing"),
        ('unit = "L/h"', 'unit = "glorps/h"', "parameters.CL.unit", "not understood"),
        ('A1 = { unit = "mg" }  # CMT 2\n', "", "equations.dA1", "not d<state>"),
        ('observe = "C"', 'observe = "Cp"', "data.observe", "no output or state 'Cp'"),
        ("central = 2", "central = 3", "data.central", "CMT 3 has no state"),
        ("depot = 1", "depot = 0", "data.depot", "CMT 0 has no state"),
        ('V = { value = 32.0, unit = "L" }', "V = 32.0", "parameters.V", "must be a table"),
        ("[data]", "[dosing]", "dosing", "unknown key"),
        ('"-ka * Ad"', '"-ka * Ad; import os"', "equations.dAd", "not a valid expression"),
        ('"-ka * Ad"', '"-ka * __import__(Ad)"', "equations.dAd", "not allowed"),
    ],
)  # fmt: skip
def test_bad_model_files_name_the_file_and_key(
    old: str, new: str, key: str | None, expect: str
) -> None:
    assert old in ORAL
    with pytest.raises(InputError, match=expect) as err:
        parse_model_file(ORAL.replace(old, new, 1), source="oral.toml")
    assert err.value.place.file == "oral.toml"
    assert err.value.place.field == key


def test_read_model_file_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found") as err:
        read_model_file(tmp_path / "none.toml")
    assert err.value.place.file == str(tmp_path / "none.toml")


def test_bad_pairings_of_model_and_data(oral: ModelFile, theoph: PopData) -> None:
    with pytest.raises(InputError, match="no output or state 'Cp'"):
        ode_prediction(oral.model, theoph, observe="Cp", depot="Ad", central="A1")
    with pytest.raises(InputError, match="no state 'Adepot'"):
        ode_prediction(oral.model, theoph, observe="C", depot="Adepot", central="A1")
    with pytest.raises(InputError, match="doses into an absorption depot") as err:
        ode_prediction(oral.model, theoph, observe="C", central="A1")
    assert err.value.place.file == "theoph_nonmem.csv"
    no_data = parse_model_file(ORAL.split("[data]")[0], source="oral.toml")
    with pytest.raises(InputError, match=r"no \[data\] table"):
        file_prediction(no_data, theoph)
