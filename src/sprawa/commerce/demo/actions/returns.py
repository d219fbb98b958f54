"""Withdrawal (zwrot) and exchange of delivered demo orders."""

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from sprawa.commerce.base import ActionResult, OrderStatus, PaymentMethodKind, RefusalCode, ReturnLine
from sprawa.commerce.demo.actions import refusals
from sprawa.commerce.demo.actions.refusals import can_take
from sprawa.commerce.demo.models import DemoCustomer, DemoProduct, DemoReturn
from sprawa.commerce.demo.wallet import CENT, Ledger, Method, balance, format_money, resolve_method

if TYPE_CHECKING:
    from sprawa.commerce.demo.connector import DemoShop

S = OrderStatus


def start_return(
    shop: "DemoShop",
    number: str,
    lines: Sequence[ReturnLine],
    *,
    reason: str = "",
    refund_method_id: str | None = None,
    allow_excepted: bool = False,
) -> ActionResult:
    order = shop.order_row(number)
    if order is None:
        return refusals.not_found(number)
    if order.status != S.DELIVERED:
        return refusals.return_state_refusal(order)
    now = shop.now()
    window = shop.rules.return_window_days
    deadline = (
        order.delivered_at + timedelta(days=window) if window is not None and order.delivered_at else None
    )
    if deadline is not None and now > deadline:
        return ActionResult.refused(
            RefusalCode.RETURN_WINDOW_CLOSED,
            f"Termin na zwrot ({window} dni od doręczenia) minął {deadline:%d.%m.%Y}.",
            f"The {window}-day return period ended on {deadline:%Y-%m-%d}.",
            deadline=deadline.isoformat(),
        )
    if not lines:
        return ActionResult.refused(
            RefusalCode.NO_CHANGE, "Nie wskazano produktów do zwrotu.", "No items to return were given."
        )
    exchange = [line.exchange_variant_id is not None for line in lines]
    if any(exchange) and not all(exchange):
        return ActionResult.refused(
            RefusalCode.UNSUPPORTED,
            "Zwrot i wymianę trzeba zgłosić osobno.",
            "A return and an exchange must be requested separately.",
        )
    items = {i.id: i for i in shop.items_of(order)}
    exceptions = dict(
        shop.session.execute(
            select(DemoProduct.id, DemoProduct.withdrawal_exception).where(
                DemoProduct.id.in_({i.product_id for i in items.values() if i.product_id})
            )
        ).all()
    )
    wanted: dict[str, int] = {}
    planned: list[dict[str, Any]] = []
    amount = diff = Decimal("0.00")
    for line in lines:
        item = items.get(line.line_id)
        if item is None:
            return refusals.item_not_found(line.line_id)
        wanted[item.id] = wanted.get(item.id, 0) + line.quantity
        left = item.quantity - item.returned_quantity
        if line.quantity < 1 or wanted[item.id] > left:
            return ActionResult.refused(
                RefusalCode.QUANTITY_EXCEEDED,
                f"Do zwrotu zostało tylko {left} szt. „{item.name}”.",
                f"Only {left} of “{item.name}” can be returned.",
            )
        if exceptions.get(item.product_id) and not allow_excepted:
            return ActionResult.refused(
                RefusalCode.WITHDRAWAL_EXCEPTION,
                f"„{item.name}” nie podlega zwrotowi bez podania przyczyny (art. 38 ustawy o prawach "
                "konsumenta). Jeśli produkt jest wadliwy, możemy przyjąć reklamację.",
                f"“{item.name}” is excluded from the right of withdrawal (art. 38 of the Polish Consumer "
                "Rights Act). If it is faulty, we can accept a complaint.",
                exception=exceptions[item.product_id],
            )
        entry: dict[str, Any] = {
            "line_id": item.id,
            "quantity": line.quantity,
            "unit_price": str(item.unit_price),
        }
        if line.exchange_variant_id is not None:
            variant = shop.variant(line.exchange_variant_id)
            if variant is None or variant.product_id != item.product_id:
                return refusals.variant_not_found(line.exchange_variant_id, item.name)
            if not can_take(variant, line.quantity):
                return refusals.out_of_stock(item.name, variant)
            entry["exchange_variant_id"] = variant.external_ref
            diff += (variant.price - item.unit_price) * line.quantity
        amount += item.unit_price * line.quantity
        planned.append(entry)
    customer = shop.customer_of(order)
    ledger = Ledger(shop.session, order)
    is_exchange = all(exchange)
    method = _refund_method(ledger, customer, refund_method_id, exchange=is_exchange)
    if isinstance(method, ActionResult):
        return method
    if (
        is_exchange
        and diff > 0
        and method
        and method.is_gift_card
        and (balance(customer, method) or 0) < diff
    ):
        return refusals.insufficient_balance(method, customer, order.currency)
    whole = all(wanted.get(i.id, 0) == i.quantity - i.returned_quantity for i in items.values())
    if whole and not is_exchange:
        amount += order.shipping_cost  # art. 32: the cheapest standard delivery is refunded too
    count = shop.session.scalar(
        select(func.count()).select_from(DemoReturn).where(DemoReturn.order_id == order.id)
    )
    record = DemoReturn(
        workspace_id=shop.workspace_id,
        order_id=order.id,
        number=f"ZW-{order.number.lstrip('#')}-{(count or 0) + 1}",
        kind="exchange" if is_exchange else "return",
        status="requested",
        lines=planned,
        reason=reason,
        refund_method_ref=(method.ref or method.kind) if method else None,
        refund_amount=Decimal("0.00") if is_exchange else amount.quantize(CENT),
        price_difference=diff.quantize(CENT),
        created_at=now,
    )
    shop.session.add(record)
    order.status = S.EXCHANGE_REQUESTED if is_exchange else S.RETURN_REQUESTED
    if is_exchange:
        pl = (
            f"Zgłosiliśmy wymianę nr {record.number}. Na e-mail wyślemy instrukcję odesłania produktów; "
            "nowe warianty wyślemy po ich otrzymaniu."
        )
        en = (
            f"Exchange {record.number} is registered. We will e-mail instructions for sending the items "
            "back; the new variants ship once we receive them."
        )
    else:
        pl = (
            f"Zgłosiliśmy zwrot nr {record.number}. Odeślij produkty w ciągu 14 dni — instrukcję wyślemy "
            f"e-mailem. Zwrot {format_money(amount, order.currency)} zlecimy w ciągu 14 dni, najpóźniej po "
            "otrzymaniu paczki lub dowodu jej nadania."
        )
        en = (
            f"Return {record.number} is registered. Please send the items back within 14 days; we will "
            f"e-mail instructions. We will refund {format_money(amount, order.currency, 'en')} within 14 "
            "days, once we receive the parcel or proof that it was sent."
        )
    return shop.done(
        order,
        pl,
        en,
        return_number=record.number,
        refund_amount=str(record.refund_amount),
        price_difference=str(record.price_difference),
    )


def _refund_method(
    ledger: Ledger, customer: DemoCustomer | None, method_id: str | None, *, exchange: bool
) -> Method | ActionResult | None:
    original = ledger.original()
    cod_fallback = Method(PaymentMethodKind.BANK_TRANSFER)  # paid to the courier: refunded by transfer
    if method_id is None:
        return original or (None if exchange else cod_fallback)
    method = resolve_method(customer, method_id)
    if method is None:
        return refusals.method_not_found(method_id)
    if exchange and method.saved:
        return method
    if method.is_gift_card and method.saved:
        return method
    if method == original or (original and not method.saved and method.kind == original.kind):
        return original
    if original is None and method == cod_fallback:
        return method
    return ActionResult.refused(
        RefusalCode.PAYMENT_METHOD_NOT_ALLOWED,
        "Zwrot pieniędzy trafia na tę samą metodę płatności, którą opłacono zamówienie (albo na kartę "
        "podarunkową).",
        "The refund goes to the method the order was paid with (or to a gift card).",
    )
