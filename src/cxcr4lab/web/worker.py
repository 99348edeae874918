"""Upload analyses in worker processes, each with a time budget.

The server process never parses or fits an upload itself: the bytes and options go to a pebble
process pool (``forkserver`` start method, so no threaded server is ever forked), a worker runs
:func:`run_kind_task` (a kind of :data:`cxcr4lab.runs.KINDS`), and the outcome comes back
pickled as plain data (:class:`Prepared`: the result's JSON, checked, and the fields the API
shows), so the server only stores it, in one short transaction. An analysis over its budget is stopped (pebble terminates the
worker and starts a fresh one) and the request is answered with 503 naming the budget, so one
upload can never hold the event loop, the GIL or a worker beyond its budget.

Errors cross the process boundary as :class:`Refused` (an :class:`InputError` does not pickle),
with the place named: the form field of an option, the layout file for a layout, otherwise
the first input file; never an exception class name or a traceback.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from pebble import ProcessExpired, ProcessPool
from starlette.requests import Request

from cxcr4lab.core.errors import Cxcr4labError, InputError, Place
from cxcr4lab.runs import Outcome
from cxcr4lab.store import JsonText, encode_json
from cxcr4lab.web.security import shorten
from cxcr4lab.web.settings import Settings

__all__ = [
    "AnalysisPool",
    "AnalysisUnavailable",
    "Prepared",
    "Refused",
    "Task",
    "app_pool",
    "run_kind_task",
    "start_pool",
    "stop_pool",
]

_log = logging.getLogger(__name__)

FilePair = tuple[str, bytes]
Task = Callable[[str, dict[str, FilePair], dict[str, object]], "Prepared | Refused"]
"""What a worker runs: ``(kind name, input files by name, options as given) -> Prepared |
Refused``; a module-level function (it is pickled by reference)."""


@dataclass(frozen=True)
class Prepared:
    """An analysis made ready to save, in the worker: the result's kind, its stored form
    (checked JSON), the parameters and default title of its :class:`Outcome`, and the fields
    the API shows of it (:func:`~cxcr4lab.web.service.result_fields`). Plain data: cheap to
    send back, and the server neither rebuilds nor serialises the result object."""

    kind: str
    title: str
    parameters: dict[str, Any]
    result_json: JsonText
    shown: dict[str, Any]


def prepare(outcome: Outcome) -> Prepared:
    """The :class:`Prepared` form of a run's outcome."""
    from cxcr4lab.web.service import result_fields

    result = outcome.result
    return Prepared(
        kind=result.kind,
        title=outcome.title,
        parameters=dict(outcome.parameters),
        result_json=encode_json(result.to_dict()),
        shown=result_fields(result),
    )


MAX_TASKS_PER_WORKER = 1000
"""A worker process is replaced after this many analyses (bounds leaks). Each replacement
costs a fork and a cold start (its layout cache, first-call paths): at 100 a busy server
replaced each worker every few seconds, which showed in the latency tail of
``benchmarks/api_load.py --rounds 30`` (p95 323-340 ms against 287-311 ms at 10,000)."""

_FORM_FIELDS = {
    "radioligand_molar": "radioligand_conc",
    "kd_molar": "kd",
    "agonist_molar": "agonist_conc",
    "agonist_ec50_molar": "agonist_ec50",
}
"""Settings attributes named by a domain error -> the form fields they come from."""

_LAYOUT_CODE = (
    os.sep + os.path.join("cxcr4lab", "assays", "layout.py"),
    os.sep + "wellmap" + os.sep,
    os.sep + "tomllib" + os.sep,
)


class AnalysisUnavailable(Cxcr4labError):
    """The analysis could not be run to its end: over its time budget, its worker died, or
    too many analyses are waiting (the app answers 503)."""

    def __init__(self, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Refused:
    """An upload refused in a worker: the message and where (the fields of a :class:`Place`)."""

    message: str
    place: dict[str, str | int]

    def error(self) -> InputError:
        return InputError(self.message, place=Place(**self.place))  # type: ignore[arg-type]


def _place(exc: InputError, fields: dict[str, str] = _FORM_FIELDS) -> dict[str, str | int]:
    place: dict[str, str | int] = {}
    for key, value in vars(exc.place).items():
        if value is None:
            continue
        if key == "field" and isinstance(value, str):
            value = fields.get(value, value)
        place[key] = shorten(value, 80) if isinstance(value, str) else value
    return place


def _in_layout_code(exc: BaseException) -> bool:
    """Whether the traceback of ``exc`` went through the layout reader (or wellmap, tomllib)."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if any(part in tb.tb_frame.f_code.co_filename for part in _LAYOUT_CODE):
            return True
        tb = tb.tb_next
    return False


def run_kind_task(
    name: str, inputs: dict[str, FilePair], options: dict[str, object]
) -> Prepared | Refused:
    """Run an analysis kind of :data:`cxcr4lab.runs.KINDS` (in a worker process): its outcome
    made ready to save, or why it was refused, naming the input file or the option."""
    from cxcr4lab.runs import run_kind

    try:
        return prepare(run_kind(name, inputs, options))
    except InputError as exc:
        return Refused(shorten(exc.message, 400), _place(exc))
    except Cxcr4labError as exc:  # e.g. a fit that cannot be attempted on these data
        named = next(iter(inputs.values()), None)
        return Refused(shorten(str(exc), 400), {} if named is None else {"file": named[0]})
    except (Exception, RecursionError) as exc:  # a reader choking on odd content
        _log.warning("a %s run could not be analysed", name, exc_info=True)
        what = shorten(str(exc), 200) or "unreadable content"
        first = next(iter(inputs.values()), ("input", b""))[0]
        layout = inputs.get("layout")
        if layout is not None and _in_layout_code(exc):
            return Refused(f"the layout could not be read: {what}", {"file": layout[0]})
        return Refused(f"could not be read or analysed: {what}", {"file": first})


def _init_worker(path: list[str], module: str, file: str | None) -> None:
    """In a new worker: import modules from where the server does (the fork server does not
    pass its parent's ``sys.path`` on), and make sure the task's module imports, so the task,
    given by reference, can be found (a module imported by file, as pytest does, is found
    from its file's root)."""
    sys.path[:] = [*path, *(p for p in sys.path if p not in path)]
    try:
        importlib.import_module(module)
    except ImportError:
        if file is None:
            raise
        sys.path.insert(0, str(Path(file).resolve().parents[module.count(".")]))
        importlib.import_module(module)


def _ready() -> None:
    """A no-op task: scheduling it starts a worker."""


def _module_file(module: str) -> str | None:
    found = sys.modules.get(module)
    file = getattr(found, "__file__", None)
    return file if isinstance(file, str) else None


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        # The fork server imports the analysis code once; workers fork from it ready to run.
        context.set_forkserver_preload(["cxcr4lab.web.worker", "cxcr4lab.web._preload"])
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


class AnalysisPool:
    """Worker processes that run analyses with a per-task time budget (seconds).

    At most ``max_waiting`` analyses are running or queued at once; more are refused (503
    with ``Retry-After``) instead of holding their uploads in memory.
    """

    def __init__(
        self,
        workers: int,
        timeout_s: float,
        *,
        task: Task = run_kind_task,
        max_waiting: int | None = None,
    ) -> None:
        self.workers = workers
        self.timeout_s = timeout_s
        self.max_waiting = max_waiting or max(32, 16 * workers)
        self._task = task
        self._pool = ProcessPool(
            max_workers=workers,
            max_tasks=MAX_TASKS_PER_WORKER,
            initializer=_init_worker,
            initargs=(list(sys.path), task.__module__, _module_file(task.__module__)),
            context=_context(),
        )
        self._waiting = 0
        self._lock = threading.Lock()
        for _ in range(workers):  # start the fork server and the workers now, not on a request
            self._pool.schedule(_ready)

    async def run(
        self, kind: str, inputs: dict[str, FilePair], options: dict[str, object]
    ) -> Prepared:
        """Run analysis ``kind`` on ``inputs`` with ``options`` (text as given) in a worker:
        its outcome made ready to save; :class:`InputError` if refused,
        :class:`AnalysisUnavailable` if over budget, its worker died, or the queue is full."""
        outcome = await self.call(self._task, kind, inputs, options)
        if not isinstance(outcome, Prepared):  # pragma: no cover - a wrong task function
            raise AnalysisUnavailable("the analysis returned no result")
        return outcome

    async def call(self, task: Callable[..., Any], *args: Any) -> Any:
        """``task(*args)`` in a worker within the time budget; a :class:`Refused` it returns is
        raised as its :class:`InputError` (``task``: a module-level function)."""
        with self._lock:
            if self._waiting >= self.max_waiting:
                raise AnalysisUnavailable(
                    f"the server is busy: {self._waiting} analyses are waiting; try again later",
                    retry_after_s=max(1, round(self.timeout_s / 4)),
                )
            self._waiting += 1
        try:
            future = self._pool.schedule(task, args=args, timeout=self.timeout_s)
            try:
                outcome = await asyncio.wrap_future(future)
            except TimeoutError:
                raise AnalysisUnavailable(
                    f"the analysis took longer than its time budget of {self.timeout_s:g} s "
                    "and was stopped"
                ) from None
            except ProcessExpired as exc:
                _log.warning("an analysis worker died (exit code %s)", exc.exitcode)
                raise AnalysisUnavailable(
                    "the analysis stopped unexpectedly (its worker process died)"
                ) from None
            except Exception as exc:  # e.g. a result that does not pickle: a bug, logged
                _log.error("an analysis failed in its worker", exc_info=exc)
                raise AnalysisUnavailable("the analysis failed in its worker process") from None
        finally:
            with self._lock:
                self._waiting -= 1
        if isinstance(outcome, Refused):
            raise outcome.error()
        return outcome

    def close(self) -> None:
        """Stop the workers (running analyses are abandoned) and wait for them to exit."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join(timeout=30)


# --- the app's pool -------------------------------------------------------------------------

_POOL_LOCK = threading.Lock()


def start_pool(state: Any) -> AnalysisPool:
    """The pool of an app's ``state`` (``settings``, ``analysis_task``), made if it has none."""
    with _POOL_LOCK:
        pool: AnalysisPool | None = getattr(state, "pool", None)
        if pool is None:
            settings: Settings = state.settings
            pool = AnalysisPool(
                settings.analysis_workers, settings.analysis_timeout_s, task=state.analysis_task
            )
            state.pool = pool
        return pool


def stop_pool(state: Any) -> None:
    """Stop the pool of an app's ``state`` (at shutdown), if it has one."""
    with _POOL_LOCK:
        pool: AnalysisPool | None = getattr(state, "pool", None)
        state.pool = None
    if pool is not None:
        pool.close()


def app_pool(request: Request) -> AnalysisPool:
    """The app's pool of analysis workers (made at startup, or here if the app was run
    without its lifespan)."""
    return start_pool(request.app.state)
