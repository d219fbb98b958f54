"""XSS through every way customer text reaches an agent: the widget, e-mail (HTML body, subject, From
name, attachment name), WhatsApp and Messenger text, order data from the shop and knowledge articles.

All ≥ 300 payloads are stored through the real ingest path and rendered by the agent UI (case page and
inbox); a strict reader of the HTML finds 0 script-capable or CSP-breaking constructs. The browser pass
(tests/browser/test_xss_browser.py) runs a batch of them in Chromium.
"""

import os
from decimal import Decimal

import nh3
import pytest
from sqlalchemy import select

from sprawa.cases.models import (
    Attachment,
    AuthorKind,
    Case,
    CaseOrder,
    DeliveryStatus,
    Direction,
    Message,
)
from sprawa.cases.service import next_case_number
from sprawa.channels.base import IdentityClaim, InboundAttachment, InboundMessage
from sprawa.channels.models import ChannelKind, Thread
from sprawa.channels.service import ingest_message
from sprawa.commerce.models import Order, OrderItem
from sprawa.customers.models import Customer, IdentityKind
from sprawa.db import utcnow
from tests.factories import make_channel
from tests.security.html_check import csp_nonce, page_problems
from tests.security.xss_payloads import payloads

PAYLOADS = payloads()
# Messages per case: the case page shows the newest 500 timeline entries.
PER_CASE = 150


def test_there_are_at_least_300_payloads():
    assert len(PAYLOADS) >= 300


def _ingest(db, runtime, channel, payload: str, n: int, *, thread: str, email_parts: bool) -> str:
    message = ingest_message(
        db,
        runtime.ingest,
        channel,
        InboundMessage(
            provider_message_id=f"xss-{channel.kind}-{n}",
            thread_external_id=thread,
            identities=[IdentityClaim(IdentityKind.EMAIL, f"xss-{channel.kind}@example.pl", True)],
            text=payload,
            html=payload if email_parts else None,
            subject=payload if email_parts else None,
            name=payload if email_parts else None,
            attachments=[InboundAttachment(payload[:200], "text/html", b"<script>alert(1)</script>")]
            if email_parts
            else [],
        ),
    )
    assert message is not None
    return message.case_id


def _check(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    nonce = csp_nonce(response.headers["content-security-policy"])
    assert nonce and "'unsafe-inline'" not in response.headers["content-security-policy"]
    return [f"{path}: {p}" for p in page_problems(response.text, nonce)]


SINKS = [ChannelKind.WEBCHAT, ChannelKind.EMAIL, ChannelKind.WHATSAPP, ChannelKind.MESSENGER]
# SPRAWA_SECURITY_FULL=1 (make security-full) sends every payload through every sink via the full ingest
# path; the suite sends each payload through one sink, stored as ingest stores it, plus a sample via ingest.
FULL = bool(os.environ.get("SPRAWA_SECURITY_FULL"))


def _stored_like_ingest(db, store, channel, payloads: list[str]) -> str:
    """One case holding ``payloads`` exactly as ``ingest_message`` stores them (HTML sanitised by nh3),
    e-mail ones with the payload as subject, From name and attachment name too; returns the case id."""
    email = channel.kind == ChannelKind.EMAIL
    customer = Customer(workspace_id=channel.workspace_id, name=payloads[0] if email else "Klient")
    db.add(customer)
    db.flush()
    case = Case(
        workspace_id=channel.workspace_id,
        number=next_case_number(db, channel.workspace_id),
        customer_id=customer.id,
        subject=payloads[-1][:500] if email else "XSS",
        channel_id=channel.id,
    )
    db.add(case)
    db.flush()
    thread = Thread(
        workspace_id=channel.workspace_id,
        channel_id=channel.id,
        customer_id=customer.id,
        case_id=case.id,
        external_id=f"xss-{channel.id}",
        subject=payloads[0][:500],
    )
    db.add(thread)
    db.flush()
    for seq, payload in enumerate(payloads, start=1):
        message = Message(
            workspace_id=channel.workspace_id,
            case_id=case.id,
            thread_id=thread.id,
            channel_id=channel.id,
            customer_id=customer.id,
            seq=seq,
            direction=Direction.INBOUND,
            author_kind=AuthorKind.CUSTOMER,
            body_text=payload,
            body_html=nh3.clean(payload) if email else None,
            delivery_status=DeliveryStatus.RECEIVED,
            link_reason=payload[:200],
        )
        db.add(message)
        if email:
            db.flush()
            key, digest = store.put(b"<script>alert(1)</script>")
            db.add(
                Attachment(
                    workspace_id=channel.workspace_id,
                    message_id=message.id,
                    filename=payload[:255],
                    content_type="text/html",
                    size=25,
                    sha256=digest,
                    storage_key=key,
                )
            )
    case.last_seq = len(payloads)
    db.flush()
    return case.id


@pytest.mark.parametrize("kind", SINKS)
def test_every_payload_renders_inert_in_the_agent_ui(db, runtime, workspace, agent, kind):
    channel = make_channel(db, workspace, kind, name=str(kind))
    db.commit()
    mine = PAYLOADS if FULL else PAYLOADS[SINKS.index(kind) :: len(SINKS)]
    pages = []
    if FULL:
        email = kind == ChannelKind.EMAIL
        for n, payload in enumerate(mine):
            thread = f"e-{n}" if email else f"t-{n // PER_CASE}"
            pages.append(_ingest(db, runtime, channel, payload, n, thread=thread, email_parts=email))
    else:
        pages.append(_stored_like_ingest(db, runtime.ingest.store, channel, mine))
        # A sample through the real ingest path (parsing, customer, thread and case linking).
        for n, payload in enumerate(mine[:8]):
            pages.append(_ingest(db, runtime, channel, payload, n, thread=f"s-{n}", email_parts=True))
    db.commit()
    problems = [p for case_id in sorted(set(pages)) for p in _check(agent.client, f"/app/cases/{case_id}")]
    problems += _check(agent.client, "/app/inbox")
    assert problems == []


def test_order_data_and_knowledge_articles_render_inert(db, runtime, workspace, agent, admin):
    channel = make_channel(db, workspace, ChannelKind.WEBCHAT)
    db.commit()
    case_id = _ingest(db, runtime, channel, "Gdzie jest paczka?", 0, thread="o-1", email_parts=False)
    case = db.get(Case, case_id)
    for n, payload in enumerate(PAYLOADS[:60]):
        order = Order(
            workspace_id=workspace.id,
            external_id=f"x{n}",
            number=f"Z{n}",
            customer_id=case.customer_id,
            status="processing",
            payment_status="paid",
            total=Decimal("10.00"),
            placed_at=utcnow(),
            shipping_address={"name": payload, "street": payload, "city": payload, "note": payload},
        )
        db.add(order)
        db.flush()
        db.add(
            OrderItem(
                workspace_id=workspace.id,
                order_id=order.id,
                external_id=f"i{n}",
                name=payload,
                quantity=1,
                unit_price=Decimal("10.00"),
                options={"note": payload},
            )
        )
        db.add(CaseOrder(workspace_id=workspace.id, case_id=case_id, order_id=order.id, reason=payload[:200]))
    db.commit()
    assert _check(agent.client, f"/app/cases/{case_id}") == []
    for n, payload in enumerate(PAYLOADS[:40]):
        created = admin.client.post(
            "/api/v1/knowledge",
            json={"slug": f"xss-{n}", "title": payload[:300], "body": payload, "language": "pl"},
        )
        assert created.status_code in (201, 422), created.text
    listing = admin.client.get("/api/v1/knowledge")
    assert listing.headers["content-type"] == "application/json"
    assert listing.headers["x-content-type-options"] == "nosniff"
    ids = db.scalars(select(Case.id)).all()
    db.rollback()
    assert ids
