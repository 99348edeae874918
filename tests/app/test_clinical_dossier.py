"""The clinical part of the dossier: every clinical run renders the section the issue asks for."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cxcr4lab.report.sections import render_section
from cxcr4lab.runs import KINDS, Example, dossier_examples, example_inputs, run_kind
from cxcr4lab.workflows import result_types

CLINICAL = ("survival", "response", "safety", "trial", "three_plus_three", "fortress")
"""The clinical kinds of :data:`cxcr4lab.runs.KINDS`."""


def _examples() -> dict[str, tuple[str, Example]]:
    """The dossier examples of the clinical kinds by title: (kind name, example)."""
    return {e.title: (name, e) for name in CLINICAL for e in KINDS[name].examples if e.dossier}


@pytest.fixture(scope="module")
def sections() -> dict[str, tuple[Any, str]]:
    out = {}
    for title, (name, example) in _examples().items():
        outcome = run_kind(name, example_inputs(example), dict(example.options))
        json.dumps(dict(outcome.parameters))  # parameters are stored as JSON
        out[title] = (outcome.result, render_section(1, title, outcome.result))
    return out


def test_the_dossier_runs_every_clinical_example() -> None:
    titles = {example.title for _, example in dossier_examples()}
    assert set(_examples()) <= titles
    assert len(_examples()) == 7  # PFS, OS, response, safety, 3+3, power, FORTRESS


def test_every_clinical_kind_is_in_the_dossier(sections: dict[str, tuple[Any, str]]) -> None:
    kinds = {result.kind for result, _ in sections.values()}
    assert kinds == {"survival", "response", "safety", "three_plus_three", "trial", "fortress"}
    for result, _ in sections.values():  # each reads back as an equal object
        cls = result_types()[result.kind]
        assert cls.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_survival_has_km_with_numbers_at_risk_and_a_subgroup_forest(
    sections: dict[str, tuple[Any, str]],
) -> None:
    result, html = sections["PFS, simulated FORTRESS-like trial"]
    assert html.count("<svg") == 2 and "number at risk" in html
    terms = [h.term for h in result.subgroups]
    assert terms[0] == "all"
    assert {"STRAT1=HR+", "STRAT1=TNBC", "CXCR4GR=HIGH", "CXCR4GR=LOW"} <= set(terms)
    assert "CXCR4GR=HIGH" in html and "events/n" in html


def test_response_safety_design_and_fortress_sections(
    sections: dict[str, tuple[Any, str]],
) -> None:
    _, html = sections["Response rates, FORTRESS-like trial (simulated)"]
    assert "best change in target sum" in html and "Swimmer plot" in html
    _, html = sections["Adverse events, phase 1b (simulated)"]
    assert "FATIGUE" in html and "44 (78.6)" in html  # the published phase 1b table: 44 of 56
    result, html = sections["3+3 dose escalation on the balixafortide ladder (exact)"]
    assert result.doses == (2.0, 2.5, 3.0, 4.0, 5.0, 5.5) and "E[N] = 19.4" in html
    _, html = sections["Why FORTRESS failed (worked analysis)"]
    for step in ("1. The Phase 1b signal", "2. Shrinkage", "3. Selection", "4. What a Phase 3"):
        assert step in html
    assert "5. FORTRESS as published" in html and html.count("<svg") == 3
