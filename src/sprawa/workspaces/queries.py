"""Reads of workspace configuration: the active version of a policy."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.workspaces.models import Policy, PolicyKind


def active_policy(session: Session, workspace_id: str, kind: PolicyKind) -> dict[str, Any]:
    """The data of the newest active version of a policy, or {} when the shop has none."""
    data = session.scalars(
        select(Policy.data)
        .where(Policy.workspace_id == workspace_id, Policy.kind == kind, Policy.active.is_(True))
        .order_by(Policy.version.desc())
        .limit(1)
    ).first()
    return data or {}
