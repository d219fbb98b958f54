"""Canned replies (macros) with variables filled from the case."""
