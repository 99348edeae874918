"""cxcr4lab."""
