"""BaseLinker (Base) connector."""
