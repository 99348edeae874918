"""PK regimen simulation (kind ``pk_regimen``): textbook closed forms, an ODE solve, the
bundled examples and bad input.

The references are written here, not taken from the code under test:

* 1-compartment IV bolus, ``n`` doses of D every tau, k = CL/V (Gibaldi & Perrier,
  Pharmacokinetics, 2nd ed., ch. 3): peak after dose n ``(D/V)(1 - r^n)/(1 - r)``, trough
  ``(D/V) r (1 - r^n)/(1 - r)`` with ``r = exp(-k tau)``; at steady state
  ``Cmax,ss = (D/V)/(1 - r)``, ``Cmin,ss = Cmax,ss r``, accumulation ratio ``1/(1 - r)``;
  time to 90 % of steady state ``ln 10 / k``.
* 1-compartment oral (Bateman function with bioavailability F and lag time tlag):
  ``C(t) = F D ka / (V (ka - k)) (exp(-k t') - exp(-ka t'))``, ``t' = t - tlag``,
  ``tmax = tlag + ln(ka/k)/(ka - k)``; at steady state
  ``Css(t') = F D ka / (V (ka - k)) (exp(-k t')/(1 - exp(-k tau)) - exp(-ka t')/(1 -
  exp(-ka tau)))`` with its peak at ``t' = ln(ka (1 - exp(-k tau)) / (k (1 - exp(-ka tau))))
  / (ka - k)``.
* 1-compartment intermittent infusion (Gibaldi & Perrier, ch. 3, eq. for repeated
  infusions): rate R0 = D/T, ``Cmax,ss = R0 (1 - exp(-k T)) / (CL (1 - exp(-k tau)))`` at the end
  of the infusion, ``Cmin,ss = Cmax,ss exp(-k (tau - T))``.
* The AUC over one dosing interval at steady state equals the AUC of one dose, ``F D / CL``.
* 2 compartments: the ODEs of the mammillary model written below, solved by
  ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-12), compared at rtol 1e-8.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd import pk_regimen as domain
from cxcr4lab.pkpd.pk import BALIXAFORTIDE_HUMAN, terminal_half_life
from cxcr4lab.pkpd.pk_regimen import (
    DosingRegimen,
    PkRegimenResult,
    given_parameters,
    simulate_pk_regimen,
)
from cxcr4lab.runs import KINDS, example_inputs, run_kind
from cxcr4lab.runs import pk_regimen as declared
from tests.conftest import CliRun

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples"
PKFIT_JSON = EXAMPLES / "pk" / "theoph_pkfit.json"


def _one(route: str, params: dict[str, float], model: str = "1cmt", **regimen: float) -> Any:
    dose = float(regimen.pop("dose", 100.0))
    tau = float(regimen.pop("interval", 12.0))
    reg = DosingRegimen(route, dose, tau, **regimen)  # type: ignore[arg-type]
    result = simulate_pk_regimen(
        reg, [given_parameters(model, route, params)], conc_unit="mg/L", points=400
    )
    return result, result.profiles[0]


# --- 1 compartment: textbook closed forms ---------------------------------------------------


def test_one_compartment_bolus_every_interval_and_steady_state() -> None:
    D, V, CL, tau, n = 100.0, 50.0, 5.0, 12.0, 60
    k = CL / V
    r = math.exp(-k * tau)
    result, p = _one("bolus", {"CL": CL, "V": V}, doses=n, dose=D, interval=tau)
    for m in p.intervals:
        peak = (D / V) * (1 - r**m.dose) / (1 - r)
        assert m.cmax == pytest.approx(peak, rel=1e-12)
        assert m.cmin == pytest.approx(peak * r, rel=1e-12)
        assert m.tmax == 0.0
        assert m.start == (m.dose - 1) * tau
    cmax_ss = (D / V) / (1 - r)
    last = p.intervals[-1]
    assert last.cmax == pytest.approx(cmax_ss, rel=1e-12)
    assert last.cmin == pytest.approx(cmax_ss * r, rel=1e-12)
    assert p.accumulation_ratio == pytest.approx(1 / (1 - r), rel=1e-12)
    assert last.auc == pytest.approx(D / CL, rel=1e-12)
    assert p.auc_ss == pytest.approx(D / CL, rel=1e-14)
    assert p.terminal_half_life == pytest.approx(math.log(2) / k, rel=1e-12)
    assert p.time_to_90_ss == pytest.approx(math.log(10) / k, rel=1e-10)
    assert p.doses_to_90_ss == math.ceil(math.log(10) / k / tau)
    # the curve: superposed monoexponentials
    t = np.asarray(result.times)
    expected = sum(
        np.where(t >= i * tau, (D / V) * np.exp(-k * (t - i * tau)), 0.0) for i in range(n)
    )
    assert np.allclose(p.conc, expected, rtol=1e-12, atol=0)


def test_one_compartment_oral_bateman_with_f_and_lag() -> None:
    D, V, CL, ka, F, lag = 320.0, 30.0, 2.5, 1.4, 0.8, 0.6
    k = CL / V
    result, p = _one(
        "oral", {"CL": CL, "V": V, "ka": ka}, dose=D, bioavailability=F, lag=lag, doses=1
    )
    t = np.asarray(result.times)
    tp = np.maximum(t - lag, 0.0)
    bateman = F * D * ka / (V * (ka - k)) * (np.exp(-k * tp) - np.exp(-ka * tp))
    assert np.allclose(p.conc, bateman, rtol=1e-12, atol=1e-13)
    assert np.all(np.asarray(p.conc)[t <= lag] == 0.0)
    tmax = lag + math.log(ka / k) / (ka - k)
    cmax = (
        F * D * ka / (V * (ka - k)) * (math.exp(-k * (tmax - lag)) - math.exp(-ka * (tmax - lag)))
    )
    (only,) = p.intervals
    assert only.cmax == pytest.approx(cmax, rel=1e-13)
    assert only.tmax == pytest.approx(tmax, abs=1e-6)
    assert p.auc_ss == pytest.approx(F * D / CL, rel=1e-14)
    assert p.accumulation_ratio == 1.0


def test_one_compartment_oral_steady_state() -> None:
    D, V, CL, ka, F, lag, tau = 320.0, 30.0, 2.5, 1.4, 0.8, 0.6, 12.0
    k = CL / V
    _, p = _one(
        "oral",
        {"CL": CL, "V": V, "ka": ka},
        dose=D,
        bioavailability=F,
        lag=lag,
        doses=40,
        interval=tau,
    )
    a = F * D * ka / (V * (ka - k))

    def css(tp: float) -> float:
        return a * (
            math.exp(-k * tp) / (1 - math.exp(-k * tau))
            - math.exp(-ka * tp) / (1 - math.exp(-ka * tau))
        )

    peak = math.log(ka * (1 - math.exp(-k * tau)) / (k * (1 - math.exp(-ka * tau)))) / (ka - k)
    last = p.intervals[-1]
    assert last.cmax == pytest.approx(css(peak), rel=1e-12)
    assert last.tmax == pytest.approx(lag + peak, abs=1e-6)
    assert last.cmin == pytest.approx(css(tau), rel=1e-12)
    assert last.auc == pytest.approx(F * D / CL, rel=1e-12)
    # the first interval holds the Bateman AUC from 0 to tau
    first = F * D / CL * (1 - (ka * math.exp(-k * tau) - k * math.exp(-ka * tau)) / (ka - k))
    assert p.intervals[0].auc == pytest.approx(first, rel=1e-12)
    assert p.accumulation_ratio == pytest.approx(F * D / CL / first, rel=1e-12)


def test_one_compartment_infusion_steady_state_gibaldi_perrier() -> None:
    D, V, CL, T, tau = 500.0, 40.0, 4.0, 2.0, 24.0
    k = CL / V
    _, p = _one("infusion", {"CL": CL, "V": V}, dose=D, duration=T, doses=50, interval=tau)
    r0 = D / T
    cmax_ss = r0 * (1 - math.exp(-k * T)) / (CL * (1 - math.exp(-k * tau)))
    last = p.intervals[-1]
    assert last.cmax == pytest.approx(cmax_ss, rel=1e-12)
    assert last.tmax == T
    assert last.cmin == pytest.approx(cmax_ss * math.exp(-k * (tau - T)), rel=1e-12)
    assert last.auc == pytest.approx(D / CL, rel=1e-12)
    first = p.intervals[0]  # single dose: peak at the end of the first infusion
    assert first.cmax == pytest.approx(r0 / CL * (1 - math.exp(-k * T)), rel=1e-12)


@pytest.mark.parametrize(
    ("route", "model", "params"),
    [
        ("bolus", "2cmt", {"CL": 3.0, "V1": 10.0, "Q": 6.0, "V2": 40.0}),
        ("infusion", "3cmt", {"CL": 3.2, "V1": 4, "Q2": 20, "V2": 15, "Q3": 6, "V3": 120}),
        ("oral", "2cmt", {"CL": 3.0, "V1": 10.0, "Q": 6.0, "V2": 40.0, "ka": 0.9}),
    ],
)
def test_auc_over_an_interval_at_steady_state_is_f_dose_over_cl(
    route: str, model: str, params: dict[str, float]
) -> None:
    extra: dict[str, float] = {"duration": 1.5} if route == "infusion" else {}
    if route == "oral":
        extra = {"bioavailability": 0.6, "lag": 0.25}
    _, p = _one(route, params, model, dose=80.0, interval=8.0, doses=400, **extra)
    f = extra.get("bioavailability", 1.0)
    assert p.intervals[-1].auc == pytest.approx(f * 80.0 / params["CL"], rel=1e-9)
    assert p.auc_ss == pytest.approx(f * 80.0 / params["CL"], rel=1e-13)


def test_ka_equal_to_the_elimination_rate_is_continuous() -> None:
    base = {"CL": 5.0, "V": 50.0}
    _, at = _one("oral", {**base, "ka": 0.1}, doses=3)
    _, near = _one("oral", {**base, "ka": 0.1 * (1 + 1e-9)}, doses=3)
    for a, b in zip(at.intervals, near.intervals, strict=True):
        assert a.auc == pytest.approx(b.auc, rel=1e-8)
        assert a.cmax == pytest.approx(b.cmax, rel=1e-8)
        assert a.cmin == pytest.approx(b.cmin, rel=1e-8)
    assert np.allclose(at.conc, near.conc, rtol=1e-8)


# --- 2 compartments: against an ODE solve ----------------------------------------------------


def _ode_2cmt(
    params: dict[str, float], reg: DosingRegimen, t_eval: np.ndarray
) -> tuple[np.ndarray, Callable[[float], float], np.ndarray]:
    """Concentrations at t_eval, a dense C(t), and the AUC accumulated at each interval end, from
    the 2-compartment ODEs (amounts: depot, central, peripheral; plus the AUC)."""
    CL, V1, Q, V2 = params["CL"], params["V1"], params["Q"], params["V2"]
    ka = params.get("ka", 0.0)
    starts = [i * reg.interval + reg.lag for i in range(reg.doses)]
    T = reg.duration

    def rate(t: float) -> float:
        return sum(reg.dose / T for s in starts if s <= t < s + T) if T else 0.0

    def rhs(t: float, y: np.ndarray) -> list[float]:
        ad, a1, a2, _ = y
        return [
            -ka * ad,
            ka * ad + rate(t) - (CL / V1) * a1 - (Q / V1) * a1 + (Q / V2) * a2,
            (Q / V1) * a1 - (Q / V2) * a2,
            a1 / V1,
        ]

    cuts = sorted({0.0, *starts, *(s + T for s in starts if T), float(t_eval[-1])})
    ends = [i * reg.interval + reg.lag + reg.interval for i in range(reg.doses)]
    cuts = sorted(set(cuts) | set(ends))
    y = np.zeros(4)
    pieces = []
    for a, b in itertools.pairwise(cuts):
        if a in starts and not T:
            y = y.copy()
            y[0 if reg.route == "oral" else 1] += reg.bioavailability * reg.dose
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-12, atol=1e-14, dense_output=True)
        pieces.append((a, b, sol.sol))
        y = sol.y[:, -1]

    def state(t: float) -> np.ndarray:
        for a, b, f in pieces:
            if a <= t <= b:
                return np.asarray(f(t))
        raise AssertionError(t)

    conc = np.array([state(float(t))[1] / V1 for t in t_eval])
    auc_at_ends = np.array([state(e)[3] for e in ends])
    return conc, (lambda t: float(state(t)[1] / V1)), auc_at_ends


@pytest.mark.parametrize("route", ["infusion", "oral"])
def test_two_compartments_against_the_odes(route: str) -> None:
    params = {"CL": 1.2, "V1": 5.0, "Q": 5.0, "V2": 10.0}
    if route == "oral":
        params["ka"] = 1.1
        extra: dict[str, float] = {"bioavailability": 0.7, "lag": 0.4}
    else:
        extra = {"duration": 2.0}
    result, p = _one(route, params, "2cmt", dose=385.0, interval=24.0, doses=3, **extra)
    reg = result.regimen
    t = np.asarray(result.times)
    # right after a bolus into the depot the ODE and the closed form agree; skip nothing
    conc, dense, auc_ends = _ode_2cmt(params, reg, t)
    assert np.allclose(p.conc, conc, rtol=1e-8, atol=1e-10 * max(conc))
    aucs = np.diff(np.concatenate([[0.0], auc_ends]))
    for m, auc in zip(p.intervals, aucs, strict=True):
        start = m.start + reg.lag
        assert m.auc == pytest.approx(auc, rel=1e-8)
        assert m.cmin == pytest.approx(dense(start + reg.interval), rel=1e-8)
        found = minimize_scalar(
            lambda s: -dense(s),
            bounds=(start + 1e-9, start + reg.interval),
            method="bounded",
            options={"xatol": 1e-10},
        )
        peak = max(-found.fun, dense(start + reg.duration) if reg.duration else 0.0)
        assert m.cmax == pytest.approx(peak, rel=1e-8)


# --- the examples -----------------------------------------------------------------------------


def test_the_balixafortide_example_uses_the_model_of_pkpd_pk() -> None:
    example = KINDS["pk_regimen"].examples[0]
    outcome = run_kind("pk_regimen", example_inputs(example), dict(example.options))
    result: PkRegimenResult = outcome.result
    (p,) = result.profiles
    model = {q.name: q.value for q in BALIXAFORTIDE_HUMAN.parameters}
    assert p.parameters.params == {
        "CL": model["CL"],
        "V1": model["V1"],
        "Q": model["Q2"],
        "V2": model["V2"],
    }
    assert float(example.options["dose"]) == pytest.approx(5.5 * 70)  # 5.5 mg/kg x 70 kg
    assert p.terminal_half_life == pytest.approx(terminal_half_life(BALIXAFORTIDE_HUMAN), rel=1e-12)
    assert all(m.tmax == 2.0 for m in p.intervals)  # Cmax at the end of the infusion
    assert result.regimen.describe() == "385 mg 2-h IV infusion q24h x 3"
    assert result.times[-1] == pytest.approx(48 + 2 + 5 * p.terminal_half_life)
    assert "SIMULATED" in example.note and "seed_facts.toml" in example.note


def test_the_pkfit_example_simulates_every_converged_subject_with_its_estimates() -> None:
    example = KINDS["pk_regimen"].examples[1]
    files = example_inputs(example)
    outcome = run_kind("pk_regimen", files, dict(example.options))
    result: PkRegimenResult = outcome.result
    stored = json.loads(PKFIT_JSON.read_text(encoding="utf-8"))
    assert stored["kind"] == "pkfit" and {"id", "title"} <= set(stored)
    fitted = {
        s["subject"]: {e["name"]: e["value"] for e in s["estimates"]} for s in stored["subjects"]
    }
    assert [p.label for p in result.profiles] == list(fitted)
    for p in result.profiles:
        assert p.parameters.params == fitted[p.label]
        assert p.parameters.model == "1cmt"
    assert result.regimen.route == "oral" and result.conc_unit == "mg/L"
    one = result.profile("1")
    CL, V, ka = (fitted["1"][n] for n in ("CL", "V", "ka"))
    k, tau = CL / V, 12.0
    r = math.exp(-k * tau)
    # the trough after n doses: sum of n Bateman curves at the end of the interval
    a = 320 * ka / (V * (ka - k))
    for m in one.intervals:
        ends = tau * np.arange(1, m.dose + 1)
        assert m.cmin == pytest.approx(
            float(np.sum(a * (np.exp(-k * ends) - np.exp(-ka * ends)))), rel=1e-12
        )
    # the AUC over interval n: the Bateman AUC from 0 to n tau
    x = 10 * tau
    tail = (ka * math.exp(-k * x) - k * math.exp(-ka * x)) / (ka - k)
    assert one.intervals[-1].auc == pytest.approx(320 / CL * (1 - tail), rel=1e-12)
    assert one.intervals[-1].auc < 320 / CL * (1 - r**10) < 320 / CL


@pytest.mark.parametrize("index", [0, 1])
def test_each_example_is_fast_and_renders_its_report_section(index: int) -> None:
    from cxcr4lab.report.sections import render_section

    example = KINDS["pk_regimen"].examples[index]
    started = time.perf_counter()
    outcome = run_kind("pk_regimen", example_inputs(example), dict(example.options))
    assert time.perf_counter() - started < 30.0  # about 0.1 s when idle
    html = render_section(1, example.title, outcome.result)
    assert "<svg" in html and "SIMULATED" in html and "Per dosing interval" in html
    assert "Cmax first (mg/L)" in html and outcome.parameters["regimen"]["doses"] > 1


def test_pkfit_overrides_a_subject_and_an_override() -> None:
    files = {"pkfit": ("theoph_pkfit.json", PKFIT_JSON.read_bytes())}
    out = run_kind(
        "pk_regimen", files, {"subject": "3", "parameter": ["ka=2"], "doses": "2", "interval": "8"}
    )
    (p,) = out.result.profiles
    assert p.label == "3" and p.parameters.params["ka"] == 2.0
    assert "given ka=2" in p.parameters.source
    assert out.result.regimen.dose == 320.0  # the fitted dose


# --- the command line and bad input -------------------------------------------------------------

GIVEN = ["--model", "1cmt", "--dose", "100", "--parameter", "CL=5", "--parameter", "V=50"]


def _error(run: CliRun, *needles: str) -> str:
    assert run.code == 2, (run.code, run.out, run.err)
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1, run.err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_the_command_runs_and_prints_the_interval_table(cli: Callable[..., CliRun]) -> None:
    run = cli("simulate", "pk", *GIVEN, "--doses", "4", "--interval", "12", "--no-save")
    assert run.code == 0, run.err
    assert "Per dosing interval" in run.out and "100 mg IV bolus q12h x 4" in run.out


CL_V = ["--parameter", "CL=5", "--parameter", "V=50"]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--dose", "100", "--parameter", "CL=5; Vz=50"], ["--parameter", "'Vz'", "CL, V"]),
        (["--dose", "100", "--parameter", "CL=5"], ["--parameter", "V missing", "V=VALUE"]),
        (["--dose", "100", "--model", "2cmt", *CL_V], ["--parameter", "CL, V1, Q, V2"]),
        (["--dose", "100", "--parameter", "CL=-5; V=50"], ["--parameter", "> 0"]),
        (["--dose", "100", "--parameter", "CL=5; cl=6; V=50"], ["--parameter", "twice"]),
        (["--dose", "-100", *CL_V], ["--dose", "> 0"]),
        ([*CL_V], ["--dose", "is needed"]),
        (["--dose", "100", "--interval", "0", *CL_V], ["--interval", "> 0"]),
        (["--dose", "100", "--doses", "1001", *CL_V], ["--doses", "<= 1000"]),
        (["--dose", "100", "--doses", "2.5", *CL_V], ["--doses", "whole number"]),
        (["--dose", "100", "--route", "infusion", *CL_V], ["--duration", "is needed"]),
        (["--dose", "100", "--duration", "2", *CL_V], ["--duration", "infusions only"]),
        (["--dose", "100", "--route", "oral", *CL_V], ["--parameter", "ka missing"]),
        (["--dose", "100", "--lag", "1", *CL_V], ["--lag", "oral doses only"]),
        (["--dose", "100", "--route", "oral", "--bioavailability", "1.5", *CL_V, "--parameter",
          "ka=1"], ["--bioavailability", "<= 1"]),
        (["--dose", "100", "--subject", "1", *CL_V], ["--subject", "--pkfit"]),
        (["--dose", "100", "--model", "3cmt", "--route", "oral"], ["--model", "1- and 2-comp"]),
        (["--dose", "100", "--points", "100000", *CL_V], ["--points", "<= 5000"]),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_option(
    cli: Callable[..., CliRun], args: list[str], needles: list[str]
) -> None:
    _error(cli("simulate", "pk", *args, "--no-save"), *needles)


def test_bad_pkfit_files_are_one_line_naming_the_file(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    nca = tmp_path / "nca.json"
    nca.write_text(json.dumps({"id": 3, "kind": "nca", "subjects": []}), encoding="utf-8")
    _error(
        cli("simulate", "pk", "--pkfit", str(nca), "--no-save"), "nca.json", "'nca'", "not a pkfit"
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{"kind": "pkfit", ', encoding="utf-8")
    _error(cli("simulate", "pk", "--pkfit", str(broken), "--no-save"), "broken.json", "not JSON")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    _error(cli("simulate", "pk", "--pkfit", str(deep), "--no-save"), "deep.json")
    wrong = tmp_path / "wrong.json"
    data = json.loads(PKFIT_JSON.read_text(encoding="utf-8"))
    del data["subjects"][0]["model"]
    wrong.write_text(json.dumps(data), encoding="utf-8")
    _error(
        cli("simulate", "pk", "--pkfit", str(wrong), "--no-save"), "wrong.json", "subjects[0].model"
    )
    text = tmp_path / "fit.csv"
    text.write_text("a,b\n1,2\n", encoding="utf-8")
    _error(cli("simulate", "pk", "--pkfit", str(text), "--no-save"), "fit.csv", ".json")


def test_pkfit_subject_route_and_unit_mismatches_are_named(cli: Callable[..., CliRun]) -> None:
    fit = ["simulate", "pk", "--pkfit", str(PKFIT_JSON), "--no-save"]
    _error(cli(*fit, "--subject", "99"), "--subject", "'99'", "1, 2, 3")
    _error(cli(*fit, "--route", "bolus"), "--route", "oral")
    _error(cli(*fit, "--model", "2cmt"), "--model", "1cmt")
    _error(cli(*fit, "--dose-unit", "ug"), "--dose-unit", "mg")
    _error(cli(*fit, "--parameter", "V1=3"), "--parameter", "'V1'", "CL, V, ka")
    run = cli(*fit, "--subject", "12", "--doses", "3", "--json")
    assert run.code == 0, run.err
    shown = json.loads(run.out)
    assert [p["parameters"]["label"] for p in shown["profiles"]] == ["12"]


def test_the_domain_refuses_what_the_options_cannot_check() -> None:
    with pytest.raises(InputError, match="longer than the dosing interval"):
        DosingRegimen("infusion", 10.0, 2.0, doses=3, duration=3.0)
    with pytest.raises(InputError, match="applies to infusions"):
        DosingRegimen("bolus", 10.0, 2.0, duration=1.0)
    with pytest.raises(InputError, match="after the longest simulated time"):
        DosingRegimen("bolus", 10.0, 1000.0, doses=1000)
    with pytest.raises(InputError, match="from 1e-09 to 1e"):
        given_parameters("1cmt", "bolus", {"CL": 1e12, "V": 1.0})
    reg = DosingRegimen("bolus", 10.0, 1.0, doses=1000)
    sets = [
        given_parameters("1cmt", "bolus", {"CL": 1.0, "V": 1.0}, label=str(i)) for i in range(11)
    ]
    with pytest.raises(InputError, match="dosing intervals") as caught:
        simulate_pk_regimen(reg, sets, conc_unit="mg/L")
    assert caught.value.place.field == "doses"


def test_the_declared_bounds_are_the_domains() -> None:
    assert declared.MAX_DOSES == domain.MAX_DOSES
    assert declared.MAX_POINTS == domain.MAX_POINTS
    assert declared.MAX_HORIZON_H == domain.MAX_HORIZON_H


def test_the_result_round_trips_through_json() -> None:
    result, _ = _one("oral", {"CL": 2.0, "V": 20.0, "ka": 1.0}, doses=3, lag=0.5)
    back = PkRegimenResult.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert back == result
    frame = result.summary()
    assert list(frame.columns[:8]) == [
        "subject",
        "model",
        "dose",
        "start (h)",
        "Cmax (mg/L)",
        "Tmax (h after dose)",
        "Cmin (mg/L)",
        "AUC_tau (h*mg/L)",
    ]
    assert len(frame) == 3 and result.potencies() == []
