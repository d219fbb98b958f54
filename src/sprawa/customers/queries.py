"""Reads of customers: the access chokepoints, the customer list and search, the customer panel.

Every read starts from ``readable_customers`` (or ``access_*`` for one row), scoped by the principal's
workspace: an id of another workspace is simply not found.
"""

import contextlib
from collections import defaultdict

from sqlalchemy import ColumnElement, Select, func, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case
from sprawa.cases.queries import load_orders, query_words, text_match
from sprawa.cases.schemas import CustomerHit
from sprawa.cases.service import OPEN_STATES
from sprawa.commerce.models import Order
from sprawa.customers.models import Customer, CustomerMerge, Identity, IdentityKind
from sprawa.customers.schemas import (
    CustomerCaseOut,
    CustomerListItem,
    CustomerMergeOut,
    CustomerOut,
    CustomerPage,
    CustomerPanel,
    IdentityOut,
    SurveyOut,
)
from sprawa.customers.service import normalise_identity
from sprawa.insights.models import SurveyResponse
from sprawa.platform.access import fetch_one_or_not_found, select_in_workspace
from sprawa.platform.errors import InvalidInput
from sprawa.platform.pagination import cursor_datetime, cursor_str, decode_cursor, encode_cursor

PANEL_LIMIT = 50
_CURSOR = "customers:last_seen_at"


def readable_customers(principal: Principal) -> Select[tuple[Customer]]:
    """Every customer record of the principal's workspace (merged ones included; lists leave them out)."""
    return select_in_workspace(Customer, principal.workspace_id)


def access_customer(
    session: Session, principal: Principal, customer_id: str, *, for_update: bool = False
) -> Customer:
    query = readable_customers(principal).where(Customer.id == customer_id)
    return fetch_one_or_not_found(session, query, "no such customer", for_update=for_update)


def access_customer_merge(
    session: Session, principal: Principal, merge_id: str, *, for_update: bool = False
) -> CustomerMerge:
    query = select_in_workspace(CustomerMerge, principal.workspace_id).where(CustomerMerge.id == merge_id)
    return fetch_one_or_not_found(session, query, "no such customer merge", for_update=for_update)


# --- List and search -------------------------------------------------------------------------------------


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def customer_match(session: Session, principal: Principal, q: str) -> ColumnElement[bool] | None:
    """Customers whose name has every word of ``q`` or who hold an identity starting with ``q``.

    Identities are stored normalised (lower-case e-mail, E.164 phone), so ``q`` is normalised the same
    way; a phone number in any common spelling finds its owner exactly.
    """
    value = q.strip().lower()
    if not value:
        return None
    # Both ways go through their index as id sets: the list then only probes a hash per row instead of
    # computing a text vector per row (which the planner may pick when it overestimates a name).
    by_name = None
    words = query_words(q)
    if words:
        by_name = (
            readable_customers(principal)
            .with_only_columns(Customer.id)
            .where(text_match(session, Customer.name, words))
        )
    # Prefix match served by ix_identities_value (pattern ops on PostgreSQL); wildcards are escaped.
    by_identity = [Identity.value.like(_escape_like(value) + "%", escape="\\")]
    digits = sum(ch.isdigit() for ch in value)
    if digits >= 6 and all(ch.isdigit() or ch in "+ -()" for ch in value):
        with contextlib.suppress(InvalidInput):  # not a phone number after all
            by_identity.append(Identity.value == normalise_identity(IdentityKind.PHONE, value))
    ids = select(Identity.customer_id).where(
        Identity.workspace_id == principal.workspace_id, or_(*by_identity)
    )
    return Customer.id.in_(union_all(by_name, ids) if by_name is not None else ids)


def list_customers(
    session: Session,
    principal: Principal,
    *,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 25,
) -> CustomerPage:
    """Customers seen most recently first (merged-away records left out), optionally matching ``q``."""
    query = readable_customers(principal).where(Customer.merged_into_id.is_(None))
    if q:
        match = customer_match(session, principal, q)
        if match is not None:
            query = query.where(match)
    if cursor:
        seen, last_id = decode_cursor(cursor, _CURSOR, 2)
        after = cursor_datetime(seen)
        if after is None:
            raise InvalidInput("the cursor is damaged", code="invalid_cursor")
        query = query.where(tuple_(Customer.last_seen_at, Customer.id) < tuple_(after, cursor_str(last_id)))
    customers = list(
        session.scalars(query.order_by(Customer.last_seen_at.desc(), Customer.id.desc()).limit(limit + 1))
    )
    next_cursor = None
    if len(customers) > limit:
        customers = customers[:limit]
        next_cursor = encode_cursor(_CURSOR, customers[-1].last_seen_at, customers[-1].id)
    ids = [c.id for c in customers]
    open_counts: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(Case.customer_id, func.count())
            .where(Case.customer_id.in_(ids), Case.status.in_(OPEN_STATES))
            .group_by(Case.customer_id)
        ).all()
    )
    return CustomerPage(
        items=[
            CustomerListItem(
                id=c.id,
                name=c.name,
                email=c.email,
                phone=c.phone,
                language=c.language,
                flags=list(c.flags or []),
                last_seen_at=c.last_seen_at,
                created_at=c.created_at,
                open_cases=open_counts.get(c.id, 0),
            )
            for c in customers
        ],
        next_cursor=next_cursor,
    )


def search_customers(session: Session, principal: Principal, q: str, *, limit: int = 10) -> list[CustomerHit]:
    match = customer_match(session, principal, q)
    if match is None:
        return []
    customers = session.scalars(
        readable_customers(principal)
        .where(Customer.merged_into_id.is_(None), match)
        .order_by(Customer.last_seen_at.desc(), Customer.id.desc())
        .limit(limit)
    )
    return [CustomerHit(id=c.id, name=c.name, email=c.email, phone=c.phone) for c in customers]


# --- Panel -----------------------------------------------------------------------------------------------


def customer_panel(session: Session, customer: Customer) -> CustomerPanel:
    """The customer with identities, cached orders, earlier cases, survey answers and merges."""
    identities = session.scalars(
        select(Identity).where(Identity.customer_id == customer.id).order_by(Identity.kind, Identity.value)
    ).all()
    owner = [Order.customer_id == customer.id]
    if customer.email:
        # Guest orders carry only the e-mail; the identity is the customer's own verified or typed one.
        owner.append(Order.customer_email == customer.email)
    order_ids = session.scalars(
        select(Order.id)
        .where(Order.workspace_id == customer.workspace_id, or_(*owner))
        .order_by(Order.placed_at.desc())
        .limit(PANEL_LIMIT)
    ).all()
    surveys = session.scalars(
        select(SurveyResponse)
        .where(SurveyResponse.customer_id == customer.id)
        .order_by(SurveyResponse.created_at.desc())
        .limit(PANEL_LIMIT * 2)
    ).all()
    csat_by_case: dict[str, int] = {}
    by_kind: dict[str, list[SurveyOut]] = defaultdict(list)
    for survey in surveys:
        by_kind[survey.kind].append(SurveyOut.model_validate(survey))
        if survey.kind == "csat" and survey.case_id and survey.case_id not in csat_by_case:
            csat_by_case[survey.case_id] = survey.score
    cases = session.scalars(
        select(Case)
        .where(Case.customer_id == customer.id)
        .order_by(Case.created_at.desc())
        .limit(PANEL_LIMIT)
    ).all()
    merges = session.scalars(
        select(CustomerMerge)
        .where(or_(CustomerMerge.source_id == customer.id, CustomerMerge.target_id == customer.id))
        .order_by(CustomerMerge.created_at.desc())
        .limit(PANEL_LIMIT)
    ).all()
    return CustomerPanel(
        customer=CustomerOut.model_validate(customer),
        identities=[IdentityOut.model_validate(i) for i in identities],
        orders=load_orders(session, customer.workspace_id, order_ids),
        cases=[
            CustomerCaseOut(
                id=case.id,
                number=case.number,
                subject=case.subject,
                status=case.status,
                intent=case.intent,
                channel_id=case.channel_id,
                created_at=case.created_at,
                last_message_at=case.last_message_at,
                resolved_at=case.resolved_at,
                reopened_count=case.reopened_count,
                merged_into_id=case.merged_into_id,
                outcome=_outcome(case),
                csat_score=csat_by_case.get(case.id),
            )
            for case in cases
        ],
        csat=by_kind["csat"][:PANEL_LIMIT],
        nps=by_kind["nps"][:PANEL_LIMIT],
        merges=[CustomerMergeOut.model_validate(m) for m in merges],
    )


def _outcome(case: Case) -> str:
    if case.merged_into_id:
        return "merged"
    return "open" if case.status in OPEN_STATES else "resolved"
