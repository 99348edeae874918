"""``cxcr4lab dossier``: every bundled example analysed, stored, and drawn into one HTML report.

The work is the examples' analyses (:func:`cxcr4lab.runs.run_kind`) and their report sections
(matplotlib), about equal shares; both run in ``--jobs`` worker processes, the most costly
analyses first (:data:`COSTLY_KINDS`), so two cores finish in about half the time of one. This
process stores each result in the order of :func:`cxcr4lab.runs.dossier_examples` as it arrives
(the same ids and store content as one process gives) and hands its section to the workers, then
the potency summary; it prints the terminal views and writes the report. The workers are spawned
(no thread, lock or numba state is inherited) and run the same code on the same inputs, so where
an analysis runs changes nothing in its result; ``--jobs 1`` does everything in this process.
Where the time goes: docs/performance.md, "Command line"; ``--timings FILE`` writes it for one
run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from cxcr4lab.commands._shared import DatabaseOption, out_console, safe_url
from cxcr4lab.core.errors import Cxcr4labError

if TYPE_CHECKING:
    from cxcr4lab.core.cache import Cache
    from cxcr4lab.runs import AnalysisKind, Example
    from cxcr4lab.store import Store

__all__ = [
    "COSTLY_KINDS",
    "DOSSIER_STATEMENT",
    "MAX_AUTO_JOBS",
    "DossierAnalysis",
    "analyse_example",
    "auto_jobs",
    "dossier",
    "dossier_analyses",
    "register_in",
    "render_analysis",
]

COSTLY_KINDS = ("invivo", "popfit", "synergy", "regimen_comparison", "regimen_simulation")
"""Kinds whose dossier examples take seconds each (docs/performance.md): the first example of
each is handed to the workers first, so no long analysis starts last; the kind's other examples
keep their place, so on a first run (numba compiling) two workers do not compile the same
kernels at once. Only the order of the work depends on this."""

DOSSIER_STATEMENT = (
    "Every example in this dossier is SIMULATED data, not a measurement, unless the provenance "
    "line under its title names a public data set. Each section says where its numbers come "
    "from: how its data were made, its input files (with their SHA-256) and the analysis."
)
"""The one statement the dossier opens with (each section then carries its own provenance)."""

MAX_AUTO_JOBS = 4
"""The most worker processes ``--jobs 0`` (automatic) starts: each holds the scientific stack
(a few hundred MB), and the dossier has only a few long analyses to spread."""

T = TypeVar("T")


def register_in(group: Callable[[str], typer.Typer]) -> None:
    """``cxcr4lab dossier``."""
    group("").command("dossier")(dossier)


def auto_jobs() -> int:
    """The processes ``--jobs 0`` uses: the CPUs this process may run on, at most
    :data:`MAX_AUTO_JOBS`."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(usable or 1, MAX_AUTO_JOBS))


@dataclass(frozen=True)
class DossierAnalysis:
    """One example as the dossier stored and drew it, with the seconds each step took (the run
    and the section in whichever process did them, the store here): wall clock, and the CPU
    time of the process that did it (all its threads)."""

    id: int
    kind: str
    title: str
    result: Any
    html: str
    run_s: float
    run_cpu_s: float
    save_s: float
    render_s: float
    render_cpu_s: float
    provenance: str = ""
    cached: bool = False


@dataclass(frozen=True)
class _Analysed:
    result: Any
    parameters: dict[str, Any]
    seconds: float
    cpu_seconds: float
    cached: bool = False


@lru_cache(maxsize=4)
def _cache(folder: Path) -> Cache | None:
    """The cache in ``folder``, opened once per process (None if it cannot be opened)."""
    from cxcr4lab.core.cache import open_cache

    return open_cache(folder)


def _json(value: Any) -> str | None:
    """``value`` as JSON text, or None if it holds what JSON cannot (then it is not cached)."""
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return None


def _text(kept: bytes | None) -> str | None:
    """A cached section as text; None (a miss) if there is none or it is not UTF-8."""
    try:
        return None if kept is None else kept.decode()
    except UnicodeDecodeError:
        return None


def analyse_example(kind_name: str, example: Example, cache: Path | None = None) -> _Analysed:
    """Run the :class:`~cxcr4lab.runs.Example` ``example`` of kind ``kind_name`` as every
    surface does (in a worker or here); with a ``cache`` folder, an analysis of the same
    inputs and options by the same code (:mod:`cxcr4lab.core.cache`) is read back instead.

    A refusal comes back as a :class:`Cxcr4labError` naming the example (an ``InputError``
    does not survive the trip between processes: it cannot be built without its place)."""
    from cxcr4lab.core.cache import Cache
    from cxcr4lab.runs import example_inputs, result_class, run_kind

    started, cpu = time.perf_counter(), time.process_time()
    inputs = example_inputs(example)
    store = None if cache is None else _cache(cache)
    key = ""
    if store is not None:
        files = [part for name in sorted(inputs) for part in (name, *inputs[name])]
        key = Cache.key("analysis", kind_name, _json(dict(example.options)) or "", *files)
        kept = store.get(key)
        try:  # a damaged entry (not JSON, not this kind's result) is a miss: done again
            data = None if kept is None else json.loads(kept)
            result = None if data is None else result_class(kind_name).from_dict(data["result"])
            parameters = None if data is None else dict(data["parameters"])
        except (ValueError, KeyError, TypeError):
            result = parameters = None
        if result is not None and parameters is not None:
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            return _Analysed(result, parameters, wall, cpu, cached=True)
    try:
        outcome = run_kind(kind_name, inputs, dict(example.options))
    except Cxcr4labError as exc:
        raise Cxcr4labError(f"bundled example {example.title!r}: {exc}") from None
    if store is not None:
        text = _json({"result": outcome.result.to_dict(), "parameters": outcome.parameters})
        if text is not None:
            store.put(key, text.encode())
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return _Analysed(outcome.result, dict(outcome.parameters), wall, cpu)


def render_analysis(
    analysis_id: int, title: str, result: Any, cache: Path | None = None
) -> tuple[str, float, float]:
    """The report section of a stored analysis, and the seconds it took to draw (wall, CPU);
    with a ``cache`` folder, the section this code drew of the same analysis is reused."""
    from cxcr4lab.core.cache import Cache
    from cxcr4lab.report.sections import render_section

    started, cpu = time.perf_counter(), time.process_time()
    store = None if cache is None else _cache(cache)
    stored = None if store is None else _json(result.to_dict())
    key = "" if stored is None else Cache.key("section", str(analysis_id), title, stored)
    kept = None if store is None or not key else _text(store.get(key))
    if kept is not None:
        html = kept
    else:
        html = render_section(analysis_id, title, result)
        if store is not None and key:
            store.put(key, html.encode())
    return html, time.perf_counter() - started, time.process_time() - cpu


def _summary(
    pool: Executor, stored: list[tuple[int, str, Any]], cache: Path | None
) -> str | Future[str]:
    """The potency summary of ``stored`` analyses: read back from the cache (by the potencies
    it shows), or drawn by the last free worker (and then kept, see :func:`_keep_summary`)."""
    from cxcr4lab.core.cache import Cache
    from cxcr4lab.report.html import potency_summary_html

    store = None if cache is None else _cache(cache)
    if store is None:
        return pool.submit(potency_summary_html, stored)
    shown = [p.to_dict() for i, t, r in stored for p in r.potencies(source=f"#{i} {t}")]
    text = _json(shown)
    key = "" if text is None else Cache.key("summary", text)
    kept = _text(store.get(key)) if key else None
    if kept is not None:
        return kept
    future = pool.submit(potency_summary_html, stored)
    if key:
        future.add_done_callback(lambda done: _keep_summary(store, key, done))
    return future


def _keep_summary(store: Cache, key: str, done: Future[str]) -> None:
    if done.exception() is None:
        store.put(key, done.result().encode())


class _Here(Executor):
    """Runs each submitted call at once, in this process (``--jobs 1``)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever asks for the result, as a pool does
            future.set_exception(exc)
        return future


@contextmanager
def _executor(jobs: int) -> Iterator[Executor]:
    """``jobs`` spawned worker processes, or this process for one job; on an error the work
    not yet started is dropped."""
    if jobs <= 1:
        yield _Here()
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _saying(tell: Callable[[str], None], text: str) -> Callable[[Future[Any]], None]:
    """A done-callback of a future that tells ``text``."""
    return lambda _: tell(text)


def dossier_analyses(
    store: Store,
    examples: Sequence[tuple[AnalysisKind, Example]],
    *,
    jobs: int,
    project_id: int | None = None,
    advance: Callable[[str], None] | None = None,
    cache: Path | None = None,
) -> tuple[list[DossierAnalysis], str]:
    """Run, store and draw ``examples`` (``(kind, example)`` pairs of
    :func:`cxcr4lab.runs.dossier_examples`) with ``jobs`` processes: each analysis in
    ``examples`` order with its section, and the potency summary. ``advance(text)`` is called
    after each analysis and each section (twice per example). With a ``cache`` folder, work
    this code did before on the same inputs is read back (:mod:`cxcr4lab.core.cache`)."""
    from importlib.metadata import version

    from cxcr4lab.report.html import provenance_line
    from cxcr4lab.runs import example_inputs, input_blobs
    from cxcr4lab.workflows import save_result

    tell = advance or (lambda text: None)
    leading: dict[str, int] = {}  # the first example of each costly kind, handed out first
    for i, (kind, _) in enumerate(examples):
        if kind.name in COSTLY_KINDS:
            leading.setdefault(kind.name, i)
    first = [*leading.values(), *(i for i in range(len(examples)) if i not in leading.values())]
    with _executor(jobs) as pool:
        runs: dict[int, Future[_Analysed]] = {}
        for i in first:
            runs[i] = pool.submit(analyse_example, examples[i][0].name, examples[i][1], cache)
            runs[i].add_done_callback(_saying(tell, f"Analysed: {examples[i][1].title}"))
        software = version("cxcr4lab")
        done: list[tuple[int, _Analysed, float, Future[tuple[str, float, float]], str]] = []
        for i, (kind, example) in enumerate(examples):  # stored in order: the ids of one process
            analysed = runs.pop(i).result()
            started = time.perf_counter()
            blobs = input_blobs(kind, example_inputs(example))
            record = save_result(
                store,
                analysed.result,
                title=example.title,
                inputs=blobs,
                parameters=analysed.parameters,
                project_id=project_id,
            )
            save_s = time.perf_counter() - started
            section = pool.submit(render_analysis, record.id, record.title, analysed.result, cache)
            section.add_done_callback(_saying(tell, f"Drawn: {example.title}"))
            line = provenance_line(
                analysis_id=record.id,
                kind=kind.name,
                inputs=[(b.name, b.sha256) for b in blobs],
                software_version=software,
                source=example.note,
            )
            done.append((record.id, analysed, save_s, section, line))
        stored = [
            (i, e.title, a.result) for (i, a, _, _, _), (_, e) in zip(done, examples, strict=True)
        ]
        summary = _summary(pool, stored, cache)
        out = []
        for (analysis_id, analysed, save_s, section, line), (kind, example) in zip(
            done, examples, strict=True
        ):
            html, render_s, render_cpu_s = section.result()
            out.append(
                DossierAnalysis(
                    analysis_id,
                    kind.name,
                    example.title,
                    analysed.result,
                    html,
                    analysed.seconds,
                    analysed.cpu_seconds,
                    save_s,
                    render_s,
                    render_cpu_s,
                    line,
                    analysed.cached,
                )
            )
        return out, summary if isinstance(summary, str) else summary.result()


def dossier(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for index.html.")] = Path(
        "cxcr4lab-report"
    ),
    database: DatabaseOption = None,
    project: Annotated[
        str | None,
        typer.Option("--project", help="File the stored analyses under this web-app project."),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Worker processes for the analyses and their figures; 0: one per CPU (at most "
            f"{MAX_AUTO_JOBS}); 1: all in this process. The results are the same.",
        ),
    ] = 0,
    timings: Annotated[
        Path | None,
        typer.Option(
            "--timings",
            help="Also write the seconds of each step (run, store, draw per example) as JSON.",
        ),
    ] = None,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Reuse analyses and figures this same code made before from the same inputs "
            "(kept by content digest in ~/.cache/cxcr4lab/work, or CXCR4LAB_WORK_CACHE); "
            "--no-cache computes everything afresh. The report is the same either way.",
        ),
    ] = True,
) -> None:
    """Analyse every bundled (simulated) example, store the analyses, and write the HTML dossier."""
    from rich.progress import Progress

    from cxcr4lab.core.cache import cache_folder
    from cxcr4lab.core.files import check_output, write_atomic
    from cxcr4lab.report import render_report, write_report
    from cxcr4lab.runs import KINDS, dossier_examples
    from cxcr4lab.store import Store
    from cxcr4lab.workflows import find_project

    check_output(out, field="--out", folder=True)
    if timings is not None:
        check_output(timings, field="--timings")
    started = time.perf_counter()
    console = out_console()
    runs = dossier_examples()
    workers = auto_jobs() if jobs == 0 else min(jobs, len(runs))
    with Store(database) as store, Progress(console=console, transient=True) as progress:
        project_id = None if project is None else find_project(store, project, field="--project")
        task = progress.add_task("Analysing the examples", total=2 * len(runs))

        def advance(text: str) -> None:
            progress.update(task, advance=1, description=text)

        analyses, summary = dossier_analyses(
            store,
            runs,
            jobs=workers,
            project_id=project_id,
            advance=advance,
            cache=cache_folder() if cache else None,
        )
        url = store.url
    work_s = time.perf_counter() - started
    for a in analyses:
        KINDS[a.kind].terminal_view()(console, a.result, a.id)
    html = render_report(
        [(a.id, a.title, a.result) for a in analyses],
        title="cxcr4lab dossier: balixafortide and CXCR4 antagonists",
        notes=[DOSSIER_STATEMENT],
        database=safe_url(url),
        sections=[a.html for a in analyses],
        summary_html=summary,
        provenance=[a.provenance for a in analyses],
    )
    path = write_report(out / "index.html", html)
    total_s = time.perf_counter() - started
    if timings is not None:
        steps = [
            {k: v for k, v in asdict(a).items() if k not in ("result", "html", "provenance")}
            for a in analyses
        ]
        used = os.times()  # the workers have ended: their CPU time is the children's
        record = {
            "jobs": workers,
            "analyses_s": work_s,
            "total_s": total_s,
            "cpu_s": used.user + used.system,
            "workers_cpu_s": used.children_user + used.children_system,
            "cache": cache,
            "steps": steps,
        }
        write_atomic(timings, json.dumps(record, indent=2) + "\n", field="--timings")
    console.print(f"Stored {len(analyses)} analyses in {safe_url(url)}")
    console.print(
        f"Dossier written to {path} in {total_s:.1f} s "
        f"({workers} {'process' if workers == 1 else 'processes'})"
    )
