"""Compartmental PK fitting: R's nls self-starting models, ODE solvers, simulation, bad input.

References (R's own example output, ``tests/Examples/stats-Ex.Rout.save`` of R, r-source commit
0044f6e9d583aec2a826aa51f3354f64a3e63a82, the examples of ?SSfol and ?SSbiexp)::

    Theoph.1 <- Theoph[ Theoph$Subject == 1, ]
    fm1 <- nls(conc ~ SSfol(Dose, Time, lKe, lKa, lCl), data = Theoph.1)
    summary(fm1)
    #     Estimate Std. Error t value Pr(>|t|)
    # lKe  -2.9196     0.1709 -17.085 1.40e-07 ***
    # lKa   0.5752     0.1728   3.328   0.0104 *
    # lCl  -3.9159     0.1273 -30.768 1.35e-09 ***
    # Residual standard error: 0.732 on 8 degrees of freedom

    Indo.1 <- Indometh[Indometh$Subject == 1, ]
    print(getInitial(conc ~ SSbiexp(time, A1, lrc1, A2, lrc2), data = Indo.1), digits = 5)
    #       A1     lrc1       A2     lrc2
    #  2.02928  0.57939  0.19155 -1.78778        ("Initial values are in fact the converged values")
    fm1 <- nls(conc ~ SSbiexp(time, A1, lrc1, A2, lrc2), data = Indo.1)
    summary(fm1)
    #      Estimate Std. Error t value Pr(>|t|)
    # A1     2.0293     0.1099  18.464 3.39e-07 ***
    # lrc1   0.5794     0.1247   4.648  0.00235 **
    # A2     0.1915     0.1106   1.731  0.12698
    # lrc2  -1.7878     0.7871  -2.271  0.05737 .
    # Residual standard error: 0.04103 on 7 degrees of freedom

SSfol is Dose*exp(lKe+lKa-lCl)*(exp(-exp(lKe)*t) - exp(-exp(lKa)*t))/(exp(lKa) - exp(lKe)): a
1-compartment oral model with CL = exp(lCl), ka = exp(lKa), V = CL/exp(lKe). R's Theoph
``Dose`` is in mg/kg (4.02 for subject 1), so CL is in L/h/kg. Indometh was an IV bolus of
25 mg, and a biexponential with positive terms is exactly a 2-compartment bolus model. The
least-squares optimum is therefore the same point in both parameterisations. SEs map exactly
through the Jacobian of the reparameterisation (delta method at the optimum).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.compartments import Doses, Structure, concentrations, sim_model
from cxcr4lab.pkpd.pk import one_compartment, three_compartment, two_compartment
from cxcr4lab.pkpd.pkfit import (
    DoseRecord,
    PkFitResult,
    PkFitSettings,
    SubjectPkFit,
    fit_pk_table,
    fit_subject,
)
from cxcr4lab.sim import Model, bolus, combine, infusion, simulate, simulate_analytic

DATA = Path(__file__).resolve().parents[1] / "data" / "pk"
THEOPH_1_DOSE_MG_PER_KG = 4.02  # R: Theoph$Dose[Theoph$Subject == 1]


def _subject(name: str, subject: int) -> pd.DataFrame:
    frame = pd.read_csv(DATA / name)
    return frame[frame["subject"] == subject]


def _delta_se(fit: SubjectPkFit, transform: object) -> np.ndarray:
    """SEs of transform(theta) from the fit's log-parameter covariance (numerical Jacobian)."""
    theta = np.asarray(fit.log_values)
    cov = np.asarray(fit.log_covariance)
    f = transform  # type: ignore[assignment]
    base = np.asarray(f(theta))  # type: ignore[operator]
    G = np.empty((base.size, theta.size))
    for j in range(theta.size):
        h = np.zeros_like(theta)
        h[j] = 1e-6
        G[:, j] = (np.asarray(f(theta + h)) - np.asarray(f(theta - h))) / 2e-6  # type: ignore[operator]
    return np.sqrt(np.diag(G @ cov @ G.T))


def test_theoph_subject_1_against_R_SSfol() -> None:
    """R ``nls(conc ~ SSfol(Dose, Time, lKe, lKa, lCl), data = Theoph.1)``; see module doc."""
    s1 = _subject("theoph.csv", 1)
    fit = fit_subject(
        s1["time"],
        s1["conc"],
        [DoseRecord(0.0, THEOPH_1_DOSE_MG_PER_KG, route="oral")],
        model="1cmt",
        dose_unit="mg/kg",
    )
    assert fit.converged and not fit.flags and fit.dof == 8
    log_cl, log_v, log_ka = fit.log_values
    assert log_cl - log_v == pytest.approx(-2.9196, rel=1e-4)  # lKe
    assert log_ka == pytest.approx(0.5752, rel=1e-4)  # lKa
    assert log_cl == pytest.approx(-3.9159, rel=1e-4)  # lCl
    se = _delta_se(fit, lambda th: [th[0] - th[1], th[2], th[0]])
    np.testing.assert_allclose(se, [0.1709, 0.1728, 0.1273], rtol=5e-4)
    assert fit.sigma == pytest.approx(0.732, abs=5e-4)
    # units follow the dose: mg/kg with mg/L gives L/h/kg
    assert fit.estimate("CL").unit == "L/h/kg"
    assert fit.estimate("CL").value == pytest.approx(math.exp(-3.9159), rel=1e-4)


def test_indometh_subject_1_against_R_SSbiexp() -> None:
    """R ``nls(conc ~ SSbiexp(time, A1, lrc1, A2, lrc2), data = Indo.1)``: a 2-compartment IV
    bolus fit (25 mg) reproduces the macro-constants; see module doc."""
    s1 = _subject("indometh.csv", 1)
    fit = fit_subject(s1["time"], s1["conc"], [DoseRecord(0.0, 25.0)], model="2cmt")
    assert fit.converged and fit.dof == 7

    def macro(theta: np.ndarray) -> list[float]:
        sub = SubjectPkFit(**{**fit.__dict__, "log_values": tuple(theta)})
        (c2, k2), (c1, k1) = sub.disposition_terms()  # terminal first
        return [25 * c1, math.log(k1), 25 * c2, math.log(k2)]

    np.testing.assert_allclose(
        macro(np.asarray(fit.log_values)), [2.02928, 0.57939, 0.19155, -1.78778], rtol=1e-4
    )
    np.testing.assert_allclose(_delta_se(fit, macro), [0.1099, 0.1247, 0.1106, 0.7871], rtol=1e-3)
    assert fit.sigma == pytest.approx(0.04103, abs=5e-6)
    # secondary parameters follow from the same optimum: t1/2 = ln 2 / exp(lrc2), AUC = D / CL
    assert fit.estimate("t1/2 terminal").value == pytest.approx(
        math.log(2) / math.exp(-1.78778), rel=1e-4
    )
    assert fit.estimate("t1/2 alpha").value == pytest.approx(
        math.log(2) / math.exp(0.57939), rel=1e-4
    )
    auc = 2.02928 / math.exp(0.57939) + 0.19155 / math.exp(-1.78778)  # integral of SSbiexp
    assert fit.estimate("AUCinf").value == pytest.approx(auc, rel=1e-4)
    assert fit.estimate("Vss").value == pytest.approx(fit.params["V1"] + fit.params["V2"])


def test_auto_prefers_two_compartments_for_indometh_by_aicc() -> None:
    s1 = _subject("indometh.csv", 1)
    fit = fit_subject(s1["time"], s1["conc"], [DoseRecord(0.0, 25.0)], model="auto")
    aicc = dict(fit.candidates)
    assert set(aicc) == {"1cmt", "2cmt", "3cmt"}
    assert fit.model == "2cmt" and aicc["2cmt"] == min(a for a in aicc.values() if a is not None)
    assert any("AICc" in n for n in fit.notes)


# -- the closed form against the ODE engines ------------------------------------------------

CASES = [
    (Structure(1), one_compartment(CL=5.0, V1=50.0), [5.0, 50.0]),
    (Structure(2), two_compartment(CL=5.0, V1=20.0, Q2=10.0, V2=50.0), [5.0, 20.0, 10.0, 50.0]),
    (
        Structure(3),
        three_compartment(CL=5.0, V1=20.0, Q2=10.0, V2=50.0, Q3=2.0, V3=100.0),
        [5.0, 20.0, 10.0, 50.0, 2.0, 100.0],
    ),
]
TIMES = np.array([0.0, 0.1, 0.5, 1.0, 2.0, 2.5, 3.0, 6.0, 12.0, 24.0, 25.0, 30.0, 48.0])


@pytest.mark.parametrize("duration", [0.0, 2.0], ids=["bolus", "infusion"])
@pytest.mark.parametrize(("structure", "model", "params"), CASES, ids=["1cmt", "2cmt", "3cmt"])
def test_closed_form_equals_scipy_and_superposition(
    structure: Structure, model: Model, params: list[float], duration: float
) -> None:
    """pkpd.pk models (two doses, bolus or 2 h infusions) through scipy's LSODA at tight
    tolerances and through sim.linear's eigen superposition."""
    doses = [(0.0, 100.0), (24.0, 50.0)]
    ev = combine(
        *[
            infusion(a, duration=duration, time=t) if duration else bolus(a, time=t)
            for t, a in doses
        ]
    )
    ours = concentrations(
        structure, np.array([params]), Doses.of([(t, a, duration) for t, a in doses]), TIMES
    )[0]
    scipy_cp = np.asarray(simulate(model, ev, TIMES, rtol=1e-12, atol=1e-14)["Cp"])
    np.testing.assert_allclose(ours, scipy_cp, rtol=1e-8, atol=1e-12)
    exact = simulate_analytic(model, ev, TIMES).values["Cp"][0]
    np.testing.assert_allclose(ours, exact, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("n", "params"),
    [(1, [5.0, 50.0, 1.2]), (2, [5.0, 20.0, 10.0, 50.0, 0.8]), (1, [5.0, 50.0, 0.1])],
    ids=["1cmt", "2cmt", "ka-equals-k"],
)
def test_oral_closed_form_equals_scipy(n: int, params: list[float]) -> None:
    """First-order absorption, including ka = CL/V exactly (where ka - k divides by zero)."""
    s = Structure(n, oral=True)
    ev = combine(bolus(100.0, time=0.0, cmt=n + 1), bolus(50.0, time=24.0, cmt=n + 1))
    model = sim_model(s, dict(zip(s.param_names, params, strict=True)))
    ours = concentrations(s, np.array([params]), Doses.of([(0, 100, 0), (24, 50, 0)]), TIMES)[0]
    scipy_c = np.asarray(simulate(model, ev, TIMES, rtol=1e-12, atol=1e-14)["C"])
    np.testing.assert_allclose(ours, scipy_c, rtol=1e-8, atol=1e-12)


# -- simulation and recovery ---------------------------------------------------------------

TRUE = {"CL": 1.2, "V1": 5.0, "Q2": 5.0, "V2": 10.0}
SAMPLES = np.array([0.5, 1, 1.5, 2, 2.5, 3, 4, 6, 8, 12, 16, 24, 36, 48])


def test_recovers_simulated_parameters_within_their_cis() -> None:
    """SIMULATED: 40 seeded replicates of a 2 h infusion (pkpd.pk two_compartment, scipy) with
    10% log-normal noise, fitted with weights 1/y^2: every 95% CI covers the truth in at least
    85% of replicates and the median estimate is within 5% of the truth."""
    clean = np.asarray(
        simulate(two_compartment(**TRUE), infusion(100.0, duration=2.0), SAMPLES, rtol=1e-10)["Cp"]
    )
    names = {"CL": "CL", "V1": "V1", "Q": "Q2", "V2": "V2"}
    hits = dict.fromkeys(names, 0)
    values: dict[str, list[float]] = {k: [] for k in names}
    for seed in range(40):
        rng = np.random.default_rng([2026, seed])
        y = clean * np.exp(rng.normal(0.0, 0.1, SAMPLES.size))
        fit = fit_subject(SAMPLES, y, [DoseRecord(0.0, 100.0, 2.0)], model="2cmt", weights="1/y^2")
        assert fit.converged and fit.route == "infusion"
        for ours, theirs in names.items():
            e = fit.estimate(ours)
            assert e.ci_lower is not None and e.ci_upper is not None
            hits[ours] += e.ci_lower <= TRUE[theirs] <= e.ci_upper
            values[ours].append(e.value)
    for ours, theirs in names.items():
        assert hits[ours] >= 34, (ours, hits[ours])
        assert np.median(values[ours]) == pytest.approx(TRUE[theirs], rel=0.05)


def test_flip_flop_is_flagged() -> None:
    """SIMULATED oral profile with ka (0.05/h) below CL/V (0.1/h). A 1-compartment oral curve
    cannot tell ka from CL/V (the two rates swap, V changes); whichever the fit returns, both
    rates are recovered and the flag is set exactly when ka is the slower one."""
    s = Structure(1, oral=True)
    t = np.array([1, 2, 4, 6, 8, 12, 24, 36, 48, 72, 96], dtype=float)
    y = concentrations(s, np.array([[5.0, 50.0, 0.05]]), Doses.of([(0, 100, 0)]), t)[0]
    fit = fit_subject(t, y, [DoseRecord(0, 100, route="oral")], model="1cmt")
    ka, k = fit.params["ka"], fit.params["CL"] / fit.params["V"]
    np.testing.assert_allclose(sorted([ka, k]), [0.05, 0.1], rtol=1e-6)
    assert ("flip_flop" in fit.flags) == (ka < k)


# -- tables ---------------------------------------------------------------------------------


def test_table_batch_one_row_per_subject_and_round_trip() -> None:
    frame = pd.read_csv(DATA / "indometh.csv")
    result = fit_pk_table(frame, PkFitSettings(model="2cmt"), source="indometh.csv")
    assert [s.subject for s in result.subjects] == [str(i) for i in range(1, 7)]
    table = result.summary()
    assert len(table) == 6 and "CL (L/h)" in table.columns and "Vss (L) CI lower" in table.columns
    first = result.subject("1")
    assert first.route == "iv bolus" and first.params["CL"] == pytest.approx(
        25.0 / first.estimate("AUCinf").value
    )
    back = PkFitResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back == result


def test_failing_subject_is_flagged_not_fatal() -> None:
    frame = pd.read_csv(DATA / "indometh.csv").astype({"conc": object})
    frame.loc[frame["subject"] == 2, "conc"] = "BLQ"
    frame.loc[(frame["subject"] == 3) & (frame["time"] > 1.0), "conc"] = "BLQ"
    result = fit_pk_table(frame, PkFitSettings(model="2cmt"), source="indo.csv")
    two, three = result.subject("2"), result.subject("3")
    assert two.flags == ("failed",) and "all BLQ" in (two.error or "")
    assert three.flags == ("failed",) and "cannot fit the 4 parameters" in (three.error or "")
    assert all(s.converged for s in result.subjects if s.subject not in ("2", "3"))
    assert result.summary().set_index("subject").loc["2", "flags"] == "failed"
    assert PkFitResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_nonmem_form_with_repeated_infusions() -> None:
    """SIMULATED noise-free data: 3 infusions (ADDL 2, II 12 h) per subject; the fit returns
    the simulating parameters."""
    s = Structure(2)
    truth = {"1": [1.2, 5.0, 5.0, 10.0], "2": [2.0, 8.0, 3.0, 20.0]}
    t = np.array([1.0, 2.0, 4.0, 8.0, 12.5, 14.0, 20.0, 24.5, 26.0, 30.0, 36.0, 48.0])
    doses = Doses.of([(0, 100, 1), (12, 100, 1), (24, 100, 1)])
    rows = []
    for sid, p in truth.items():
        rows.append(
            {
                "ID": sid,
                "TIME": 0,
                "EVID": 1,
                "AMT": 100,
                "RATE": 100,
                "II": 12,
                "ADDL": 2,
                "DV": ".",
            }
        )
        y = concentrations(s, np.array([p]), doses, t)[0]
        rows += [
            {"ID": sid, "TIME": ti, "EVID": 0, "AMT": ".", "RATE": 0, "II": 0, "ADDL": 0, "DV": yi}
            for ti, yi in zip(t, y, strict=True)
        ]
    frame = pd.DataFrame(rows).astype(str)
    result = fit_pk_table(frame, PkFitSettings(model="2cmt", route="iv"), source="nm.csv")
    for sid, p in truth.items():
        fit = result.subject(sid)
        assert len(fit.doses) == 3 and fit.route == "infusion"
        np.testing.assert_allclose([fit.params[n] for n in ("CL", "V1", "Q", "V2")], p, rtol=1e-6)
    with pytest.raises(InputError, match="route"):
        fit_pk_table(frame, PkFitSettings(model="2cmt"), source="nm.csv")


def test_weighted_fit_drops_zero_concentrations_with_a_note() -> None:
    s1 = _subject("theoph.csv", 2)  # conc 0 at t = 0
    fit = fit_subject(
        s1["time"], s1["conc"], [DoseRecord(0, 320, route="oral")], model="1cmt", weights="1/y"
    )
    assert len(fit.time) == len(s1) - 1
    assert any("zero concentration at t = 0 h" in n for n in fit.notes)


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time", "conc", "doses", "needle"),
    [
        ([0.5, -1, 2, 4, 8], [5, 4, 3, 2, 1], [DoseRecord(0, 100)], "time #2 is -1"),
        ([0.5, 1, 2, 4, 8], [5, 4, -3, 2, 1], [DoseRecord(0, 100)], "concentration #3 is -3"),
        ([0.5, 1, 2, 4, 8], [5, 4, 3, 2, 1], [], "no dose record"),
        ([0.5, 1, 2, 4, 8], [5, 4, 3, 2, 1], [DoseRecord(0, 0)], "amount must be > 0"),
        ([0.5, 1, 2], [5, 4, 3], [DoseRecord(0, 100)], "cannot fit the 4 parameters"),
        ([0.5, 1, 2, 4], [math.nan] * 4, [DoseRecord(0, 100)], "all BLQ"),
        (
            [0.5, 1, 2, 4, 8],
            [5, 4, 3, 2, 1],
            [DoseRecord(0, 100), DoseRecord(12, 100, route="oral")],
            "mix iv and oral",
        ),
    ],
    ids=[
        "negative-time",
        "negative-conc",
        "no-dose",
        "zero-dose",
        "few-points",
        "all-blq",
        "mixed",
    ],
)
def test_bad_input_is_one_clear_error(
    time: list[float], conc: list[float], doses: list[DoseRecord], needle: str
) -> None:
    with pytest.raises(InputError, match=needle) as info:
        fit_subject(time, conc, doses, model="2cmt", subject="S7")
    assert "subject S7" in str(info.value)


def test_table_errors_name_the_row() -> None:
    frame = pd.read_csv(DATA / "indometh.csv").astype(str)
    frame.loc[3, "conc"] = "-0.3"
    with pytest.raises(InputError, match=r"bad.csv, row 5, column 'conc'"):
        fit_pk_table(frame, PkFitSettings(), source="bad.csv")
    with pytest.raises(InputError, match="model"):
        PkFitSettings(model="4cmt")
    with pytest.raises(InputError, match="weights"):
        PkFitSettings(weights="1/x")
    with pytest.raises(InputError, match="1- and 2-compartment"):
        Structure(3, oral=True)


def test_a_missing_sample_is_left_out_with_a_note_as_nca_does() -> None:
    """What ``cxcr4lab nca`` accepts, ``pkfit`` accepts: a blank concentration is a missing
    sample, excluded and said (NCA's words), not a refusal of the whole file."""
    frame = pd.read_csv(DATA / "theoph.csv").astype({"conc": object})
    rows = frame.index[frame["subject"] == 1]
    frame.loc[rows[4], "conc"] = None  # t = 2.02 h
    frame.loc[rows[7], "conc"] = "BLQ"  # t = 7.03 h
    result = fit_pk_table(frame, PkFitSettings(model="1cmt"), source="theoph.csv")
    one = result.subject("1")
    assert one.converged and len(one.time) == len(rows) - 2
    assert any("missing concentration at t = 2.02 h: excluded" in n for n in one.notes)
    assert any("BLQ at t = 7.03 h: excluded" in n for n in one.notes)
    complete = fit_pk_table(
        pd.read_csv(DATA / "theoph.csv"), PkFitSettings(model="1cmt"), source="theoph.csv"
    )
    assert all(not any("missing" in n for n in s.notes) for s in complete.subjects)


def test_the_dose_once_per_subject_is_read_as_nca_reads_it() -> None:
    """The NCA form with the dose on the first row of each subject only (blank below), as
    ``cxcr4lab nca`` accepts it, gives the same fit as the dose on every row."""
    frame = pd.read_csv(DATA / "theoph.csv")
    once = frame.astype({"dose": object})
    once.loc[once["subject"].duplicated(), "dose"] = None
    a = fit_pk_table(frame, PkFitSettings(model="1cmt"), source="theoph.csv")
    b = fit_pk_table(once, PkFitSettings(model="1cmt"), source="theoph.csv")
    assert [s.estimates for s in a.subjects] == [s.estimates for s in b.subjects]
