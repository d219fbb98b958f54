"""WhatsApp Cloud API webhook: the subscription handshake and signed deliveries, durable before the 200."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import PlainTextResponse

from sprawa.channels.form.api import RawBody
from sprawa.channels.whatsapp.service import do_receive_whatsapp_webhook, verify_subscription
from sprawa.deps import DbSession, RuntimeDep

router = APIRouter(prefix="/api/v1/inbound/whatsapp", tags=["channels"])
PublicKey = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/{channel_public_key}", response_class=PlainTextResponse, responses={401: {}, 404: {}})
def subscribe(
    channel_public_key: PublicKey,
    db: DbSession,
    runtime: RuntimeDep,
    mode: Annotated[str, Query(alias="hub.mode", max_length=20)] = "",
    token: Annotated[str, Query(alias="hub.verify_token", max_length=500)] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=100)] = "",
) -> str:
    """Meta's subscription check: echo ``hub.challenge`` when ``hub.verify_token`` matches."""
    verify_subscription(db, runtime.ingest.secrets, channel_public_key, mode, token)
    return challenge


@router.post("/{channel_public_key}", responses={401: {}, 404: {}, 413: {}, 422: {}})
def receive(
    channel_public_key: PublicKey,
    body: RawBody,
    db: DbSession,
    runtime: RuntimeDep,
    x_hub_signature_256: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, int]:
    """Store every message and status of a delivery; 200 once committed (Meta retries otherwise)."""
    new = do_receive_whatsapp_webhook(
        db, runtime.ingest.secrets, channel_public_key, body, x_hub_signature_256
    )
    return {"stored": new}
