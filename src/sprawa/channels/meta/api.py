"""Messenger and Instagram webhook: the subscription handshake and signed deliveries, durable first."""

from sprawa.channels.meta.service import KINDS, split_events
from sprawa.channels.meta.webhook import webhook_router

router = webhook_router("meta", KINDS, split_events)
