"""One customer across channels: an e-mail and a WhatsApp message about the same order join one case."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from sprawa.cases.models import Case, Message
from sprawa.channels.meta.fake import FakeGraph, wa_text
from sprawa.channels.models import ChannelKind
from sprawa.channels.schemas import parse_settings
from sprawa.commerce.models import Order
from sprawa.customers.models import Customer, Identity, IdentityKind
from tests.channels.email.conftest import mail
from tests.channels.email.helpers import poll
from tests.channels.helpers import drain
from tests.channels.whatsapp.conftest import APP_SECRET, PHONE_ID, TOKEN, post
from tests.factories import make_channel


def test_same_order_on_email_and_whatsapp_is_one_case(client, db, runtime, workspace, email_channel, mailbox):
    customer = Customer(workspace_id=workspace.id, name="Ewa", email="ewa@example.pl", phone="+48500100300")
    db.add(customer)
    db.flush()
    for kind, value in ((IdentityKind.EMAIL, "ewa@example.pl"), (IdentityKind.PHONE, "+48500100300")):
        db.add(
            Identity(
                workspace_id=workspace.id, customer_id=customer.id, kind=kind, value=value, verified=True
            )
        )
    db.add(
        Order(
            workspace_id=workspace.id,
            external_id="o-1",
            number="100777",
            customer_id=customer.id,
            customer_email="ewa@example.pl",
            customer_phone="+48500100300",
            status="shipped",
            payment_status="paid",
            total=Decimal("50"),
            placed_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
    )
    with FakeGraph(TOKEN) as graph:
        wa = make_channel(
            db,
            workspace,
            ChannelKind.WHATSAPP,
            settings=parse_settings(
                ChannelKind.WHATSAPP,
                {"phone_number_id": PHONE_ID, "api_base_url": graph.base_url},
                ["127.0.0.1"],
            ),
            credentials_encrypted=runtime.ingest.secrets.seal(
                {"access_token": TOKEN, "app_secret": APP_SECRET}
            ),
        )
        mailbox.append(mail("ewa@example.pl", "Gdzie jest zamówienie 100777?"))
        channel_id = email_channel.id
        db.commit()
        poll(runtime, channel_id)
        drain(runtime, db)
        post(client, db, wa, wa_text(PHONE_ID, "48500100300", "Piszę też tutaj w sprawie 100777"))
        drain(runtime, db)
    messages = list(db.scalars(select(Message).order_by(Message.created_at)))
    assert [m.customer_id for m in messages] == [customer.id, customer.id]
    assert len({m.case_id for m in messages}) == 1
    assert messages[1].link_reason == "same order"
    assert len(db.scalars(select(Case)).all()) == 1
