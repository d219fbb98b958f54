"""The form / HTTP API channel webhook: durable before it is acknowledged."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from sprawa.channels.form.contact import do_receive_contact_form
from sprawa.channels.form.errors import PayloadTooLarge
from sprawa.channels.form.schemas import MAX_BODY_BYTES, FormMessageIn, InboundAccepted
from sprawa.channels.form.service import do_receive_form_message
from sprawa.deps import DbSession, RuntimeDep

router = APIRouter(prefix="/api/v1/inbound/form", tags=["channels"])


async def limited_body(request: Request) -> bytes:
    """The raw body (the signature covers these exact bytes), refused past MAX_BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:  # chunked uploads carry no Content-Length
            raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    return bytes(body)


RawBody = Annotated[bytes, Depends(limited_body)]


@router.post(
    "/{channel_public_key}",
    status_code=202,
    responses={401: {}, 404: {}, 413: {}, 422: {}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": FormMessageIn.model_json_schema()}},
        }
    },
)
def receive_form_message(
    body: RawBody,
    db: DbSession,
    runtime: RuntimeDep,
    channel_public_key: Annotated[str, Path(min_length=1, max_length=64)],
    x_sprawa_signature: Annotated[str | None, Header(max_length=200)] = None,
) -> InboundAccepted:
    """Store one message from the shop's form or system; 202 once it is committed."""
    event_id, duplicate = do_receive_form_message(
        db, runtime.ingest.secrets, channel_public_key, body, x_sprawa_signature
    )
    return InboundAccepted(event_id=event_id, duplicate=duplicate)


THANKS_HTML = """<!doctype html><html lang="pl"><meta charset="utf-8"><title>Dziękujemy</title>
<body style="font-family:sans-serif;max-width:36rem;margin:3rem auto"><h1>Dziękujemy za wiadomość!</h1>
<p>Odpowiemy najszybciej, jak to możliwe — zwykle w ciągu jednego dnia roboczego.</p>
<p lang="en">Thank you for your message! We will get back to you as soon as we can.</p></body></html>"""


@router.post("/{channel_public_key}/contact", responses={403: {}, 404: {}, 413: {}, 422: {}, 429: {}})
async def receive_contact_form(
    request: Request,
    runtime: RuntimeDep,
    channel_public_key: Annotated[str, Path(min_length=1, max_length=64)],
) -> Response:
    """The shop's HTML contact form posts here (form-encoded); a browser gets a thank-you page."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    form = await request.form(max_files=0, max_fields=20)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    client_ip = request.client.host if request.client else "unknown"
    await run_in_threadpool(
        _store_contact, runtime, channel_public_key, fields, client_ip, request.headers.get("origin")
    )
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(THANKS_HTML, status_code=200)
    return JSONResponse({"ok": True}, status_code=202)


def _store_contact(
    runtime: Any, public_key: str, fields: dict[str, str], client_ip: str, origin: str | None
) -> None:
    with runtime.factory.begin() as session:
        do_receive_contact_form(
            session,
            runtime.settings.resolved_secret_key,
            public_key,
            fields,
            client_ip=client_ip,
            origin=origin,
        )
