"""Receptor theory and the mechanistic CXCL12/CXCR4 model (domain layer).

- :mod:`.theory`: Cheng-Prusoff and Leff-Dougall (IC50 <-> Ki / Kb).
- :mod:`.operational`: Gaddum/Schild (dose ratio, pA2, Schild regression) and the Black-Leff
  operational model with the antagonist IC50 it implies.
- :mod:`.mechanistic`: the CXCL12/CXCR4 model (binding, two-state constitutive activity,
  G protein, Ca2+ transient ODE, AKT and ERK cascades, beta-arrestin and internalisation,
  chemotaxis).
- :mod:`.calibration`: one balixafortide Kb against every published potency bound, and the
  fold-shift decomposition of the pERK/pAKT IC50s (:class:`~.calibration.ReceptorCalibration`).
- :mod:`.virtual`: simulated plates for the assay analyses and a simulated Schild experiment.
- :mod:`.schild_study`: the Schild experiment as a stored result (kind ``schild``).
- :mod:`.recovery`: virtual plates analysed by the assay modules (kind ``virtual_recovery``).
"""
