"""The models and the migrations describe the same schema, and migrations are reversible."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sprawa.db import Base
from sprawa.platform.migrations import downgrade, engine_metadata, upgrade


def test_models_match_migrations(runtime):
    with runtime.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, engine_metadata(Base.metadata, conn.dialect.name))
    assert diff == [], f"models and migrations disagree: {diff}"


def test_migrations_downgrade_and_upgrade(settings, runtime):
    runtime.engine.dispose()
    downgrade(settings.resolved_database_url, "base")
    upgrade(settings.resolved_database_url)
    with runtime.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() is not None
