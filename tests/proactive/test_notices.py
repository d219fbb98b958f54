"""Proactive notices replayed from order and parcel events: once per event, within consent, quiet hours and
channel rules, recorded on the customer's case through the outbox."""

from datetime import timedelta

from sqlalchemy import func, select

from sprawa.cases.models import Case, CaseOrder, Message
from sprawa.channels.models import ChannelKind
from sprawa.db import utcnow
from sprawa.platform.jobs import Job
from sprawa.proactive.models import ProactiveNotice
from sprawa.proactive.queries import template_for_message
from sprawa.proactive.service import do_opt_out
from sprawa.proactive.triggers import Notifier
from tests.factories import make_channel
from tests.proactive.conftest import NOON, FakeAdapter, WindowCapabilities, enable, talk


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def _scan(db, notifier, world, at=NOON):
    outcomes = notifier.scan(db, world.workspace.id, at)
    db.commit()
    return outcomes


def test_late_parcel_sends_one_notice_however_often_the_rules_run(db, world, notifier):
    [outcome] = _scan(db, notifier, world)
    assert outcome.result == "sent" and outcome.candidate.rule == "late"
    for _ in range(3):  # the periodic scan and webhook replays see the same event again
        assert [o.result for o in _scan(db, notifier, world, NOON + timedelta(minutes=10))] == ["duplicate"]
        replayed = notifier.evaluate_orders(db, world.workspace.id, [world.order.id])
        assert {o.result for o in replayed} <= {"duplicate"}
    notice = db.scalars(select(ProactiveNotice)).one()
    message = db.get(Message, notice.message_id)
    assert message.author_kind == "system" and message.thread_id == world.thread.id
    assert message.body_text.startswith("Dzień dobry, Anna!")
    assert "zamówienia nr 100123" in message.body_text and "InPost zgłasza opóźnienie" in message.body_text
    assert "https://sprawa.example.pl/api/v1/proactive/opt-out?token=" in message.body_text
    assert db.scalar(select(Job).where(Job.payload["message_id"].as_string() == message.id)) is not None
    case = db.get(Case, notice.case_id)
    assert case.status == "resolved" and case.subject.startswith("Opóźnienie przesyłki")
    assert db.scalar(select(CaseOrder.order_id).where(CaseOrder.case_id == case.id)) == world.order.id
    assert _count(db, ProactiveNotice) == 1


def test_each_new_event_on_the_same_parcel_is_told_once(db, world, notifier):
    parcel = world.parcel
    parcel.estimated_delivery = NOON + timedelta(days=1)  # not late
    for code, hours in (("avizo", 2), ("avizo", 2), ("undelivered_wrong_address", 1)):
        at = NOON - timedelta(hours=hours)
        parcel.state = "exception"
        parcel.events = [
            *parcel.events,
            {"at": at.isoformat(), "code": code, "state": "exception", "description": code, "location": None},
        ]
        parcel.last_event_at = at
        db.commit()
        _scan(db, notifier, world)
    notices = db.scalars(select(ProactiveNotice).order_by(ProactiveNotice.created_at)).all()
    assert [n.dedup_key.split(":")[2] for n in notices] == ["avizo", "undelivered_wrong_address"]
    texts = [db.get(Message, n.message_id).body_text for n in notices]
    assert "nikogo nie było w domu" in texts[0] and "nie znalazł adresu" in texts[1]


def test_nothing_is_sent_in_quiet_hours_and_it_goes_out_after(db, world, notifier):
    night = NOON.replace(hour=21, minute=30)  # 23:30 in Warsaw
    assert [(o.result, o.reason) for o in _scan(db, notifier, world, night)] == [("held", "quiet_hours")]
    assert _count(db, ProactiveNotice) == 0 and _count(db, Message) == 1  # only the customer's message
    morning = night + timedelta(hours=9)  # 08:30 in Warsaw
    assert [o.result for o in _scan(db, notifier, world, morning)] == ["sent"]


def test_an_opted_out_customer_gets_nothing(db, world, notifier):
    do_opt_out(db, world.customer)
    db.commit()
    assert [(o.result, o.reason) for o in _scan(db, notifier, world)] == [("skipped", "opted_out")]
    assert _count(db, Message) == 1
    assert db.scalars(select(ProactiveNotice.status)).one() == "skipped"


def test_outside_the_whatsapp_window_a_template_is_used(db, world, runtime):
    whatsapp = make_channel(db, world.workspace, ChannelKind.WHATSAPP)
    talk(db, world.customer, whatsapp, NOON - timedelta(hours=30), ChannelKind.WHATSAPP)
    world.thread.last_message_at = NOON - timedelta(days=5)
    db.commit()
    adapters = {
        ChannelKind.WHATSAPP: FakeAdapter(
            ChannelKind.WHATSAPP, WindowCapabilities(session_window_hours=24, templates=True)
        )
    }
    [outcome] = Notifier(adapters, runtime.ingest.secrets).scan(db, world.workspace.id, NOON)
    db.commit()
    notice = db.scalars(select(ProactiveNotice)).one()
    assert outcome.result == "sent" and notice.channel_id == whatsapp.id
    assert notice.template == "sprawa_late_pl" and notice.template_params == ["Anna", "100123", ""]
    assert template_for_message(db, notice.message_id) == ("sprawa_late_pl", ["Anna", "100123", ""])


def test_inside_the_window_free_text_is_used(db, world, runtime):
    whatsapp = make_channel(db, world.workspace, ChannelKind.WHATSAPP)
    talk(db, world.customer, whatsapp, NOON - timedelta(hours=2), ChannelKind.WHATSAPP)
    db.commit()
    adapters = {
        ChannelKind.WHATSAPP: FakeAdapter(
            ChannelKind.WHATSAPP, WindowCapabilities(session_window_hours=24, templates=True)
        )
    }
    Notifier(adapters, runtime.ingest.secrets).scan(db, world.workspace.id, NOON)
    db.commit()
    assert db.scalars(select(ProactiveNotice.template)).one() is None


def test_a_channel_without_templates_outside_its_window_is_passed_over(db, world, runtime):
    adapters = {
        ChannelKind.WEBCHAT: FakeAdapter(ChannelKind.WEBCHAT, WindowCapabilities(session_window_hours=24))
    }
    [outcome] = Notifier(adapters, runtime.ingest.secrets).scan(db, world.workspace.id, NOON)
    assert (outcome.result, outcome.reason) == ("skipped", "no_channel")


def test_switched_off_rules_send_nothing(db, world, notifier):
    enable(db, world.workspace, rules={"late": {"enabled": False}, "no_scan": {"enabled": False}})
    db.commit()
    assert _scan(db, notifier, world) == []


def test_daily_cap_holds_the_second_notice(db, world, notifier):
    enable(db, world.workspace, max_notices_per_customer_per_day=1)
    other = world.parcel
    _scan(db, notifier, world)
    other.estimated_delivery = NOON + timedelta(days=2)
    other.state = "exception"
    other.events = [
        *other.events,
        {"at": NOON.isoformat(), "code": "avizo", "state": "exception", "description": "", "location": None},
    ]
    other.last_event_at = NOON
    db.commit()
    assert [(o.result, o.reason) for o in _scan(db, notifier, world)] == [("held", "daily_cap")]


def test_pickup_waiting_names_the_paczkomat_and_deadline(db, world, notifier):
    parcel = world.parcel
    parcel.state = "ready_for_pickup"
    parcel.pickup_point = "KRA01M"
    parcel.pickup_deadline = NOON + timedelta(hours=20)
    ready = NOON - timedelta(hours=28)
    parcel.events = [
        {
            "at": ready.isoformat(),
            "code": "ready_to_pickup",
            "state": "ready_for_pickup",
            "description": "",
            "location": None,
        }
    ]
    parcel.last_event_at = ready
    db.commit()
    [outcome] = _scan(db, notifier, world)
    assert outcome.candidate.rule == "pickup_waiting"
    assert "w Paczkomacie KRA01M do 20.05, godz. 08:00" in outcome.text


def test_preview_counts_customers_without_sending(db, world, admin):
    now = utcnow()  # the preview runs at the real time
    world.order.placed_at = now - timedelta(days=4)
    world.parcel.estimated_delivery = now - timedelta(days=1)
    db.commit()
    response = admin.client.get("/api/v1/proactive/preview")
    assert response.status_code == 200
    late = next(r for r in response.json()["rules"] if r["rule"] == "late")
    assert late["customers"] == 1 and late["message"]["pl"].startswith(
        "Ta reguła wysłałaby teraz wiadomość do 1"
    )
    assert _count(db, ProactiveNotice) == 0


def test_settings_are_validated_and_admin_only(db, world, admin, agent):
    assert agent.client.put("/api/v1/proactive/settings", json={"enabled": True}).status_code == 403
    bad = admin.client.put(
        "/api/v1/proactive/settings", json={"enabled": True, "rules": {"late": {"hours": 0}}}
    )
    assert bad.status_code == 422
    aware = admin.client.put("/api/v1/proactive/settings", json={"quiet_hours": {"start": "22:00:00Z"}})
    assert aware.status_code == 422
    ok = admin.client.put(
        "/api/v1/proactive/settings", json={"enabled": True, "quiet_hours": {"start": "22:00"}}
    )
    assert ok.status_code == 200 and ok.json()["quiet_hours"]["start"] == "22:00:00"
    assert db.scalar(select(Job).where(Job.kind == "proactive.scan")) is not None


def test_opt_out_link(db, world, notifier, client):
    _scan(db, notifier, world)
    text = db.scalars(select(Message.body_text).where(Message.author_kind == "system")).one()
    url = text.split("opt-out?token=")[1].split()[0]
    db.rollback()
    assert client.get("/api/v1/proactive/opt-out", params={"token": url}).status_code == 200
    assert client.post("/api/v1/proactive/opt-out", data={"token": url}).status_code == 200
    assert client.post("/api/v1/proactive/opt-out", data={"token": "x" * 40}).status_code == 422
    from sprawa.proactive.notifications import opted_out

    assert opted_out(db, world.customer)


def test_compensation_is_offered_only_when_the_policy_allows_it(db, world, notifier):
    from sprawa.workspaces.models import Policy, PolicyKind

    enable(db, world.workspace, offer_compensation=True)
    db.commit()
    [first] = _scan(db, notifier, world)
    assert "rekompensat" not in first.text  # the shop has no compensation policy
    db.add(
        Policy(
            workspace_id=world.workspace.id,
            kind=PolicyKind.COMPENSATION,
            version=1,
            data={
                "max_amount_pln": "20.00",
                "kinds": ["free_shipping_code"],
                "max_per_customer_per_month": 1,
            },
        )
    )
    db.commit()
    [preview] = notifier.preview(db, world.workspace.id, NOON)
    db.rollback()
    assert preview.result == "duplicate"
    db.execute(ProactiveNotice.__table__.delete())
    db.commit()
    [second] = _scan(db, notifier, world)
    assert "wystarczy odpisać, a zaproponujemy rekompensatę" in second.text


def test_the_customer_is_told_in_their_language(db, world, notifier):
    world.customer.language = "uk"
    db.commit()
    [outcome] = _scan(db, notifier, world)
    assert outcome.text.startswith("Добрий день, Anna!")
    assert "Посилка із замовлення № 100123 їде довше" in outcome.text
