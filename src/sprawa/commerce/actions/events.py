"""Shop and carrier webhooks: stored durably before they are acknowledged, then processed by a job.

Processing never trusts the webhook body for state: it re-reads the order from the shop (or the parcel
from the carrier) and copies that into the cache, so a late or replayed delivery cannot roll an order
back. Every change then goes through the proactive rules of the affected orders.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from sprawa.commerce.actions.freshness import SHOP, record_health
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import CommerceEvent, CommerceEventStatus, ConnectorHealth, Order, Shipment
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.service import connector_for, refresh_order, shipment_row, upsert_orders
from sprawa.db import utcnow
from sprawa.platform.ids import new_id
from sprawa.platform.jobs import ERROR_MAX_CHARS, Job, PermanentFailure, RetryLater, enqueue

SYNC_OVERLAP = timedelta(minutes=5)
#: Called with the ids of orders whose cached state changed (the proactive rules hook in here).
OrderHook = Callable[[Session, str, list[str]], None]


def record_commerce_event(
    session: Session, workspace_id: str, source: str, provider_key: str, topic: str, payload: dict[str, Any]
) -> bool:
    """Store one webhook (dedup by its key) and queue its processing; False for a duplicate."""
    values = {
        "id": new_id(),
        "workspace_id": workspace_id,
        "source": source,
        "provider_key": provider_key[:255],
        "topic": topic[:64],
        "payload": payload,
        "status": CommerceEventStatus.RECEIVED,
        "received_at": utcnow(),
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(CommerceEvent).values(**values).on_conflict_do_nothing().returning(CommerceEvent.id)
    event_id = session.execute(stmt).scalar()
    if event_id is None:
        return False
    enqueue(
        session,
        "commerce.event",
        {"event_id": event_id},
        workspace_id=workspace_id,
        key=f"commerce:{event_id}",
    )
    return True


def process_commerce_event(
    session: Session, env: ConnectorEnv, event_id: str, on_orders: OrderHook | None
) -> None:
    event = session.get(CommerceEvent, event_id)
    if event is None or event.status != CommerceEventStatus.RECEIVED:
        return
    changed: list[str] = []
    if event.source == "inpost":
        from sprawa.commerce.carriers.service import refresh_parcel

        changed = refresh_parcel(
            session, env, event.workspace_id, str(event.payload.get("tracking_number", ""))
        )
    elif event.payload.get("privacy"):
        from sprawa.commerce.shopify.service import apply_privacy_topic

        apply_privacy_topic(session, event.workspace_id, event.payload)
        event.status = CommerceEventStatus.PROCESSED
        event.processed_at = utcnow()
        return
    elif ref := event.payload.get("order_ref"):
        connector = connector_for(session, event.workspace_id, env)
        order = refresh_order(session, connector, event.workspace_id, str(ref))
        record_health(session, event.workspace_id, SHOP, connector.kind, synced_orders=1 if order else 0)
        changed = [order.id] if order else []
    event.status = CommerceEventStatus.PROCESSED if changed else CommerceEventStatus.IGNORED
    event.processed_at = utcnow()
    if changed and on_orders is not None:
        on_orders(session, event.workspace_id, changed)


def run_commerce_event_job(
    env: ConnectorEnv, on_orders: OrderHook | None, factory: sessionmaker[Session], job: Job
) -> None:
    with factory.begin() as session:
        try:
            process_commerce_event(session, env, job.payload["event_id"], on_orders)
        except ConnectorError as exc:
            if exc.problem in (ConnectorProblem.RATE_LIMITED, ConnectorProblem.UNREACHABLE):
                raise RetryLater(str(exc), exc.retry_after) from exc
            raise PermanentFailure(str(exc)) from exc


def mark_commerce_event_failed(session: Session, job: Job) -> None:
    event = session.get(CommerceEvent, job.payload.get("event_id"))
    if event is not None:
        event.status = CommerceEventStatus.FAILED
        event.error = (job.last_error or "")[:ERROR_MAX_CHARS]


def update_shipments(session: Session, workspace_id: str, info: Any) -> list[str]:
    """Copy a carrier's view of one parcel onto every cached shipment with its tracking number."""
    rows = list(
        session.scalars(
            select(Shipment).where(
                Shipment.workspace_id == workspace_id, Shipment.tracking_number == info.tracking_number
            )
        )
    )
    now = utcnow()
    for row in rows:
        values = shipment_row(info, workspace_id, row.order_id, now)
        for key in ("state", "pickup_point", "pickup_deadline", "events", "last_event_at", "fetched_at"):
            if key in ("pickup_point", "pickup_deadline") and values[key] is None:
                continue
            setattr(row, key, values[key])
        if info.tracking_url and not row.tracking_url:
            row.tracking_url = info.tracking_url
    session.flush()
    return list(dict.fromkeys(r.order_id for r in rows if session.get(Order, r.order_id) is not None))


def poll_shop(
    session: Session, env: ConnectorEnv, workspace_id: str, on_orders: OrderHook | None = None
) -> int:
    """Catch up with a shop that sends no webhooks; returns how many orders changed.

    With a journal (BaseLinker, Allegro) each changed order becomes a stored event, written with the new
    cursor in one transaction, so a crash re-reads and never skips. Without one (PrestaShop) orders updated
    since the last sync (less a margin for clock skew) are copied into the cache directly.
    """
    connector = connector_for(session, workspace_id, env)
    health = session.scalars(
        select(ConnectorHealth).where(
            ConnectorHealth.workspace_id == workspace_id, ConnectorHealth.source == SHOP
        )
    ).first()
    journal = getattr(connector, "journal", None)
    try:
        if journal is None:
            since = health.last_sync_at - SYNC_OVERLAP if health and health.last_sync_at else None
            details = list(connector.iter_orders(updated_since=since))
            upsert_orders(session, workspace_id, details, source=connector.kind)
            changed = list(
                session.scalars(
                    select(Order.id).where(
                        Order.workspace_id == workspace_id,
                        Order.external_id.in_([d.external_id for d in details]),
                    )
                )
            )
            record_health(session, workspace_id, SHOP, connector.kind, synced_orders=len(details))
            if changed and on_orders is not None and since is not None:  # the first sync is history
                on_orders(session, workspace_id, changed)
            return len(details)
        cursor = health.cursor if health else None
        ids, new_cursor = journal(int(cursor or 0) if connector.kind == "baselinker" else cursor)
    except ConnectorError as exc:
        record_health(session, workspace_id, SHOP, connector.kind, exc)
        return 0
    for order_id in ids:
        record_commerce_event(
            session,
            workspace_id,
            connector.kind,
            f"journal:{new_cursor}:{order_id}",
            "journal",
            {"order_ref": order_id},
        )
    record_health(session, workspace_id, SHOP, connector.kind, cursor=str(new_cursor) if new_cursor else None)
    return len(ids)
