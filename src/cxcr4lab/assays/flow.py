"""Flow cytometry through FlowKit: FCS files in, gate counts and MFIs out.

FlowKit (https://flowkit.readthedocs.io) reads the FCS file and applies the gates; this module
turns its failures into :class:`InputError` naming the file, gate or channel, and keeps the
project's gate description small and readable. Gates are rectangles on one or more channels,
nested by ``parent``, written in TOML::

    [[gate]]
    name = "leukocytes"                  # CD45+
    [gate.range]
    "CD45-FITC" = { min = 300, max = 30000 }

    [[gate]]
    name = "cd34"
    parent = "leukocytes"
    [gate.range]
    "CD34-PE" = { min = 800 }

Channels are named by their ``$PnN`` (detector, e.g. ``FL2-A``) or ``$PnS`` (stain, e.g.
``CD34-PE``) label. Values are used as stored (``raw``: no compensation or transform).
"""

from __future__ import annotations

import io
import math
import tomllib
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, Place, quote, shorten
from cxcr4lab.core.limits import MAX_TOML_BYTES, check_size, check_toml

__all__ = ["Events", "RectGate", "apply_gates", "read_fcs_bytes", "read_gates_bytes"]


@dataclass(frozen=True)
class RectGate:
    """A rectangle gate: (channel, min, max) per dimension (None: open side), under ``parent``."""

    name: str
    parent: str
    ranges: tuple[tuple[str, float | None, float | None], ...]


@dataclass(frozen=True, eq=False)
class Events:
    """One FCS file read by FlowKit: the sample, its name, and channel names (PnN -> PnS)."""

    source: str
    sample: Any  # flowkit.Sample
    labels: dict[str, str]

    @property
    def count(self) -> int:
        return int(self.sample.event_count)

    def channel(self, name: str, *, field: str = "channel") -> str:
        """The PnN label of ``name`` (given as PnN or PnS)."""
        if name in self.labels:
            return name
        for pnn, pns in self.labels.items():
            if pns and pns == name:
                return pnn
        listed = ", ".join(f"{n} ({s})" if s else n for n, s in self.labels.items())
        raise InputError(
            f"no channel {quote(name)}; channels: {listed}", file=self.source, field=field
        )

    def values(self, name: str) -> NDArray[np.float64]:
        pnn = self.channel(name)
        return np.asarray(self.sample.get_channel_events(pnn, source="raw"), dtype=float)


def read_fcs_bytes(content: bytes, name: str) -> Events:
    """Read an FCS file given as bytes with FlowKit; an unreadable file is an InputError."""
    import flowkit

    if not content:
        raise InputError("file is empty", file=name)
    check_size(content, name)
    if not content[:3] == b"FCS":
        raise InputError("not an FCS file (it does not start with 'FCS')", file=name)
    try:
        with warnings.catch_warnings():
            # FlowKit warns about files it can read anyway (e.g. offset quirks); the events are
            # what matters here, so those warnings are not shown to the user.
            warnings.simplefilter("ignore", UserWarning)
            sample = flowkit.Sample(io.BytesIO(content), sample_id=name)
    except Exception as exc:  # flowio/flowkit raise many kinds of errors for broken files
        raise InputError(
            f"FlowKit cannot read this FCS file ({type(exc).__name__}: {shorten(str(exc))})",
            file=name,
        ) from None
    labels = {
        str(n): str(s or "") for n, s in zip(sample.pnn_labels, sample.pns_labels, strict=True)
    }
    return Events(name, sample, labels)


def read_gates_bytes(content: bytes, name: str) -> tuple[RectGate, ...]:
    """Read the TOML gate description (see the module docstring)."""
    check_size(content, name, limit=MAX_TOML_BYTES)
    try:
        text = content.decode("utf-8-sig")
        check_toml(text, name)  # tomllib recurses once per level of nesting
        doc = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"not a valid TOML gate file ({shorten(str(exc))})", file=name) from None
    except RecursionError:
        raise InputError("not a valid TOML gate file (nested too deeply)", file=name) from None
    raw = doc.get("gate")
    if not isinstance(raw, list) or not raw:
        raise InputError("no [[gate]] entries", file=name)
    gates: list[RectGate] = []
    for k, g in enumerate(raw):
        where = Place(file=name, field=f"gate #{k + 1}")
        if not isinstance(g, dict) or not isinstance(g.get("name"), str):
            raise InputError("gate has no name", place=where)
        gname = g["name"]
        parent = str(g.get("parent", "root"))
        if parent != "root" and parent not in {x.name for x in gates}:
            raise InputError(
                f"parent {quote(parent)} of gate {quote(gname)} is not defined above it",
                place=where,
            )
        if gname in {x.name for x in gates} or gname == "root":
            raise InputError(f"gate name {quote(gname)} is used twice", place=where)
        ranges = g.get("range")
        if not isinstance(ranges, dict) or not ranges:
            raise InputError(f"gate {quote(gname)} has no [gate.range] entries", place=where)
        dims = []
        for channel, r in ranges.items():
            if not isinstance(r, dict) or not (set(r) <= {"min", "max"}) or not r:
                raise InputError(
                    f"gate {quote(gname)}, channel {quote(channel)}: give {{ min = ..., max = ... }}",
                    place=where,
                )
            lo = _bound(r.get("min"), gname, channel, where)
            hi = _bound(r.get("max"), gname, channel, where)
            if lo is not None and hi is not None and lo >= hi:
                raise InputError(
                    f"gate {quote(gname)}, channel {quote(channel)}: min {lo:g} is not below max {hi:g}",
                    place=where,
                )
            dims.append((str(channel), lo, hi))
        gates.append(RectGate(gname, parent, tuple(dims)))
    return tuple(gates)


def _bound(v: object, gate: str, channel: str, where: Place) -> float | None:
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**1000:
        raise InputError(
            f"gate {quote(gate)}, channel {quote(channel)}: {quote(v)} is too large", place=where
        )
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(float(v)):
        raise InputError(
            f"gate {quote(gate)}, channel {quote(channel)}: {quote(v)} is not a number", place=where
        )
    return None if math.isinf(float(v)) else float(v)


def apply_gates(events: Events, gates: tuple[RectGate, ...]) -> dict[str, NDArray[np.bool_]]:
    """Event membership of every gate (FlowKit's GatingStrategy on raw values)."""
    import flowkit

    strategy = flowkit.GatingStrategy()
    paths: dict[str, tuple[str, ...]] = {"root": ()}
    for g in gates:
        dims = [
            flowkit.Dimension(
                events.channel(ch, field=f"gate {quote(g.name)}"), range_min=lo, range_max=hi
            )
            for ch, lo, hi in g.ranges
        ]
        paths[g.name] = (*paths[g.parent], g.parent) if g.parent != "root" else ()
        strategy.add_gate(
            flowkit.gates.RectangleGate(g.name, dims), gate_path=("root", *paths[g.name])
        )
    result = strategy.gate_sample(events.sample)
    return {
        g.name: np.asarray(
            result.get_gate_membership(g.name, gate_path=("root", *paths[g.name])), dtype=bool
        )
        for g in gates
    }
