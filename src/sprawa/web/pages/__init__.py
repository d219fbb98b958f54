"""Agent-workspace pages, one module per feature (each exposes ``router``)."""
