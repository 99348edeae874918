"""SIMULATED clinical example tables (see README.md); :mod:`.simulate` regenerates them."""
