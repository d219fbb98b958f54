"""Factories of the cases tests: inbound messages through the real ingest path, cached orders."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from sprawa.cases.models import Case, Message
from sprawa.channels.base import IdentityClaim, InboundAttachment, InboundMessage
from sprawa.channels.models import Channel
from sprawa.channels.service import ingest_message
from sprawa.commerce.models import Order, OrderItem, Shipment, ShipmentState
from sprawa.customers.models import IdentityKind
from sprawa.platform.ids import new_id
from sprawa.runtime import Runtime
from sprawa.workspaces.models import Workspace


def inbound(
    db: Session,
    runtime: Runtime,
    channel: Channel,
    text: str,
    *,
    email: str = "anna@example.pl",
    thread: str = "t-1",
    subject: str | None = None,
    name: str | None = "Anna Nowak",
    attachments: list[InboundAttachment] | None = None,
) -> Message:
    """A customer's message stored exactly as a provider's would be (customer, thread, case linking)."""
    message = ingest_message(
        db,
        runtime.ingest,
        channel,
        InboundMessage(
            provider_message_id=new_id(),
            thread_external_id=thread,
            identities=[IdentityClaim(IdentityKind.EMAIL, email, True)],
            text=text,
            subject=subject,
            name=name,
            attachments=attachments or [],
        ),
    )
    assert message is not None
    db.flush()
    # Detached with its values loaded: reading them later never starts a transaction, which on
    # SQLite would hold the write lock while the test calls the API.
    db.expunge(message)
    return message


@contextmanager
def reading(db: Session) -> Iterator[Session]:
    """Read what the API committed, then end the read (on SQLite every transaction takes the lock)."""
    db.rollback()
    db.expire_all()
    try:
        yield db
    finally:
        db.rollback()


def case_of(db: Session, message: Message) -> Case:
    case = db.get(Case, message.case_id)
    assert case is not None
    return case


def make_order(
    db: Session,
    workspace: Workspace,
    number: str,
    *,
    email: str = "anna@example.pl",
    tracking: str | None = None,
    **kwargs: Any,
) -> Order:
    """A cached shop order with one item and, when ``tracking`` is given, one parcel."""
    order = Order(
        workspace_id=workspace.id,
        external_id=kwargs.pop("external_id", f"ext-{number}"),
        number=number,
        customer_email=email,
        status=kwargs.pop("status", "shipped"),
        payment_status=kwargs.pop("payment_status", "paid"),
        total=kwargs.pop("total", Decimal("199.90")),
        placed_at=kwargs.pop("placed_at", datetime(2025, 3, 1, 10, 0, tzinfo=UTC)),
        **kwargs,
    )
    db.add(order)
    db.flush()
    db.add(
        OrderItem(
            workspace_id=workspace.id,
            order_id=order.id,
            external_id=f"{number}-1",
            sku="BUT-42",
            name="Buty trekkingowe",
            quantity=1,
            unit_price=Decimal("199.90"),
        )
    )
    if tracking:
        db.add(
            Shipment(
                workspace_id=workspace.id,
                order_id=order.id,
                carrier="inpost",
                tracking_number=tracking,
                state=ShipmentState.IN_TRANSIT,
                pickup_point="KRA01M",
            )
        )
    db.flush()
    return order
