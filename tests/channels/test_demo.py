"""The demo's channel traffic: the fakes deliver e-mails and a WhatsApp message that become cases."""

from decimal import Decimal

from sqlalchemy import select

from sprawa.cases.models import Case, Message
from sprawa.channels.demo import seed_channel_demo
from sprawa.channels.models import Channel, ChannelKind
from sprawa.commerce.models import Order
from sprawa.db import utcnow
from tests.channels.helpers import drain
from tests.factories import make_channel


def test_demo_mail_and_whatsapp_arrive_as_cases(db, runtime, workspace):
    secrets = runtime.ingest.secrets
    email = make_channel(
        db,
        workspace,
        ChannelKind.EMAIL,
        settings={
            "address": "sklep@lesnapolana.pl",
            "imap_host": "imap.demo.invalid",
            "smtp_host": "x.invalid",
        },
        credentials_encrypted=secrets.seal({"username": "sklep@lesnapolana.pl", "password": "demo"}),
    )
    whatsapp = make_channel(
        db,
        workspace,
        ChannelKind.WHATSAPP,
        settings={"phone_number_id": "100000000000000"},
        credentials_encrypted=secrets.seal({"access_token": "t", "app_secret": "demo-secret"}),
    )
    for i, phone in enumerate(["+48500100200", None]):
        db.add(
            Order(
                workspace_id=workspace.id,
                external_id=f"o{i}",
                number=f"10000{i}",
                customer_email=f"klient{i}@example.pl",
                customer_phone=phone,
                status="shipped",
                payment_status="paid",
                total=Decimal("99.00"),
                placed_at=utcnow(),
                shipping_address={"name": f"Klient {i}"},
            )
        )
    db.flush()
    assert seed_channel_demo(db, secrets, workspace.id) == 3
    drain(runtime, db)
    by_channel = {
        db.get(Channel, m.channel_id).kind: m.body_text
        for m in db.scalars(select(Message).order_by(Message.created_at))
    }
    assert by_channel.keys() == {ChannelKind.EMAIL, ChannelKind.WHATSAPP}
    assert "paczkomacie" in by_channel[ChannelKind.WHATSAPP]
    assert len(db.scalars(select(Case)).all()) == 3
    assert email.id and whatsapp.id
