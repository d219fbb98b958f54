"""Writes of the insights feature: metric facts, surveys, demo history."""
