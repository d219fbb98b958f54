"""Proactive service: tell customers about order and parcel problems before they ask; personal suggestions."""
