"""The access/portability answer (RODO art. 15 and 20): everything about one person as JSON + their files.

The archive is generic over the schema: every row of every table that names one of the person's customer
records, cases, messages or notes is included, so data added by any feature is exported without a change
here. Secrets (password and token digests, sealed credentials) never are.
"""

import io
import json
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from sprawa.customers.models import Customer
from sprawa.db import Base, utcnow
from sprawa.platform.audit import AuditEntry
from sprawa.platform.storage import FileStore
from sprawa.privacy.actions.scope import SECRET_COLUMNS, SubjectScope, subject_scope

FORMAT_VERSION = 1
_UNSAFE_NAME = re.compile(r"[^\w.\-]+")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _rows(session: Session, table: Table, *conditions: Any) -> list[dict[str, Any]]:
    if not conditions:
        return []
    columns = [c for c in table.c if c.name not in SECRET_COLUMNS]
    order = [table.c.id] if "id" in table.c else []
    result = session.execute(select(*columns).where(or_(*conditions)).order_by(*order))
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in result]


def _conditions(table: Table, scope: SubjectScope) -> list[Any]:
    found = []
    for column, ids in (
        ("customer_id", scope.customer_ids),
        ("case_id", scope.case_ids),
        ("message_id", scope.message_ids),
        ("note_id", scope.note_ids),
    ):
        if column in table.c and ids:
            found.append(table.c[column].in_(ids))
    if table.name == "customers":
        found.append(table.c.id.in_(scope.customer_ids))
    if table.name == "cases":
        found.append(table.c.id.in_(scope.case_ids))
    return found


def collect(session: Session, customer: Customer) -> dict[str, Any]:
    """The export document: every table's rows about the person, and audit entries about them."""
    scope = subject_scope(session, customer)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name == AuditEntry.__tablename__:
            continue
        rows = _rows(session, table, *_conditions(table, scope))
        if rows:
            tables[table.name] = rows
    audit_table: Table = AuditEntry.__table__  # type: ignore[assignment]
    subjects = scope.customer_ids + scope.case_ids
    audit = _rows(
        session,
        audit_table,
        (audit_table.c.workspace_id == customer.workspace_id) & audit_table.c.subject_id.in_(subjects),
    )
    return {
        "format": "sprawa.data-subject-export",
        "version": FORMAT_VERSION,
        "generated_at": utcnow().isoformat(),
        "workspace_id": customer.workspace_id,
        "customer_id": customer.id,
        "tables": tables,
        "audit_entries": audit,
        "files": [],
    }


def build_archive(session: Session, store: FileStore, customer: Customer) -> tuple[bytes, dict[str, Any]]:
    """A ZIP with ``data.json`` and the person's attachments under ``files/``; also the document itself."""
    document = collect(session, customer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for attachment in document["tables"].get("attachments", []):
            name = f"files/{attachment['id']}-{_UNSAFE_NAME.sub('_', attachment['filename'])[:100]}"
            path = store.path(attachment["storage_key"])
            if path.exists():
                archive.write(path, name)
                document["files"].append({"attachment_id": attachment["id"], "path": name})
        archive.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=1, default=str))
        archive.writestr("README.txt", README)
    return buffer.getvalue(), document


README = """Eksport danych osobowych (RODO art. 15 i 20) / Personal data export (GDPR art. 15 and 20)

data.json  - wszystkie zapisy o osobie, tabela po tabeli (JSON) / every record about the person, per table
files/     - załączniki z wiadomości / attachments of the messages
audit_entries w data.json - kto i kiedy odczytał lub zmienił dane / who read or changed the data and when
"""
