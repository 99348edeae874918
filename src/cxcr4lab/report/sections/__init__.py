"""One HTML section renderer per result kind, found by module: ``sections/<kind>.py`` defines
``render(analysis_id, title, result) -> str``."""

from __future__ import annotations

import importlib
from typing import Any

from cxcr4lab.core.errors import NotFoundError

__all__ = ["render_section"]


def render_section(analysis_id: int, title: str, result: Any) -> str:
    """The HTML section for a result, by its ``kind``."""
    kind = str(result.kind)
    try:
        module = importlib.import_module(f"cxcr4lab.report.sections.{kind}")
    except ModuleNotFoundError:
        raise NotFoundError(f"no report section for results of kind {kind!r}") from None
    html: str = module.render(analysis_id, title, result)
    return html
