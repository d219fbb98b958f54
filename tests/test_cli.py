"""The command line refuses settings that cannot work, with a clear message."""

import logging

import pytest

from sprawa.cli import main


def test_several_server_processes_need_the_postgres_event_bus(monkeypatch, tmp_path):
    monkeypatch.setenv("SPRAWA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SPRAWA_WEB_CONCURRENCY", "2")
    monkeypatch.delenv("SPRAWA_DATABASE_URL", raising=False)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # main() installs its JSON handler
    monkeypatch.setattr(root, "level", root.level)
    with pytest.raises(SystemExit, match="needs PostgreSQL"):
        main(["serve"])
