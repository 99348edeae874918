"""In-vivo studies (domain layer, rank 3): tumour burden, efficacy statistics, growth models,
in-vivo synergy, endpoint biomarkers, animal PK and tumour-growth inhibition models.

* :mod:`.study`: the animal table (calipers, BLI, body weight, fates), the study design TOML,
  Living Image ROI exports; derived measures (caliper volume, RTV, log10 flux, humane endpoints).
* :mod:`.efficacy`: TGI (both conventions), T/C with the NCI criterion, per-day comparisons,
  time to endpoint (Kaplan-Meier, log-rank), AUC-based comparison.
* :mod:`.endpoints`: serum markers and tissue scores compared across arms (Holm or Dunnett).
* :mod:`.growth`: log-scale linear mixed models of growth (rates, doubling times, contrasts).
* :mod:`.invivo_synergy`: SynergyLMM's exponential-growth model and time-resolved Bliss, HSA
  and RA synergy with robust (CR2) standard errors.
* :mod:`.translation`: mouse and rat PK of balixafortide, mouse docetaxel, exposure courses.
* :mod:`.tgi_model`: the Simeoni tumour-growth-inhibition model, fitted, and its combination.

The mouse-to-human comparison needs ``pkpd`` too and lives in
:mod:`cxcr4lab.studies.invivo_translation`.
"""

from cxcr4lab.preclinical.efficacy import (
    EfficacyResult,
    TgiResult,
    TimeToEndpoint,
    analyse_efficacy,
    auc_comparison,
    compare_groups,
    tgi,
    time_to_endpoint,
)
from cxcr4lab.preclinical.endpoints import (
    EndpointComparison,
    EndpointTable,
    compare_endpoints,
    read_endpoints,
)
from cxcr4lab.preclinical.growth import GrowthModelResult, fit_growth
from cxcr4lab.preclinical.invivo_synergy import (
    ExponentialGrowthFit,
    InvivoSynergyResult,
    fit_exponential_growth,
    invivo_synergies,
    invivo_synergy,
)
from cxcr4lab.preclinical.study import (
    AnimalTable,
    StudyDesign,
    build_animal_table,
    read_animal_table,
    read_design,
    read_living_image,
)
from cxcr4lab.preclinical.tgi_model import TgiFit, compare_combination, fit_tgi
from cxcr4lab.preclinical.translation import ExposureCourse, SpeciesPk, simulate_exposure

__all__ = [
    "AnimalTable",
    "EfficacyResult",
    "EndpointComparison",
    "EndpointTable",
    "ExponentialGrowthFit",
    "ExposureCourse",
    "GrowthModelResult",
    "InvivoSynergyResult",
    "SpeciesPk",
    "StudyDesign",
    "TgiFit",
    "TgiResult",
    "TimeToEndpoint",
    "analyse_efficacy",
    "auc_comparison",
    "build_animal_table",
    "compare_combination",
    "compare_endpoints",
    "compare_groups",
    "fit_exponential_growth",
    "fit_growth",
    "fit_tgi",
    "invivo_synergies",
    "invivo_synergy",
    "read_animal_table",
    "read_design",
    "read_endpoints",
    "read_living_image",
    "simulate_exposure",
    "tgi",
    "time_to_endpoint",
]
