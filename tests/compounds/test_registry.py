"""The shipped compound registry: look-ups, seed facts, malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxcr4lab.compounds import Compound, Registry, load_registry
from cxcr4lab.core.errors import InputError, NotFoundError


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("balixafortide", "balixafortide"),
        ("POL6326", "balixafortide"),
        ("pol6326", "balixafortide"),
        ("POL 6326", "balixafortide"),
        ("amd3100", "plerixafor"),
        ("AMD-3100", "plerixafor"),
        ("Mozobil", "plerixafor"),
        ("BL-8040", "motixafortide"),
        ("x4p_001", "mavorixafor"),
        ("AMD070", "mavorixafor"),
        ("SDF-1", "CXCL12"),
        ("sdf-1α", "CXCL12"),
        ("SDF1alpha", "CXCL12"),
        ("cxcl12", "CXCL12"),
        ("Eribulin", "eribulin"),
        ("DOCETAXEL", "docetaxel"),
    ],
)
def test_get_ignores_case_spaces_dashes_underscores(
    registry: Registry, query: str, name: str
) -> None:
    assert registry.get(query).name == name


def test_unknown_name_raises_not_found_with_close_matches(registry: Registry) -> None:
    with pytest.raises(NotFoundError, match="plerixafor") as info:
        registry.get("plerixafore")
    assert isinstance(info.value, LookupError)
    assert "Did you mean" in str(info.value)


def test_names_iteration_and_membership(registry: Registry) -> None:
    names = registry.names()
    assert names == tuple(c.name for c in registry)
    assert len(registry) == len(names) == 7
    assert {"balixafortide", "plerixafor", "CXCL12", "docetaxel"} <= set(names)
    assert "amd-3100" in registry
    assert "nonsense" not in registry


def test_load_registry_is_cached() -> None:
    assert load_registry() is load_registry()


def test_balixafortide_matches_seed_facts(registry: Registry) -> None:
    # seed_facts.toml [compound.balixafortide] and its solubility / storage tables
    bali: Compound = registry.get("balixafortide")
    assert bali.cas == "1051366-32-5"
    assert bali.formula == "C84H118N24O21S2"
    assert bali.molecular_weight_g_per_mol == 1864.1
    assert bali.inchikey == "OYWQJZAVFWOOBF-WBMPNIIXSA-N"
    solubility = {s.solvent: s.mg_per_ml for s in bali.solubility}
    assert solubility == {"water": 100.0, "DMSO": None}
    storage = {(r.form, r.temperature_c): (r.rule, r.months) for r in bali.storage}
    assert storage == {
        ("lyophilised powder", -20.0): ("stable for", 36.0),
        ("solution", -20.0): ("use within", 1.0),
        ("solution", -80.0): ("use within", 12.0),
    }
    assert bali.storage[1].describe().startswith("solution at -20 °C: use within 1 month")


def test_every_entry_has_source_kind_and_mw(registry: Registry) -> None:
    for c in registry:
        assert all((c.source, c.kind, c.mechanism))
        assert (c.molecular_weight_g_per_mol or 0.0) > 0
        if c.smiles is None:
            assert c.notes, f"{c.name}: say in notes why there is no SMILES"


def test_summary_and_to_dict(registry: Registry) -> None:
    bali = registry.get("balixafortide")
    table = bali.summary()
    assert list(table.columns) == ["field", "value", "unit"]
    mw_row = table[table["field"] == "molecular_weight"].iloc[0]
    assert (mw_row["value"], mw_row["unit"]) == (1864.1, "g/mol")
    data = json.loads(json.dumps(bali.to_dict()))
    assert data["synonyms"] == ["POL6326", "POL-6326"]
    assert data["storage"][0]["months"] == 36


_GOOD = """
[[compound]]
name = "alpha"
synonyms = ["A-1"]
kind = "small molecule"
mechanism = "none"
source = "test"
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (  # synonym shared across two entries
            '\n[[compound]]\nname = "beta"\nsynonyms = ["a1"]\nkind = "k"\nmechanism = "m"\n'
            'source = "s"\n',
            "'a1' is used by both 'alpha' and 'beta'",
        ),
        (  # same name twice (differs only in case)
            '\n[[compound]]\nname = "ALPHA"\nkind = "k"\nmechanism = "m"\nsource = "s"\n',
            "duplicate compound name 'ALPHA'",
        ),
        (  # required field missing
            '\n[[compound]]\nname = "gamma"\nkind = "k"\nsource = "s"\n',
            "block 'gamma', mechanism: required text field is missing",
        ),
        (  # a typo in a field name
            '\n[[compound]]\nname = "delta"\nkind = "k"\nmechanism = "m"\nsource = "s"\n'
            "molecular_weight = 5\n",
            "unknown field(s) molecular_weight",
        ),
        (  # a negative molecular weight
            '\n[[compound]]\nname = "eps"\nkind = "k"\nmechanism = "m"\nsource = "s"\n'
            "molecular_weight_g_per_mol = -5\n",
            "molecular_weight_g_per_mol: must be > 0",
        ),
    ],
)
def test_malformed_registry_file_names_file_and_entry(
    tmp_path: Path, extra: str, message: str
) -> None:
    path = tmp_path / "bad_registry.toml"
    path.write_text(_GOOD + extra, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_registry(path)
    text = str(info.value)
    assert str(path) in text
    assert message in text


def test_registry_file_given_by_path_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(_GOOD, encoding="utf-8")
    reg = load_registry(str(path))
    assert reg.names() == ("alpha",)
    assert reg.get("a_1").name == "alpha"


def test_invalid_toml_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[[compound]\nname = ", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_registry(path)
