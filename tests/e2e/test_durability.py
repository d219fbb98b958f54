"""Durability under faults, with real processes: a ``sprawa serve`` subprocess takes 200 form messages
(30 % posted twice, some at the same moment, 20 % out of order) while ``sprawa worker`` subprocesses
are SIGKILLed 0.5-2 s after they start working and restarted, and every case's reply goes through a
fake shop endpoint that answers 429/500, times out, or applies and then times out. After at least
15 s of kills a final worker finishes whatever is left. On SQLite the processes share the WAL file.
``sprawa chaos`` (``make chaos``) runs the same scenario at full scale, killing until everything is done."""

from collections import Counter

from sqlalchemy import select

from sprawa.cases.models import DeliveryStatus, Direction, Message
from sprawa.chaos import SIGNING_SECRET, ChaosConfig, run_chaos
from sprawa.platform.inbound import InboundEvent, InboundStatus
from sprawa.platform.jobs import Job, JobStatus
from tests.fakes.callback import (
    LATE,
    RATE_LIMITED,
    RATE_LIMITED_DATE,
    SERVER_ERROR,
    TIMEOUT,
    FakeCallback,
)

EVENTS = 200


def test_nothing_acknowledged_is_lost_or_applied_twice_while_workers_are_killed(runtime):
    config = ChaosConfig(
        events=EVENTS,
        duplicate_ratio=0.3,
        out_of_order_ratio=0.2,
        kill_every=(0.5, 2.0),
        min_kills=4,
        senders=6,
        post_rate=25,
        chaos_seconds=15,
        callback_timeout=0.5,
        lease_seconds=3,
        worker_batch=5,
        backoff_base=0.1,
        backoff_cap=2.0,
        deadline_seconds=300,
        seed=20260301,
    )
    with FakeCallback(
        rate_limited=0.1,
        server_errors=0.1,
        timeouts=0.05,
        late=0.05,
        hang_seconds=1.0,
        retry_after_seconds=1,
        secret=SIGNING_SECRET,
        seed=7,
    ) as fake:
        # Every kind of failure happens at least once, whatever the dice say.
        fake.script(LATE, RATE_LIMITED_DATE, SERVER_ERROR, TIMEOUT, RATE_LIMITED)
        report = run_chaos(config, runtime, fake, progress=lambda line: None)
        requests = list(fake.requests)

    summary = "\n".join(report.lines())
    assert report.failures == [], summary
    assert (report.distinct_events, report.replays, report.out_of_order) == (EVENTS, 60, 40), summary
    assert (report.events_sent, report.acknowledged) == (260, 260), summary
    assert (report.events_stored, report.duplicates_dropped, report.messages_stored) == (200, 60, 200), (
        summary
    )
    assert report.kills >= 4, summary
    assert report.done_in_chaos[0] > 0, summary
    assert report.cases == report.replies == report.applied > 0, summary
    assert (report.duplicates_applied, report.lost, report.jobs_left, report.dead_jobs) == (0, 0, 0, 0), (
        summary
    )
    outcomes = Counter(r.outcome for r in requests)
    assert all(outcomes[o] >= 1 for o in ("ok", LATE, "429", "500", TIMEOUT, "repeat")), summary

    # The same facts, straight from the database and the fake, independent of the report.
    with runtime.factory() as session:
        events = session.execute(select(InboundEvent.provider_key, InboundEvent.status)).all()
        inbound = session.scalars(
            select(Message.provider_message_id).where(Message.direction == Direction.INBOUND)
        ).all()
        outbound = session.execute(
            select(Message.id, Message.delivery_status).where(Message.direction == Direction.OUTBOUND)
        ).all()
        # The message path's jobs must all be done; periodic housekeeping (retention, the Allegro returns
        # mirror...) runs on its own schedule and only must not have died.
        path = Job.kind.in_(("inbound.process", "outbox.deliver"))
        jobs = Counter(session.scalars(select(Job.status).where(path)))
        unfinished = session.execute(
            select(Job.kind, Job.status).where(path, Job.status != JobStatus.DONE)
        ).all()
        dead = session.execute(select(Job.kind).where(Job.status == JobStatus.DEAD)).all()
    assert len(events) == len({key for key, _ in events}) == EVENTS
    assert {status for _, status in events} == {InboundStatus.PROCESSED}
    assert sorted(inbound) == sorted(key for key, _ in events)
    assert {status for _, status in outbound} == {DeliveryStatus.SENT}
    assert jobs == {JobStatus.DONE: EVENTS + len(outbound)}, unfinished
    assert not dead
    applied = Counter(r.key for r in requests if r.applied)
    assert set(applied) == {message_id for message_id, _ in outbound}
    assert set(applied.values()) == {1}
    assert all(r.key and r.signature_ok for r in requests)
