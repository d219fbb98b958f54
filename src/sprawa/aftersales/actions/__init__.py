"""The after-sales service split by topic: deadline arithmetic, proposals, notifications, intake."""
