"""Connecting an Allegro account in a real browser: the code and link appear, the page notices the
seller's confirmation by itself, shows the account and token expiry, and "Odłącz" disconnects it."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from sprawa.channels.allegro.fake import FakeAllegro
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.schemas import parse_settings
from sprawa.workspaces.models import Workspace
from tests.browser.conftest import LiveServer, PageProblems, login

ADMIN = "admin@demo.sprawa.local"


@pytest.fixture
def allegro_channel(live_server: LiveServer) -> Iterator[tuple[str, FakeAllegro]]:
    """A second Allegro channel of the demo shop pointing at the fake (removed afterwards)."""
    runtime = live_server.runtime
    with FakeAllegro() as fake:
        runtime.http.allow.add("127.0.0.1")
        settings = {"seller_login": "LesnaPolana", "api_base_url": fake.url, "auth_base_url": fake.url}
        with runtime.factory.begin() as session:
            workspace_id = session.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
            channel = Channel(
                workspace_id=workspace_id,
                kind=ChannelKind.ALLEGRO,
                name="Allegro — test połączenia",
                settings=parse_settings(ChannelKind.ALLEGRO, settings, ["127.0.0.1"]),
                credentials_encrypted=runtime.ingest.secrets.seal(
                    {"client_id": "cid", "client_secret": "cs"}
                ),
            )
            session.add(channel)
            session.flush()
            channel_id = channel.id
        yield channel_id, fake
        with runtime.factory.begin() as session:
            session.execute(delete(Channel).where(Channel.id == channel_id))
        runtime.http.allow.discard("127.0.0.1")


def test_owner_connects_and_disconnects_allegro(
    page: Page, live_server: LiveServer, problems: PageProblems, allegro_channel: tuple[str, FakeAllegro]
) -> None:
    channel_id, fake = allegro_channel
    login(page, live_server.url, ADMIN, "/app/settings/channels")
    page.locator(f'a[href="/app/settings/channels/{channel_id}/allegro"]').click()
    expect(page.locator("#allegro-state")).to_contain_text("niepołączone")

    page.locator("#allegro-start").click()
    expect(page.locator("#allegro-code")).to_have_text("ABC-DEF")
    expect(page.locator("#allegro-link")).to_have_attribute(
        "href", "https://allegro.pl/skojarz-aplikacje?code=ABC-DEF"
    )
    expect(page.locator("#allegro-wait")).to_be_visible()
    fake.approved = True  # the seller confirms on allegro.pl; the page asks again after `interval`
    expect(page.locator("#allegro-account")).to_have_text("LesnaPolana", timeout=20_000)
    expect(page.locator("#allegro-connect")).to_contain_text("Token dostępu ważny do")

    page.locator("#allegro-disconnect").click()
    page.locator("#allegro-disconnect-yes").click()
    expect(page.locator("#allegro-state")).to_contain_text("niepołączone")
    expect(page.locator("#allegro-start")).to_be_visible()
    problems.assert_clean()
