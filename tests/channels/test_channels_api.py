"""Channel configuration through the admin API: typed settings per kind, sealed credentials."""

import json

import pytest
from sqlalchemy import select, text

from sprawa.channels.models import Channel, ChannelKind
from sprawa.platform.audit import AuditEntry, verify_chain
from tests.factories import assert_error, count_rows, make_actor, make_channel

SETTINGS = {
    "webchat": {"allowed_origins": ["https://Sklep.pl/"], "greeting": "Dzień dobry!"},
    "email": {"address": "BOK@sklep.pl", "imap_host": "imap.sklep.pl", "smtp_host": "smtp.sklep.pl"},
    "whatsapp": {"phone_number_id": "1234567890"},
    "messenger": {"page_id": "987654"},
    "instagram": {"instagram_account_id": "17841400000"},
    "allegro": {"seller_login": "sklep_ani"},
    "form": {"callback_url": "https://sklep.pl/sprawa/odpowiedz"},
}
SECRET = "tajne-haslo-XYZ-123"
CREDENTIALS = {
    "webchat": {"identity_secret": SECRET},
    "email": {"username": "bok", "password": SECRET},
    "whatsapp": {"access_token": SECRET},
    "messenger": {"app_secret": SECRET},
    "instagram": {"page_access_token": SECRET},
    "allegro": {"client_id": "klient", "client_secret": SECRET},
    "form": {"signing_secret": SECRET},
}


def test_every_kind_has_an_example():
    assert set(SETTINGS) == set(CREDENTIALS) == {k.value for k in ChannelKind}


@pytest.mark.parametrize("kind", list(SETTINGS))
def test_create_every_kind_seals_credentials(admin, db, runtime, kind):
    body = {
        "kind": kind,
        "name": f"Kanał {kind}",
        "settings": SETTINGS[kind],
        "credentials": CREDENTIALS[kind],
    }
    response = admin.client.post("/api/v1/channels", json=body)
    assert response.status_code == 201, response.text
    out = response.json()
    assert SECRET not in response.text
    assert (out["kind"], out["name"], out["active"], out["has_credentials"]) == (
        kind,
        f"Kanał {kind}",
        True,
        True,
    )
    assert out["credential_keys"] == sorted(CREDENTIALS[kind])
    assert out["settings"]["auto_reply"] == {"enabled": False, "text": "", "outside_hours_only": True}
    # The column holds ciphertext only; the runtime's SecretBox opens it.
    raw = db.execute(
        text("SELECT credentials_encrypted FROM channels WHERE id = :id"), {"id": out["id"]}
    ).scalar()
    assert SECRET not in raw and "tajne" not in raw
    assert runtime.ingest.secrets.open(raw) == CREDENTIALS[kind]
    # Neither the audit trail nor a read shows a value.
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "channel.created")).one()
    assert SECRET not in json.dumps(entry.data)
    assert entry.data["credential_keys"] == sorted(CREDENTIALS[kind])
    db.commit()
    assert SECRET not in admin.client.get(f"/api/v1/channels/{out['id']}").text
    assert SECRET not in admin.client.get("/api/v1/channels").text


def test_settings_are_normalised_and_defaults_filled(admin):
    out = admin.client.post(
        "/api/v1/channels", json={"kind": "email", "name": "BOK", "settings": SETTINGS["email"]}
    ).json()
    assert out["settings"]["address"] == "bok@sklep.pl"
    assert (out["settings"]["imap_port"], out["settings"]["smtp_port"]) == (993, 465)
    assert (out["has_credentials"], out["credential_keys"]) == (False, [])
    web = admin.client.post(
        "/api/v1/channels", json={"kind": "webchat", "name": "Czat", "settings": SETTINGS["webchat"]}
    ).json()
    assert web["settings"]["allowed_origins"] == ["https://sklep.pl"]


@pytest.mark.parametrize(
    ("kind", "config", "field"),
    [
        ("email", {"address": "bok@sklep.pl", "smtp_host": "smtp.sklep.pl"}, "settings.imap_host"),
        ("email", {**SETTINGS["email"], "imap_port": 70000}, "settings.imap_port"),
        ("form", {"callback_url": "http://sklep.pl/reply"}, "settings.callback_url"),
        ("form", {"callback_url": "ftp://sklep.pl/reply"}, "settings.callback_url"),
        ("form", {"callback_url": "https://user:pass@sklep.pl/"}, "settings.callback_url"),
        ("webchat", {"allowed_origins": ["https://sklep.pl/path"]}, "settings.allowed_origins.0"),
        ("webchat", {"auto_reply": {"enabled": True, "text": " "}}, "settings.auto_reply"),
        ("webchat", {"business_hours": {"timezone": "Mars/Olympus"}}, "settings.business_hours.timezone"),
        ("messenger", {"page_id": "1", "page_secret": "x"}, "settings.page_secret"),
        ("allegro", {"seller_login": "s", "environment": "staging"}, "settings.environment"),
    ],
)
def test_bad_settings_are_refused(admin, db, kind, config, field):
    response = admin.client.post("/api/v1/channels", json={"kind": kind, "name": "X", "settings": config})
    assert_error(response, 422, "invalid_settings")
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]
    assert count_rows(db, Channel) == 0


def test_callback_over_http_only_to_allowed_hosts(admin):
    settings = {"callback_url": "http://127.0.0.1:8099/reply"}
    response = admin.client.post("/api/v1/channels", json={"kind": "form", "name": "F", "settings": settings})
    assert response.status_code == 201


@pytest.mark.parametrize(
    "credentials",
    [{"password": SECRET}, {"signing_secret": ""}, {"signing_secret": "s" * 4001}, {"signing_secret": 5}],
)
def test_bad_credentials_are_refused_without_echoing_them(admin, db, credentials):
    body = {"kind": "form", "name": "F", "settings": SETTINGS["form"], "credentials": credentials}
    response = admin.client.post("/api/v1/channels", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] in ("invalid_credentials", "invalid_input")
    assert SECRET not in response.text and "s" * 100 not in response.text
    assert count_rows(db, Channel) == 0


def test_bad_channel_input(admin, db):
    assert_error(
        admin.client.post("/api/v1/channels", json={"kind": "fax", "name": "X"}), 422, "invalid_input"
    )
    assert_error(
        admin.client.post("/api/v1/channels", json={"kind": "form", "name": ""}), 422, "invalid_input"
    )
    assert_error(
        admin.client.post("/api/v1/channels", json={"kind": "form", "name": "X", "public_key": "mine"}),
        422,
        "invalid_input",
    )
    assert count_rows(db, Channel) == 0


def test_update_merges_credentials_and_replaces_settings(admin, db, runtime):
    created = admin.client.post(
        "/api/v1/channels",
        json={
            "kind": "email",
            "name": "BOK",
            "settings": SETTINGS["email"],
            "credentials": CREDENTIALS["email"],
        },
    ).json()
    url = f"/api/v1/channels/{created['id']}"
    response = admin.client.patch(
        url,
        json={
            "name": "Biuro obsługi",
            "settings": {**SETTINGS["email"], "auto_reply": {"enabled": True, "text": "Odpiszemy wkrótce."}},
            "credentials": {"smtp_password": "nowe-haslo-456", "username": None},
        },
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["name"] == "Biuro obsługi"
    assert out["settings"]["auto_reply"]["enabled"] is True
    assert out["credential_keys"] == ["password", "smtp_password"]
    assert "nowe-haslo" not in response.text
    channel = db.get(Channel, created["id"])
    assert runtime.ingest.secrets.open(channel.credentials_encrypted) == {
        "password": SECRET,
        "smtp_password": "nowe-haslo-456",
    }
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "channel.updated")).one()
    assert entry.data["changes"]["credentials_set"] == ["smtp_password"]
    assert entry.data["changes"]["credentials_removed"] == ["username"]
    assert entry.data["changes"]["settings"] == ["auto_reply"]
    assert "nowe-haslo" not in json.dumps(entry.data)
    assert verify_chain(db, channel.workspace_id) is None
    db.commit()
    cleared = admin.client.patch(url, json={"credentials": {"password": None, "smtp_password": None}})
    assert (cleared.json()["has_credentials"], cleared.json()["credential_keys"]) == (False, [])
    db.refresh(channel)
    assert channel.credentials_encrypted == ""


def test_update_refuses_bad_input_and_keeps_the_channel(admin, db, workspace):
    channel = make_channel(db, workspace, ChannelKind.FORM, settings={"callback_url": "https://a.pl/"})
    db.commit()
    url = f"/api/v1/channels/{channel.id}"
    assert_error(
        admin.client.patch(url, json={"settings": {"callback_url": "http://a.pl/"}}), 422, "invalid_settings"
    )
    assert_error(admin.client.patch(url, json={"credentials": {"token": "x"}}), 422, "invalid_credentials")
    assert_error(admin.client.patch(url, json={"name": None}), 422, "invalid_input")
    assert_error(admin.client.patch(url, json={"kind": "email"}), 422, "invalid_input")
    db.refresh(channel)
    assert (channel.settings, channel.credentials_encrypted, channel.kind) == (
        {"callback_url": "https://a.pl/"},
        "",
        "form",
    )


def test_a_stored_key_unknown_today_does_not_block_a_change(admin, db, runtime, workspace):
    sealed = runtime.ingest.secrets.seal({"legacy_token": "stary"})
    channel = make_channel(db, workspace, ChannelKind.FORM, credentials_encrypted=sealed)
    db.commit()
    url = f"/api/v1/channels/{channel.id}"
    out = admin.client.patch(url, json={"credentials": {"signing_secret": SECRET}}).json()
    assert out["credential_keys"] == ["legacy_token", "signing_secret"]
    out = admin.client.patch(url, json={"credentials": {"legacy_token": None}}).json()
    assert out["credential_keys"] == ["signing_secret"]


def test_deactivate_and_activate(admin, db, workspace):
    channel = make_channel(db, workspace)
    db.commit()
    url = f"/api/v1/channels/{channel.id}"
    assert admin.client.post(f"{url}/deactivate").json()["active"] is False
    assert admin.client.post(f"{url}/deactivate").json()["active"] is False
    listed = admin.client.get("/api/v1/channels", params={"active": "false"}).json()["items"]
    assert [c["id"] for c in listed] == [channel.id]
    assert admin.client.post(f"{url}/activate").json()["active"] is True
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["channel.deactivated", "channel.activated"]


def test_list_filters_and_pages(agent, db, workspace):
    channels = [make_channel(db, workspace, ChannelKind.WEBCHAT) for _ in range(2)]
    form = make_channel(db, workspace, ChannelKind.FORM)
    db.commit()
    everything = sorted([*(c.id for c in channels), form.id])
    first = agent.client.get("/api/v1/channels", params={"limit": 2}).json()
    assert [c["id"] for c in first["items"]] == everything[:2]
    rest = agent.client.get("/api/v1/channels", params={"cursor": first["next_cursor"]}).json()
    assert ([c["id"] for c in rest["items"]], rest["next_cursor"]) == (everything[2:], None)
    forms = agent.client.get("/api/v1/channels", params={"kind": "form"}).json()["items"]
    assert [c["id"] for c in forms] == [form.id]
    assert_error(agent.client.get("/api/v1/channels", params={"kind": "fax"}), 422, "invalid_input")


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_only_admins_write(db, workspace, app, role):
    channel = make_channel(db, workspace, ChannelKind.FORM)
    actor = make_actor(db, app, workspace, role)
    url = f"/api/v1/channels/{channel.id}"
    try:
        assert actor.client.get(url).status_code == 200
        body = {"kind": "form", "name": "X", "settings": SETTINGS["form"]}
        assert_error(actor.client.post("/api/v1/channels", json=body), 403, "admin_only")
        assert_error(actor.client.patch(url, json={"name": "Mój"}), 403, "admin_only")
        assert_error(actor.client.post(f"{url}/deactivate"), 403, "admin_only")
    finally:
        actor.client.close()
    db.refresh(channel)
    assert (channel.name, channel.active) == ("form test", True)
    assert count_rows(db, Channel) == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("patch", "", {"name": "Przejęty"}),
        ("patch", "", {"credentials": {"signing_secret": "podmienione"}}),
        ("post", "/deactivate", None),
        ("post", "/activate", None),
    ],
)
def test_another_workspaces_channels_are_not_found(outsider, db, workspace, method, path, body):
    channel = make_channel(db, workspace, ChannelKind.FORM)
    db.commit()
    kwargs = {"json": body} if body else {}
    response = getattr(outsider.client, method)(f"/api/v1/channels/{channel.id}{path}", **kwargs)
    assert_error(response, 404, "not_found")
    db.refresh(channel)
    assert (channel.name, channel.active, channel.credentials_encrypted) == ("form test", True, "")


def test_unknown_channel_is_404(admin):
    assert_error(admin.client.get("/api/v1/channels/00000000000000000000000000"), 404, "not_found")
    assert_error(admin.client.patch("/api/v1/channels/nope", json={"name": "X"}), 404, "not_found")
    assert_error(admin.client.post("/api/v1/channels/nope/deactivate"), 404, "not_found")


def test_lists_show_only_the_own_workspace(outsider, db, workspace):
    make_channel(db, workspace)
    db.commit()
    assert outsider.client.get("/api/v1/channels").json() == {"items": [], "next_cursor": None}
