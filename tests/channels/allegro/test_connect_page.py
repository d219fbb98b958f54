"""The Allegro connection page: account, token expiry and disconnect, admins only, own workspace only."""

import pytest
from sqlalchemy import select

from sprawa.channels.allegro.fake import FakeAllegro
from sprawa.channels.models import ChannelKind
from sprawa.platform.audit import AuditEntry
from tests.channels.allegro.test_allegro import _channel
from tests.factories import make_channel


@pytest.fixture
def allegro():
    with FakeAllegro() as server:
        yield server


def test_connect_shows_the_account_and_disconnect_forgets_the_tokens(db, runtime, workspace, admin, allegro):
    channel = _channel(db, runtime, workspace, allegro)
    page = f"/app/settings/channels/{channel.id}/allegro"
    before = admin.client.get(page)
    assert before.status_code == 200
    assert "niepołączone" in before.text and 'id="allegro-start"' in before.text
    assert 'id="allegro-disconnect"' not in before.text

    admin.client.post(f"/api/v1/channels/{channel.id}/allegro/connect")
    allegro.approved = True
    assert admin.client.post(f"/api/v1/channels/{channel.id}/allegro/connect/check").json() == {
        "status": "connected"
    }
    after = admin.client.get(page)
    assert 'id="allegro-account">LesnaPolana<' in after.text
    assert "Token dostępu ważny do" in after.text and 'id="allegro-disconnect"' in after.text
    db.expire_all()
    sealed = runtime.ingest.secrets.open(db.get(type(channel), channel.id).credentials_encrypted)
    assert sealed["access_token"] == "at-1" and sealed["account_id"] == "43942913"
    db.commit()  # end the read: SQLite lets one writer in

    assert admin.client.post(f"/api/v1/channels/{channel.id}/allegro/disconnect").status_code == 204
    db.expire_all()
    sealed = runtime.ingest.secrets.open(db.get(type(channel), channel.id).credentials_encrypted)
    assert sealed == {"client_id": "cid", "client_secret": "cs"}
    db.commit()
    assert "niepołączone" in admin.client.get(page).text
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"channel.allegro_connected", "channel.allegro_disconnected"} <= actions


def test_page_is_for_admins_of_the_workspace_and_allegro_channels(
    db, runtime, workspace, admin, agent, outsider, allegro
):
    channel = _channel(db, runtime, workspace, allegro)
    page = f"/app/settings/channels/{channel.id}/allegro"
    assert agent.client.get(page).status_code == 403
    assert agent.client.post(f"/api/v1/channels/{channel.id}/allegro/disconnect").status_code == 403
    assert outsider.client.get(page).status_code == 404
    assert outsider.client.post(f"/api/v1/channels/{channel.id}/allegro/disconnect").status_code == 404
    webchat = make_channel(db, workspace, ChannelKind.WEBCHAT)
    db.commit()
    assert admin.client.get(f"/app/settings/channels/{webchat.id}/allegro").status_code == 422
    db.expire_all()
    assert "refresh_token" not in runtime.ingest.secrets.open(
        db.get(type(channel), channel.id).credentials_encrypted
    )


def test_channels_settings_link_to_the_allegro_page(db, runtime, workspace, admin, allegro):
    channel = _channel(db, runtime, workspace, allegro)
    html = admin.client.get("/app/settings/channels").text
    assert f'href="/app/settings/channels/{channel.id}/allegro"' in html
