"""Customers (list and one customer's page) and the search across cases, messages and customers."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from sprawa.cases.queries import search
from sprawa.customers.queries import access_customer, customer_panel, list_customers
from sprawa.deps import DbSession
from sprawa.platform.audit import audit_read
from sprawa.web import format as _format  # noqa: F401 (registers the template helpers)
from sprawa.web.queries import directory
from sprawa.web.render import CurrentPageUser, render

router = APIRouter(include_in_schema=False)
ItemId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/app/customers", response_class=HTMLResponse)
def customers_page(
    request: Request,
    db: DbSession,
    user: CurrentPageUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> HTMLResponse:
    page = list_customers(db, user.principal, q=(q or "").strip() or None, cursor=cursor or None, limit=50)
    next_url = None
    if page.next_cursor:
        next_url = "/app/customers?" + urlencode(
            {k: v for k, v in {"q": q, "cursor": page.next_cursor}.items() if v}
        )
    return render(
        request, "customers/list.html", {"page": page, "q": q or "", "next_url": next_url}, user=user
    )


@router.get("/app/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    customer_id: ItemId, request: Request, db: DbSession, user: CurrentPageUser
) -> HTMLResponse:
    panel = customer_panel(db, access_customer(db, user.principal, customer_id))
    audit_read(db, user.principal, "customer", customer_id)  # RODO audit of reads
    return render(
        request, "customers/page.html", {"panel": panel, "dir": directory(db, user.principal)}, user=user
    )


@router.get("/app/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    db: DbSession,
    user: CurrentPageUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    query = (q or "").strip()
    results = search(db, user.principal, query, limit=20) if query else None
    return render(request, "search/page.html", {"q": query, "results": results}, user=user)
