"""A deliberately slow analysis for the time-budget tests: run in the server's worker processes.

:func:`slow_or_real` burns CPU (never sleeping, like a pathological parse) when the first input
file is named ``slow*`` and runs any other upload as the server would (:func:`run_kind_task`);
give it to ``create_app(..., analysis_task=slow_or_real)``.
"""

from __future__ import annotations

import time

from cxcr4lab.runs import Outcome
from cxcr4lab.web.worker import Refused, run_kind_task

SLOW_S = 120.0
"""How long a slow analysis would run if nothing stopped it."""


def slow_or_real(
    kind: str, inputs: dict[str, tuple[str, bytes]], options: dict[str, object]
) -> Outcome | Refused:
    first = next(iter(inputs.values()), ("", b""))[0]
    if first.startswith("slow"):
        end = time.monotonic() + SLOW_S
        n = 0
        while time.monotonic() < end:
            n = (n * 7 + 3) % 1_000_003  # pure CPU, holding this worker's GIL
        return Refused(f"not stopped ({n})", {"file": first})
    return run_kind_task(kind, inputs, options)
