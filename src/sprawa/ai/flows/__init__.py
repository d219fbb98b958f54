"""Deterministic dialogue flows per intent (DESIGN 5.4); each returns a :class:`~.turn.Reply`."""
