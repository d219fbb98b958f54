"""Writes on customers: resolving an inbound sender to one customer across channels."""

from collections.abc import Sequence

import phonenumbers
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sprawa.channels.base import IdentityClaim
from sprawa.customers.models import Customer, CustomerMerge, Identity, IdentityKind
from sprawa.db import utcnow
from sprawa.platform.errors import InvalidInput


def normalise_identity(kind: IdentityKind, value: str) -> str:
    """The canonical form under which an identity is unique (lower-case e-mail, E.164 phone)."""
    value = value.strip()
    if kind == IdentityKind.EMAIL:
        if "@" not in value or len(value) > 254:
            raise InvalidInput(f"not an e-mail address: {value!r}", code="invalid_email")
        return value.lower()
    if kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
        digits = value.replace(" ", "").replace("-", "")
        if digits.isdigit() and len(digits) > 9:  # international number without "+" (WhatsApp wa_id)
            digits = "+" + digits
        try:
            number = phonenumbers.parse(digits, "PL")
        except phonenumbers.NumberParseException as exc:
            raise InvalidInput(f"not a phone number: {value!r}", code="invalid_phone") from exc
        if not phonenumbers.is_possible_number(number):
            raise InvalidInput(f"not a phone number: {value!r}", code="invalid_phone")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not value or len(value) > 255:
        raise InvalidInput(f"empty or too long {kind} identity", code="invalid_identity")
    return value


def live_customer(session: Session, customer_id: str) -> Customer:
    """Follow merges to the customer that absorbed this one."""
    customer = session.get(Customer, customer_id)
    assert customer is not None
    while customer.merged_into_id:
        customer = session.get(Customer, customer.merged_into_id)
        assert customer is not None
    return customer


def resolve_customer(
    session: Session,
    workspace_id: str,
    claims: Sequence[IdentityClaim],
    *,
    name: str | None = None,
    language: str | None = None,
) -> Customer:
    """The one customer behind these identities, creating or linking identities as needed.

    Verified identities that point at two different customers merge them (recorded, undoable);
    unverified ones are only attached to a new or already-matched customer, never used to merge.
    """
    if not claims:
        raise InvalidInput("an inbound message needs at least one sender identity", code="missing_identity")
    normalised = [IdentityClaim(c.kind, normalise_identity(c.kind, c.value), c.verified) for c in claims]
    for _ in range(3):
        try:
            with session.begin_nested():
                return _resolve(session, workspace_id, normalised, name, language)
        except IntegrityError:
            continue  # a concurrent writer created the same identity: look again
    raise RuntimeError("identity resolution kept conflicting")


def _resolve(
    session: Session, workspace_id: str, claims: list[IdentityClaim], name: str | None, language: str | None
) -> Customer:
    found = {
        (i.kind, i.value): i
        for i in session.scalars(
            select(Identity).where(
                Identity.workspace_id == workspace_id,
                Identity.value.in_([c.value for c in claims]),
            )
        )
        if any(i.kind == c.kind and i.value == c.value for c in claims)
    }
    owners: list[Customer] = []
    for claim in claims:
        identity = found.get((claim.kind, claim.value))
        if identity is not None and (claim.verified or identity.verified or not owners):
            owner = live_customer(session, identity.customer_id)
            if owner not in owners:
                owners.append(owner)
    if owners:
        customer = owners[0]
        for other in owners[1:]:
            merge_customers(session, other, customer, reason="same verified identity")
    else:
        customer = Customer(workspace_id=workspace_id, name=name, language=language)
        session.add(customer)
        session.flush()
    for claim in claims:
        identity = found.get((claim.kind, claim.value))
        if identity is None:
            session.add(
                Identity(
                    workspace_id=workspace_id,
                    customer_id=customer.id,
                    kind=claim.kind,
                    value=claim.value,
                    verified=claim.verified,
                )
            )
        elif claim.verified and not identity.verified:
            identity.verified = True
        if claim.kind == IdentityKind.EMAIL and not customer.email:
            customer.email = claim.value
        if claim.kind == IdentityKind.PHONE and not customer.phone:
            customer.phone = claim.value
    if name and not customer.name:
        customer.name = name
    if language and not customer.language:
        customer.language = language
    customer.last_seen_at = utcnow()
    session.flush()
    return customer


def merge_customers(
    session: Session, source: Customer, target: Customer, *, reason: str, by_user_id: str | None = None
) -> CustomerMerge:
    """Move identities, threads, cases and orders of ``source`` to ``target``; recorded for undo."""
    if source.id == target.id or source.workspace_id != target.workspace_id:
        raise InvalidInput("a customer can only be merged into another customer of the same workspace")
    moved = _move_records(session, source.id, target.id)
    source.merged_into_id = target.id
    merge = CustomerMerge(
        workspace_id=target.workspace_id,
        source_id=source.id,
        target_id=target.id,
        moved=moved,
        reason=reason,
        by_user_id=by_user_id,
    )
    session.add(merge)
    session.flush()
    return merge


def _move_records(session: Session, source_id: str, target_id: str) -> dict[str, list[str]]:
    """Re-point everything owned by ``source`` at ``target``; returns the moved ids per table."""
    from sprawa.cases.models import Case, Message
    from sprawa.channels.models import Thread
    from sprawa.commerce.models import Order

    moved: dict[str, list[str]] = {}
    for model in (Identity, Thread, Case, Message, Order):
        ids = list(session.scalars(select(model.id).where(model.customer_id == source_id)))
        if ids:
            session.execute(update(model).where(model.id.in_(ids)).values(customer_id=target_id))
        moved[model.__tablename__] = ids
    return moved
