"""The inbox: named views with counts, per channel and team, sorting, filters and full-text search.

The page is rendered whole on the server; ``static/inbox.js`` re-reads it (same address) when the agent
socket reports a new case, message or change, and swaps the list and the counts in place.
"""

from dataclasses import replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from sprawa.cases.models import Priority
from sprawa.cases.queries import list_cases
from sprawa.cases.schemas import InboxSort
from sprawa.deps import DbSession
from sprawa.web import format as _format  # noqa: F401 (registers the template helpers)
from sprawa.web.queries import VIEW_BY_KEY, VIEWS, directory, inbox_counts
from sprawa.web.render import CurrentPageUser, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
SORTS = [
    (InboxSort.LAST_MESSAGE, "Ostatnia wiadomość"),
    (InboxSort.WAITING, "Najdłużej czekające"),
    (InboxSort.PRIORITY, "Priorytet"),
    (InboxSort.SLA, "Termin SLA"),
]


@router.get("/app/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    db: DbSession,
    user: CurrentPageUser,
    view: Annotated[str, Query(max_length=20)] = "open",
    channel: Annotated[str | None, Query(max_length=26)] = None,
    team: Annotated[str | None, Query(max_length=26)] = None,
    priority: Annotated[Priority | None, Query()] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: InboxSort = InboxSort.LAST_MESSAGE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> HTMLResponse:
    principal = user.principal
    chosen = VIEW_BY_KEY.get(view) or VIEW_BY_KEY["open"]
    filters = replace(
        chosen.filters,
        channel=channel or None,
        team=team or None,
        priority=(priority,) if priority else (),
        tag=tag or None,
        q=(q or "").strip() or None,
    )
    page = list_cases(db, principal, filters, sort=sort, cursor=cursor or None, limit=PAGE_SIZE)
    params = {
        k: v
        for k, v in {
            "view": chosen.key,
            "channel": channel,
            "team": team,
            "priority": priority.value if priority else None,
            "tag": tag,
            "q": q,
            "sort": sort.value,
        }.items()
        if v
    }
    return render(
        request,
        "inbox/page.html",
        {
            "views": VIEWS,
            "view": chosen,
            "counts": inbox_counts(db, principal),
            "dir": directory(db, principal),
            "cases": page.items,
            "next_url": f"/app/inbox?{urlencode({**params, 'cursor': page.next_cursor})}"
            if page.next_cursor
            else None,
            "params": params,
            "sorts": SORTS,
            "priorities": list(Priority),
            "query": urlencode,
        },
        user=user,
    )
