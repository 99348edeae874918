"""A PK table (the NCA layout: subject, time, conc, dose, route, duration) as a NONMEM dataset.

Each subject gets one dose record (``EVID 1`` at TIME 0, before any observation at TIME 0, as
nlmixr2's ``theo_sd`` orders them) and one observation record (``EVID 0``) per sample. The
compartments follow NONMEM's ADVAN conventions: an extravascular dose goes to the depot
(``CMT 1``) and is observed in the central compartment (``CMT 2``, ADVAN2/ADVAN4); an IV bolus
or infusion goes to and is observed in ``CMT 1`` (ADVAN1/ADVAN3), an infusion with
``RATE = AMT / duration``.

Samples below the limit of quantification are written by the chosen method of Beal (2001,
J Pharmacokinet Pharmacodyn 28:481):

* ``m1``: discarded from the fit, kept in the file: ``MDV 1``, ``DV .``, ``BLQ 1``;
* ``m3``: kept as censored observations: ``DV`` = LLOQ, ``MDV 0``, ``BLQ 1`` (NONMEM's
  ``F_FLAG`` code reads it) and ``CENS 1`` (nlmixr2/Monolix read it).

A blank concentration (a sample not taken or lost) is left out and counted. Written by hand:
no maintained Python library converts a PK table to NONMEM records; the checks on the result
are :func:`cxcr4lab.pkpd.datasets.validate_nonmem`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pandas as pd

from cxcr4lab.core.errors import InputError
from cxcr4lab.core.serial import Serial

__all__ = ["BlqMethod", "NonmemExport", "NonmemRecord", "to_nonmem"]

BlqMethod = Literal["m1", "m3"]


@dataclass(frozen=True)
class NonmemRecord:
    """One dataset record; AMT in the dose unit, DV in the concentration unit, TIME in h."""

    id: int
    subject: str
    time: float
    evid: int
    amt: float | None
    rate: float
    cmt: int
    dv: float | None
    mdv: int
    blq: int
    cens: int


@dataclass(frozen=True)
class NonmemExport(Serial):
    """A NONMEM dataset made from a PK table."""

    kind: ClassVar[str] = "nonmem"

    source: str
    blq_method: BlqMethod
    lloq: float | None
    conc_unit: str
    dose_unit: str
    records: tuple[NonmemRecord, ...]
    missing_samples: int
    """Blank concentrations left out."""

    def frame(self) -> pd.DataFrame:
        """The dataset, NONMEM's column names (``SUBJECT`` is text: drop it in ``$INPUT``)."""
        rows = [
            {
                "ID": r.id,
                "TIME": r.time,
                "EVID": r.evid,
                "AMT": math.nan if r.amt is None else r.amt,
                "RATE": r.rate,
                "CMT": r.cmt,
                "DV": math.nan if r.dv is None else r.dv,
                "MDV": r.mdv,
                "BLQ": r.blq,
                "CENS": r.cens,
                "SUBJECT": r.subject,
            }
            for r in self.records
        ]
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """The dataset as a table (downloads); missing values empty."""
        return self.frame()

    def nonmem_csv(self) -> str:
        """The dataset as NONMEM reads it: CSV with ``.`` for a missing value."""
        from cxcr4lab.pkpd.datasets import write_nonmem

        return write_nonmem(self.frame(), text_columns=("SUBJECT",))

    @property
    def subjects(self) -> int:
        return len({r.id for r in self.records})

    @property
    def observations(self) -> int:
        return sum(r.evid == 0 for r in self.records)

    @property
    def blq_samples(self) -> int:
        return sum(r.blq for r in self.records)

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []


def _ids(subjects: list[str]) -> dict[str, int]:
    """Numeric IDs: the subject's own if every subject is a whole number >= 1, else 1..n."""
    try:
        own = [float(s) for s in subjects]
    except ValueError:
        own = []
    if own and all(v >= 1 and v.is_integer() for v in own) and len(set(own)) == len(own):
        return {s: int(v) for s, v in zip(subjects, own, strict=True)}
    return {s: i for i, s in enumerate(subjects, start=1)}


def to_nonmem(
    frame: pd.DataFrame,
    *,
    source: str = "",
    row_base: int = 2,
    blq_method: BlqMethod = "m3",
    lloq: float | None = None,
    conc_unit: str = "mg/L",
    dose_unit: str = "mg",
) -> NonmemExport:
    """The NONMEM dataset of a PK table (see the module docstring); ``lloq`` in ``conc_unit``
    marks numeric concentrations below it as BLQ too, and is the DV of an ``m3`` BLQ record."""
    from cxcr4lab.pkpd.datasets import validate_nonmem
    from cxcr4lab.pkpd.nca import read_profiles

    profiles = read_profiles(frame, source, row_base, lloq)
    ids = _ids([p.subject for p in profiles])
    records: list[NonmemRecord] = []
    for p in profiles:
        sid = ids[p.subject]
        oral = p.route == "extravascular"
        rate = p.dose / p.duration if p.route == "infusion" else 0.0
        records.append(NonmemRecord(sid, p.subject, 0.0, 1, p.dose, rate, 1, None, 1, 0, 0))
        for t, c in zip(p.time, p.conc, strict=True):
            obs_cmt = 2 if oral else 1
            if math.isnan(c):  # BLQ
                if blq_method == "m3":
                    if lloq is None:
                        raise InputError(
                            f"subject {p.subject} has a BLQ sample at t = {t:g} h: method m3 "
                            "writes DV = LLOQ, so it needs --lloq",
                            file=source,
                            field="lloq",
                        )
                    records.append(
                        NonmemRecord(sid, p.subject, float(t), 0, None, 0.0, obs_cmt, lloq, 0, 1, 1)
                    )
                else:
                    records.append(
                        NonmemRecord(sid, p.subject, float(t), 0, None, 0.0, obs_cmt, None, 1, 1, 0)
                    )
            else:
                records.append(
                    NonmemRecord(sid, p.subject, float(t), 0, None, 0.0, obs_cmt, float(c), 0, 0, 0)
                )
    result = NonmemExport(
        source=source,
        blq_method=blq_method,
        lloq=lloq,
        conc_unit=conc_unit,
        dose_unit=dose_unit,
        records=tuple(records),
        missing_samples=sum(len(p.missing) for p in profiles),
    )
    validate_nonmem(result.frame(), source=source, text_columns=("SUBJECT",))
    return result
