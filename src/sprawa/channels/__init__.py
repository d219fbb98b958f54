"""channels feature."""
