"""Analysis runs (app layer): read inputs, analyse, save in one transaction, load back.

The CLI and the web app call these; the domains never see the store. Every stored result is
tagged with its ``kind``; :func:`result_types` finds the result classes of the assay modules (a
class with a ``kind`` and ``from_dict``), so a stored analysis reads back as an equal object.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import cxcr4lab.assays
import cxcr4lab.clinical
import cxcr4lab.pkpd
import cxcr4lab.studies
from cxcr4lab.assays.binding import BindingResult, BindingSettings, analyse
from cxcr4lab.assays.layout import read_layout_bytes
from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.readers import MAX_FILE_BYTES, read_plates_bytes
from cxcr4lab.core.errors import InputError, NotFoundError, quote
from cxcr4lab.core.files import read_input as read_file
from cxcr4lab.runs import compound_mw
from cxcr4lab.store import InputBlob, Store

__all__ = [
    "EXAMPLE_BINDING_RUNS",
    "EXAMPLE_SETTINGS",
    "AnalysisResult",
    "BindingRun",
    "ExampleRun",
    "SavedAnalysis",
    "analyse_binding",
    "binding_parameters",
    "binding_title",
    "compound_mw",
    "example_binding_runs",
    "example_bytes",
    "find_project",
    "load_analysis",
    "read_input",
    "result_types",
    "save_binding",
    "save_result",
]


class AnalysisResult(Protocol):
    """What every assay result offers the app layer."""

    @property
    def kind(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...

    def potencies(self, source: str = "") -> list[Potency]: ...


@dataclass(frozen=True)
class SavedAnalysis:
    """A result as stored: its database id and title beside the result object."""

    id: int
    title: str
    result: Any


@lru_cache(maxsize=1)
def result_types() -> dict[str, type[Any]]:
    """kind -> result class, found in :mod:`cxcr4lab.assays`, ``pkpd``, ``studies``, ``clinical``."""
    found: dict[str, type[Any]] = {}
    packages = (cxcr4lab.assays, cxcr4lab.pkpd, cxcr4lab.studies, cxcr4lab.clinical)
    names = [
        f"{pkg.__name__}.{i.name}" for pkg in packages for i in pkgutil.iter_modules(pkg.__path__)
    ]
    for name in names:
        module = importlib.import_module(name)
        for value in vars(module).values():
            kind = getattr(value, "kind", None)
            if isinstance(value, type) and isinstance(kind, str) and hasattr(value, "from_dict"):
                found[kind] = value
    return found


def read_input(path: Path, field: str | None = None) -> bytes:
    """The bytes of an input file given as option ``field``, refusing missing, oversized,
    unreadable and non-regular files (see :func:`cxcr4lab.core.files.read_input`)."""
    return read_file(path, field=field, limit=MAX_FILE_BYTES)


def _named(source: Path | tuple[str, bytes], field: str | None = None) -> tuple[str, bytes]:
    return (source.name, read_input(source, field)) if isinstance(source, Path) else source


def find_project(store: Store, name: str, *, field: str = "project") -> int:
    """The id of the web-app project called ``name``; an :class:`InputError` naming ``field``
    (and the projects there are) if there is none."""
    try:
        return store.accounts.project_id(name)
    except NotFoundError:
        names = store.accounts.project_names()
        known = f"projects: {', '.join(names)}" if names else "there are no projects yet"
        raise InputError(
            f"no project named {quote(name)} ({known}; create one with `cxcr4lab project create`)",
            field=field,
        ) from None


def save_result(
    store: Store,
    result: AnalysisResult,
    *,
    title: str,
    inputs: Sequence[InputBlob],
    parameters: Mapping[str, Any] | None = None,
    project_id: int | None = None,
) -> SavedAnalysis:
    """Save any assay result with its input files in one transaction, under the web-app project
    ``project_id`` if given (see :func:`find_project`)."""
    analysis_id = store.save_analysis(
        kind=result.kind,
        title=title,
        result=result.to_dict(),
        parameters=dict(parameters or {}),
        inputs=inputs,
        project_id=project_id,
    )
    return SavedAnalysis(analysis_id, title, result)


def load_analysis(store: Store, analysis_id: int) -> SavedAnalysis:
    """A stored analysis as its result object."""
    record = store.get(analysis_id)
    cls = result_types().get(record.kind)
    if cls is None:
        raise NotFoundError(
            f"analysis {analysis_id} is of kind {quote(record.kind)}, which this version cannot read"
        )
    return SavedAnalysis(record.id, record.title, cls.from_dict(record.result))


# --- binding -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BindingRun:
    """An analysed binding plate together with the inputs it came from."""

    result: BindingResult
    inputs: tuple[InputBlob, ...]
    block: str
    n_blocks: int


def analyse_binding(
    plate: Path | tuple[str, bytes],
    layout: Path | tuple[str, bytes],
    settings: BindingSettings,
    *,
    block: str | None = None,
) -> BindingRun:
    """Read and analyse a binding plate. ``plate`` and ``layout`` are paths or
    ``(file name, content)`` pairs (uploads, bundled examples)."""
    plate_name, plate_bytes = _named(plate, "PLATE")
    layout_name, layout_bytes = _named(layout, "--layout")
    plates = read_plates_bytes(plate_bytes, plate_name)
    if block is None and len(plates) > 1:
        listed = ", ".join(repr(p.block) for p in plates)
        raise InputError(
            f"file holds {len(plates)} plates ({listed}); choose one with --block", file=plate_name
        )
    chosen = plates[0] if block is None else next((p for p in plates if p.block == block), None)
    if chosen is None:
        raise InputError(
            f"no block named {quote(block)}; blocks: {', '.join(quote(p.block) for p in plates)}",
            file=plate_name,
        )
    lay = read_layout_bytes(layout_bytes, layout_name, mw_lookup=compound_mw)
    inputs = (
        InputBlob(plate_name, "plate", plate_bytes),
        InputBlob(layout_name, "layout", layout_bytes),
    )
    return BindingRun(analyse(chosen, lay, settings), inputs, chosen.block, len(plates))


def binding_title(run: BindingRun) -> str:
    """The default title of a binding analysis: plate (and block, if the file has several)."""
    return f"Binding {run.result.plate}" + (f" [{run.block}]" if run.n_blocks > 1 else "")


def binding_parameters(run: BindingRun) -> dict[str, Any]:
    """The assay constants (mol/L) and block a binding analysis is stored with."""
    return {
        "radioligand_molar": run.result.settings.radioligand_molar,
        "kd_molar": run.result.settings.kd_molar,
        "block": run.block,
    }


def save_binding(
    store: Store, run: BindingRun, *, title: str | None = None, project_id: int | None = None
) -> SavedAnalysis:
    """Save an analysed plate and its input files in one transaction (under ``project_id``)."""
    return save_result(
        store,
        run.result,
        title=title or binding_title(run),
        inputs=run.inputs,
        parameters=binding_parameters(run),
        project_id=project_id,
    )


@dataclass(frozen=True)
class ExampleRun:
    plate: str
    layout: str
    title: str


EXAMPLE_BINDING_RUNS = (
    ExampleRun(
        "plate96_run1.csv", "layout96.toml", "Binding, 96-well plate-grid CSV, run 1 (simulated)"
    ),
    ExampleRun(
        "plate96_run2_long.csv", "layout96.toml", "Binding, 96-well long CSV, run 2 (simulated)"
    ),
    ExampleRun("plate384_run1.xlsx", "layout384.toml", "Binding, 384-well xlsx, run 1 (simulated)"),
)
EXAMPLE_SETTINGS = BindingSettings(radioligand_molar=0.1e-9, kd_molar=0.5e-9)
"""Assay constants of the bundled simulated plates: [L] 0.1 nM, Kd 0.5 nM."""


def example_bytes(folder: str, name: str) -> tuple[str, bytes]:
    """A bundled example file (``cxcr4lab/examples/<folder>/<name>``) as a (name, bytes) pair."""
    return name, resources.files("cxcr4lab.examples").joinpath(folder, name).read_bytes()


def example_binding_runs() -> list[tuple[ExampleRun, tuple[str, bytes], tuple[str, bytes]]]:
    """The bundled simulated binding plates with their layouts, as (name, bytes) pairs."""
    return [
        (run, example_bytes("binding", run.plate), example_bytes("binding", run.layout))
        for run in EXAMPLE_BINDING_RUNS
    ]
