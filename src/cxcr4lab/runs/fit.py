"""The ``fit`` kind: every curve of a long table fitted at once (``cxcr4lab fit CURVES.csv``).

A batched Levenberg-Marquardt fits one model to each curve of a long table (CSV, TSV or xlsx:
``curve_id``, ``concentration``, ``response``, optionally ``weight`` and ``unit``, or other
names given by ``--id-col/--conc-col/--response-col``; any other column is metadata, carried to
the output per curve) or of a GraphPad Prism XY table (``--layout prism``,
:mod:`cxcr4lab.fit.xy_tables`); ``--fix NAME=VALUE``
holds a parameter for every curve and ``--bound NAME=LOW:HIGH`` keeps one within a range. The
result (:class:`~cxcr4lab.fit.batch_result.BatchFitResult`) is one row per curve; ``--out``
also writes the rows to a CSV.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.runs._kind import (
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    OutputSpec,
    batch_scheduler,
    report_progress,
)
from cxcr4lab.runs._options import option

__all__ = [
    "KIND",
    "Options",
    "constraints",
    "ed_levels",
    "parse_bound",
    "parse_fixed",
    "read_curves",
]


CHUNK = 20_000
"""Curves fitted per batch (and per progress step); bounded fits go curve by curve, in chunks
of :data:`BOUNDED_CHUNK`."""
BOUNDED_CHUNK = 1_000


def parse_fixed(text: str) -> tuple[str, float]:
    """One ``--fix`` item: ``NAME=VALUE``.

    >>> parse_fixed("hill = 1")
    ('hill', 1.0)
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name or not value.strip():
        raise ValueError("expected NAME=VALUE, e.g. hill=1")
    if not name.isidentifier():
        raise ValueError("the parameter name must be a word, e.g. hill")
    try:
        number = float(value)
    except ValueError:
        raise ValueError("the value after '=' is not a number") from None
    if not math.isfinite(number):
        raise ValueError("the value must be finite")
    return name, number


def parse_bound(text: str) -> tuple[str, float, float]:
    """One ``--bound`` item: ``NAME=LOW:HIGH``; an empty side is open.

    >>> parse_bound("top=90:110"), parse_bound("hill=0:")
    (('top', 90.0, 110.0), ('hill', 0.0, inf))
    """
    name, sep, rest = text.partition("=")
    name = name.strip()
    low, colon, high = rest.partition(":")
    if not sep or not name or not colon:
        raise ValueError("expected NAME=LOW:HIGH, e.g. top=90:110 (a side may be empty)")
    if not name.isidentifier():
        raise ValueError("the parameter name must be a word, e.g. top")
    try:
        lo = float(low) if low.strip() else -math.inf
        hi = float(high) if high.strip() else math.inf
    except ValueError:
        raise ValueError("LOW and HIGH must be numbers (or empty)") from None
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise ValueError("LOW must be less than HIGH")
    return name, lo, hi


def ed_levels(text: str) -> tuple[float, ...]:
    """The levels of ``--ed`` (``"10,50,90"``), in the order given, each once; an InputError
    naming the option for anything that is not a finite number.

    >>> ed_levels("10, 50,90"), ed_levels("")
    ((10.0, 50.0, 90.0), ())
    """
    from cxcr4lab.core.errors import InputError, Place, quote

    levels: list[float] = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        try:
            value = float(part)
        except ValueError:
            raise InputError(
                f"{quote(part.strip())} is not a number; give levels such as 10,50,90",
                place=Place(field="ed"),
            ) from None
        if not math.isfinite(value):
            raise InputError("levels must be finite", place=Place(field="ed"))
        if value not in levels:
            levels.append(value)
    return tuple(levels)


def constraints(
    model: Any, fix: Sequence[tuple[str, float]], bound: Sequence[tuple[str, float, float]] = ()
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """``--fix`` and ``--bound`` items checked against ``model``'s parameters, as the dicts the
    fit engine takes; an unknown or repeated name is one InputError naming the option."""
    from cxcr4lab.core.errors import InputError, Place, quote

    names = tuple(model.param_names)

    def check(name: str, field: str, seen: Mapping[str, Any]) -> None:
        if name not in names:
            raise InputError(
                f"{quote(name)} is not a parameter of model {model.name}; "
                f"its parameters are {', '.join(names)}",
                place=Place(field=field),
            )
        if name in seen:
            raise InputError(f"{name} is given twice", place=Place(field=field))

    fixed: dict[str, float] = {}
    for name, value in fix:
        check(name, "fix", fixed)
        fixed[name] = value
    bounds: dict[str, tuple[float, float]] = {}
    for name, lo, hi in bound:
        check(name, "bound", bounds)
        if name in fixed:
            raise InputError(
                f"{name} is fixed; it cannot also be bounded", place=Place(field="bound")
            )
        bounds[name] = (lo, hi)
    if len(fixed) == len(names):
        raise InputError(
            "every parameter is fixed: nothing is left to fit", place=Place(field="fix")
        )
    return fixed, bounds


def read_curves(inputs: Mapping[str, InputFile], conc_unit: str) -> tuple[str, Any]:
    """The name and frame of ``inputs["curves"]`` (a long CSV), the unit checked first (naming
    ``conc_unit``)."""
    from cxcr4lab.core.errors import Place
    from cxcr4lab.core.units import molar_factor
    from cxcr4lab.fit.batch import read_curve_csv

    molar_factor(conc_unit, place=Place(field="conc_unit"))
    name, content = inputs["curves"]
    return name, read_curve_csv(content, name)


@dataclass(frozen=True)
class CurveTable:
    """The curves of the input as the engine takes them: the long ``frame``, the
    concentration ``unit``, the metadata carried per curve (``curve_id`` and the other
    columns, or None) and what was noted while reading (dropped columns, the X scale)."""

    name: str
    frame: Any
    unit: str
    metadata: Any
    notes: tuple[str, ...]


def read_curve_table(inputs: Mapping[str, InputFile], options: Options) -> CurveTable:
    """The ``curves`` input in its ``layout`` (see :class:`Options`)."""
    from pathlib import Path

    from cxcr4lab.core.errors import Place
    from cxcr4lab.core.units import molar_factor
    from cxcr4lab.fit.batch import read_curve_csv
    from cxcr4lab.fit.xy_tables import map_long_table, read_long_table, read_prism_xy

    molar_factor(options.conc_unit, place=Place(field="conc_unit"))
    name, content = inputs["curves"]
    if options.layout == "prism":
        wide = read_prism_xy(content, name, x_scale=options.x_scale)
        unit = wide.unit or options.conc_unit
        notes = (
            *wide.notes,
            f"concentrations in {unit} ({'X header' if wide.unit else '--conc-unit'})",
        )
        return CurveTable(name, wide.frame.drop(columns="replicate"), unit, None, notes)
    mapping = {
        "id_col": options.id_col or None,
        "conc_col": options.conc_col or None,
        "response_col": options.response_col or None,
    }
    suffix = Path(name).suffix.lower()
    csv = suffix == ".csv"
    frame = read_curve_csv(content, name) if csv else read_long_table(content, name)
    plain = {"curve_id", "concentration", "response", "weight", "unit"}
    if not any(mapping.values()) and set(frame.columns) <= plain and csv:
        return CurveTable(name, frame, options.conc_unit, None, ())
    mapped = map_long_table(frame, source=name, **mapping)
    notes = tuple(f"column not carried: {d}" for d in mapped.dropped)
    metadata = mapped.metadata if len(mapped.metadata.columns) > 1 else None
    return CurveTable(name, mapped.frame, options.conc_unit, metadata, notes)


@dataclass(frozen=True)
class Options:
    """Settings of a batch fit."""

    model: Literal[
        "4pl",
        "3pl",
        "5pl",
        "one_site_competition",
        "4pl_stim",
        "3pl_stim",
        "5pl_stim",
        "4pl_lin",
        "3pl_lin",
        "5pl_lin",
        "4pl_stim_lin",
        "3pl_stim_lin",
        "5pl_stim_lin",
        "emax",
        "w1_4",
        "w2_4",
        "ll2_4",
        "bc_5",
    ] = option("Curve model fitted to every curve (see docs/fitting.md).", default="4pl")
    conc_unit: str = option(
        "Unit of the concentration column, e.g. nM (a 'unit' column in the file wins).",
        default="M",
    )
    fix: tuple[tuple[str, float], ...] = option(
        "Hold a parameter at a value for every curve, NAME=VALUE (model scale: hill is positive "
        "for a falling curve, log10_ic50 in log10 mol/L).",
        default=(),
        item=parse_fixed,
        example="hill=1",
    )
    ed: str = option(
        "Effective doses to report besides the IC50, as R drc's ED: levels separated by commas "
        "(relative: % of the effect between the plateaus; absolute: response values).",
        default="",
        example="10,50,90",
    )
    ed_type: Literal["relative", "absolute"] = option(
        "Whether the --ed levels are % of the effect (relative) or response values (absolute).",
        default="relative",
    )
    layout: Literal["long", "prism"] = option(
        "The file's layout: long (one row per point; columns named by --id-col, --conc-col, "
        "--response-col or found by name) or prism (a GraphPad Prism XY table: X, then each "
        "compound's replicate Y columns side by side).",
        default="long",
    )
    id_col: str = option("Long layout: the column naming each curve.", default="")
    conc_col: str = option("Long layout: the concentration column.", default="")
    response_col: str = option("Long layout: the response column.", default="")
    x_scale: Literal["auto", "linear", "log10"] = option(
        "Prism layout: X as concentrations or log10 concentrations (auto: log10 when the X "
        "header says log).",
        default="auto",
    )
    covariance: Literal["jtj", "hessian"] = option(
        "Standard errors from Gauss-Newton's J'J (Prism, curve_fit) or the observed "
        "information (hessian: R drc's).",
        default="jtj",
    )
    normalised: bool = option(
        "Responses are % of control (0 and 100 the assay window): flag overshoot beyond it and "
        "curves spanning less than 60 % points as incomplete (docs/fitting.md).",
        default=False,
    )
    bound: tuple[tuple[str, float, float], ...] = option(
        "Keep a parameter within LOW:HIGH for every curve, NAME=LOW:HIGH (a side may be empty).",
        default=(),
        item=parse_bound,
        example="top=90:110",
    )


def _open(v: float) -> float | None:
    return v if math.isfinite(v) else None


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Read the long table, fit every curve (in chunks, reporting progress; on the Dask
    cluster of :func:`batch_scheduler` when one is set), one row each."""
    from cxcr4lab.fit import get_model
    from cxcr4lab.fit.batch import fit_table
    from cxcr4lab.fit.batch_result import BatchFitResult
    from cxcr4lab.fit.effective_dose import supports_ed
    from cxcr4lab.fit.flags import FitThresholds

    model = get_model(options.model)
    fixed, bounds = constraints(model, options.fix, options.bound)
    curves = read_curve_table(inputs, options)
    name, df = curves.name, curves.frame
    n_curves = int(df["curve_id"].nunique()) if "curve_id" in df.columns else 0
    chunk = BOUNDED_CHUNK if bounds else CHUNK
    done = 0
    label = f"Fitting {n_curves:,} curves"

    def advance(n: int) -> None:
        nonlocal done
        done += n
        report_progress(label, done, n_curves)

    if n_curves > chunk:
        report_progress(label, 0, n_curves)
    table = fit_table(
        df,
        model,
        conc_unit=curves.unit,
        file=name,
        chunk_size=chunk,
        on_chunk=advance if n_curves > chunk else None,
        fixed=fixed,
        bounds=bounds,
        thresholds=FitThresholds(normalised=options.normalised),
        inference=True,
        ed=ed_levels(options.ed) if supports_ed(model) else (),
        ed_type=options.ed_type,
        covariance=options.covariance,
        scheduler=batch_scheduler(),
    )
    result = BatchFitResult.from_table(
        table,
        source=name,
        model=model.name,
        unit="per curve" if "unit" in df.columns else curves.unit,
        fixed=tuple(fixed.items()),
        bounds=tuple((n, lo, hi) for n, (lo, hi) in bounds.items()),
        meta=None
        if curves.metadata is None
        else {c: curves.metadata[c].tolist() for c in curves.metadata.columns if c != "curve_id"},
        notes=curves.notes,
    )
    parameters = {
        "model": model.name,
        "conc_unit": options.conc_unit,
        "fixed": fixed,
        "bounds": {n: [_open(lo), _open(hi)] for n, (lo, hi) in bounds.items()},
        "normalised": options.normalised,
        "ed": list(ed_levels(options.ed)),
        "ed_type": options.ed_type,
        "layout": options.layout,
        "covariance": options.covariance,
        "columns": {
            k: v
            for k, v in (
                ("id", options.id_col),
                ("conc", options.conc_col),
                ("response", options.response_col),
            )
            if v
        },
    }
    return Outcome(result, parameters, f"Curve fits {name} ({model.name})")


def _table_file(result: Any, suffix: str) -> str | bytes:
    from cxcr4lab.core.export import table_file

    return table_file(result.table(), suffix, sheet="fits")


_NOTE = (
    "Batch fit example: 20 SIMULATED 4PL curves, 8 concentrations each, from the truth stated "
    "in examples/fit/README.md (three of them flat)."
)

KIND = AnalysisKind(
    name="fit",
    label="Fit every curve of a long table at once (batched Levenberg-Marquardt)",
    inputs=(
        InputSpec(
            "curves",
            "table of curves: long (curve_id, concentration, response; optional weight, unit; "
            "other columns carried) or a Prism XY table (--layout prism)",
            ("csv", "tsv", "txt", "xlsx"),
            "curves",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.fit:print_result",
    result="cxcr4lab.fit.batch_result:BatchFitResult",
    plots="cxcr4lab.web.plots.fit:figures",
    examples=(
        Example(
            "Batch fit of 20 curves (simulated)",
            "fit",
            {"curves": "curves.csv"},
            {"model": "4pl", "conc_unit": "nM"},
            _NOTE,
        ),
        Example(
            "Batch fit of 20 curves, bottom fixed at 0 and Hill slope at 1 (simulated)",
            "fit",
            {"curves": "curves.csv"},
            {"model": "4pl", "conc_unit": "nM", "fix": "bottom=0; hill=1"},
            _NOTE,
        ),
    ),
    command=("fit",),
    docs="docs/fit_batch.md",
    batch=True,
    outputs=(
        OutputSpec(
            "out",
            "Also write one row per curve to this file: .csv, .tsv, .xlsx or .parquet (by its "
            "suffix; formula-like cells escaped).",
            "--out",
            _table_file,
            by_suffix=True,
        ),
        OutputSpec(
            "plots",
            "Also draw every curve into this folder: curves/<id>.png (data, fit, 95% band, "
            "flags), index.html and contact_sheet.pdf (thumbnails grouped by flag).",
            "--plots",
            "cxcr4lab.report.curve_plots:fit_plot_files",
            folder=True,
            with_inputs=True,
        ),
    ),
)
