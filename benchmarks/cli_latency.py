"""Wall-clock latency of the command line, against a bare Python start in the same run.

    ./run python benchmarks/cli_latency.py              # 7 timed runs of each
    ./run python benchmarks/cli_latency.py --repeat 15 --fresh 3

Three commands run as subprocesses, each ``--warmup`` times untimed first, then ``--repeat``
times timed (wall clock, ``time.perf_counter`` around the whole process, output discarded):

* the baseline, ``python -c pass``;
* ``cxcr4lab --help``;
* a one-curve ``cxcr4lab fit CURVES.csv --no-save``: a SIMULATED 4PL curve (bottom 0, top 100,
  IC50 100 nM, Hill 1, +-2 alternating noise) at 8 concentrations, in a temporary folder.

The targets (DESIGN item 7) are a help under 0.5 s and a one-curve fit under 1.5 s on a warm
machine: Python's bytecode caches filled (the warm-up runs do that), numba's cache present. Where
``PYTHONDONTWRITEBYTECODE`` is set, the commands get a temporary ``PYTHONPYCACHEPREFIX``
instead, so they run from bytecode as an installed copy would, and the tree is left alone.
``CXCR4LAB_DATABASE_URL`` points at a file in the temporary folder, and the run fails if
``--no-save`` created it. The machine may be shared: medians are reported, with the spread.

``--fresh N`` also times N first runs of ``--help`` and of the fit on a fresh machine: each run
gets new empty folders as ``PYTHONPYCACHEPREFIX``, ``NUMBA_CACHE_DIR`` and ``CXCR4LAB_CACHE``
(the generated model modules), so it compiles every module it imports (and any numba kernel it
calls: neither command calls one). The results and the environment are written as JSON beside
this file (``cli_latency.json``; ``--json PATH``, ``--json ''`` for none); docs/performance.md
tabulates them. The last line reads ``cli: help X s; one-curve fit Y s``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _env import environment, print_environment, write_json

HELP_TARGET_S = 0.5
FIT_TARGET_S = 1.5


def curves_csv(folder: Path) -> Path:
    """A one-curve long table: 4PL, 8 concentrations from 0.1 nM to 17.8 uM."""
    rows = ["curve_id,concentration,response"]
    for i in range(8):
        conc = 10.0 ** (-10.0 + 0.75 * i)
        response = 100.0 / (1.0 + conc / 1e-7) + (2.0 if i % 2 == 0 else -2.0)
        rows.append(f"A,{conc:.6g},{response:.4f}")
    path = folder / "curves.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def cli_command() -> list[str]:
    """The installed ``cxcr4lab`` script beside this Python, else the same entry point via -c."""
    script = Path(sys.executable).with_name("cxcr4lab")
    if script.exists():
        return [str(script)]
    found = shutil.which("cxcr4lab")
    if found is not None:
        return [found]
    return [sys.executable, "-c", "from cxcr4lab.cli import main; main()"]


def timed(command: list[str], env: dict[str, str], *, warmup: int, repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` runs of ``command`` after ``warmup`` untimed ones."""
    seconds = []
    for i in range(warmup + repeat):
        started = time.perf_counter()
        done = subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()}")
        if i >= warmup:
            seconds.append(elapsed)
    return seconds


def fresh_runs(
    commands: dict[str, list[str]], env: dict[str, str], folder: Path, repeat: int
) -> dict[str, list[float]]:
    """Wall seconds of ``repeat`` first runs of each command, each with empty caches."""
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(repeat):
        for name, command in commands.items():
            fresh = dict(env)
            fresh.pop("PYTHONDONTWRITEBYTECODE", None)  # a first run writes its bytecode
            for variable in ("PYTHONPYCACHEPREFIX", "NUMBA_CACHE_DIR", "CXCR4LAB_CACHE"):
                path = folder / f"fresh-{name}-{i}" / variable.lower()
                path.mkdir(parents=True)
                fresh[variable] = str(path)
            seconds[name] += timed(command, fresh, warmup=0, repeat=1)
    return seconds


def spread(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds):.3f} s (min {min(seconds):.3f}, max {max(seconds):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    parser.add_argument("--fresh", type=int, default=0, help="first runs with empty caches")
    parser.add_argument(
        "--json", default=str(Path(__file__).with_suffix(".json")), help="'' for none"
    )
    args = parser.parse_args()
    if args.repeat < 1 or args.warmup < 1 or args.fresh < 0:
        parser.error("--repeat and --warmup must be at least 1, --fresh at least 0")

    with tempfile.TemporaryDirectory(prefix="cxcr4lab-latency-") as tmp:
        folder = Path(tmp)
        database = folder / "never.sqlite"
        env = {**os.environ, "CXCR4LAB_DATABASE_URL": f"sqlite:///{database}"}
        env.pop("PYTHONPROFILEIMPORTTIME", None)
        if env.pop("PYTHONDONTWRITEBYTECODE", None) and "PYTHONPYCACHEPREFIX" not in env:
            env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
            caches = "bytecode cache: a temporary PYTHONPYCACHEPREFIX (filled by the warm-up)"
        else:
            caches = "bytecode cache: Python's own (__pycache__ or PYTHONPYCACHEPREFIX)"
        cli = cli_command()
        commands = {
            "baseline": [sys.executable, "-c", "pass"],
            "help": [*cli, "--help"],
            "fit": [*cli, "fit", str(curves_csv(folder)), "--no-save"],
        }
        fresh = fresh_runs(
            {k: v for k, v in commands.items() if k != "baseline"}, env, folder, args.fresh
        )
        runs = {
            name: timed(command, env, warmup=args.warmup, repeat=args.repeat)
            for name, command in commands.items()
        }
        if database.exists():
            sys.exit(f"--no-save created the database {database}")

    base, help_s, fit_s = (statistics.median(runs[n]) for n in ("baseline", "help", "fit"))
    print(f"{caches}; {args.warmup} warm-up + {args.repeat} timed runs each; {os.cpu_count()} CPUs")
    print(f"command: {' '.join(cli)}")
    for name in commands:
        print(f"  {name:<8} {spread(runs[name])}")
    if args.fresh:
        print(
            f"first runs on a fresh machine (empty bytecode and numba caches), {args.fresh} each:"
        )
        for name, seconds in fresh.items():
            print(f"  {name:<8} {spread(seconds)}")
    print(f"baseline (python -c pass): {base:.3f} s")
    print(f"ratios to the baseline: help {help_s / base:.0f}x; one-curve fit {fit_s / base:.0f}x")
    verdict = {True: "ok", False: "OVER"}
    print(
        f"targets: help < {HELP_TARGET_S} s {verdict[help_s < HELP_TARGET_S]}; "
        f"one-curve fit < {FIT_TARGET_S} s {verdict[fit_s < FIT_TARGET_S]}"
    )
    import numba  # noqa: F401 (the environment reports numba's configured threads and layer)

    env_info = environment()
    print_environment(env_info)
    results = {
        "command": cli,
        "bytecode_cache": caches,
        "warmup": args.warmup,
        "seconds": runs,
        "median_s": {name: statistics.median(v) for name, v in runs.items()},
        "fresh_seconds": fresh,
        "fresh_median_s": {name: statistics.median(v) for name, v in fresh.items() if v},
        "targets_s": {"help": HELP_TARGET_S, "fit": FIT_TARGET_S},
    }
    write_json(args.json, "cli_latency", results, env_info)
    print(f"cli: help {help_s:.2f} s; one-curve fit {fit_s:.2f} s")


if __name__ == "__main__":
    main()
