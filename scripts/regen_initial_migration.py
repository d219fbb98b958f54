"""Regenerate the initial migration from the models (only while nothing has been released)."""

import tempfile
from pathlib import Path

from alembic import command

from sprawa.platform.migrations import SCRIPTS, alembic_config

for old in (SCRIPTS / "versions").glob("*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    config = alembic_config(f"sqlite:///{Path(tmp) / 'empty.db'}")
    command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
print("regenerated", *(p.name for p in (SCRIPTS / "versions").glob("*.py")))
