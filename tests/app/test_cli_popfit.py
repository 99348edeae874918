"""``cxcr4lab popfit`` end to end on a temporary database, and its estimates in the regimen
simulations (``simulate regimen --popfit ID``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.pkpd.balixafortide import concentration
from cxcr4lab.pkpd.regimen_simulation import SimulationSettings, virtual_population
from tests.conftest import CliRun

Cli = Callable[..., CliRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "pk"
TRUTH = {"CL": 5.44, "V1": 14.0, "Q2": 10.0, "V2": 45.8}


def _small_2cmt(path: Path, n: int = 16, seed: int = 4) -> Path:
    """SIMULATED: a 2 h infusion of 4 mg/kg, rich sampling, CL and V1 log-normal (SD 0.3,
    0.2) and allometric, proportional error 5 %; NONMEM form (ng/mL, mg)."""
    rng = np.random.default_rng(seed)
    times = np.array([0.5, 1, 2, 2.5, 3, 4, 6, 8, 12, 24, 36, 48])
    rows = []
    for i in range(1, n + 1):
        wt = float(np.round(rng.uniform(50, 95), 1))
        s = wt / 70
        p = {
            "CL": TRUTH["CL"] * s**0.75 * math.exp(rng.normal(0, 0.3)),
            "V1": TRUTH["V1"] * s * math.exp(rng.normal(0, 0.2)),
            "Q2": TRUTH["Q2"] * s**0.75,
            "V2": TRUTH["V2"] * s,
        }
        dose = round(4.0 * wt, 1)
        c = 1000 * concentration(times, dose, 2.0, p) * np.exp(rng.normal(0, 0.05, len(times)))
        rows.append({"ID": i, "TIME": 0.0, "AMT": dose, "RATE": dose / 2, "DV": ".",
                     "EVID": 1, "MDV": 1, "WT": wt})  # fmt: skip
        rows += [{"ID": i, "TIME": t, "AMT": ".", "RATE": 0, "DV": round(float(v), 2),
                  "EVID": 0, "MDV": 0, "WT": wt} for t, v in zip(times, c, strict=True)]  # fmt: skip
    out = path / "small_2cmt.csv"
    pd.DataFrame(rows).to_csv(out, index=False)
    return out


FIT = (
    "--model", "2cmt-infusion", "--bsv", "CL,V1", "--error", "proportional",
    "--covariate", "CL~WT:allometric", "--covariate", "V1~WT:allometric",
    "--covariate", "Q~WT:allometric", "--covariate", "V2~WT:allometric",
    "--conc-unit", "ng/mL", "--dose-unit", "mg", "--vpc-replicates", "50",
)  # fmt: skip


def test_popfit_saves_prints_reports_and_feeds_the_regimen_simulation(
    cli: Cli, tmp_path: Path
) -> None:
    data = _small_2cmt(tmp_path)
    run = cli("popfit", str(data), *FIT, "--out", str(tmp_path / "est.csv"))
    assert run.code == 0, run.err
    assert "saved as analysis #1" in run.out and "L/h" in run.out and "OFV" in run.out
    est = pd.read_csv(tmp_path / "est.csv").set_index("parameter")
    for name in ("CL", "V1"):
        lo, hi = est.loc[name, "ci95_lower"], est.loc[name, "ci95_upper"]
        assert lo < TRUTH[name] < hi, (name, lo, hi)
    report = cli("report", "1", "--out", str(tmp_path / "rep"))
    assert report.code == 0, report.err
    html = (tmp_path / "rep" / "analysis-1.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "CWRES" in html and "M3" in html
    sim = cli("simulate", "regimen", "--patients", "12", "--cycles", "1", "--popfit", "1")
    assert sim.code == 0, sim.err
    assert "REPLACED by the estimates of popfit analysis #1" in sim.out.replace("\n", " ")


def test_estimated_pk_drives_the_virtual_population() -> None:
    """Typical values, Omega and exponents given as estimates are what the sampler uses."""
    pk = (("CL", 6.0, 0.09, 0.75), ("V1", 15.0, 0.04, 1.0), ("Q", 9.0, 0.0, 0.75),
          ("V2", 40.0, 0.0, 1.0))  # fmt: skip
    corr = np.eye(4)
    corr[0, 1] = corr[1, 0] = 0.5
    settings = SimulationSettings(
        n_patients=4000, population_pk=pk, population_pk_correlation=tuple(map(tuple, corr)),
        population_pk_source="test",
    )  # fmt: skip
    pop = virtual_population(settings)
    wt = pop["WT"].to_numpy()
    eta_cl = np.log(pop["CL_B"] / (6.0 * (wt / 70) ** 0.75))
    eta_v1 = np.log(pop["V1_B"] / (15.0 * (wt / 70)))
    assert np.std(eta_cl) == pytest.approx(0.3, rel=0.05)
    assert np.std(eta_v1) == pytest.approx(0.2, rel=0.05)
    assert np.corrcoef(eta_cl, eta_v1)[0, 1] == pytest.approx(0.5, abs=0.05)
    np.testing.assert_allclose(pop["Q2_B"], 9.0 * (wt / 70) ** 0.75)


def test_a_model_the_simulation_cannot_take_is_refused(cli: Cli) -> None:
    run = cli(
        "popfit", str(EXAMPLES / "theoph_nonmem.csv"), "--model", "1cmt-oral", "--bsv", "CL,ka",
        "--error", "additive", "--vpc-replicates", "0",
    )  # fmt: skip
    assert run.code == 0, run.err
    sim = cli("simulate", "regimen", "--patients", "5", "--cycles", "1", "--popfit", "1")
    assert sim.code == 2
    assert "2-compartment IV model" in sim.err and "popfit" in sim.err


def test_popfit_with_a_user_ode_model_equals_the_closed_form(cli: Cli, tmp_path: Path) -> None:
    """``--model-file``: the one-compartment oral model written as ODEs gives the closed-form
    model's estimates (the ODE solver's tolerance, rtol 1e-6, bounds the difference)."""
    from tests.pkpd.test_popfit_ode import ORAL

    model = tmp_path / "oral.toml"
    model.write_text(ORAL, encoding="utf-8")
    common = ("--bsv", "CL,ka", "--error", "additive", "--vpc-replicates", "0", "--no-save")
    data = str(EXAMPLES / "theoph_nonmem.csv")
    ode = cli("popfit", data, "--model-file", str(model), *common, "--out", str(tmp_path / "o.csv"))
    assert ode.code == 0, ode.err
    closed = cli("popfit", data, "--model", "1cmt-oral", *common, "--out", str(tmp_path / "c.csv"))
    assert closed.code == 0, closed.err
    a = pd.read_csv(tmp_path / "o.csv").set_index("parameter")
    b = pd.read_csv(tmp_path / "c.csv").set_index("parameter")
    assert list(a.index) == list(b.index) == ["CL", "V", "ka", "sd(CL)", "sd(ka)", "sigma_add"]
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-4)
    assert list(a["unit"].fillna("")) == ["L/h", "L", "1/h", "", "", "mg/L"]
    bad = cli("popfit", data, "--model-file", str(model), "--bov", "CL", *common)
    assert bad.code == 2 and "between-occasion" in bad.err
