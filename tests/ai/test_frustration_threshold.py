"""One frustration threshold: the workspace's escalation policy decides, its default is the NLU's."""

import pytest
from sqlalchemy import select

from sprawa.ai.models import AIDecision
from sprawa.ai.nlu.frustration import ESCALATION_THRESHOLD, RISING_MARGIN, frustrated
from sprawa.ai.service import respond
from sprawa.cases.models import Case
from sprawa.workspaces.models import Policy, PolicyKind
from sprawa.workspaces.schemas import FRUSTRATION_THRESHOLD, EscalationPolicy, parse_policy
from tests.ai.conftest import NOW
from tests.ai.shop import send

# Scores 0.66 (an "insult" rule plus the embedding), an order-status question otherwise.
UPSET = "Mam dość czekania na paczkę 100101, to jest skandal"


def _threshold(db, ws, value: float | None) -> None:  # type: ignore[no-untyped-def]
    for row in db.scalars(
        select(Policy).where(Policy.workspace_id == ws.id, Policy.kind == PolicyKind.ESCALATION)
    ):
        row.active = False
    data = {} if value is None else {"frustration_threshold": value}
    typed = parse_policy(PolicyKind.ESCALATION, data).model_dump(mode="json")
    db.add(Policy(workspace_id=ws.id, kind=PolicyKind.ESCALATION, version=9, data=typed, active=True))
    db.commit()


def _answer(db, runtime, chat, text: str) -> AIDecision:  # type: ignore[no-untyped-def]
    message = send(db, runtime.ingest, chat, text)
    db.commit()
    respond(db, message.id, now=NOW)
    db.commit()
    return db.scalars(
        select(AIDecision).where(
            AIDecision.case_id == message.case_id, AIDecision.step.in_(["reply", "escalate"])
        )
    ).one()


def test_one_default_everywhere() -> None:
    assert ESCALATION_THRESHOLD == FRUSTRATION_THRESHOLD == EscalationPolicy().frustration_threshold


def test_rule() -> None:
    assert frustrated(0.5, []) and not frustrated(0.49, [])
    assert frustrated(0.4, [0.0, 0.1, 0.4]) and not frustrated(0.4, [0.4, 0.4, 0.4])
    assert not frustrated(0.5 - RISING_MARGIN - 0.01, [0.0, 0.0, 0.34])
    assert frustrated(0.3, [], threshold=0.3) and not frustrated(0.6, [], threshold=0.7)


@pytest.mark.parametrize(("threshold", "escalates"), [(None, True), (0.6, True), (0.8, False)])
def test_the_workspace_threshold_decides(db, runtime, chat, shop, nlu, threshold, escalates) -> None:  # type: ignore[no-untyped-def]
    score = nlu.understand(UPSET).frustration
    assert 0.6 <= score < 0.8 and "frustration" in nlu.understand(UPSET).escalation_reasons
    _threshold(db, shop.ws, threshold)
    decision = _answer(db, runtime, chat, UPSET)
    assert ("frustration" in decision.escalation_reasons) is escalates
    assert db.get(Case, decision.case_id).escalated is escalates
    if not escalates:
        assert decision.step == "reply" and "100101" in (decision.reply_text or "")
