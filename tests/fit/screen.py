"""A seeded screen of dose-response curves of known classes (SIMULATED), for the flag rates.

Every curve is measured at 10 concentrations, half-log from 10 nM to 100 uM (log10 M -8 to
-3.5), one well each, as % of the uninhibited control (falling 4PL: top 100, bottom 0, Hill
positive). The classes and their share of the screen:

========  =====  ===================================================================
class     share  truth
========  =====  ===================================================================
good      60 %   log10 IC50 uniform in [-7.0, -4.5] (a log unit inside the range: at least
                 two concentrations on each plateau),
                 Hill log-normal around 1 (SD of ln 0.2: 0.6-1.6), noise SD 5 %
inactive  15 %   flat at 100 % (Hill and IC50 meaningless), noise SD 5 %
partial   10 %   log10 IC50 0-0.5 log beyond either end of the range (the curve reaches
                 24-50 % of its effect at that end), noise SD 5 %
noisy     10 %   as good, noise SD 15 %
steep     5 %    as good, Hill 5-10
========  =====  ===================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOG_CONC = np.linspace(-8.0, -3.5, 10)
SHARES = {"good": 0.60, "inactive": 0.15, "partial": 0.10, "noisy": 0.10, "steep": 0.05}


def screen(n: int = 5000, seed: int = 2026) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(curves, truth)``: the long table ``curve_id, concentration (M), response (%)`` and one
    row of truth per curve ``curve_id, class, log10_ic50, hill``."""
    rng = np.random.default_rng(seed)
    counts = {k: round(v * n) for k, v in SHARES.items()}
    counts["good"] += n - sum(counts.values())
    truth = []
    k = 0
    for cls, m in counts.items():
        for _ in range(m):
            k += 1
            log_ic50 = rng.uniform(-7.0, -4.5)
            hill = float(np.exp(rng.normal(0.0, 0.2)))
            if cls == "partial":
                beyond = rng.uniform(0.0, 0.5)
                log_ic50 = LOG_CONC[-1] + beyond if rng.random() < 0.5 else LOG_CONC[0] - beyond
            elif cls == "steep":
                hill = rng.uniform(5.0, 10.0)
            elif cls == "inactive":
                log_ic50, hill = np.nan, np.nan
            truth.append((f"C{k:05d}", cls, log_ic50, hill, 15.0 if cls == "noisy" else 5.0))
    rows = []
    for cid, cls, log_ic50, hill, sd in truth:
        if cls == "inactive":
            mean = np.full_like(LOG_CONC, 100.0)
        else:
            mean = 100.0 / (1.0 + 10.0 ** (hill * (LOG_CONC - log_ic50)))
        y = mean + sd * rng.standard_normal(LOG_CONC.size)
        rows.extend(zip([cid] * LOG_CONC.size, 10.0**LOG_CONC, y, strict=True))
    curves = pd.DataFrame(rows, columns=["curve_id", "concentration", "response"])
    frame = pd.DataFrame(
        [t[:4] for t in truth], columns=["curve_id", "class", "log10_ic50", "hill"]
    )
    return curves, frame
