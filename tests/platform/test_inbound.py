"""The inbound log: stored once per provider key, processed by a job, poison events quarantined."""

import json
import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from sprawa.cases.models import Message
from sprawa.channels.models import ChannelKind
from sprawa.db import utcnow
from sprawa.platform.inbound import InboundEvent, InboundStatus, record_inbound, requeue_inbound
from sprawa.platform.jobs import Job, JobStatus
from tests.factories import make_channel

GOOD = {"id": "f-1", "email": "anna@example.pl", "text": "Gdzie jest moja paczka?"}


def _record(runtime, workspace, channel, key: str, payload: str) -> tuple[str, bool]:
    with runtime.factory.begin() as session:
        return record_inbound(
            session, workspace_id=workspace.id, channel_id=channel.id, provider_key=key, payload=payload
        )


def _count(runtime, model) -> int:
    with runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_an_event_is_stored_and_queued_once_per_provider_key(db, runtime, workspace):
    channel = make_channel(db, workspace, ChannelKind.FORM)
    db.commit()
    first = _record(runtime, workspace, channel, "f-1", json.dumps(GOOD))
    again = _record(runtime, workspace, channel, "f-1", json.dumps({**GOOD, "text": "inna treść"}))
    assert first[1] is True
    assert again == (first[0], False)
    with runtime.factory() as session:
        event = session.get(InboundEvent, first[0])
        assert event.payload == json.dumps(GOOD)
        jobs = session.execute(select(Job.kind, Job.idempotency_key, Job.payload)).all()
    assert jobs == [("inbound.process", f"inbound:{first[0]}", {"event_id": first[0]})]


def test_concurrent_deliveries_of_one_event_store_it_once(db, runtime, workspace):
    channel = make_channel(db, workspace, ChannelKind.FORM)
    db.commit()
    barrier = threading.Barrier(4)
    results: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(_record(runtime, workspace, channel, "same", json.dumps(GOOD)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert len({event_id for event_id, _ in results}) == 1
    assert _count(runtime, InboundEvent) == 1
    assert _count(runtime, Job) == 1


def test_unreadable_payload_is_quarantined_at_once(db, runtime, workspace):
    channel = make_channel(db, workspace, ChannelKind.FORM)
    db.commit()
    event_id, _ = _record(runtime, workspace, channel, "broken", "{not json")
    assert runtime.worker().run_once() == 1
    with runtime.factory() as session:
        event = session.get(InboundEvent, event_id)
        job = session.scalars(select(Job)).one()
    assert event.status == InboundStatus.FAILED
    assert event.error.startswith("unreadable form payload")
    assert event.payload == "{not json"  # kept for the operator
    assert (job.status, job.attempts) == (JobStatus.DEAD, 1)
    assert job.last_error == event.error
    assert _count(runtime, Message) == 0


def test_a_payload_that_fails_in_processing_is_retried_then_quarantined(db, runtime, workspace):
    """An adapter that crashes on a payload (a bug, not a bad payload) is retried, never looped forever."""
    channel = make_channel(db, workspace, ChannelKind.WEBCHAT)
    db.commit()
    event_id, _ = _record(runtime, workspace, channel, "no-visitor", json.dumps({"text": "hej"}))
    with runtime.factory.begin() as session:
        session.execute(update(Job).values(max_attempts=3))
    worker = runtime.worker()
    statuses = []
    for _ in range(3):
        with runtime.factory.begin() as session:
            session.execute(update(Job).values(run_at=utcnow() - timedelta(seconds=1)))
        assert worker.run_once() == 1
        with runtime.factory() as session:
            statuses.append(
                (session.get(InboundEvent, event_id).status, session.scalars(select(Job.status)).one())
            )
    assert statuses == [
        (InboundStatus.RECEIVED, JobStatus.PENDING),
        (InboundStatus.RECEIVED, JobStatus.PENDING),
        (InboundStatus.FAILED, JobStatus.DEAD),
    ]
    with runtime.factory() as session:
        event = session.get(InboundEvent, event_id)
        job = session.scalars(select(Job)).one()
    assert job.attempts == 3
    assert event.error == "KeyError: 'visitor_id'"
    assert event.error == job.last_error
    assert _count(runtime, Message) == 0
    with runtime.factory.begin() as session:
        session.execute(update(Job).values(run_at=utcnow() - timedelta(seconds=1)))
    assert worker.run_once() == 0  # dead stays dead


def test_a_quarantined_event_can_be_replayed_after_a_fix(db, runtime, workspace):
    channel = make_channel(db, workspace, ChannelKind.FORM)
    db.commit()
    event_id, _ = _record(runtime, workspace, channel, "f-1", "{not json")
    runtime.worker().run_once()
    with runtime.factory.begin() as session:
        session.execute(update(InboundEvent).values(payload=json.dumps(GOOD)))  # the fix
        assert requeue_inbound(session, event_id) is True
    with runtime.factory.begin() as session:
        assert requeue_inbound(session, event_id) is False  # already back in the queue
    assert runtime.worker().run_once() == 1
    with runtime.factory() as session:
        event = session.get(InboundEvent, event_id)
        assert (event.status, event.error) == (InboundStatus.PROCESSED, None)
        assert session.scalars(select(Message.provider_message_id)).all() == ["f-1"]
        assert sorted(session.scalars(select(Job.status))) == [JobStatus.DEAD, JobStatus.DONE]
