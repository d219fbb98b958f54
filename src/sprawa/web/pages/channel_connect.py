"""Connecting a channel's account from the admin settings: Allegro's OAuth device flow.

The page shows the connection (account, access-token expiry, "Odłącz"); ``static/channel_connect.js``
starts the flow through ``POST /api/v1/channels/{id}/allegro/connect``, shows the code and the link to
allegro.pl, and asks ``…/connect/check`` every ``interval`` seconds until Allegro says connected.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sprawa.channels.allegro.connect import allegro_connection
from sprawa.deps import DbSession, RuntimeDep
from sprawa.web.pages.settings import SECTIONS
from sprawa.web.render import CurrentPageUser, render

router = APIRouter(include_in_schema=False)


@router.get("/app/settings/channels/{channel_id}/allegro", response_class=HTMLResponse)
def allegro_page(
    request: Request, channel_id: str, db: DbSession, user: CurrentPageUser, runtime: RuntimeDep
) -> HTMLResponse:
    if not user.principal.is_admin:
        return render(request, "settings/forbidden.html", {}, user=user, status_code=403)
    connection = allegro_connection(db, user.principal, runtime.ingest.secrets, channel_id)
    return render(
        request,
        "channel_connect/allegro.html",
        {"sections": SECTIONS, "section": "channels", **connection},
        user=user,
    )
