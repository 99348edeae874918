"""Virtual plates analysed by the assay modules (kind ``virtual_recovery``).

The reference is the Kb the model was given: the assay analyses (written independently of the
model) must bracket it with their own 95 % CIs.
"""

from __future__ import annotations

import json

import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.receptor.mechanistic import Cxcr4Model
from cxcr4lab.studies.recovery import (
    VIRTUAL_ASSAYS,
    VirtualRecovery,
    recover_kb,
    virtual_plate,
)


@pytest.fixture(scope="module")
def recovery() -> VirtualRecovery:
    return recover_kb(seed=11)


def test_every_plate_brackets_the_model_kb(recovery: VirtualRecovery) -> None:
    assert [r.assay for r in recovery.rows] == [*VIRTUAL_ASSAYS, "chemotaxis"]
    assert recovery.all_covered
    for r in recovery.rows:
        assert r.estimate_molar is not None and not r.flags
        assert r.estimate_molar == pytest.approx(0.15e-9, rel=0.2)
        assert r.true_molar == 0.15e-9
    binding = recovery.rows[0]
    assert binding.parameter == "Ki" and binding.ic50_molar > binding.estimate_molar  # type: ignore[operator]


def test_json_round_trip_and_potencies(recovery: VirtualRecovery) -> None:
    again = VirtualRecovery.from_dict(json.loads(json.dumps(recovery.to_dict(), allow_nan=False)))
    assert again == recovery
    table = recovery.summary()
    assert table["CI covers model Kb"].all() and len(table) == 5
    potencies = recovery.potencies("#3")
    assert {p.parameter for p in potencies} == {"Ki", "Kb"}
    assert all("SIMULATED" in p.assay for p in potencies)


def test_a_plate_of_a_different_kb_is_recovered() -> None:
    r = recover_kb(Cxcr4Model().with_kb(1e-9), seed=21).rows[0]  # binding
    assert r.covered and r.true_molar == 1e-9


def test_unknown_assay_and_cell_are_refused() -> None:
    with pytest.raises(InputError, match=r"assay.*'elisa'"):
        virtual_plate(Cxcr4Model(), "elisa", seed=1)
    with pytest.raises(InputError, match=r"cell.*'HeLa'"):
        virtual_plate(Cxcr4Model(), "chemotaxis", seed=1, cell="HeLa")
