"""``cxcr4lab analyze <kind>`` generated from a kind of :data:`cxcr4lab.runs.KINDS`.

The command's arguments are the kind's input files (a positional argument, or the option its
``InputSpec.flag`` names), then its declared options (every value read by
:func:`cxcr4lab.runs.parse_options`, so the messages are the API's), then the files it can also
write (``AnalysisKind.outputs``, e.g. ``--tidy FILE``), then the common ones: ``--title``,
``--save/--no-save``, ``--json``, ``--database``, ``--project``, and for a batch kind
(``AnalysisKind.batch``) ``--scheduler ADDRESS``: the chunks go to that Dask cluster
(docs/scale.md); how the work runs, not what it computes, so it is stored nowhere.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from cxcr4lab.commands._shared import (
    DatabaseOption,
    FormatOption,
    JsonOption,
    ProjectOption,
    SaveOption,
    TitleOption,
)
from cxcr4lab.runs import AnalysisKind, cli_flag, typer_parameters

__all__ = ["kind_command"]

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Send the chunks of work to the Dask cluster whose scheduler listens at ADDRESS "
        "(tcp://HOST:PORT); the result is the same (docs/scale.md). Default: this process.",
    ),
]

_COMMON = (
    ("title", TitleOption, None),
    ("save", SaveOption, True),
    ("fmt", FormatOption, "table"),
    ("as_json", JsonOption, False),
    ("database", DatabaseOption, None),
    ("project", ProjectOption, None),
)


def _input_parameters(kind: AnalysisKind) -> list[inspect.Parameter]:
    params: list[inspect.Parameter] = []
    for spec in kind.inputs:
        text = (
            f"{spec.help[:1].upper()}{spec.help[1:]} ({', '.join('.' + f for f in spec.formats)})."
        )
        flags = [f for f in (spec.flag, spec.short) if f is not None]
        info: Any = (
            typer.Argument(help=text) if spec.flag is None else typer.Option(*flags, help=text)
        )
        hint = Path if spec.required else Path | None
        params.append(
            inspect.Parameter(
                spec.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD
                if spec.flag is None
                else inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if spec.required else None,
                annotation=Annotated[hint, info],
            )
        )
    return params


def _output_parameters(kind: AnalysisKind) -> list[inspect.Parameter]:
    return [
        inspect.Parameter(
            spec.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[Path | None, typer.Option(spec.flag, help=spec.help)],
        )
        for spec in kind.outputs
    ]


@contextmanager
def _on_cluster(address: str | None) -> Iterator[None]:
    """Connect to the Dask scheduler at ``address`` (an error naming ``--scheduler`` when it
    cannot be read or reached) and hand the client to the run (``runs._kind.SCHEDULER``) until
    the block ends; nothing without an address."""
    if address is None:
        yield
        return
    from rich.console import Console
    from rich.markup import escape

    from cxcr4lab.core.cluster import client_for
    from cxcr4lab.runs._kind import SCHEDULER

    with client_for(address, field="--scheduler") as client:
        threads = client.nthreads()  # type: ignore[no-untyped-call]
        Console(stderr=True).print(
            f"[dim]Dask scheduler {escape(address)}: {len(threads)} workers, "
            f"{sum(threads.values())} threads[/dim]"
        )
        token = SCHEDULER.set(client)
        try:
            yield
        finally:
            SCHEDULER.reset(token)


@contextmanager
def _progress_on_stderr() -> Iterator[None]:
    """Show what a run tells :func:`cxcr4lab.runs._kind.report_progress` as a transient bar on
    stderr (made on the first report: most runs make none)."""
    from cxcr4lab.runs._kind import PROGRESS

    bar: list[Any] = []

    def show(description: str, done: int, total: int) -> None:
        if not bar:
            from rich.console import Console
            from rich.progress import Progress

            bar.append(Progress(console=Console(stderr=True), transient=True))
            bar[0].start()
            bar.append(bar[0].add_task(description, total=total))
        bar[0].update(bar[1], description=description, completed=done, total=total)

    token = PROGRESS.set(show)
    try:
        yield
    finally:
        PROGRESS.reset(token)
        if bar:
            bar[0].stop()


def _stored(
    kind: AnalysisKind, given: dict[str, Any], database: str | None
) -> dict[str, tuple[str, bytes]]:
    """The stored analyses ``kind``'s options name, read from the store of ``--db``."""
    from cxcr4lab.runs import stored_files
    from cxcr4lab.runs._kind import stored_ids
    from cxcr4lab.store import Store

    if not any(stored_ids(given.get(s.option), s.option) for s in kind.stored):
        return {}
    with Store(database) as store:

        def read(analysis_id: int) -> tuple[str, Any]:
            record = store.get(analysis_id)
            return record.kind, record.result

        return stored_files(kind, given, read)


def kind_command(kind: AnalysisKind) -> Callable[..., None]:
    """The typer command function of ``kind`` (its signature built from the declaration)."""

    def command(**given: Any) -> None:
        from cxcr4lab.commands._finish import finish
        from cxcr4lab.core.errors import InputError
        from cxcr4lab.core.export import TABLE_SUFFIXES
        from cxcr4lab.core.files import check_output, read_input, write_atomic
        from cxcr4lab.runs import run_kind
        from cxcr4lab.runs._kind import input_role
        from cxcr4lab.runs._options import parse_options

        outputs = [(out, given.pop(out.name)) for out in kind.outputs]
        for out, target in outputs:
            if target is not None:
                check_output(target, field=out.flag, folder=out.folder)
                if out.by_suffix and Path(target).suffix.lower() not in TABLE_SUFFIXES:
                    raise InputError(
                        f"cannot write a {Path(target).suffix or 'suffix-less'} file; name a "
                        f"{', '.join(TABLE_SUFFIXES)} file",
                        field=out.flag,
                    )
        files: dict[str, tuple[str, bytes]] = {}
        for spec in kind.inputs:
            path = given.pop(spec.name)
            if path is not None:
                field = spec.flag or spec.name.upper()
                files[spec.name] = (Path(path).name, read_input(path, field=field))
        common = {name: given.pop(name) for name, _, _ in _COMMON}
        scheduler = given.pop("scheduler") if kind.batch else None
        try:
            if kind.stored:
                files.update(_stored(kind, given, common["database"]))
            with _on_cluster(scheduler), _progress_on_stderr():
                outcome = run_kind(kind.name, files, given)
        except InputError as exc:  # the API's words, the option or input named as typed here
            typed = {s.name: s.flag or s.name.upper() for s in kind.inputs}
            typed.update((name, cli_flag(name)) for name in given)
            if exc.place.field in typed:
                flagged = replace(exc.place, field=typed[exc.place.field])
                raise type(exc)(exc.message, place=flagged) from None
            raise
        for out, target in outputs:
            if target is None:
                continue
            if out.folder:
                with _progress_on_stderr():
                    if out.with_inputs:
                        options = parse_options(kind.options, given, mw_lookup=kind.mw_lookup)
                        written = out.writer()(outcome.result, files, options)
                    else:
                        written = out.writer()(outcome.result)
                for name, content in written.items():
                    write_atomic(Path(target) / name, content, field=out.flag)
            else:
                content = (
                    out.writer()(outcome.result, Path(target).suffix)
                    if out.by_suffix
                    else out.writer()(outcome.result)
                )
                write_atomic(target, content, field=out.flag)
        finish(
            outcome.result,
            [(name, input_role(kind, key), content) for key, (name, content) in files.items()],
            outcome.parameters,
            title=common["title"] or outcome.title,
            save=common["save"],
            as_json=common["as_json"],
            fmt=common["fmt"],
            database=common["database"],
            print_result=kind.terminal_view(),
            project=common["project"],
        )

    batch = (("scheduler", SchedulerOption, None),) if kind.batch else ()
    params = [
        *_input_parameters(kind),
        *typer_parameters(kind.options),
        *_output_parameters(kind),
        *(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint
            )
            for name, hint, default in (*_COMMON, *batch)
        ),
    ]
    positional = [p for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    keyword = [p for p in params if p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD]
    command.__signature__ = inspect.Signature([*positional, *keyword])  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__name__ = f"analyze_{kind.name}"
    command.__doc__ = kind.label + "."
    typing.get_type_hints(command, include_extras=True)  # fail at definition, not at use
    return command
