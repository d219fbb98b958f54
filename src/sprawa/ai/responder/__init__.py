"""Replies to customers: templates per language (default) and the optional LLM phraser with guardrails."""
