"""``seed_demo`` and ``seed_tau2``: what a fresh install shows, and that seeding twice changes nothing."""

from collections import Counter

import pytest
from sqlalchemy import func, select

from sprawa.auth.models import Role, TeamMember, User
from sprawa.auth.service import verify_password
from sprawa.cases.models import Case, CaseOrder, DeliveryStatus, Direction, Message
from sprawa.channels.models import Channel, ChannelKind
from sprawa.commerce.demo.models import DemoOrder
from sprawa.commerce.models import Order, Product, Shipment
from sprawa.commerce.tau2 import default_db_path
from sprawa.knowledge.models import KnowledgeArticle
from sprawa.platform.crypto import SecretBox
from sprawa.platform.jobs import Job, JobStatus
from sprawa.seed import DEMO_PASSWORD, seed_demo, seed_tau2
from sprawa.workspaces.models import Policy, PolicyKind, Team, Workspace
from sprawa.workspaces.schemas import parse_policy


def _count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_seed_demo_builds_a_complete_shop_once(db, settings, runtime):
    summary = seed_demo(db, settings, runtime.ingest)
    db.commit()
    assert not summary["skipped"]
    ws = db.scalars(select(Workspace).where(Workspace.slug == "demo")).one()
    assert (ws.name, ws.timezone, ws.languages) == (
        "Sklep Leśna Polana",
        "Europe/Warsaw",
        ["pl", "en", "uk", "de"],
    )
    assert "admin@demo.sprawa.local" in summary["message"] and DEMO_PASSWORD in summary["message"]

    users = db.scalars(select(User).where(User.workspace_id == ws.id)).all()
    assert Counter(u.role for u in users) == {Role.OWNER: 1, Role.AGENT: 3}
    assert all(verify_password(u.password_hash, DEMO_PASSWORD) for u in users)
    teams = {t.name: t for t in db.scalars(select(Team).where(Team.workspace_id == ws.id))}
    assert set(teams) == {"Obsługa klienta", "Zwroty i reklamacje", "B2B / EN"}
    assert {"returns", "complaints"} <= set(teams["Zwroty i reklamacje"].skills)
    assert _count(db, TeamMember, TeamMember.team_id == teams["Zwroty i reklamacje"].id) == 1

    channels = db.scalars(select(Channel).where(Channel.workspace_id == ws.id)).all()
    assert {c.kind for c in channels} == set(ChannelKind)
    box = SecretBox(settings.resolved_secret_key)
    email = next(c for c in channels if c.kind == ChannelKind.EMAIL)
    assert box.open(email.credentials_encrypted)["password"] == "demo-not-a-real-password"

    policies = db.scalars(select(Policy).where(Policy.workspace_id == ws.id)).all()
    assert {p.kind for p in policies} == set(PolicyKind)
    for policy in policies:
        parse_policy(policy.kind, policy.data)
    by_kind = {p.kind: p.data for p in policies}
    assert by_kind[PolicyKind.RETURNS]["window_days"] == 30
    assert by_kind[PolicyKind.COMPENSATION]["max_amount_pln"] == "20.00"
    assert by_kind[PolicyKind.BUSINESS_HOURS]["days"]["sat"] == [{"start": "09:00:00", "end": "14:00:00"}]
    assert by_kind[PolicyKind.SLA]["first_response_minutes"] == 60

    articles = db.scalars(select(KnowledgeArticle).where(KnowledgeArticle.workspace_id == ws.id)).all()
    assert Counter(a.language for a in articles) == {"pl": 10, "en": 5}
    assert all(len(a.body) > 500 for a in articles if a.language == "pl")
    returns = next(a for a in articles if a.slug == "zwroty-i-wymiany" and a.language == "pl")
    assert "30 dni" in returns.body and "art. 38" in returns.body

    assert summary["shop"]["demo_orders"] == 1500 and summary["shop"]["demo_customers"] == 300
    assert _count(db, Order, Order.workspace_id == ws.id) == 1500
    assert _count(db, Product, Product.workspace_id == ws.id) == summary["shop"]["demo_products"]
    assert _count(db, Shipment, Shipment.workspace_id == ws.id) == summary["shop"]["demo_shipments"]

    cases = db.scalars(select(Case).where(Case.workspace_id == ws.id)).all()
    assert len(cases) == summary["cases"] >= 40
    assert {c.channel_id for c in cases} == {c.id for c in channels}
    assert _count(db, CaseOrder, CaseOrder.workspace_id == ws.id) >= 15
    replies = db.scalars(
        select(Message).where(Message.workspace_id == ws.id, Message.direction == Direction.OUTBOUND)
    ).all()
    assert len(replies) >= 5 and all(m.delivery_status == DeliveryStatus.DELIVERED for m in replies)
    assert _count(db, Job, Job.kind == "outbox.deliver", Job.status == JobStatus.PENDING) == 0
    cancelled_by_agent = db.scalars(
        select(DemoOrder).where(DemoOrder.workspace_id == ws.id, DemoOrder.cancel_reason.like("%dwa razy%"))
    ).all()
    assert any(
        db.scalar(select(Order.status).where(Order.workspace_id == ws.id, Order.number == o.number))
        == "cancelled"
        for o in cancelled_by_agent
    )

    before = {m.__tablename__: _count(db, m) for m in (Workspace, User, Channel, Order, Case, Message)}
    again = seed_demo(db, settings, runtime.ingest)
    db.commit()
    assert again["skipped"] and again["workspace_id"] == ws.id
    assert {
        m.__tablename__: _count(db, m) for m in (Workspace, User, Channel, Order, Case, Message)
    } == before


@pytest.mark.skipif(default_db_path() is None, reason="τ²-bench db.json not available")
def test_seed_tau2_is_a_second_workspace_and_idempotent(db, settings):
    summary = seed_tau2(db, settings)
    db.commit()
    ws = db.scalars(select(Workspace).where(Workspace.slug == "tau2-retail")).one()
    assert ws.settings["commerce"]["rules"]["cancel_reasons"] == ["no longer needed", "ordered by mistake"]
    assert summary["shop"]["demo_orders"] == 1000 and summary["shop"]["demo_customers"] == 500
    assert _count(db, Order, Order.workspace_id == ws.id) == 1000
    assert {p.kind for p in db.scalars(select(Policy).where(Policy.workspace_id == ws.id))} >= {
        PolicyKind.CANCELLATION,
        PolicyKind.ORDER_CHANGES,
        PolicyKind.RETURNS,
        PolicyKind.REFUNDS,
    }
    assert seed_tau2(db, settings)["skipped"]
    assert _count(db, Workspace, Workspace.slug == "tau2-retail") == 1
    assert _count(db, DemoOrder, DemoOrder.workspace_id == ws.id) == 1000
