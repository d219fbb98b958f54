"""Writes on returns and complaints: intake, the two status machines, decisions, refunds, notifications.

Functions the AI first line (and any other caller) uses; each takes the caller's session and never commits:

``return_eligibility(session, workspace_id, order_id, lines, *, now=None) -> Eligibility``
    May these items be withdrawn now without a person? ``.allowed``, ``.code`` (ok | window_closed |
    excepted | not_delivered | no_delivery_date), ``.deadline``, ``.explain(lang)`` (why, for the customer).
``do_start_return(session, actor, case, order_id, lines, *, reason="", method=None, source=None, now=None)``
    Records the withdrawal statement. Inside the rules (and ``ReturnsPolicy.ai_may_start_return`` for the
    AI) it is approved at once and the customer gets the instructions; otherwise it waits for a person,
    the case goes to the returns team and the customer is told why. Returns the ``Return``.
``do_register_complaint(session, actor, case, order_id, line_id, *, description, remedy, evidence=None,
source=None, now=None)``
    Records a complaint with its 14-day answer deadline and the proposed decision, routes the case to a
    person, confirms receipt and the deadline to the customer. Returns the ``Complaint``.

Both intake functions take ``notify_customer=False`` when the caller answers the customer itself (the AI's
own reply); otherwise they send the confirmation/instructions through the outbox in the customer's language.
``lines`` is a list of ``LineRequest(line_id, quantity)``; ``line_id`` is the cached order line's id or the
shop's own line id. ``actor`` is a ``Principal`` (``Principal.system(ws, AuthorKind.AI)`` for the AI).
Only people decide: ``do_decide_complaint`` and the override of a return outside the rules need a user.
Functions that talk to the shop take ``connector``: the caller's connector (remote platforms need one built
with a ``ConnectorEnv``, see ``commerce.service.connector_for``); without it the workspace's own is built,
which works for the built-in demo shop only.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.aftersales.actions import deadlines, notify
from sprawa.aftersales.actions.eligibility import (
    Eligibility,
    LineRequest,
    ResolvedLine,
    check_eligibility,
    delivery_parts,
    resolve_lines,
)
from sprawa.aftersales.actions.proposal import propose
from sprawa.aftersales.actions.refunds import propose_refund
from sprawa.aftersales.models import (
    Complaint,
    ComplaintDecision,
    ComplaintStatus,
    IntakeSource,
    Remedy,
    Return,
    ReturnItem,
    ReturnMethod,
    ReturnStatus,
)
from sprawa.aftersales.tasks import schedule_alarm_scan
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Attachment, AuthorKind, Case, Message, Priority
from sprawa.cases.service import (
    check_case_writer,
    do_add_note,
    do_reply,
    do_update_case,
    link_orders,
    record_activity,
)
from sprawa.commerce.base import ActionResult, CommerceConnector, RefusalCode, ReturnLine
from sprawa.commerce.models import Order, OrderItem
from sprawa.commerce.service import connector_for, refresh_order
from sprawa.db import utcnow
from sprawa.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from sprawa.platform.events import Event, emit
from sprawa.workspaces.models import PolicyKind, Workspace
from sprawa.workspaces.queries import typed_policy
from sprawa.workspaces.schemas import EscalationPolicy, EscalationReason, RefundsPolicy, ReturnsPolicy

__all__ = [
    "Eligibility",
    "LineRequest",
    "do_start_return",
    "do_register_complaint",
    "return_eligibility",
]

RETURN_MOVES: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.REQUESTED: frozenset({ReturnStatus.APPROVED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED}),
    ReturnStatus.APPROVED: frozenset({ReturnStatus.AWAITING_GOODS, ReturnStatus.CANCELLED}),
    ReturnStatus.AWAITING_GOODS: frozenset({ReturnStatus.RECEIVED, ReturnStatus.CANCELLED}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.REFUNDED}),
    ReturnStatus.REFUNDED: frozenset(),
    ReturnStatus.REJECTED: frozenset(),
    ReturnStatus.CANCELLED: frozenset(),
}
RETURN_FINAL = frozenset({ReturnStatus.REFUNDED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED})
COMPLAINT_MOVES: dict[ComplaintStatus, frozenset[ComplaintStatus]] = {
    ComplaintStatus.RECEIVED: frozenset({ComplaintStatus.ANSWERED, ComplaintStatus.WITHDRAWN}),
    ComplaintStatus.ANSWERED: frozenset({ComplaintStatus.RESOLVED}),
    ComplaintStatus.RESOLVED: frozenset(),
    ComplaintStatus.WITHDRAWN: frozenset(),
}
FOLLOW_UPS = ("replacement", "refund", "repair")
_PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class InvalidAftersalesTransition(Conflict):
    code = "invalid_transition"


@runtime_checkable
class RefundingConnector(Protocol):
    """A shop connector that can pay a refund itself (optional; without it a person pays it out)."""

    def refund_return(
        self, number: str, *, amount: Decimal, reference: str, method: str | None
    ) -> ActionResult: ...


# ------------------------------------------------------------------------------------------- helpers


def _workspace(session: Session, workspace_id: str) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("workspace not found")
    return workspace


def _order(session: Session, workspace_id: str, order_id: str) -> Order:
    order = session.get(Order, order_id)
    if order is None or order.workspace_id != workspace_id:
        raise InvalidInput("no such order in this workspace", code="unknown_order")
    return order


def _returns_policy(session: Session, workspace_id: str) -> ReturnsPolicy:
    policy = typed_policy(session, workspace_id, PolicyKind.RETURNS)
    assert isinstance(policy, ReturnsPolicy)
    return policy


def _rules(policy: ReturnsPolicy, workspace: Workspace) -> dict[str, Any]:
    """The shop's withdrawal rules as ``check_eligibility`` takes them."""
    return {
        "window_days": policy.window_days,
        "timezone": workspace.timezone,
        "informed": policy.withdrawal_info_given,
        "info_sent_on": policy.withdrawal_info_sent_on,
        "business_may_withdraw": policy.business_buyers_may_withdraw,
    }


def _source(actor: Principal, source: IntakeSource | None) -> IntakeSource:
    if source is not None:
        return source
    return {AuthorKind.AI: IntakeSource.AI, AuthorKind.AGENT: IntakeSource.AGENT}.get(
        actor.kind, IntakeSource.SELF_SERVICE
    )


def _is_person(actor: Principal) -> bool:
    return actor.kind == AuthorKind.AGENT and actor.user_id is not None


def _next_number(session: Session, model: type[Return] | type[Complaint], prefix: str, order: Order) -> str:
    count = session.scalar(select(func.count()).select_from(model).where(model.order_id == order.id)) or 0
    return f"{prefix}-{order.number.lstrip('#')}-{count + 1}"


def _route_to_person(session: Session, case: Case, reason: EscalationReason, tag: str) -> None:
    """Send the case to the team the shop's escalation rule names, at least at the rule's priority."""
    policy = typed_policy(session, case.workspace_id, PolicyKind.ESCALATION)
    assert isinstance(policy, EscalationPolicy)
    rule = next((r for r in policy.rules if r.reason == reason and r.enabled), None)
    changes: dict[str, Any] = {}
    if rule is not None and rule.team_id and case.team_id is None:
        changes["team_id"] = rule.team_id
    if rule is not None and _PRIORITY_RANK[rule.priority] > _PRIORITY_RANK[Priority(case.priority)]:
        changes["priority"] = rule.priority
    if tag not in (case.tags or []):
        changes["tags"] = [*(case.tags or []), tag]
    if changes:
        do_update_case(session, Principal.system(case.workspace_id), case, changes)


def _shop(session: Session, workspace_id: str, connector: CommerceConnector | None) -> CommerceConnector:
    return connector if connector is not None else connector_for(session, workspace_id)


def _emit(session: Session, kind: str, record: Return | Complaint, **extra: Any) -> None:
    data = {"id": record.id, "number": record.number, "status": str(record.status), **extra}
    emit(session, Event(kind, record.workspace_id, data, case_id=record.case_id))


def _case_of(session: Session, record: Return | Complaint) -> Case:
    case = session.get(Case, record.case_id)
    assert case is not None
    return case


def transition_return(
    session: Session, actor: Principal, ret: Return, to: ReturnStatus, *, now: datetime | None = None
) -> None:
    """The one place a return changes status (requested → approved → awaiting_goods → received → refunded,
    or rejected / cancelled); recorded on the case and announced to agents."""
    if to not in RETURN_MOVES[ReturnStatus(ret.status)]:
        raise InvalidAftersalesTransition(f"a return cannot move from {ret.status} to {to}")
    now = now or utcnow()
    before = ret.status
    ret.status = to
    ret.updated_at = now
    if to in RETURN_FINAL:
        ret.closed_at = now
    record_activity(
        session,
        _case_of(session, ret),
        actor,
        "return_status",
        number=ret.number,
        **{"from": before, "to": to},
    )
    _emit(session, "aftersales.return_updated", ret)


def transition_complaint(
    session: Session,
    actor: Principal,
    complaint: Complaint,
    to: ComplaintStatus,
    *,
    now: datetime | None = None,
) -> None:
    """The one place a complaint changes status (received → answered → resolved, or withdrawn)."""
    if to not in COMPLAINT_MOVES[ComplaintStatus(complaint.status)]:
        raise InvalidAftersalesTransition(f"a complaint cannot move from {complaint.status} to {to}")
    before = complaint.status
    complaint.status = to
    complaint.updated_at = now or utcnow()
    record_activity(
        session,
        _case_of(session, complaint),
        actor,
        "complaint_status",
        number=complaint.number,
        **{"from": before, "to": to},
    )
    _emit(session, "aftersales.complaint_updated", complaint)


# ------------------------------------------------------------------------------------------- returns


def return_eligibility(
    session: Session,
    workspace_id: str,
    order_id: str,
    lines: Sequence[LineRequest],
    *,
    now: datetime | None = None,
) -> Eligibility:
    """Whether these items may be withdrawn now without a person, and if not, why (see module doc)."""
    order = _order(session, workspace_id, order_id)
    workspace = _workspace(session, workspace_id)
    policy = _returns_policy(session, workspace_id)
    return check_eligibility(
        session,
        order,
        resolve_lines(session, order, lines),
        statement_at=now or utcnow(),
        **_rules(policy, workspace),
    )


def do_start_return(
    session: Session,
    actor: Principal,
    case: Case,
    order_id: str,
    lines: Sequence[LineRequest],
    *,
    reason: str = "",
    method: ReturnMethod | None = None,
    source: IntakeSource | None = None,
    now: datetime | None = None,
    notify_customer: bool = True,
    connector: CommerceConnector | None = None,
) -> Return:
    """Record a withdrawal statement; approve it at once when the rules allow (see module doc).

    ``notify_customer=False`` when the caller answers the customer itself (the AI's own reply).
    """
    check_case_writer(actor, case)
    now = now or utcnow()
    order = _order(session, case.workspace_id, order_id)
    workspace = _workspace(session, case.workspace_id)
    policy = _returns_policy(session, case.workspace_id)
    refunds = typed_policy(session, case.workspace_id, PolicyKind.REFUNDS)
    assert isinstance(refunds, RefundsPolicy)
    resolved = resolve_lines(session, order, lines)
    eligibility = check_eligibility(
        session,
        order,
        resolved,
        statement_at=now,
        **_rules(policy, workspace),
    )
    refund = propose_refund(session, order, resolved, cheapest_delivery=policy.cheapest_delivery_price)
    source = _source(actor, source)
    if method is not None and method not in policy.return_methods:
        raise InvalidInput(f"the shop does not take returns by {method}", code="method_not_offered")
    ret = Return(
        workspace_id=case.workspace_id,
        number=_next_number(session, Return, "ZW", order),
        case_id=case.id,
        order_id=order.id,
        customer_id=case.customer_id,
        status=ReturnStatus.REQUESTED,
        source=source,
        reason=reason.strip()[:2000],
        delivered_at=eligibility.delivered_at,
        window_days=eligibility.window_days,
        withdrawal_deadline=eligibility.deadline,
        statement_received_at=now,
        goods_due_by=deadlines.goods_due(now, workspace.timezone),
        method=method,
        refund_amount=refund.total,
        refund_items_amount=refund.items,
        refund_delivery_amount=refund.delivery,
        currency=order.currency,
        refund_method=order.payment_method if order.payment_method != "cod" else "bank_transfer",
        refund_due_by=deadlines.refund_due(now, workspace.timezone, refunds.refund_within_days),
        review_reasons=list(eligibility.review_reasons),
        created_at=now,
    )
    add_return(session, ret, resolved)
    link_orders(session, case, [order.id], reason=f"return {ret.number}")
    record_activity(session, case, actor, "return_started", number=ret.number, eligibility=eligibility.code)
    _emit(session, "aftersales.return_created", ret)
    person = _is_person(actor)
    if not usable_methods(policy):
        # Nobody can tell the customer where to send the parcel: a person has to (and fix the policy).
        ret.review_reasons = [*ret.review_reasons, "no_return_method"]
    elif eligibility.allowed and (person or source != IntakeSource.AI or policy.ai_may_start_return):
        _approve(
            session,
            actor,
            case,
            ret,
            order,
            policy,
            resolved,
            now=now,
            auto=not person,
            tell=notify_customer,
            connector=connector,
        )
        return ret
    if eligibility.allowed and not ret.review_reasons:
        ret.review_reasons = ["ai_not_allowed"]
    _route_to_person(session, case, EscalationReason.APPROVAL_REQUIRED, "zwrot")
    if not person and notify_customer:  # a person who started it decides next; others learn why
        lang = notify.customer_language(session, case)
        why = eligibility.explain(lang) or notify.fragment("why_other", lang)
        notify.send(
            session,
            case,
            notify.compose(
                session, case, "return_review", lang, order=order.number, number=ret.number, why=why
            ),
        )
    return ret


def _method_text(ret: Return, lang: str) -> str:
    details = ret.method_details or {}
    if ret.method == ReturnMethod.PACZKOMAT:
        return notify.fragment("method_paczkomat", lang, code=details.get("code", ""))
    if ret.method == ReturnMethod.COURIER:
        return notify.fragment(
            "method_courier", lang, label=details.get("label_url", ""), address=details.get("address", "")
        )
    return notify.fragment("method_in_store", lang, store=details.get("store", ""))


def usable_methods(policy: ReturnsPolicy) -> list[ReturnMethod]:
    """The shop's return methods it has filled in what the customer needs for (code, label or address)."""
    ready = {
        ReturnMethod.PACZKOMAT: bool(policy.paczkomat_return_code),
        ReturnMethod.COURIER: bool(policy.courier_label_url and policy.return_address),
        ReturnMethod.IN_STORE: bool(policy.store_address),
    }
    return [ReturnMethod(m) for m in policy.return_methods if ready[ReturnMethod(m)]]


def _method_details(policy: ReturnsPolicy, method: ReturnMethod) -> dict[str, str]:
    if method == ReturnMethod.PACZKOMAT:
        return {"code": policy.paczkomat_return_code}
    if method == ReturnMethod.COURIER:
        return {"label_url": policy.courier_label_url, "address": policy.return_address}
    return {"store": policy.store_address}


def _approve(
    session: Session,
    actor: Principal,
    case: Case,
    ret: Return,
    order: Order,
    policy: ReturnsPolicy,
    lines: Sequence[ResolvedLine],
    *,
    now: datetime,
    auto: bool,
    tell: bool = True,
    connector: CommerceConnector | None = None,
) -> None:
    """Register the return with the shop, approve it, send the instructions (``tell``), wait for the goods."""
    connector = _shop(session, ret.workspace_id, connector)
    result = connector.start_return(
        order.number,
        [ReturnLine(line_id=line.item.external_id, quantity=line.quantity) for line in lines],
        reason=ret.reason,
        allow_excepted=not auto,
    )
    if result.ok:
        ret.shop_reference = str(result.data.get("return_number") or "") or None
        shop_amount = result.data.get("refund_amount")
        if shop_amount is not None and Decimal(str(shop_amount)) != ret.refund_amount:
            # Sprawa's proposal (art. 32, the shop's cheapest delivery) stays; a person reconciles.
            do_add_note(
                session,
                Principal.system(ret.workspace_id),
                case,
                f"Sklep wyliczył zwrot {ret.number} na "
                f"{notify.money_text(Decimal(str(shop_amount)), ret.currency, 'pl')}, a propozycja Sprawy "
                f"to {notify.money_text(ret.refund_amount, ret.currency, 'pl')} (produkty "
                f"{notify.money_text(ret.refund_items_amount, ret.currency, 'pl')} + dostawa "
                f"{notify.money_text(ret.refund_delivery_amount, ret.currency, 'pl')}) — sprawdź przed "
                "zwrotem pieniędzy.",
            )
        refresh_order(session, connector, ret.workspace_id, order.number)
    elif result.code != RefusalCode.UNSUPPORTED:
        if auto:
            ret.review_reasons = [*ret.review_reasons, f"shop_refused:{result.code}"]
            _route_to_person(session, case, EscalationReason.APPROVAL_REQUIRED, "zwrot")
            lang = notify.customer_language(session, case)
            why = result.message_pl if lang == "pl" else result.message_en
            if tell:
                notify.send(
                    session,
                    case,
                    notify.compose(
                        session, case, "return_review", lang, order=order.number, number=ret.number, why=why
                    ),
                )
            return
        do_add_note(
            session,
            actor,
            case,
            f"Sklep nie zarejestrował zwrotu {ret.number}: {result.message_pl} Zwrot przyjęto w Sprawie — "
            "uzupełnij go w panelu sklepu.",
        )
    usable = usable_methods(policy)
    method = ret.method if ret.method in usable else usable[0]
    ret.method = method
    ret.method_details = _method_details(policy, method)
    ret.auto_approved = auto
    ret.decided_by_id = actor.user_id
    ret.decided_at = now
    transition_return(session, actor, ret, ReturnStatus.APPROVED, now=now)
    if tell:
        _send_instructions(session, case, ret, order, lines)
    transition_return(session, actor, ret, ReturnStatus.AWAITING_GOODS, now=now)


def _approved_values(ret: Return, order: Order, items: str, lang: str) -> dict[str, str]:
    return {
        "number": ret.number,
        "order": order.number,
        "items": items,
        "method": _method_text(ret, lang),
        "goods_due": notify.day_text(ret.goods_due_by, lang),
        "amount": notify.refund_text(ret, lang),
        "refund_method": notify.refund_method_text(ret.refund_method, lang),
        "refund_due": notify.day_text(ret.refund_due_by, lang),
    }


def _send_instructions(
    session: Session, case: Case, ret: Return, order: Order, lines: Sequence[ResolvedLine]
) -> None:
    lang = notify.customer_language(session, case)
    items = ", ".join(f"{line.item.name} × {line.quantity}" for line in lines)
    values = _approved_values(ret, order, items, lang)
    notify.send(session, case, notify.compose(session, case, "return_approved", lang, **values))


def add_return(session: Session, ret: Return, lines: list[ResolvedLine]) -> None:
    """Store a new return with one item row per resolved order line."""
    session.add(ret)
    session.flush()
    session.add_all(
        ReturnItem(
            workspace_id=ret.workspace_id,
            return_id=ret.id,
            order_item_id=line.item.id,
            line_external_id=line.item.external_id,
            product_external_id=line.item.product_external_id,
            name=line.item.name,
            quantity=line.quantity,
            unit_price=line.item.unit_price,
            withdrawal_exception=line.exception,
        )
        for line in lines
    )


def _return_lines(session: Session, ret: Return) -> tuple[Order, list[ResolvedLine]]:
    """The return's order and its items as resolved order lines."""
    order = _order(session, ret.workspace_id, ret.order_id)
    items = list(session.scalars(select(ReturnItem).where(ReturnItem.return_id == ret.id)))
    order_items = {i.id: i for i in session.scalars(select(OrderItem).where(OrderItem.order_id == order.id))}
    lines = [
        ResolvedLine(order_items[i.order_item_id], i.quantity, i.withdrawal_exception)
        for i in items
        if i.order_item_id in order_items
    ]
    return order, lines


def send_return_instructions(session: Session, ret: Return) -> None:
    """The approved return's instructions as the shop's own message (for a caller that cannot quote them,
    e.g. the AI, whose replies may only link allow-listed pages)."""
    order, lines = _return_lines(session, ret)
    _send_instructions(session, _case_of(session, ret), ret, order, lines)


def _review_why(ret: Return, items: Sequence[ReturnItem], lang: str) -> str:
    """Why a person has to look at this return, from the reasons the rules recorded."""
    reasons = set(ret.review_reasons or [])
    if "window_closed" in reasons and ret.withdrawal_deadline:
        deadline = notify.day_text(ret.withdrawal_deadline, lang)
        return notify.fragment("why_window_closed", lang, deadline=deadline)
    if "excepted" in reasons:
        return notify.excepted_why(
            [(i.name, i.withdrawal_exception) for i in items if i.withdrawal_exception], lang
        )
    if reasons & {"not_delivered", "no_delivery_date"}:
        return notify.fragment("why_not_delivered", lang)
    if "business_order" in reasons:
        return notify.fragment("why_business", lang)
    return notify.fragment("why_other", lang)


def return_message(session: Session, ret: Return, lang: str) -> str:
    """Where the return stands, for a reply the caller writes itself (the AI's chat answer): the
    instructions with the goods-back and refund dates once approved, else why a person looks at it."""
    order = _order(session, ret.workspace_id, ret.order_id)
    items = list(session.scalars(select(ReturnItem).where(ReturnItem.return_id == ret.id)))
    if ret.status in (ReturnStatus.APPROVED, ReturnStatus.AWAITING_GOODS):
        listed = ", ".join(f"{i.name} × {i.quantity}" for i in items)
        body = notify.TEMPLATES["return_approved"][lang].format(**_approved_values(ret, order, listed, lang))
    else:
        why = _review_why(ret, items, lang)
        body = notify.TEMPLATES["return_review"][lang].format(order=order.number, number=ret.number, why=why)
    return body[0].upper() + body[1:]


def _check_person(actor: Principal, case: Case, what: str) -> None:
    check_case_writer(actor, case)
    if not _is_person(actor):
        raise Forbidden(f"only a person may {what}", code="person_required")


def do_approve_return(
    session: Session,
    actor: Principal,
    ret: Return,
    *,
    method: ReturnMethod | None = None,
    connector: CommerceConnector | None = None,
) -> Return:
    """A person approves a return the rules sent to review (outside the window, excepted goods...)."""
    case = _case_of(session, ret)
    _check_person(actor, case, "approve a return outside the rules")
    if ret.status != ReturnStatus.REQUESTED:
        raise InvalidAftersalesTransition(f"return {ret.number} is {ret.status}, not waiting for a decision")
    policy = _returns_policy(session, ret.workspace_id)
    if not usable_methods(policy):
        raise Conflict(
            "the returns policy names no way to send goods back (Paczkomat code, courier label and address, "
            "or store address); set one first",
            code="no_return_method",
        )
    if method is not None:
        if method not in policy.return_methods:
            raise InvalidInput(f"the shop does not take returns by {method}", code="method_not_offered")
        ret.method = method
    order, lines = _return_lines(session, ret)
    _approve(session, actor, case, ret, order, policy, lines, now=utcnow(), auto=False, connector=connector)
    return ret


def do_reject_return(session: Session, actor: Principal, ret: Return, reason: str) -> Return:
    """A person rejects a return, with the reason the customer reads (never automatic)."""
    case = _case_of(session, ret)
    _check_person(actor, case, "reject a return")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say why the return is rejected; the customer reads it", code="reason_required")
    ret.rejection_reason = reason[:2000]
    ret.decided_by_id = actor.user_id
    ret.decided_at = utcnow()
    transition_return(session, actor, ret, ReturnStatus.REJECTED)
    order = _order(session, ret.workspace_id, ret.order_id)
    lang = notify.customer_language(session, case)
    notify.send(
        session,
        case,
        notify.compose(
            session, case, "return_rejected", lang, number=ret.number, order=order.number, reason=reason
        ),
    )
    return ret


def do_cancel_return(session: Session, actor: Principal, ret: Return) -> Return:
    """The customer changed their mind (before the refund)."""
    case = _case_of(session, ret)
    check_case_writer(actor, case)
    transition_return(session, actor, ret, ReturnStatus.CANCELLED)
    order = _order(session, ret.workspace_id, ret.order_id)
    lang = notify.customer_language(session, case)
    notify.send(
        session,
        case,
        notify.compose(session, case, "return_cancelled", lang, number=ret.number, order=order.number),
    )
    return ret


def do_mark_goods_received(
    session: Session,
    actor: Principal,
    returns: Sequence[Return],
    *,
    proof_only: bool = False,
    connector: CommerceConnector | None = None,
) -> list[Return]:
    """Goods (or the proof of sending, art. 32) arrived for these returns: the refund can go out.

    Safe in bulk: it only records arrival. Where the shop cannot refund by itself, a note on the case holds
    the task (amount, method, due date) and the return waits in the "refund to pay" queue.
    """
    now = utcnow()
    for ret in returns:
        case = _case_of(session, ret)
        check_case_writer(actor, case)
        if ret.status != ReturnStatus.AWAITING_GOODS:
            raise InvalidAftersalesTransition(f"return {ret.number} is {ret.status}, not awaiting goods")
    for ret in returns:
        case = _case_of(session, ret)
        if proof_only:
            ret.proof_of_sending_at = now
        else:
            ret.goods_received_at = now
        transition_return(session, actor, ret, ReturnStatus.RECEIVED, now=now)
        lang = notify.customer_language(session, case)
        received = notify.fragment(
            "proof_received" if proof_only else "goods_received", lang, number=ret.number
        )
        notify.send(
            session,
            case,
            notify.compose(
                session,
                case,
                "return_received",
                lang,
                received=received[0].upper() + received[1:],
                amount=notify.refund_text(ret, lang),
                refund_method=notify.refund_method_text(ret.refund_method, lang),
                refund_due=notify.day_text(ret.refund_due_by, lang),
            ),
        )
        if not isinstance(_shop(session, ret.workspace_id, connector), RefundingConnector):
            do_add_note(
                session,
                Principal.system(ret.workspace_id),
                case,
                f"Zadanie: zwrot pieniędzy za {ret.number} — "
                f"{notify.refund_text(ret, 'pl')}, "
                f"{notify.refund_method_text(ret.refund_method, 'pl')}, najpóźniej "
                f"{notify.day_text(ret.refund_due_by, 'pl')}. Sklep nie zleca zwrotów przez API: po "
                "przelewie oznacz zwrot jako opłacony.",
            )
    return list(returns)


def do_refund_return(
    session: Session,
    actor: Principal,
    ret: Return,
    *,
    reference: str = "",
    amount: Decimal | None = None,
    connector: CommerceConnector | None = None,
) -> Return:
    """Pay the refund through the shop when its connector can, else record the one a person made.

    ``amount`` may be lower than computed only with a reason in ``reference`` (loss of value, art. 34).
    """
    case = _case_of(session, ret)
    check_case_writer(actor, case)
    if ret.status != ReturnStatus.RECEIVED:
        raise InvalidAftersalesTransition(f"return {ret.number} is {ret.status}; refunds follow the goods")
    if amount is not None:
        if amount <= 0 or amount > ret.refund_amount:
            raise InvalidInput(
                "the refund must be above 0 and at most the computed amount", code="bad_amount"
            )
        if amount < ret.refund_amount and not reference.strip():
            raise InvalidInput("a lower refund needs a reason in the reference", code="reason_required")
        ret.refund_delivery_amount = min(ret.refund_delivery_amount, amount)
        ret.refund_items_amount = amount - ret.refund_delivery_amount
        ret.refund_amount = amount
    connector = _shop(session, ret.workspace_id, connector)
    order = _order(session, ret.workspace_id, ret.order_id)
    if isinstance(connector, RefundingConnector):
        result = connector.refund_return(
            order.number, amount=ret.refund_amount, reference=ret.number, method=ret.refund_method
        )
        if not result.ok:
            raise Conflict(f"the shop refused the refund: {result.message_en}", code="refund_refused")
        ret.refund_via = "connector"
        ret.refund_reference = str(result.data.get("refund_id") or ret.number)[:100]
    else:
        if not reference.strip():
            raise InvalidInput(
                "the shop cannot refund through its API; give the reference of the transfer you made",
                code="reference_required",
            )
        ret.refund_via = "manual"
        ret.refund_reference = reference.strip()[:100]
    ret.refunded_at = utcnow()
    transition_return(session, actor, ret, ReturnStatus.REFUNDED)
    lang = notify.customer_language(session, case)
    notify.send(
        session,
        case,
        notify.compose(
            session,
            case,
            "return_refunded",
            lang,
            number=ret.number,
            order=order.number,
            amount=notify.refund_text(ret, lang),
            refund_method=notify.refund_method_text(ret.refund_method, lang),
        ),
    )
    return ret


# ---------------------------------------------------------------------------------------- complaints


def case_evidence(session: Session, case: Case) -> list[str]:
    """Photos and videos the customer sent on this case, on any channel, oldest first."""
    return list(
        session.scalars(
            select(Attachment.id)
            .join(Message, Message.id == Attachment.message_id)
            .where(
                Message.case_id == case.id,
                Message.author_kind == AuthorKind.CUSTOMER,
                Attachment.content_type.like("image/%") | Attachment.content_type.like("video/%"),
            )
            .order_by(Attachment.created_at)
            .limit(50)
        )
    )


def do_register_complaint(
    session: Session,
    actor: Principal,
    case: Case,
    order_id: str,
    line_id: str,
    *,
    description: str,
    remedy: Remedy,
    evidence: Sequence[str] | None = None,
    source: IntakeSource | None = None,
    now: datetime | None = None,
    notify_customer: bool = True,
) -> Complaint:
    """Record a complaint (see module doc); the decision is always left to a person.

    ``notify_customer=False`` when the caller confirms receipt and the deadline itself (the AI's reply).
    """
    check_case_writer(actor, case)
    now = now or utcnow()
    description = description.strip()
    if len(description) < 5:
        raise InvalidInput("describe what is wrong with the product", code="description_required")
    order = _order(session, case.workspace_id, order_id)
    item = next(
        (
            i
            for i in session.scalars(select(OrderItem).where(OrderItem.order_id == order.id))
            if line_id in (i.id, i.external_id)
        ),
        None,
    )
    if item is None:
        raise InvalidInput(f"order {order.number} has no line {line_id}", code="unknown_line")
    if evidence is None:
        evidence = case_evidence(session, case)
    else:
        evidence = list(dict.fromkeys(evidence))
        found = set(
            session.scalars(
                select(Attachment.id)
                .join(Message, Message.id == Attachment.message_id)
                .where(Message.case_id == case.id, Attachment.id.in_(evidence))
            )
        )
        if found != set(evidence):
            raise InvalidInput("evidence must be files of this case's messages", code="invalid_evidence")
    workspace = _workspace(session, case.workspace_id)
    complaint = Complaint(
        workspace_id=case.workspace_id,
        number=_next_number(session, Complaint, "RK", order),
        case_id=case.id,
        order_id=order.id,
        customer_id=case.customer_id,
        order_item_id=item.id,
        product_external_id=item.product_external_id,
        item_name=item.name,
        status=ComplaintStatus.RECEIVED,
        source=_source(actor, source),
        description=description[:5000],
        remedy=remedy,
        evidence=list(evidence),
        delivered_at=deadlines.possession_date(delivery_parts(session, order), order.delivered_at),
        received_at=now,
        answer_due_by=deadlines.complaint_answer_due(now, workspace.timezone),
        created_at=now,
    )
    session.add(complaint)
    session.flush()
    complaint.proposal = propose(session, complaint, now)
    link_orders(session, case, [order.id], reason=f"complaint {complaint.number}")
    record_activity(session, case, actor, "complaint_registered", number=complaint.number)
    _route_to_person(session, case, EscalationReason.COMPLAINT, "reklamacja")
    _emit(
        session, "aftersales.complaint_created", complaint, answer_due_by=complaint.answer_due_by.isoformat()
    )
    schedule_alarm_scan(session, complaint.workspace_id, complaint.answer_due_by)
    if not notify_customer:
        return complaint
    lang = notify.customer_language(session, case)
    files = len(complaint.evidence)
    notify.send(
        session,
        case,
        notify.compose(
            session,
            case,
            "complaint_received",
            lang,
            number=complaint.number,
            item=item.name,
            order=order.number,
            evidence=notify.fragment("evidence", lang, files=notify.files_text(files, lang)) if files else "",
            due=notify.day_text(deadlines.local_day(complaint.answer_due_by, workspace.timezone), lang),
        ),
    )
    return complaint


def do_decide_complaint(
    session: Session,
    actor: Principal,
    complaint: Complaint,
    *,
    decision: ComplaintDecision,
    answer: str,
    granted_remedy: Remedy | None = None,
    follow_up: str | None = None,
    follow_up_amount: Decimal | None = None,
) -> Complaint:
    """A person's decision; ``answer`` goes to the customer as written (the form offers templates)."""
    case = _case_of(session, complaint)
    _check_person(actor, case, "decide a complaint")
    answer = answer.strip()
    if not answer:
        raise InvalidInput("write the answer the customer will read", code="answer_required")
    if decision == ComplaintDecision.ACCEPTED:
        if granted_remedy is None:
            raise InvalidInput("say which remedy is granted", code="remedy_required")
        if follow_up is not None and follow_up not in FOLLOW_UPS:
            raise InvalidInput(f"follow-up is one of {', '.join(FOLLOW_UPS)}", code="invalid_follow_up")
        if follow_up == "refund" and (follow_up_amount is None or follow_up_amount <= 0):
            raise InvalidInput("a refund follow-up needs its amount", code="amount_required")
    else:
        granted_remedy, follow_up, follow_up_amount = None, None, None
    now = utcnow()
    transition_complaint(session, actor, complaint, ComplaintStatus.ANSWERED, now=now)
    message = do_reply(session, actor, case, answer)
    complaint.decision = decision
    complaint.granted_remedy = granted_remedy
    complaint.answer_text = answer
    complaint.answer_message_id = message.id
    complaint.decided_by_id = actor.user_id
    complaint.answered_at = now
    complaint.follow_up = follow_up
    complaint.follow_up_amount = follow_up_amount
    if follow_up is None:
        transition_complaint(session, actor, complaint, ComplaintStatus.RESOLVED, now=now)
    return complaint


def do_complete_follow_up(
    session: Session, actor: Principal, complaint: Complaint, *, reference: str = ""
) -> Complaint:
    """The replacement left, the money went out or the repair came back: tell the customer, close it."""
    case = _case_of(session, complaint)
    check_case_writer(actor, case)
    if complaint.status != ComplaintStatus.ANSWERED or not complaint.follow_up:
        raise InvalidAftersalesTransition(f"complaint {complaint.number} has no follow-up waiting")
    complaint.follow_up_reference = reference.strip()[:100] or None
    complaint.follow_up_done_at = utcnow()
    transition_complaint(session, actor, complaint, ComplaintStatus.RESOLVED)
    lang = notify.customer_language(session, case)
    ref = (
        notify.fragment("reference", lang, reference=complaint.follow_up_reference)
        if reference.strip()
        else ""
    )
    order = _order(session, complaint.workspace_id, complaint.order_id)
    amount = notify.money_text(complaint.follow_up_amount or Decimal("0"), order.currency, lang)
    text = notify.fragment(f"follow_up_{complaint.follow_up}", lang, reference=ref, amount=amount)
    notify.send(
        session,
        case,
        notify.compose(session, case, "complaint_resolved", lang, number=complaint.number, follow_up=text),
    )
    return complaint


def do_withdraw_complaint(session: Session, actor: Principal, complaint: Complaint) -> Complaint:
    """The customer takes the complaint back before it is answered; they get a confirmation."""
    case = _case_of(session, complaint)
    check_case_writer(actor, case)
    transition_complaint(session, actor, complaint, ComplaintStatus.WITHDRAWN)
    lang = notify.customer_language(session, case)
    notify.send(
        session, case, notify.compose(session, case, "complaint_withdrawn", lang, number=complaint.number)
    )
    return complaint
