"""Fixtures of the workspace page tests: a customer's case with an inbound message through ingest."""

from typing import Any

import pytest
from sqlalchemy.orm import Session

from sprawa.cases.models import Case
from sprawa.channels.base import IdentityClaim, InboundMessage
from sprawa.channels.models import ChannelKind
from sprawa.channels.service import ingest_message
from sprawa.customers.models import IdentityKind
from sprawa.runtime import Runtime
from tests.factories import make_channel


def inbound(
    db: Session, runtime: Runtime, channel: Any, text: str, html: str | None = None, key: str = "m1"
) -> Case:
    message = ingest_message(
        db,
        runtime.ingest,
        channel,
        InboundMessage(
            provider_message_id=key,
            thread_external_id=f"t-{key}",
            identities=[IdentityClaim(IdentityKind.EMAIL, "ewa@example.pl", verified=True)],
            name="Ewa Kowalska",
            text=text,
            html=html,
        ),
    )
    assert message is not None
    case = db.get(Case, message.case_id)
    db.commit()
    assert case is not None
    return case


@pytest.fixture
def email_case(db: Session, runtime: Runtime, workspace: Any) -> Case:
    channel = make_channel(db, workspace, ChannelKind.EMAIL, name="Sklep e-mail")
    return inbound(db, runtime, channel, "Gdzie moja paczka 100123?")
