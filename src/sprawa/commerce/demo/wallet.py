"""Money movements of the demo shop: payment/refund entries and gift card balances."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.commerce.base import PaymentKind, PaymentMethodKind, PaymentStatus
from sprawa.commerce.demo.models import DemoCustomer, DemoOrder, DemoPayment
from sprawa.db import utcnow

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Method:
    """A payment method as used on one order: its kind and, for saved methods, the saved id."""

    kind: PaymentMethodKind
    ref: str | None = None

    @property
    def saved(self) -> bool:
        return self.ref is not None

    @property
    def is_gift_card(self) -> bool:
        return self.kind == PaymentMethodKind.GIFT_CARD


def format_money(amount: Decimal, currency: str, language: str = "pl") -> str:
    amount = amount.quantize(CENT)
    if language == "pl":
        whole, _, cents = f"{amount:,.2f}".partition(".")
        text = f"{whole.replace(',', ' ')},{cents}"
        return f"{text} zł" if currency == "PLN" else f"{text} {currency}"
    return f"{currency} {amount:,.2f}"


def saved_method(customer: DemoCustomer | None, method_id: str) -> dict[str, object] | None:
    if customer is None:
        return None
    return next((m for m in customer.payment_methods if m.get("id") == method_id), None)


def resolve_method(customer: DemoCustomer | None, method_id: str) -> Method | None:
    """A saved method of the customer by its id, or a generic kind (``blik``, ``cod``...), else None."""
    saved = saved_method(customer, method_id)
    if saved is not None:
        return Method(PaymentMethodKind(str(saved["kind"])), method_id)
    try:
        return Method(PaymentMethodKind(method_id))
    except ValueError:
        return None


def balance(customer: DemoCustomer | None, method: Method) -> Decimal | None:
    saved = saved_method(customer, method.ref) if method.ref else None
    if saved is None or saved.get("balance") is None:
        return None
    return Decimal(str(saved["balance"]))


def adjust_balance(customer: DemoCustomer | None, method: Method, delta: Decimal) -> None:
    """Add ``delta`` to a gift card's balance (no-op for methods without a balance)."""
    if customer is None or not method.is_gift_card or method.ref is None:
        return
    methods = []
    for m in customer.payment_methods:
        if m.get("id") == method.ref and m.get("balance") is not None:
            m = {**m, "balance": str((Decimal(str(m["balance"])) + delta).quantize(CENT))}
        methods.append(m)
    customer.payment_methods = methods  # a new list, so that the JSON change is noticed


class Ledger:
    """The payment entries of one order, appended in order."""

    def __init__(self, session: Session, order: DemoOrder) -> None:
        self.session = session
        self.order = order
        self.entries = list(
            session.scalars(
                select(DemoPayment).where(DemoPayment.order_id == order.id).order_by(DemoPayment.position)
            )
        )

    def add(self, kind: PaymentKind, method: Method, amount: Decimal, status: str) -> DemoPayment:
        position = max((e.position for e in self.entries), default=0) + 1
        entry = DemoPayment(
            workspace_id=self.order.workspace_id,
            order_id=self.order.id,
            position=position,
            kind=kind,
            method=method.kind,
            method_ref=method.ref,
            amount=amount.quantize(CENT),
            status=status,
            created_at=utcnow(),
        )
        self.session.add(entry)
        self.entries.append(entry)
        return entry

    def completed_payments(self) -> list[DemoPayment]:
        return [e for e in self.entries if e.kind == PaymentKind.PAYMENT and e.status == "completed"]

    def pending_payments(self) -> list[DemoPayment]:
        return [e for e in self.entries if e.kind == PaymentKind.PAYMENT and e.status == "pending"]

    def original(self) -> Method | None:
        paid = self.completed_payments()
        return Method(PaymentMethodKind(paid[0].method), paid[0].method_ref) if paid else None

    def net_by_method(self) -> dict[Method, Decimal]:
        """What was paid and not yet refunded, per method (refunds pending count as refunded)."""
        net: dict[Method, Decimal] = defaultdict(Decimal)
        for e in self.entries:
            method = Method(PaymentMethodKind(e.method), e.method_ref)
            if e.kind == PaymentKind.PAYMENT and e.status == "completed":
                net[method] += e.amount
            elif e.kind == PaymentKind.REFUND and e.status in ("completed", "pending"):
                net[method] -= e.amount
        return {m: amount for m, amount in net.items() if amount > 0}

    def paid_total(self) -> Decimal:
        return sum(self.net_by_method().values(), Decimal("0.00"))

    def refunded_total(self) -> Decimal:
        return sum(
            (e.amount for e in self.entries if e.kind == PaymentKind.REFUND and e.status != "failed"),
            Decimal("0.00"),
        )

    def payment_status(self) -> PaymentStatus:
        paid = self.paid_total()
        refunded = self.refunded_total()
        if paid > 0:
            return PaymentStatus.PARTIALLY_REFUNDED if refunded > 0 else PaymentStatus.PAID
        if refunded > 0:
            return PaymentStatus.REFUNDED
        if self.order.payment_method == PaymentMethodKind.CASH_ON_DELIVERY:
            return PaymentStatus.CASH_ON_DELIVERY
        return PaymentStatus.UNPAID


def refund_status(method: Method) -> str:
    """Gift cards are credited at once; cards, BLIK, transfers and PayPal take a few business days."""
    return "completed" if method.is_gift_card else "pending"
