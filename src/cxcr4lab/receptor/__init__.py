"""Receptor theory and the mechanistic CXCL12/CXCR4 model (domain layer, below the assays).

- :mod:`.theory`: Cheng-Prusoff and Leff-Dougall (IC50 <-> Ki / Kb).
- :mod:`.operational`: Gaddum/Schild (dose ratio, pA2, Schild regression) and the Black-Leff
  operational model with the antagonist IC50 it implies.
- :mod:`.mechanistic`: the CXCL12/CXCR4 model (binding, two-state constitutive activity,
  G protein, Ca2+ transient ODE, AKT and ERK cascades, beta-arrestin and internalisation,
  chemotaxis).

:mod:`cxcr4lab.assays` and :mod:`cxcr4lab.pkpd` use this package; it uses neither. The work that
combines the model with the assays (the one-Kb calibration, virtual plates, Kb recovery and
simulated Schild experiments) is in :mod:`cxcr4lab.studies`, above the assays.
"""
