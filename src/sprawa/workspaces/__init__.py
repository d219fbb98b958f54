"""workspaces feature."""
