"""Shopify webhooks: HMAC over the raw body, dedup by ``X-Shopify-Webhook-Id``, the mandatory privacy topics.

Order topics only name the order; the job re-reads it. The privacy topics are acted on in the job:
``customers/redact`` deletes the cached orders it lists, ``shop/redact`` every cached Shopify order of
the workspace, and ``customers/data_request`` is recorded and shown to admins (the privacy feature
answers data requests).
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sprawa.commerce.actions.events import record_commerce_event
from sprawa.commerce.models import Order
from sprawa.commerce.queries import webhook_secret
from sprawa.platform.crypto import SecretBox
from sprawa.platform.errors import InvalidInput, Unauthorized
from sprawa.platform.events import Event, emit

PRIVACY_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
ORDER_TOPICS = ("orders/", "fulfillments/", "refunds/")


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _order_ref(topic: str, data: Mapping[str, Any]) -> str | None:
    if topic.startswith("orders/"):
        return data.get("admin_graphql_api_id") or (
            f"gid://shopify/Order/{data['id']}" if data.get("id") else None
        )
    if data.get("order_id"):
        return f"gid://shopify/Order/{data['order_id']}"
    return None


def do_receive_shopify_webhook(
    session: Session, secrets: SecretBox, workspace_id: str, body: bytes, headers: Mapping[str, str]
) -> bool:
    secret = webhook_secret(session, secrets, workspace_id, "shopify")
    sent = headers.get("x-shopify-hmac-sha256", "")
    if not sent or not hmac.compare_digest(sent, signature(secret, body)):
        raise Unauthorized("the webhook signature does not match", code="bad_signature")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidInput("the webhook body is not JSON", code="invalid_payload") from exc
    topic = headers.get("x-shopify-topic", "")
    key = headers.get("x-shopify-webhook-id") or f"{topic}:{hashlib.sha256(body).hexdigest()}"
    if topic in PRIVACY_TOPICS:
        payload = {
            "privacy": topic,
            "orders": [str(o) for o in (data.get("orders_to_redact") or data.get("orders_requested") or [])],
            "email": ((data.get("customer") or {}).get("email") or "").lower() or None,
        }
        return record_commerce_event(session, workspace_id, "shopify", key, topic, payload)
    if not topic.startswith(ORDER_TOPICS) or not (ref := _order_ref(topic, data)):
        return False
    return record_commerce_event(session, workspace_id, "shopify", key, topic, {"order_ref": ref})


def apply_privacy_topic(session: Session, workspace_id: str, payload: Mapping[str, Any]) -> int:
    """Act on a mandatory privacy webhook; returns how many cached orders were removed."""
    topic = payload["privacy"]
    scope = (Order.workspace_id == workspace_id) & (Order.source == "shopify")
    if topic == "shop/redact":
        removed = session.execute(delete(Order).where(scope)).rowcount
    elif topic == "customers/redact":
        ids = [f"gid://shopify/Order/{o}" for o in payload.get("orders") or []]
        conds = Order.external_id.in_(ids)
        if payload.get("email"):
            conds = conds | (Order.customer_email == payload["email"])
        removed = session.execute(delete(Order).where(scope & conds)).rowcount
    else:
        removed = 0
        found = session.scalars(
            select(Order.number).where(scope, Order.customer_email == payload.get("email"))
        )
        emit(
            session,
            Event(
                "commerce.data_request", workspace_id, {"email": payload.get("email"), "orders": list(found)}
            ),
        )
    return int(removed or 0)
