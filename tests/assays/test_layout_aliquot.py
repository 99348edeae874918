"""Layouts naming the inventory aliquot they used: top level, per compound, refusals."""

from __future__ import annotations

import pytest

from cxcr4lab.assays.layout import read_layout_bytes
from cxcr4lab.core.errors import InputError

BODY = b"""
[expt]
plate = 96

[row.A]
compound = "balixafortide"
aliquot = "BAL-2026-001-A03"

[row.B]
compound = "plerixafor"

[col.1]
role = "sample"
conc = "10 nM"

[col.2]
role = "total"
"""


def test_top_level_and_per_compound_aliquots() -> None:
    layout = read_layout_bytes(b'aliquot = "BAL-2026-001-A01"\n' + BODY, "l.toml")
    assert layout.aliquot_labels() == ("BAL-2026-001-A01", "BAL-2026-001-A03")
    rows = layout.table.set_index("well")["aliquot"]
    assert rows["A1"] == "BAL-2026-001-A03"
    assert read_layout_bytes(BODY, "m.toml").aliquot_labels() == ("BAL-2026-001-A03",)
    assert (
        read_layout_bytes(
            BODY.replace(b'aliquot = "BAL-2026-001-A03"\n', b""), "n.toml"
        ).aliquot_labels()
        == ()
    )


@pytest.mark.parametrize(
    ("content", "field", "column"),
    [
        (b"aliquot = 3\n" + BODY, "aliquot", None),
        (BODY.replace(b'aliquot = "BAL-2026-001-A03"', b'aliquot = ["A1", "A2"]'), None, "aliquot"),
    ],
)
def test_an_aliquot_that_is_not_text_is_refused(
    content: bytes, field: str | None, column: str | None
) -> None:
    with pytest.raises(InputError) as info:
        read_layout_bytes(content, "bad.toml")
    assert info.value.place.file == "bad.toml"
    assert (info.value.place.field, info.value.place.column) == (field, column)
