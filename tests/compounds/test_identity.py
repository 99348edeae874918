"""RDKit identity checks of the registry's structures."""

from __future__ import annotations

import dataclasses
import json

import pytest

from cxcr4lab.compounds import check_identity, formula_weight, load_registry

REGISTRY = load_registry()
WITH_SMILES = [c.name for c in REGISTRY if c.smiles is not None]


def test_balixafortide_smiles_gives_seed_identity() -> None:
    # seed_facts.toml: C84H118N24O21S2, 1864.1 g/mol, OYWQJZAVFWOOBF-WBMPNIIXSA-N
    check = check_identity(REGISTRY.get("balixafortide"))
    assert check.formula == "C84H118N24O21S2"
    assert check.molecular_weight_g_per_mol == pytest.approx(1864.1, abs=0.1)
    assert check.inchikey == "OYWQJZAVFWOOBF-WBMPNIIXSA-N"
    assert check.ok, check.problems


@pytest.mark.parametrize("name", WITH_SMILES)
def test_every_registry_smiles_passes_its_identity_check(name: str) -> None:
    check = check_identity(REGISTRY.get(name))
    assert check.structure_checked
    assert check.problems == ()
    assert check.ok


def test_small_molecules_have_verified_smiles() -> None:
    assert {"plerixafor", "mavorixafor", "eribulin", "docetaxel", "balixafortide"} <= set(
        WITH_SMILES
    )


def test_wrong_formula_is_reported() -> None:
    bali = REGISTRY.get("balixafortide")
    check = check_identity(dataclasses.replace(bali, formula="C84H118N24O21S"))
    assert not check.ok
    assert any("formula from SMILES is C84H118N24O21S2" in p for p in check.problems)


def test_wrong_mw_and_inchikey_are_reported() -> None:
    plerixafor = REGISTRY.get("plerixafor")
    check = check_identity(
        dataclasses.replace(
            plerixafor, molecular_weight_g_per_mol=505.0, inchikey="YIQPUIGJQJDJOS-XXXXXXXXSA-N"
        )
    )
    assert len(check.problems) == 2
    assert "average MW from SMILES is 502.80 g/mol" in check.problems[0]
    assert "same connectivity" in check.problems[1]


def test_unparsable_smiles_is_a_problem_not_a_crash() -> None:
    check = check_identity(dataclasses.replace(REGISTRY.get("plerixafor"), smiles="C1CC(("))
    assert check.problems == ("SMILES cannot be parsed by RDKit",)
    assert not check.ok


@pytest.mark.parametrize("name", ["CXCL12", "motixafortide"])
def test_without_smiles_only_formula_vs_mw_is_checked(name: str) -> None:
    check = check_identity(REGISTRY.get(name))
    assert not check.structure_checked
    assert check.problems == ()  # stated formula and MW agree
    assert not check.ok  # but the structure was not confirmed


def test_formula_weight() -> None:
    # CXCL12 chain C356H582N106O93S4: 7963.5 g/mol (ProtParam convention, cysteines reduced)
    assert formula_weight("C356H582N106O93S4") == pytest.approx(7963.5, abs=0.05)
    with pytest.raises(ValueError, match="cannot read"):
        formula_weight("c12")


def test_identity_summary_and_to_dict() -> None:
    check = check_identity(REGISTRY.get("docetaxel"))
    table = check.summary()
    assert list(table.columns) == ["field", "value", "unit"]
    data = json.loads(json.dumps(check.to_dict()))
    assert data["ok"] is True
    assert data["inchikey"] == "ZDZOTLJHXYCWBA-VCVYQWHSSA-N"
