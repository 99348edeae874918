"""Checkerboard plates for the ``synergy`` kind: a plate export and a wellmap layout -> the long
table of :func:`cxcr4lab.combination.blocks.read_blocks`.

It lives in ``runs/`` because it joins two domains of one rank (``assays``' plate readers and
layouts, ``combination``'s blocks), which may not import each other.

The layout gives each ``combination`` well ``conc_r`` and ``conc_c`` (text with a unit, ``"10 nM"``;
``"0 nM"`` where the drug is absent), and the two drugs as ``drug_row``/``drug_col`` (per well
or once in ``[expt]``), optionally ``block`` (a plate may hold several checkerboards). Controls:
``vehicle`` wells are 0 % inhibition (cells, no drug), ``blank`` (or ``min``) wells 100 %
(no cells, or full kill); % inhibition = 100 (vehicle - signal) / (vehicle - blank), with the
means of each plate's controls. A block without a well of both concentrations 0 takes the
vehicle wells as that cell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.runs._kind import InputFile, read_plate_and_layout

__all__ = ["checkerboard_frame"]

_KEYS = ("conc_r", "conc_c", "drug_row", "drug_col")


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _quantity(text: str, place: Place) -> tuple[float, str]:
    """(number, unit as written) of ``"10 nM"``, the unit checked as a concentration."""
    from cxcr4lab.core.units import molar_factor, parse_quantity

    q = parse_quantity(text, place=place)
    number = float(q.magnitude)
    unit = text.strip()[len(text.strip()) - len(text.strip().lstrip("0123456789.eE+-")) :]
    unit = unit.strip()
    if not unit:
        raise InputError(f"{quote(text)} has no unit (write e.g. '10 nM')", place=place)
    if number != 0:
        molar_factor(unit, place=place)  # a mass unit needs a molecular weight: read_blocks
    return number, unit


def _control_mean(layout: Any, plate: Any, roles: tuple[str, ...], what: str) -> float:
    import numpy as np

    wells = layout.table[layout.table["role"].isin(roles) & layout.table["exclude"].isna()]
    values = [plate.signal(w) for w in wells["well"]]
    values = [v for v in values if math.isfinite(v)]
    if not values:
        raise InputError(
            f"the checkerboard needs {what} wells (role {' or '.join(map(repr, roles))}) with "
            "readings",
            file=layout.source,
        )
    return float(np.mean(values))


def checkerboard_frame(inputs: Mapping[str, InputFile], *, block: str | None = None) -> Any:
    """The long table (SynergyFinder's columns, response in % inhibition, one row per well) of
    ``inputs["data"]`` read as a plate with ``inputs["layout"]``; errors name the well."""
    import pandas as pd

    plate, layout, _ = read_plate_and_layout(
        {"plate": inputs["data"], "layout": inputs["layout"]}, block
    )
    table = layout.table
    missing = [k for k in ("conc_r", "conc_c") if k not in table.columns]
    if missing:
        raise InputError(
            f"a checkerboard layout gives each combination well conc_r and conc_c (e.g. "
            f'conc_r = "10 nM"); this layout has no {" or ".join(missing)}',
            file=layout.source,
        )
    vehicle = _control_mean(layout, plate, ("vehicle",), "vehicle (0 % inhibition)")
    floor = _control_mean(layout, plate, ("blank", "min"), "blank (100 % inhibition)")
    if not vehicle > floor:
        raise InputError(
            f"vehicle wells (mean {vehicle:g}) do not read above the blank wells (mean "
            f"{floor:g}): % inhibition cannot be computed",
            file=plate.source,
        )
    expt = layout.experiment
    samples = layout.wells("combination")
    if samples.empty:
        raise InputError(
            'a checkerboard layout marks its wells with role = "combination"; this one has none',
            file=layout.source,
        )
    rows: list[dict[str, object]] = []
    for rec in samples.to_dict("records"):
        well = str(rec["well"])
        names = {}
        for key in ("drug_row", "drug_col"):
            name = _text(rec.get(key)) or _text(expt.get(key))
            if not name:
                raise InputError(
                    f"{key} (the drug's name) is not given for this well nor in [expt]",
                    place=Place(file=layout.source, well=well, column=key),
                )
            names[key] = name
        conc_r, unit_r = _quantity(
            _text(rec["conc_r"]), Place(file=layout.source, well=well, column="conc_r")
        )
        conc_c, unit_c = _quantity(
            _text(rec["conc_c"]), Place(file=layout.source, well=well, column="conc_c")
        )
        signal = plate.signal(well)
        if not math.isfinite(signal):
            raise InputError("combination well has no reading", place=plate.place(well=well))
        rows.append(
            {
                "block_id": _text(rec.get("block")) or plate.block or "1",
                "drug_row": names["drug_row"],
                "drug_col": names["drug_col"],
                "conc_r": conc_r,
                "conc_c": conc_c,
                "response": 100.0 * (vehicle - signal) / (vehicle - floor),
                "conc_r_unit": unit_r,
                "conc_c_unit": unit_c,
                "well": well,
            }
        )
    frame = pd.DataFrame(rows)
    zero = (frame["conc_r"] == 0) & (frame["conc_c"] == 0)
    extra = []
    for block_id, group in frame.groupby("block_id", sort=False):
        if not zero[group.index].any():
            first = group.iloc[0]
            for well in layout.wells("vehicle")["well"]:
                extra.append(
                    {
                        **first.to_dict(),
                        "block_id": block_id,
                        "conc_r": 0.0,
                        "conc_c": 0.0,
                        "response": 100.0 * (vehicle - plate.signal(well)) / (vehicle - floor),
                        "well": well,
                    }
                )
    if extra:
        frame = pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)
    return frame
