"""knowledge feature."""
