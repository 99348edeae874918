"""Imported once by the fork server of the analysis workers (:mod:`cxcr4lab.web.worker`): the
analysis code and its libraries are loaded, and caches warmed by analysing the bundled
(SIMULATED) binding example, before any worker is forked, so a new worker (also the one that
replaces a worker stopped at its time budget) starts analysing at once."""

from __future__ import annotations

import logging

__all__: list[str] = []


def _warm() -> None:
    from cxcr4lab.assays import arrestin, binding, calcium, chemotaxis, elisa, viability  # noqa: F401
    from cxcr4lab.commands import arrestin as _a  # noqa: F401
    from cxcr4lab.commands import calcium as _c  # noqa: F401
    from cxcr4lab.commands import chemotaxis as _ch  # noqa: F401
    from cxcr4lab.commands import elisa as _e  # noqa: F401
    from cxcr4lab.commands import viability as _v  # noqa: F401
    from cxcr4lab.web.assays import AssayOptions, analyse_upload
    from cxcr4lab.workflows import example_bytes

    plate = example_bytes("binding", "plate96_run1.csv")
    layout = example_bytes("binding", "layout96.toml")
    analyse_upload("binding", plate, layout, AssayOptions())


try:
    _warm()
except Exception:  # pragma: no cover - a warm-up only: the workers import what they need anyway
    logging.getLogger(__name__).warning("warming the analysis workers failed", exc_info=True)
