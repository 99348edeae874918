"""Small FCS files written in the tests (flowio), never committed."""

from __future__ import annotations

import io
from collections.abc import Sequence

import flowio
import numpy as np


def fcs_bytes(events: np.ndarray, pnn: Sequence[str], pns: Sequence[str] | None = None) -> bytes:
    buf = io.BytesIO()
    flowio.create_fcs(
        buf,
        np.asarray(events, dtype=np.float32).flatten(),
        list(pnn),
        opt_channel_names=None if pns is None else list(pns),
    )
    return buf.getvalue()
