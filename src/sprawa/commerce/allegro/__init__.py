"""Allegro orders connector (checkout forms, order events, shipments, customer returns)."""
