"""WhatsApp Cloud API webhook: the subscription handshake and signed deliveries, durable before the 200."""

from sprawa.channels.meta.webhook import webhook_router
from sprawa.channels.models import ChannelKind
from sprawa.channels.whatsapp.service import split_items

router = webhook_router("whatsapp", (ChannelKind.WHATSAPP,), split_items)
