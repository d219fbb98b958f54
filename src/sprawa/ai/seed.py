"""Demo set-up of the AI first line: switch it on for the demo shop, build its knowledge index, and let it
answer a few customers whose messages need a person, so the inbox's "Eskalowane przez AI" view and the
case view's AI panel show real hand-offs (decisions, notes and replies made by the AI itself)."""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sprawa.ai.retrieval import refresh_index
from sprawa.ai.service import respond
from sprawa.cases.models import AuthorKind, DeliveryStatus, Direction, Message
from sprawa.channels.base import IdentityClaim, InboundMessage
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.service import IngestContext, ingest_message
from sprawa.commerce.models import Order
from sprawa.customers.models import Identity, IdentityKind
from sprawa.db import utcnow
from sprawa.platform.jobs import Job, JobStatus
from sprawa.workspaces.models import Workspace

#: (language, hours ago, message): each needs a person for a different reason — the customer asks for
#: one, a complaint, anger with a legal threat, a data-protection request.
ESCALATING_MESSAGES = [
    (
        "pl",
        2,
        "Dzień dobry, wolałabym porozmawiać z konsultantem, nie z automatem. Chodzi o zamówienie {order}.",
    ),
    (
        "pl",
        5,
        "Kurtka z zamówienia {order} rozpruła się na szwie po dwóch dniach noszenia. Składam reklamację "
        "i proszę o wymianę na nową.",
    ),
    (
        "pl",
        9,
        "Piszę już trzeci raz w sprawie zamówienia {order} i nikt mi nie odpowiada!!! To skandal, jeśli "
        "do jutra nie dostanę odpowiedzi, zgłaszam sprawę do UOKiK.",
    ),
    ("en", 20, "Hello, under GDPR please delete all the personal data you hold about me."),
]


def seed_ai(session: Session, workspace: Workspace, ingest: IngestContext | None = None) -> int:
    """Turn the AI on (after the sample cases, so they stay as seeded) and index the articles; with
    ``ingest``, let the AI answer :data:`ESCALATING_MESSAGES`. Returns the cases created."""
    settings = dict(workspace.settings or {})
    settings["ai"] = {"enabled": True, "allowed_links": ["https://lesnapolana.pl/"]}
    workspace.settings = settings
    refresh_index(session, workspace.id)
    return seed_escalations(session, ingest, workspace) if ingest is not None else 0


def seed_escalations(
    session: Session, ingest: IngestContext, workspace: Workspace, now: datetime | None = None
) -> int:
    """E-mails from shop customers not yet in the inbox, each answered by the AI as the worker would
    (``respond``); the AI's replies count as delivered (seeded history: nothing reaches a provider)."""
    channel = session.scalar(
        select(Channel).where(Channel.workspace_id == workspace.id, Channel.kind == ChannelKind.EMAIL)
    )
    if channel is None:
        return 0
    now = now or utcnow()
    known = set(
        session.scalars(
            select(Identity.value).where(
                Identity.workspace_id == workspace.id, Identity.kind == IdentityKind.EMAIL
            )
        )
    )
    # Delivered orders first: a complaint about a parcel still on its way would read oddly.
    orders = sorted(
        (
            o
            for o in session.scalars(
                select(Order).where(Order.workspace_id == workspace.id, Order.customer_email.is_not(None))
            )
            if o.customer_email not in known
        ),
        key=lambda o: (o.status != "delivered", o.number),
    )
    messages = []
    for i, (language, hours, text) in enumerate(ESCALATING_MESSAGES):
        order = next((o for o in orders if o.customer_email not in known), None)
        if order is None:
            break
        assert order.customer_email is not None
        known.add(order.customer_email)
        message = ingest_message(
            session,
            ingest,
            channel,
            InboundMessage(
                provider_message_id=f"seed-ai-{i}",
                thread_external_id=f"<seed-ai-{i}@mail.demo.invalid>",
                identities=[IdentityClaim(IdentityKind.EMAIL, order.customer_email, verified=True)],
                text=text.format(order=order.number),
                subject=f"Zamówienie {order.number}",
                name=(order.shipping_address or {}).get("name")
                or order.customer_email.split("@")[0].replace(".", " ").title(),
                language=language,
                sent_at=now - timedelta(hours=hours),
            ),
        )
        if message is not None:
            messages.append(message)
    session.flush()
    # Answered only once all are stored: storing a message commits savepoints, which would run the
    # AI's after-commit work (audit entries) early, inside this transaction.
    for message in messages:
        respond(session, message.id, now=now)
        _as_delivered(session, message)
    return len(messages)


def _as_delivered(session: Session, message: Message) -> None:
    session.execute(
        update(Job)
        .where(Job.idempotency_key == f"ai:{message.id}")
        .values(status=JobStatus.DONE, finished_at=utcnow())
    )
    for reply in session.scalars(
        select(Message).where(
            Message.case_id == message.case_id,
            Message.direction == Direction.OUTBOUND,
            Message.author_kind == AuthorKind.AI,
        )
    ):
        reply.delivery_status = DeliveryStatus.DELIVERED
        reply.sent_at = reply.delivered_at = utcnow()
        session.execute(
            update(Job)
            .where(Job.idempotency_key == f"deliver:{reply.id}")
            .values(status=JobStatus.DONE, finished_at=utcnow())
        )
