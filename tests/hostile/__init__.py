"""Hostile input: every reader, parser, command and web route under attack (issue 12)."""
