"""Fixtures of the web chat tests: a chat channel and a started visitor session."""

from typing import Any

import pytest
from sqlalchemy.orm import Session

from sprawa.channels.models import Channel, ChannelKind
from tests.factories import make_channel


@pytest.fixture
def chat(db: Session, workspace: Any) -> Channel:
    channel = make_channel(db, workspace, ChannelKind.WEBCHAT, name="Czat na stronie")
    db.commit()
    return channel


def start_session(client: Any, chat: Channel, **body: Any) -> dict[str, Any]:
    response = client.post(f"/widget/v1/{chat.public_key}/sessions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['visitor_token']}"}


@pytest.fixture
def visitor(client: Any, chat: Channel) -> dict[str, Any]:
    return start_session(client, chat, name="Anna", language="pl")
