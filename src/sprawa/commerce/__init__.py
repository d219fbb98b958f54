"""commerce feature."""
