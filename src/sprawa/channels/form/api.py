"""The form / HTTP API channel webhook: durable before it is acknowledged."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request

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
