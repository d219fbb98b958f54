"""Allegro customer returns mirrored as after-sales ``Return`` records (LEGAL-PL: mirror their state).

On Allegro the buyer starts the return in Allegro itself and Allegro tells them how to send the parcel, so
a mirrored return is never approved or announced by Sprawa: it appears in the returns queue with the
deadlines of the law (refund 14 days from the statement, art. 32), beside the case of its order (a new
case when there is none), and its status follows Allegro's. One record per Allegro return id
(``marketplace_return_id``, unique per workspace): running the mirror again only moves statuses forward,
and of two runs that overlap (a slow run and the next one) the second finds the first's record. The rules'
reasons (window closed, art. 38 goods, a company order) are shown to agents as on any return — never a
rejection.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sprawa.aftersales.actions import deadlines
from sprawa.aftersales.actions.eligibility import (
    ResolvedLine,
    business_buyer,
    check_eligibility,
    delivery_parts,
)
from sprawa.aftersales.actions.refunds import propose_refund
from sprawa.aftersales.models import IntakeSource, Return, ReturnMethod, ReturnStatus
from sprawa.aftersales.service import add_return
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case, CaseOrder
from sprawa.cases.service import OPEN_STATES, do_add_note, link_orders, open_case, record_activity
from sprawa.channels.base import IdentityClaim
from sprawa.channels.models import Channel, ChannelKind
from sprawa.commerce.allegro.connector import AllegroOrders
from sprawa.commerce.models import Order, OrderItem, Product
from sprawa.commerce.service import refresh_order
from sprawa.customers.models import Customer, IdentityKind
from sprawa.customers.service import resolve_customer
from sprawa.db import utcnow
from sprawa.workspaces.models import PolicyKind, Workspace
from sprawa.workspaces.queries import typed_policy
from sprawa.workspaces.schemas import ReturnsPolicy

#: How far back each run looks: the longest window plus the time a return may stay open at Allegro.
LOOKBACK = timedelta(days=60)
#: Allegro's return statuses and where they put the record (art. 32: proof of sending counts as goods).
STATUSES: dict[str, ReturnStatus] = {
    "CREATED": ReturnStatus.AWAITING_GOODS,
    "DISPATCHED": ReturnStatus.RECEIVED,
    "IN_TRANSIT": ReturnStatus.RECEIVED,
    "DELIVERED": ReturnStatus.RECEIVED,
    "WAREHOUSE_DELIVERED": ReturnStatus.RECEIVED,
    "WAREHOUSE_VERIFICATION": ReturnStatus.RECEIVED,
    "FINISHED": ReturnStatus.REFUNDED,
    "FINISHED_APT": ReturnStatus.REFUNDED,
    "COMMISSION_REFUND_CLAIMED": ReturnStatus.REFUNDED,
    "COMMISSION_REFUNDED": ReturnStatus.REFUNDED,
    "REJECTED": ReturnStatus.REJECTED,
}
_PATH = (ReturnStatus.APPROVED, ReturnStatus.AWAITING_GOODS, ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)
_SENT = frozenset({"DISPATCHED", "IN_TRANSIT"})


@dataclass
class MirrorResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def mirror_allegro_returns(
    session: Session, connector: AllegroOrders, workspace_id: str, *, now: datetime | None = None
) -> MirrorResult:
    """Create or move forward the ``Return`` of each recent Allegro customer return (idempotent)."""
    now = now or utcnow()
    result = MirrorResult()
    for data in connector.returns_since(now - LOOKBACK):
        status = STATUSES.get(str(data.get("status") or ""))
        existing = _existing(session, workspace_id, data)
        if existing is not None:
            result.updated += _follow(session, existing, data, status, now)
            continue
        try:
            with session.begin_nested():
                order = _order(session, connector, workspace_id, str(data.get("orderId") or ""))
                if order is None or status is None:
                    result.skipped += 1
                    continue
                ret = _create(session, workspace_id, order, data, now)
                _follow(session, ret, data, status, now)
                result.created += 1
        except IntegrityError:
            # Another run created it meanwhile (the unique key waited for its commit): follow that one.
            existing = _existing(session, workspace_id, data)
            if existing is None:
                raise
            result.updated += _follow(session, existing, data, status, now)
    return result


def _existing(session: Session, workspace_id: str, data: dict[str, Any]) -> Return | None:
    return session.scalars(
        select(Return).where(
            Return.workspace_id == workspace_id,
            Return.marketplace_return_id == str(data["id"])[:64],
        )
    ).first()


def _order(session: Session, connector: AllegroOrders, workspace_id: str, form_id: str) -> Order | None:
    cached = session.scalars(
        select(Order).where(Order.workspace_id == workspace_id, Order.external_id == form_id)
    ).first()
    return cached or (refresh_order(session, connector, workspace_id, form_id) if form_id else None)


def _case(session: Session, workspace: Workspace, order: Order, data: dict[str, Any]) -> Case:
    """The open case of this order, else a new one for the buyer (on the Allegro channel if there is one)."""
    case = session.scalars(
        select(Case)
        .join(CaseOrder, CaseOrder.case_id == Case.id)
        .where(CaseOrder.order_id == order.id, Case.status.in_(OPEN_STATES))
        .order_by(Case.last_message_at.desc())
        .limit(1)
    ).first()
    if case is not None:
        return case
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    if customer is None:
        email = ((data.get("buyer") or {}).get("email") or order.customer_email or "").strip()
        login = (data.get("buyer") or {}).get("login") or "allegro"
        claims = [IdentityClaim(IdentityKind.EMAIL, email, verified=True)] if email else []
        claims = claims or [IdentityClaim(IdentityKind.VISITOR, f"allegro-{login}", verified=True)]
        customer = resolve_customer(session, workspace.id, claims, name=login, language="pl")
    channel = session.scalars(
        select(Channel.id).where(Channel.workspace_id == workspace.id, Channel.kind == ChannelKind.ALLEGRO)
    ).first()
    case = open_case(
        session,
        customer,
        subject=f"Zwrot Allegro — zamówienie {order.number}",
        channel_id=channel,
        language="pl",
    )
    link_orders(session, case, [order.id], reason="Allegro customer return")
    return case


def _create(session: Session, workspace_id: str, order: Order, data: dict[str, Any], now: datetime) -> Return:
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    policy = typed_policy(session, workspace_id, PolicyKind.RETURNS)
    assert isinstance(policy, ReturnsPolicy)
    case = _case(session, workspace, order, data)
    statement_at = _at(data.get("createdAt")) or now
    lines = _lines(session, order, data)
    eligibility = check_eligibility(
        session,
        order,
        lines,
        window_days=policy.window_days,
        timezone=workspace.timezone,
        statement_at=statement_at,
        informed=policy.withdrawal_info_given,
        info_sent_on=policy.withdrawal_info_sent_on,
        business_may_withdraw=policy.business_buyers_may_withdraw,
    )
    refund = propose_refund(session, order, lines, cheapest_delivery=policy.cheapest_delivery_price)
    parcel = next(iter(data.get("parcels") or []), {})
    reference = str(data.get("referenceNumber") or data["id"])
    ret = Return(
        workspace_id=workspace_id,
        number=f"ZW-A-{reference}"[:40],
        case_id=case.id,
        order_id=order.id,
        customer_id=case.customer_id,
        status=ReturnStatus.REQUESTED,
        source=IntakeSource.ALLEGRO,
        reason="; ".join(
            str((i.get("reason") or {}).get("userComment") or (i.get("reason") or {}).get("type") or "")
            for i in data.get("items") or []
            if i.get("reason")
        )[:2000],
        delivered_at=deadlines.possession_date(delivery_parts(session, order), order.delivered_at),
        window_days=eligibility.window_days,
        withdrawal_deadline=eligibility.deadline,
        statement_received_at=statement_at,
        goods_due_by=deadlines.goods_due(statement_at, workspace.timezone),
        method=ReturnMethod.COURIER,
        method_details={"carrier": parcel.get("carrierId") or "", "waybill": parcel.get("waybill") or ""},
        refund_amount=refund.total,
        refund_items_amount=refund.items,
        refund_delivery_amount=refund.delivery,
        currency=order.currency,
        refund_method=order.payment_method or "bank_transfer",
        refund_due_by=deadlines.refund_due(statement_at, workspace.timezone),
        shop_reference=str(data["id"])[:64],
        marketplace_return_id=str(data["id"])[:64],
        # Allegro checks its own rules; what ours would say is only shown (never not_delivered: the
        # buyer had the parcel to start a return).
        review_reasons=[
            r for r in eligibility.review_reasons if r not in ("not_delivered", "no_delivery_date")
        ],
        created_at=now,
    )
    add_return(session, ret, lines)
    system = Principal.system(workspace_id)
    record_activity(session, case, system, "return_started", number=ret.number, eligibility="allegro")
    company = business_buyer(order)
    do_add_note(
        session,
        system,
        case,
        f"Kupujący zgłosił zwrot na Allegro ({reference}) — {ret.number}. Status i przesyłkę prowadzi "
        f"Allegro; zwrot pieniędzy najpóźniej {ret.refund_due_by:%d.%m.%Y}."
        + (
            f" Zamówienie na firmę ({company}) — sprawdź, czy kupujący ma prawa konsumenta."
            if company
            else ""
        ),
    )
    return ret


def _lines(session: Session, order: Order, data: dict[str, Any]) -> list[ResolvedLine]:
    """Order lines of the returned offers (by offer id, else by name); all lines when nothing matches."""
    items = list(session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)))
    exceptions = dict(
        session.execute(
            select(Product.external_id, Product.withdrawal_exception).where(
                Product.workspace_id == order.workspace_id,
                Product.external_id.in_({i.product_external_id for i in items if i.product_external_id}),
            )
        ).all()
    )
    lines = []
    for returned in data.get("items") or []:
        item = next(
            (
                i
                for i in items
                if i.product_external_id == str(returned.get("offerId") or "")
                or i.name == returned.get("name")
            ),
            None,
        )
        if item is not None:
            quantity = min(item.quantity, int(returned.get("quantity") or 1))
            lines.append(ResolvedLine(item, quantity, exceptions.get(item.product_external_id or "")))
    return lines or [ResolvedLine(i, i.quantity, exceptions.get(i.product_external_id or "")) for i in items]


def _follow(
    session: Session, ret: Return, data: dict[str, Any], status: ReturnStatus | None, now: datetime
) -> int:
    """Move the record to Allegro's status (forward only); 1 when it moved."""
    from sprawa.aftersales.service import transition_return

    current = ReturnStatus(ret.status)
    if status is None or status == current or current in (ReturnStatus.REFUNDED, ReturnStatus.REJECTED):
        return 0
    system = Principal.system(ret.workspace_id)
    if status == ReturnStatus.REJECTED:
        if current == ReturnStatus.REQUESTED:
            transition_return(session, system, ret, status, now=now)
        else:  # Allegro rejected after the goods came: the record follows, recorded on the case
            ret.status, ret.closed_at, ret.updated_at = status, now, now
            record_activity(
                session, session.get(Case, ret.case_id), system, "return_status", number=ret.number, to=status
            )
        ret.rejection_reason = "Odrzucony w Allegro"
        return 1
    if current not in (ReturnStatus.REQUESTED, *_PATH) or _PATH.index(status) <= (
        _PATH.index(current) if current in _PATH else -1
    ):
        return 0
    parcel = next(iter(data.get("parcels") or []), {})
    if status in (ReturnStatus.RECEIVED, ReturnStatus.REFUNDED):
        if str(data.get("status")) in _SENT:
            ret.proof_of_sending_at = ret.proof_of_sending_at or _at(parcel.get("createdAt")) or now
        else:
            ret.goods_received_at = ret.goods_received_at or now
    if status == ReturnStatus.REFUNDED:
        ret.refund_via, ret.refund_reference, ret.refunded_at = "allegro", str(data["id"])[:100], now
    start = _PATH.index(current) + 1 if current in _PATH else 0
    for step in _PATH[start : _PATH.index(status) + 1]:
        transition_return(session, system, ret, step, now=now)
    return 1
