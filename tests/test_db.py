"""Engine conventions: UTC timestamps everywhere, readers that never queue behind a writer on SQLite."""

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from sprawa.workspaces.models import Workspace


def test_timestamps_come_back_as_aware_utc(db):
    ws = Workspace(
        slug="utc", name="UTC", created_at=datetime(2026, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    )
    db.add(ws)
    db.commit()
    db.expire_all()
    assert db.scalar(select(Workspace.created_at)) == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused(db):
    db.add(Workspace(slug="naive", name="Naive", created_at=datetime(2026, 5, 1, 12, 0)))  # noqa: DTZ001
    with pytest.raises(Exception, match="naive datetime"):
        db.commit()
    db.rollback()


def test_a_reader_does_not_wait_for_a_writer(runtime, workspace):
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking")
    with runtime.factory() as writer, writer.begin():
        writer.execute(text("UPDATE workspaces SET name = 'w' WHERE id = :id"), {"id": workspace.id})
        started = time.monotonic()
        with runtime.reader() as reader, reader.begin():
            assert (
                reader.scalar(select(Workspace.name).where(Workspace.id == workspace.id)) == "Sklep testowy"
            )
        assert time.monotonic() - started < 1.0
