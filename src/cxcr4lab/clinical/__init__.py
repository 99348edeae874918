"""RECIST, response rates, survival, safety and trial design (domain layer). Not yet built."""
