"""webchat feature."""
