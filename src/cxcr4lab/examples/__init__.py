"""Bundled example data (simulated unless stated otherwise; see each folder's README)."""
