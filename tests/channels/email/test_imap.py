"""IMAP polling against the fake server: cursor, duplicates, UIDVALIDITY, dropped connections, poison."""

from sqlalchemy import select

from sprawa.cases.models import Case, Message
from sprawa.channels.email.fake import FakeImapServer
from sprawa.channels.models import ChannelCursor
from sprawa.platform.inbound import InboundEvent, InboundStatus
from sprawa.platform.jobs import Job, JobStatus
from tests.channels.email.conftest import mail
from tests.channels.email.helpers import drain, poll, poll_until_done
from tests.factories import count_rows


def test_new_mail_is_stored_once_and_nothing_is_flagged(db, runtime, email_channel, mailbox):
    first = mail("anna@example.pl", "Gdzie paczka?", message_id="<a1@example.pl>")
    mailbox.append(first)
    mailbox.append(
        b"Received: from relay2\r\nDelivered-To: sklep@lesnapolana.pl\r\n" + first
    )  # same mail again
    mailbox.append(mail("anna@example.pl", "Inna sprawa", message_id="<a1@example.pl>"))  # reused Message-ID
    mailbox.append(mail("piotr@example.pl", "Bez Message-ID", message_id=None))
    db.commit()
    assert poll(runtime, email_channel.id) is False
    assert count_rows(db, InboundEvent) == 3
    cursor = db.scalars(select(ChannelCursor)).one()
    assert cursor.value == {"uidvalidity": 1, "last_uid": 4}
    db.commit()
    drain(runtime)
    assert sorted(db.scalars(select(Message.body_text))) == ["Bez Message-ID", "Gdzie paczka?", "Inna sprawa"]
    assert count_rows(db, Case) == 3
    db.commit()
    assert poll(runtime, email_channel.id) is False
    assert count_rows(db, InboundEvent) == 3
    assert mailbox.flagged() == 0
    assert set(mailbox.fetches.values()) == {1}


def test_a_new_uidvalidity_rereads_the_folder_without_duplicates(db, runtime, email_channel, mailbox):
    for i in range(3):
        mailbox.append(mail(f"k{i}@example.pl", f"Pytanie {i}"))
    db.commit()
    poll(runtime, email_channel.id)
    mailbox.bump_uidvalidity()
    mailbox.append(mail("nowy@example.pl", "Po przebudowie"))
    db.commit()
    poll(runtime, email_channel.id)
    db.commit()
    drain(runtime)
    assert count_rows(db, InboundEvent) == 4
    assert count_rows(db, Message) == 4
    assert db.scalars(select(ChannelCursor)).one().value == {"uidvalidity": 2, "last_uid": 7}


def test_backfill_through_dropped_connections(db, runtime, email_channel, mailbox, imap: FakeImapServer):
    for i in range(30):
        mailbox.append(mail(f"k{i % 5}@example.pl", f"Wiadomość {i}"))
    imap.drop_every = 9
    db.commit()
    failures = poll_until_done(runtime, email_channel.id)
    imap.drop_every = 0
    db.commit()
    drain(runtime)
    assert imap.drops >= failures > 0
    assert count_rows(db, InboundEvent) == 30
    assert count_rows(db, Message) == 30


def test_poison_mail_is_quarantined_after_one_try(db, runtime, email_channel, mailbox):
    mailbox.append(b"Subject: brak nadawcy\r\n\r\nbez From")
    mailbox.append(mail("anna@example.pl", "Dobra wiadomość"))
    db.commit()
    poll(runtime, email_channel.id)
    db.commit()
    drain(runtime)
    poison = db.scalars(select(InboundEvent).where(InboundEvent.status == InboundStatus.FAILED)).one()
    assert "no sender" in (poison.error or "")
    job = db.scalars(select(Job).where(Job.payload["event_id"].as_string() == poison.id)).one()
    assert (job.status, job.attempts) == (JobStatus.DEAD, 1)
    assert count_rows(db, Message) == 1


def test_admins_see_quarantined_mail_and_can_replay_it(db, runtime, email_channel, mailbox, admin, agent):
    mailbox.append(b"Subject: brak nadawcy\r\n\r\nbez From")
    db.commit()
    poll(runtime, email_channel.id)
    drain(runtime, db)
    url = f"/api/v1/channels/{email_channel.id}/quarantine"
    [item] = admin.client.get(url).json()
    assert item["error"] == "unreadable mail: no sender address in From"
    assert agent.client.get(url).status_code == 403
    assert admin.client.post(f"{url}/{item['id']}/replay").json() == {"replayed": True}
    assert admin.client.post(f"{url}/{item['id']}/replay").json() == {"replayed": False}
