"""Marketing consent per channel with source and time; withdrawal by keyword or link takes effect at once."""

import pytest
from sqlalchemy import select

from sprawa.customers.models import Customer
from sprawa.privacy.actions.consents import is_withdrawal, withdrawal_token
from sprawa.privacy.models import ConsentRecord
from sprawa.privacy.queries import may_send_marketing
from tests.cases.factories import inbound


def _customer(db, customer_id) -> Customer:
    """The customer as committed; the read ends at once (on SQLite it would hold the write lock)."""
    db.rollback()
    customer = db.get(Customer, customer_id)
    db.expunge(customer)
    db.rollback()
    return customer


def _may(db, customer_id: str, channel: str) -> bool:
    allowed = may_send_marketing(db, _customer(db, customer_id), channel)
    db.rollback()
    return allowed


def test_agent_records_a_grant_and_a_withdrawal_with_source(db, runtime, channel, agent, viewer):
    message = inbound(db, runtime, channel, "Chętnie dostanę newsletter")
    db.commit()
    url = f"/api/v1/customers/{message.customer_id}/consents"
    granted = agent.client.post(url, json={"channel": "email", "granted": True, "source": "conversation"})
    assert granted.status_code == 201, granted.text
    assert granted.json()["source"] == "conversation" and granted.json()["by_user_id"] == agent.user.id
    assert _may(db, message.customer_id, "email")
    assert not _may(db, message.customer_id, "sms")  # per channel
    assert agent.client.post(url, json={"channel": "fax", "granted": True}).status_code == 422
    assert viewer.client.post(url, json={"channel": "email", "granted": False}).status_code == 403
    agent.client.post(url, json={"channel": "email", "granted": False}).raise_for_status()
    state = agent.client.get(url).json()
    assert state["current"] == {"email": False}
    assert [h["granted"] for h in state["history"]] == [True, False]
    assert _customer(db, message.customer_id).consents["email"]["marketing"] is False


@pytest.mark.parametrize("text", ["STOP", "stop!", "Wypisz mnie.", "rezygnuję", "Unsubscribe"])
def test_a_keyword_reply_withdraws_at_once(db, runtime, channel, agent, text):
    first = inbound(db, runtime, channel, "Dzień dobry")
    db.commit()
    agent.client.post(
        f"/api/v1/customers/{first.customer_id}/consents", json={"channel": "webchat", "granted": True}
    ).raise_for_status()
    inbound(db, runtime, channel, text)
    db.commit()
    assert not _may(db, first.customer_id, "webchat")
    record = db.scalars(select(ConsentRecord).order_by(ConsentRecord.created_at.desc())).first()
    assert (record.granted, record.source, record.message_id is not None) == (False, "keyword", True)
    db.rollback()


def test_ordinary_messages_are_not_withdrawals():
    assert not is_withdrawal("Proszę nie wysyłać paczki, stop, zmieniam adres")
    assert not is_withdrawal("Kiedy przyjdzie zamówienie?")


def test_the_link_in_a_message_withdraws_without_login(db, runtime, channel, agent, client):
    message = inbound(db, runtime, channel, "Dzień dobry")
    db.commit()
    agent.client.post(
        f"/api/v1/customers/{message.customer_id}/consents", json={"channel": "email", "granted": True}
    ).raise_for_status()
    token = withdrawal_token(
        runtime.settings.resolved_secret_key, _customer(db, message.customer_id), "email"
    )
    db.rollback()
    page = client.get(f"/zgody/wypisz/{token}")
    assert page.status_code == 200 and "Rezygnuję" in page.text
    assert _may(db, message.customer_id, "email")  # a GET changes nothing
    done = client.post(f"/zgody/wypisz/{token}")
    assert done.status_code == 200 and "Gotowe" in done.text
    assert not _may(db, message.customer_id, "email")
    assert client.post(f"/zgody/wypisz/{token[:-3]}xyz").status_code == 404
    assert client.get("/zgody/wypisz/not-a-real-token").status_code == 404
    db.rollback()
