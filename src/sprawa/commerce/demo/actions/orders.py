"""Write actions on unshipped demo orders: cancel, change the address, the items or the payment method."""

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from sprawa.commerce.base import (
    ActionResult,
    Address,
    ItemChange,
    OrderStatus,
    PaymentKind,
    PaymentMethodKind,
    RefusalCode,
)
from sprawa.commerce.demo.actions import refusals
from sprawa.commerce.demo.actions.refusals import can_take
from sprawa.commerce.demo.models import DemoOrder, DemoOrderItem, DemoVariant
from sprawa.commerce.demo.wallet import (
    CENT,
    Ledger,
    Method,
    adjust_balance,
    balance,
    format_money,
    refund_status,
    resolve_method,
)

if TYPE_CHECKING:
    from sprawa.commerce.demo.connector import DemoShop

S = OrderStatus
MAX_QUANTITY = 99


def cancel_order(shop: "DemoShop", number: str, *, reason: str) -> ActionResult:
    order = shop.order_row(number)
    if order is None:
        return refusals.not_found(number)
    if order.status not in shop.rules.cancel_states:
        return refusals.state_refusal(order, "go anulować", "cancelled")
    if shop.rules.items_change_once and order.items_modified_at is not None:
        return ActionResult.refused(
            RefusalCode.ALREADY_MODIFIED,
            f"Zamówienie {order.number} zostało już zmienione i nie można go teraz anulować.",
            f"Order {order.number} was already modified and can no longer be cancelled.",
        )
    if shop.rules.cancel_reasons is not None and reason not in shop.rules.cancel_reasons:
        allowed = ", ".join(f"„{r}”" for r in shop.rules.cancel_reasons)
        return ActionResult.refused(
            RefusalCode.INVALID_REASON,
            f"Sklep przyjmuje anulowanie tylko z powodu: {allowed}.",
            f"The shop accepts only these cancellation reasons: {allowed}.",
        )
    ledger = Ledger(shop.session, order)
    refunded = Decimal("0.00")
    customer = shop.customer_of(order)
    for method, amount in ledger.net_by_method().items():
        ledger.add(PaymentKind.REFUND, method, amount, refund_status(method))
        adjust_balance(customer, method, amount)
        refunded += amount
    for entry in ledger.pending_payments():
        entry.status = "cancelled"
    for item in shop.items_of(order):
        shop.restock(item.variant_id, item.quantity)
    shop.void_labels(order)
    now = shop.now()
    order.status = S.CANCELLED
    order.cancel_reason = reason or None
    order.cancelled_at = now
    order.payment_status = ledger.payment_status()
    money_pl = format_money(refunded, order.currency)
    money_en = format_money(refunded, order.currency, "en")
    pl = f"Zamówienie {order.number} zostało anulowane."
    en = f"Order {order.number} has been cancelled."
    if refunded:
        pl += f" Zwrot {money_pl} zlecamy na tę samą metodę płatności; zwykle trwa to do 5 dni roboczych."
        en += f" {money_en} is being refunded to the original payment method, usually within 5 business days."
    return shop.done(order, pl, en, refund_amount=str(refunded))


def change_shipping_address(
    shop: "DemoShop", number: str, address: Address, *, pickup_point: str | None = None
) -> ActionResult:
    order = shop.order_row(number)
    if order is None:
        return refusals.not_found(number)
    if order.status not in shop.rules.address_states:
        return refusals.state_refusal(order, "zmienić adresu dostawy", "re-addressed")
    problem = refusals.address_problem(address, pickup_point)
    if problem:
        return ActionResult.refused(RefusalCode.INVALID_ADDRESS, *problem)
    new = address.as_dict()
    if not new["name"]:
        new["name"] = order.shipping_address.get("name", "")
    point = pickup_point.strip().upper() if pickup_point else order.pickup_point
    if new == order.shipping_address and point == order.pickup_point:
        return ActionResult.refused(
            RefusalCode.NO_CHANGE,
            "To jest już adres tego zamówienia.",
            "This is already the order's address.",
        )
    order.shipping_address = new
    order.pickup_point = point
    for shipment in shop.shipments_of(order):  # a packed parcel gets a new label for the new address
        shipment.pickup_point = point if shipment.service == "paczkomat" else None
        shipment.updated_at = shop.now()
    where_pl = (
        f"Paczkomat {point}"
        if point and order.shipping_method == "inpost_paczkomat"
        else (f"{address.street}, {address.postcode} {address.city}")
    )
    return shop.done(
        order,
        f"Zmieniliśmy adres dostawy zamówienia {order.number} na: {where_pl}.",
        f"The delivery address of order {order.number} is now: {where_pl}.",
    )


def change_items(
    shop: "DemoShop", number: str, changes: Sequence[ItemChange], *, payment_method_id: str | None = None
) -> ActionResult:
    order = shop.order_row(number)
    if order is None:
        return refusals.not_found(number)
    if order.status not in shop.rules.item_states:
        return refusals.state_refusal(order, "zmienić w nim produktów", "changed")
    if shop.rules.items_change_once and order.items_modified_at is not None:
        return ActionResult.refused(
            RefusalCode.ALREADY_MODIFIED,
            f"Produkty w zamówieniu {order.number} były już raz zmieniane — kolejna zmiana nie jest możliwa.",
            f"The items of order {order.number} were already changed once; no further change is possible.",
        )
    if not changes:
        return ActionResult.refused(
            RefusalCode.NO_CHANGE, "Nie podano żadnej zmiany.", "No change was given."
        )
    items = {i.id: i for i in shop.items_of(order)}
    plan: list[tuple[DemoOrderItem, DemoVariant | None, int]] = []
    diff = Decimal("0.00")
    for change in changes:
        line = items.get(change.line_id)
        if line is None or any(p[0] is line for p in plan):
            return refusals.item_not_found(change.line_id)
        new_variant = None
        if change.new_variant_id:
            new_variant = shop.variant(change.new_variant_id)
            if new_variant is None or new_variant.product_id != line.product_id:
                return refusals.variant_not_found(change.new_variant_id, line.name)
            if new_variant.id == line.variant_id:
                new_variant = None
        quantity = line.quantity if change.new_quantity is None else change.new_quantity
        if not 0 <= quantity <= MAX_QUANTITY:
            return ActionResult.refused(
                RefusalCode.QUANTITY_EXCEEDED,
                f"Ilość musi być od 0 do {MAX_QUANTITY}.",
                f"The quantity must be between 0 and {MAX_QUANTITY}.",
            )
        if new_variant is None and quantity == line.quantity:
            return ActionResult.refused(
                RefusalCode.NO_CHANGE,
                f"Wybrany wariant „{line.name}” jest już w zamówieniu.",
                f"The chosen variant of “{line.name}” is already in the order.",
            )
        stock_row = new_variant or (
            shop.session.get(DemoVariant, line.variant_id) if line.variant_id else None
        )
        needed = quantity if new_variant else quantity - line.quantity
        if stock_row is not None and needed > 0 and not can_take(stock_row, needed):
            return refusals.out_of_stock(line.name, stock_row)
        price = new_variant.price if new_variant else line.unit_price
        diff += price * quantity - line.unit_price * line.quantity
        plan.append((line, new_variant, quantity))
    if all(q == 0 for line, _, q in plan) and len(plan) == len(items):
        return ActionResult.refused(
            RefusalCode.INVALID_STATE,
            "Nie można usunąć wszystkich produktów — aby zrezygnować z zamówienia, trzeba je anulować.",
            "All items cannot be removed; to give up the order, cancel it instead.",
        )
    ledger = Ledger(shop.session, order)
    customer = shop.customer_of(order)
    method: Method | None = ledger.original()
    if payment_method_id:
        method = resolve_method(customer, payment_method_id)
        if method is None:
            return refusals.method_not_found(payment_method_id)
    paid = ledger.paid_total() > 0
    if paid and method and diff > 0 and method.is_gift_card and (balance(customer, method) or 0) < diff:
        return refusals.insufficient_balance(method, customer, order.currency)
    # Everything checked: apply.
    for line, new_variant, quantity in plan:
        shop.restock(line.variant_id, line.quantity)
        if new_variant is not None:
            line.variant_id = new_variant.id
            line.sku = new_variant.sku
            line.options = dict(new_variant.options)
            line.unit_price = new_variant.price
        shop.restock(line.variant_id, -quantity)
        if quantity == 0:
            shop.session.delete(line)
        else:
            line.quantity = quantity
    if paid and method and diff != 0:
        kind = PaymentKind.PAYMENT if diff > 0 else PaymentKind.REFUND
        status = "completed" if method.saved else "pending"
        ledger.add(kind, method, abs(diff), status)
        adjust_balance(customer, method, -diff)
    for entry in ledger.pending_payments():  # an unpaid order now waits for its new total
        entry.amount = (order.total + diff).quantize(CENT)
    order.subtotal = (order.subtotal + diff).quantize(CENT)
    order.total = (order.total + diff).quantize(CENT)
    order.items_modified_at = shop.now()
    order.payment_status = ledger.payment_status()
    shop.session.flush()
    return shop.done(order, *_difference_text(order, diff, paid), price_difference=str(diff.quantize(CENT)))


def change_payment_method(shop: "DemoShop", number: str, payment_method_id: str) -> ActionResult:
    order = shop.order_row(number)
    if order is None:
        return refusals.not_found(number)
    if order.status not in shop.rules.payment_states:
        return refusals.state_refusal(order, "zmienić metody płatności", "paid differently")
    customer = shop.customer_of(order)
    method = resolve_method(customer, payment_method_id)
    if method is None:
        return refusals.method_not_found(payment_method_id)
    ledger = Ledger(shop.session, order)
    paid = ledger.completed_payments()
    if len(paid) > 1 or any(e.kind == PaymentKind.REFUND for e in ledger.entries):
        return ActionResult.refused(
            RefusalCode.INVALID_STATE,
            "Po wcześniejszych zmianach płatności tego zamówienia nie da się już zmienić jej metody.",
            "After earlier payment changes, this order's payment method can no longer be changed.",
        )
    current = ledger.original() or Method(PaymentMethodKind(order.payment_method or "cod"))
    if method == current or (not paid and not method.saved and method.kind == order.payment_method):
        return ActionResult.refused(
            RefusalCode.NO_CHANGE,
            "To jest już metoda płatności tego zamówienia.",
            "This is already the order's payment method.",
        )
    if paid:
        if not method.saved:
            return ActionResult.refused(
                RefusalCode.PAYMENT_METHOD_NOT_ALLOWED,
                "Zamówienie jest już opłacone — można je przepiąć tylko na zapisaną metodę płatności.",
                "The order is already paid; it can only be moved to a saved payment method.",
            )
        amount = paid[0].amount
        if method.is_gift_card and (balance(customer, method) or 0) < amount:
            return refusals.insufficient_balance(method, customer, order.currency)
        ledger.add(PaymentKind.PAYMENT, method, amount, "completed")
        adjust_balance(customer, method, -amount)
        ledger.add(PaymentKind.REFUND, current, amount, refund_status(current))
        adjust_balance(customer, current, amount)
    else:
        for entry in ledger.pending_payments():
            entry.status = "cancelled"
        if method.kind == PaymentMethodKind.CASH_ON_DELIVERY:
            order.status = S.NEW
        elif method.saved and (not method.is_gift_card or (balance(customer, method) or 0) >= order.total):
            ledger.add(PaymentKind.PAYMENT, method, order.total, "completed")
            adjust_balance(customer, method, -order.total)
            order.status = S.PAID
            order.paid_at = shop.now()
        elif method.is_gift_card:
            return refusals.insufficient_balance(method, customer, order.currency)
        else:
            ledger.add(PaymentKind.PAYMENT, method, order.total, "pending")
            order.status = S.AWAITING_PAYMENT
    order.payment_method = method.kind
    order.payment_status = ledger.payment_status()
    return shop.done(
        order,
        f"Zmieniliśmy metodę płatności zamówienia {order.number}.",
        f"The payment method of order {order.number} has been changed.",
    )


def _difference_text(order: DemoOrder, diff: Decimal, paid: bool) -> tuple[str, str]:
    total = format_money(order.total, order.currency)
    pl = f"Zmieniliśmy produkty w zamówieniu {order.number}. Nowa kwota: {total}."
    en = (
        f"The items of order {order.number} have been changed. New total: "
        f"{format_money(order.total, order.currency, 'en')}."
    )
    if paid and diff > 0:
        pl += f" Dopłata: {format_money(diff, order.currency)}."
        en += f" Amount to pay: {format_money(diff, order.currency, 'en')}."
    elif paid and diff < 0:
        pl += f" Różnicę {format_money(-diff, order.currency)} zwrócimy na metodę płatności zamówienia."
        en += f" The difference of {format_money(-diff, order.currency, 'en')} will be refunded."
    return pl, en
