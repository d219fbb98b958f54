"""Alembic environment: the URL comes from the caller (``sprawa migrate``), the schema from the models."""

from alembic import context

import sprawa.models  # noqa: F401  (registers every table)
from sprawa.db import Base, make_engine
from sprawa.platform.migrations import dialect_index_directives, engine_metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "sqlalchemy.url must be set by the caller"


def run() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=engine_metadata(Base.metadata, connection.dialect.name),
        process_revision_directives=dialect_index_directives(Base.metadata),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
