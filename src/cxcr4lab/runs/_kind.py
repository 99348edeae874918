"""The contract of an analysis kind: its inputs, its options, how it runs, its examples.

Every kind is declared once in ``runs/<kind>.py`` as an :class:`AnalysisKind` and listed in
:data:`cxcr4lab.runs.KINDS`; the command line, the API, the web form, the dossier and the report
are loops over that table. ``run`` reads only the bytes it is given (no paths, no database), so
the same call serves a file on disk, an upload and a bundled example.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from cxcr4lab.core.errors import InputError, Place

__all__ = [
    "PLATE_FORMATS",
    "PROGRESS",
    "SCHEDULER",
    "STORED_PREFIX",
    "AnalysisKind",
    "Example",
    "InputFile",
    "InputSpec",
    "Outcome",
    "OutputSpec",
    "StoredSpec",
    "batch_scheduler",
    "check_inputs",
    "compound_mw",
    "example_inputs",
    "input_blobs",
    "input_role",
    "layout_input",
    "read_plate_and_layout",
    "report_progress",
    "stored_files",
    "stored_ids",
    "stored_results",
]

InputFile = tuple[str, bytes]
"""One input as given: (file name, content)."""

PLATE_FORMATS = ("csv", "tsv", "txt", "xlsx")
"""File types of a plate export."""


@dataclass(frozen=True)
class InputSpec:
    """One named input file of a kind: the name of its argument/field, what it is, its accepted
    file types (suffixes without the dot) and the role it is stored under."""

    name: str
    help: str
    formats: tuple[str, ...]
    role: str
    required: bool = True
    flag: str | None = None
    """The command-line option (``--layout``); None: a positional argument."""
    short: str | None = None
    """A one-letter alias of the option (``-l``)."""


@dataclass(frozen=True)
class OutputSpec:
    """A file (or a folder of files) the command line also writes from the result when its option
    is given (viability's ``--tidy FILE``); the API and the web keep the stored result only."""

    name: str
    help: str
    flag: str
    write: Callable[..., Any] | str
    """The file's content from the result, ``str | bytes`` (heavy imports inside; CSV text is
    formula-escaped); with :attr:`folder`, file name -> content of each file to write. A
    ``"module:function"`` text names a writer in a layer above (pictures: ``report/``), imported
    by the command line when the option is given."""

    def writer(self) -> Callable[..., Any]:
        """:attr:`write`, imported if it is named."""
        if callable(self.write):
            return self.write
        module, _, function = self.write.partition(":")
        found: Callable[..., Any] = getattr(importlib.import_module(module), function)
        return found

    folder: bool = False
    """The option names a folder (created if missing) that receives several files."""
    with_inputs: bool = False
    """``write(result, inputs, options)`` also takes the run's input files and options (a
    picture of every curve needs the points the result does not keep)."""
    by_suffix: bool = False
    """``write(result, suffix)`` takes the target's suffix (``.csv``, ``.xlsx``, ...) and
    writes that file type."""


@dataclass(frozen=True)
class StoredSpec:
    """An option whose values are ids of stored analyses of ``result_kind`` that the run reads
    (the in-vivo study's ``--elisa 12,13``). The surface reads them before the run, from its
    store and with its access rules (the command line: ``--db``; the web: the caller's
    projects), and passes each result's JSON as an input file ``stored:<option>:<id>``
    (:func:`stored_files`), kept with the analysis under ``role``; ``run`` reads them back with
    :func:`stored_results`."""

    option: str
    result_kind: str
    role: str


STORED_PREFIX = "stored:"
"""Input names of stored results passed to a run (``stored:elisa:12``)."""


@dataclass(frozen=True)
class Example:
    """A bundled input set: files from ``cxcr4lab/examples/<folder>/`` and option text."""

    title: str
    folder: str
    files: Mapping[str, str]
    options: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    dossier: bool = True
    """Whether ``cxcr4lab dossier`` runs it (False for one too slow or redundant there)."""


@dataclass(frozen=True)
class Outcome:
    """What a run gives: the result object, the parameters to store beside it, a title."""

    result: Any
    parameters: Mapping[str, Any]
    title: str


@dataclass(frozen=True)
class AnalysisKind:
    """One analysis kind (see the module docstring).

    ``run(inputs, options)`` takes the input files by name and an ``options`` instance and
    returns an :class:`Outcome`; ``view`` names its terminal view, ``"module:function"`` with
    the signature ``(console, result, analysis_id)`` (named, not imported: views live in the app
    layer above); ``result`` names the class of the result it stores, ``"module:Class"``, whose
    ``kind`` is the kind's name (the one lookup from a stored analysis back to its class); its
    report section is ``report/sections/<name>.py``.

    ``plots`` names the interactive figures of the result page, ``"module:function"`` with the
    signature ``(result) -> dict[str, dict]``: figure name -> plotly figure dict
    (``{"data": [...], "layout": {...}}``, plain JSON data), drawn from the stored result alone
    (named, not imported: they live in the web layer, ``web/plots/<kind>.py``). A kind whose
    result keeps no per-sample data (ELISA's plate signal, NCA's concentrations) takes the
    analysis's input files as a second parameter, ``inputs`` (input name -> (file name, bytes),
    or None when they cannot be read), and still draws what the result holds without them.
    Empty: the page shows the report section only.

    ``command`` is the command-line path (``("analyze", "binding")``, ``("nca",)``,
    ``("simulate", "regimen")``), ``aliases`` further paths of the same command;
    ``docs`` its documentation page, relative to the repository root; ``outputs`` the extra
    files its command can write (:class:`OutputSpec`).
    """

    name: str
    label: str
    inputs: tuple[InputSpec, ...]
    options: type[Any]
    run: Callable[[Mapping[str, InputFile], Any], Outcome]
    view: str
    result: str
    examples: tuple[Example, ...] = ()
    mw_lookup: Callable[[str], float | None] | None = None
    command: tuple[str, ...] = ()
    aliases: tuple[tuple[str, ...], ...] = ()
    docs: str = ""
    outputs: tuple[OutputSpec, ...] = ()
    plots: str = ""
    stored: tuple[StoredSpec, ...] = ()
    """Options naming stored analyses the run reads (:class:`StoredSpec`)."""
    batch: bool = False
    """The run works in chunks that can go to a Dask cluster (:data:`SCHEDULER`): its command
    takes ``--scheduler ADDRESS``."""

    def __post_init__(self) -> None:
        if not self.command:
            object.__setattr__(self, "command", ("analyze", self.name))
        if not self.docs:
            object.__setattr__(self, "docs", f"docs/assays/{self.name}.md")

    def input(self, name: str) -> InputSpec:
        return next(i for i in self.inputs if i.name == name)

    def result_class(self) -> type[Any]:
        """The class of the stored result, named by :attr:`result` (imported on first use)."""
        module, _, name = self.result.partition(":")
        found: type[Any] = getattr(importlib.import_module(module), name)
        return found

    def terminal_view(self) -> Callable[[Any, Any, int | None], None]:
        """The terminal view function named by :attr:`view`."""
        module, _, function = self.view.partition(":")
        found: Callable[[Any, Any, int | None], None] = getattr(
            importlib.import_module(module), function
        )
        return found

    def plot_function(self) -> Callable[..., dict[str, dict[str, Any]]] | None:
        """The figures function named by :attr:`plots` (imported on first use), or None."""
        if not self.plots:
            return None
        module, _, function = self.plots.partition(":")
        found: Callable[..., dict[str, dict[str, Any]]] = getattr(
            importlib.import_module(module), function
        )
        return found


PROGRESS: ContextVar[Callable[[str, int, int], None] | None] = ContextVar(
    "cxcr4lab_run_progress", default=None
)
"""Where a long run reports ``(description, done, total)``: set by the command line (a bar on
stderr); unset elsewhere (the API and the dossier show none)."""


def report_progress(description: str, done: int, total: int) -> None:
    """Tell the surface running a kind how far a long ``run`` has got (no output of its own)."""
    show = PROGRESS.get()
    if show is not None:
        show(description, done, total)


SCHEDULER: ContextVar[Any] = ContextVar("cxcr4lab_run_scheduler", default=None)
"""Where a batch kind (:attr:`AnalysisKind.batch`) sends its chunks: None (the default) runs
them in this process as always; a Dask scheduler address or a connected ``Client`` (the command
line's ``--scheduler``) sends them to that cluster. How the work runs, not what it computes: it
is no option of the kind and never part of the stored result."""


def batch_scheduler() -> Any:
    """The cluster a batch kind's ``run`` hands its chunks to (:data:`SCHEDULER`), or None."""
    return SCHEDULER.get()


def layout_input(roles: str) -> InputSpec:
    """The wellmap TOML layout input of a plate kind (``--layout``/``-l``), naming its roles."""
    return InputSpec(
        "layout", f"wellmap TOML layout ({roles})", ("toml",), "layout", flag="--layout", short="-l"
    )


def compound_mw(name: str) -> float | None:
    """Molecular weight (g/mol) of a registry compound, or None if unknown (for ng/mL units)."""
    from cxcr4lab.compounds import load_registry
    from cxcr4lab.core.errors import NotFoundError

    try:
        return load_registry().get(name).molecular_weight_g_per_mol
    except NotFoundError:
        return None


def read_plate_and_layout(
    inputs: Mapping[str, InputFile], block: str | None, *, mw: bool = True
) -> tuple[Any, Any, bool]:
    """The chosen plate of ``inputs["plate"]``, the layout of ``inputs["layout"]`` (masses
    converted with registry molecular weights), and whether the file holds several plates."""
    from cxcr4lab.assays.layout import read_layout_bytes
    from cxcr4lab.assays.readers import choose_plate, read_plates_bytes

    plate_name, plate_bytes = inputs["plate"]
    layout_name, layout_bytes = inputs["layout"]
    plates = read_plates_bytes(plate_bytes, plate_name)  # parsed once
    plate = choose_plate(plates, block, plate_name)
    several = block is not None or len(plates) > 1
    layout = read_layout_bytes(layout_bytes, layout_name, mw_lookup=compound_mw if mw else None)
    return plate, layout, several


def stored_ids(value: object, option: str) -> tuple[int, ...]:
    """The analysis ids of a stored-results option as given: text (``"12, 13"``), an int or a
    sequence of them; an :class:`InputError` naming the option for anything else."""
    if value is None or value == "":
        return ()
    items: list[object]
    if isinstance(value, str):
        items = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    elif isinstance(value, int | str) or not isinstance(value, Sequence):
        items = [value]
    else:
        items = list(value)
    ids: list[int] = []
    for item in items:
        text = str(item).strip().lstrip("#")
        if isinstance(item, bool) or not text.isdigit() or int(text) < 1:
            raise InputError(
                f"must be ids of stored analyses (whole numbers >= 1), got {item!r}",
                place=Place(field=option),
            )
        if int(text) not in ids:
            ids.append(int(text))
    return tuple(ids)


def stored_files(
    kind: AnalysisKind,
    raw_options: Mapping[str, object],
    read: Callable[[int], tuple[str, Mapping[str, Any]]],
) -> dict[str, InputFile]:
    """The stored analyses named by ``kind``'s stored-results options, as input files:
    ``stored:<option>:<id>`` -> (``analysis-<id>.json``, the result's JSON). ``read(id)`` gives
    ``(result kind, result dict)`` from the surface's store and raises its own not-found error;
    a result of another kind is refused, naming the option and the id."""
    import json

    files: dict[str, InputFile] = {}
    for spec in kind.stored:
        for analysis_id in stored_ids(raw_options.get(spec.option), spec.option):
            found_kind, result = read(analysis_id)
            if found_kind != spec.result_kind:
                raise InputError(
                    f"analysis {analysis_id} is a {found_kind!r} result, not {spec.result_kind!r}",
                    place=Place(field=spec.option),
                )
            content = json.dumps(result, allow_nan=False, ensure_ascii=False).encode()
            files[f"{STORED_PREFIX}{spec.option}:{analysis_id}"] = (
                f"analysis-{analysis_id}-{spec.result_kind}.json",
                content,
            )
    return files


def stored_results(
    inputs: Mapping[str, InputFile], option: str, ids: Sequence[int]
) -> list[tuple[int, dict[str, Any]]]:
    """The stored results named by ``ids`` of ``option``, read back from the input files the
    surface passed (:func:`stored_files`); an :class:`InputError` naming the option when the
    surface could not read stored analyses (an API caller that gave ids to a run outside the
    store)."""
    import json

    out = []
    for analysis_id in ids:
        file = inputs.get(f"{STORED_PREFIX}{option}:{analysis_id}")
        if file is None:
            raise InputError(
                f"stored analysis {analysis_id} was not read: give the ids where the store is "
                "reachable (the command line with --db, the web app)",
                place=Place(field=option),
            )
        out.append((analysis_id, json.loads(file[1])))
    return out


def check_inputs(kind: AnalysisKind, given: Mapping[str, InputFile]) -> None:
    """Refuse a missing required input or a file type the kind does not take, naming both."""
    stored = {s.option for s in kind.stored}
    for name in given:
        if name.startswith(STORED_PREFIX) and name.split(":")[1] not in stored:
            raise InputError("this analysis reads no stored results", place=Place(field=name))
    for spec in kind.inputs:
        file = given.get(spec.name)
        if file is None:
            if spec.required:
                raise InputError(
                    f"is needed: {spec.help} ({', '.join('.' + f for f in spec.formats)})",
                    place=Place(field=spec.name),
                )
            continue
        name = file[0]
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if suffix not in spec.formats:
            raise InputError(
                f"expected {spec.help} ({', '.join('.' + f for f in spec.formats)}); "
                f"got a .{suffix or '?'} file",
                place=Place(file=name, field=spec.name),
            )


def input_blobs(kind: AnalysisKind, files: Mapping[str, InputFile]) -> list[Any]:
    """The input files as the store keeps them: ``InputBlob(name, role, content)``."""
    from cxcr4lab.store import InputBlob

    return [
        InputBlob(name, input_role(kind, key), content) for key, (name, content) in files.items()
    ]


def input_role(kind: AnalysisKind, key: str) -> str:
    """The role an input (a declared input or a stored result passed in) is stored under."""
    if key.startswith(STORED_PREFIX):
        option = key.split(":")[1]
        return next(s.role for s in kind.stored if s.option == option)
    return kind.input(key).role


def example_inputs(example: Example) -> dict[str, InputFile]:
    """The bundled files of an example, by input name."""
    folder = resources.files("cxcr4lab.examples").joinpath(example.folder)
    return {key: (file, folder.joinpath(file).read_bytes()) for key, file in example.files.items()}
