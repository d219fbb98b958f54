"""The demo's AI hand-offs are made by the AI itself: real decisions, notes and delivered replies."""

from sqlalchemy import select

from sprawa.ai.models import AIDecision
from sprawa.ai.seed import ESCALATING_MESSAGES, seed_escalations
from sprawa.cases.models import AuthorKind, Case, DeliveryStatus, Direction, Message, Note
from sprawa.channels.models import ChannelKind
from sprawa.platform.jobs import Job, JobStatus
from tests.ai.conftest import NOW
from tests.factories import make_channel


def test_the_ai_escalates_the_seeded_messages(db, runtime, shop) -> None:  # type: ignore[no-untyped-def]
    make_channel(db, shop.ws, ChannelKind.EMAIL)
    db.commit()
    created = seed_escalations(db, runtime.ingest, shop.ws, NOW)
    db.commit()
    cases = list(db.scalars(select(Case).where(Case.workspace_id == shop.ws.id, Case.escalated.is_(True))))
    # The test shop has two customers not yet in the inbox (the demo shop has hundreds).
    assert created == len(cases) == 2
    reasons = set()
    for case in cases:
        decision = db.scalars(
            select(AIDecision).where(AIDecision.case_id == case.id, AIDecision.step == "escalate")
        ).one()
        reasons |= set(decision.escalation_reasons)
        assert db.scalars(
            select(AIDecision).where(AIDecision.case_id == case.id, AIDecision.step == "understand")
        ).one()
        assert db.scalars(select(Note).where(Note.case_id == case.id)).first() is not None
        [reply] = db.scalars(
            select(Message).where(
                Message.case_id == case.id,
                Message.direction == Direction.OUTBOUND,
                Message.author_kind == AuthorKind.AI,
            )
        )
        assert reply.delivery_status == DeliveryStatus.DELIVERED
    assert {"human_request", "complaint"} <= reasons
    pending = db.scalars(
        select(Job).where(Job.status == JobStatus.PENDING, Job.kind.in_(["ai.respond", "outbox.deliver"]))
    ).all()
    assert pending == []
    assert len(ESCALATING_MESSAGES) >= created
