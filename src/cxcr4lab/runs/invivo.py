"""The ``invivo`` kind: an in-vivo tumour study (``cxcr4lab invivo STUDY.csv --design DESIGN.toml``).

Inputs: the tidy animal table (``animal_id, group, day`` and any of ``length_mm, width_mm,
volume_mm3, total_flux_p_s, body_weight_g, status, reason``; CSV, TSV or xlsx) or a Living Image
ROI export (``--living-image``), the study design TOML (groups, doses, routes, schedules,
control, humane endpoints) and optional endpoint tables (serum markers, tissue scores:
``animal_id, group, marker, value, unit``) and stored ELISA analyses by id (``--elisa 12``;
their samples named by animal id). The result
(:class:`~cxcr4lab.studies.invivo.InvivoStudyResult`) holds efficacy (TGI, T/C, comparisons,
time to endpoint, AUC), the mixed growth model, SynergyLMM's in-vivo synergy, endpoint
comparisons, the Simeoni TGI model and the mouse-to-human translation; ``--out DIR`` writes
``summary.csv``, ``growth.csv``, ``synergy.csv``, ``tgi_model.csv`` and ``tgi_combination.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.runs._kind import (
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    OutputSpec,
    StoredSpec,
    stored_ids,
    stored_results,
)
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]

TABLE_FORMATS = ("csv", "tsv", "txt", "xlsx")


@dataclass(frozen=True)
class Options:
    """Settings of an in-vivo study analysis; days are study days."""

    burden: Literal["auto", "volume", "flux"] = option(
        "Tumour burden: volume (calipers), flux (BLI), or auto (BLI when calipers start late).",
        default="auto",
    )
    day: float | None = option(
        "Day of the group comparisons (empty: the last day with every group).",
        default=None,
        unit="d",
        ge=0,
    )
    adjustment: Literal["dunnett", "holm"] = option(
        "Multiplicity adjustment of the comparisons with the control.", default="dunnett"
    )
    control: str = option("Control group (empty: the design's).", default="")
    endpoint_volume: float | None = option(
        "Tumour volume that ends an animal's time to endpoint.", default=None, unit="mm^3", gt=0
    )
    endpoint_flux: float | None = option(
        "BLI total flux that ends an animal's time to endpoint.", default=None, unit="p/s", gt=0
    )
    robust: bool = option("Robust (CR2) standard errors for the in-vivo synergy.", default=True)
    living_image: bool = option(
        "The study file is a Living Image ROI export (total flux per animal and day).",
        default=False,
    )
    tgi_model: bool = option(
        "Fit the Simeoni TGI model (driven by each drug's mouse PK) and predict the combination.",
        default=True,
    )
    tgi_k1: float | None = option(
        "Hold the TGI model's death rate k1 at this value (empty: estimate it).",
        default=None,
        unit="1/day",
        gt=0,
    )
    elisa: tuple[int, ...] = option(
        "Stored ELISA analyses (ids) whose samples, named by animal id, are serum-marker "
        "endpoints.",
        default=(),
        item=lambda text: stored_ids(text, "elisa")[0],
        example="12",
    )
    missing_baseline: Literal["error", "exclude"] = option(
        "An animal without a baseline: refuse the table, or exclude the animal (noted).",
        default="error",
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Read the study (and its design and endpoints) and analyse it."""
    from cxcr4lab.preclinical.endpoints import merge_endpoints, read_endpoints
    from cxcr4lab.preclinical.study import read_animal_table, read_design, read_living_image
    from cxcr4lab.studies.invivo import analyse_study

    design = None
    if "design" in inputs:
        name, content = inputs["design"]
        design = read_design(content, name)
    name, content = inputs["study"]
    settings: dict[str, Any] = {
        "design": design,
        "missing_baseline": options.missing_baseline,
        "burden": options.burden,
    }
    if options.living_image:
        table = read_living_image(content, name).animal_table(**settings)
    else:
        table = read_animal_table(content, name, **settings)
    if options.control.strip():
        from dataclasses import replace

        table = replace(table, control=options.control.strip())
    tables = []
    if "endpoints" in inputs:
        ename, econtent = inputs["endpoints"]
        tables.append(read_endpoints(econtent, ename))
    if options.elisa:
        from cxcr4lab.assays.elisa import ElisaResult
        from cxcr4lab.studies.invivo import endpoints_from_elisa

        plates = [
            (i, ElisaResult.from_dict(d)) for i, d in stored_results(inputs, "elisa", options.elisa)
        ]
        tables.append(endpoints_from_elisa(plates, table))
    endpoints = merge_endpoints(tables) if tables else None
    result = analyse_study(
        table,
        endpoints=endpoints,
        day=options.day,
        adjustment=options.adjustment,
        robust=options.robust,
        endpoint_volume_mm3=options.endpoint_volume,
        endpoint_flux_p_s=options.endpoint_flux,
        tgi_model=options.tgi_model,
        tgi_k1=options.tgi_k1,
    )
    parameters = {
        "burden": result.burden,
        "day": options.day,
        "adjustment": options.adjustment,
        "control": table.control,
        "robust": options.robust,
        "endpoint_volume_mm3": options.endpoint_volume,
        "endpoint_flux_p_s": options.endpoint_flux,
        "living_image": options.living_image,
        "missing_baseline": options.missing_baseline,
        "tgi_model": options.tgi_model,
        "tgi_k1_per_day": options.tgi_k1,
        "elisa_analyses": list(options.elisa),
    }
    title = design.name if design is not None and design.name else f"In-vivo study {name}"
    return Outcome(result, parameters, title)


def _out_files(result: Any) -> dict[str, str]:
    """``summary.csv``, ``growth.csv`` and ``synergy.csv`` (formula-escaped)."""
    from cxcr4lab.core.export import safe_csv

    files = {"summary.csv": safe_csv(result.summary())}
    if result.growth is not None:
        files["growth.csv"] = safe_csv(result.growth.summary())
    files["synergy.csv"] = safe_csv(result.synergy_table())
    if result.tgi is not None:
        files["tgi_model.csv"] = safe_csv(result.tgi.summary())
    if result.tgi_combination is not None:
        files["tgi_combination.csv"] = safe_csv(result.tgi_combination.summary())
    return files


KIND = AnalysisKind(
    name="invivo",
    label="In-vivo tumour study: TGI, T/C, growth model, in-vivo synergy, endpoints, translation",
    inputs=(
        InputSpec(
            "study",
            "animal table (animal_id, group, day, calipers/BLI/body weight) or a Living Image "
            "ROI export",
            TABLE_FORMATS,
            "study",
        ),
        InputSpec(
            "design",
            "study design TOML (groups, doses, routes, schedules, control, humane endpoints)",
            ("toml",),
            "design",
            required=False,
            flag="--design",
            short="-d",
        ),
        InputSpec(
            "endpoints",
            "endpoint table (animal_id, group, marker, value, unit): serum markers, tissue scores",
            TABLE_FORMATS,
            "endpoints",
            required=False,
            flag="--endpoints",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.invivo:print_result",
    result="cxcr4lab.studies.invivo:InvivoStudyResult",
    plots="cxcr4lab.web.plots.invivo:figures",
    examples=(
        Example(
            "PC-3-luc intratibial study, balixafortide + docetaxel (simulated)",
            "invivo",
            {"study": "study.csv", "design": "design.toml", "endpoints": "endpoints.csv"},
            {"endpoint_flux": "5e8", "tgi_k1": "1"},
            "PC-3-luc intratibial bone-metastasis study in SCID mice: SIMULATED from a stated "
            "truth (examples/invivo/README.md), 4 arms x 10 mice, weekly BLI, one dropout, "
            "day-29 serum and tissue endpoints; not study data.",
        ),
    ),
    stored=(StoredSpec("elisa", "elisa", "elisa result"),),
    command=("invivo",),
    docs="docs/invivo.md",
    outputs=(
        OutputSpec(
            "out",
            "Also write summary.csv, growth.csv, synergy.csv and the TGI model's tables into this "
            "folder.",
            "--out",
            _out_files,
            folder=True,
        ),
    ),
)
