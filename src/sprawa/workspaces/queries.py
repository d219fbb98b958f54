"""Reads of workspace configuration, scoped to the principal's workspace: settings, teams, policies.

``keyset_page`` is how the admin lists page: by id (ids sort by creation time), reading ``limit + 1``
rows to know whether another page follows, with the opaque cursors of ``platform.pagination``.
"""

from collections import defaultdict
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sprawa.auth.models import TeamMember
from sprawa.auth.schemas import Principal
from sprawa.db import Base
from sprawa.platform.access import fetch_one_or_not_found, select_in_workspace
from sprawa.platform.errors import NotFound
from sprawa.platform.pagination import cursor_int, cursor_str, decode_cursor, encode_cursor
from sprawa.workspaces.models import Policy, PolicyKind, Team, Workspace
from sprawa.workspaces.schemas import (
    DEFAULT_LINK_WINDOW_MINUTES,
    POLICY_MODELS,
    Strict,
    TeamOut,
    WorkspaceOut,
)

Row = TypeVar("Row", bound=Base)


def keyset_page(
    session: Session, stmt: Select[tuple[Row]], model: type[Row], cursor: str | None, limit: int
) -> tuple[list[Row], str | None]:
    """Rows of ``model`` after ``cursor`` in id order, and the next page's cursor (None on the last)."""
    kind = f"{model.__tablename__}.id"
    if cursor:
        [after] = decode_cursor(cursor, kind, 1)
        stmt = stmt.where(model.id > cursor_str(after, 26))
    rows = list(session.scalars(stmt.order_by(model.id).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(kind, rows[-1].id)
    return rows, None


# ------------------------------------------------------------------------------------------ workspace


def current_workspace(session: Session, principal: Principal) -> Workspace:
    """The principal's own workspace (the only one it can ever read or change)."""
    workspace = session.get(Workspace, principal.workspace_id)
    if workspace is None:
        raise NotFound("workspace not found")
    return workspace


def workspace_out(workspace: Workspace) -> WorkspaceOut:
    settings = workspace.settings or {}
    return WorkspaceOut(
        id=workspace.id,
        slug=workspace.slug,
        name=workspace.name,
        timezone=workspace.timezone,
        languages=list(workspace.languages),
        default_language=workspace.default_language,
        order_number_pattern=settings.get("order_number_pattern"),
        link_window_minutes=int(settings.get("link_window_minutes", DEFAULT_LINK_WINDOW_MINUTES)),
        created_at=workspace.created_at,
    )


# ---------------------------------------------------------------------------------------------- teams


def readable_teams(principal: Principal) -> Select[tuple[Team]]:
    return select_in_workspace(Team, principal.workspace_id)


def team_page(
    session: Session, principal: Principal, cursor: str | None, limit: int
) -> tuple[list[Team], str | None]:
    return keyset_page(session, readable_teams(principal), Team, cursor, limit)


def access_team(session: Session, principal: Principal, team_id: str, *, for_update: bool = False) -> Team:
    """The team if it belongs to the principal's workspace; another workspace's id is simply not found."""
    stmt = readable_teams(principal).where(Team.id == team_id)
    return fetch_one_or_not_found(session, stmt, "team not found", for_update=for_update)


def teams_out(session: Session, teams: list[Team]) -> list[TeamOut]:
    members = team_member_ids(session, [t.id for t in teams])
    return [
        TeamOut(
            id=t.id, name=t.name, skills=list(t.skills), member_ids=members[t.id], created_at=t.created_at
        )
        for t in teams
    ]


def team_member_ids(session: Session, team_ids: list[str]) -> dict[str, list[str]]:
    """Member user ids of each team, in one query."""
    members: dict[str, list[str]] = defaultdict(list)
    if team_ids:
        rows = session.execute(
            select(TeamMember.team_id, TeamMember.user_id)
            .where(TeamMember.team_id.in_(team_ids))
            .order_by(TeamMember.id)
        )
        for team_id, user_id in rows:
            members[team_id].append(user_id)
    return members


# ------------------------------------------------------------------------------------------- policies


def active_policy(session: Session, workspace_id: str, kind: PolicyKind) -> dict[str, Any]:
    """The data of the newest active version of a policy, or {} when the shop has none."""
    data = session.scalars(
        select(Policy.data)
        .where(Policy.workspace_id == workspace_id, Policy.kind == kind, Policy.active.is_(True))
        .order_by(Policy.version.desc())
        .limit(1)
    ).first()
    return data or {}


def typed_policy(session: Session, workspace_id: str, kind: PolicyKind) -> Strict:
    """The active policy as its typed model, with the defaults when the shop has set none."""
    return POLICY_MODELS[kind].model_validate(active_policy(session, workspace_id, kind))


def readable_policies(principal: Principal) -> Select[tuple[Policy]]:
    return select(Policy).where(Policy.workspace_id == principal.workspace_id)


def active_policies(session: Session, principal: Principal) -> list[Policy]:
    """The newest active version of every kind the shop has set (at most one row per kind)."""
    rows = session.scalars(
        readable_policies(principal)
        .where(Policy.active.is_(True))
        .order_by(Policy.kind, Policy.version.desc())
    )
    newest: dict[str, Policy] = {}
    for row in rows:
        newest.setdefault(row.kind, row)
    return list(newest.values())


def access_active_policy(session: Session, principal: Principal, kind: PolicyKind) -> Policy:
    policy = session.scalars(
        readable_policies(principal)
        .where(Policy.kind == kind, Policy.active.is_(True))
        .order_by(Policy.version.desc())
        .limit(1)
    ).first()
    if policy is None:
        raise NotFound(f"the shop has no {kind} policy yet", code="no_policy")
    return policy


def policy_history(
    session: Session, principal: Principal, kind: PolicyKind, cursor: str | None, limit: int
) -> tuple[list[Policy], str | None]:
    """Versions of one policy, newest first; the cursor holds the last version shown."""
    cursor_kind = f"policies.{kind}.version"
    stmt = readable_policies(principal).where(Policy.kind == kind)
    if cursor:
        [before] = decode_cursor(cursor, cursor_kind, 1)
        stmt = stmt.where(Policy.version < cursor_int(before))
    rows = list(session.scalars(stmt.order_by(Policy.version.desc()).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(cursor_kind, rows[-1].version)
    return rows, None


def link_window(session: Session, workspace_id: str) -> timedelta:
    """How long after its last message a resolved case still takes the customer's next message back."""
    settings = session.scalar(select(Workspace.settings).where(Workspace.id == workspace_id)) or {}
    return timedelta(minutes=int(settings.get("link_window_minutes", DEFAULT_LINK_WINDOW_MINUTES)))
