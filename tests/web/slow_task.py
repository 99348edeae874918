"""A deliberately slow analysis for the time-budget tests: run in the server's worker processes.

:func:`slow_or_real` burns CPU (never sleeping, like a pathological parse) for a plate named
``slow*.csv`` and analyses any other upload as the server would; give it to
``create_app(..., analysis_task=slow_or_real)``.
"""

from __future__ import annotations

import time

from cxcr4lab.web.assays import Analysed, AssayOptions
from cxcr4lab.web.worker import Refused, analyse_task

SLOW_S = 120.0
"""How long a slow analysis would run if nothing stopped it."""


def slow_or_real(
    kind: str,
    plate: tuple[str, bytes],
    layout: tuple[str, bytes],
    options: AssayOptions,
    block: str | None,
) -> Analysed | Refused:
    if plate[0].startswith("slow"):
        end = time.monotonic() + SLOW_S
        n = 0
        while time.monotonic() < end:
            n = (n * 7 + 3) % 1_000_003  # pure CPU, holding this worker's GIL
        return Refused(f"not stopped ({n})", {"file": plate[0]})
    return analyse_task(kind, plate, layout, options, block)
