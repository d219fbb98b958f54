"""Reads of the order cache used outside commerce (case linking, customer panel)."""

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sprawa.commerce.models import Order, Shipment
from sprawa.customers.models import Customer

_TOKEN = re.compile(r"[A-Za-z0-9]{5,40}")


def referenced_order_ids(session: Session, customer: Customer, text: str) -> list[str]:
    """Orders of this customer whose number or tracking number appears in ``text``.

    Only the customer's own orders count, so a typed number can never tie a message to someone else.
    """
    found = list(dict.fromkeys(m.group(0).upper() for m in _TOKEN.finditer(text)))[:50]
    # Some shops print their numbers with a "#" (e.g. #W2611340); customers often leave it out.
    tokens = found + [f"#{token}" for token in found]
    if not tokens:
        return []
    owner = [Order.customer_id == customer.id]
    if customer.email:
        owner.append(Order.customer_email == customer.email)
    by_number = select(Order.id).where(
        Order.workspace_id == customer.workspace_id, Order.number.in_(tokens), or_(*owner)
    )
    by_tracking = (
        select(Order.id)
        .join(Shipment, Shipment.order_id == Order.id)
        .where(Order.workspace_id == customer.workspace_id, Shipment.tracking_number.in_(tokens), or_(*owner))
    )
    return list(dict.fromkeys(session.scalars(by_number.union(by_tracking))))
