"""Draft use and unnecessary escalations, end to end: the AI escalates, an agent drafts, replies, resolves."""

import pytest
from sqlalchemy import select

from sprawa.ai.drafts import DISCARDED, EDITED, USED, outcome, similarity
from sprawa.ai.models import AIDecision
from sprawa.ai.service import respond
from sprawa.cases.models import AuthorKind, Case, Direction, Message
from sprawa.insights.actions.facts import refresh_facts
from sprawa.insights.models import CaseMetrics
from tests.ai.conftest import NOW, chat, nlu, shop  # noqa: F401 - fixtures
from tests.ai.shop import send

# Frustration 0.66 ("insult" rule + tone) about an order status: escalated for frustration only, a reason
# a person is not required for.
UPSET = "Mam dość czekania na paczkę 100101, to jest skandal"


def test_similarity_and_outcome() -> None:
    text = "Zamówienie 100101 jest w drodze, dotrze jutro."
    assert similarity(text, "  zamówienie 100101 jest w drodze,\n dotrze jutro. ") == 1.0
    assert outcome(similarity(text, text + " Pozdrawiam, Ewa")) == USED
    assert outcome(similarity(text, "Zamówienie 100101 dotrze jutro, przepraszamy za zwłokę.")) == EDITED
    assert outcome(similarity(text, "Proszę podać adres e-mail.")) == DISCARDED
    assert similarity("", "x") == 0.0


def _escalated_case(db, runtime, chat) -> Case:  # type: ignore[no-untyped-def]  # noqa: F811
    message = send(db, runtime.ingest, chat, UPSET)
    db.commit()
    respond(db, message.id, now=NOW)
    db.commit()
    case = db.get(Case, message.case_id)
    assert case.escalated is True
    decision = db.scalars(
        select(AIDecision).where(AIDecision.case_id == case.id, AIDecision.step == "escalate")
    ).one()
    assert decision.escalation_reasons == ["frustration"]
    db.commit()
    return case


def _draft(db, case_id: str) -> AIDecision:  # type: ignore[no-untyped-def]
    return db.scalars(
        select(AIDecision).where(AIDecision.case_id == case_id, AIDecision.step == "draft")
    ).one()


@pytest.mark.parametrize(
    ("write", "use", "unnecessary"),
    [
        (lambda draft: draft + "\n\nPozdrawiam, Ewa", USED, True),
        (lambda draft: "Bardzo przepraszamy! " + draft[: len(draft) // 2], EDITED, False),
        (lambda draft: "Sprawdzę to u kuriera i wrócę z odpowiedzią.", DISCARDED, False),
    ],
)
def test_the_reply_is_judged_against_the_draft(db, runtime, chat, agent, write, use, unnecessary) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    case = _escalated_case(db, runtime, chat)
    drafted = agent.client.post(f"/api/v1/cases/{case.id}/ai/draft").json()
    # Drafting for a person answers the matter: no second hand-off text.
    assert "100101" in drafted["text"] and drafted["chosen"] != "hand_off"
    db.expire_all()
    assert _draft(db, case.id).id == drafted["decision_id"] and _draft(db, case.id).draft_use is None
    db.commit()
    sent = agent.client.post(
        f"/api/v1/cases/{case.id}/replies",
        json={"text": write(drafted["text"]), "status_after": "resolved"},
    )
    assert sent.status_code == 201, sent.text
    db.expire_all()
    refresh_facts(db, case.workspace_id)
    db.commit()
    draft = _draft(db, case.id)
    reply = db.scalars(
        select(Message).where(
            Message.case_id == case.id,
            Message.direction == Direction.OUTBOUND,
            Message.author_kind == AuthorKind.AGENT,
        )
    ).one()
    assert (draft.draft_use, draft.draft_reply_id) == (use, reply.id)
    assert 0 <= draft.draft_similarity <= 1
    facts = db.scalars(select(CaseMetrics).where(CaseMetrics.case_id == case.id)).one()
    assert (facts.drafts, facts.drafts_used, facts.drafts_edited) == (1, int(use == USED), int(use == EDITED))
    assert facts.escalated is True and facts.ai_handled is True
    assert facts.unnecessary_escalation is unnecessary
    # Judged once: a later refresh keeps the outcome.
    refresh_facts(db, case.workspace_id, full=True)
    db.commit()
    assert _draft(db, case.id).draft_use == use


def test_an_action_at_the_shop_makes_the_escalation_necessary(db, runtime, chat, agent) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    case = _escalated_case(db, runtime, chat)
    drafted = agent.client.post(f"/api/v1/cases/{case.id}/ai/draft").json()
    db.commit()
    done = agent.client.post(
        f"/api/v1/cases/{case.id}/actions/issue_compensation",
        json={"args": {"kind": "free_shipping_code", "amount": "10"}, "confirm": True},
    ).json()
    assert done["status"] == "done", done
    agent.client.post(
        f"/api/v1/cases/{case.id}/replies", json={"text": drafted["text"], "status_after": "resolved"}
    )
    db.expire_all()
    refresh_facts(db, case.workspace_id)
    db.commit()
    facts = db.scalars(select(CaseMetrics).where(CaseMetrics.case_id == case.id)).one()
    assert facts.drafts_used == 1 and facts.unnecessary_escalation is False


def test_drafting_alone_does_not_make_a_case_ai_handled(db, runtime, chat, agent) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    message = send(db, runtime.ingest, chat, "Gdzie jest moja paczka? Zamówienie 100101")
    db.commit()
    case = db.get(Case, message.case_id)
    db.commit()
    assert agent.client.post(f"/api/v1/cases/{case.id}/ai/draft").status_code == 200
    db.expire_all()
    refresh_facts(db, case.workspace_id)
    db.commit()
    facts = db.scalars(select(CaseMetrics).where(CaseMetrics.case_id == case.id)).one()
    assert facts.ai_handled is False and facts.escalated is False and facts.drafts == 0


def test_the_dashboard_shows_draft_use_and_unnecessary_escalations(db, runtime, chat, agent, admin) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    case = _escalated_case(db, runtime, chat)
    drafted = agent.client.post(f"/api/v1/cases/{case.id}/ai/draft").json()
    db.commit()
    agent.client.post(
        f"/api/v1/cases/{case.id}/replies", json={"text": drafted["text"], "status_after": "resolved"}
    )
    db.expire_all()
    refresh_facts(db, case.workspace_id)
    day = db.scalars(select(CaseMetrics.created_date).where(CaseMetrics.case_id == case.id)).one()
    db.commit()
    query = f"from={day}&to={day}"
    body = admin.client.get(f"/api/v1/insights/dashboard?{query}").json()
    metrics = {m["key"]: m for m in body["metrics"]}
    unnecessary = metrics["unnecessary_escalation"]
    assert (unnecessary["numerator"], unnecessary["denominator"], unnecessary["value"]) == (1, 1, 1.0)
    drafts = {row["key"]: row["drafts"] for row in {t["key"]: t for t in body["tables"]}["drafts"]["rows"]}
    assert drafts == {"used": 1, "edited": 0, "discarded": 0}
    drill = admin.client.get(f"/api/v1/insights/cases?{query}&metric=drafts&part=used").json()
    assert [c["id"] for c in drill["cases"]] == [case.id]
    page = admin.client.get(f"/app/insights?{query}").text
    assert 'data-metric="unnecessary_escalation"' in page and 'data-draft="used"' in page


def test_a_hand_off_after_an_earlier_resolution_is_judged_by_the_next_one(db, runtime, chat, agent) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    first = send(db, runtime.ingest, chat, "Gdzie jest moja paczka? Zamówienie 100101")
    db.commit()
    respond(db, first.id, now=NOW)
    db.commit()
    case_id = first.case_id
    resolved = agent.client.patch(f"/api/v1/cases/{case_id}", json={"status": "resolved"})
    assert resolved.status_code == 200, resolved.text
    db.expire_all()
    again = send(db, runtime.ingest, chat, UPSET)
    db.commit()
    assert again.case_id == case_id  # the customer's next message reopens the same case
    respond(db, again.id, now=NOW)
    db.commit()
    refresh_facts(db, db.get(Case, case_id).workspace_id)
    db.commit()
    facts = db.scalars(select(CaseMetrics).where(CaseMetrics.case_id == case_id)).one()
    # Resolved once before the hand-off, open since: nothing to judge yet.
    assert facts.escalated is True and facts.first_resolved_at is not None
    assert facts.unnecessary_escalation is False
