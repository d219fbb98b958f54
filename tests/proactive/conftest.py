"""A workspace with proactive service on, a customer reachable on a test channel, an order with a parcel."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sprawa.cases.models import AuthorKind, DeliveryStatus, Direction, Message
from sprawa.cases.service import add_message, open_case
from sprawa.channels.base import Capabilities
from sprawa.channels.models import Channel, ChannelKind, Thread
from sprawa.commerce.models import Order, Shipment
from sprawa.customers.models import Customer
from sprawa.proactive.schemas import ProactiveSettings
from sprawa.proactive.triggers import Notifier
from tests.factories import make_channel

# Tuesday 12:00 in Warsaw: outside the default quiet hours.
NOON = datetime(2026, 5, 19, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class WindowCapabilities(Capabilities):
    """What a WhatsApp-like adapter declares: a free-text window and pre-approved templates."""

    session_window_hours: int | None = None
    templates: bool = False
    marketing: bool = True


@dataclass
class FakeAdapter:
    kind: ChannelKind
    capabilities: Any = field(default_factory=WindowCapabilities)

    def parse_inbound(self, channel: Any, payload: str, headers: Any) -> list[Any]:
        return []

    def send(self, channel: Any, credentials: Any, message: Any) -> Any:
        raise AssertionError("tests do not deliver")


@dataclass
class World:
    workspace: Any
    customer: Customer
    channel: Channel
    thread: Thread
    order: Order
    parcel: Shipment


def enable(db, workspace, **changes: Any) -> None:
    settings = ProactiveSettings(enabled=True, **changes)
    workspace.settings = {**(workspace.settings or {}), "proactive": settings.model_dump(mode="json")}
    db.flush()


def talk(db, customer, channel, at: datetime, kind=ChannelKind.WEBCHAT) -> Thread:
    """The customer wrote to the shop on ``channel`` at ``at`` (a thread with one inbound message)."""
    thread = Thread(
        workspace_id=customer.workspace_id,
        channel_id=channel.id,
        customer_id=customer.id,
        external_id=f"t-{channel.id}-{customer.id}",
        last_message_at=at,
    )
    db.add(thread)
    db.flush()
    case = open_case(db, customer, subject="Pytanie", channel_id=channel.id, language="pl")
    thread.case_id = case.id
    add_message(
        db,
        case,
        Message(
            thread_id=thread.id,
            channel_id=channel.id,
            customer_id=customer.id,
            direction=Direction.INBOUND,
            author_kind=AuthorKind.CUSTOMER,
            body_text="Dzień dobry",
            delivery_status=DeliveryStatus.RECEIVED,
            created_at=at,
        ),
    )
    return thread


@pytest.fixture
def world(db, workspace) -> World:
    enable(db, workspace)
    customer = Customer(
        workspace_id=workspace.id, name="Anna Kowalska", email="anna@example.pl", language="pl"
    )
    db.add(customer)
    db.flush()
    channel = make_channel(db, workspace, ChannelKind.WEBCHAT)
    thread = talk(db, customer, channel, NOON - timedelta(days=3))
    order = Order(
        workspace_id=workspace.id,
        external_id="o-1",
        number="100123",
        customer_id=customer.id,
        customer_email=customer.email,
        status="shipped",
        payment_status="paid",
        total=Decimal("149.99"),
        placed_at=NOON - timedelta(days=4),
        source="demo",
    )
    db.add(order)
    db.flush()
    parcel = Shipment(
        workspace_id=workspace.id,
        order_id=order.id,
        carrier="inpost",
        tracking_number="602677439331630337653846",
        tracking_url="https://inpost.pl/sledzenie-przesylek?number=602677439331630337653846",
        state="in_transit",
        estimated_delivery=NOON - timedelta(days=1),
        events=[
            {
                "at": (NOON - timedelta(days=2)).isoformat(),
                "code": "adopted_at_sorting_center",
                "state": "in_transit",
                "description": "Przyjęta w Sortowni",
                "location": None,
            }
        ],
        last_event_at=NOON - timedelta(days=2),
    )
    db.add(parcel)
    db.commit()
    return World(workspace, customer, channel, thread, order, parcel)


@pytest.fixture
def notifier(runtime) -> Notifier:
    return Notifier(
        {ChannelKind.WEBCHAT: FakeAdapter(ChannelKind.WEBCHAT)},
        runtime.ingest.secrets,
        "https://sprawa.example.pl",
    )
