"""The registry of analysis kinds: one module per kind, one table, :data:`KINDS`.

Each ``runs/<kind>.py`` declares an :class:`AnalysisKind`: its named input files, an ``Options``
dataclass made with :func:`option` (from which the command-line options, the API form, the web
widgets and the validation messages are generated), ``run(inputs, options)``, its examples and
its terminal view. Modules import only the standard library at the top, so importing the
registry is cheap.

>>> list(KINDS)[:3]
['binding', 'arrestin', 'calcium']
>>> KINDS["binding"].input("layout").flag
'--layout'
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from cxcr4lab.runs._kind import (
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    check_inputs,
    compound_mw,
    example_inputs,
    input_blobs,
    layout_input,
    stored_files,
)
from cxcr4lab.runs._options import (
    OptionSpec,
    cli_flag,
    form_parameters,
    option,
    option_specs,
    parse_options,
    typer_parameters,
    widgets,
)

__all__ = [
    "KINDS",
    "AnalysisKind",
    "Example",
    "InputFile",
    "InputSpec",
    "OptionSpec",
    "Outcome",
    "check_inputs",
    "cli_flag",
    "compound_mw",
    "dossier_examples",
    "example_inputs",
    "form_parameters",
    "input_blobs",
    "kind_for_result",
    "layout_input",
    "option",
    "option_specs",
    "parse_options",
    "result_class",
    "run_kind",
    "stored_files",
    "typer_parameters",
    "widgets",
]

_MODULES = (
    "binding",
    "arrestin",
    "calcium",
    "chemotaxis",
    "invasion",
    "viability",
    "elisa",
    "western",
    "ihc",
    "occupancy",
    "cd34",
    "cfu",
    "bioanalysis",
    "nca",
    "pkfit",
    "popfit",
    "nonmem",
    "survival",
    "cox",
    "response",
    "safety",
    "trial",
    "three_plus_three",
    "fortress",
    "regimen_simulation",
    "regimen_comparison",
    "pk_regimen",
    "mobilization",
    "occupancy_course",
    "receptor_calibration",
    "schild",
    "virtual_recovery",
    "signalling_sbml",
    "fit",
    "compare",
    "invivo",
    "engraftment",
    "elda",
    "synergy",
    "inventory",
)
"""The modules of ``runs/`` declaring a kind (``KIND``), in the order the surfaces list them."""

KINDS: dict[str, AnalysisKind] = {
    kind.name: kind for kind in (import_module(f"{__name__}.{module}").KIND for module in _MODULES)
}
"""kind name -> its declaration."""


def kind_for_result(result_kind: str) -> AnalysisKind | None:
    """The kind that stores results of ``result_kind`` (a result's ``kind`` is the name of the
    analysis kind that made it); None if no kind of this version does."""
    return KINDS.get(result_kind)


def result_class(result_kind: str) -> type[Any]:
    """The class of stored results of ``result_kind``; a :class:`NotFoundError` if no kind of
    this version makes them."""
    from cxcr4lab.core.errors import NotFoundError, quote

    kind = KINDS.get(result_kind)
    if kind is None:
        raise NotFoundError(f"results of kind {quote(result_kind)} cannot be read by this version")
    return kind.result_class()


def dossier_examples() -> list[tuple[AnalysisKind, Example]]:
    """Every bundled example the dossier runs, kind by kind in :data:`KINDS` order."""
    return [(k, e) for k in KINDS.values() for e in k.examples if e.dossier]


def run_kind(name: str, inputs: dict[str, InputFile], raw_options: dict[str, object]) -> Outcome:
    """Run kind ``name`` on input files by name and options as given (text or typed): the one
    entry point of every surface; every refusal is an InputError naming the file or option."""
    from cxcr4lab.core.errors import InputError, Place

    kind = KINDS.get(name)
    if kind is None:
        raise InputError(
            f"is not an analysis kind; the kinds are {', '.join(KINDS)}", place=Place(field="kind")
        )
    check_inputs(kind, inputs)
    options = parse_options(kind.options, raw_options, mw_lookup=kind.mw_lookup)
    return kind.run(inputs, options)
