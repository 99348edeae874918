"""The ``mobilization`` kind (``cxcr4lab simulate mobilization``): peak CD34+ against
balixafortide dose (Karpova 2017), fitted, and the apheresis yield it predicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """The fixed baseline, the apheresis settings and the donor."""

    baseline: float = option("Fixed CD34+ baseline E0.", default=2.0, unit="cells/µL", ge=0)
    efficiency: float = option("CD34+ collection efficiency (0-1].", default=0.5, gt=0, le=1)
    volumes: float = option("Blood volumes processed in one apheresis.", default=4.0, gt=0)
    target_per_kg: float = option("CD34+ cells/kg to collect.", default=4e6, gt=0)
    donor_cv: float = option("Between-donor CV of the peak.", default=35.0, unit="%", ge=0)
    weight: float = option("Donor weight.", default=70.0, unit="kg", gt=0)


_FIELD = {
    "efficiency": "efficiency",
    "blood_volumes_processed": "volumes",
    "target_per_kg": "target_per_kg",
    "donor_cv_percent": "donor_cv",
    "baseline": "baseline",
    "weight_kg": "weight",
}
"""Fields named by the fit and its settings -> options."""


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Fit the Karpova 2017 dose-response with the baseline fixed; predict the yield."""
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.pkpd.mobilization import ApheresisSettings, fit_mobilization

    try:
        settings = ApheresisSettings(
            blood_volumes_processed=options.volumes,
            efficiency=options.efficiency,
            target_per_kg=options.target_per_kg,
            donor_cv_percent=options.donor_cv,
        )
        result = fit_mobilization(
            baseline=options.baseline, settings=settings, weight_kg=options.weight
        )
    except InputError as exc:
        field = exc.place.field or ""
        raise type(exc)(exc.message, field=_FIELD.get(field, field)) from None
    parameters = {
        "baseline": options.baseline,
        "settings": result.to_dict()["settings"],
        "weight_kg": options.weight,
    }
    title = "CD34+ mobilization dose-response and apheresis yield (Karpova 2017)"
    return Outcome(result, parameters, title)


KIND = AnalysisKind(
    name="mobilization",
    label="Fit peak CD34+ vs balixafortide dose (Karpova 2017) and predict apheresis yield",
    inputs=(),
    options=Options,
    run=run,
    view="cxcr4lab.commands.mobilization:print_result",
    result="cxcr4lab.pkpd.mobilization:MobilizationResult",
    plots="cxcr4lab.web.plots.mobilization:figures",
    examples=(
        Example(
            "CD34+ mobilization dose-response and apheresis yield (Karpova 2017)",
            "",
            {},
            {},
            "CD34+ mobilization: public dose-response data (peak CD34+ by balixafortide dose, "
            "Karpova et al., J Transl Med 2017) with the baseline fixed at 2/µL; the apheresis "
            "yield is a prediction under assumed collection settings.",
        ),
    ),
    command=("simulate", "mobilization"),
    docs="docs/pkpd.md",
)
