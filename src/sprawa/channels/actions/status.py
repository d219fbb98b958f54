"""Provider reports about outbound messages (delivered/read/failed, bounces) and echoes of our page's
own messages typed outside Sprawa.

Statuses arrive out of order and more than once: a status only ever moves forward
(queued → sent → delivered → read); "failed" wins over "sent" but never over delivered or read.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.cases.models import AuthorKind, Case, CaseStatus, DeliveryStatus, Direction, Message
from sprawa.cases.service import add_message
from sprawa.channels.base import EchoMessage, StatusUpdate
from sprawa.channels.models import Channel, Thread
from sprawa.db import utcnow
from sprawa.platform.events import Event, emit

_RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.FAILED: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.READ: 4,
}


def emit_status(session: Session, message: Message) -> None:
    emit(
        session,
        Event(
            "message.status",
            message.workspace_id,
            {"id": message.id, "status": message.delivery_status, "error": message.delivery_error},
            case_id=message.case_id,
        ),
    )


def apply_status(session: Session, channel: Channel, update: StatusUpdate) -> bool:
    """Move one outbound message forward; False when unknown or it would move backwards."""
    try:
        status = DeliveryStatus(update.status)
    except ValueError:
        return False
    message = session.scalars(
        select(Message)
        .where(
            Message.channel_id == channel.id,
            Message.provider_message_id == update.provider_message_id,
            Message.direction == Direction.OUTBOUND,
        )
        .with_for_update()
    ).first()
    if message is None or _RANK.get(status, -1) <= _RANK.get(message.delivery_status, -1):
        return False
    message.delivery_status = status
    if status == DeliveryStatus.FAILED:
        message.delivery_error = (update.error or "the provider reported a failure")[:2000]
    elif status in (DeliveryStatus.DELIVERED, DeliveryStatus.READ):
        message.delivered_at = message.delivered_at or update.at or utcnow()
    emit_status(session, message)
    return True


def apply_echo(session: Session, channel: Channel, echo: EchoMessage) -> Message | None:
    """Show a reply the business typed in the provider's own inbox as an agent message of the case."""
    known = session.scalar(
        select(Message.id).where(
            Message.channel_id == channel.id, Message.provider_message_id == echo.provider_message_id
        )
    )
    thread = session.scalars(
        select(Thread).where(Thread.channel_id == channel.id, Thread.external_id == echo.thread_external_id)
    ).first()
    if known or thread is None or thread.case_id is None:
        return None
    case = session.get(Case, thread.case_id)
    if case is None or case.status == CaseStatus.CLOSED:
        return None
    message = Message(
        thread_id=thread.id,
        channel_id=channel.id,
        customer_id=thread.customer_id,
        direction=Direction.OUTBOUND,
        author_kind=AuthorKind.AGENT,
        body_text=echo.text,
        provider_message_id=echo.provider_message_id,
        delivery_status=DeliveryStatus.SENT,
        created_at=utcnow(),
        sent_at=echo.sent_at,
    )
    return add_message(session, case, message)
