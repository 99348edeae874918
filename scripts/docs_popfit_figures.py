"""Draw the report figures of the bundled population PK example (SIMULATED) into ``docs/img/``.

Run: ``./run python scripts/docs_popfit_figures.py``. The pictures are the report's own
(``cxcr4lab.report.popfit_figures``), drawn from the ``popfit`` kind's result on the phase 1
example (``examples/pk/phase1_pop.csv``) with the example's options, so the docs page shows
what a user gets; the parameter table is printed.
"""

from __future__ import annotations

from pathlib import Path

from cxcr4lab.report.popfit_figures import gof_figure, individual_figure, vpc_figure
from cxcr4lab.runs import KINDS, example_inputs
from cxcr4lab.runs._options import parse_options

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"


def main() -> None:
    kind = KINDS["popfit"]
    example = next(e for e in kind.examples if "phase1_pop.csv" in e.files.values())
    options = parse_options(kind.options, example.options)
    result = kind.run(example_inputs(example), options).result
    figures = {
        "gof": gof_figure(result),
        "individual": individual_figure(result, limit=12),
        "vpc": vpc_figure(result),
    }
    for name, fig in figures.items():
        if fig is None:
            continue
        path = OUT / f"popfit_{name}.png"
        fig.savefig(path, dpi=80)
        print(path)
    print(result.summary().to_string())
    print(result.fit_statistics())
    print(result.diagnostics_summary)


if __name__ == "__main__":
    main()
