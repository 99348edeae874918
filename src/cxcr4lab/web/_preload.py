"""Imported once by the fork server of the analysis workers (:mod:`cxcr4lab.web.worker`): the
analysis code and its libraries are loaded, and caches warmed by running the bundled
(SIMULATED) binding example, before any worker is forked, so a new worker (also the one that
replaces a worker stopped at its time budget) starts analysing at once."""

from __future__ import annotations

import logging

__all__: list[str] = []


def _warm() -> None:
    from cxcr4lab.assays import arrestin, binding, calcium, chemotaxis, elisa, viability  # noqa: F401
    from cxcr4lab.runs import KINDS, example_inputs, run_kind

    example = KINDS["binding"].examples[0]
    run_kind("binding", example_inputs(example), dict(example.options))


try:
    _warm()
except Exception:  # pragma: no cover - a warm-up only: the workers import what they need anyway
    logging.getLogger(__name__).warning("warming the analysis workers failed", exc_info=True)
