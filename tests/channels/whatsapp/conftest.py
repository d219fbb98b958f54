"""WhatsApp fixtures: the fake Graph API and a channel whose webhooks are signed with a known app secret."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sprawa.channels.meta.fake import FakeGraph, signature
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.schemas import parse_settings
from tests.factories import make_channel

TOKEN = "EAAG-test-token"
APP_SECRET = "wa-app-secret"
VERIFY = "wa-verify-token"
PHONE_ID = "106540352242922"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(TOKEN, hang_seconds=0.6) as server:
        yield server


@pytest.fixture
def wa_channel(db, runtime, workspace, graph) -> Channel:  # type: ignore[no-untyped-def]
    settings = {"phone_number_id": PHONE_ID, "api_base_url": graph.base_url}
    channel = make_channel(
        db,
        workspace,
        ChannelKind.WHATSAPP,
        settings=parse_settings(ChannelKind.WHATSAPP, settings, ["127.0.0.1"]),
        credentials_encrypted=runtime.ingest.secrets.seal(
            {"access_token": TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY}
        ),
    )
    db.commit()
    return channel


def post(client, db, channel: Channel, payload: dict[str, Any] | bytes, secret: str = APP_SECRET):  # type: ignore[no-untyped-def]
    """A webhook delivery signed like Meta's (the test's session is committed first: SQLite's lock)."""
    url = f"/api/v1/inbound/whatsapp/{channel.public_key}"
    db.commit()
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        url,
        content=body,
        headers={"X-Hub-Signature-256": signature(secret, body), "Content-Type": "application/json"},
    )
