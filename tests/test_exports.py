"""Every public package lists what it exports, and every listed name exists."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "cxcr4lab.core",
    "cxcr4lab.core.units",
    "cxcr4lab.core.errors",
    "cxcr4lab.fit",
    "cxcr4lab.assays",
    "cxcr4lab.compounds",
    "cxcr4lab.store",
    "cxcr4lab.report",
    "cxcr4lab.receptor.theory",
    "cxcr4lab.workflows",
    "cxcr4lab.assays.potency",
    "cxcr4lab.commands",
    "cxcr4lab.pkpd.nca",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, f"{name} has an empty __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists missing names {missing}"
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize("name", PACKAGES)
def test_public_classes_and_functions_are_exported(name: str) -> None:
    module = importlib.import_module(name)
    own = [
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and callable(v)
        and getattr(v, "__module__", "") == name
        and not isinstance(v, type(importlib))
    ]
    unlisted = sorted(set(own) - set(module.__all__))
    assert not unlisted, f"{name} defines public {unlisted} but does not list them in __all__"
