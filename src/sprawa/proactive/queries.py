"""Reads of proactive configuration and history, scoped to a workspace."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.proactive.models import ProactiveNotice
from sprawa.proactive.schemas import ProactiveSettings, parse_settings
from sprawa.workspaces.models import PolicyKind, Workspace
from sprawa.workspaces.queries import active_policy


def proactive_settings(session: Session, workspace_id: str) -> ProactiveSettings:
    workspace = session.get(Workspace, workspace_id)
    return parse_settings(((workspace.settings or {}) if workspace else {}).get("proactive"))


def compensation_allowed(session: Session, workspace_id: str) -> bool:
    """The shop's compensation policy lets a free-shipping code be offered without a human."""
    policy = active_policy(session, workspace_id, PolicyKind.COMPENSATION)
    return "free_shipping_code" in (policy.get("kinds") or []) and float(policy.get("max_amount_pln", 0)) > 0


def recent_notices(session: Session, principal: Principal, limit: int = 50) -> list[ProactiveNotice]:
    return list(
        session.scalars(
            select(ProactiveNotice)
            .where(ProactiveNotice.workspace_id == principal.workspace_id)
            .order_by(ProactiveNotice.created_at.desc(), ProactiveNotice.id.desc())
            .limit(limit)
        )
    )


def template_for_message(session: Session, message_id: str) -> tuple[str, list[str]] | None:
    """(template name, parameters) when this outbound message is a proactive notice that must go as a
    pre-approved template (outside the channel's free-text window); None for ordinary text.

    For adapters with ``session_window_hours`` (WhatsApp): ask this when sending a message.
    """
    row = session.execute(
        select(ProactiveNotice.template, ProactiveNotice.template_params).where(
            ProactiveNotice.message_id == message_id, ProactiveNotice.template.is_not(None)
        )
    ).first()
    return (str(row[0]), list(row[1])) if row else None
