"""The SIMULATED phase 1 population PK example (``examples/pk/phase1_pop.csv``): the file is
what ``scripts/simulate_pk_population.py`` writes, and a FOCE-I fit with the BLQ samples by M3
recovers the stated truth within its 95 % CIs (one fit, 25-35 s on a loaded 2-core machine)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

import cxcr4lab.examples
from cxcr4lab.pkpd.popfit import PopFitResult, PopFitSettings, fit_population

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "simulate_pk_population.py"
EXAMPLE = Path(cxcr4lab.examples.__file__).parent / "pk" / "phase1_pop.csv"
SETTINGS = PopFitSettings(
    model="2cmt-infusion",
    bsv=("CL", "V1"),
    error="combined",
    covariates=("CL~WT:allometric", "V1~WT:allometric", "Q~WT:allometric", "V2~WT:allometric"),
    conc_unit="ng/mL",
    dose_unit="mg",
    lloq=5.0,
)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("simulate_pk_population", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sim() -> ModuleType:
    return _script()


@pytest.fixture(scope="module")
def fit() -> PopFitResult:
    return fit_population(pd.read_csv(EXAMPLE, dtype=str), SETTINGS, source=EXAMPLE.name)


def test_file_is_what_the_script_writes(sim: ModuleType, tmp_path: Path) -> None:
    written = sim.write(tmp_path)
    assert written.read_bytes() == EXAMPLE.read_bytes()


def test_design(sim: ModuleType) -> None:
    frame = pd.read_csv(EXAMPLE, na_values=".")
    assert list(frame.columns) == list(sim.COLUMNS)
    assert frame["ID"].nunique() == 48
    assert sorted(frame["DOSE"].unique()) == [2.0, 2.5, 3.0, 4.0, 5.0, 5.5]
    doses = frame[frame["EVID"] == 1]
    assert (doses["AMT"] / doses["RATE"]).round(9).eq(2.0).all()  # 2 h infusions
    obs = frame[frame["EVID"] == 0]
    per_subject = obs.groupby("ID").size()
    assert sorted(per_subject.unique()) == [3, 4, 14]
    assert (per_subject == 14).sum() == 24
    blq = obs[obs["BLQ"] == 1]
    assert 0.05 < len(blq) / len(obs) < 0.15
    assert (blq["DV"] == 5.0).all() and (blq["MDV"] == 0).all()
    assert (obs.loc[obs["BLQ"] == 0, "DV"] >= 5.0).all()


def test_fit_recovers_the_truth_within_its_cis(sim: ModuleType, fit: PopFitResult) -> None:
    assert fit.fit.converged
    assert fit.flags == ()
    table = fit.summary().set_index("parameter")
    assert set(sim.TRUTH) <= set(table.index)
    for name, truth in sim.TRUTH.items():
        row = table.loc[name]
        assert row["ci95_lower"] <= truth <= row["ci95_upper"], (name, truth, row.to_dict())
    assert fit.unit["cl"] == "L/h" and fit.unit["v"] == "L"


def test_blq_samples_enter_by_m3(fit: PopFitResult) -> None:
    frame = pd.read_csv(EXAMPLE, na_values=".")
    n_blq = int(frame["BLQ"].sum())
    assert fit.n_blq == n_blq == sum(fit.observations.blq)
    assert fit.fit.n_obs == int((frame["EVID"] == 0).sum())  # kept, as censored observations
