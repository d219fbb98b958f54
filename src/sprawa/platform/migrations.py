"""Run Alembic from code (no alembic.ini): ``sprawa migrate`` and the tests use the same path."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import renderers
from alembic.autogenerate.render import render_op
from alembic.config import Config
from alembic.operations import ops
from sqlalchemy import Index, MetaData

SCRIPTS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


# --- Indexes that exist on one engine only --------------------------------------------------------
# A model declares e.g. a PostgreSQL GIN index as ``Index(...).ddl_if(dialect="postgresql")``.
# SQLAlchemy honours that in ``create_all``; Alembic does not: it would compare the index against
# SQLite (warning that it cannot) and write it unguarded into a migration generated on SQLite. So the
# migration environment compares against the metadata as the connected engine sees it, and generated
# migrations create such indexes behind an ``if`` on the engine.


def only_dialect(index: Index) -> str | None:
    """The engine an index is limited to by ``ddl_if(dialect=...)``, or None."""
    condition = getattr(index, "_ddl_if", None)  # set by Index.ddl_if(); SQLAlchemy has no public getter
    dialect = getattr(condition, "dialect", None)
    return dialect if isinstance(dialect, str) else None


def engine_metadata(metadata: MetaData, dialect_name: str) -> MetaData:
    """``metadata`` without the indexes meant for other engines (a copy only when there are any)."""
    foreign = {
        (table.name, index.name)
        for table in metadata.sorted_tables
        for index in table.indexes
        if only_dialect(index) not in (None, dialect_name)
    }
    if not foreign:
        return metadata
    copy = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        copied = table.to_metadata(copy)
        for index in list(copied.indexes):
            if (table.name, index.name) in foreign:
                copied.indexes.discard(index)
    return copy


class DialectOnlyOp(ops.MigrateOperation):
    """A migration operation that runs on one engine only."""

    def __init__(self, dialect: str, inner: ops.MigrateOperation) -> None:
        self.dialect = dialect
        self.inner = inner

    def reverse(self) -> "DialectOnlyOp":
        return DialectOnlyOp(self.dialect, self.inner.reverse())


@renderers.dispatch_for(DialectOnlyOp)
def _render_dialect_only(context: Any, op: DialectOnlyOp) -> list[str]:
    return [f"if op.get_bind().dialect.name == {op.dialect!r}:", *render_op(context, op.inner), ""]


def dialect_index_directives(metadata: MetaData) -> Callable[..., None]:
    """An Alembic ``process_revision_directives``: engine-specific indexes of new tables, guarded.

    Indexes added later to an existing table need a hand-written guarded step.
    """
    limited = {
        index.name: (table.name, index, dialect)
        for table in metadata.sorted_tables
        for index in table.indexes
        if (dialect := only_dialect(index))
    }

    def guard(op: Any) -> Any:
        if isinstance(op, ops.ModifyTableOps):
            op.ops = [guard(inner) for inner in op.ops]
        elif isinstance(op, ops.CreateIndexOp | ops.DropIndexOp) and op.index_name in limited:
            return DialectOnlyOp(limited[op.index_name][2], op)
        return op

    def process(context: Any, revision: Any, directives: list[Any]) -> None:
        script = directives[0]
        upgrade_ops, downgrade_ops = script.upgrade_ops, script.downgrade_ops
        upgrade_ops.ops = [guard(op) for op in upgrade_ops.ops]
        downgrade_ops.ops = [guard(op) for op in downgrade_ops.ops]
        created = {op.table_name for op in upgrade_ops.ops if isinstance(op, ops.CreateTableOp)}
        guarded = {op.inner.index_name for op in upgrade_ops.ops if isinstance(op, DialectOnlyOp)}
        for name, (table_name, index, dialect) in limited.items():
            if table_name in created and name not in guarded:
                upgrade_ops.ops.append(DialectOnlyOp(dialect, ops.CreateIndexOp.from_index(index)))
                downgrade_ops.ops.insert(0, DialectOnlyOp(dialect, ops.DropIndexOp.from_index(index)))

    return process
