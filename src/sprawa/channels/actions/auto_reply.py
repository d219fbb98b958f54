"""The channel's automatic first answer: outside opening hours (or always), once per customer per day.

RFC 3834: never to robots (the adapter says so with ``auto_reply_allowed``), at most one per sender per
window. The mark row is unique per (channel, customer) and taken under a row lock, so two workers
storing two mails of the same sender at once still send one answer.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sprawa.cases.models import AuthorKind, Case, DeliveryStatus, Direction, Message
from sprawa.cases.service import add_message
from sprawa.channels.base import InboundMessage
from sprawa.channels.models import AutoReplyMark, Channel
from sprawa.platform.jobs import enqueue
from sprawa.workspaces.models import PolicyKind
from sprawa.workspaces.queries import active_policy
from sprawa.workspaces.schemas import WeeklyHours

WINDOW = timedelta(days=1)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_open(hours: WeeklyHours, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(hours.timezone))
    if local.date() in hours.closed_dates:
        return False
    intervals = hours.days.get(_WEEKDAYS[local.weekday()], [])  # type: ignore[call-overload]
    return any(i.start <= local.time() < i.end for i in intervals)


def channel_hours(session: Session, channel: Channel) -> WeeklyHours | None:
    """The channel's own hours, else the shop's business-hours policy, else None (unknown)."""
    data = (channel.settings or {}).get("business_hours") or active_policy(
        session, channel.workspace_id, PolicyKind.BUSINESS_HOURS
    )
    return WeeklyHours.model_validate(data) if data else None


def _take_mark(session: Session, channel: Channel, customer_id: str, now: datetime) -> bool:
    mark = session.scalars(
        select(AutoReplyMark)
        .where(AutoReplyMark.channel_id == channel.id, AutoReplyMark.customer_id == customer_id)
        .with_for_update()
    ).first()
    if mark is not None:
        if now - mark.sent_at < WINDOW:
            return False
        mark.sent_at = now
        return True
    try:
        with session.begin_nested():
            session.add(
                AutoReplyMark(
                    workspace_id=channel.workspace_id,
                    channel_id=channel.id,
                    customer_id=customer_id,
                    sent_at=now,
                )
            )
    except IntegrityError:
        return False  # another worker answered this customer a moment ago
    return True


def maybe_auto_reply(
    session: Session, channel: Channel, case: Case, inbound: Message, msg: InboundMessage, now: datetime
) -> Message | None:
    """Queue the channel's auto-reply to ``inbound`` when its rules allow; None otherwise."""
    rule = (channel.settings or {}).get("auto_reply") or {}
    if not rule.get("enabled") or not rule.get("text") or not msg.auto_reply_allowed:
        return None
    if rule.get("outside_hours_only", True):
        hours = channel_hours(session, channel)
        if hours is None or is_open(hours, now):
            return None
    if not _take_mark(session, channel, inbound.customer_id, now):
        return None
    reply = Message(
        thread_id=inbound.thread_id,
        channel_id=channel.id,
        customer_id=inbound.customer_id,
        direction=Direction.OUTBOUND,
        author_kind=AuthorKind.SYSTEM,
        body_text=rule["text"],
        delivery_status=DeliveryStatus.QUEUED,
        created_at=now,
    )
    add_message(session, case, reply)
    enqueue(
        session,
        "outbox.deliver",
        {"message_id": reply.id},
        workspace_id=case.workspace_id,
        key=f"deliver:{reply.id}",
    )
    return reply
