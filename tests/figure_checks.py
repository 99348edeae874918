"""The checks every plotly figure dict of a result page passes (shared by the figure tests)."""

from __future__ import annotations

import json
import re
from typing import Any

from cxcr4lab.web.figures import heading, plain

NAME = re.compile(r"[a-z][a-z0-9_]*")


def check_figures(found: dict[str, Any], *, with_y: bool = False) -> None:
    """Strict JSON, plain data (no numpy, no tuples), no NaN, element-id names with headings,
    traces with a type, and plotly's own validation; ``with_y``: some trace has a y value."""
    import plotly.graph_objects as go

    text = json.dumps(found, allow_nan=False)
    assert plain(found) == found
    assert not re.search(r"\bnan\b", text, flags=re.I)
    for name, fig in found.items():
        assert NAME.fullmatch(name) and heading(name), name
        assert set(fig) == {"data", "layout"}, name
        assert fig["data"] and all("type" in t for t in fig["data"]), name
        if with_y:
            assert any(any(v is not None for v in t.get("y", [])) for t in fig["data"]), name
        go.Figure(fig)
