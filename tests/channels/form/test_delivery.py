"""Outbox delivery on the form channel against a fake shop endpoint: retries, Retry-After, permanent
errors, dead letters, and a worker that dies after sending (same Idempotency-Key, applied once)."""

import json
from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select, update

from sprawa.auth.queries import principal_for_user
from sprawa.cases.models import Case, DeliveryStatus, Direction, Message
from sprawa.cases.service import do_reply
from sprawa.channels.form.service import FormAdapter
from sprawa.channels.models import ChannelKind
from sprawa.channels.service import run_delivery_job
from sprawa.db import utcnow
from sprawa.platform.inbound import record_inbound
from sprawa.platform.jobs import Job, JobStatus, Worker
from tests.factories import make_channel, make_user
from tests.fakes.callback import (
    LATE,
    RATE_LIMITED,
    RATE_LIMITED_DATE,
    REDIRECT,
    SERVER_ERROR,
    TIMEOUT,
    FakeCallback,
)

SECRET = "whsec-callback"
REPLY = "Dzień dobry, paczka jest w drodze."


@pytest.fixture
def fake():
    with FakeCallback(secret=SECRET, hang_seconds=1.5, retry_after_seconds=120) as server:
        yield server


def _setup(db, runtime, workspace, callback_url: str) -> str:
    """A form channel replying to ``callback_url``, a case from one inbound message, one reply queued."""
    channel = make_channel(
        db,
        workspace,
        ChannelKind.FORM,
        settings={"callback_url": callback_url, "timeout_seconds": 0.5},
        credentials_encrypted=runtime.ingest.secrets.seal({"signing_secret": SECRET}),
    )
    user = make_user(db, workspace, "agent")
    payload = {"id": "f-1", "email": "anna@example.pl", "text": "Gdzie paczka?", "thread_id": "t-1"}
    record_inbound(
        db, workspace_id=workspace.id, channel_id=channel.id, provider_key="f-1", payload=json.dumps(payload)
    )
    db.commit()
    assert runtime.worker().run_once() == 1
    case = db.scalars(select(Case)).one()
    message = do_reply(db, principal_for_user(db, user), case, REPLY)
    db.commit()
    return message.id


def _state(runtime, message_id: str) -> tuple[Message, Job]:
    with runtime.factory() as session:
        message = session.get(Message, message_id)
        job = session.scalars(select(Job).where(Job.kind == "outbox.deliver")).one()
        return message, job


def _make_due(runtime) -> None:
    with runtime.factory.begin() as session:
        session.execute(update(Job).values(run_at=utcnow() - timedelta(seconds=1)))


def test_a_reply_is_delivered_signed_with_its_idempotency_key(db, runtime, workspace, fake):
    message_id = _setup(db, runtime, workspace, fake.url)
    assert runtime.worker().run_once() == 1
    message, job = _state(runtime, message_id)
    assert (message.delivery_status, message.delivery_error) == (DeliveryStatus.SENT, None)
    assert message.sent_at is not None
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)
    (request,) = fake.requests
    assert (request.key, request.signature_ok, request.outcome) == (message_id, True, "ok")
    assert request.body == {
        "message_id": message_id,
        "case_number": 1,
        "thread_id": "t-1",
        "to": {"email": "anna@example.pl"},
        "subject": "Gdzie paczka?",
        "text": REPLY,
    }
    assert fake.keys_applied() == {message_id}


def test_429_with_retry_after_seconds_waits_at_least_that_long(db, runtime, workspace, fake):
    message_id = _setup(db, runtime, workspace, fake.url)
    fake.script(RATE_LIMITED)
    before = utcnow()
    runtime.worker().run_once()
    message, job = _state(runtime, message_id)
    assert message.delivery_status == DeliveryStatus.QUEUED
    assert job.status == JobStatus.PENDING
    assert job.last_error.startswith("callback answered 429")
    assert before + timedelta(seconds=120) <= job.run_at <= utcnow() + timedelta(seconds=121)
    assert runtime.worker().run_once() == 0  # not due yet
    _make_due(runtime)
    assert runtime.worker().run_once() == 1
    assert _state(runtime, message_id)[0].delivery_status == DeliveryStatus.SENT
    assert [r.outcome for r in fake.requests] == ["429", "ok"]


def test_429_with_an_http_date_waits_until_that_date(db, runtime, workspace, fake):
    message_id = _setup(db, runtime, workspace, fake.url)
    fake.script(RATE_LIMITED_DATE)  # Retry-After: <now + 121 s as an HTTP date>
    before = utcnow()
    runtime.worker().run_once()
    _, job = _state(runtime, message_id)
    assert job.status == JobStatus.PENDING
    assert before + timedelta(seconds=119) <= job.run_at <= utcnow() + timedelta(seconds=122)


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        (SERVER_ERROR, 'callback answered 500: {"error": "fake answered 500"}'),
        ("502", 'callback answered 502: {"error": "fake answered 502"}'),
        ("503", 'callback answered 503: {"error": "fake answered 503"}'),
        ("408", 'callback answered 408: {"error": "fake answered 408"}'),
        (TIMEOUT, "callback timed out: ReadTimeout"),
    ],
)
def test_transient_failures_are_retried_with_backoff(db, runtime, workspace, fake, outcome, error):
    message_id = _setup(db, runtime, workspace, fake.url)
    fake.script(outcome)
    before = utcnow()
    runtime.worker().run_once()
    message, job = _state(runtime, message_id)
    assert (message.delivery_status, job.status, job.attempts, job.last_error) == (
        DeliveryStatus.QUEUED,
        JobStatus.PENDING,
        1,
        error,
    )
    assert before <= job.run_at <= utcnow() + timedelta(seconds=2)  # attempt 1: full jitter up to 2 s
    _make_due(runtime)
    runtime.worker().run_once()
    message, job = _state(runtime, message_id)
    assert (message.delivery_status, job.status, job.attempts) == (DeliveryStatus.SENT, JobStatus.DONE, 2)
    assert fake.keys_applied() == {message_id}
    assert {r.key for r in fake.requests} == {message_id}


@pytest.mark.parametrize("status", ["400", "401", "403", "404", "409", "410", "413", "422"])
def test_permanent_errors_stop_at_once_and_fail_the_message_visibly(db, runtime, workspace, fake, status):
    message_id = _setup(db, runtime, workspace, fake.url)
    fake.script(status)
    runtime.worker().run_once()
    message, job = _state(runtime, message_id)
    expected = f'callback refused the message: {status}: {{"error": "fake answered {status}"}}'
    assert (job.status, job.attempts, job.last_error) == (JobStatus.DEAD, 1, expected)
    assert (message.delivery_status, message.delivery_error) == (DeliveryStatus.FAILED, expected)
    assert len(fake.requests) == 1
    assert fake.keys_applied() == set()


def test_a_redirect_is_not_followed_and_fails_the_message(db, runtime, workspace, fake):
    message_id = _setup(db, runtime, workspace, fake.url)
    fake.redirect_to = "http://169.254.169.254/latest/meta-data/"
    fake.script(REDIRECT)
    runtime.worker().run_once()
    message, job = _state(runtime, message_id)
    assert job.status == JobStatus.DEAD
    assert message.delivery_status == DeliveryStatus.FAILED
    assert message.delivery_error == (
        "callback redirected (302) to http://169.254.169.254/latest/meta-data/; redirects are not followed"
    )


def test_a_private_callback_address_is_refused_without_connecting(db, runtime, workspace):
    message_id = _setup(db, runtime, workspace, "http://10.1.2.3/hook")
    runtime.worker().run_once()
    message, job = _state(runtime, message_id)
    assert job.status == JobStatus.DEAD
    assert message.delivery_status == DeliveryStatus.FAILED
    assert message.delivery_error == "callback URL refused: 10.1.2.3 resolves to a non-public address"


def test_after_max_attempts_the_message_fails_with_the_last_error(db, runtime, workspace, fake):
    message_id = _setup(db, runtime, workspace, fake.url)
    fake.set_rates(server_errors=1.0)
    worker = runtime.worker()
    worker.max_attempts = {"outbox.deliver": 3}
    seen = []
    for _ in range(3):
        _make_due(runtime)
        assert worker.run_once() == 1
        message, job = _state(runtime, message_id)
        seen.append((message.delivery_status, job.status))
    assert seen == [
        (DeliveryStatus.QUEUED, JobStatus.PENDING),
        (DeliveryStatus.QUEUED, JobStatus.PENDING),
        (DeliveryStatus.FAILED, JobStatus.DEAD),
    ]
    message, job = _state(runtime, message_id)
    assert job.attempts == 3
    assert message.delivery_error == 'callback answered 500: {"error": "fake answered 500"}'
    assert len(fake.requests) == 3
    assert fake.keys_applied() == set()


def test_a_late_answer_is_resent_with_the_same_key_and_applied_once(db, runtime, workspace, fake):
    """The shop applied the reply but its answer came after our timeout: the retry must not duplicate."""
    message_id = _setup(db, runtime, workspace, fake.url)
    fake.script(LATE)
    runtime.worker().run_once()
    assert _state(runtime, message_id)[1].last_error == "callback timed out: ReadTimeout"
    _make_due(runtime)
    runtime.worker().run_once()
    message, job = _state(runtime, message_id)
    assert (message.delivery_status, job.status) == (DeliveryStatus.SENT, JobStatus.DONE)
    assert [(r.key, r.outcome, r.applied) for r in fake.requests] == [
        (message_id, LATE, True),
        (message_id, "repeat", False),
    ]
    assert fake.duplicates_applied() == 0


class _Died(BaseException):
    """Stands in for SIGKILL: nothing after the send runs, not even the worker's bookkeeping."""


class _DyingAdapter(FormAdapter):
    def send(self, channel, credentials, message):
        super().send(channel, credentials, message)
        raise _Died


def test_a_worker_dying_after_the_send_is_followed_by_a_resend_with_the_same_key(
    db, runtime, workspace, fake
):
    message_id = _setup(db, runtime, workspace, fake.url)
    dying_ctx = replace(runtime.ingest, adapters={ChannelKind.FORM: _DyingAdapter(runtime.http)})
    dying = Worker(
        factory=runtime.factory,
        handlers={"outbox.deliver": partial(run_delivery_job, dying_ctx)},
        lease_seconds=60,
    )
    with pytest.raises(_Died):
        dying.run_once()
    message, job = _state(runtime, message_id)
    assert (message.delivery_status, job.status, job.locked_by) == (
        DeliveryStatus.QUEUED,
        JobStatus.RUNNING,
        dying.worker_id,
    )
    assert runtime.worker().run_once() == 0  # the lease still protects the job
    with runtime.factory.begin() as session:
        session.execute(update(Job).values(locked_until=utcnow() - timedelta(seconds=1)))
    survivor = runtime.worker()
    assert survivor.run_once() == 1
    message, job = _state(runtime, message_id)
    assert (message.delivery_status, job.status, job.locked_by, job.attempts) == (
        DeliveryStatus.SENT,
        JobStatus.DONE,
        survivor.worker_id,
        2,
    )
    assert [(r.key, r.outcome) for r in fake.requests] == [(message_id, "ok"), (message_id, "repeat")]
    assert fake.keys_applied() == {message_id}
    assert fake.duplicates_applied() == 0


def test_a_delivered_message_is_not_sent_again_by_a_stale_job(db, runtime, workspace, fake):
    message_id = _setup(db, runtime, workspace, fake.url)
    runtime.worker().run_once()
    with runtime.factory.begin() as session:  # e.g. the job's bookkeeping was lost after delivery
        session.execute(
            update(Job)
            .where(Job.kind == "outbox.deliver")
            .values(status=JobStatus.PENDING, run_at=utcnow() - timedelta(seconds=1))
        )
    assert runtime.worker().run_once() == 1
    assert len(fake.requests) == 1
    with runtime.factory() as session:
        outbound = session.scalars(select(Message).where(Message.direction == Direction.OUTBOUND)).one()
    assert (outbound.id, outbound.delivery_status) == (message_id, DeliveryStatus.SENT)
