"""Clinical analyses (domain layer): CDISC-style inputs, RECIST 1.1, response rates, safety,
survival and trial design.

* :mod:`.cdisc`: ADSL, ADRS, ADTTE, ADAE and tumour-measurement (TR) tables from CSV, Parquet or
  SAS XPT, validated with errors naming file, record and subject;
* :mod:`.recist`: RECIST 1.1 visit responses, best overall response, the assessment schedule;
* :mod:`.response`: ORR and CBR with exact CIs, Fisher and CMH tests, count reconstruction;
* :mod:`.safety`: AE incidence by term and maximum grade, exposure-adjusted rates, the
  infusion-related-reaction aid;
* :mod:`.survival`: Kaplan-Meier, log-rank, Cox and RMST through lifelines;
* :mod:`.design`: 3+3 dose escalation (exact), power and sample size, Lan-DeMets boundaries;
* :mod:`.trials`: randomised two-arm trials simulated in vectorised replicates;
* :mod:`.fortress`: from the Phase 1b expansion to the FORTRESS Phase 3, worked.
"""
