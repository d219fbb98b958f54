"""Sprawa: open-source, AI-first omnichannel customer service for online shops."""
