"""Writes of the privacy feature, one module per topic."""
