"""insights feature."""
