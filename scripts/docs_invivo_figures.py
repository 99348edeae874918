"""Draw the report figures of the bundled in-vivo example (SIMULATED) into ``docs/img/``.

Run: ``./run python scripts/docs_invivo_figures.py``. The pictures are the report section's own
(``cxcr4lab.report.sections.invivo``), drawn from the ``invivo`` kind's result on
``examples/invivo`` with the example's options, so the docs page shows what a user gets.
"""

from __future__ import annotations

from pathlib import Path

from cxcr4lab.report.sections import invivo as section
from cxcr4lab.runs import KINDS, example_inputs
from cxcr4lab.runs._options import parse_options

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"


def main() -> None:
    kind = KINDS["invivo"]
    (example,) = kind.examples
    options = parse_options(kind.options, example.options)
    result = kind.run(example_inputs(example), options).result
    colours = section.group_colours(section.study_groups(result.table), result.efficacy.control)
    assert result.growth is not None and result.endpoints is not None
    assert result.translation is not None and result.endpoint_table is not None
    tte = result.efficacy.time_to_endpoint
    assert tte is not None
    figures = {
        "burden": section.burden_figure(result),
        "waterfall": section.waterfall_figure(result),
        "growth": section.growth_figure(result.growth, colours),
        "kaplan_meier": section.kaplan_meier_figure(tte, colours),
        "synergy": section.synergy_figure(result.synergy),
        "tgi_model": section.tgi_model_figure(result),
        "endpoints": section.endpoint_values_figure(
            result.endpoints, section.endpoint_values(result), result.table, colours
        ),
        "forest": section.forest_figure(result.endpoints),
        "occupancy": section.occupancy_figure(result.translation),
    }
    for name, fig in figures.items():
        if fig is None:
            continue
        path = OUT / f"invivo_{name}.png"
        fig.savefig(path, dpi=96)
        print(path)
    assert result.tgi is not None and result.tgi_combination is not None
    print(result.tgi.summary().to_string())
    for d in result.tgi.drugs:
        print(d.name, "C_T (mg/L)", result.tgi.threshold_concentration(d.name))
    print(result.tgi_combination.summary().to_string())
    c = result.tgi_combination
    print("gamma", c.gamma, c.gamma_ci, c.gamma_p, c.verdict)


if __name__ == "__main__":
    main()
