"""Returns and complaints in the demo workspace, made through the real service functions.

Six stories on the demo shop's delivered orders: a return the AI approved, one past the shop's window
waiting for a person, one whose parcel arrived (a refund to pay), a fresh complaint with a photo, one
nearing its deadline (its alarm raised) and one answered and settled. The demo never talks to a real
provider, so the notifications are marked delivered, as the sample conversations' replies are.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sprawa.aftersales.actions.deadlines import complaint_answer_due
from sprawa.aftersales.actions.eligibility import LineRequest
from sprawa.aftersales.models import Complaint, ComplaintDecision, Remedy, Return
from sprawa.aftersales.service import (
    do_decide_complaint,
    do_mark_goods_received,
    do_register_complaint,
    do_start_return,
)
from sprawa.aftersales.tasks import scan_complaint_deadlines
from sprawa.auth.models import Role, User
from sprawa.auth.queries import principal_for_user
from sprawa.auth.schemas import Principal
from sprawa.cases.models import AuthorKind, Case, DeliveryStatus, Message
from sprawa.channels.base import IdentityClaim, InboundAttachment, InboundMessage
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.service import IngestContext, ingest_message
from sprawa.commerce.models import Order, OrderItem, Product
from sprawa.customers.models import IdentityKind
from sprawa.db import utcnow
from sprawa.platform.jobs import Job, JobStatus
from sprawa.workspaces.models import Policy, PolicyKind, Workspace

# A 1×1 PNG: the demo complaint's "photo" (the browser shows it as evidence).
PHOTO = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
RETURN_SETTINGS = {
    "return_methods": ["paczkomat", "courier", "in_store"],
    "paczkomat_return_code": "LESNAPOLANA-ZWROT",
    "courier_label_url": "https://lesnapolana.example/zwroty/etykieta",
    "return_address": "Leśna Polana — zwroty, ul. Przemysłowa 12, 30-701 Kraków",
    "store_address": "Leśna Polana, ul. Długa 7, Kraków (pn.–pt. 10–18, sob. 10–14)",
}


def seed_demo_aftersales(session: Session, ingest: IngestContext, workspace_id: str) -> dict[str, int]:
    """Create the demo's returns and complaints; returns how many of each and how many cases they opened."""
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    _return_methods(session, workspace_id)
    channel = session.scalars(
        select(Channel).where(Channel.workspace_id == workspace_id, Channel.kind == ChannelKind.EMAIL)
    ).first()
    if channel is None:
        return {"returns": 0, "complaints": 0, "cases": 0}
    now = utcnow()
    ai = Principal.system(workspace_id, AuthorKind.AI)
    agent = session.scalars(
        select(User).where(User.workspace_id == workspace_id, User.role == Role.AGENT).order_by(User.email)
    ).first()
    orders = _orders(session, workspace_id, now)
    cases: list[Case] = []

    def case_for(order: Order, text: str, attachments: list[InboundAttachment] | None = None) -> Case:
        case = _customer_writes(session, ingest, channel, order, text, attachments)
        cases.append(case)
        return case

    fresh, late = orders["fresh"], orders["late"]
    if fresh:
        order, line = fresh.pop()
        case = case_for(
            order, f"Dzień dobry, chcę zwrócić „{line.name}” z zamówienia {order.number} — za duże."
        )
        do_start_return(session, ai, case, order.id, [LineRequest(line.id)], reason="Za duży rozmiar")
    if late:
        order, line = late.pop()
        case = case_for(
            order, f"Chciałabym oddać „{line.name}” (zamówienie {order.number}), nie pasuje mi kolor."
        )
        do_start_return(
            session, ai, case, order.id, [LineRequest(line.id)], reason="Kolor inny niż na zdjęciach"
        )
    if fresh and agent is not None:
        order, line = fresh.pop()
        case = case_for(order, f"Odsyłam „{line.name}” z zamówienia {order.number}, zmieniłem zdanie.")
        ret = do_start_return(session, ai, case, order.id, [LineRequest(line.id)], reason="Zmiana decyzji")
        do_mark_goods_received(session, principal_for_user(session, agent), [ret])
    complaints: list[Complaint] = []
    for age_days, text in (
        (0, "Szew na rękawie puścił po pierwszym założeniu. Zdjęcie w załączniku."),
        (12, "Produkt przestał działać po tygodniu, nie da się go włączyć."),
        (5, "Pękła rączka przy pierwszym użyciu."),
    ):
        if not fresh and not late:
            break
        order, line = (fresh or late).pop()
        photo = [InboundAttachment("wada.png", "image/png", PHOTO)] if age_days == 0 else None
        case = case_for(order, f"Reklamacja — zamówienie {order.number}, „{line.name}”: {text}", photo)
        complaint = do_register_complaint(
            session, ai, case, order.id, line.id, description=text, remedy=Remedy.REPLACEMENT
        )
        if age_days:
            complaint.received_at = now - timedelta(days=age_days)
            complaint.answer_due_by = complaint_answer_due(complaint.received_at, workspace.timezone)
        complaints.append(complaint)
    if len(complaints) == 3 and agent is not None:
        settled = complaints[2]
        do_decide_complaint(
            session,
            principal_for_user(session, agent),
            settled,
            decision=ComplaintDecision.ACCEPTED,
            granted_remedy=Remedy.REPLACEMENT,
            answer="Dzień dobry,\n\nreklamację uznajemy — nowy produkt wyślemy jeszcze dziś. Przepraszamy za "
            "kłopot.\n\nZespół Leśnej Polany",
        )
    session.flush()
    scan_complaint_deadlines(session, workspace_id, now)
    _settle_outbox(session, [c.id for c in cases])
    return {
        "returns": len(list(session.scalars(select(Return.id).where(Return.workspace_id == workspace_id)))),
        "complaints": len(complaints),
        "cases": len({c.id for c in cases}),
    }


def _return_methods(session: Session, workspace_id: str) -> None:
    """The shop's return methods, as a new version of its returns policy."""
    current = session.scalars(
        select(Policy)
        .where(
            Policy.workspace_id == workspace_id, Policy.kind == PolicyKind.RETURNS, Policy.active.is_(True)
        )
        .order_by(Policy.version.desc())
    ).first()
    data: dict[str, Any] = dict(current.data) if current else {}
    if current is not None:
        current.active = False
    session.add(
        Policy(
            workspace_id=workspace_id,
            kind=PolicyKind.RETURNS,
            version=(current.version + 1) if current else 1,
            data=data | RETURN_SETTINGS,
            active=True,
        )
    )
    session.flush()


def _orders(session: Session, workspace_id: str, now: datetime) -> dict[str, list[tuple[Order, OrderItem]]]:
    """Delivered orders with an e-mail and one returnable line: within the shop's window, and past it."""
    excepted = set(
        session.scalars(
            select(Product.external_id).where(
                Product.workspace_id == workspace_id, Product.withdrawal_exception.is_not(None)
            )
        )
    )
    rows = session.execute(
        select(Order, OrderItem)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(
            Order.workspace_id == workspace_id,
            Order.status == "delivered",
            Order.customer_email.is_not(None),
            Order.delivered_at.is_not(None),
        )
        .order_by(Order.number, OrderItem.external_id)
    ).all()
    picked: dict[str, list[tuple[Order, OrderItem]]] = {"fresh": [], "late": []}
    seen: set[str] = set()
    for order, item in rows:
        if order.id in seen or item.product_external_id in excepted or order.delivered_at is None:
            continue
        age = now - order.delivered_at
        key = (
            "fresh"
            if age <= timedelta(days=10)
            else "late"
            if timedelta(days=35) <= age <= timedelta(days=90)
            else None
        )
        if key and len(picked[key]) < 4:
            picked[key].append((order, item))
            seen.add(order.id)
    return picked


def _customer_writes(
    session: Session,
    ingest: IngestContext,
    channel: Channel,
    order: Order,
    text: str,
    attachments: list[InboundAttachment] | None,
) -> Case:
    assert order.customer_email is not None
    message = ingest_message(
        session,
        ingest,
        channel,
        InboundMessage(
            provider_message_id=f"<aftersales-{order.number}@mail.demo.invalid>",
            thread_external_id=f"<aftersales-{order.number}@mail.demo.invalid>",
            identities=[IdentityClaim(IdentityKind.EMAIL, order.customer_email, verified=True)],
            text=text,
            subject=f"Zamówienie {order.number}",
            language="pl",
            attachments=attachments or [],
        ),
    )
    assert message is not None
    case = session.get(Case, message.case_id)
    assert case is not None
    return case


def _settle_outbox(session: Session, case_ids: list[str]) -> None:
    """The demo's providers are not real: its queued notifications count as delivered."""
    session.flush()
    ids = list(
        session.scalars(
            select(Message.id).where(
                Message.case_id.in_(case_ids), Message.delivery_status == DeliveryStatus.QUEUED
            )
        )
    )
    if not ids:
        return
    now = utcnow()
    session.execute(
        update(Message)
        .where(Message.id.in_(ids))
        .values(delivery_status=DeliveryStatus.DELIVERED, sent_at=now, delivered_at=now)
    )
    session.execute(
        update(Job)
        .where(Job.idempotency_key.in_([f"deliver:{i}" for i in ids]))
        .values(status=JobStatus.DONE, finished_at=now)
    )
