"""Write the next Alembic migration: the difference between the models and the schema the existing
migrations build (on a scratch SQLite database). Usage: ``python scripts/new_migration.py "what changed"``.

Review the result: a NOT NULL column added to a table with rows needs a ``server_default``.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from sprawa.platform.migrations import alembic_config

message = " ".join(sys.argv[1:]) or "schema change"
with tempfile.TemporaryDirectory() as tmp:
    config = alembic_config(f"sqlite:///{Path(tmp) / 'scratch.db'}")
    head = ScriptDirectory.from_config(config).get_current_head()
    command.upgrade(config, "head")
    rev_id = f"{int(head or 0) + 1:04d}"
    script = command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
print("written", Path(script.path).name if script else "nothing")  # type: ignore[union-attr]
