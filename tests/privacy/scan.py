"""Canary scans over everything Sprawa writes: database (files on SQLite, every text column on both
engines), attachment store and log files."""

from pathlib import Path

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from sprawa.db import Base
from sprawa.privacy.actions.erasure import text_columns


def scan_files(paths: list[Path], canaries: list[str]) -> dict[str, list[str]]:
    """{canary: [file, ...]} for every file under ``paths`` (files or directories) holding its bytes."""
    hits: dict[str, list[str]] = {}
    files = [p for path in paths for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file()]
    for file in files:
        data = file.read_bytes()
        for canary in canaries:
            if canary.encode() in data:
                hits.setdefault(canary, []).append(str(file))
    return hits


def scan_tables(session: Session, canaries: list[str]) -> dict[str, dict[str, int]]:
    """{canary: {table: rows}} over every text/JSON column of every table."""
    hits: dict[str, dict[str, int]] = {}
    for table in Base.metadata.sorted_tables:
        columns = text_columns(table)
        if not columns:
            continue
        for canary in canaries:
            match = or_(*[cast(c, Text).contains(canary, autoescape=True) for c in columns])
            count = session.scalar(select(func.count()).select_from(table).where(match)) or 0
            if count:
                hits.setdefault(canary, {})[table.name] = count
    session.rollback()
    return hits
