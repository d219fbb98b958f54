"""Writes on customers: resolving an inbound sender to one customer across channels."""

from collections.abc import Mapping, Sequence
from typing import Any

import phonenumbers
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.channels.base import IdentityClaim
from sprawa.customers.models import Customer, CustomerMerge, Identity, IdentityKind
from sprawa.db import utcnow
from sprawa.platform.audit import append_audit_by
from sprawa.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from sprawa.platform.events import Event, emit
from sprawa.platform.ids import new_id


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

    Verified identities that point at two different customers merge them (recorded, undoable).
    Unverified ones are attached to the customer only when no one else holds them yet.
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
    # A typed (unverified) identity only finds its owner when nothing verified came with the message:
    # a chat visitor typing someone else's e-mail must never land in that person's customer record.
    has_verified = any(c.verified for c in claims)
    owners: list[Customer] = []
    for claim in claims:
        identity = found.get((claim.kind, claim.value))
        if identity is not None and (claim.verified or not has_verified):
            owner = live_customer(session, identity.customer_id)
            if owner not in owners:
                owners.append(owner)
    if owners:
        customer = owners[0]
        # Only a verified link proves two records are one person; typed ones never merge.
        for other in owners[1:] if has_verified else ():
            merge_customers(session, other, customer, reason="same verified identity")
    else:
        # The id now: one INSERT below with the contact data (a flush here would add an UPDATE).
        customer = Customer(id=new_id(), workspace_id=workspace_id, name=name, language=language)
        session.add(customer)
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
        elif identity.customer_id != customer.id and live_customer(session, identity.customer_id) != customer:
            continue  # someone else's identity, typed here: never copied into this customer's contact data
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
    moved: dict[str, list[str]] = {}
    for model in _merge_models():
        ids = list(session.scalars(select(model.id).where(model.customer_id == source_id)))
        if ids:
            session.execute(update(model).where(model.id.in_(ids)).values(customer_id=target_id))
        moved[model.__tablename__] = ids
    return moved


def _merge_models() -> tuple[Any, ...]:
    """The models whose rows belong to a customer and move with a merge (and back with its undo)."""
    from sprawa.cases.models import Case, Message
    from sprawa.channels.models import Thread
    from sprawa.commerce.models import Order
    from sprawa.insights.models import SurveyResponse

    return (Identity, Thread, Case, Message, Order, SurveyResponse)


# --- Agent writes on customers (REST API) ----------------------------------------------------------------
# Customer records are personal data: every change and merge appends an audit entry (field names and
# ids only, so that erasing a customer never has to rewrite the audit chain).

EDITABLE_FLAGS = ("vip", "watch")


def check_customer_writer(actor: Principal, customer: Customer) -> None:
    if not actor.can_write:
        raise Forbidden("your role can only read", code="read_only_role")
    if customer.workspace_id != actor.workspace_id:
        raise NotFound("no such customer")


def do_update_customer(
    session: Session, actor: Principal, customer: Customer, changes: Mapping[str, Any]
) -> Customer:
    """Change name, language or the vip/watch flags; ``changes`` holds only the fields sent."""
    check_customer_writer(actor, customer)
    unknown = set(changes) - {"name", "language", "flags"}
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}")
    changed: list[str] = []
    for field in ("name", "language"):
        if field in changes and getattr(customer, field) != changes[field]:
            setattr(customer, field, changes[field])
            changed.append(field)
    flags = list(customer.flags or [])
    for flag, wanted in (changes.get("flags") or {}).items():
        if flag not in EDITABLE_FLAGS:
            raise InvalidInput(f"unknown flag {flag!r}", code="invalid_flag")
        if wanted is True and flag not in flags:
            flags.append(flag)
            changed.append(f"flags.{flag}")
        elif wanted is False and flag in flags:
            flags.remove(flag)
            changed.append(f"flags.{flag}")
    if not changed:
        return customer
    customer.flags = flags
    session.flush()
    append_audit_by(session, actor, "customer.update", "customer", customer.id, fields=changed)
    _emit_customer(session, customer)
    return customer


def do_merge_customers(
    session: Session, actor: Principal, source: Customer, target: Customer
) -> CustomerMerge:
    """An agent's manual merge of two records of one person (recorded, undoable)."""
    check_customer_writer(actor, source)
    check_customer_writer(actor, target)
    if source.id == target.id:
        raise InvalidInput("a customer cannot be merged into itself", code="same_customer")
    if source.merged_into_id:
        raise Conflict("this customer is already merged into another one", code="already_merged")
    if target.merged_into_id:
        raise Conflict("the target customer was merged into another one; pick that one", code="target_merged")
    merge = merge_customers(session, source, target, reason="manual", by_user_id=actor.user_id)
    moved = {k: len(v) for k, v in merge.moved.items()}
    append_audit_by(
        session,
        actor,
        "customer.merge",
        "customer",
        target.id,
        merge_id=merge.id,
        source_id=source.id,
        moved=moved,
    )
    _emit_customer(session, source)
    _emit_customer(session, target)
    return merge


def do_unmerge_customers(session: Session, actor: Principal, merge: CustomerMerge) -> CustomerMerge:
    """Give back to the source customer exactly the rows the merge moved; the newest merge goes first."""
    # Locked in id order, like merges, so that concurrent changes of the same pair cannot deadlock.
    locked = {
        i: session.get(Customer, i, with_for_update=True) for i in sorted({merge.source_id, merge.target_id})
    }
    source, target = locked[merge.source_id], locked[merge.target_id]
    assert source is not None and target is not None
    check_customer_writer(actor, source)
    if merge.undone_at is not None:
        raise Conflict("this merge was already undone", code="already_undone")
    people = [source.id, target.id]
    newer = session.scalar(
        select(func.count())
        .select_from(CustomerMerge)
        .where(
            CustomerMerge.id != merge.id,
            CustomerMerge.undone_at.is_(None),
            CustomerMerge.created_at >= merge.created_at,
            or_(CustomerMerge.source_id.in_(people), CustomerMerge.target_id.in_(people)),
        )
    )
    if newer:
        raise Conflict("a later merge of these customers must be undone first", code="undo_newer_first")
    models = {model.__tablename__: model for model in _merge_models()}
    for table, ids in merge.moved.items():
        if ids:
            model = models[table]
            session.execute(update(model).where(model.id.in_(ids)).values(customer_id=source.id))
    source.merged_into_id = None
    merge.undone_at = utcnow()
    session.flush()
    append_audit_by(
        session, actor, "customer.unmerge", "customer", source.id, merge_id=merge.id, target_id=target.id
    )
    _emit_customer(session, source)
    _emit_customer(session, target)
    return merge


def _emit_customer(session: Session, customer: Customer) -> None:
    emit(
        session,
        Event(
            "customer.updated",
            customer.workspace_id,
            {"customer": {"id": customer.id, "merged_into_id": customer.merged_into_id}},
        ),
    )
