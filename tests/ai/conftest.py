"""AI fixtures: the NLU models load once per test session; a small shop with the AI switched on."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sprawa.ai.nlu import get_nlu
from sprawa.cases.models import AuthorKind, Direction, Message
from sprawa.channels.models import ChannelKind
from tests.ai.shop import Shop, build_shop
from tests.factories import make_channel

# A Wednesday at noon in Warsaw (inside the default and the demo opening hours).
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def nlu():  # type: ignore[no-untyped-def]
    return get_nlu()


@pytest.fixture
def shop(db, workspace, nlu) -> Shop:  # type: ignore[no-untyped-def]
    built = build_shop(db, workspace, NOW)
    db.commit()
    return built


@pytest.fixture
def chat(db, shop):  # type: ignore[no-untyped-def]
    ch = make_channel(db, shop.ws, ChannelKind.WEBCHAT)
    db.commit()
    return ch


def ai_replies(db, case_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(
            select(Message.body_text)
            .where(
                Message.case_id == case_id,
                Message.direction == Direction.OUTBOUND,
                Message.author_kind == AuthorKind.AI,
            )
            .order_by(Message.seq)
        )
    )
