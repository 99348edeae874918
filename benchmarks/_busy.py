"""A busy machine on demand: one core's worth of CPU burnt by a child process (``--busy``).

    from _busy import busy

    with busy(args.busy) as load:    # nothing happens when args.busy is False
        ...                          # the timings
    print(load.summary())            # "busy: 1 CPU-burning process, 0.98 core over 41.2 s"

The burner is a separate Python process spinning in a pure-Python loop (it holds no lock and
shares no memory with the benchmark). It is killed when the block ends, however it ends; on
its own it also stops after ``timeout_s`` or as soon as its parent is gone, so it can never
outlive the benchmark. The CPU time it used is read back (``os.wait4``) to show that it did
take a core.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# Spins until its deadline or until its parent (the benchmark) is gone; checks both every
# ~10 ms of spinning.
_BURN = """
import os, sys, time
deadline = time.monotonic() + float(sys.argv[1])
parent = os.getppid()
x = 0
while time.monotonic() < deadline and os.getppid() == parent:
    for _ in range(200_000):
        x += 1
"""


@dataclass
class Load:
    """What the burner did (all zero when the machine was left alone)."""

    processes: int = 0
    timeout_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    pids: list[int] = field(default_factory=list)
    expired: bool = False
    """The burner had stopped (its timeout) before the block ended."""

    @property
    def cores(self) -> float:
        """CPU time used per second of wall time: about 1.0 for one fully busy core."""
        return self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self) -> str:
        if not self.processes:
            return "busy: no (no background load started)"
        return (
            f"busy: {self.processes} CPU-burning process (pid {', '.join(map(str, self.pids))}),"
            f" {self.cores:.2f} core over {self.wall_s:.1f} s (hard timeout {self.timeout_s:.0f} s"
            f"{', REACHED: the end ran without it' if self.expired else ''})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "busy": bool(self.processes),
            "burner_processes": self.processes,
            "burner_wall_s": round(self.wall_s, 3),
            "burner_cpu_s": round(self.cpu_s, 3),
            "burner_cores": round(self.cores, 3),
            "burner_timeout_s": self.timeout_s,
            "burner_expired": self.expired,
        }


@contextmanager
def busy(
    enabled: bool = True, *, timeout_s: float = 900.0, settle_s: float = 0.5
) -> Iterator[Load]:
    """Burn one core in a child process while the block runs (nothing if not ``enabled``).

    ``timeout_s`` is the burner's own hard limit; ``settle_s`` lets it start spinning before
    the block's timings begin.
    """
    load = Load()
    if not enabled:
        yield load
        return
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", _BURN, str(timeout_s)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    load.processes, load.timeout_s, load.pids = 1, timeout_s, [proc.pid]
    try:
        time.sleep(settle_s)
        yield load
    finally:
        # still running? (asked without reaping it, so its CPU time can be read below)
        state = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        load.expired = state is not None
        os.kill(proc.pid, signal.SIGKILL)  # not proc.kill(): it would reap the child first
        try:
            _, _, usage = os.wait4(proc.pid, 0)
            load.cpu_s = usage.ru_utime + usage.ru_stime
        except ChildProcessError:  # reaped already
            proc.wait()
        proc.returncode = -9  # reaped here: keep Popen from waiting on it again
        load.wall_s = time.monotonic() - started
