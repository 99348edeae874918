"""Regimens, PK models, NCA and PD (domain layer). Not yet built; see DESIGN.md."""
