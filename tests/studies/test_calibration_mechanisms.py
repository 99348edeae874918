"""The per-mechanism split of the pERK/pAKT right-shift and the Kb range (calibration result).

References written out here: Cheng-Prusoff's 1 + [A]/KA for the agonist factor, the operational
model's IC50 = Kb (1 + [A]/KA (1 + tau)) for the receptor-reserve stage (Black & Leff 1983), and
the bound / IC50 ratio for the largest feasible Kb.
"""

from __future__ import annotations

import json

import pytest

from cxcr4lab.receptor.mechanistic import Cxcr4Model
from cxcr4lab.studies.calibration import CELL_LINES, ReceptorCalibration, calibrate


@pytest.fixture(scope="module")
def result() -> ReceptorCalibration:
    return calibrate()


def test_mechanism_folds(result: ReceptorCalibration) -> None:
    m = Cxcr4Model()
    table = result.mechanism_table()
    assert len(table) == 4
    for _, row in table.iterrows():
        a = 100e-6 / 7963.5 / m.ka  # CXCL12 100 ng/mL over its KD
        assert row["x agonist concentration"] == pytest.approx(1 + a, rel=1e-9)
        tau_g = m.tau_g * CELL_LINES[str(row["cell line"])].expression
        assert row["x receptor reserve"] == pytest.approx((1 + a * (1 + tau_g)) / (1 + a), rel=1e-9)
        product = (
            row["x agonist concentration"] * row["x receptor reserve"] * row["x amplification"]
        )
        assert product == pytest.approx(row["product (IC50 / Kb)"], rel=1e-12)
        assert row["Kb (nM)"] * product == pytest.approx(row["predicted IC50 (nM)"], rel=1e-6)
        assert row["x amplification"] > 1 and row["IC50 / binding IC50"] > 100


def test_limiting_assay_sets_kb_max(result: ReceptorCalibration) -> None:
    lim = result.limiting
    assert lim is not None and (lim.readout, lim.cell_line) == ("chemotaxis", "Jurkat")
    assert result.kb_max_molar == pytest.approx(
        result.kb_molar * lim.bound_molar / lim.predicted_ic50_molar, rel=1e-12
    )
    text = result.kb_range_text()
    assert f"{result.kb_max_molar * 1e9:.3g} nM" in text and "Jurkat" in text
    assert result.potencies() == []  # model predictions are not potency estimates


def test_results_stored_before_mechanisms_still_load(result: ReceptorCalibration) -> None:
    old = json.loads(json.dumps(result.to_dict()))
    for f in old["decomposition"]:
        del f["mechanism"]
    again = ReceptorCalibration.from_dict(old)
    assert again.decomposition[0].mechanism == "" and len(again.mechanism_table()) == 4


def test_constitutive_model_has_no_range() -> None:
    r = calibrate(Cxcr4Model(constitutive=0.02))
    assert r.limiting is None and "No closed-form" in r.kb_range_text()
    assert r.mechanism_table().empty
