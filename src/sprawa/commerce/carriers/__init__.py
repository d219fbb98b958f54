"""Parcel tracking: InPost ShipX, Allegro's carrier tracking, and tracking links for the other carriers."""
