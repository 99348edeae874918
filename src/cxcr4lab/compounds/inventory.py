"""Stock inventory: expiry from the registry's storage rules, freeze-thaw limits, net peptide
weight, the solubility table, and the solubility assessment's calibration arithmetic.

Storage rules come from the compound registry (``registry.toml``). For balixafortide they are
the seed's stability tables (seed 001, "Troubleshooting Balixafortide stability and solubility"
and "Handling and Storage"): lyophilised powder at -20 °C is stable for 36 months (the handling
table; the troubleshooting table says only ">= 1 year", kept as the rule's note); a solution at
-80 °C is used within 12 months, at -20 °C within 1 month. :attr:`Expiry.source` names the rule
and the registry it came from, so every expiry shown says which source it used.

Dates are calendar dates (``datetime.date``). A rule of N whole months ends N calendar months
after preparation (day clamped to the month's end: 31 Jan + 1 month = 28 Feb); from that day on
the stock or aliquot is expired (``use within 1 month`` means before the day one month later).

>>> from datetime import date
>>> from cxcr4lab.compounds.registry import load_registry
>>> bal = load_registry().get("balixafortide")
>>> expiry(bal, "solution", -20, date(2026, 1, 31)).expires_on
datetime.date(2026, 2, 28)
>>> w = net_peptide_stock(mw_g_per_mol=1864.1, peptide_content=0.80, concentration="10 mM",
...                       volume="1 mL", salt_form="TFA salt")
>>> round(w.gross_mass_g * 1e3, 2)  # mg of powder to weigh: 18.641 mg peptide / 0.80
23.3
"""

from __future__ import annotations

import calendar
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from cxcr4lab.compounds.registry import Compound, StorageRule
from cxcr4lab.compounds.stock import StockSolution, stock_solution
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.limits import check_size, check_text_table
from cxcr4lab.core.serial import Serial
from cxcr4lab.core.tables import numeric_column, require_columns, require_nonempty
from cxcr4lab.core.units import concentration_unit

__all__ = [
    "DEFAULT_MAX_REFREEZES",
    "FORMS",
    "LIFECYCLE",
    "MAX_SOLUBILITY_CSV_BYTES",
    "TEMPERATURE_TOLERANCE_C",
    "AliquotStatus",
    "Calibration",
    "Expiry",
    "PeptideWeighing",
    "SampleEstimate",
    "SolubilityAssessment",
    "add_months",
    "aliquot_status",
    "assess_solubility",
    "expiry",
    "inventory_block",
    "net_peptide_stock",
    "parse_form",
    "read_inventory_toml",
    "read_solubility_csv",
    "solubility_table",
    "storage_rule",
]

Form = Literal["lyophilised powder", "solution"]
State = Literal["ok", "expired", "over-thawed"]

FORMS: tuple[Form, ...] = ("lyophilised powder", "solution")
"""The forms a stock is kept in (the registry's storage rules name the same forms)."""

LIFECYCLE = ("available", "empty", "discarded")
"""What happened to an aliquot: still in the freezer, used up, or thrown away."""

DEFAULT_MAX_REFREEZES = 1
"""Re-freezes allowed by default: an aliquot may be thawed twice (frozen, thawed, re-frozen
once, thawed again); a third thaw makes it over-thawed. The seed says only "avoid repeated
freeze-thaw cycles"; one re-freeze is this project's default, an option everywhere."""

TEMPERATURE_TOLERANCE_C = 0.5
"""A storage temperature matches a rule's within this many °C (a -70 °C freezer is not -80)."""

MAX_SOLUBILITY_CSV_BYTES = 1_000_000
"""The largest standards-and-samples CSV read (bytes)."""

_FORM_ALIASES: dict[str, Form] = {
    "lyophilised powder": "lyophilised powder",
    "lyophilized powder": "lyophilised powder",
    "lyophilised": "lyophilised powder",
    "lyophilized": "lyophilised powder",
    "powder": "lyophilised powder",
    "solid": "lyophilised powder",
    "solution": "solution",
    "stock solution": "solution",
    "liquid": "solution",
}


def parse_form(text: object, *, place: Place | None = None) -> Form:
    """The form named by ``text`` (``"powder"``, ``"lyophilized"``, ``"solution"``, ...).

    >>> parse_form("Lyophilized powder")
    'lyophilised powder'
    """
    where = place or Place(field="form")
    key = " ".join(str(text).strip().lower().split()) if isinstance(text, str) else None
    found = None if key is None else _FORM_ALIASES.get(key)
    if found is None:
        raise InputError(f"form must be one of {', '.join(FORMS)}; got {quote(text)}", place=where)
    return found


def add_months(start: date, months: float) -> date:
    """``start`` plus ``months`` calendar months (day clamped to the month's end); a fractional
    number of months counts 30.4375 days per month.

    >>> add_months(date(2026, 1, 31), 1), add_months(date(2026, 3, 15), 12)
    (datetime.date(2026, 2, 28), datetime.date(2027, 3, 15))
    """
    if months != int(months):
        return start + timedelta(days=round(months * 30.4375))
    index = start.year * 12 + (start.month - 1) + int(months)
    year, month = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def storage_rule(
    compound: Compound, form: str, temperature_c: float, *, place: Place | None = None
) -> StorageRule:
    """The registry rule for ``compound`` kept as ``form`` at ``temperature_c`` (°C).

    An :class:`InputError` naming ``place`` lists the rules there are when none covers it.
    """
    where = place or Place(field="storage temperature")
    kept = parse_form(form, place=where)
    if isinstance(temperature_c, bool) or not isinstance(temperature_c, int | float):
        raise InputError(f"must be a number of °C, got {quote(temperature_c)}", place=where)
    if not math.isfinite(temperature_c):
        raise InputError(f"must be a finite number of °C, got {temperature_c}", place=where)
    for rule in compound.storage:
        if (
            rule.form == kept
            and abs(rule.temperature_c - float(temperature_c)) <= TEMPERATURE_TOLERANCE_C
        ):
            return rule
    known = "; ".join(r.describe() for r in compound.storage) or "none"
    raise InputError(
        f"no storage rule of {compound.name} covers {kept} at {float(temperature_c):g} °C "
        f"(rules: {known})",
        place=where,
    )


@dataclass(frozen=True)
class Expiry:
    """When a stock or aliquot expires: ``expires_on`` (expired from that day), by ``rule``;
    ``source`` names the rule and the registry it came from."""

    prepared_on: date
    expires_on: date
    rule: StorageRule
    source: str

    def expired(self, on: date) -> bool:
        """Whether it is expired on the date ``on``."""
        return on >= self.expires_on


def expiry(
    compound: Compound,
    form: str,
    temperature_c: float,
    prepared_on: date,
    *,
    origin: str = "registry",
    place: Place | None = None,
) -> Expiry:
    """The expiry of ``compound`` prepared on ``prepared_on`` as ``form`` at ``temperature_c``
    (°C), by the registry's storage rule (:func:`storage_rule`). ``origin`` names the registry
    (:attr:`Registry.origin`) in :attr:`Expiry.source`."""
    rule = storage_rule(compound, form, temperature_c, place=place)
    return Expiry(
        prepared_on=prepared_on,
        expires_on=add_months(prepared_on, rule.months),
        rule=rule,
        source=f"{compound.name}: {rule.describe()}; from {origin}",
    )


@dataclass(frozen=True)
class AliquotStatus:
    """Whether an aliquot may be used on a date: ``state`` ok, expired or over-thawed (expired
    wins when both), every reason in ``reasons``; ``expires_on`` the earlier of its own and its
    stock's expiry; ``thaws`` recorded of ``max_thaws`` allowed."""

    label: str
    state: State
    reasons: tuple[str, ...]
    expires_on: date
    thaws: int
    max_thaws: int
    lifecycle: str = "available"
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    @property
    def reason(self) -> str:
        """The reasons as one line (why it is ok, when it is)."""
        if self.reasons:
            return "; ".join(self.reasons)
        return f"usable until {self.expires_on - timedelta(days=1)}; thawed {self.thaws} of {self.max_thaws} times"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO text)."""
        return {
            "label": self.label,
            "state": self.state,
            "reason": self.reason,
            "reasons": list(self.reasons),
            "expires_on": self.expires_on.isoformat(),
            "thaws": self.thaws,
            "max_thaws": self.max_thaws,
            "lifecycle": self.lifecycle,
            "source": self.source,
        }


def aliquot_status(
    *,
    label: str,
    compound: Compound,
    form: str,
    stock_prepared_on: date,
    stock_temperature_c: float,
    prepared_on: date,
    temperature_c: float,
    thaws: int,
    on: date,
    max_refreezes: int = DEFAULT_MAX_REFREEZES,
    lifecycle: str = "available",
    origin: str = "registry",
) -> AliquotStatus:
    """The status of an aliquot on the date ``on``.

    It expires at the earlier of its own rule (``form`` at ``temperature_c`` from
    ``prepared_on``) and its stock's (at ``stock_temperature_c`` from ``stock_prepared_on``).
    ``thaws`` counts the times it was thawed; it was re-frozen ``thaws - 1`` times, and is
    over-thawed when that exceeds ``max_refreezes``. An empty or discarded aliquot is flagged
    too (its state stays what the dates and thaws say).
    """
    if isinstance(max_refreezes, bool) or not isinstance(max_refreezes, int) or max_refreezes < 0:
        raise InputError(
            f"must be a whole number >= 0, got {quote(max_refreezes)}", field="max_refreezes"
        )
    own = expiry(compound, form, temperature_c, prepared_on, origin=origin)
    stock = expiry(compound, form, stock_temperature_c, stock_prepared_on, origin=origin)
    first = own if own.expires_on <= stock.expires_on else stock
    reasons: list[str] = []
    state: State = "ok"
    if first.expired(on):
        which = "aliquot" if first is own else "stock"
        reasons.append(
            f"expired on {first.expires_on.isoformat()} ({which} prepared "
            f"{first.prepared_on.isoformat()}; {first.rule.describe()})"
        )
        state = "expired"
    max_thaws = max_refreezes + 1
    if thaws > max_thaws:
        reasons.append(
            f"thawed {thaws} times: re-frozen {thaws - 1} times, more than the "
            f"{max_refreezes} allowed"
        )
        if state == "ok":
            state = "over-thawed"
    if lifecycle != "available":
        reasons.append(f"marked {lifecycle}")
    return AliquotStatus(
        label=label,
        state=state,
        reasons=tuple(reasons),
        expires_on=first.expires_on,
        thaws=thaws,
        max_thaws=max_thaws,
        lifecycle=lifecycle,
        source=first.source,
    )


# --- net peptide weight -------------------------------------------------------------------------


@dataclass(frozen=True)
class PeptideWeighing:
    """A stock made from a peptide powder whose net peptide content is ``peptide_content`` (mass
    fraction, 0-1; the rest is counter-ion, e.g. TFA or acetate, and water). ``stock`` holds the
    net (free) peptide quantities; ``gross_mass_g`` (g) is the powder to weigh."""

    stock: StockSolution
    peptide_content: float
    salt_form: str
    gross_mass_g: float

    def describe(self) -> str:
        """One line for the bench."""
        salt = f", {self.salt_form}" if self.salt_form else ""
        net = self.stock.describe().replace("Dissolve ", "", 1)
        return (
            f"Weigh {self.gross_mass_g * 1e3:.4g} mg powder (net peptide content "
            f"{100 * self.peptide_content:.4g} %{salt}) = {net}"
        )

    def summary(self) -> pd.DataFrame:
        """The stock's rows (net peptide) with the gross mass, content and salt form added."""
        base = self.stock.summary()
        extra = pd.DataFrame(
            [
                ("gross_mass_to_weigh", self.gross_mass_g * 1e3, "mg", True),
                ("net_peptide_content", 100 * self.peptide_content, "%", False),
                ("salt_form", self.salt_form or "not stated", "", False),
            ],
            columns=["field", "value", "unit", "solved"],
        )
        return pd.concat([base, extra], ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data in SI units."""
        return {
            **self.stock.to_dict(),
            "peptide_content": self.peptide_content,
            "salt_form": self.salt_form,
            "gross_mass_g": self.gross_mass_g,
        }


def _content(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"must be a fraction, got {quote(value)}", field="peptide_content")
    number = float(value)
    if not (math.isfinite(number) and 0 < number <= 1):
        raise InputError(
            f"must be a fraction in (0, 1] (e.g. 0.8 for 80 %), got {quote(value)}",
            field="peptide_content",
        )
    return number


def net_peptide_stock(
    *,
    mw_g_per_mol: float,
    peptide_content: float,
    concentration: str | float | None = None,
    gross_mass: str | float | None = None,
    volume: str | float | None = None,
    salt_form: str = "",
    solvent: str = "water",
) -> PeptideWeighing:
    """A stock of net peptide: give two of ``concentration`` (of peptide), ``gross_mass`` (powder
    weighed) and ``volume``.

    Mass of powder to weigh = target moles x MW / peptide content, with MW the peptide's (free
    base) molecular weight (g/mol) and ``peptide_content`` the certificate's net peptide content
    (fraction); the net peptide mass is gross mass x content. Computed with
    :func:`~cxcr4lab.compounds.stock.stock_solution` on the net mass.
    """
    content = _content(peptide_content)
    if not isinstance(salt_form, str):
        raise InputError(f"must be text, got {quote(salt_form)}", field="salt_form")
    net_mass: str | float | None = None
    if gross_mass is not None:
        from cxcr4lab.core.units import to_grams

        grams = (
            to_grams(gross_mass, place=Place(field="gross_mass"))
            if isinstance(gross_mass, str)
            else to_grams(float(gross_mass), "g", place=Place(field="gross_mass"))
        )
        net_mass = grams * content
    stock = stock_solution(
        mw_g_per_mol=mw_g_per_mol,
        concentration=concentration,
        mass=net_mass,
        volume=volume,
        solvent=solvent,
    )
    return PeptideWeighing(stock, content, salt_form.strip(), stock.mass_g / content)


# --- solubility ---------------------------------------------------------------------------------


def solubility_table(compound: Compound, *, origin: str = "registry") -> pd.DataFrame:
    """The compound's solubility facts: columns ``solvent``, ``solubility`` (text: ``"100
    mg/mL"``, or the note such as ``"soluble"`` where no number is known, never NaN), ``note``,
    ``source``."""
    rows = []
    for s in compound.solubility:
        if s.mg_per_ml is not None:
            text, note = f"{s.mg_per_ml:g} mg/mL", s.note
        else:
            head, _, rest = s.note.partition(";")
            text, note = (head.strip() or "stated without a number"), rest.strip()
        rows.append((s.solvent, text, note, f"{compound.name}, from {origin}"))
    return pd.DataFrame(rows, columns=["solvent", "solubility", "note", "source"])


@dataclass(frozen=True)
class Calibration(Serial):
    """The standards' straight line, response = intercept + slope x concentration (ordinary
    least squares, :func:`scipy.stats.linregress`); ``sigma`` the residual SD (response units),
    ``x_mean`` and ``sxx`` the standards' mean and sum of squared deviations (conc. units)."""

    intercept: float
    slope: float
    intercept_se: float
    slope_se: float
    sigma: float
    r_squared: float
    n: int
    x_mean: float
    y_mean: float
    sxx: float
    x_min: float
    x_max: float

    @property
    def dof(self) -> int:
        return self.n - 2


@dataclass(frozen=True)
class SampleEstimate(Serial):
    """One supernatant: the mean of ``readings`` responses read off the line (``measured``, in
    the standards' unit), times ``dilution`` gives ``concentration`` in the saturated solution,
    with its ``level`` CI (``lower``, ``upper``; None where the interval is unbounded).
    ``extrapolated``: the measured value lies outside the standards' range."""

    sample: str
    readings: int
    mean_response: float
    dilution: float
    measured: float
    concentration: float
    lower: float | None
    upper: float | None
    extrapolated: bool


@dataclass(frozen=True)
class SolubilityAssessment(Serial):
    """The solubility assessment (seed 001, Protocol 2): saturated supernatants quantified
    against a calibration line; concentrations in ``unit``."""

    kind: ClassVar[str] = "solubility"
    unit: str
    level: float
    calibration: Calibration
    samples: tuple[SampleEstimate, ...]
    source: str = ""

    def summary(self) -> pd.DataFrame:
        """One row per sample; CI columns empty (None) where the interval is unbounded."""
        u = self.unit.replace("µ", "u").replace("μ", "u").replace("/", "_per_").replace(" ", "")
        return pd.DataFrame(
            [
                {
                    "sample": s.sample,
                    "readings": s.readings,
                    "mean_response": s.mean_response,
                    f"measured_{u}": s.measured,
                    "dilution": s.dilution,
                    f"solubility_{u}": s.concentration,
                    f"lower_{u}": s.lower,
                    f"upper_{u}": s.upper,
                    "extrapolated": s.extrapolated,
                }
                for s in self.samples
            ]
        )


def assess_solubility(
    standards_conc: Sequence[float],
    standards_response: Sequence[float],
    samples: Mapping[str, tuple[Sequence[float], float]],
    *,
    unit: str,
    level: float = 0.95,
    source: str = "",
) -> SolubilityAssessment:
    """Saturated-supernatant concentrations from a calibration line.

    The standards (concentration in ``unit``, response) are fitted by ordinary least squares.
    Each sample (name -> (readings of the diluted supernatant, dilution factor)) is read off the
    line, x0 = (mean reading - intercept) / slope, and multiplied by the dilution factor. The CI
    is the inverse-prediction (Fieller) interval: the concentrations whose ``level`` prediction
    interval for the mean of the m readings, intercept + slope x +/- t s sqrt(1/m + 1/n +
    (x - x_mean)^2 / Sxx), holds the mean reading; it is what inverting R's ``predict(lm,
    interval = "prediction", pred.var = sigma^2 / m)`` gives, and is unbounded when the slope is
    not clearly nonzero.
    """
    from scipy import stats

    x = np.asarray(standards_conc, dtype=float)
    y = np.asarray(standards_response, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise InputError("standards need one response per concentration", field="standards")
    if x.size < 3:
        raise InputError(
            f"needs at least 3 standards for a line with a CI, got {x.size}", field="standards"
        )
    if np.unique(x).size < 2:
        raise InputError(
            "the standards need at least two different concentrations", field="standards"
        )
    if not (0 < level < 1):
        raise InputError(f"must be between 0 and 1, got {quote(level)}", field="level")
    fit = stats.linregress(x, y)
    slope, intercept = float(fit.slope), float(fit.intercept)
    n = int(x.size)
    residuals = y - (intercept + slope * x)
    sigma = float(np.sqrt(np.sum(residuals**2) / (n - 2)))
    x_mean, y_mean = float(x.mean()), float(y.mean())
    sxx = float(np.sum((x - x_mean) ** 2))
    if slope == 0 or not math.isfinite(slope):
        raise InputError(
            "the standards' line is flat: no concentration can be read off it", field="standards"
        )
    cal = Calibration(
        intercept=intercept,
        slope=slope,
        intercept_se=float(fit.intercept_stderr),
        slope_se=float(fit.stderr),
        sigma=sigma,
        r_squared=float(fit.rvalue**2),
        n=n,
        x_mean=x_mean,
        y_mean=y_mean,
        sxx=sxx,
        x_min=float(x.min()),
        x_max=float(x.max()),
    )
    t = float(stats.t.ppf(0.5 + level / 2, n - 2))
    estimates = []
    for name, (readings, dilution) in samples.items():
        r = np.asarray(readings, dtype=float)
        if r.size == 0:
            raise InputError("has no readings", field=f"sample {name}")
        if not (math.isfinite(dilution) and dilution >= 1):
            raise InputError(f"dilution must be >= 1, got {dilution:g}", field=f"sample {name}")
        m = int(r.size)
        y0 = float(r.mean())
        x0 = (y0 - intercept) / slope
        lower, upper = _inverse_interval(cal, y0, m, t)
        estimates.append(
            SampleEstimate(
                sample=name,
                readings=m,
                mean_response=y0,
                dilution=float(dilution),
                measured=x0,
                concentration=x0 * dilution,
                lower=None if lower is None else lower * dilution,
                upper=None if upper is None else upper * dilution,
                extrapolated=not (cal.x_min <= x0 <= cal.x_max),
            )
        )
    return SolubilityAssessment(
        unit=unit, level=level, calibration=cal, samples=tuple(estimates), source=source
    )


def _inverse_interval(
    cal: Calibration, y0: float, m: int, t: float
) -> tuple[float | None, float | None]:
    """Solve (y0 - a - b x)^2 = t^2 s^2 (1/m + 1/n + (x - x_mean)^2 / Sxx) for x (u = x - x_mean,
    d = y0 - y_mean): (b^2 - t^2 s^2 / Sxx) u^2 - 2 b d u + d^2 - t^2 s^2 (1/m + 1/n) = 0."""
    b, k = cal.slope, (t * cal.sigma) ** 2
    d = y0 - cal.y_mean
    qa = b * b - k / cal.sxx
    qb = -2 * b * d
    qc = d * d - k * (1 / m + 1 / cal.n)
    disc = qb * qb - 4 * qa * qc
    if qa <= 0 or disc < 0:
        return None, None
    root = math.sqrt(disc)
    u1, u2 = (-qb - root) / (2 * qa), (-qb + root) / (2 * qa)
    return cal.x_mean + min(u1, u2), cal.x_mean + max(u1, u2)


_TYPE_ALIASES = {"standard": "standard", "std": "standard", "sample": "sample", "unknown": "sample"}


def read_solubility_csv(
    content: bytes, name: str, *, unit: str, level: float = 0.95
) -> SolubilityAssessment:
    """The assessment from a CSV of standards and supernatant readings.

    Columns: ``type`` (``standard`` or ``sample``), ``name`` (the sample; several rows of one
    sample are replicate readings), ``concentration`` (standards, in ``unit``), ``response``
    (peak area, absorbance, ...), ``dilution`` (samples: the supernatant's dilution before the
    reading, >= 1; empty means 1). ``unit`` is a concentration unit (``"µg/mL"``, ``"µM"``).
    """
    check_size(content, name, limit=MAX_SOLUBILITY_CSV_BYTES)
    check_text_table(content, name)
    unit_text = str(unit).strip()
    concentration_unit(unit_text, place=Place(field="unit"))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=name) from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a readable CSV table ({str(exc)[:200]})", file=name) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    where = Place(file=name)
    require_nonempty(frame, place=where)
    require_columns(frame, ("type", "response"), place=where)
    types = []
    for i, raw in enumerate(frame["type"]):
        kind = _TYPE_ALIASES.get(str(raw).strip().lower())
        if kind is None:
            raise InputError(
                f"type must be standard or sample, got {quote(raw)}",
                place=where,
                row=i + 2,
                column="type",
            )
        types.append(kind)
    kinds = np.array(types)
    response = numeric_column(frame, "response", place=where)
    is_std = kinds == "standard"
    if "concentration" not in frame.columns:
        raise InputError("the standards need a 'concentration' column", place=where)
    conc = []
    for i in np.flatnonzero(is_std).tolist():
        raw_conc = str(frame["concentration"].iloc[i]).strip()
        try:
            value = float(raw_conc)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise InputError(
                f"a standard needs a concentration >= 0 (in {unit_text}), got {quote(raw_conc)}",
                place=where,
                row=int(i) + 2,
                column="concentration",
            )
        conc.append(value)
    samples: dict[str, tuple[list[float], float]] = {}
    for i in np.flatnonzero(~is_std).tolist():
        row = int(i) + 2
        label = str(frame["name"].iloc[i]).strip() if "name" in frame.columns else ""
        if not label:
            raise InputError("a sample needs a name", place=where, row=row, column="name")
        raw_dil = str(frame["dilution"].iloc[i]).strip() if "dilution" in frame.columns else ""
        try:
            dil = float(raw_dil) if raw_dil else 1.0
        except ValueError:
            raise InputError(
                f"{quote(raw_dil)} is not a number", place=where, row=row, column="dilution"
            ) from None
        if not (math.isfinite(dil) and dil >= 1):
            raise InputError(
                f"dilution must be >= 1, got {quote(raw_dil)}",
                place=where,
                row=row,
                column="dilution",
            )
        readings, before = samples.setdefault(label, ([], dil))
        if before != dil:
            raise InputError(
                f"sample {quote(label)} has two dilutions ({before:g} and {dil:g})",
                place=where,
                row=row,
                column="dilution",
            )
        readings.append(float(response[i]))
    if not samples:
        raise InputError("no sample rows (type = sample)", place=where)
    try:
        return assess_solubility(
            conc, response[is_std], samples, unit=unit_text, level=level, source=name
        )
    except InputError as exc:
        raise exc.at(file=name) from None


# --- the inventory file -------------------------------------------------------------------------

_STOCK_KEYS = {
    "compound": "compound",
    "lot": "lot",
    "form": "form",
    "solvent": "solvent",
    "concentration": "concentration",
    "peptide_content": "peptide_content",
    "salt_form": "salt_form",
    "prepared_on": "prepared_on",
    "storage_temperature_C": "storage_temperature_c",
}
_ALIQUOT_KEYS = {
    "label": "label",
    "volume": "volume",
    "prepared_on": "prepared_on",
    "storage_temperature_C": "storage_temperature_c",
    "status": "status",
    "freeze_thaw_count": "freeze_thaw_count",
}


def inventory_block(stock: int, aliquot: int | None = None) -> str:
    """The place of a table of an inventory file: ``[[stock]] #2`` or ``[[stock]] #1
    [[stock.aliquot]] #3`` (1-based, in file order)."""
    block = f"[[stock]] #{stock}"
    return block if aliquot is None else f"{block} [[stock.aliquot]] #{aliquot}"


def read_inventory_toml(content: bytes, name: str) -> list[dict[str, Any]]:
    """The stocks of an inventory TOML file (``[[stock]]`` tables with ``[[stock.aliquot]]``
    tables; keys as in ``examples/inventory/inventory.toml``), in file order, as keywords of
    :meth:`~cxcr4lab.store.Inventory.add_stocks` with ``aliquots`` a list of dicts of the
    fields of :class:`~cxcr4lab.store.AliquotSpec` (an aliquot's ``prepared_on`` defaults to
    its stock's). Values are as written (checked by the store or :mod:`.inventory_check`);
    an unknown key is refused naming the table (:func:`inventory_block`)."""
    import tomllib

    from cxcr4lab.core.limits import MAX_TOML_BYTES, check_toml

    check_size(content, name, limit=MAX_TOML_BYTES)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=name) from None
    check_toml(text, name)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=name) from None
    tables = data.get("stock")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise InputError("no [[stock]] tables", file=name)
    stocks: list[dict[str, Any]] = []
    for i, table in enumerate(tables, start=1):
        block = inventory_block(i)
        unknown = sorted(set(table) - set(_STOCK_KEYS) - {"aliquot"})
        if unknown:
            raise InputError(f"unknown key(s) {', '.join(unknown)}", file=name, block=block)
        entry: dict[str, Any] = {_STOCK_KEYS[k]: v for k, v in table.items() if k != "aliquot"}
        aliquots = []
        raw = table.get("aliquot", [])
        if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
            raise InputError("aliquots must be [[stock.aliquot]] tables", file=name, block=block)
        for j, a in enumerate(raw, start=1):
            where = inventory_block(i, j)
            unknown = sorted(set(a) - set(_ALIQUOT_KEYS))
            if unknown:
                raise InputError(f"unknown key(s) {', '.join(unknown)}", file=name, block=where)
            if "label" not in a or "volume" not in a:
                raise InputError("an aliquot needs a label and a volume", file=name, block=where)
            aliquots.append(
                {
                    "label": a["label"],
                    "volume": a["volume"],
                    "prepared_on": a.get("prepared_on", table.get("prepared_on")),
                    "storage_temperature_c": a.get("storage_temperature_C"),
                    "status": a.get("status", "available"),
                    "freeze_thaw_count": a.get("freeze_thaw_count", 0),
                }
            )
        entry["aliquots"] = aliquots
        stocks.append(entry)
    return stocks
