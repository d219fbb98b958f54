"""Meta's webhook contract, shared by WhatsApp, Messenger and Instagram.

GET answers the subscription handshake (``hub.challenge`` echoed when ``hub.verify_token`` matches); POST is
accepted only with a valid ``X-Hub-Signature-256`` over the raw bytes, and every item in it is stored as its
own inbound event (keyed by Meta's id) before the 200 — Meta retries anything else.
"""

import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from sprawa.channels.form.api import RawBody
from sprawa.channels.meta.graph import signature_ok
from sprawa.channels.models import ChannelKind
from sprawa.channels.queries import channel_by_public_key
from sprawa.deps import DbSession, RuntimeDep
from sprawa.platform.crypto import SecretBox, constant_time_equal
from sprawa.platform.errors import Forbidden, InvalidInput, Unauthorized
from sprawa.platform.inbound import record_inbound

Splitter = Callable[[Any], list[tuple[str, dict[str, Any]]]]
PublicKey = Annotated[str, Path(min_length=1, max_length=64)]


def verify_subscription(
    session: Session, secrets: SecretBox, public_key: str, kinds: Sequence[ChannelKind], mode: str, token: str
) -> None:
    channel = channel_by_public_key(session, public_key, *kinds)
    expected = secrets.open(channel.credentials_encrypted).get("verify_token") or ""
    if mode != "subscribe" or not expected or not constant_time_equal(expected, token):
        raise Forbidden("wrong hub.verify_token", code="bad_verify_token")


def do_receive_signed_webhook(
    session: Session,
    secrets: SecretBox,
    public_key: str,
    kinds: Sequence[ChannelKind],
    body: bytes,
    signature: str | None,
    split: Splitter,
) -> int:
    """Check the signature, store every item ``split`` finds once; returns how many were new."""
    channel = channel_by_public_key(session, public_key, *kinds)
    secret = secrets.open(channel.credentials_encrypted).get("app_secret") or ""
    if not secret or not signature_ok(secret, body, signature):
        raise Unauthorized("missing or wrong X-Hub-Signature-256", code="bad_signature")
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("the body is not JSON", code="invalid_json") from exc
    new = 0
    for key, item in split(data):
        _, created = record_inbound(
            session,
            workspace_id=channel.workspace_id,
            channel_id=channel.id,
            provider_key=key[:255],
            payload=json.dumps(item, ensure_ascii=False),
        )
        new += created
    return new


def webhook_router(provider: str, kinds: Sequence[ChannelKind], split: Splitter) -> APIRouter:
    """The two webhook endpoints of one Meta product under ``/api/v1/inbound/<provider>/{public key}``."""
    router = APIRouter(prefix=f"/api/v1/inbound/{provider}", tags=["channels"])

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
        verify_subscription(db, runtime.ingest.secrets, channel_public_key, kinds, mode, token)
        return challenge

    @router.post("/{channel_public_key}", responses={401: {}, 404: {}, 413: {}, 422: {}})
    def receive(
        channel_public_key: PublicKey,
        body: RawBody,
        db: DbSession,
        runtime: RuntimeDep,
        x_hub_signature_256: Annotated[str | None, Header(max_length=200)] = None,
    ) -> dict[str, int]:
        """Store every item of a delivery; 200 once committed (Meta retries otherwise)."""
        secrets = runtime.ingest.secrets
        new = do_receive_signed_webhook(
            db, secrets, channel_public_key, kinds, body, x_hub_signature_256, split
        )
        return {"stored": new}

    return router
