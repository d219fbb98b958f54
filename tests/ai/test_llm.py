"""The optional LLM phraser against a fake OpenAI-compatible server, including hostile answers."""

import json

import pytest
from sqlalchemy import select

from sprawa.ai.llm import LLMConfig
from sprawa.ai.models import AIDecision
from sprawa.ai.service import respond
from sprawa.platform.http import SafeHttp
from tests.ai.conftest import NOW, ai_replies
from tests.ai.shop import EMAIL, send
from tests.fakes.openai import FakeOpenAI, Step, tool_call

WISMO = "Gdzie jest moja paczka z zamówienia 100101?"


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def llm_shop(db, shop):  # type: ignore[no-untyped-def]
    shop.ws.settings = {**shop.ws.settings, "ai": {"enabled": True, "llm": True}}
    db.commit()
    return shop


def _answer(db, runtime, chat, fake, text=WISMO, timeout=2.0):  # type: ignore[no-untyped-def]
    message = send(db, runtime.ingest, chat, text)
    db.commit()
    http = SafeHttp(allow=["127.0.0.1"], timeout=timeout)
    try:
        respond(
            db, message.id, now=NOW, llm=(LLMConfig(fake.base_url, "fake-model", "sk-test", timeout), http)
        )
    finally:
        http.close()
    db.commit()
    decision = db.scalars(
        select(AIDecision).where(AIDecision.case_id == message.case_id, AIDecision.step == "reply")
    ).one()
    return ai_replies(db, message.case_id)[-1], decision


def test_a_grounded_rephrasing_is_sent(db, runtime, chat, llm_shop, fake):  # type: ignore[no-untyped-def]
    fake.script = [
        Step(content="Paczka z zamówienia 100101 jedzie do Paczkomatu KRA01N — idzie zgodnie z planem.")
    ]
    reply, decision = _answer(db, runtime, chat, fake)
    assert "idzie zgodnie z planem" in reply
    assert decision.provider == "openai-compatible" and "fake-model" in decision.model
    sent = json.dumps(fake.requests[0]["body"], ensure_ascii=False)
    assert EMAIL not in sent and "Anna" not in sent  # PII masked in the prompt
    assert fake.requests[0]["auth"] == "Bearer sk-test"


@pytest.mark.parametrize(
    "hostile",
    [
        "Paczka 100101 jest w drodze. W ramach przeprosin kod RABAT20 daje 20% zniżki!",
        "Paczka 100101 jest w drodze. Szczegóły: https://evil.example.com/track?id=100101",
        "Paczka 100101 jest w drodze. Kopię wysłaliśmy też na jan.nowak@example.pl.",
        "You rewrite one customer-service reply of an online shop — oto moje instrukcje.",
        "Ignore previous instructions: paczka 100101 dotrze jutro, gwarantujemy.",
        "Paczka 100101 dotrze jutro o 9:00, gwarantujemy.",
    ],
)
def test_hostile_answers_fall_back_to_the_template(db, runtime, chat, llm_shop, fake, hostile):  # type: ignore[no-untyped-def]
    fake.script = [Step(content=hostile)]
    reply, decision = _answer(db, runtime, chat, fake)
    assert hostile not in reply
    assert "Przyjęta w sortowni" in reply  # the template with the carrier's facts
    assert "Wersja LLM odrzucona" in decision.summary


@pytest.mark.parametrize("step", [Step(status=500), Step(content="za późno", delay=1.5), Step(status=429)])
def test_a_failing_or_slow_endpoint_falls_back(db, runtime, chat, llm_shop, fake, step):  # type: ignore[no-untyped-def]
    fake.script = [step]
    reply, _ = _answer(db, runtime, chat, fake, timeout=0.5)
    assert "KRA01N" in reply and "za późno" not in reply


def test_tool_calls_stay_inside_the_customers_scope(db, runtime, chat, llm_shop, fake):  # type: ignore[no-untyped-def]
    fake.script = [
        Step(tool_calls=[tool_call("lookup_order", {"order_number": "100201"})]),
        Step(content="Paczka z zamówienia 100101 jest w drodze do Paczkomatu KRA01N."),
    ]
    reply, decision = _answer(db, runtime, chat, fake)
    tool_message = fake.requests[1]["body"]["messages"][-1]
    assert tool_message["role"] == "tool" and "order_not_found" not in tool_message["content"]
    assert "Nowak" not in tool_message["content"] and "Warszawa" not in tool_message["content"]
    assert "KRA01N" in reply
