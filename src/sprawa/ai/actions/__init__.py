"""The one action layer the AI and agents share: typed arguments, a policy check, then the shop."""
