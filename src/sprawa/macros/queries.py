"""Reads of canned replies, and the values of their variables for one case."""

import re

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case, CaseOrder
from sprawa.commerce.models import Order, Shipment
from sprawa.customers.models import Customer
from sprawa.macros.models import Macro
from sprawa.macros.schemas import FilledMacro
from sprawa.platform.access import fetch_one_or_not_found, select_in_workspace

#: The variables a macro may use, with what they mean (shown to whoever writes macros).
VARIABLES = {
    "klient": "imię i nazwisko klienta",
    "imie": "imię klienta",
    "numer_sprawy": "numer sprawy",
    "zamowienie": "numer zamówienia (powiązanego ze sprawą, inaczej ostatniego)",
    "przewoznik": "przewoźnik przesyłki",
    "numer_przesylki": "numer przesyłki",
    "sledzenie": "link do śledzenia przesyłki",
    "konsultant": "imię i nazwisko konsultanta",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def readable_macros(principal: Principal) -> Select[tuple[Macro]]:
    return select_in_workspace(Macro, principal.workspace_id).order_by(Macro.title, Macro.id)


def access_macro(session: Session, principal: Principal, macro_id: str, *, for_update: bool = False) -> Macro:
    query = select_in_workspace(Macro, principal.workspace_id).where(Macro.id == macro_id)
    return fetch_one_or_not_found(session, query, "no such canned reply", for_update=for_update)


def title_taken(session: Session, principal: Principal, title: str, except_id: str | None = None) -> bool:
    query = select_in_workspace(Macro, principal.workspace_id).where(Macro.title == title)
    if except_id:
        query = query.where(Macro.id != except_id)
    return session.scalars(query.limit(1)).first() is not None


def case_values(session: Session, principal: Principal, case: Case) -> dict[str, str]:
    """The variables' values for this case (a variable without a value is left out)."""
    values: dict[str, str] = {"numer_sprawy": str(case.number)}
    customer = session.get(Customer, case.customer_id)
    if customer and customer.name:
        values["klient"] = customer.name
        values["imie"] = customer.name.split()[0]
    if principal.name:
        values["konsultant"] = principal.name
    linked = select(CaseOrder.order_id).where(CaseOrder.case_id == case.id)
    order = (
        session.scalars(
            select(Order).where(Order.id.in_(linked)).order_by(Order.placed_at.desc()).limit(1)
        ).first()
        or session.scalars(
            select(Order)
            .where(Order.workspace_id == case.workspace_id, Order.customer_id == case.customer_id)
            .order_by(Order.placed_at.desc())
            .limit(1)
        ).first()
    )
    if order is not None:
        values["zamowienie"] = order.number
        shipment = session.scalars(
            select(Shipment)
            .where(Shipment.order_id == order.id)
            .order_by(Shipment.fetched_at.desc())
            .limit(1)
        ).first()
        if shipment is not None:
            values["przewoznik"] = shipment.carrier
            if shipment.tracking_number:
                values["numer_przesylki"] = shipment.tracking_number
            if shipment.tracking_url:
                values["sledzenie"] = shipment.tracking_url
    return values


def fill(body: str, values: dict[str, str]) -> FilledMacro:
    """``body`` with its known ``{variables}`` replaced; unknown braces stay as the author wrote them."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in VARIABLES:
            return match.group(0)
        if name not in values:
            missing.append(name)
            return match.group(0)
        return values[name]

    return FilledMacro(text=_PLACEHOLDER.sub(replace, body), missing=list(dict.fromkeys(missing)))
