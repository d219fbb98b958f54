"""Background and operator tasks of the privacy feature: the daily retention job and the commands
``sprawa audit verify``, ``sprawa privacy retention [--dry-run]`` and ``sprawa secrets rotate``."""

import argparse
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.config import Settings
from sprawa.db import utcnow
from sprawa.platform.audit import AuditEntry, verify_chain
from sprawa.platform.crypto import SecretBox
from sprawa.platform.jobs import Job
from sprawa.platform.storage import FileStore
from sprawa.privacy.actions.retention import JOB_KIND, dry_run, run_retention, schedule_retention
from sprawa.workspaces.models import Workspace


def run_retention_job(store: FileStore, factory: sessionmaker[Session], job: Job) -> None:
    """The daily job: every workspace in its own transaction, then the next day's run is queued."""
    with factory.begin() as session:
        workspace_ids = list(session.scalars(select(Workspace.id)))
    for workspace_id in workspace_ids:
        with factory.begin() as session:
            run_retention(session, store, workspace_id)
    with factory.begin() as session:
        schedule_retention(session, utcnow() + timedelta(minutes=1))


def job_handlers(store: FileStore) -> dict[str, Any]:
    return {JOB_KIND: lambda factory, job: run_retention_job(store, factory, job)}


def _workspaces(session: Session, slug: str | None) -> list[Workspace]:
    stmt = select(Workspace).order_by(Workspace.slug)
    if slug:
        stmt = stmt.where(Workspace.slug == slug)
    found = list(session.scalars(stmt))
    if slug and not found:
        raise SystemExit(f"No workspace with the slug {slug!r}.")
    return found


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> None:
    """Recompute every workspace's hash chain; exit 1 naming the first altered entry."""
    from sprawa.runtime import Runtime

    runtime = Runtime.build(settings)
    broken = []
    with runtime.reader() as session:
        for workspace in _workspaces(session, args.workspace):
            count = session.query(AuditEntry).filter(AuditEntry.workspace_id == workspace.id).count()
            bad = verify_chain(session, workspace.id)
            state = "intact" if bad is None else f"ALTERED at entry {bad}"
            print(f"{workspace.slug}: {count} entries, chain {state}")
            if bad is not None:
                broken.append(workspace.slug)
    runtime.close()
    if broken:
        raise SystemExit(f"Audit trail altered in: {', '.join(broken)}")


def cmd_retention(settings: Settings, args: argparse.Namespace) -> None:
    """Run retention now in every workspace (or only count with --dry-run)."""
    from sprawa.runtime import Runtime

    runtime = Runtime.build(settings)
    with runtime.factory.begin() as session:
        workspaces = [(w.id, w.slug) for w in _workspaces(session, args.workspace)]
    for workspace_id, slug in workspaces:
        with runtime.factory.begin() as session:
            if args.dry_run:
                counts = dry_run(session, workspace_id)
            else:
                counts = run_retention(session, runtime.ingest.store, workspace_id)
        print(f"{slug}: {'would delete' if args.dry_run else 'deleted'} {json.dumps(counts)}")
    if not args.dry_run:
        with runtime.factory.begin() as session:
            schedule_retention(session)
    runtime.close()


def rotate_secrets(session: Session, box: SecretBox) -> int:
    """Re-seal every stored secret with the current key; returns how many values were re-sealed."""
    from sprawa.channels.models import Channel

    count = 0
    for channel in session.scalars(select(Channel).where(Channel.credentials_encrypted != "")):
        channel.credentials_encrypted = box.rotate(channel.credentials_encrypted)
        count += 1
    for workspace in session.scalars(select(Workspace)):
        commerce = dict((workspace.settings or {}).get("commerce") or {})
        if isinstance(commerce.get("credentials"), str) and commerce["credentials"]:
            commerce["credentials"] = box.rotate(commerce["credentials"])
            workspace.settings = {**workspace.settings, "commerce": commerce}
            count += 1
    return count


def cmd_rotate(settings: Settings, args: argparse.Namespace) -> None:
    from sprawa.runtime import Runtime

    if not settings.previous_secret_keys:
        print("Note: SPRAWA_PREVIOUS_SECRET_KEYS is empty, so only values sealed with the current key open.")
    runtime = Runtime.build(settings)
    with runtime.factory.begin() as session:
        count = rotate_secrets(session, runtime.ingest.secrets)
    runtime.close()
    print(f"Re-sealed {count} stored secrets with the current SPRAWA_SECRET_KEY.")
    print(
        "Remove the old key from SPRAWA_PREVIOUS_SECRET_KEYS; signed links and sessions of the old key end."
    )


def add_privacy_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = sub.add_parser("audit", help="audit trail tools").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser("verify", help="recompute the audit hash chains and report tampering")
    verify.add_argument("--workspace", help="only this workspace (slug)")
    verify.set_defaults(handler=cmd_audit_verify)

    privacy = sub.add_parser("privacy", help="RODO tools").add_subparsers(
        dest="privacy_command", required=True
    )
    retention = privacy.add_parser("retention", help="delete data past each workspace's retention periods")
    retention.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    retention.add_argument("--workspace", help="only this workspace (slug)")
    retention.set_defaults(handler=cmd_retention)

    secrets = sub.add_parser("secrets", help="secret key tools").add_subparsers(
        dest="secrets_command", required=True
    )
    rotate = secrets.add_parser("rotate", help="re-seal stored credentials with the current secret key")
    rotate.set_defaults(handler=cmd_rotate)


def ensure_retention_scheduled(factory: sessionmaker[Session]) -> None:
    """Called when a worker starts: queue the next daily retention run unless it already is."""
    with factory.begin() as session:
        schedule_retention(session)
