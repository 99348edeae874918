"""Dose-response blocks of a two-drug combination: reading SynergyFinder's tables into `Block`s.

Written by hand: SynergyFinder's ``ReshapeData`` is R, and the checks a person needs ("block 3
has no single-drug rows of docetaxel: no row has conc_c = 0") are specific to the design of a
combination experiment. The inputs:

* the **long table** of SynergyFinder (one row per measured well): ``block_id, drug_row,
  drug_col, conc_r, conc_c, response, conc_r_unit, conc_c_unit`` (SynergyFinder's
  ``drug1/drug2/conc1/conc2/conc_unit`` spellings are accepted too, and one ``conc_unit`` column
  for both drugs). ``response`` is % inhibition, or % viability with
  ``response_kind="viability"`` (then inhibition = 100 - value). Several rows of one cell are
  replicates: all are kept, and the scores use their mean, as SynergyFinder's point estimates do;
* the **wide matrix** of one block (:func:`read_matrix`): row-drug concentrations down the first
  column, column-drug concentrations across the first row;
* arrays (:func:`make_block`), for simulations and tests.

Concentrations are stored in mol/L (``conc_r``, ``conc_c``) through :mod:`cxcr4lab.core.units`
(pint); the values as written and their unit are kept (``conc_r_shown``, ``unit_r``): the scores
are computed on those, as SynergyFinder computes them on the numbers of its input.

Refused, each naming the block and the row or cell: a block without single-drug rows of a drug
(no zero concentration of the other drug), a missing cell, a response outside -100..200 %
inhibition (not a percentage: raw signal, or a fraction where percent was meant), mixed units within one block, a drug with fewer than two non-zero concentrations, and
unreadable numbers, units or names. :func:`read_blocks` raises the first as an
:class:`~cxcr4lab.core.errors.InputError`; with ``strict=False`` it collects them per block as
:class:`BlockProblem` and returns the blocks that are sound, so a screen is still scored.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, quote, shorten
from cxcr4lab.core.limits import check_size, check_text_table, check_xlsx
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.units import RANGES, molar_factor

__all__ = [
    "RESPONSE_LIMIT",
    "RESPONSE_RANGE",
    "Block",
    "BlockProblem",
    "BlockSet",
    "ResponseKind",
    "make_block",
    "read_blocks",
    "read_combination_file",
    "read_matrix",
]

ResponseKind = Literal["inhibition", "viability"]
Array = NDArray[np.float64]

RESPONSE_RANGE = (-50.0, 150.0)
"""Plausible responses, % inhibition (after converting viability): a block with a response
outside is scored but flagged (:attr:`Block.flags`, naming the cell): growth stimulation or
noise gives real values there (SynergyFinder's public blocks reach -54 %)."""

RESPONSE_LIMIT = (-100.0, 200.0)
"""Accepted responses, % inhibition: beyond these the numbers are not percentages (raw signal,
or fractions where percent was meant) and the block is refused."""

MIN_CONCENTRATIONS = 2
"""Non-zero concentrations each drug needs (a curve cannot be fitted to fewer)."""

_COLUMNS = ("block_id", "drug_row", "drug_col", "conc_r", "conc_c", "response")
_ALIASES: dict[str, tuple[str, ...]] = {
    "block_id": ("block_id", "blockid", "block", "pairindex", "pair_index"),
    "drug_row": ("drug_row", "drugrow", "drug1", "row_drug"),
    "drug_col": ("drug_col", "drugcol", "drug2", "col_drug"),
    "conc_r": ("conc_r", "conc_row", "concrow", "conc1"),
    "conc_c": ("conc_c", "conc_col", "conccol", "conc2"),
    "response": ("response",),
    "conc_r_unit": ("conc_r_unit", "conc_row_unit", "concrowunit", "conc_unit1", "conc1_unit"),
    "conc_c_unit": ("conc_c_unit", "conc_col_unit", "conccolunit", "conc_unit2", "conc2_unit"),
    "conc_unit": ("conc_unit", "concunit", "unit"),
}


@dataclass(frozen=True)
class Block(Serial):
    """One combination block: a full matrix of row-drug x column-drug concentrations.

    ``conc_r``/``conc_c`` are the sorted unique concentrations in mol/L (0 first);
    ``conc_r_shown``/``conc_c_shown`` the same as written, in ``unit_r``/``unit_c``.
    ``response[i][j]`` is the mean % inhibition at ``(conc_r[i], conc_c[j])`` and
    ``replicates[i][j]`` every value measured there (input order).
    """

    block_id: str
    drug_row: str
    drug_col: str
    conc_r: tuple[float, ...]
    conc_c: tuple[float, ...]
    conc_r_shown: tuple[float, ...]
    conc_c_shown: tuple[float, ...]
    unit_r: str
    unit_c: str
    response: tuple[tuple[float, ...], ...]
    replicates: tuple[tuple[tuple[float, ...], ...], ...]
    response_kind: ResponseKind = "inhibition"
    flags: tuple[str, ...] = ()
    """What to check before trusting the scores (a response outside :data:`RESPONSE_RANGE`)."""

    @property
    def matrix(self) -> Array:
        """The mean response matrix (rows: ``conc_r``, columns: ``conc_c``), a fresh array."""
        return np.array(self.response, dtype=float)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.conc_r), len(self.conc_c))

    @property
    def has_replicates(self) -> bool:
        """Whether any cell was measured more than once."""
        return any(len(cell) > 1 for row in self.replicates for cell in row)

    @property
    def combination_mask(self) -> NDArray[np.bool_]:
        """True at the cells where both drugs are present."""
        mask = np.ones(self.shape, dtype=bool)
        mask[0, :] = False
        mask[:, 0] = False
        return mask

    def to_frame(self) -> pd.DataFrame:
        """The block as SynergyFinder's long table, one row per replicate (% inhibition)."""
        rows = []
        for i, (cr, sr) in enumerate(zip(self.conc_r, self.conc_r_shown, strict=True)):
            for j, (cc, sc) in enumerate(zip(self.conc_c, self.conc_c_shown, strict=True)):
                for value in self.replicates[i][j]:
                    rows.append(
                        {
                            "block_id": self.block_id,
                            "drug_row": self.drug_row,
                            "drug_col": self.drug_col,
                            "conc_r": sr,
                            "conc_c": sc,
                            "response": value,
                            "conc_r_unit": self.unit_r,
                            "conc_c_unit": self.unit_c,
                            "conc_r_molar": cr,
                            "conc_c_molar": cc,
                        }
                    )
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class BlockProblem(Serial):
    """Why a block was not scored: the block, the message, and the line of the input (if one)."""

    block_id: str
    message: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"block {self.block_id!r}" + (f", row {self.row}" if self.row is not None else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class BlockSet(Serial):
    """The sound blocks of a table, in order of appearance, and the problems of the others."""

    source: str
    blocks: tuple[Block, ...]
    problems: tuple[BlockProblem, ...] = field(default=())

    def block(self, block_id: str) -> Block:
        for b in self.blocks:
            if b.block_id == block_id:
                return b
        raise KeyError(block_id)

    @property
    def block_ids(self) -> tuple[str, ...]:
        return tuple(b.block_id for b in self.blocks)


class _Problem(Exception):
    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


# --- reading ---------------------------------------------------------------------------------------


def _decode(content: bytes, name: str) -> str:
    check_size(content, name)
    if not content.strip():
        raise InputError("file is empty", file=name)
    if content[:4] == b"PK\x03\x04":
        raise InputError("this is a zip/xlsx file, not a CSV table", file=name)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    if "\x00" in text:
        raise InputError("file is binary, not a text table", file=name)
    return text


def _read_text_table(content: bytes, name: str, *, header: bool) -> pd.DataFrame:
    text = _decode(content, name)
    check_text_table(text, name)
    first = text.lstrip().split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=first.count)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            header=0 if header else None,
            skip_blank_lines=True,
            skipinitialspace=True,
        )
    except Exception as exc:  # pandas raises many kinds of errors for broken files
        raise InputError(
            f"cannot read as a table ({type(exc).__name__}: {quote(shorten(str(exc), 80))})",
            file=name,
        ) from None
    if frame.empty:
        raise InputError("the table has no data rows", file=name)
    return frame


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, np.floating) and np.isnan(value):
        return ""
    return str(value).strip()


def _normalise_columns(frame: pd.DataFrame, name: str) -> dict[str, str]:
    """Map our column names to the frame's (case and spaces ignored)."""
    present: dict[str, str] = {}
    for col in frame.columns:
        key = str(col).strip().lower().replace(" ", "_").replace("-", "_")
        present.setdefault(key, str(col))
    mapping: dict[str, str] = {}
    for ours, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in present:
                mapping[ours] = present[alias]
                break
    missing = [c for c in _COLUMNS if c not in mapping]
    if "conc_unit" not in mapping and not {"conc_r_unit", "conc_c_unit"} <= set(mapping):
        missing.append("conc_r_unit and conc_c_unit (or conc_unit)")
    if missing:
        have = ", ".join(quote(str(c), 40) for c in frame.columns[:20]) or "none"
        raise InputError(
            f"missing column(s) {', '.join(missing)}; columns present: {have}", file=name
        )
    return mapping


@dataclass
class _Record:
    line: int | None
    block_id: str
    drug_row: str
    drug_col: str
    conc_r: str
    conc_c: str
    response: str
    unit_r: str
    unit_c: str


def _records(frame: pd.DataFrame, name: str, row_base: int) -> list[_Record]:
    m = _normalise_columns(frame, name)

    def col(key: str, fallback: str | None = None) -> list[str]:
        src = m.get(key) or (m.get(fallback) if fallback else None)
        if src is None:
            return [""] * len(frame)
        return [_cell_text(v) for v in frame[src].tolist()]

    cols = {
        "block_id": col("block_id"),
        "drug_row": col("drug_row"),
        "drug_col": col("drug_col"),
        "conc_r": col("conc_r"),
        "conc_c": col("conc_c"),
        "response": col("response"),
        "unit_r": col("conc_r_unit", "conc_unit"),
        "unit_c": col("conc_c_unit", "conc_unit"),
    }
    out = []
    for i in range(len(frame)):
        values = {k: v[i] for k, v in cols.items()}
        if not any(values.values()):
            continue  # an empty line
        out.append(_Record(line=i + row_base, **values))
    return out


def _number(text: str, what: str, line: int | None) -> float:
    try:
        value = float(text)
    except (ValueError, OverflowError):
        if not text:
            raise _Problem(f"{what} is missing", line) from None
        raise _Problem(f"{what} {quote(text, 40)} is not a number", line) from None
    if not math.isfinite(value):
        raise _Problem(f"{what} {quote(text, 40)} is not a finite number", line)
    return value


def _at(line: int | None) -> str:
    return f" (row {line})" if line is not None else ""


def _only(values: list[tuple[str, int | None]], what: str) -> str:
    """The one value of a per-block column, else a problem naming two different ones."""
    first, line = values[0]
    for value, other in values:
        if not value:
            raise _Problem(f"{what} is missing", other)
        if value != first:
            raise _Problem(
                f"mixed {what} in one block: {quote(first, 40)}{_at(line)} and "
                f"{quote(value, 40)}{_at(other)}",
                other,
            )
    return first


def _unit(values: list[tuple[str, int | None]], what: str, mw: float | None) -> tuple[str, float]:
    """The unit of one drug in a block and its mol/L factor. Spellings of one unit (``uM``,
    ``µM``) are one unit; two different units are a problem naming both rows."""
    seen: dict[str, tuple[float, int | None]] = {}
    for text, line in values:
        if not text:
            raise _Problem(f"{what} is missing", line)
        if text in seen:
            continue
        try:
            factor = molar_factor(text, mw_g_per_mol=mw)
        except InputError as exc:
            raise _Problem(f"{what}: {exc.message}", line) from None
        for other, (other_factor, other_line) in seen.items():
            if not math.isclose(factor, other_factor, rel_tol=1e-12):
                raise _Problem(
                    f"mixed units in one block: {what} is {quote(other, 40)}{_at(other_line)} "
                    f"and {quote(text, 40)}{_at(line)}",
                    line,
                )
        seen[text] = (factor, line)
    first = values[0][0]
    return first, seen[first][0]


def _conc_text(value: float, unit: str) -> str:
    return f"{value:g} {unit}"


def _build(
    block_id: str,
    records: Sequence[_Record],
    kind: ResponseKind,
    molecular_weights: Mapping[str, float] | None,
) -> Block:
    drug_row = _only([(r.drug_row, r.line) for r in records], "drug_row (row drug)")
    drug_col = _only([(r.drug_col, r.line) for r in records], "drug_col (column drug)")
    mws = molecular_weights or {}
    unit_r, factor_r = _unit(
        [(r.unit_r, r.line) for r in records], "conc_r_unit", mws.get(drug_row)
    )
    unit_c, factor_c = _unit(
        [(r.unit_c, r.line) for r in records], "conc_c_unit", mws.get(drug_col)
    )
    factors = [factor_r, factor_c]
    cells: dict[tuple[float, float], list[float]] = {}
    flags: list[str] = []
    conc_rng = RANGES["concentration"]
    for r in records:
        cr = _number(r.conc_r, "conc_r", r.line)
        cc = _number(r.conc_c, "conc_c", r.line)
        for value, unit, factor, what in (
            (cr, unit_r, factors[0], "conc_r"),
            (cc, unit_c, factors[1], "conc_c"),
        ):
            if value < 0:
                raise _Problem(f"{what} {_conc_text(value, unit)} is negative", r.line)
            if value > 0 and not (conc_rng.low <= value * factor <= conc_rng.high):
                raise _Problem(
                    f"{what} {_conc_text(value, unit)} is outside the plausible range "
                    f"{conc_rng.text}",
                    r.line,
                )
        value = _number(r.response, "response", r.line)
        inhibition = 100.0 - value if kind == "viability" else value
        lo, hi = RESPONSE_LIMIT
        shown = f"{value:g} % viability" if kind == "viability" else f"{value:g} % inhibition"
        where = f"at (conc_r={_conc_text(cr, unit_r)}, conc_c={_conc_text(cc, unit_c)})"
        if not lo <= inhibition <= hi:
            raise _Problem(
                f"response {shown} {where} is outside {lo:g}..{hi:g} % inhibition "
                "(not a percentage?)",
                r.line,
            )
        lo, hi = RESPONSE_RANGE
        if not lo <= inhibition <= hi:
            row = f"row {r.line}: " if r.line is not None else ""
            flags.append(
                f"{row}response {shown} {where} is outside {lo:g}..{hi:g} % inhibition; "
                "scored, check the normalisation"
            )
        cells.setdefault((cr, cc), []).append(inhibition)
    doses_r = sorted({k[0] for k in cells})
    doses_c = sorted({k[1] for k in cells})
    line = records[0].line
    if 0.0 not in doses_c:
        raise _Problem(
            f"no single-drug rows of {quote(drug_row, 60)}: no row has conc_c = 0 "
            f"({quote(drug_col, 60)} absent)",
            line,
        )
    if 0.0 not in doses_r:
        raise _Problem(
            f"no single-drug rows of {quote(drug_col, 60)}: no row has conc_r = 0 "
            f"({quote(drug_row, 60)} absent)",
            line,
        )
    for doses, drug in ((doses_r, drug_row), (doses_c, drug_col)):
        if len(doses) - 1 < MIN_CONCENTRATIONS:
            shown = ", ".join(f"{d:g}" for d in doses)
            raise _Problem(
                f"{quote(drug, 60)} has {len(doses) - 1} non-zero concentration(s) ({shown}); "
                f"at least {MIN_CONCENTRATIONS} are needed",
                line,
            )
    for cr in doses_r:
        for cc in doses_c:
            if (cr, cc) not in cells:
                raise _Problem(
                    f"cell (conc_r={_conc_text(cr, unit_r)}, conc_c={_conc_text(cc, unit_c)}) "
                    "is missing: every combination of the concentrations must be measured"
                )
    replicates = tuple(tuple(tuple(cells[(cr, cc)]) for cc in doses_c) for cr in doses_r)
    response = tuple(tuple(float(np.mean(v)) for v in row) for row in replicates)
    return Block(
        block_id=block_id,
        drug_row=drug_row,
        drug_col=drug_col,
        conc_r=tuple(d * factors[0] for d in doses_r),
        conc_c=tuple(d * factors[1] for d in doses_c),
        conc_r_shown=tuple(doses_r),
        conc_c_shown=tuple(doses_c),
        unit_r=unit_r,
        unit_c=unit_c,
        response=response,
        replicates=replicates,
        response_kind=kind,
        flags=tuple(flags),
    )


def _assemble(
    records: list[_Record],
    name: str,
    kind: ResponseKind,
    strict: bool,
    molecular_weights: Mapping[str, float] | None,
) -> BlockSet:
    if kind not in ("inhibition", "viability"):
        raise InputError(
            f"response kind must be 'inhibition' or 'viability', got {quote(kind)}",
            file=name,
            field="response_kind",
        )
    groups: dict[str, list[_Record]] = {}
    for r in records:
        groups.setdefault(r.block_id, []).append(r)
    if not groups:
        raise InputError("the table has no data rows", file=name)
    blocks: list[Block] = []
    problems: list[BlockProblem] = []
    for block_id, rows in groups.items():
        try:
            if not block_id:
                raise _Problem("block_id is missing", rows[0].line)
            blocks.append(_build(block_id, rows, kind, molecular_weights))
        except _Problem as p:
            if strict:
                raise InputError(
                    p.message, file=name, block=block_id or "(blank)", row=p.row
                ) from None
            problems.append(BlockProblem(block_id, p.message, p.row))
    return BlockSet(source=name, blocks=tuple(blocks), problems=tuple(problems))


def read_blocks(
    content: bytes | pd.DataFrame,
    *,
    name: str = "blocks.csv",
    response_kind: ResponseKind = "inhibition",
    strict: bool = True,
    molecular_weights: Mapping[str, float] | None = None,
    row_base: int = 2,
) -> BlockSet:
    """Blocks from SynergyFinder's long table (CSV bytes or a DataFrame).

    ``response_kind="viability"`` reads ``response`` as % viability (inhibition = 100 -
    value). ``strict`` raises the first problem as an :class:`InputError` naming the file, block
    and row; ``strict=False`` returns the sound blocks and a :class:`BlockProblem` per other
    block. ``molecular_weights`` (g/mol per drug name) converts mass concentrations. Row numbers
    are lines of the file (header = 1), or the DataFrame's positions plus ``row_base``.

    >>> csv = (b"block_id,drug_row,drug_col,conc_r,conc_c,response,conc_r_unit,conc_c_unit\\n"
    ...        b"1,A,B,0,0,0,nM,nM\\n1,A,B,0,10,20,nM,nM\\n1,A,B,0,20,30,nM,nM\\n"
    ...        b"1,A,B,10,0,10,nM,nM\\n1,A,B,10,10,40,nM,nM\\n1,A,B,10,20,50,nM,nM\\n"
    ...        b"1,A,B,20,0,20,nM,nM\\n1,A,B,20,10,50,nM,nM\\n1,A,B,20,20,70,nM,nM\\n")
    >>> block = read_blocks(csv).blocks[0]
    >>> block.conc_r, block.unit_r, block.response[1][1]
    ((0.0, 1e-08, 2e-08), 'nM', 40.0)
    """
    if isinstance(content, pd.DataFrame):
        frame = content
        if frame.empty:
            raise InputError("the table has no data rows", file=name)
    elif isinstance(content, bytes | bytearray):
        frame = _read_text_table(bytes(content), name, header=True)
    else:
        raise InputError(
            f"expected CSV bytes or a DataFrame, got {type(content).__name__}", file=name
        )
    records = _records(frame, name, row_base)
    return _assemble(records, name, response_kind, strict, molecular_weights)


def _column_label(index: int) -> str:
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = chr(65 + rem) + label
    return label


def read_matrix(
    content: bytes | pd.DataFrame,
    *,
    drug_row: str,
    drug_col: str,
    unit_r: str,
    unit_c: str | None = None,
    block_id: str = "1",
    name: str = "matrix.csv",
    response_kind: ResponseKind = "inhibition",
    molecular_weights: Mapping[str, float] | None = None,
) -> Block:
    """One block from a wide matrix: the first row holds the column drug's concentrations (its
    first cell is a label and ignored), the first column the row drug's, the other cells the
    responses. A blank cell is a missing cell (an error naming its concentrations).

    >>> m = b",0,10,20\\n0,0,20,30\\n10,10,40,50\\n20,20,50,70\\n"
    >>> read_matrix(m, drug_row="A", drug_col="B", unit_r="nM").response[2]
    (20.0, 50.0, 70.0)
    """
    if isinstance(content, pd.DataFrame):
        grid = [[_cell_text(v) for v in row] for row in content.itertuples(index=False)]
        header = [""] + [_cell_text(c) for c in content.columns[1:]]
        grid = [header, *grid]
        line0 = 1
    elif isinstance(content, bytes | bytearray):
        frame = _read_text_table(bytes(content), name, header=False)
        grid = [[_cell_text(v) for v in row] for row in frame.itertuples(index=False)]
        line0 = 1
    else:
        raise InputError(
            f"expected CSV bytes or a DataFrame, got {type(content).__name__}", file=name
        )
    if len(grid) < 2 or len(grid[0]) < 2:
        raise InputError(
            "a matrix needs a header row of column-drug concentrations and a first column of "
            "row-drug concentrations",
            file=name,
        )
    unit_c = unit_c if unit_c is not None else unit_r
    header_row = grid[0]
    records: list[_Record] = []
    for i, row in enumerate(grid[1:], start=1):
        if not any(row):
            continue
        conc_r = row[0]
        if not conc_r:
            raise InputError(
                "row-drug concentration is missing", file=name, row=i + line0, column="A"
            )
        for j in range(1, len(header_row)):
            value = row[j] if j < len(row) else ""
            if not header_row[j]:
                if value:
                    raise InputError(
                        "column-drug concentration is missing above this value",
                        file=name,
                        row=line0,
                        column=_column_label(j),
                    )
                continue
            if not value:
                continue  # a missing cell: reported with its concentrations below
            records.append(
                _Record(
                    line=i + line0,
                    block_id=block_id,
                    drug_row=drug_row,
                    drug_col=drug_col,
                    conc_r=conc_r,
                    conc_c=header_row[j],
                    response=value,
                    unit_r=unit_r,
                    unit_c=unit_c,
                )
            )
    if not records:
        raise InputError("the matrix has no responses", file=name)
    return _assemble(records, name, response_kind, True, molecular_weights).blocks[0]


def make_block(
    conc_r: Sequence[float] | Array,
    conc_c: Sequence[float] | Array,
    response: Sequence[Sequence[float]] | Array,
    *,
    drug_row: str = "row drug",
    drug_col: str = "column drug",
    unit_r: str = "uM",
    unit_c: str | None = None,
    block_id: str = "1",
    replicates: Sequence[Sequence[Sequence[float]]] | None = None,
) -> Block:
    """A block from arrays (% inhibition; concentrations in ``unit_r``/``unit_c``, 0 first),
    checked like a table. ``replicates`` (per cell) default to the single values of
    ``response``."""
    r = np.asarray(conc_r, dtype=float)
    c = np.asarray(conc_c, dtype=float)
    y = np.asarray(response, dtype=float)
    if y.shape != (r.size, c.size):
        raise InputError(
            f"response has shape {y.shape}, expected {(r.size, c.size)}",
            block=block_id,
            field="response",
        )
    unit_c = unit_c if unit_c is not None else unit_r
    records = []
    for i in range(r.size):
        for j in range(c.size):
            values: Sequence[float] = replicates[i][j] if replicates is not None else [y[i, j]]
            for v in values:
                records.append(
                    _Record(
                        None,
                        block_id,
                        drug_row,
                        drug_col,
                        repr(float(r[i])),
                        repr(float(c[j])),
                        repr(float(v)),
                        unit_r,
                        unit_c,
                    )
                )
    return _assemble(records, "arrays", "inhibition", True, None).blocks[0]


def _xlsx_grid(content: bytes, name: str) -> pd.DataFrame:
    """The first sheet of a workbook as text cells, no header interpreted."""
    check_size(content, name)
    check_xlsx(content, name)  # bombs and oversized sheets, before openpyxl decompresses
    try:
        grid = pd.read_excel(io.BytesIO(content), header=None, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl and zipfile raise many kinds of errors
        raise InputError(
            f"not a readable xlsx workbook ({type(exc).__name__}: {shorten(str(exc), 80)})",
            file=name,
        ) from None
    grid = grid.fillna("")
    if grid.shape[0] < 2:
        raise InputError("the first sheet has no data rows", file=name)
    return grid


def read_combination_file(
    content: bytes,
    name: str,
    *,
    response_kind: ResponseKind = "inhibition",
    molecular_weights: Mapping[str, float] | None = None,
    drug_row: str = "",
    drug_col: str = "",
    unit: str = "",
) -> BlockSet:
    """The blocks of a file in either form: SynergyFinder's long table (it has a ``response``
    column) or else a wide matrix of one block, which needs ``drug_row``, ``drug_col`` and
    ``unit``; CSV, TSV or xlsx (first sheet) by the file name. Long tables are read with
    ``strict=False`` (sound blocks scored, the others carried as problems)."""
    if name.lower().endswith(".xlsx"):
        grid = _xlsx_grid(content, name)
        table = pd.DataFrame(grid.iloc[1:].to_numpy(), columns=[str(c) for c in grid.iloc[0]])
    else:
        table = _read_text_table(content, name, header=True)
    try:
        _normalise_columns(table, name)
        long = True
    except InputError:
        keys = {str(c).strip().lower() for c in table.columns}
        long = "response" in keys or "block_id" in keys
        if long:
            raise
    if long:
        return read_blocks(
            table,
            name=name,
            response_kind=response_kind,
            strict=False,
            molecular_weights=molecular_weights,
        )
    given = (("drug_row", drug_row), ("drug_col", drug_col), ("unit", unit))
    missing = [f for f, v in given if not v.strip()]
    if missing:
        raise InputError(
            "not SynergyFinder's long table (no response column), so read as a wide matrix, "
            f"which needs the {', '.join(missing)} to be named",
            file=name,
            field=missing[0],
        )
    block = read_matrix(
        table,
        drug_row=drug_row.strip(),
        drug_col=drug_col.strip(),
        unit_r=unit.strip(),
        name=name,
        response_kind=response_kind,
        molecular_weights=molecular_weights,
    )
    return BlockSet(source=name, blocks=(block,), problems=())
