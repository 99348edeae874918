"""What every benchmark prints and stores beside its figures: the machine and the libraries.

    from _env import environment, print_environment, write_json

    env = environment()            # after the timed work (numba's threading layer is known then)
    print_environment(env)
    write_json(Path(__file__).with_suffix(".json"), "fit_throughput", results, env)

A benchmark run as ``python benchmarks/NAME.py`` finds this module on ``sys.path`` (its folder).
The JSON holds ``{"benchmark", "date", "environment", "results"}``; ``docs/performance.md``
tabulates them.
"""

from __future__ import annotations

import datetime as dt
import json
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


def _threading_layer() -> str:
    """numba's threading layer: the one in use once a parallel kernel ran, else the configured
    choice (``default`` lets numba pick tbb, then omp, then workqueue)."""
    if "numba" not in sys.modules:
        return "numba not imported"
    import numba

    try:
        return str(numba.threading_layer())
    except ValueError:  # no parallel kernel has run in this process
        return f"not started (configured: {numba.config.THREADING_LAYER})"


def environment() -> dict[str, Any]:
    """The machine (CPUs usable by this process, load), Python, numba's threads and layer, and
    the versions of the libraries that set the speed."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpus": os.cpu_count(),
        "cpus_usable": usable,
        "load_average_1_5_15": [round(v, 2) for v in load],
        "numba_threading_layer": _threading_layer(),
        "numba_num_threads": None,
        "versions": {name: _version(name) for name in LIBRARIES},
    }
    if "numba" in sys.modules:
        import numba

        env["numba_num_threads"] = int(numba.get_num_threads())
    return env


def print_environment(env: dict[str, Any]) -> None:
    """One line: ``environment: cpus 2 (2 usable); load ...; numba threads 2, layer omp; ...``."""
    versions = "; ".join(f"{k} {v}" for k, v in env["versions"].items() if v is not None)
    print(
        f"environment: cpus {env['cpus']} ({env['cpus_usable']} usable); load "
        f"{env['load_average_1_5_15']}; numba threads {env['numba_num_threads']}, layer "
        f"{env['numba_threading_layer']}; python {env['python']}; {versions}; "
        f"{env['platform']}"
    )


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
    Path(path).write_text(json.dumps(out, indent=2, allow_nan=True) + "\n", encoding="utf-8")
    print(f"wrote {path}")
