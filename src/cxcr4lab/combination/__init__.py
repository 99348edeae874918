"""Drug-combination synergy: Bliss, Loewe, HSA, ZIP (domain layer). Not yet built."""
