"""The plate assays the web app analyses: each one's form fields, defaults and analysis.

Every assay kind with a plate (or plate-like) export and a wellmap layout is here, analysed by
the same functions as ``cxcr4lab analyze <kind>`` (so a plate gives the same result from either):
binding, arrestin, calcium, chemotaxis, viability, elisa. The other kinds (tables without a
layout: western, ihc, occupancy, cd34, bioanalysis, clinical) are stored with the CLI and shown
by the web app when filed under a project (``--project``).

Options arrive as form text; an empty field means the assay's default. A bad option is an
:class:`~cxcr4lab.core.errors.InputError` naming the form field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from cxcr4lab.core.errors import InputError
from cxcr4lab.store import InputBlob

__all__ = [
    "PLATE_ASSAYS",
    "Analysed",
    "AssayOptions",
    "PlateAssay",
    "Readout",
    "UploadKind",
    "analyse_upload",
]

UploadKind = Literal["binding", "arrestin", "calcium", "chemotaxis", "viability", "elisa"]
"""The assay kinds that can be uploaded (the ``kind`` field of the form and the API)."""

Readout = Literal["", "peak", "auc", "counts", "absorbance", "fluorescence"]
"""``readout``: calcium peak/auc (default peak); chemotaxis counts/absorbance/fluorescence."""

FilePair = tuple[str, bytes]


@dataclass(frozen=True)
class AssayOptions:
    """The assay-specific fields of an upload, as sent (text; empty means the default).

    Concentrations carry their unit (``"0.1 nM"``, ``"100 ng/mL"``); times are s or h as named.
    """

    radioligand_conc: str = "0.1 nM"
    kd: str = "0.5 nM"
    agonist_conc: str = ""
    agonist_ec50: str = ""
    agonist_hill: float = 1.0
    saturation: float | None = None
    injection_s: float | None = None
    window_s: float | None = None
    readout: str = ""
    standard_model: str = "linear"
    cell_line: str = ""
    exposure_h: float | None = None
    model: str = "auto"
    weighting: str = "none"


@dataclass(frozen=True)
class Analysed:
    """An analysed upload, ready to save: result, input files, parameters, default title."""

    result: Any
    inputs: tuple[InputBlob, ...]
    parameters: dict[str, Any]
    title: str


Runner = Callable[[FilePair, FilePair, AssayOptions, str | None], Analysed]


@dataclass(frozen=True)
class PlateAssay:
    """One uploadable assay: what its files are, which option fields it reads, how it runs."""

    kind: str
    label: str
    data_help: str
    layout_help: str
    fields: tuple[str, ...]
    run: Runner
    example: str = ""
    """The bundled SIMULATED example (in ``cxcr4lab/examples/<kind>/``) and its settings."""


# --- option parsing -------------------------------------------------------------------------------


def _molar(text: str, field: str, *, mw: float | None = None) -> float:
    """A concentration field in mol/L; any error names the form field (never a Python one)."""
    from cxcr4lab.commands._shared import conc
    from cxcr4lab.core.errors import quote

    try:
        return conc(text, field, mw_g_per_mol=mw)
    except InputError as exc:
        raise InputError(exc.message, field=field) from None
    except (ArithmeticError, ValueError, TypeError, RecursionError):
        raise InputError(f"{quote(text)} is not a concentration", field=field) from None


def _conc(text: str, field: str, *, mw: float | None = None) -> float | None:
    """A concentration field in mol/L (None if empty)."""
    return _molar(text, field, mw=mw) if text.strip() else None


def _agonist(text: str, field: str) -> float | None:
    """A CXCL12 concentration in mol/L (mass units converted with its MW), None if empty."""
    from cxcr4lab.workflows import compound_mw

    return _conc(text, field, mw=compound_mw("CXCL12"))


def _choice(value: str, field: str, allowed: tuple[str, ...], default: str | None) -> str:
    chosen = value.strip() or default
    if chosen is None:
        raise InputError(f"is needed for this assay: one of {', '.join(allowed)}", field=field)
    if chosen not in allowed:
        from cxcr4lab.core.errors import quote

        raise InputError(f"must be one of {', '.join(allowed)}, got {quote(chosen)}", field=field)
    return chosen


def _plate_settings(o: AssayOptions, *, saturation: float | None = None) -> Any:
    """The shared inhibition-plate settings; ``saturation`` is the assay's default ceiling."""
    from cxcr4lab.assays.inhibition import PlateSettings

    return PlateSettings(
        agonist_molar=_agonist(o.agonist_conc, "agonist_conc"),
        agonist_ec50_molar=_agonist(o.agonist_ec50, "agonist_ec50"),
        agonist_hill=o.agonist_hill,
        saturation=saturation if o.saturation is None else o.saturation,
    )


def _blobs(inputs: tuple[Any, ...]) -> tuple[InputBlob, ...]:
    return tuple(b if isinstance(b, InputBlob) else InputBlob(*b) for b in inputs)


# --- one runner per assay -------------------------------------------------------------------------


def _registry(kind: str, fields: Callable[[AssayOptions], dict[str, object]]) -> Runner:
    """The runner of a kind moved to :data:`cxcr4lab.runs.KINDS`: the form's fields become the
    kind's options (so the upload gives what ``/api/runs/<kind>`` and the CLI give)."""

    def run(plate: FilePair, layout: FilePair, o: AssayOptions, block: str | None) -> Analysed:
        from cxcr4lab.runs import KINDS, input_blobs, option_specs, run_kind

        declared = KINDS[kind]
        files = {declared.inputs[0].name: plate, "layout": layout}
        raw = fields(o)
        if block:
            if "block" not in {s.name for s in option_specs(declared.options)}:
                raise InputError("this export holds one plate; leave it empty", field="block")
            raw["block"] = block
        outcome = run_kind(kind, files, raw)
        blobs = tuple(input_blobs(declared, files))
        return Analysed(outcome.result, blobs, dict(outcome.parameters), outcome.title)

    return run


def _agonist_fields(o: AssayOptions) -> dict[str, object]:
    return {
        "agonist_conc": o.agonist_conc,
        "agonist_ec50": o.agonist_ec50,
        "agonist_hill": o.agonist_hill,
        "saturation": o.saturation,
    }


_binding = _registry(
    "binding",
    lambda o: {"radioligand_conc": o.radioligand_conc or "0.1 nM", "kd": o.kd or "0.5 nM"},
)
_arrestin = _registry("arrestin", _agonist_fields)
_calcium = _registry(
    "calcium",
    lambda o: {
        **_agonist_fields(o),
        "injection": o.injection_s,
        "readout": o.readout,
        "window": o.window_s,
    },
)
_elisa = _registry("elisa", lambda o: {"model": o.model, "weighting": o.weighting})


def _chemotaxis(plate: FilePair, layout: FilePair, o: AssayOptions, block: str | None) -> Analysed:
    from cxcr4lab.assays.chemotaxis import ChemotaxisSettings
    from cxcr4lab.commands.chemotaxis import _parameters, analyse_files

    readout = _choice(o.readout, "readout", ("counts", "absorbance", "fluorescence"), None)
    settings = ChemotaxisSettings(
        plate=_plate_settings(o),
        readout=readout,  # type: ignore[arg-type]
        standard_model=_choice(o.standard_model, "standard_model", ("linear", "4pl"), "linear"),  # type: ignore[arg-type]
        cell_line=o.cell_line.strip(),
    )
    result, inputs = analyse_files(plate, layout, settings, block=block)
    return Analysed(result, _blobs(inputs), _parameters(result), f"Chemotaxis {result.source}")


def _viability(plate: FilePair, layout: FilePair, o: AssayOptions, block: str | None) -> Analysed:
    from cxcr4lab.assays.viability import ViabilitySettings
    from cxcr4lab.commands.viability import EXAMPLE_SATURATION, _parameters, analyse_files

    settings = ViabilitySettings(
        plate=_plate_settings(o, saturation=EXAMPLE_SATURATION),
        cell_line=o.cell_line.strip(),
        exposure_h=o.exposure_h,
    )
    result, inputs = analyse_files(plate, layout, settings, block=block)
    return Analysed(result, _blobs(inputs), _parameters(result), f"MTT viability {result.plate}")


_AGONIST = ("agonist_conc", "agonist_ec50", "agonist_hill", "saturation")
PLATE_ASSAYS: dict[str, PlateAssay] = {
    a.kind: a
    for a in (
        PlateAssay(
            "binding",
            "Competitive radioligand binding (IC50, Ki)",
            "plate export of counts: plate-grid CSV, long CSV or xlsx",
            "roles total, nsb, sample",
            ("radioligand_conc", "kd"),
            _binding,
            "plate96_run1.csv with layout96.toml ([L] 0.1 nM, Kd 0.5 nM, the defaults)",
        ),
        PlateAssay(
            "arrestin",
            "Beta-arrestin recruitment (IC50, Kb)",
            "plate export of luminescence: plate-grid CSV, long CSV or xlsx",
            "roles max, min, sample (agonist for a CXCL12 curve)",
            _AGONIST,
            _arrestin,
            "plate96_run1.csv with layout96.toml (CXCL12 200 ng/mL)",
        ),
        PlateAssay(
            "calcium",
            "Calcium flux, kinetic (IC50, Kb)",
            "kinetic export: time x well, well x time or long (well, time, rfu)",
            "roles max, min/buffer, sample",
            ("injection_s", "readout", "window_s", *_AGONIST),
            _calcium,
            "flipr_run1.csv with layout96.toml (injection 20 s, CXCL12 60 ng/mL)",
        ),
        PlateAssay(
            "chemotaxis",
            "Chemotaxis, Transwell (chemotactic index, IC50)",
            "plate export (absorbance, fluorescence) or a counts table (well, field, count)",
            "roles vehicle, no_agonist, sample (blank, standard)",
            ("readout", "standard_model", "cell_line", "agonist_conc", "saturation"),
            _chemotaxis,
            "crystal_violet_mda231.csv with layout96_crystal_violet.toml (readout absorbance, "
            "CXCL12 100 ng/mL)",
        ),
        PlateAssay(
            "viability",
            "MTT viability (IC50, GI50)",
            "absorbance export: plate-grid CSV, long CSV or xlsx",
            "roles vehicle, blank, sample",
            ("saturation", "cell_line", "exposure_h"),
            _viability,
            "mtt_pc3_48h.csv with layout96.toml (PC-3, 48 h)",
        ),
        PlateAssay(
            "elisa",
            "ELISA (standard curve, unknowns)",
            "plate export of OD: plate-grid CSV, long CSV or xlsx",
            "roles standard (level), blank, unknown (sample, dilution), qc",
            ("model", "weighting"),
            _elisa,
            "trap5b_plate.csv with trap5b_layout.toml (the defaults)",
        ),
    )
}
"""kind -> assay, in the order the upload form lists them."""

if set(get_args(UploadKind)) != set(PLATE_ASSAYS):  # pragma: no cover - a definition error
    raise RuntimeError("UploadKind and PLATE_ASSAYS list different kinds")


def analyse_upload(
    kind: str,
    plate: FilePair,
    layout: FilePair,
    options: AssayOptions | None = None,
    *,
    block: str | None = None,
) -> Analysed:
    """Analyse an uploaded plate (``(name, bytes)``) of assay ``kind`` with its layout."""
    assay = PLATE_ASSAYS.get(kind)
    if assay is None:
        raise InputError(
            f"{kind!r} cannot be uploaded here; use one of {', '.join(PLATE_ASSAYS)}", field="kind"
        )
    return assay.run(plate, layout, options or AssayOptions(), block or None)
