"""Receptor theory and the mechanistic CXCL12/CXCR4 model (domain layer).

Cheng-Prusoff is in :mod:`cxcr4lab.receptor.theory`; the mechanistic model is not yet built.
"""
