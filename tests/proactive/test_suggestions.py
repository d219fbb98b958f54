"""Suggestions from the shop's own data: replenishment from the customer's interval, co-purchases,
and the marketing rules for sending one (consent on the channel, a channel that allows it, a cap)."""

from datetime import timedelta
from decimal import Decimal

from sprawa.channels.models import ChannelKind
from sprawa.commerce.models import Order, OrderItem
from sprawa.customers.models import Customer
from sprawa.privacy.models import ConsentRecord
from sprawa.proactive.models import Suggestion, SuggestionKind
from sprawa.proactive.suggestions import co_purchase, post_resolution_line, replenishment
from tests.proactive.conftest import NOON, FakeAdapter, WindowCapabilities


def _order(db, ws, customer, number, days_ago, products):
    order = Order(
        workspace_id=ws.id,
        external_id=number,
        number=number,
        customer_id=customer.id if customer else None,
        status="delivered",
        payment_status="paid",
        total=Decimal("10"),
        placed_at=NOON - timedelta(days=days_ago),
    )
    db.add(order)
    db.flush()
    for pid, name in products:
        db.add(
            OrderItem(
                workspace_id=ws.id,
                order_id=order.id,
                external_id=f"{number}-{pid}",
                product_external_id=pid,
                name=name,
                quantity=1,
                unit_price=Decimal("10"),
            )
        )
    db.flush()


def test_replenishment_predicts_from_the_customers_own_interval(db, workspace):
    anna = Customer(workspace_id=workspace.id, name="Anna")
    db.add(anna)
    db.flush()
    for n, days in enumerate((90, 60, 29)):
        _order(db, workspace, anna, f"A{n}", days, [("LP-7001", "Kawa ziarnista 1 kg")])
    _order(db, workspace, anna, "A9", 10, [("LP-3004", "Kubek ceramiczny")])  # bought once: no interval
    [p] = replenishment(db, anna, NOON)
    assert p.kind == SuggestionKind.REPLENISHMENT and p.product_external_id == "LP-7001"
    assert "średnio co 30 dni" in p.why_pl and "3 zakupy" in p.why_pl
    assert p.due_at.date() == (NOON - timedelta(days=29) + timedelta(days=30.5)).date()
    assert replenishment(db, anna, NOON - timedelta(days=20)) == []  # not due yet


def test_co_purchase_from_other_customers_orders(db, workspace):
    anna = Customer(workspace_id=workspace.id, name="Anna")
    db.add(anna)
    db.flush()
    _order(db, workspace, anna, "A1", 3, [("LP-7001", "Kawa ziarnista 1 kg")])
    for n in range(3):
        _order(
            db,
            workspace,
            None,
            f"O{n}",
            20 + n,
            [("LP-7001", "Kawa ziarnista 1 kg"), ("LP-7101", "Młynek ręczny")],
        )
    _order(
        db, workspace, None, "O9", 5, [("LP-7001", "Kawa ziarnista 1 kg"), ("LP-3004", "Kubek ceramiczny")]
    )
    [p] = co_purchase(db, anna)
    assert p.product_name == "Młynek ręczny"
    assert (
        p.why_pl
        == "Klienci, którzy kupili „Kawa ziarnista 1 kg”, często kupowali też „Młynek ręczny” (3 zamówienia)."
    )


def test_a_suggestion_reaches_the_customer_only_with_consent_and_within_the_cap(db, workspace):
    anna = Customer(workspace_id=workspace.id, name="Anna")
    db.add(anna)
    db.flush()
    _order(db, workspace, anna, "A1", 3, [("LP-7001", "Kawa")])
    for n in range(2):
        _order(db, workspace, None, f"O{n}", 20, [("LP-7001", "Kawa"), ("LP-7101", "Młynek")])
    email = FakeAdapter(ChannelKind.EMAIL)
    assert post_resolution_line(db, anna, email, "email", "pl", NOON) is None  # no consent
    db.add(
        ConsentRecord(
            workspace_id=workspace.id,
            customer_id=anna.id,
            channel="email",
            granted=True,
            source="form",
            created_at=NOON - timedelta(days=1),
        )
    )
    db.flush()
    line, proposal = post_resolution_line(db, anna, email, "email", "pl", NOON)
    assert "„Młynek”" in line and proposal.kind == SuggestionKind.CO_PURCHASE
    allegro = FakeAdapter(ChannelKind.ALLEGRO, WindowCapabilities(marketing=False))
    db.add(
        ConsentRecord(
            workspace_id=workspace.id, customer_id=anna.id, channel="allegro", granted=True, source="form"
        )
    )
    assert post_resolution_line(db, anna, allegro, "allegro", "pl", NOON) is None  # no marketing on Allegro
    db.add(
        Suggestion(
            workspace_id=workspace.id,
            customer_id=anna.id,
            kind="co_purchase",
            product_external_id="LP-7101",
            product_name="Młynek",
            why_pl="",
            why_en="",
            dedup_key="x",
            status="sent",
            created_at=NOON,
        )
    )
    db.flush()
    assert (
        post_resolution_line(db, anna, email, "email", "pl", NOON + timedelta(days=1)) is None
    )  # cap of 1 / 30 d


def test_agent_suggestions_api(db, workspace, agent, outsider):
    anna = Customer(workspace_id=workspace.id, name="Anna")
    db.add(anna)
    db.commit()
    assert agent.client.get(f"/api/v1/customers/{anna.id}/suggestions").json() == []
    assert outsider.client.get(f"/api/v1/customers/{anna.id}/suggestions").status_code == 404


def test_replenishment_reminder_needs_consent_and_respects_the_cap(db, workspace, runtime):
    from sprawa.cases.models import Message
    from sprawa.channels.models import ChannelKind as K
    from sprawa.proactive.triggers import Notifier
    from tests.factories import make_channel
    from tests.proactive.conftest import enable, talk

    enable(db, workspace)
    anna = Customer(workspace_id=workspace.id, name="Anna Kowalska", language="pl")
    db.add(anna)
    db.flush()
    for n, days in enumerate((90, 60, 29)):
        _order(db, workspace, anna, f"A{n}", days, [("LP-7001", "Kawa ziarnista 1 kg")])
    email = make_channel(db, workspace, K.EMAIL)
    talk(db, anna, email, NOON - timedelta(days=20), K.EMAIL)
    db.commit()
    notifier = Notifier(
        {K.EMAIL: FakeAdapter(K.EMAIL)}, runtime.ingest.secrets, "https://sprawa.example.pl", "k"
    )
    assert notifier.remind(db, workspace.id, NOON) == []  # no marketing consent on e-mail
    db.add(
        ConsentRecord(
            workspace_id=workspace.id,
            customer_id=anna.id,
            channel="email",
            granted=True,
            source="form",
            created_at=NOON - timedelta(days=30),
        )
    )
    db.commit()
    [sent] = notifier.remind(db, workspace.id, NOON)
    suggestion = db.get(Suggestion, sent)
    text = db.get(Message, suggestion.message_id).body_text
    assert "„Kawa ziarnista 1 kg” zamawiane jest średnio co 30 dni" in text
    assert "https://sprawa.example.pl/zgody/wypisz/" in text
    assert notifier.remind(db, workspace.id, NOON + timedelta(days=1)) == []  # once, and the 30-day cap


# --- in the message that closes a case ------------------------------------------------------------------


def _closing_world(db, runtime, workspace, *, consent: bool):
    from sqlalchemy import select

    from sprawa.auth.queries import principal_for_user
    from sprawa.cases.models import Case, CaseStatus
    from sprawa.cases.service import do_reply
    from tests.cases.factories import inbound
    from tests.factories import make_channel, make_user
    from tests.proactive.conftest import enable

    enable(db, workspace)
    email = make_channel(db, workspace, ChannelKind.EMAIL)
    first = inbound(db, runtime, email, "Gdzie jest moja kawa?", thread="t-1")
    anna = db.scalars(select(Customer).where(Customer.id == first.customer_id)).one()
    _order(db, workspace, anna, "A1", 3, [("LP-7001", "Kawa")])
    for n in range(2):
        _order(db, workspace, None, f"O{n}", 20, [("LP-7001", "Kawa"), ("LP-7101", "Młynek")])
    if consent:
        db.add(
            ConsentRecord(
                workspace_id=workspace.id, customer_id=anna.id, channel="email", granted=True, source="form"
            )
        )
    user = make_user(db, workspace)

    def resolve(message):
        case = db.get(Case, message.case_id)
        do_reply(db, principal_for_user(db, user), case, "Już jedzie.", status_after=CaseStatus.RESOLVED)
        db.flush()
        return case

    return anna, email, first, resolve


def _survey_text(db, runtime, case):
    from sqlalchemy import select

    from sprawa.cases.models import Message
    from sprawa.insights.actions.surveys import do_send_survey, schedule_surveys

    schedule_surveys(db, case.workspace_id)
    do_send_survey(
        db, case.id, runtime.settings.resolved_secret_key, "https://sklep.example", runtime.ingest.adapters
    )
    db.flush()
    return db.scalars(
        select(Message).where(Message.case_id == case.id).order_by(Message.seq.desc()).limit(1)
    ).one()


def test_the_survey_after_a_resolution_carries_a_co_purchase_with_why_and_withdrawal(db, runtime, workspace):
    from sqlalchemy import select

    from sprawa.privacy.actions.consents import read_withdrawal_token

    anna, _, first, resolve = _closing_world(db, runtime, workspace, consent=True)
    message = _survey_text(db, runtime, resolve(first))
    text = message.body_text
    assert "/ankieta/" in text and "PS. Do takiego zamówienia klienci często dobierają też „Młynek”" in text
    assert (
        "Skąd ta propozycja: Klienci, którzy kupili „Kawa”, często kupowali też „Młynek” (2 zamówienia)."
        in text
    )
    token = text.rsplit("/zgody/wypisz/", 1)[1].strip()
    assert read_withdrawal_token(runtime.settings.resolved_secret_key, token) == (
        workspace.id,
        anna.id,
        "email",
    )
    [sent] = db.scalars(select(Suggestion).where(Suggestion.customer_id == anna.id))
    assert (sent.status, sent.kind, sent.product_external_id, sent.message_id) == (
        "sent",
        SuggestionKind.CO_PURCHASE,
        "LP-7101",
        message.id,
    )


def test_no_consent_no_suggestion_in_the_survey(db, runtime, workspace):
    from sqlalchemy import func, select

    _, _, first, resolve = _closing_world(db, runtime, workspace, consent=False)
    text = _survey_text(db, runtime, resolve(first)).body_text
    assert "/ankieta/" in text and "Młynek" not in text and "/zgody/wypisz/" not in text
    assert db.scalar(select(func.count()).select_from(Suggestion)) == 0


def test_the_cap_holds_back_the_next_closing_suggestion(db, runtime, workspace):
    from sqlalchemy import func, select

    from tests.cases.factories import inbound

    _, email, first, resolve = _closing_world(db, runtime, workspace, consent=True)
    assert "Młynek" in _survey_text(db, runtime, resolve(first)).body_text
    again = inbound(db, runtime, email, "Mam jeszcze jedno pytanie o fakturę.", thread="t-2")
    second = _survey_text(db, runtime, resolve(again))
    assert "/ankieta/" in second.body_text and "Młynek" not in second.body_text  # 1 per 30 days
    assert db.scalar(select(func.count()).select_from(Suggestion)) == 1


def test_no_suggestion_on_allegro_even_with_consent(db, runtime, workspace):
    """Allegro's rules forbid marketing in buyer conversations: the adapter says so, consent or not."""
    from sqlalchemy import func, select

    from tests.cases.factories import inbound
    from tests.factories import make_channel

    anna, _, first, resolve = _closing_world(db, runtime, workspace, consent=True)
    allegro = make_channel(db, workspace, ChannelKind.ALLEGRO)
    db.add(
        ConsentRecord(
            workspace_id=workspace.id, customer_id=anna.id, channel="allegro", granted=True, source="form"
        )
    )
    later = inbound(db, runtime, allegro, "Czy mogę jeszcze dopłacić za szybszą wysyłkę?", thread="a-1")
    assert later.customer_id == anna.id
    text = _survey_text(db, runtime, resolve(later)).body_text
    assert "/ankieta/" in text and "Młynek" not in text
    assert db.scalar(select(func.count()).select_from(Suggestion)) == 0
