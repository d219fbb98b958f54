"""Allegro customer returns mirrored as Return records: created once per Allegro return id, statuses
followed forward, shown in the returns queue with the legal deadlines, and the worker job's chain."""

import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from sprawa.aftersales.actions.allegro import mirror_allegro_returns
from sprawa.aftersales.models import IntakeSource, Return, ReturnItem, ReturnStatus
from sprawa.aftersales.queries import returns_queue
from sprawa.aftersales.tasks import (
    MIRROR_EVERY,
    MIRROR_KIND,
    ensure_allegro_returns_scheduled,
    schedule_allegro_returns,
)
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case, CaseOrder, Note
from sprawa.commerce.service import connector_for
from sprawa.platform.jobs import Job
from tests.commerce.conftest import shop_config
from tests.fakes.allegro_orders import FakeAllegro, make_form
from tests.fakes.asgi import serve

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def fake():
    allegro = FakeAllegro()
    allegro.forms = [make_form(1), make_form(2, email="jan@example.pl")]
    with serve(allegro.app) as url:
        allegro.url = url
        yield allegro


@pytest.fixture
def allegro(db, workspace, runtime, fake):
    config = shop_config(runtime, "allegro", fake.url, access_token=fake.token) | {"base_url": fake.url}
    workspace.settings = {**(workspace.settings or {}), "commerce": config}
    db.commit()
    return connector_for(db, workspace.id, runtime.connector_env())


def customer_return(form: dict, status: str = "CREATED", created: datetime = NOW, **extra) -> dict:  # type: ignore[type-arg]
    """A customer return as Allegro's beta API gives it."""
    line = form["lineItems"][0]
    return {
        "id": f"cr-{form['id'][-3:]}",
        "createdAt": created.isoformat().replace("+00:00", "Z"),
        "referenceNumber": f"RJAS{form['id'][-3:]}",
        "orderId": form["id"],
        "buyer": {"email": form["buyer"]["email"], "login": form["buyer"]["login"]},
        "items": [
            {
                "offerId": line["offer"]["id"],
                "quantity": 1,
                "name": line["offer"]["name"],
                "price": line["price"],
                "reason": {"type": "DONT_LIKE_IT", "userComment": "Za mały"},
            }
        ],
        "parcels": [{"createdAt": "2026-05-21T09:00:00Z", "waybill": "A000BCD123", "carrierId": "ALLEGRO"}],
        "status": status,
        **extra,
    }


def test_a_customer_return_is_mirrored_once_with_its_deadlines(db, workspace, fake, allegro) -> None:
    form = fake.forms[0]
    fake.returns[form["id"]] = [customer_return(form)]
    first = mirror_allegro_returns(db, allegro, workspace.id, now=NOW)
    again = mirror_allegro_returns(db, allegro, workspace.id, now=NOW)
    db.commit()
    assert (first.created, again.created, again.updated) == (1, 0, 0)
    ret = db.scalars(select(Return)).one()
    assert ret.source == IntakeSource.ALLEGRO and ret.shop_reference == "cr-001"
    assert ret.number == "ZW-A-RJAS001" and ret.status == ReturnStatus.AWAITING_GOODS
    assert ret.statement_received_at.date() == date(2026, 5, 20)
    assert ret.refund_due_by == date(2026, 6, 3) and ret.goods_due_by == date(2026, 6, 3)
    assert ret.reason == "Za mały" and ret.method_details == {"carrier": "ALLEGRO", "waybill": "A000BCD123"}
    assert ret.review_reasons == []  # Allegro accepted it; no "not delivered" for a parcel the buyer has
    [item] = db.scalars(select(ReturnItem)).all()
    assert (item.name, item.quantity, item.product_external_id) == ("Kubek ceramiczny", 1, "9206125457")
    case = db.get(Case, ret.case_id)
    assert case.subject == f"Zwrot Allegro — zamówienie {form['id']}"
    assert db.scalar(select(func.count()).select_from(CaseOrder).where(CaseOrder.case_id == case.id)) == 1
    note = db.scalars(select(Note).where(Note.case_id == case.id)).one()
    assert "RJAS001" in note.body_text and "03.06.2026" in note.body_text
    [row] = returns_queue(db, Principal.system(workspace.id), "awaiting_goods")
    assert row.record.number == "ZW-A-RJAS001" and str(row.record.refund_due_by) == "2026-06-03"


def test_allegro_statuses_move_the_record_forward_only(db, workspace, fake, allegro) -> None:
    form = fake.forms[1]
    fake.returns[form["id"]] = [customer_return(form, status="IN_TRANSIT")]
    mirror_allegro_returns(db, allegro, workspace.id, now=NOW)
    ret = db.scalars(select(Return)).one()
    # Proof of sending counts like the goods for the refund (art. 32).
    assert ret.status == ReturnStatus.RECEIVED and ret.proof_of_sending_at is not None
    assert ret.goods_received_at is None
    fake.returns[form["id"]][0]["status"] = "FINISHED"
    assert mirror_allegro_returns(db, allegro, workspace.id, now=NOW).updated == 1
    assert ret.status == ReturnStatus.REFUNDED and ret.refund_via == "allegro" and ret.closed_at
    fake.returns[form["id"]][0]["status"] = "DELIVERED"  # an older state never moves it back
    assert mirror_allegro_returns(db, allegro, workspace.id, now=NOW).updated == 0
    assert ret.status == ReturnStatus.REFUNDED


def test_a_return_rejected_in_allegro_is_rejected_here(db, workspace, fake, allegro) -> None:
    form = fake.forms[0]
    fake.returns[form["id"]] = [customer_return(form)]
    mirror_allegro_returns(db, allegro, workspace.id, now=NOW)
    fake.returns[form["id"]][0]["status"] = "REJECTED"
    mirror_allegro_returns(db, allegro, workspace.id, now=NOW)
    ret = db.scalars(select(Return)).one()
    assert ret.status == ReturnStatus.REJECTED and ret.rejection_reason == "Odrzucony w Allegro"


def test_the_worker_job_mirrors_every_allegro_shop_and_schedules_the_next_run(
    db, runtime, workspace, fake, allegro
) -> None:
    form = fake.forms[0]
    fake.returns[form["id"]] = [customer_return(form, created=datetime.now(UTC) - timedelta(days=1))]
    db.rollback()
    ensure_allegro_returns_scheduled(runtime.factory)
    worker = runtime.worker()
    assert worker.run_once()
    db.expire_all()
    assert db.scalars(select(Return.shop_reference)).all() == ["cr-001"]
    [job] = db.scalars(select(Job).where(Job.kind == MIRROR_KIND, Job.status == "pending")).all()
    assert job.run_at.replace(tzinfo=UTC) > datetime.now(UTC) + timedelta(minutes=14)


def test_a_restarted_worker_does_not_start_a_second_chain(db, runtime) -> None:
    db.rollback()
    with runtime.factory.begin() as session:  # the chain's next run is already queued
        schedule_allegro_returns(session, datetime.now(UTC) + MIRROR_EVERY)
    ensure_allegro_returns_scheduled(runtime.factory)
    assert len(db.scalars(select(Job).where(Job.kind == MIRROR_KIND)).all()) == 1


def test_two_overlapping_runs_mirror_an_allegro_return_once(db, runtime, workspace, fake, allegro) -> None:
    """A slow run and the next one see the same new Allegro return: the second waits on the first's
    uncommitted record (SQLite: the writer lock; PostgreSQL: the unique key) and then only follows it."""
    form = fake.forms[0]
    fake.returns[form["id"]] = [customer_return(form)]
    first = mirror_allegro_returns(db, allegro, workspace.id, now=NOW)  # flushed, not committed
    assert first.created == 1
    second: list[object] = []

    def overlapping_run() -> None:
        with runtime.factory() as session:
            connector = connector_for(session, workspace.id, runtime.connector_env())
            second.append(mirror_allegro_returns(session, connector, workspace.id, now=NOW))
            session.commit()

    thread = threading.Thread(target=overlapping_run)
    thread.start()
    time.sleep(0.5)  # the second run is blocked on the first one's transaction
    assert thread.is_alive()
    db.commit()
    thread.join(timeout=30)
    assert not thread.is_alive()
    [result] = second
    assert (result.created, result.skipped) == (0, 0)  # type: ignore[attr-defined]
    db.expire_all()
    assert db.scalars(select(Return.marketplace_return_id)).all() == ["cr-001"]
    assert db.scalar(select(func.count()).select_from(Case)) == 1


def test_the_database_refuses_a_second_record_of_one_allegro_return(db, workspace, fake, allegro) -> None:
    form = fake.forms[0]
    fake.returns[form["id"]] = [customer_return(form)]
    mirror_allegro_returns(db, allegro, workspace.id, now=NOW)
    ret = db.scalars(select(Return)).one()
    copy = {c.key: getattr(ret, c.key) for c in Return.__table__.columns if c.key != "id"}
    db.add(Return(**copy | {"number": "ZW-A-COPY"}))
    with pytest.raises(IntegrityError):
        db.flush()
