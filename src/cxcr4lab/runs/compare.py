"""The ``compare`` kind: do curves differ in one parameter? (``cxcr4lab compare CURVES.csv``).

The curves of a long table are fitted with the parameter shared and with one value per curve;
the extra-sum-of-squares F test, per-curve estimates with CIs, differences from a reference
curve and the fold shift of the IC50 with its delta-method CI
(:func:`~cxcr4lab.fit.comparison.compare_curves`, as R drc's ``compParm``/``EDcomp``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option
from cxcr4lab.runs.fit import parse_fixed

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Settings of a curve comparison."""

    model: Literal[
        "4pl", "3pl", "5pl", "one_site_competition", "4pl_stim", "3pl_stim", "5pl_stim"
    ] = option("Curve model fitted to every curve (see docs/fitting.md).", default="4pl")
    param: Literal["ic50", "hill", "top", "bottom"] = option(
        "The parameter compared: one shared value vs one per curve (ic50: the potency, "
        "log10 IC50 or EC50).",
        default="ic50",
    )
    reference: str | None = option(
        "Curve id the others are compared with (fold shift, difference); default: the first "
        "curve of the file.",
        default=None,
    )
    conc_unit: str = option(
        "Unit of the concentration column, e.g. nM (a 'unit' column in the file wins; the "
        "IC50s are then in mol/L).",
        default="M",
    )
    fix: tuple[tuple[str, float], ...] = option(
        "Hold a parameter at a value for every curve, NAME=VALUE (model scale: hill is positive "
        "for a falling curve).",
        default=(),
        item=parse_fixed,
        example="hill=1",
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Read the long table; fit shared vs separate; F test, estimates, fold shifts."""
    from cxcr4lab.fit import get_model
    from cxcr4lab.fit.comparison import compare_curves
    from cxcr4lab.runs.fit import constraints, read_curves

    model = get_model(options.model)
    fixed, _ = constraints(model, options.fix)
    name, df = read_curves(inputs, options.conc_unit)
    result = compare_curves(
        df,
        model,
        options.param,
        reference=options.reference,
        conc_unit=options.conc_unit,
        fixed=fixed,
        file=name,
    )
    parameters = {
        "model": model.name,
        "param": options.param,
        "reference": result.reference,
        "conc_unit": options.conc_unit,
        "fixed": fixed,
    }
    return Outcome(result, parameters, f"Compare {options.param}: {name} ({model.name})")


_NOTE = (
    "Curve comparison example: three SIMULATED compounds in duplicate, cmpd-B with a 3-fold "
    "higher IC50 than cmpd-A and cmpd-C (the truth is in examples/compare/README.md)."
)

KIND = AnalysisKind(
    name="compare",
    label="Compare curves: one shared parameter or one per curve (F test, fold shift of IC50)",
    inputs=(
        InputSpec(
            "curves",
            "long CSV of curves: curve_id, concentration, response (optional weight, unit)",
            ("csv",),
            "curves",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.compare:print_result",
    result="cxcr4lab.fit.comparison:CurveComparison",
    plots="cxcr4lab.web.plots.compare:figures",
    examples=(
        Example(
            "Compare IC50s of three curves, one 3-fold shifted (simulated)",
            "compare",
            {"curves": "curves.csv"},
            {"model": "4pl", "param": "ic50", "reference": "cmpd-A", "conc_unit": "nM"},
            _NOTE,
        ),
    ),
    command=("compare",),
    docs="docs/compare.md",
)
