"""The public API of cxcr4lab.compounds is exactly its __all__."""

from __future__ import annotations

import cxcr4lab.compounds as compounds


def test_all_names_exist_and_are_complete() -> None:
    assert all(hasattr(compounds, name) for name in compounds.__all__)
    public = {
        name
        for name, value in vars(compounds).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("cxcr4lab.compounds.")
    }
    assert public <= set(compounds.__all__)
    assert len(set(compounds.__all__)) == len(compounds.__all__)
