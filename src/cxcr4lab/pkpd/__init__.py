"""Pharmacokinetics and pharmacodynamics (domain layer).

* :mod:`.nca`: non-compartmental analysis (WinNonlin conventions, lambda_z selection, BLQ);
* :mod:`.pk`: 1-, 2- and 3-compartment IV models; the human balixafortide and eribulin models;
* :mod:`.balixafortide`: the one human balixafortide PK parameter set, derived from physiology
  and the seed facts, with its ranges and between-subject variability (docs/balixafortide_pk.md);
* :mod:`.compartments`: closed-form compartment responses (bolus, infusion, oral) for fitting;
* :mod:`.pkfit` (with :mod:`.pkfit_tables`, :mod:`.pkfit_results`): fitting compartment models to
  concentration-time data through the fit engine, per subject, with CIs and AICc;
* :mod:`.popfit` (with :mod:`.popfit_data`, :mod:`.popfit_model`, :mod:`.popfit_ode`,
  :mod:`.popfit_settings`, :mod:`.popfit_results`): population PK estimation (NLME: FOCE-I,
  Laplace, SAEM) from NONMEM datasets, with covariates, BOV, M3 and diagnostics;
* :mod:`.pk_regimen`: a dosing regimen (bolus, infusion, oral; any interval and number of
  doses) applied to given or fitted compartment parameters: curves, Cmax, trough, AUC per interval;
* :mod:`.regimens`: doses in mg/kg, mg/m^2 (BSA) or flat mg on days within cycles, as
  NONMEM-style dose records;
* :mod:`.datasets`: reading, writing and validating NONMEM-style datasets;
* :mod:`.population`: covariates, log-normal between-subject variability, percentile bands;
* :mod:`.occupancy_model`: unbound concentration -> CXCR4 occupancy over time;
* :mod:`.mobilization`: CD34+ mobilization (Emax fit to the Karpova 2017 dose table) and the
  apheresis yield against the 4e6 CD34+/kg target;
* :mod:`.neutropenia`: the Friberg semi-mechanistic model for eribulin, ANC -> CTCAE grade;
* :mod:`.pk_batch` and :mod:`.friberg_batch`: exact linear PK and the Friberg model for a whole
  virtual population at once;
* :mod:`.regimen_simulation`: concentration, occupancy, CD34+ and ANC over cycles with
  population bands;
* :mod:`.comparison`: regimens compared on occupancy above target vs grade >= 3 neutropenia.

ODE machinery (declared models, dosing events, solvers) lives in :mod:`cxcr4lab.sim`.
"""
