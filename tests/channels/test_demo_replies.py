"""``sprawa demo`` with its local fakes: the seeded replies are delivered, not dead, and an agent's
answer on each demo channel (e-mail, WhatsApp, Messenger, Instagram, form, Allegro) reaches its fake."""

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from sprawa.auth.models import User
from sprawa.auth.queries import principal_for_user
from sprawa.cases.models import Case, DeliveryStatus, Message
from sprawa.cases.service import do_reply
from sprawa.channels.demo import DemoFakes, running_fakes, start_demo_fakes
from sprawa.channels.models import Channel, ChannelKind, Thread
from sprawa.platform.jobs import Job, JobStatus
from sprawa.seed import seed_demo
from tests.channels.helpers import drain

REPLIED = (
    ChannelKind.EMAIL,
    ChannelKind.WHATSAPP,
    ChannelKind.MESSENGER,
    ChannelKind.INSTAGRAM,
    ChannelKind.FORM,
    ChannelKind.ALLEGRO,
)


@pytest.fixture
def demo(db, settings, runtime) -> Iterator[DemoFakes]:  # type: ignore[no-untyped-def]
    seed_demo(db, settings, runtime.ingest)
    db.commit()
    fakes = start_demo_fakes(runtime.factory, runtime.ingest.secrets)
    assert fakes is not None
    yield fakes
    fakes.stop()
    assert running_fakes() is None


def _dead_deliveries(db) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(select(Job.last_error).where(Job.kind == "outbox.deliver", Job.status == JobStatus.DEAD))
    )


def _start(runtime, db) -> None:  # type: ignore[no-untyped-def]
    """What the demo's embedded worker does first: every due job (AI answers and notifications too)."""
    db.commit()
    worker = runtime.worker()
    for _ in range(50):
        if worker.run_once() == 0:
            return


def test_demo_replies_on_every_channel_are_delivered(db, runtime, demo):
    _start(runtime, db)
    assert _dead_deliveries(db) == []
    assert len(demo.smtp.mails) >= 1  # the AI's and the notifications' mails reached the sink
    agent = db.scalars(select(User).where(User.email == "agnieszka@demo.sprawa.local")).one()
    principal = principal_for_user(db, agent)
    replies: dict[ChannelKind, str] = {}
    for kind in REPLIED:
        thread = db.scalars(
            select(Thread)
            .join(Channel, Channel.id == Thread.channel_id)
            .where(
                Channel.kind == kind, Channel.workspace_id == agent.workspace_id, Thread.case_id.is_not(None)
            )
            .order_by(Thread.last_message_at.desc())
        ).first()
        assert thread is not None, kind
        case = db.get(Case, thread.case_id)
        replies[kind] = do_reply(db, principal, case, f"Odpowiedź testowa ({kind})", thread_id=thread.id).id
        db.commit()
    drain(runtime, db)
    assert _dead_deliveries(db) == []
    for kind, message_id in replies.items():
        message = db.get(Message, message_id)
        db.refresh(message)
        assert message.delivery_status in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED), (
            kind,
            message.delivery_error,
        )
    subjects = [m.get_body(preferencelist=("plain",)).get_content() for m in demo.smtp.mails]
    assert any("Odpowiedź testowa (email)" in s for s in subjects)
    graph_texts = {
        g.kind: [
            s.get("text", {}).get("body") or s.get("message", {}).get("text") or s.get("type") for s in g.sent
        ]
        for g in demo.graphs
    }
    assert "Odpowiedź testowa (messenger)" in graph_texts[ChannelKind.MESSENGER]
    assert "Odpowiedź testowa (instagram)" in graph_texts[ChannelKind.INSTAGRAM]
    assert graph_texts[ChannelKind.WHATSAPP]  # text inside the 24-hour window, else the template
    assert "Odpowiedź testowa (form)" in [r["text"] for r in demo.callback.received]
    assert "Odpowiedź testowa (allegro)" in [body.get("text") for _, body in demo.allegro.posted]


def test_mail_page_shows_sent_mail_and_takes_a_customer_mail(db, runtime, demo, admin):
    _start(runtime, db)
    page = admin.client.get("/demo/poczta")
    assert page.status_code == 200
    first = demo.smtp.mails[-1]
    assert str(first["Subject"]) in page.text
    answer = admin.client.post(
        "/demo/poczta/do-sklepu",
        data={"sender": "nowy.klient@example.pl", "subject": "Faktura", "text": "Proszę o fakturę VAT."},
    )
    assert answer.status_code == 200 and "Wysłane" in answer.text
    email = db.scalars(
        select(Channel).where(Channel.kind == ChannelKind.EMAIL, Channel.name.like("E-mail%"))
    ).one()
    db.expunge(email)
    db.commit()
    runtime.ingest.adapters[ChannelKind.EMAIL].poll(
        runtime.factory, email, runtime.ingest.secrets.open(email.credentials_encrypted)
    )
    drain(runtime, db)
    assert db.scalar(select(Message.id).where(Message.body_text == "Proszę o fakturę VAT.")) is not None


def test_mail_page_is_absent_outside_the_demo(admin):
    assert admin.client.get("/demo/poczta").status_code == 404
