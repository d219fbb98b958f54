"""Refusals of the demo shop, worded for the customer in Polish and English."""

import re
from decimal import Decimal

from sprawa.commerce.base import STATUS_LABELS, ActionResult, Address, OrderStatus, RefusalCode
from sprawa.commerce.demo.models import DemoCustomer, DemoOrder, DemoVariant
from sprawa.commerce.demo.wallet import Method, balance, format_money

S = OrderStatus
LEFT_WAREHOUSE = frozenset({S.SHIPPED, S.DELIVERED, S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED, S.RETURNED})
PL_POSTCODE = re.compile(r"^\d{2}-\d{3}$")
# Paczkomat codes: three letters of the town, a number, one or two letters (WAW123M, KRA01N, GDA08AP).
PACZKOMAT = re.compile(r"^[A-Z]{3}\d{2,4}[A-Z]{1,2}$")


def can_take(variant: DemoVariant, quantity: int) -> bool:
    return variant.available and (variant.stock is None or variant.stock >= quantity)


def address_problem(address: Address, pickup_point: str | None) -> tuple[str, str] | None:
    if not address.street.strip() or not address.city.strip() or not address.postcode.strip():
        return (
            "Adres musi zawierać ulicę z numerem, kod pocztowy i miejscowość.",
            "The address needs a street and number, a postcode and a town.",
        )
    if address.country.upper() in ("PL", "POLSKA", "POLAND") and not PL_POSTCODE.match(
        address.postcode.strip()
    ):
        return (
            f"Kod pocztowy „{address.postcode}” nie ma formatu 00-000.",
            f"The postcode “{address.postcode}” is not in the 00-000 format.",
        )
    if pickup_point and not PACZKOMAT.match(pickup_point.strip().upper()):
        return (
            f"Nie znamy Paczkomatu o kodzie „{pickup_point}” — kod wygląda jak WAW123M.",
            f"There is no Paczkomat with the code “{pickup_point}”; codes look like WAW123M.",
        )
    return None


def not_found(number: str) -> ActionResult:
    return ActionResult.refused(
        RefusalCode.ORDER_NOT_FOUND,
        f"Nie znaleźliśmy zamówienia o numerze {number}.",
        f"We could not find order {number}.",
    )


def state_refusal(order: DemoOrder, action_pl: str, action_en: str) -> ActionResult:
    status = OrderStatus(order.status)
    label_pl, label_en = STATUS_LABELS[status]
    if status in LEFT_WAREHOUSE:
        return ActionResult.refused(
            RefusalCode.ALREADY_SHIPPED,
            f"Zamówienie {order.number} zostało już wysłane (status: {label_pl}), "
            f"więc nie możemy już {action_pl}.",
            f"Order {order.number} has already been shipped (status: {label_en}), "
            f"so it cannot be {action_en}.",
            status=str(status),
        )
    return ActionResult.refused(
        RefusalCode.INVALID_STATE,
        f"Zamówienie {order.number} ma status „{label_pl}”, więc nie możemy {action_pl}.",
        f"Order {order.number} cannot be {action_en} in the state “{label_en}”.",
        status=str(status),
    )


def return_state_refusal(order: DemoOrder) -> ActionResult:
    status = OrderStatus(order.status)
    label_pl, label_en = STATUS_LABELS[status]
    if status in (S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED, S.RETURNED):
        return ActionResult.refused(
            RefusalCode.INVALID_STATE,
            f"Dla zamówienia {order.number} zgłoszono już zwrot lub wymianę (status: {label_pl}).",
            f"A return or exchange was already requested for order {order.number} (status: {label_en}).",
            status=str(status),
        )
    return ActionResult.refused(
        RefusalCode.NOT_DELIVERED,
        f"Zamówienie {order.number} nie zostało jeszcze doręczone (status: {label_pl}), "
        "więc nie można go jeszcze zwrócić.",
        f"Order {order.number} has not been delivered yet (status: {label_en}), so it cannot be returned.",
        status=str(status),
    )


def item_not_found(line_id: str) -> ActionResult:
    return ActionResult.refused(
        RefusalCode.ITEM_NOT_FOUND,
        "Tej pozycji nie ma w zamówieniu (albo podano ją dwa razy).",
        "This line is not in the order (or was given twice).",
        line_id=line_id,
    )


def variant_not_found(ref: str, name: str) -> ActionResult:
    return ActionResult.refused(
        RefusalCode.VARIANT_NOT_FOUND,
        f"Nie ma takiego wariantu produktu „{name}”. Można wybrać tylko inny wariant tego samego produktu.",
        f"There is no such variant of “{name}”; only another variant of the same product can be chosen.",
        variant_id=ref,
    )


def out_of_stock(name: str, variant: DemoVariant) -> ActionResult:
    options = ", ".join(str(v) for v in variant.options.values())
    return ActionResult.refused(
        RefusalCode.OUT_OF_STOCK,
        f"Wariantu „{name}” ({options}) nie ma obecnie w magazynie w potrzebnej ilości.",
        f"The variant of “{name}” ({options}) is not in stock in the quantity needed.",
        variant_id=variant.external_ref,
    )


def method_not_found(method_id: str) -> ActionResult:
    return ActionResult.refused(
        RefusalCode.PAYMENT_METHOD_NOT_FOUND,
        "Nie znaleźliśmy takiej metody płatności na koncie klienta.",
        "This payment method was not found on the customer's account.",
        payment_method_id=method_id,
    )


def insufficient_balance(method: Method, customer: DemoCustomer | None, currency: str) -> ActionResult:
    left = balance(customer, method) or Decimal("0.00")
    return ActionResult.refused(
        RefusalCode.INSUFFICIENT_BALANCE,
        f"Na karcie podarunkowej zostało tylko {format_money(left, currency)}.",
        f"The gift card has only {format_money(left, currency, 'en')} left.",
        balance=str(left),
    )
