"""The durable job queue: claims (both engines, SKIP LOCKED on PostgreSQL), leases, retries, dead letters."""

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import event, func, select, update

from sprawa.db import on_commit, utcnow
from sprawa.platform.jobs import (
    MAX_RETRY_AFTER_SECONDS,
    Job,
    JobStatus,
    PermanentFailure,
    RetryLater,
    Worker,
    WorkerHeartbeat,
    backoff_seconds,
    claim,
    enqueue,
    parse_retry_after,
)


def _jobs(runtime, n: int, kind: str = "test.job", **kwargs) -> list[str]:
    with runtime.factory.begin() as session:
        for i in range(n):
            enqueue(session, kind, {"n": i}, key=f"{kind}:{i}", **kwargs)
    with runtime.factory() as session:
        return list(session.scalars(select(Job.id).where(Job.kind == kind).order_by(Job.run_at, Job.id)))


def _job(runtime, job_id: str) -> Job:
    with runtime.factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _expire_lease(runtime, job_id: str) -> None:
    with runtime.factory.begin() as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(locked_until=utcnow() - timedelta(seconds=1))
        )


def _make_due(runtime, job_id: str) -> None:
    with runtime.factory.begin() as session:
        session.execute(update(Job).where(Job.id == job_id).values(run_at=utcnow() - timedelta(seconds=1)))


def _worker(runtime, handlers, **kwargs) -> Worker:
    return Worker(factory=runtime.factory, handlers=handlers, **kwargs)


# Enqueue ------------------------------------------------------------------------------------------


def test_enqueue_with_the_same_key_is_a_no_op(runtime):
    with runtime.factory.begin() as session:
        enqueue(session, "test.job", {"v": 1}, key="once")
        enqueue(session, "test.job", {"v": 2}, key="once")
    with runtime.factory.begin() as session:
        enqueue(session, "test.job", {"v": 3}, key="once")
    with runtime.factory() as session:
        rows = session.execute(select(Job.payload, Job.status)).all()
    assert rows == [({"v": 1}, JobStatus.PENDING)]


# Claim --------------------------------------------------------------------------------------------


def test_claim_takes_due_jobs_with_a_lease_and_counts_no_attempt(runtime):
    due = _jobs(runtime, 3)
    with runtime.factory.begin() as session:
        enqueue(session, "test.later", {}, run_at=utcnow() + timedelta(hours=1))
    before = utcnow()
    with runtime.factory.begin() as session:
        claimed = claim(session, "w1", limit=10, lease_seconds=30)
        assert [j.id for j in claimed] == due
    for job_id in due:
        job = _job(runtime, job_id)
        assert job.status == JobStatus.RUNNING
        assert job.locked_by == "w1"
        assert job.attempts == 0
        assert before + timedelta(seconds=29) < job.locked_until <= utcnow() + timedelta(seconds=30)
    with runtime.factory.begin() as session:
        assert claim(session, "w2", limit=10, lease_seconds=30) == []


def test_claim_respects_the_limit_and_skips_finished_jobs(runtime):
    ids = _jobs(runtime, 5)
    with runtime.factory.begin() as session:
        session.execute(update(Job).where(Job.id == ids[0]).values(status=JobStatus.DONE))
        session.execute(update(Job).where(Job.id == ids[1]).values(status=JobStatus.DEAD))
    with runtime.factory.begin() as session:
        assert [j.id for j in claim(session, "w1", limit=2, lease_seconds=30)] == ids[2:4]
    with runtime.factory.begin() as session:
        assert [j.id for j in claim(session, "w1", limit=2, lease_seconds=30)] == ids[4:]


def test_a_running_job_is_claimed_again_only_after_its_lease_ran_out(runtime):
    (job_id,) = _jobs(runtime, 1)
    with runtime.factory.begin() as session:
        claim(session, "dead-worker", limit=1, lease_seconds=60)
    with runtime.factory.begin() as session:
        assert claim(session, "w2", limit=1, lease_seconds=60) == []
    _expire_lease(runtime, job_id)
    with runtime.factory.begin() as session:
        assert [j.id for j in claim(session, "w2", limit=1, lease_seconds=60)] == [job_id]
    assert _job(runtime, job_id).locked_by == "w2"


def test_concurrent_claimers_never_get_the_same_job(runtime):
    ids = set(_jobs(runtime, 60))
    barrier = threading.Barrier(2)
    got: dict[str, list[str]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def claimer(name: str) -> None:
        try:
            barrier.wait()
            while True:
                with runtime.factory.begin() as session:
                    batch = claim(session, name, limit=3, lease_seconds=60)
                if not batch:
                    return
                got[name].extend(j.id for j in batch)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert set(got["a"]).isdisjoint(got["b"])
    assert sorted(got["a"] + got["b"]) == sorted(ids)
    with runtime.factory() as session:
        owners = dict(session.execute(select(Job.id, Job.locked_by)).all())
    assert all(owners[i] == "a" for i in got["a"]) and all(owners[i] == "b" for i in got["b"])


def test_postgres_claim_skips_rows_locked_by_another_claimer(runtime):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is the PostgreSQL path")
    ids = _jobs(runtime, 4)
    first = runtime.factory()
    try:
        first.begin()
        held = claim(first, "a", limit=2, lease_seconds=60)  # rows locked until ``first`` commits
        assert [j.id for j in held] == ids[:2]
        done = threading.Event()
        result: list[list[str]] = []

        def other() -> None:
            with runtime.factory.begin() as session:
                result.append([j.id for j in claim(session, "b", limit=4, lease_seconds=60)])
            done.set()

        thread = threading.Thread(target=other)
        thread.start()
        # Without SKIP LOCKED the second claimer would wait for ``first`` (or take the same rows).
        assert done.wait(10), "the second claimer blocked on the first one's locks"
        thread.join()
        assert result == [ids[2:]]
        first.commit()
    finally:
        first.close()


# Backoff and Retry-After --------------------------------------------------------------------------


@pytest.mark.parametrize("attempt", [0, 1, 2, 5, 10, 20, 60])
def test_backoff_is_full_jitter_within_the_exponential_ceiling(attempt):
    ceiling = min(3600.0, 2.0**attempt)
    samples = [backoff_seconds(attempt) for _ in range(300)]
    assert all(0 <= s <= ceiling for s in samples)
    if attempt >= 2:
        assert min(samples) < ceiling / 2 < max(samples)  # spread over the whole range, not a fixed step


def test_backoff_uses_base_and_cap():
    assert all(0 <= backoff_seconds(3, base=0.1) <= 0.8 for _ in range(200))
    assert all(0 <= backoff_seconds(30, base=1.0, cap=5.0) <= 5.0 for _ in range(200))


def test_backoff_never_sooner_than_retry_after_but_capped_at_a_day():
    assert all(backoff_seconds(1, retry_after=120) >= 120 for _ in range(100))
    assert all(backoff_seconds(1, retry_after=120) == 120 for _ in range(100))  # ceiling 2 s < 120 s
    assert backoff_seconds(1, retry_after=10 * 86400) == MAX_RETRY_AFTER_SECONDS


def test_parse_retry_after_seconds_and_http_dates():
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 7 ", now) == 7.0
    assert parse_retry_after("1.5", now) == 1.5
    assert parse_retry_after("Sun, 01 Mar 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after(format_datetime(now + timedelta(minutes=2), usegmt=True), now) == 120.0
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after(None, now) is None


# Worker outcomes ----------------------------------------------------------------------------------


def test_success_marks_the_job_done(runtime):
    (job_id,) = _jobs(runtime, 1)
    seen = []
    worker = _worker(runtime, {"test.job": lambda factory, job: seen.append((job.id, job.attempts))})
    assert worker.run_once() == 1
    job = _job(runtime, job_id)
    assert seen == [(job_id, 1)]
    assert (job.status, job.attempts, job.last_error, job.locked_until) == (JobStatus.DONE, 1, None, None)
    assert job.finished_at is not None


def test_retry_later_honours_retry_after(runtime):
    (job_id,) = _jobs(runtime, 1)

    def handler(factory, job):
        raise RetryLater("provider answered 429", retry_after=300)

    before = utcnow()
    _worker(runtime, {"test.job": handler}).run_once()
    job = _job(runtime, job_id)
    assert (job.status, job.attempts, job.last_error) == (JobStatus.PENDING, 1, "provider answered 429")
    assert before + timedelta(seconds=300) <= job.run_at <= utcnow() + timedelta(seconds=301)
    assert job.locked_until is None


def test_an_unexpected_error_is_retried_with_backoff_and_kept_for_operators(runtime):
    (job_id,) = _jobs(runtime, 1)

    def handler(factory, job):
        raise ValueError("boom")

    before = utcnow()
    _worker(runtime, {"test.job": handler}, backoff_base=10.0).run_once()
    job = _job(runtime, job_id)
    assert (job.status, job.attempts, job.last_error) == (JobStatus.PENDING, 1, "ValueError: boom")
    assert before <= job.run_at <= utcnow() + timedelta(seconds=20)


def test_permanent_failure_is_dead_at_once_and_runs_the_dead_handler(runtime):
    (job_id,) = _jobs(runtime, 1)
    buried = []

    def handler(factory, job):
        raise PermanentFailure("rejected: unknown recipient")

    worker = _worker(
        runtime,
        {"test.job": handler},
        dead_handlers={"test.job": lambda session, job: buried.append((job.id, job.last_error))},
    )
    worker.run_once()
    job = _job(runtime, job_id)
    assert (job.status, job.attempts, job.last_error) == (JobStatus.DEAD, 1, "rejected: unknown recipient")
    assert buried == [(job_id, "rejected: unknown recipient")]


def test_unknown_kind_is_dead(runtime):
    (job_id,) = _jobs(runtime, 1, kind="nobody.handles")
    _worker(runtime, {}).run_once()
    job = _job(runtime, job_id)
    assert (job.status, job.last_error) == (JobStatus.DEAD, "no handler for job kind 'nobody.handles'")


def test_max_attempts_then_dead_with_the_last_error(runtime):
    (job_id,) = _jobs(runtime, 1, max_attempts=3)
    buried = []
    calls = []

    def handler(factory, job):
        calls.append(job.attempts)
        raise RetryLater(f"try {job.attempts}")

    worker = _worker(
        runtime, {"test.job": handler}, dead_handlers={"test.job": lambda s, j: buried.append(j.last_error)}
    )
    for _ in range(3):
        _make_due(runtime, job_id)
        assert worker.run_once() == 1
    job = _job(runtime, job_id)
    assert calls == [1, 2, 3]
    assert (job.status, job.attempts, job.last_error) == (JobStatus.DEAD, 3, "try 3")
    assert buried == ["try 3"]
    _make_due(runtime, job_id)
    assert worker.run_once() == 0


def test_worker_max_attempts_override_the_row(runtime):
    (job_id,) = _jobs(runtime, 1, max_attempts=10)

    def handler(factory, job):
        raise RetryLater("again")

    worker = _worker(runtime, {"test.job": handler}, max_attempts={"test.job": 2})
    for _ in range(2):
        _make_due(runtime, job_id)
        worker.run_once()
    assert _job(runtime, job_id).status == JobStatus.DEAD


# Leases -------------------------------------------------------------------------------------------


def test_late_finisher_whose_lease_was_taken_over_does_not_overwrite(runtime):
    (job_id,) = _jobs(runtime, 1)
    slow = _worker(runtime, {})
    fast_runs = []
    fast = _worker(runtime, {"test.job": lambda factory, job: fast_runs.append(job.id)})
    with runtime.factory.begin() as session:
        (claimed,) = claim(session, slow.worker_id, limit=1, lease_seconds=60)
        session.expunge(claimed)
    assert slow._start(claimed)  # the slow worker is now running the job...
    _expire_lease(runtime, job_id)  # ...past its lease,
    assert fast.run_once() == 1  # so another worker takes over and finishes it.
    assert fast_runs == [job_id]
    slow._finish(claimed, error="timed out after all")  # the slow one reports a failure late
    slow._finish(claimed, dead=True, error="gave up")
    job = _job(runtime, job_id)
    assert (job.status, job.locked_by, job.last_error, job.attempts) == (
        JobStatus.DONE,
        fast.worker_id,
        None,
        2,
    )


def test_a_worker_that_lost_its_lease_before_starting_does_not_run_the_job(runtime):
    (job_id,) = _jobs(runtime, 1)
    runs = []
    stalled = _worker(runtime, {"test.job": lambda factory, job: runs.append("stalled")})
    other = _worker(runtime, {"test.job": lambda factory, job: runs.append("other")})
    with runtime.factory.begin() as session:
        (claimed,) = claim(session, stalled.worker_id, limit=1, lease_seconds=60)
        session.expunge(claimed)
    _expire_lease(runtime, job_id)
    assert other.run_once() == 1
    stalled.run(claimed)
    assert runs == ["other"]
    assert _job(runtime, job_id).attempts == 1


def test_a_worker_killed_after_claiming_costs_no_attempt(runtime):
    (job_id,) = _jobs(runtime, 1, max_attempts=1)
    with runtime.factory.begin() as session:
        claim(session, "killed-before-starting", limit=1, lease_seconds=60)
    _expire_lease(runtime, job_id)
    runs = []
    _worker(runtime, {"test.job": lambda factory, job: runs.append(job.attempts)}).run_once()
    assert runs == [1]
    assert _job(runtime, job_id).status == JobStatus.DONE


def test_a_job_that_keeps_killing_its_worker_is_given_up(runtime):
    (job_id,) = _jobs(runtime, 1, max_attempts=2)
    buried = []
    for _ in range(2):  # two workers start it and die mid-run (nothing reports back)
        dying = _worker(runtime, {})
        with runtime.factory.begin() as session:
            (claimed,) = claim(session, dying.worker_id, limit=1, lease_seconds=60)
            session.expunge(claimed)
        assert dying._start(claimed)
        _expire_lease(runtime, job_id)
    runs = []
    worker = _worker(
        runtime,
        {"test.job": lambda factory, job: runs.append(job.id)},
        dead_handlers={"test.job": lambda s, j: buried.append(j.id)},
    )
    assert worker.run_once() == 1
    job = _job(runtime, job_id)
    assert runs == []
    assert job.status == JobStatus.DEAD
    assert job.last_error.startswith("gave up after 2 attempts that never finished")
    assert buried == [job_id]


def test_stop_hands_unstarted_jobs_back_at_once(runtime):
    ids = _jobs(runtime, 3)
    stop = threading.Event()
    runs = []

    def handler(factory, job):
        runs.append(job.id)
        stop.set()  # SIGTERM arrives while the first job runs

    worker = _worker(runtime, {"test.job": handler})
    assert worker.run_once(stop) == 3
    assert runs == [ids[0]]
    with runtime.factory() as session:
        rows = {j.id: (j.status, j.locked_by, j.attempts) for j in session.scalars(select(Job))}
    assert rows == {
        ids[0]: (JobStatus.DONE, worker.worker_id, 1),
        ids[1]: (JobStatus.PENDING, None, 0),
        ids[2]: (JobStatus.PENDING, None, 0),
    }


def test_heartbeat_records_the_worker(runtime):
    worker = _worker(runtime, {})
    worker.heartbeat()
    worker.heartbeat()
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(WorkerHeartbeat)) == 1
        assert session.get(WorkerHeartbeat, worker.worker_id) is not None


# Database jobs sharing a transaction ---------------------------------------------------------------


def _note(session, job) -> None:
    """A database-only handler: one row per job, and something announced after the commit."""
    n = job.payload["n"]
    session.add(WorkerHeartbeat(id=f"note-{n}", pid=n, host="test"))
    on_commit(session, lambda: session.info.setdefault("announced", []).append(n))
    session.flush()
    if n == 2:
        raise ValueError("a bug in job 2")
    if n == 3:
        raise PermanentFailure("job 3 can never work")


def test_database_jobs_share_one_commit_and_a_failing_one_is_rolled_back_alone(runtime):
    ids = _jobs(runtime, 5)
    buried, commits, announced = [], [], []
    listen = (runtime.engine, "commit", lambda conn: commits.append(1))
    event.listen(*listen)

    def handler(session, job):
        session.info["announced"] = announced
        _note(session, job)

    worker = _worker(
        runtime,
        {},
        tx_handlers={"test.job": handler},
        tx_budget_seconds=60.0,
        dead_handlers={"test.job": lambda s, j: buried.append(j.id)},
    )
    try:
        assert worker.run_once() == 5
    finally:
        event.remove(*listen)
    assert len(commits) == 2  # the claim (which counted the attempts), then all five jobs
    with runtime.factory() as session:
        notes = sorted(session.scalars(select(WorkerHeartbeat.pid).where(WorkerHeartbeat.host == "test")))
        jobs = {j.id: j for j in session.scalars(select(Job))}
    assert notes == [0, 1, 4]
    assert announced == [0, 1, 4]  # what the rolled-back jobs announced never went out
    assert [(jobs[i].status, jobs[i].attempts) for i in ids] == [
        (JobStatus.DONE, 1),
        (JobStatus.DONE, 1),
        (JobStatus.PENDING, 1),
        (JobStatus.DEAD, 1),
        (JobStatus.DONE, 1),
    ]
    assert jobs[ids[2]].last_error == "ValueError: a bug in job 2"
    assert buried == [ids[3]]


def test_a_database_job_that_started_before_runs_in_a_transaction_of_its_own(runtime):
    """It may be what killed the worker last time: the others must not go down with it again."""
    ids = _jobs(runtime, 3)
    with runtime.factory.begin() as session:  # started by a worker that died, lease run out
        session.execute(update(Job).where(Job.id == ids[1]).values(attempts=1))
    sessions = {}

    def handler(session, job):
        sessions[job.id] = session.info.setdefault("transaction", object())

    assert _worker(runtime, {}, tx_handlers={"test.job": handler}, tx_budget_seconds=60.0).run_once() == 3
    assert sessions[ids[0]] is sessions[ids[2]] is not sessions[ids[1]]
    assert [_job(runtime, i).attempts for i in ids] == [1, 2, 1]


def test_a_worker_killed_inside_a_shared_transaction_leaves_nothing_and_each_job_runs_alone_next(runtime):
    ids = _jobs(runtime, 3, max_attempts=2)

    class Killed(BaseException):
        pass

    def dying(session, job):
        _note(session, job)
        raise Killed  # the process dies: nothing after this runs, the transaction is never committed

    with pytest.raises(Killed):
        _worker(runtime, {}, tx_handlers={"test.job": dying}, tx_budget_seconds=60.0).run_once()
    for job_id in ids:
        _expire_lease(runtime, job_id)
    sessions = {}

    def handler(session, job):
        sessions[job.id] = session.info.setdefault("transaction", object())

    assert _worker(runtime, {}, tx_handlers={"test.job": handler}).run_once() == 3
    assert len({id(t) for t in sessions.values()}) == 3
    assert [(_job(runtime, i).status, _job(runtime, i).attempts) for i in ids] == [(JobStatus.DONE, 2)] * 3
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(WorkerHeartbeat)) == 0
