"""One Kb against every published potency bound (seed_facts.toml [[potency]]).

The bounds are read from the seed file itself here (not from the module's re-typed copy), the
binding and arrestin predictions are checked against Cheng-Prusoff and Leff-Dougall, and the
western-blot decomposition against the closed-form operational-model IC50.
"""

from __future__ import annotations

import json
import math

import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.receptor.mechanistic import Cxcr4Model, cascade_tau
from cxcr4lab.receptor.operational import operational_ic50
from cxcr4lab.receptor.theory import cheng_prusoff_ic50, leff_dougall_ic50
from cxcr4lab.studies.calibration import (
    CELL_LINES,
    CONDITIONS,
    PUBLISHED,
    ReceptorCalibration,
    calibrate,
    shift_decomposition,
)


@pytest.fixture(scope="module")
def result() -> ReceptorCalibration:
    return calibrate()


def test_every_published_bound_is_met(result: ReceptorCalibration) -> None:
    table = result.summary()
    assert table["bound met"].all(), table
    assert result.all_satisfied
    assert len(table) == len(CONDITIONS) == 10


# seed_facts.toml [[potency]], re-typed here a second time: (assay, IC50 upper bound nM)
SEED_POTENCY = [
    ("CXCR4 binding / antagonism", 10),
    ("beta-arrestin recruitment", 10),
    ("calcium flux", 10),
    ("chemotaxis (SDF-1 dependent)", 20),  # MDA-MB-231
    ("chemotaxis (SDF-1 dependent)", 10),  # Namalwa
    ("chemotaxis (SDF-1 dependent)", 10),  # Jurkat
    ("pERK / pAKT inhibition (western blot)", 200),  # Namalwa
    ("pERK / pAKT inhibition (western blot)", 400),  # Jurkat
]


def test_the_bounds_are_the_seed_facts() -> None:
    assert [(a, b) for a, _, b in PUBLISHED] == SEED_POTENCY
    for (_, system, _), cell in zip(
        PUBLISHED[3:], ("MDA-MB-231", "Namalwa", "Jurkat", "Namalwa", "Jurkat"), strict=True
    ):
        assert system.startswith(cell)


def test_binding_and_arrestin_follow_textbook_relations(result: ReceptorCalibration) -> None:
    m = Cxcr4Model()
    binding, arrestin = result.predictions[0], result.predictions[1]
    assert binding.predicted_ic50_molar == pytest.approx(
        cheng_prusoff_ic50(ki=m.kb, ligand=binding.agonist_molar, kd=m.ka), rel=1e-7
    )
    # hyperbolic arrestin readout at its EC80: Leff-Dougall with n = 1 gives IC50 = 5 Kb
    tau = m.tau_arrestin * CELL_LINES["engineered"].expression
    ec50 = m.ka / (1 + tau)
    assert arrestin.agonist_molar == pytest.approx(4 * ec50, rel=1e-6)
    assert arrestin.predicted_ic50_molar == pytest.approx(
        leff_dougall_ic50(kb=m.kb, agonist=arrestin.agonist_molar, ec50=ec50), rel=1e-6
    )


def test_decomposition_multiplies_out_to_the_predicted_ic50(result: ReceptorCalibration) -> None:
    m = Cxcr4Model()
    western = [
        (c, p)
        for c, p in zip(CONDITIONS, result.predictions, strict=True)
        if c.cell != "engineered" and c.readout in ("perk", "pakt")
    ]
    assert len(western) == 4
    for cond, pred in western:
        steps = shift_decomposition(m, cond)
        product = math.prod(s.fold for s in steps)
        assert m.kb * product == pytest.approx(pred.predicted_ic50_molar, rel=1e-6)
        assert steps[-1].cumulative_molar == pytest.approx(pred.predicted_ic50_molar, rel=1e-6)
        tau = cascade_tau(m.gains(cond.readout, CELL_LINES[cond.cell]))
        assert pred.predicted_ic50_molar == pytest.approx(
            operational_ic50(kb=m.kb, agonist=cond.agonist_molar or 0.0, ka=m.ka, tau=tau),
            rel=1e-6,
        )
        assert all(s.fold > 1 for s in steps)
    table = result.decomposition_table()
    assert set(table["cell line"]) == {"Namalwa", "Jurkat"}


def test_perk_sits_far_right_of_binding(result: ReceptorCalibration) -> None:
    by = {(p.readout, p.cell_line): p.predicted_ic50_molar for p in result.predictions}
    binding = by[("binding", "engineered (EFC)")]
    assert by[("perk", "Namalwa")] > 100 * binding
    assert by[("perk", "Jurkat")] > by[("perk", "Namalwa")]


def test_kb_max_is_the_feasibility_edge(result: ReceptorCalibration) -> None:
    assert result.kb_max_molar is not None and result.kb_max_molar > result.kb_molar
    above = calibrate(Cxcr4Model().with_kb(result.kb_max_molar * 1.02))
    below = calibrate(Cxcr4Model().with_kb(result.kb_max_molar * 0.98))
    assert not above.all_satisfied
    assert below.all_satisfied


def test_json_round_trip(result: ReceptorCalibration) -> None:
    text = json.dumps(result.to_dict(), allow_nan=False)
    again = ReceptorCalibration.from_dict(json.loads(text))
    assert again == result
    assert again.summary().equals(result.summary())
    assert json.loads(text)["kind"] == "receptor_calibration"
    assert "predicted IC50 (nM)" in result.summary().columns
    assert set(result.parameters_table().columns) == {"name", "value", "unit", "source"}


def test_constitutive_model_round_trips_without_nan() -> None:
    r = calibrate(Cxcr4Model(constitutive=0.02))
    assert r.kb_max_molar is None and r.decomposition == ()
    assert ReceptorCalibration.from_dict(json.loads(json.dumps(r.to_dict(), allow_nan=False))) == r


def test_decomposition_refuses_other_readouts() -> None:
    with pytest.raises(InputError, match="readout"):
        shift_decomposition(Cxcr4Model(), CONDITIONS[0])
    with pytest.raises(InputError, match="constitutive"):
        shift_decomposition(Cxcr4Model(constitutive=0.1), CONDITIONS[6])
