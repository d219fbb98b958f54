"""WooCommerce webhooks: signature over the raw body, the form-encoded ping, durable storage."""

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

from sqlalchemy.orm import Session

from sprawa.commerce.actions.events import record_commerce_event
from sprawa.commerce.queries import webhook_secret
from sprawa.platform.crypto import SecretBox
from sprawa.platform.errors import InvalidInput, Unauthorized


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def do_receive_woocommerce_webhook(
    session: Session, secrets: SecretBox, workspace_id: str, body: bytes, headers: Mapping[str, str]
) -> bool:
    """Store one delivery; True when new. The ping sent on webhook creation is answered, not stored."""
    if not headers.get("x-wc-webhook-topic") and body.startswith(b"webhook_id="):
        return False
    secret = webhook_secret(session, secrets, workspace_id, "woocommerce")
    sent = headers.get("x-wc-webhook-signature", "")
    if not sent or not hmac.compare_digest(sent, signature(secret, body)):
        raise Unauthorized("the webhook signature does not match", code="bad_signature")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidInput("the webhook body is not JSON", code="invalid_payload") from exc
    topic = headers.get("x-wc-webhook-topic", "")
    resource_id = str(data.get("id", ""))
    if not topic.startswith("order.") or not resource_id:
        return False
    version = data.get("date_modified_gmt") or headers.get("x-wc-webhook-delivery-id", "")
    key = f"{topic}:{resource_id}:{version}"
    return record_commerce_event(session, workspace_id, "woocommerce", key, topic, {"order_ref": resource_id})
