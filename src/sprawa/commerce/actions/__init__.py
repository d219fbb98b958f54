"""Commerce writes that grew out of service.py: freshness and health, stored webhook events."""
