"""Returns and complaints over HTTP: intake from the case view, decisions, bulk actions, queues, reports."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from sprawa.aftersales.actions.eligibility import LineRequest
from sprawa.aftersales.queries import (
    ComplaintQueue,
    ReturnQueue,
    access_complaint,
    access_return,
    access_returns,
    case_aftersales,
    complaints_out,
    complaints_queue,
    report,
    returns_out,
    returns_queue,
)
from sprawa.aftersales.schemas import (
    AftersalesReport,
    CaseAftersales,
    ComplaintDecisionIn,
    ComplaintIn,
    ComplaintOut,
    ComplaintQueueRow,
    FollowUpIn,
    GoodsReceivedIn,
    RefundIn,
    ReturnApproveIn,
    ReturnOut,
    ReturnQueueRow,
    ReturnRejectIn,
    ReturnStartIn,
)
from sprawa.aftersales.service import (
    do_approve_return,
    do_cancel_return,
    do_complete_follow_up,
    do_decide_complaint,
    do_mark_goods_received,
    do_refund_return,
    do_register_complaint,
    do_reject_return,
    do_start_return,
    do_withdraw_complaint,
    return_eligibility,
)
from sprawa.cases.queries import access_case
from sprawa.commerce.base import CommerceConnector
from sprawa.commerce.service import connector_for
from sprawa.deps import CurrentPrincipal, DbSession, ShopEnv, Writer

router = APIRouter(prefix="/api/v1", tags=["aftersales"])

Id = Annotated[str, Path(min_length=1, max_length=64)]


def shop_connector(db: DbSession, principal: CurrentPrincipal, env: ShopEnv) -> CommerceConnector:
    """The workspace's shop connector, able to reach remote platforms (WooCommerce, Shopify...)."""
    return connector_for(db, principal.workspace_id, env)


Shop = Annotated[CommerceConnector, Depends(shop_connector)]


def _return(db: DbSession, ret_id: str, principal: CurrentPrincipal) -> ReturnOut:
    return returns_out(db, [access_return(db, principal, ret_id)])[0]


def _complaint(db: DbSession, complaint_id: str, principal: CurrentPrincipal) -> ComplaintOut:
    return complaints_out(db, [access_complaint(db, principal, complaint_id)])[0]


@router.get("/cases/{case_id}/aftersales")
def get_case_aftersales(case_id: Id, db: DbSession, principal: CurrentPrincipal) -> CaseAftersales:
    """Returns, complaints (with the unpausable deadline badge) and abuse signals of a case."""
    return case_aftersales(db, principal, case_id)


@router.post("/cases/{case_id}/returns/eligibility")
def post_return_eligibility(
    case_id: Id, body: ReturnStartIn, db: DbSession, principal: CurrentPrincipal
) -> dict[str, object]:
    """Would these items be approved without a person, and if not, why (nothing is written)."""
    case = access_case(db, principal, case_id)
    lines = [LineRequest(line.line_id, line.quantity) for line in body.lines]
    return return_eligibility(db, case.workspace_id, body.order_id, lines).as_dict()


@router.post("/cases/{case_id}/returns", status_code=201)
def post_return(case_id: Id, body: ReturnStartIn, db: DbSession, writer: Writer, shop: Shop) -> ReturnOut:
    case = access_case(db, writer, case_id, for_update=True)
    lines = [LineRequest(line.line_id, line.quantity) for line in body.lines]
    ret = do_start_return(
        db, writer, case, body.order_id, lines, reason=body.reason, method=body.method, connector=shop
    )
    return returns_out(db, [ret])[0]


@router.post("/cases/{case_id}/complaints", status_code=201)
def post_complaint(case_id: Id, body: ComplaintIn, db: DbSession, writer: Writer) -> ComplaintOut:
    case = access_case(db, writer, case_id, for_update=True)
    complaint = do_register_complaint(
        db,
        writer,
        case,
        body.order_id,
        body.line_id,
        description=body.description,
        remedy=body.remedy,
        evidence=body.evidence,
    )
    return complaints_out(db, [complaint])[0]


@router.get("/returns")
def get_returns(
    db: DbSession,
    principal: CurrentPrincipal,
    queue: ReturnQueue = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[ReturnQueueRow]:
    """A returns queue, the nearest refund deadline first."""
    return returns_queue(db, principal, queue, limit=limit)


@router.get("/returns/{return_id}")
def get_return(return_id: Id, db: DbSession, principal: CurrentPrincipal) -> ReturnOut:
    return _return(db, return_id, principal)


@router.post("/returns/{return_id}/approve")
def post_approve_return(
    return_id: Id, body: ReturnApproveIn, db: DbSession, writer: Writer, shop: Shop
) -> ReturnOut:
    ret = access_return(db, writer, return_id, for_update=True)
    do_approve_return(db, writer, ret, method=body.method, connector=shop)
    return _return(db, return_id, writer)


@router.post("/returns/{return_id}/reject")
def post_reject_return(return_id: Id, body: ReturnRejectIn, db: DbSession, writer: Writer) -> ReturnOut:
    do_reject_return(db, writer, access_return(db, writer, return_id, for_update=True), body.reason)
    return _return(db, return_id, writer)


@router.post("/returns/{return_id}/cancel")
def post_cancel_return(return_id: Id, db: DbSession, writer: Writer) -> ReturnOut:
    do_cancel_return(db, writer, access_return(db, writer, return_id, for_update=True))
    return _return(db, return_id, writer)


@router.post("/returns/goods-received")
def post_goods_received(body: GoodsReceivedIn, db: DbSession, writer: Writer, shop: Shop) -> list[ReturnOut]:
    """Bulk: mark goods (or proof of sending) received; all or nothing."""
    returns = access_returns(db, writer, body.return_ids)
    received = do_mark_goods_received(db, writer, returns, proof_only=body.proof_only, connector=shop)
    return returns_out(db, received)


@router.post("/returns/{return_id}/refund")
def post_refund(return_id: Id, body: RefundIn, db: DbSession, writer: Writer, shop: Shop) -> ReturnOut:
    ret = access_return(db, writer, return_id, for_update=True)
    do_refund_return(db, writer, ret, reference=body.reference, amount=body.amount, connector=shop)
    return _return(db, return_id, writer)


@router.get("/complaints")
def get_complaints(
    db: DbSession,
    principal: CurrentPrincipal,
    queue: ComplaintQueue = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[ComplaintQueueRow]:
    """A complaints queue; unanswered ones by answer deadline, the nearest first."""
    return complaints_queue(db, principal, queue, limit=limit)


@router.get("/complaints/{complaint_id}")
def get_complaint(complaint_id: Id, db: DbSession, principal: CurrentPrincipal) -> ComplaintOut:
    return _complaint(db, complaint_id, principal)


@router.post("/complaints/{complaint_id}/decision")
def post_complaint_decision(
    complaint_id: Id, body: ComplaintDecisionIn, db: DbSession, writer: Writer
) -> ComplaintOut:
    """A person's decision; the answer goes to the customer on their channel."""
    complaint = access_complaint(db, writer, complaint_id, for_update=True)
    do_decide_complaint(
        db,
        writer,
        complaint,
        decision=body.decision,
        answer=body.answer,
        granted_remedy=body.granted_remedy,
        follow_up=body.follow_up,
        follow_up_amount=body.follow_up_amount,
    )
    return _complaint(db, complaint_id, writer)


@router.post("/complaints/{complaint_id}/follow-up")
def post_follow_up(complaint_id: Id, body: FollowUpIn, db: DbSession, writer: Writer) -> ComplaintOut:
    complaint = access_complaint(db, writer, complaint_id, for_update=True)
    do_complete_follow_up(db, writer, complaint, reference=body.reference)
    return _complaint(db, complaint_id, writer)


@router.post("/complaints/{complaint_id}/withdraw")
def post_withdraw_complaint(complaint_id: Id, db: DbSession, writer: Writer) -> ComplaintOut:
    """The customer took the complaint back (before it was answered)."""
    do_withdraw_complaint(db, writer, access_complaint(db, writer, complaint_id, for_update=True))
    return _complaint(db, complaint_id, writer)


@router.get("/aftersales/report")
def get_report(
    db: DbSession, principal: CurrentPrincipal, days: Annotated[int, Query(ge=1, le=366)] = 90
) -> AftersalesReport:
    return report(db, principal, days=days)
