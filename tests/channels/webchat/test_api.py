"""The widget's HTTP API: sessions, sending with acknowledgement and dedupe, history, demo page."""

from sqlalchemy import func, select

from sprawa.cases.models import Case, Message
from sprawa.channels.models import ChannelKind
from sprawa.channels.webchat.service import check_visitor_token, issue_visitor_token
from sprawa.customers.models import Customer, Identity, IdentityKind
from sprawa.platform.crypto import sign
from sprawa.platform.inbound import InboundEvent, InboundStatus
from sprawa.platform.jobs import Job
from tests.channels.webchat.conftest import bearer, start_session
from tests.factories import make_channel


def _count(db, model) -> int:
    n = db.scalar(select(func.count()).select_from(model))
    db.rollback()
    return n


def test_session_creates_visitor_with_unverified_contacts(client, db, chat, settings):
    body = start_session(client, chat, name=" Anna  Nowak ", email="Anna@Example.PL", phone="500 100 200")

    assert body["channel_name"] == "Czat na stronie"
    visitor = check_visitor_token(settings.resolved_secret_key, body["visitor_token"])
    assert (visitor.public_key, visitor.visitor_id) == (chat.public_key, body["visitor_id"])
    customer = db.scalars(select(Customer)).one()
    assert (customer.name, customer.email, customer.phone) == (
        "Anna Nowak",
        "anna@example.pl",
        "+48500100200",
    )
    identities = {
        (i.kind, i.value, i.verified)
        for i in db.scalars(select(Identity).where(Identity.customer_id == customer.id))
    }
    assert identities == {
        (IdentityKind.VISITOR, body["visitor_id"], True),
        (IdentityKind.EMAIL, "anna@example.pl", False),
        (IdentityKind.PHONE, "+48500100200", False),
    }
    db.rollback()


def test_typed_email_of_an_existing_customer_never_joins_that_customer(client, db, chat, workspace):
    known = Customer(workspace_id=workspace.id, name="Prawdziwa Anna", email="anna@example.pl")
    db.add(known)
    db.flush()
    db.add(
        Identity(
            workspace_id=workspace.id,
            customer_id=known.id,
            kind=IdentityKind.EMAIL,
            value="anna@example.pl",
            verified=True,
        )
    )
    db.commit()

    body = start_session(client, chat, email="anna@example.pl")

    visitor_identity = db.scalars(select(Identity).where(Identity.value == body["visitor_id"])).one()
    assert visitor_identity.customer_id != known.id
    stranger = db.get(Customer, visitor_identity.customer_id)
    assert stranger.email is None and stranger.merged_into_id is None
    assert (
        db.scalar(select(func.count()).select_from(Identity).where(Identity.value == "anna@example.pl")) == 1
    )
    assert db.get(Customer, known.id).merged_into_id is None
    db.rollback()


def test_session_needs_an_active_webchat_channel(client, db, workspace, chat):
    form = make_channel(db, workspace, ChannelKind.FORM)
    off = make_channel(db, workspace, ChannelKind.WEBCHAT, active=False)
    db.commit()
    for key in ("nosuchkey", form.public_key, off.public_key):
        response = client.post(f"/widget/v1/{key}/sessions", json={})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "chat_not_found"
    assert _count(db, Customer) == 0


def test_session_rejects_a_malformed_email(client, db, chat):
    response = client.post(f"/widget/v1/{chat.public_key}/sessions", json={"email": "nie-email"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_email"
    assert _count(db, Customer) == 0


def test_forged_or_altered_tokens_are_refused(client, db, visitor, chat, settings):
    token = visitor["visitor_token"]
    value, _, signature = token.rpartition(".")
    other_visitor = issue_visitor_token("another-secret", chat.public_key, visitor["visitor_id"])
    wrong_purpose = sign(
        settings.resolved_secret_key, "session", f"{chat.public_key}.{visitor['visitor_id']}"
    )
    forged = [
        f"{chat.public_key}.01hzzzzzzzzzzzzzzzzzzzzzzz.{signature}",  # another visitor id, old signature
        f"{value}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",  # altered signature
        value,  # no signature
        other_visitor,
        wrong_purpose,
        "",
    ]
    for bad in forged:
        response = client.post(
            "/widget/v1/messages",
            json={"client_message_id": "c1", "text": "Dzień dobry"},
            headers={"Authorization": f"Bearer {bad}"},
        )
        assert response.status_code == 401, bad
        assert response.json()["error"]["code"] in ("bad_visitor_token", "no_visitor_token")
    assert (
        client.post("/widget/v1/messages", json={"client_message_id": "c1", "text": "x"}).status_code == 401
    )
    assert _count(db, InboundEvent) == 0
    assert _count(db, Message) == 0


def test_send_stores_raw_event_first_then_message_and_acks_with_seq(client, db, runtime, visitor):
    response = client.post(
        "/widget/v1/messages",
        json={"client_message_id": "m-1", "text": "  Gdzie jest moja paczka?  "},
        headers=bearer(visitor),
    )

    assert response.status_code == 200, response.text
    ack = response.json()
    message = db.scalars(select(Message)).one()
    event = db.scalars(select(InboundEvent)).one()
    assert ack == {
        "client_message_id": "m-1",
        "message_id": message.id,
        "case_id": message.case_id,
        "seq": 1,
        "duplicate": False,
    }
    assert message.body_text == "Gdzie jest moja paczka?"
    assert message.provider_message_id == f"{visitor['visitor_id']}:m-1"
    assert message.inbound_event_id == event.id
    assert event.provider_key == f"{visitor['visitor_id']}:m-1"
    assert event.status == InboundStatus.PROCESSED
    db.rollback()
    # The queued normalisation job finds the event already processed: nothing is stored twice.
    assert _count(db, Job) == 1
    runtime.worker().run_once()
    assert _count(db, Message) == 1


def test_duplicate_send_reacks_original_and_stores_nothing(client, db, visitor):
    first = client.post(
        "/widget/v1/messages", json={"client_message_id": "m-1", "text": "Pierwsza"}, headers=bearer(visitor)
    ).json()
    second = client.post(
        "/widget/v1/messages", json={"client_message_id": "m-2", "text": "Druga"}, headers=bearer(visitor)
    ).json()
    again = client.post(
        "/widget/v1/messages",
        json={"client_message_id": "m-1", "text": "Pierwsza (ponownie)"},
        headers=bearer(visitor),
    )

    assert again.status_code == 200
    assert again.json() == {**first, "duplicate": True}
    assert (first["seq"], second["seq"]) == (1, 2)
    assert _count(db, Message) == 2
    assert _count(db, InboundEvent) == 2
    assert [m.body_text for m in db.scalars(select(Message).order_by(Message.seq))] == ["Pierwsza", "Druga"]
    db.rollback()


def test_client_ids_are_per_visitor(client, db, chat):
    one, two = start_session(client, chat), start_session(client, chat)
    a = client.post("/widget/v1/messages", json={"client_message_id": "1", "text": "A"}, headers=bearer(one))
    b = client.post("/widget/v1/messages", json={"client_message_id": "1", "text": "B"}, headers=bearer(two))

    assert a.json()["duplicate"] is False and b.json()["duplicate"] is False
    assert a.json()["case_id"] != b.json()["case_id"]
    assert _count(db, Message) == 2
    assert _count(db, Case) == 2


def test_send_validates_input(client, db, visitor):
    for body in (
        {"client_message_id": "", "text": "x"},
        {"client_message_id": "x" * 65, "text": "x"},
        {"client_message_id": "ok", "text": ""},
        {"client_message_id": "ok", "text": "   "},
        {"client_message_id": "ok", "text": "x" * 5001},
    ):
        response = client.post("/widget/v1/messages", json=body, headers=bearer(visitor))
        assert response.status_code == 422, body
    assert _count(db, InboundEvent) == 0


def test_send_on_a_switched_off_chat_is_refused(client, db, visitor, chat):
    chat.active = False
    db.add(chat)
    db.commit()
    response = client.post(
        "/widget/v1/messages", json={"client_message_id": "m", "text": "Halo"}, headers=bearer(visitor)
    )
    assert response.status_code == 404
    assert _count(db, InboundEvent) == 0


def test_history_pages_through_the_visitors_conversation(client, db, visitor):
    for i in range(3):
        client.post(
            "/widget/v1/messages",
            json={"client_message_id": f"m{i}", "text": f"Tekst {i}"},
            headers=bearer(visitor),
        )
    first = client.get("/widget/v1/messages?limit=2", headers=bearer(visitor)).json()
    case_id = first["case"]["id"]
    rest = client.get(
        f"/widget/v1/messages?case_id={case_id}&after_seq={first['last_seq']}", headers=bearer(visitor)
    ).json()

    assert [m["text"] for m in first["messages"]] == ["Tekst 0", "Tekst 1"]
    assert (first["has_more"], first["last_seq"]) == (True, 2)
    assert first["messages"][0]["client_message_id"] == "m0"
    assert first["messages"][0]["author"] == "customer"
    assert [m["text"] for m in rest["messages"]] == ["Tekst 2"]
    assert (rest["has_more"], rest["last_seq"], rest["case"]["number"]) == (False, 3, 1)


def test_widget_api_answers_cross_origin_even_on_errors(client, visitor):
    preflight = client.options(
        "/widget/v1/messages",
        headers={"Origin": "https://sklep.example", "Access-Control-Request-Method": "POST"},
    )
    denied = client.post("/widget/v1/messages", json={"client_message_id": "m", "text": "x"})
    ok = client.get("/widget/v1/messages", headers=bearer(visitor))

    for response in (preflight, denied, ok):
        assert response.headers["access-control-allow-origin"] == "*"
    assert preflight.status_code == 204
    assert denied.status_code == 401
    assert "Authorization" in preflight.headers["access-control-allow-headers"]


def test_session_creation_is_rate_limited(client, db, chat):
    codes = [client.post(f"/widget/v1/{chat.public_key}/sessions", json={}).status_code for _ in range(21)]
    assert codes == [201] * 20 + [429]
    assert _count(db, Customer) == 20


def test_demo_shop_page_and_widget_assets(client, chat):
    page = client.get("/demo/sklep")
    old_address = client.get("/demo/shop?channel=x", follow_redirects=False)
    config = client.get(f"/widget/v1/{chat.public_key}/config?lang=en-GB").json()
    script = client.get("/widget/v1/widget.js")

    assert page.status_code == 200
    assert "Leśna Polana" in page.text
    assert f'src="/widget/v1/widget.js" data-channel="{chat.public_key}"' in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert old_address.headers["location"] == "/demo/sklep?channel=x"
    assert config["channel_name"] == "Czat na stronie" and config["language"] == "en"
    assert config["email_capture"] is True and "image/jpeg" in config["file_types"]
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/widget/v1/nope/config").status_code == 404


def test_a_chat_limited_to_the_shops_sites_starts_only_there(client, db, workspace):
    chat = make_channel(
        db,
        workspace,
        ChannelKind.WEBCHAT,
        settings={"allowed_origins": ["https://lesnapolana.pl"], "greeting": "Dzień dobry!"},
    )
    db.commit()
    url = f"/widget/v1/{chat.public_key}/sessions"

    refused = client.post(url, json={}, headers={"Origin": "https://obcy.example"})
    shop = client.post(url, json={}, headers={"Origin": "https://LesnaPolana.pl"})
    own_demo_page = client.post(url, json={}, headers={"Origin": "http://testserver"})
    not_a_browser = client.post(url, json={})

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_not_allowed"
    assert [r.status_code for r in (shop, own_demo_page, not_a_browser)] == [201, 201, 201]
    assert shop.json()["greeting"] == "Dzień dobry!"
    assert _count(db, Customer) == 3
