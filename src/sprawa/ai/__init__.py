"""ai feature."""
