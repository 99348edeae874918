"""Wall-clock time of ``cxcr4lab dossier`` on a warm machine, where it goes, and the first run on
a fresh machine.

    ./run python benchmarks/dossier.py                  # 1 warm-up + 3 timed runs (minutes)
    ./run python benchmarks/dossier.py --repeat 5 --jobs 1
    ./run python benchmarks/dossier.py --fresh 2        # also 2 first runs with empty caches

Each run is ``cxcr4lab dossier --out DIR --database sqlite:///DIR/N.sqlite --timings DIR/N.json``
as a subprocess, on a new database each time (``--jobs`` is passed on when given; the dossier's
default is one worker process per CPU, at most 4).

* **Warm**: Python's bytecode, numba's caches and the work cache (analyses and figures made
  by this code from the same inputs, :mod:`cxcr4lab.core.cache`) filled: the warm-up run fills
  them. ``--uncached N`` warm runs with ``--no-cache`` show the dossier doing all its work. Where
  ``PYTHONDONTWRITEBYTECODE`` is set, the runs get a temporary ``PYTHONPYCACHEPREFIX`` instead,
  as in ``cli_latency.py``, so they run from bytecode as an installed copy would.
* **Fresh** (``--fresh N``): N runs, each with new empty folders as ``NUMBA_CACHE_DIR``,
  ``PYTHONPYCACHEPREFIX``, ``CXCR4LAB_CACHE`` (the generated model modules) and
  ``CXCR4LAB_WORK_CACHE``: the first run
  after an install that compiled no bytecode, which compiles every Python module it imports
  and every numba kernel it calls. With ``--installed`` the fresh runs keep the warm bytecode
  cache, as after an install that compiled it (``./run`` on its first run, pip): only the
  numba kernels and the model modules are compiled.

Printed: each run's wall seconds and CPU seconds (the dossier and its worker processes, from
``getrusage``), the medians with min and max, the load average; the steps of the median warm run
from its ``--timings`` file (the costliest examples: run, store and draw, wall and CPU; the sums);
the environment. The machine may be shared: compare CPU seconds as well as wall seconds. The
results and the environment are written as JSON beside this file (``dossier.json``; ``--json
PATH``, ``--json ''`` for none). Targets (issue 19): warm < 10 s; first run < 60 s. The last
line reads ``dossier: warm X s; first run Y s``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _env import environment, print_environment, write_json

WARM_TARGET_S = 10.0
FRESH_TARGET_S = 60.0


def cli_command() -> list[str]:
    """The installed ``cxcr4lab`` script beside this Python, else the entry point via -c."""
    script = Path(sys.executable).with_name("cxcr4lab")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from cxcr4lab.cli import main; main()"]


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_dossier(
    folder: Path, name: str, env: dict[str, str], jobs: int | None, *, cache: bool = True
) -> dict[str, Any]:
    """One ``cxcr4lab dossier`` run: wall and CPU seconds, and its ``--timings`` record."""
    steps = folder / f"{name}.json"
    command = [
        *cli_command(),
        "dossier",
        "--out",
        str(folder / name),
        "--database",
        f"sqlite:///{folder / name}.sqlite",
        "--timings",
        str(steps),
    ]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    if not cache:
        command.append("--no-cache")
    load = os.getloadavg()[0]
    cpu, started = children_cpu(), time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    record = json.loads(steps.read_text(encoding="utf-8"))
    print(
        f"  {name:<8} wall {wall:6.1f} s  cpu {cpu:6.1f} s  ({record['jobs']} processes; "
        f"load before {load:.1f})",
        flush=True,
    )
    return {"wall_s": wall, "cpu_s": cpu, "load_1min_before": load, "timings": record}


def fresh_env(base: dict[str, str], folder: Path, *, bytecode: bool) -> dict[str, str]:
    """``base`` with new empty numba and generated-model caches under ``folder``, and a new
    empty bytecode cache too when ``bytecode``."""
    env = dict(base)
    caches = [("NUMBA_CACHE_DIR", "numba"), ("CXCR4LAB_CACHE", "models")]
    caches.append(("CXCR4LAB_WORK_CACHE", "work"))
    if bytecode:
        caches.append(("PYTHONPYCACHEPREFIX", "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    for variable, sub in caches:
        (folder / sub).mkdir(parents=True)
        env[variable] = str(folder / sub)
    return env


def spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.1f} s (min {min(values):.1f}, max {max(values):.1f})"
    )


def print_steps(record: dict[str, Any], top: int) -> dict[str, float]:
    """The costliest examples of one run's ``--timings`` record, and the sums."""
    steps = record["steps"]
    sums = {
        key: sum(s[key] for s in steps)
        for key in ("run_s", "run_cpu_s", "save_s", "render_s", "render_cpu_s")
    }
    print(
        f"steps of one run ({len(steps)} examples, {record['jobs']} processes; "
        f"wall s, CPU s in the process that did it):"
    )
    print(f"  {'run':>6} {'cpu':>6} {'store':>6} {'draw':>6} {'cpu':>6}  example")
    costly = sorted(steps, key=lambda s: -(s["run_cpu_s"] + s["render_cpu_s"]))[:top]
    for s in costly:
        print(
            f"  {s['run_s']:6.2f} {s['run_cpu_s']:6.2f} {s['save_s']:6.2f} {s['render_s']:6.2f} "
            f"{s['render_cpu_s']:6.2f}  {s['kind']}: {s['title'][:70]}"
        )
    print(
        f"  sums: run {sums['run_s']:.1f} s (CPU {sums['run_cpu_s']:.1f}), store "
        f"{sums['save_s']:.1f} s, draw {sums['render_s']:.1f} s (CPU {sums['render_cpu_s']:.1f}); "
        f"the dossier's own CPU {record['cpu_s']:.1f} s, its workers' {record['workers_cpu_s']:.1f} s"
    )
    return sums


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed warm runs")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    parser.add_argument("--fresh", type=int, default=0, help="first runs with empty caches")
    parser.add_argument(
        "--uncached", type=int, default=2, help="warm runs with --no-cache (all work done anew)"
    )
    parser.add_argument(
        "--installed",
        action="store_true",
        help="fresh runs keep the bytecode (compiled at install): only numba's caches are empty",
    )
    parser.add_argument("--jobs", type=int, default=None, help="the dossier's --jobs")
    parser.add_argument("--top", type=int, default=12, help="examples listed in the breakdown")
    parser.add_argument(
        "--json", default=str(Path(__file__).with_suffix(".json")), help="'' for none"
    )
    args = parser.parse_args()
    if args.repeat < 1 or args.warmup < 0 or args.fresh < 0:
        parser.error("--repeat must be at least 1, --warmup and --fresh at least 0")

    with tempfile.TemporaryDirectory(prefix="cxcr4lab-dossier-") as tmp:
        folder = Path(tmp)
        base = dict(os.environ)
        for variable in ("PYTHONPROFILEIMPORTTIME", "CXCR4LAB_DATABASE_URL"):
            base.pop(variable, None)
        warm_env = dict(base)
        warm_env["CXCR4LAB_WORK_CACHE"] = str(folder / "work")  # filled by the warm-up
        if warm_env.pop("PYTHONDONTWRITEBYTECODE", None) and "PYTHONPYCACHEPREFIX" not in base:
            warm_env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
            caches = "bytecode cache: a temporary PYTHONPYCACHEPREFIX (filled by the warm-up)"
        else:
            caches = "bytecode cache: Python's own (__pycache__ or PYTHONPYCACHEPREFIX)"
        print(f"command: {' '.join(cli_command())} dossier; {caches}", flush=True)
        for i in range(args.warmup):
            run_dossier(folder, f"warmup{i}", warm_env, args.jobs)
        fresh = []
        for i in range(args.fresh):
            cold = warm_env if args.installed else base
            env = fresh_env(cold, folder / f"fresh{i}", bytecode=not args.installed)
            fresh.append(run_dossier(folder, f"fresh{i}", env, args.jobs))
        warm = [run_dossier(folder, f"warm{i}", warm_env, args.jobs) for i in range(args.repeat)]
        uncached = [
            run_dossier(folder, f"nocache{i}", warm_env, args.jobs, cache=False)
            for i in range(args.uncached)
        ]

    walls = [r["wall_s"] for r in warm]
    median = statistics.median(walls)
    middle = min(warm, key=lambda r: abs(r["wall_s"] - median))
    print(
        f"warm (analyses and figures read back from the work cache): wall {spread(walls)}; "
        f"cpu {spread([r['cpu_s'] for r in warm])}"
    )
    if uncached:
        print(
            f"warm, --no-cache (every analysis and figure made anew): wall "
            f"{spread([r['wall_s'] for r in uncached])}; cpu "
            f"{spread([r['cpu_s'] for r in uncached])}"
        )
    if fresh:
        what = "numba and model caches empty" if args.installed else "all caches empty"
        print(
            f"fresh (first run, {what}): wall {spread([r['wall_s'] for r in fresh])}; cpu "
            f"{spread([r['cpu_s'] for r in fresh])}"
        )
    sums = print_steps((uncached[0] if uncached else middle)["timings"], args.top)
    import numba  # noqa: F401 (the environment reports numba's configured threads and layer)

    env = environment()
    print_environment(env)
    verdict = {True: "ok", False: "OVER"}
    fresh_s = statistics.median([r["wall_s"] for r in fresh]) if fresh else None
    line = f"targets: warm < {WARM_TARGET_S:g} s {verdict[median < WARM_TARGET_S]}"
    if fresh_s is not None:
        line += f"; first run < {FRESH_TARGET_S:g} s {verdict[fresh_s < FRESH_TARGET_S]}"
    print(line)
    results = {
        "jobs": middle["timings"]["jobs"],
        "warm_wall_s": walls,
        "warm_cpu_s": [r["cpu_s"] for r in warm],
        "warm_median_s": median,
        "uncached_wall_s": [r["wall_s"] for r in uncached],
        "uncached_cpu_s": [r["cpu_s"] for r in uncached],
        "uncached_median_s": statistics.median([r["wall_s"] for r in uncached])
        if uncached
        else None,
        "fresh_wall_s": [r["wall_s"] for r in fresh],
        "fresh_cpu_s": [r["cpu_s"] for r in fresh],
        "fresh_median_s": fresh_s,
        "fresh_kept_bytecode": args.installed,
        "load_1min_before": [r["load_1min_before"] for r in [*fresh, *warm]],
        "median_run_sums": sums,
        "median_run_steps": middle["timings"]["steps"],
        "targets_s": {"warm": WARM_TARGET_S, "fresh": FRESH_TARGET_S},
    }
    write_json(args.json, "dossier", results, env)
    first = "not measured" if fresh_s is None else f"{fresh_s:.1f} s"
    anew = (
        f"; warm --no-cache {statistics.median([r['wall_s'] for r in uncached]):.1f} s"
        if uncached
        else ""
    )
    print(f"dossier: warm {median:.1f} s{anew}; first run {first}")


if __name__ == "__main__":
    main()
