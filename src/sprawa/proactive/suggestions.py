"""Personal suggestions from the shop's own data, each with why it was made.

- Replenishment: a product this customer bought at least twice; the next purchase is predicted from their
  own average interval for it ("buys the coffee every 31 days, last on 2 May").
- Co-purchase: products that other customers bought in the same order as the customer's latest products.

Agents always see them (they are suggestions). A message to the customer is marketing: it needs the
customer's marketing consent on that channel, a channel that allows marketing, and stays within the
workspace's frequency cap. Co-purchases reach customers in the message that closes a case (the survey
after a resolution, ``closing_offer``), with why and a link that withdraws the consent.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.cases.models import Case, Direction, Message
from sprawa.channels.base import ChannelAdapter
from sprawa.channels.models import Channel, ChannelKind
from sprawa.commerce.base import OrderStatus
from sprawa.commerce.models import Order, OrderItem
from sprawa.customers.models import Customer
from sprawa.proactive.models import Suggestion, SuggestionKind
from sprawa.workspaces.models import Workspace

#: A reminder is due from this long before the predicted date until this long after it.
DUE_BEFORE = timedelta(days=5)
DUE_AFTER = timedelta(days=10)
MIN_INTERVAL_DAYS = 5
CO_PURCHASE_MIN_ORDERS = 2


@dataclass(frozen=True)
class Proposal:
    kind: SuggestionKind
    product_external_id: str
    product_name: str
    why_pl: str
    why_en: str
    due_at: datetime | None
    score: float
    interval_days: int | None = None

    @property
    def dedup_key(self) -> str:
        due = self.due_at.strftime("%Y%m%d") if self.due_at else ""
        return f"{self.kind}:{self.product_external_id}:{due}"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _purchases(session: Session, customer: Customer) -> list[tuple[str, str, datetime, str]]:
    """(product id, name, placed at, order id) of the customer's orders that were not cancelled."""
    rows = session.execute(
        select(OrderItem.product_external_id, OrderItem.name, Order.placed_at, Order.id)
        .join(Order, Order.id == OrderItem.order_id)
        .where(
            Order.customer_id == customer.id,
            Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.RETURNED]),
            OrderItem.product_external_id.is_not(None),
        )
        .order_by(Order.placed_at)
    )
    return [(str(p), n, _aware(at), oid) for p, n, at, oid in rows]


def replenishment(session: Session, customer: Customer, now: datetime) -> list[Proposal]:
    bought: dict[str, list[datetime]] = defaultdict(list)
    names: dict[str, str] = {}
    for product, name, at, _ in _purchases(session, customer):
        if not bought[product] or (at - bought[product][-1]).days >= 1:
            bought[product].append(at)
        names[product] = name
    found = []
    for product, dates in bought.items():
        if len(dates) < 2:
            continue
        gaps = [(b - a).days for a, b in zip(dates, dates[1:], strict=False)]
        interval = sum(gaps) / len(gaps)
        if interval < MIN_INTERVAL_DAYS:
            continue
        due = dates[-1] + timedelta(days=interval)
        if not (due - DUE_BEFORE <= now <= due + DUE_AFTER):
            continue
        days, last = round(interval), dates[-1].strftime("%d.%m.%Y")
        found.append(
            Proposal(
                SuggestionKind.REPLENISHMENT,
                product,
                names[product],
                f"Klient kupuje „{names[product]}” średnio co {days} dni (ostatnio {last}, "
                f"{len(dates)} zakupy), więc zapas może się kończyć.",
                f"The customer buys “{names[product]}” every {days} days on average (last on {last}, "
                f"{len(dates)} purchases), so they may be running low.",
                due,
                float(len(dates)),
                days,
            )
        )
    return sorted(found, key=lambda p: -p.score)


def _orders_pl(n: int) -> str:
    if n == 1:
        return "1 zamówienie"
    few = n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14)
    return f"{n} zamówienia" if few else f"{n} zamówień"


def co_purchase(session: Session, customer: Customer, limit: int = 3) -> list[Proposal]:
    purchases = _purchases(session, customer)
    if not purchases:
        return []
    owned = {p for p, _, _, _ in purchases}
    latest_order = purchases[-1][3]
    seeds = {p: n for p, n, _, oid in purchases if oid == latest_order}
    together = (
        select(OrderItem.order_id)
        .where(
            OrderItem.workspace_id == customer.workspace_id,
            OrderItem.product_external_id.in_(list(seeds)),
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(OrderItem.product_external_id, OrderItem.name, func.count(func.distinct(OrderItem.order_id)))
        .where(OrderItem.order_id.in_(together), OrderItem.product_external_id.not_in(list(owned)))
        .group_by(OrderItem.product_external_id, OrderItem.name)
        .having(func.count(func.distinct(OrderItem.order_id)) >= CO_PURCHASE_MIN_ORDERS)
        .order_by(func.count(func.distinct(OrderItem.order_id)).desc())
        .limit(limit * 3)
    )
    seed_name = next(iter(seeds.values()))
    found: dict[str, Proposal] = {}
    for product, name, orders in rows:
        if product in found:
            continue
        found[product] = Proposal(
            SuggestionKind.CO_PURCHASE,
            str(product),
            name,
            f"Klienci, którzy kupili „{seed_name}”, często kupowali też „{name}” ({_orders_pl(orders)}).",
            f"Customers who bought “{seed_name}” often also bought “{name}” ({orders} orders).",
            None,
            float(orders),
        )
    return list(found.values())[:limit]


def suggest_for_customer(session: Session, customer: Customer, now: datetime) -> list[Proposal]:
    """Everything worth suggesting to this customer now (for the agent's side panel); writes nothing."""
    return replenishment(session, customer, now) + co_purchase(session, customer)


def messages_sent(session: Session, customer: Customer, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Suggestion.customer_id == customer.id,
                Suggestion.status == "sent",
                Suggestion.created_at > now - timedelta(days=30),
            )
        )
        or 0
    )


def post_resolution_line(
    session: Session,
    customer: Customer,
    adapter: ChannelAdapter | None,
    channel_kind: str,
    lang: str,
    now: datetime,
    *,
    cap: int = 1,
) -> tuple[str, Proposal] | None:
    """One co-purchase line to add to a message that closes a case, when consent and the cap allow it.

    Without the channel's ``adapter`` only the customer's consent on ``channel_kind`` decides."""
    from sprawa.privacy.queries import may_send_marketing
    from sprawa.proactive.notifications import channel_allows_marketing

    if adapter is not None and not channel_allows_marketing(adapter):
        return None
    if cap <= 0 or not may_send_marketing(session, customer, channel_kind):
        return None
    if messages_sent(session, customer, now) >= cap:
        return None
    proposals = co_purchase(session, customer, limit=1)
    if not proposals:
        return None
    p = proposals[0]
    line = (
        f"PS. Do takiego zamówienia klienci często dobierają też „{p.product_name}” — może się przyda."
        if lang == "pl"
        else f"PS. Customers often pair an order like this with “{p.product_name}” — it might come in handy."
    )
    return line, p


@dataclass(frozen=True)
class ClosingOffer:
    """The co-purchase lines of a message that closes a case: the suggestion, why, how to stop them."""

    customer: Customer
    proposal: Proposal
    text: str
    dedup_key: str

    def record(self, session: Session, message_id: str, now: datetime) -> Suggestion:
        """Note it as sent with the message (it counts against the customer's cap from now on)."""
        p = self.proposal
        suggestion = Suggestion(
            workspace_id=self.customer.workspace_id,
            customer_id=self.customer.id,
            kind=p.kind,
            product_external_id=p.product_external_id,
            product_name=p.product_name,
            why_pl=p.why_pl,
            why_en=p.why_en,
            due_at=None,
            dedup_key=self.dedup_key,
            status="sent",
            message_id=message_id,
            created_at=now,
        )
        session.add(suggestion)
        session.flush()
        return suggestion


def closing_offer(
    session: Session,
    case: Case,
    *,
    secret_key: str,
    base_url: str,
    now: datetime,
    adapters: Mapping[ChannelKind, ChannelAdapter],
) -> ClosingOffer | None:
    """A co-purchase suggestion for the message that closes ``case`` (the survey after a resolution).

    Only with the workspace's suggestions switched on, the customer's marketing consent on the channel the
    message goes to, within the cap of suggestion messages; it says why it was made and carries the link
    that withdraws the consent.
    """
    from sprawa.privacy.actions.consents import CHANNELS, withdrawal_token
    from sprawa.proactive.notifications import language_of
    from sprawa.proactive.queries import proactive_settings

    settings = proactive_settings(session, case.workspace_id)
    if not settings.enabled or not settings.suggestions.co_purchase:
        return None
    customer = session.get(Customer, case.customer_id)
    channel_id = (
        session.scalars(
            select(Message.channel_id)
            .where(Message.case_id == case.id, Message.direction == Direction.INBOUND)
            .order_by(Message.seq.desc())
            .limit(1)
        ).first()
        or case.channel_id
    )
    channel = session.get(Channel, channel_id) if channel_id else None
    if customer is None or channel is None or str(channel.kind) not in CHANNELS:
        return None
    workspace = session.get(Workspace, case.workspace_id)
    lang = language_of(customer, workspace.default_language if workspace else "pl")
    found = post_resolution_line(
        session,
        customer,
        adapters.get(channel.kind),
        str(channel.kind),
        lang,
        now,
        cap=settings.suggestions.max_messages_per_30_days,
    )
    if found is None:
        return None
    line, p = found
    link = f"{base_url.rstrip('/')}/zgody/wypisz/{withdrawal_token(secret_key, customer, str(channel.kind))}"
    if lang == "pl":
        lines = [line, f"Skąd ta propozycja: {p.why_pl}", f"Nie chcesz takich propozycji? {link}"]
    else:
        lines = [line, f"Why this suggestion: {p.why_en}", f"Prefer not to get suggestions? {link}"]
    return ClosingOffer(customer, p, "\n\n".join(lines), f"{customer.id}:{p.dedup_key}:{case.id}")


def reminder_text(p: Proposal, customer: Customer, lang: str, withdraw_url: str | None) -> str:
    """A replenishment reminder: what, why (the customer's own rhythm), how to act, how to stop them."""
    first = (customer.name or "").split(" ")[0]
    days = p.interval_days
    if lang == "pl":
        lines = [
            f"Dzień dobry, {first}!" if first else "Dzień dobry!",
            f"Z naszych zamówień wynika, że „{p.product_name}” zamawiane jest średnio co {days} dni — "
            "zapas może się właśnie kończyć. Jeśli przyda się kolejne opakowanie, wystarczy odpisać na tę "
            "wiadomość, a pomożemy złożyć zamówienie.",
        ]
        if withdraw_url:
            lines.append(f"Nie chcesz takich przypomnień? {withdraw_url}")
    else:
        lines = [
            f"Hello {first}," if first else "Hello,",
            f"Going by your orders, you buy “{p.product_name}” about every {days} days, "
            "so you may be running low. "
            "If you would like another one, just reply to this message and we will help you order it.",
        ]
        if withdraw_url:
            lines.append(f"Prefer not to get these reminders? {withdraw_url}")
    return "\n\n".join(lines)
