"""Customers over HTTP: the list, the customer panel, edits, manual merge and its undo."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from sprawa.customers.models import Customer, CustomerMerge
from sprawa.customers.queries import (
    access_customer,
    access_customer_merge,
    customer_panel,
    list_customers,
)
from sprawa.customers.schemas import (
    CustomerListParams,
    CustomerMergeIn,
    CustomerMergeOut,
    CustomerMergeResult,
    CustomerOut,
    CustomerPage,
    CustomerPanel,
    CustomerUpdateIn,
)
from sprawa.customers.service import do_merge_customers, do_unmerge_customers, do_update_customer
from sprawa.deps import CurrentPrincipal, DbSession, Writer
from sprawa.platform.audit import audit_read

router = APIRouter(prefix="/api/v1", tags=["customers"])

ItemId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/customers")
def get_customers(
    params: Annotated[CustomerListParams, Query()], db: DbSession, principal: CurrentPrincipal
) -> CustomerPage:
    return list_customers(db, principal, q=params.q, cursor=params.cursor, limit=params.limit)


@router.get("/customers/{customer_id}")
def get_customer(customer_id: ItemId, db: DbSession, principal: CurrentPrincipal) -> CustomerPanel:
    customer = access_customer(db, principal, customer_id)
    audit_read(db, principal, "customer", customer.id)
    return customer_panel(db, customer)


@router.patch("/customers/{customer_id}")
def patch_customer(customer_id: ItemId, body: CustomerUpdateIn, db: DbSession, writer: Writer) -> CustomerOut:
    customer = access_customer(db, writer, customer_id, for_update=True)
    changes = body.model_dump(exclude_unset=True)
    if "flags" in changes:
        changes["flags"] = body.flags.model_dump(exclude_unset=True) if body.flags else {}
    return CustomerOut.model_validate(do_update_customer(db, writer, customer, changes))


@router.post("/customers/{customer_id}/merge")
def post_customer_merge(
    customer_id: ItemId, body: CustomerMergeIn, db: DbSession, writer: Writer
) -> CustomerMergeResult:
    # Rows are locked in id order, so two opposite merges running at once cannot deadlock.
    ids = sorted({customer_id, body.into_customer_id})
    locked = {i: access_customer(db, writer, i, for_update=True) for i in ids}
    source, target = locked[customer_id], locked[body.into_customer_id]
    return _merge_result(do_merge_customers(db, writer, source, target), source, target)


@router.post("/customer-merges/{merge_id}/undo")
def post_customer_unmerge(merge_id: ItemId, db: DbSession, writer: Writer) -> CustomerMergeResult:
    merge = do_unmerge_customers(db, writer, access_customer_merge(db, writer, merge_id, for_update=True))
    source = access_customer(db, writer, merge.source_id)
    target = access_customer(db, writer, merge.target_id)
    return _merge_result(merge, source, target)


def _merge_result(merge: CustomerMerge, source: Customer, target: Customer) -> CustomerMergeResult:
    return CustomerMergeResult(
        merge=CustomerMergeOut.model_validate(merge),
        source=CustomerOut.model_validate(source),
        target=CustomerOut.model_validate(target),
    )
