"""Unread markers kept on the server per agent: opening a case reads it, a new customer message makes
it unread again, an agent's own reply does not, and every agent has their own marks."""

import re

from sqlalchemy import select

from sprawa.auth.models import Role
from sprawa.auth.service import do_create_api_token
from sprawa.cases.models import Case, CaseRead
from sprawa.cases.service import do_reply
from sprawa.channels.base import IdentityClaim, InboundMessage
from sprawa.channels.models import Channel
from sprawa.channels.service import ingest_message
from sprawa.customers.models import IdentityKind
from tests.factories import make_actor


def _api_unread(actor) -> dict[str, bool]:
    items = actor.client.get("/api/v1/cases").json()["items"]
    return {item["id"]: item["unread"] for item in items}


def _row_unread(page: str, case_id: str) -> bool:
    row = re.search(rf'<li class="case-row([^"]*)" data-case-id="{case_id}"', page)
    assert row is not None, "the case is not in the inbox"
    return "unread" in row.group(1).split()


def _unread_count(page: str, view: str) -> int:
    found = re.search(rf'data-unread="{view}"[^>]*>(?:<span[^>]*>[^<]*</span>)?(\d+)<', page)
    return int(found.group(1)) if found else 0


def test_opening_a_case_reads_it_and_a_new_customer_message_makes_it_unread(
    agent, db, runtime, email_case, app, workspace
):
    other = make_actor(db, app, workspace, "agent")
    inbox = agent.client.get("/app/inbox").text
    assert _row_unread(inbox, email_case.id) and _unread_count(inbox, "open") == 1
    assert _api_unread(agent) == {email_case.id: True}

    assert agent.client.get(f"/app/cases/{email_case.id}").status_code == 200

    inbox = agent.client.get("/app/inbox").text
    assert not _row_unread(inbox, email_case.id) and _unread_count(inbox, "open") == 0
    assert _api_unread(agent) == {email_case.id: False}
    assert _api_unread(other) == {email_case.id: True}  # marks are per agent
    mark = db.scalars(select(CaseRead).where(CaseRead.case_id == email_case.id)).one()
    assert (mark.user_id, mark.seen_inbound_at) == (agent.user.id, email_case.last_inbound_at)
    db.rollback()

    case = db.get(Case, email_case.id)
    do_reply(db, agent.principal, case, "Sprawdzam.")
    db.commit()
    assert _api_unread(agent) == {email_case.id: False}  # an agent's reply is not news

    channel = db.get(Channel, email_case.channel_id)
    again = ingest_message(
        db,
        runtime.ingest,
        channel,
        InboundMessage(
            provider_message_id="m2",
            thread_external_id="t-m1",
            identities=[IdentityClaim(IdentityKind.EMAIL, "ewa@example.pl", verified=True)],
            text="Jest już coś wiadomo?",
        ),
    )
    assert again is not None and again.case_id == email_case.id
    db.commit()
    inbox = agent.client.get("/app/inbox").text
    assert _row_unread(inbox, email_case.id) and _unread_count(inbox, "open") == 1
    assert _unread_count(inbox, "unassigned") == 1 and _unread_count(inbox, "mine") == 0

    agent.client.get(f"/app/cases/{email_case.id}")
    assert _api_unread(agent) == {email_case.id: False}
    assert db.scalars(select(CaseRead).where(CaseRead.user_id == agent.user.id)).all()[0].case_id == (
        email_case.id
    )
    db.rollback()


def test_an_api_token_reads_its_users_marks(admin, client, db, email_case):
    token = do_create_api_token(db, admin.principal, "integracja", Role.AGENT)
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    before = client.get("/api/v1/cases", headers=headers).json()["items"]

    admin.client.get(f"/app/cases/{email_case.id}")
    after = client.get("/api/v1/cases", headers=headers).json()["items"]

    assert [(item["id"], item["unread"]) for item in before] == [(email_case.id, True)]
    assert [(item["id"], item["unread"]) for item in after] == [(email_case.id, False)]
