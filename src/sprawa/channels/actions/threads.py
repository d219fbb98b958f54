"""Which thread (and case) an inbound message joins: signed token, then reply references, then subject tag.

A hint that names another customer's conversation is ignored: a guessed In-Reply-To or ``[#123]`` in a
subject never attaches a message to someone else's case. Only a token the adapter verified (an HMAC
that only the recipient of our mail can know) may name any thread of the channel.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.cases.models import Case, CaseStatus, Message
from sprawa.channels.base import InboundMessage
from sprawa.channels.models import Channel, MessageRef, Thread
from sprawa.commerce.models import Order
from sprawa.customers.models import Customer
from sprawa.customers.service import live_customer


def thread_for_inbound(
    session: Session, channel: Channel, customer: Customer, msg: InboundMessage
) -> tuple[Thread, Case | None, str]:
    """The thread to store ``msg`` on, and a case the hints point to (with the reason) for a new thread."""
    if msg.trusted_thread_id:
        thread = session.get(Thread, msg.trusted_thread_id)
        if thread is not None and thread.channel_id == channel.id:
            return thread, None, "signed reply token"
    if msg.thread_refs:
        thread_ids = session.scalars(
            select(MessageRef.thread_id)
            .where(MessageRef.channel_id == channel.id, MessageRef.ref.in_(msg.thread_refs[:50]))
            .distinct()
        )
        for thread_id in thread_ids:
            thread = session.get(Thread, thread_id)
            if thread is not None and live_customer(session, thread.customer_id).id == customer.id:
                return thread, None, "reply to an earlier message"
    thread = session.scalars(
        select(Thread).where(Thread.channel_id == channel.id, Thread.external_id == msg.thread_external_id)
    ).first()
    if thread is None:
        thread = Thread(
            workspace_id=channel.workspace_id,
            channel_id=channel.id,
            customer_id=customer.id,
            external_id=msg.thread_external_id,
            subject=msg.subject,
        )
        session.add(thread)
        session.flush()
    if msg.case_number is not None and thread.case_id is None:
        case = session.scalars(
            select(Case).where(Case.workspace_id == channel.workspace_id, Case.number == msg.case_number)
        ).first()
        while case is not None and case.merged_into_id:
            case = session.get(Case, case.merged_into_id)
        if (
            case is not None
            and case.status != CaseStatus.CLOSED
            and live_customer(session, case.customer_id).id == customer.id
        ):
            return thread, case, f"case number #{case.number} in the subject"
    return thread, None, ""


def remember_ref(
    session: Session, channel: Channel, thread: Thread, message_id: str, msg: InboundMessage
) -> None:
    if msg.own_ref:
        session.add(
            MessageRef(
                workspace_id=channel.workspace_id,
                channel_id=channel.id,
                ref=msg.own_ref[:255],
                thread_id=thread.id,
                message_id=message_id,
                reply_address=(msg.reply_address or "")[:255] or None,
            )
        )


def last_inbound_ref(session: Session, thread_id: str) -> MessageRef | None:
    """The reference of the customer's latest message on a thread (what an answer replies to)."""
    return session.scalars(
        select(MessageRef)
        .join(Message, Message.id == MessageRef.message_id)
        .where(MessageRef.thread_id == thread_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).first()


def orders_by_external_id(session: Session, workspace_id: str, refs: list[str]) -> list[str]:
    """Orders the provider named by its own id (a marketplace message "about order X")."""
    if not refs:
        return []
    return list(
        session.scalars(
            select(Order.id).where(Order.workspace_id == workspace_id, Order.external_id.in_(refs[:20]))
        )
    )
