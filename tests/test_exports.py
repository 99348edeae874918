"""Every public package lists what it exports, and every listed name exists."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "cxcr4lab.core",
    "cxcr4lab.core.units",
    "cxcr4lab.core.errors",
    "cxcr4lab.core.cluster",
    "cxcr4lab.fit",
    "cxcr4lab.fit.xy_tables",
    "cxcr4lab.assays",
    "cxcr4lab.compounds",
    "cxcr4lab.store",
    "cxcr4lab.report",
    "cxcr4lab.receptor.theory",
    "cxcr4lab.workflows",
    "cxcr4lab.assays.potency",
    "cxcr4lab.commands",
    "cxcr4lab.pkpd.nca",
    "cxcr4lab.pkpd.nca_read",
    "cxcr4lab.pkpd.nca_interval",
    "cxcr4lab.pkpd.nca_stats",
    "cxcr4lab.pkpd.nca_summary",
    "cxcr4lab.pkpd.nca_cdisc",
    "cxcr4lab.pkpd.nca_profiles",
    "cxcr4lab.fit.nlme",
    "cxcr4lab.fit.nlme_model",
    "cxcr4lab.fit.nlme_result",
    "cxcr4lab.sim",
    "cxcr4lab.sim.expr",
    "cxcr4lab.sim.model",
    "cxcr4lab.sim.events",
    "cxcr4lab.sim.codegen",
    "cxcr4lab.sim.solve",
    "cxcr4lab.sim.linear",
    "cxcr4lab.sim.result",
    "cxcr4lab.sim.sbml",
    "cxcr4lab.sim.crosscheck",
    "cxcr4lab.sim.distributed",
    "cxcr4lab.pkpd.pk",
    "cxcr4lab.pkpd.neutropenia",
    "cxcr4lab.pkpd.regimens",
    "cxcr4lab.pkpd.datasets",
    "cxcr4lab.pkpd.population",
    "cxcr4lab.pkpd.occupancy_model",
    "cxcr4lab.pkpd.mobilization",
    "cxcr4lab.pkpd.comparison",
    "cxcr4lab.pkpd.regimen_simulation",
    "cxcr4lab.pkpd.pk_batch",
    "cxcr4lab.pkpd.friberg_batch",
    "cxcr4lab.pkpd.compartments",
    "cxcr4lab.pkpd.pkfit",
    "cxcr4lab.pkpd.pkfit_results",
    "cxcr4lab.pkpd.pkfit_tables",
    "cxcr4lab.receptor.operational",
    "cxcr4lab.receptor.mechanistic",
    "cxcr4lab.studies",
    "cxcr4lab.studies.calibration",
    "cxcr4lab.studies.virtual",
    "cxcr4lab.studies.schild_study",
    "cxcr4lab.studies.recovery",
    "cxcr4lab.clinical.cdisc",
    "cxcr4lab.clinical.recist",
    "cxcr4lab.clinical.response",
    "cxcr4lab.clinical.safety",
    "cxcr4lab.clinical.survival",
    "cxcr4lab.clinical.design",
    "cxcr4lab.clinical.trials",
    "cxcr4lab.clinical.fortress",
    "cxcr4lab.combination",
    "cxcr4lab.preclinical",
    "cxcr4lab.preclinical.study",
    "cxcr4lab.preclinical.efficacy",
    "cxcr4lab.preclinical.endpoints",
    "cxcr4lab.preclinical.growth",
    "cxcr4lab.preclinical.invivo_synergy",
    "cxcr4lab.preclinical.translation",
    "cxcr4lab.preclinical.tgi_model",
    "cxcr4lab.studies.invivo_translation",
    "cxcr4lab.web",
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


def test_studies_exports_every_public_name_of_its_modules() -> None:
    """``cxcr4lab.studies`` re-exports its modules' public names; ``cxcr4lab.receptor`` keeps
    none of them (they moved up, above the assays)."""
    studies = importlib.import_module("cxcr4lab.studies")
    receptor = importlib.import_module("cxcr4lab.receptor")
    for name in ("calibration", "virtual", "schild_study", "recovery"):
        module = importlib.import_module(f"cxcr4lab.studies.{name}")
        assert set(module.__all__) <= set(studies.__all__), name
        assert not hasattr(receptor, name), f"cxcr4lab.receptor.{name} should be in studies"
        assert all(getattr(studies, n) is getattr(module, n) for n in module.__all__)
