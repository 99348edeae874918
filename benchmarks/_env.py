"""What every benchmark prints and stores beside its figures: the machine and the libraries.

    from _env import environment, print_environment, write_json

    env = environment()            # after the timed work (what ran is known then)
    print_environment(env)         # before the last line, the headline figure
    write_json(args.json, "fit_throughput", results, env)  # --json PATH, '' for none

A benchmark run as ``python benchmarks/NAME.py`` finds this module on ``sys.path`` (its folder).
The JSON holds ``{"benchmark", "date", "environment", "results"}`` (a NaN or infinity is
written as ``null``); ``docs/performance.md`` tabulates them.

The environment says how the compiled engines ran: :mod:`cxcr4lab.core.parallel` runs serial
``nogil`` kernels on its own threads, each claiming chunks of rows, so numba's threading layer
is reported only when a ``parallel=True`` kernel was called in this process (which ones are
listed), else ``unused``. Only modules the benchmark already imported are looked at.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

LIBRARIES = ("cxcr4lab", "numpy", "scipy", "pandas", "numba", "dask", "distributed", "fastapi",
             "uvicorn", "sqlalchemy", "libroadrunner")  # fmt: skip


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _parallel_kernels() -> list[str]:
    """The ``parallel=True`` numba functions of cxcr4lab (and of the benchmark script) that were
    called in this process: those holding a compiled or cache-loaded version (numba makes one
    on a function's first call)."""
    from numba.core.dispatcher import Dispatcher

    found: set[str] = set()
    for name, module in list(sys.modules.items()):
        if name != "__main__" and name != "cxcr4lab" and not name.startswith("cxcr4lab."):
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, Dispatcher)
                and value.targetoptions.get("parallel")
                and value.overloads
            ):
                found.add(f"{value.py_func.__module__}.{value.py_func.__qualname__}")
    return sorted(found)


def _numba_threads() -> int:
    """numba's thread count, without starting its threading layer: ``numba.get_num_threads()``
    starts it, so before that has happened the configured count (``NUMBA_NUM_THREADS``) is the
    answer (``set_num_threads`` starts the layer too)."""
    import numba

    state = sys.modules.get("numba.np.ufunc.parallel")
    if state is not None and not getattr(state, "_is_initialized", True):
        return int(numba.config.NUMBA_NUM_THREADS)
    return int(numba.get_num_threads())


def _engines() -> dict[str, Any]:
    """How the compiled engines ran here, as far as this process shows it.

    The engines (:mod:`cxcr4lab.core.parallel`) run serial ``nogil`` kernels on their own
    Python threads, each claiming chunks of rows, and compile nothing with ``parallel=True``:
    numba's threading layer is then *unused*, although numba loads one when asked for its
    thread count. It is named only when a ``parallel=True`` kernel was called (listed).
    Nothing is imported that the benchmark did not import."""
    if "numba" not in sys.modules:
        return {
            "engines": "not loaded (numba not imported)",
            "engine_threads": None,
            "numba_num_threads": None,
            "numba_threading_layer": "unused",
            "numba_parallel_kernels": [],
        }
    import numba

    n = _numba_threads()
    kernels = _parallel_kernels()
    if "cxcr4lab.core.parallel" in sys.modules:
        engines = f"serial nogil kernels on {n} threads claiming chunks (cxcr4lab.core.parallel)"
        engine_threads: int | None = n
    else:
        engines = "not loaded (cxcr4lab.core.parallel not imported)"
        engine_threads = None
    layer = "unused"
    if kernels:
        try:
            layer = str(numba.threading_layer())
        except ValueError:  # compiled but never launched
            layer = "unused"
    return {
        "engines": engines,
        "engine_threads": engine_threads,
        "numba_num_threads": n,
        "numba_threading_layer": layer,
        "numba_parallel_kernels": kernels,
    }


def environment() -> dict[str, Any]:
    """The machine (CPUs usable by this process, load), Python, how the compiled engines ran
    (their threads; numba's threading layer, ``unused`` unless a ``parallel=True`` kernel ran)
    and the versions of the libraries that set the speed."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpus": os.cpu_count(),
        "cpus_usable": usable,
        "load_average_1_5_15": [round(v, 2) for v in load],
        **_engines(),
        "versions": {name: _version(name) for name in LIBRARIES},
    }


def print_environment(env: dict[str, Any]) -> None:
    """One line: ``environment: cpus 2 (2 usable); load ...; engines: serial nogil kernels on 2
    threads claiming chunks (...); numba parallel layer unused; python ...; versions; ...``."""
    versions = "; ".join(f"{k} {v}" for k, v in env["versions"].items() if v is not None)
    layer = env["numba_threading_layer"]
    if env["numba_parallel_kernels"]:
        layer += f" (ran {', '.join(env['numba_parallel_kernels'])})"
    print(
        f"environment: cpus {env['cpus']} ({env['cpus_usable']} usable); load "
        f"{env['load_average_1_5_15']}; engines: {env['engines']}; numba parallel layer "
        f"{layer}; python {env['python']}; {versions}; {env['platform']}"
    )


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float (numpy's too) replaced by ``None``."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(
    path: Path | str | None, name: str, results: dict[str, Any], env: dict[str, Any] | None = None
) -> None:
    """Write ``{"benchmark", "date", "environment", "results"}`` to ``path`` (nothing when
    ``path`` is ``None`` or empty) and say where."""
    if not path:
        return
    out = {
        "benchmark": name,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "environment": env if env is not None else environment(),
        "results": results,
    }
    text = json.dumps(_finite(out), indent=2, allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")
    print(f"wrote {path}")
