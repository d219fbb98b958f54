"""WhatsApp Cloud API: handshake, signatures over raw bytes, recorded payloads, statuses that never move
backwards, the 24-hour window, media, and retries against the fake Graph API."""

from datetime import timedelta

from sqlalchemy import select, update

from sprawa.auth.queries import principal_for_user
from sprawa.cases.models import Attachment, Case, DeliveryStatus, Direction, Message
from sprawa.cases.service import do_reply
from sprawa.channels.meta.fake import signature, wa_image, wa_text
from sprawa.customers.models import Customer, Identity, IdentityKind
from sprawa.db import utcnow
from sprawa.platform.inbound import InboundEvent
from sprawa.platform.jobs import Job
from tests.channels.helpers import drain
from tests.channels.whatsapp.conftest import APP_SECRET, PHONE_ID, VERIFY, fixture, post
from tests.factories import count_rows, make_user


def test_subscription_handshake(client, wa_channel):
    url = f"/api/v1/inbound/whatsapp/{wa_channel.public_key}"
    ok = client.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    )
    assert (ok.status_code, ok.text) == (200, "1158201444")
    bad = client.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"})
    assert bad.status_code == 403


def test_signature_is_checked_over_the_raw_bytes(client, db, wa_channel):
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    assert post(client, db, wa_channel, raw).status_code == 200
    assert post(client, db, wa_channel, raw, secret="wrong").status_code == 401
    # The same JSON re-serialised (other spacing) does not verify against the original signature.
    respaced = b'{"object": "whatsapp_business_account", "entry": []}'
    response = client.post(
        f"/api/v1/inbound/whatsapp/{wa_channel.public_key}",
        content=respaced,
        headers={"X-Hub-Signature-256": signature(APP_SECRET, raw)},
    )
    assert response.status_code == 401
    assert count_rows(db, InboundEvent) == 0


def test_recorded_text_message_becomes_a_case_once(client, db, runtime, wa_channel):
    payload = fixture("text_message.json")
    assert post(client, db, wa_channel, payload).json() == {"stored": 1}
    assert post(client, db, wa_channel, payload).json() == {"stored": 0}
    drain(runtime, db)
    message = db.scalars(select(Message)).one()
    assert message.body_text == "Does it come in another color?"
    assert message.provider_message_id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    customer = db.get(Customer, message.customer_id)
    assert (customer.name, customer.phone) == ("Sheena Nelson", "+16505551234")


def test_the_whatsapp_number_finds_the_customer_known_by_phone(client, db, runtime, workspace, wa_channel):
    known = Customer(workspace_id=workspace.id, name="Kasia Nowak", phone="+48500100200")
    db.add(known)
    db.flush()
    db.add(
        Identity(
            workspace_id=workspace.id,
            customer_id=known.id,
            kind=IdentityKind.PHONE,
            value="+48500100200",
            verified=True,
        )
    )
    db.commit()
    post(client, db, wa_channel, fixture("interactive_reply.json"))
    drain(runtime, db)
    message = db.scalars(select(Message)).one()
    assert (message.customer_id, message.body_text) == (known.id, "Gdzie paczka?")


def test_system_messages_are_acknowledged_but_open_nothing(client, db, runtime, wa_channel):
    post(client, db, wa_channel, fixture("system_changed_number.json"))
    drain(runtime, db)
    assert count_rows(db, Message) == 0


def test_image_is_downloaded_through_the_graph_api(client, db, runtime, wa_channel, graph):
    post(client, db, wa_channel, wa_image(PHONE_ID, "48500100200", "1003383421387256", "Uszkodzony karton"))
    drain(runtime, db)
    attachment = db.scalars(select(Attachment)).one()
    assert (attachment.content_type, attachment.size) == ("image/png", 70)
    assert db.scalars(select(Message.body_text)).one() == "Uszkodzony karton"


def _conversation(client, db, runtime, workspace, wa_channel, graph) -> tuple[Case, Message]:
    graph.customer_wrote("48500100200")
    post(client, db, wa_channel, wa_text(PHONE_ID, "48500100200", "Gdzie moja paczka?", name="Kasia"))
    drain(runtime, db)
    case = db.scalars(select(Case)).one()
    reply = do_reply(db, principal_for_user(db, make_user(db, workspace, "agent")), case, "Jest w drodze!")
    db.commit()
    return case, reply


def test_reply_in_the_window_and_statuses_never_move_backwards(
    client, db, runtime, workspace, wa_channel, graph
):
    _, reply = _conversation(client, db, runtime, workspace, wa_channel, graph)
    graph.fail_next = ["429", "500"]
    for _ in range(3):
        drain(runtime, db)
        db.expire_all()
        db.execute(update(Job).values(run_at=utcnow()))
        db.commit()
    db.expire_all()
    sent = db.get(Message, reply.id)
    assert sent.delivery_status == DeliveryStatus.SENT
    assert graph.sent_ids() == [sent.provider_message_id]
    assert graph.sent[0]["text"] == {"preview_url": False, "body": "Jest w drodze!"}
    batch = fixture("statuses_batch.json")
    batch["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = sent.provider_message_id
    batch["entry"][0]["changes"][0]["value"]["statuses"][1]["id"] = sent.provider_message_id
    post(client, db, wa_channel, batch)  # "read" arrives before "delivered"
    drain(runtime, db)
    db.expire_all()
    assert db.get(Message, sent.id).delivery_status == DeliveryStatus.READ


def test_outside_the_window_a_template_or_a_clear_error(client, db, runtime, workspace, wa_channel, graph):
    case, reply = _conversation(client, db, runtime, workspace, wa_channel, graph)
    db.execute(
        update(Message)
        .where(Message.direction == Direction.INBOUND)
        .values(created_at=utcnow() - timedelta(hours=25))
    )
    db.commit()
    drain(runtime, db)
    db.expire_all()
    failed = db.get(Message, reply.id)
    assert failed.delivery_status == DeliveryStatus.FAILED
    assert failed.delivery_error.startswith("Minęło ponad 24 godziny")
    assert graph.sent == []
    channel = db.get(type(wa_channel), wa_channel.id)
    channel.settings = {
        **channel.settings,
        "reengagement_template": {"name": "odpowiedz_prosze", "language": "pl"},
    }
    again = do_reply(db, principal_for_user(db, make_user(db, workspace, "agent")), case, "Halo?")
    db.commit()
    drain(runtime, db)
    db.expire_all()
    assert db.get(Message, again.id).delivery_status == DeliveryStatus.SENT
    assert graph.sent[0]["template"] == {"name": "odpowiedz_prosze", "language": {"code": "pl"}}
