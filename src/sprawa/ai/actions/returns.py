"""``start_return`` on a case: the after-sales ``Return`` with its legal deadlines, beside the shop's return.

With a case the after-sales rules are the check (delivery of the last parcel, the shop's window, art. 29,
art. 38 goods, company orders — ``aftersales.service.return_eligibility``), and after the customer's yes
``do_start_return`` records the statement: inside the rules it is approved at once (DONE, with the return
number, method, goods-back date and refund deadline), otherwise the record waits for a person, who gets the
case (NEEDS_APPROVAL with the reason). A return outside the window is refused before any yes, with the
dates, so the customer can choose a complaint or a person instead. Without a case (τ²-bench replays) the
layer calls the shop connector directly.
"""

from typing import Any

from sqlalchemy import select

from sprawa.aftersales.actions.eligibility import Eligibility, LineRequest
from sprawa.aftersales.actions.notify import LANGUAGES
from sprawa.aftersales.models import IntakeSource, Return, ReturnStatus
from sprawa.aftersales.service import do_start_return, return_eligibility
from sprawa.ai.actions import policy
from sprawa.ai.actions.base import ActionName, ActionStatus, Check, Outcome, StartReturnArgs, Verdict
from sprawa.ai.actions.policy import excepted_data
from sprawa.auth.schemas import Principal
from sprawa.cases.models import AuthorKind, Case
from sprawa.commerce.base import OrderDetail, ReturnLine
from sprawa.commerce.models import Order
from sprawa.commerce.service import upsert_orders
from sprawa.platform.errors import AppError
from sprawa.workspaces.models import PolicyKind
from sprawa.workspaces.queries import typed_policy
from sprawa.workspaces.schemas import ReturnsPolicy

NAME = ActionName.START_RETURN


def start_case_return(
    ctx: Any, order: OrderDetail, args: StartReturnArgs, lines: list[ReturnLine], check: Check
) -> Outcome:
    """``ctx`` is the layer's ActionContext (with ``case_id``); ``check`` the shop-policy check so far."""
    cached = _cached(ctx, order)
    requests = [LineRequest(line.line_id, line.quantity) for line in lines]
    preview: dict[str, Any] = {
        "order": order,
        "lines": [{"line_id": r.line_id, "quantity": r.quantity} for r in lines],
    }
    try:
        eligibility = return_eligibility(ctx.session, ctx.workspace_id, cached.id, requests, now=ctx.now())
    except AppError as exc:
        return _refused(order, exc.code, preview)
    check = _combine(_eligibility_check(eligibility, order), check)
    preview |= check.data
    if check.verdict == Verdict.DENIED:
        return Outcome(NAME, ActionStatus.DENIED, check, preview, check.pl, check.en)
    if not ctx.confirmed:
        waits = check.verdict == Verdict.NEEDS_APPROVAL and ctx.by_ai
        return Outcome(NAME, ActionStatus.NEEDS_APPROVAL if waits else ActionStatus.PREVIEW, check, preview)
    case = ctx.session.get(Case, ctx.case_id)
    actor = ctx.actor or Principal.system(
        ctx.workspace_id, kind=AuthorKind.AI if ctx.by_ai else AuthorKind.SYSTEM
    )
    try:
        ret = do_start_return(
            ctx.session,
            actor,
            case,
            cached.id,
            requests,
            reason=args.reason,
            source=IntakeSource.AI if ctx.by_ai else None,
            now=ctx.now(),
            # The AI's own reply carries the instructions; an agent's action sends them as a message.
            notify_customer=not ctx.by_ai,
            connector=ctx.connector,
        )
    except AppError as exc:
        return _refused(order, exc.code, preview)
    data = {"order": order, **return_facts(ret)}
    if ret.status in (ReturnStatus.APPROVED, ReturnStatus.AWAITING_GOODS):
        return Outcome(NAME, ActionStatus.DONE, Check.allowed(**return_facts(ret)), data)
    review = Check.approval(
        "return_review",
        f"Zwrot {ret.number} czeka na decyzję konsultanta ({', '.join(ret.review_reasons)}).",
        f"Return {ret.number} waits for a person's decision ({', '.join(ret.review_reasons)}).",
        **return_facts(ret),
    )
    return Outcome(NAME, ActionStatus.NEEDS_APPROVAL, review, data, review.pl, review.en)


def return_facts(ret: Return) -> dict[str, Any]:
    """What the record says, for the decision trail and the reply's grounding."""
    return {
        "return_id": ret.id,
        "return_number": ret.number,
        "return_status": str(ret.status),
        "auto_approved": ret.auto_approved,
        "review_reasons": list(ret.review_reasons or []),
        "method": str(ret.method) if ret.method else None,
        "method_details": dict(ret.method_details or {}),
        "withdrawal_deadline": ret.withdrawal_deadline.isoformat() if ret.withdrawal_deadline else None,
        "goods_due_by": ret.goods_due_by.isoformat(),
        "refund_due_by": ret.refund_due_by.isoformat(),
        "refund_amount": str(ret.refund_amount),
        "currency": ret.currency,
    }


def _cached(ctx: Any, order: OrderDetail) -> Order:
    """The order as the after-sales records reference it: the shop's copy just read, cached. A preview
    reuses the cached row when there is one (agents' suggestions are computed in read-only requests)."""
    query = select(Order).where(
        Order.workspace_id == ctx.workspace_id, Order.external_id == order.external_id
    )
    cached = ctx.session.scalars(query).first()
    if cached is None or ctx.confirmed:
        upsert_orders(ctx.session, ctx.workspace_id, [order], source=ctx.connector.kind)
        cached = ctx.session.scalars(query).one()
    return cached


def _eligibility_check(eligibility: Eligibility, order: OrderDetail) -> Check:
    why = {lang: eligibility.explain(lang) for lang in LANGUAGES}
    data: dict[str, Any] = {
        "deadline": eligibility.deadline.isoformat() if eligibility.deadline else None,
        "window_days": eligibility.window_days,
        "delivered_at": eligibility.delivered_at.isoformat() if eligibility.delivered_at else None,
    }
    if eligibility.code == "not_delivered":
        return Check.denied("return_not_delivered", why["pl"], why["en"], **data)
    if eligibility.code == "window_closed":
        assert eligibility.deadline is not None
        return Check.denied(
            "return_window_closed",
            f"Termin na zwrot ({eligibility.window_days} dni od doręczenia) minął "
            f"{eligibility.deadline:%d.%m.%Y}.",
            f"The {eligibility.window_days}-day return period ended on {eligibility.deadline:%Y-%m-%d}.",
            **data,
        )
    if not eligibility.allowed:
        return Check.approval(f"return_{eligibility.code}", why["pl"], why["en"], why=why, **data)
    chosen = {line.item.external_id for line in eligibility.lines}
    others = [line for line in order.items if line.withdrawal_exception and line.external_id not in chosen]
    data.update(excepted_data(others))
    return Check.allowed(**data)


def _combine(rules: Check, shop: Check) -> Check:
    """The after-sales rules decide the window; the shop's policy may still deny or ask for a person."""
    if rules.verdict == Verdict.DENIED or shop.verdict == Verdict.ALLOWED:
        return rules
    if shop.verdict == Verdict.DENIED or rules.verdict == Verdict.ALLOWED:
        return Check(shop.verdict, shop.code, shop.pl, shop.en, {**rules.data, **shop.data})
    return rules


def shop_check(ctx: Any, order: OrderDetail, args: StartReturnArgs) -> Check:
    """The shop's policy beside the after-sales rules: delivered, the AI allowed to start returns, and
    the refund method; the window itself is the after-sales rules' (art. 28/29, the last parcel)."""
    check = policy.check_return(
        ctx.session, ctx.workspace_id, order, ctx.now(), by_ai=ctx.by_ai, exchange=False
    )
    if check.code in ("return_window_closed", "return_date_unknown"):
        check = Check.allowed()
    returns = typed_policy(ctx.session, ctx.workspace_id, PolicyKind.RETURNS)
    assert isinstance(returns, ReturnsPolicy)
    if check.verdict == Verdict.ALLOWED and ctx.by_ai and not returns.ai_may_start_return:
        check = Check.approval(
            "return_needs_approval",
            "Zwroty zatwierdza u nas konsultant.",
            "A person approves returns in this shop.",
        )
    if check.verdict == Verdict.DENIED:
        return check
    refund = policy.check_refund_method(ctx.session, ctx.workspace_id, order, args.refund_method_id)
    return refund if refund.verdict != Verdict.ALLOWED else check


def _refused(order: OrderDetail, code: str, preview: dict[str, Any]) -> Outcome:
    if code in ("quantity_exceeded", "no_items"):
        pl = (
            f"Z zamówienia {order.number} nie można zgłosić zwrotu tych produktów — są już w innym "
            "zwrocie albo zostały zwrócone."
        )
        en = f"These items of order {order.number} are already in another return or were returned."
    else:
        pl = f"Zwrotu z zamówienia {order.number} nie mogę zgłosić automatycznie."
        en = f"I cannot register a return for order {order.number} automatically."
    check = Check.denied(f"return_{code}", pl, en)
    return Outcome(NAME, ActionStatus.DENIED, check, preview, pl, en)
