"""Workspace settings, teams and shop policies (reads for every member, writes for admins)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body

from sprawa.deps import Admin, CurrentPrincipal, DbSession
from sprawa.platform.pagination import DEFAULT_LIMIT
from sprawa.workspaces.models import PolicyKind
from sprawa.workspaces.queries import (
    access_active_policy,
    access_team,
    active_policies,
    current_workspace,
    policy_history,
    team_page,
    teams_out,
    workspace_out,
)
from sprawa.workspaces.schemas import (
    CursorQuery,
    LimitQuery,
    Page,
    PolicyOut,
    TeamIn,
    TeamMemberIn,
    TeamOut,
    TeamPatch,
    WorkspaceOut,
    WorkspacePatch,
    parse_policy,
)
from sprawa.workspaces.service import (
    do_add_team_member,
    do_create_team,
    do_delete_team,
    do_remove_team_member,
    do_set_policy,
    do_update_team,
    do_update_workspace,
)

router = APIRouter(prefix="/api/v1")

# ------------------------------------------------------------------------------------------ workspace


@router.get("/workspace", tags=["workspace"])
def get_workspace(db: DbSession, principal: CurrentPrincipal) -> WorkspaceOut:
    return workspace_out(current_workspace(db, principal))


@router.patch("/workspace", tags=["workspace"])
def update_workspace(body: WorkspacePatch, db: DbSession, admin: Admin) -> WorkspaceOut:
    return workspace_out(do_update_workspace(db, admin, body))


# ---------------------------------------------------------------------------------------------- teams


@router.get("/teams", tags=["teams"])
def list_teams(
    db: DbSession, principal: CurrentPrincipal, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[TeamOut]:
    teams, next_cursor = team_page(db, principal, cursor, limit)
    return Page(items=teams_out(db, teams), next_cursor=next_cursor)


@router.post("/teams", status_code=201, tags=["teams"])
def create_team(body: TeamIn, db: DbSession, admin: Admin) -> TeamOut:
    return teams_out(db, [do_create_team(db, admin, body)])[0]


@router.get("/teams/{team_id}", tags=["teams"])
def get_team(team_id: str, db: DbSession, principal: CurrentPrincipal) -> TeamOut:
    return teams_out(db, [access_team(db, principal, team_id)])[0]


@router.patch("/teams/{team_id}", tags=["teams"])
def update_team(team_id: str, body: TeamPatch, db: DbSession, admin: Admin) -> TeamOut:
    return teams_out(db, [do_update_team(db, admin, team_id, body)])[0]


@router.delete("/teams/{team_id}", status_code=204, tags=["teams"])
def delete_team(team_id: str, db: DbSession, admin: Admin) -> None:
    do_delete_team(db, admin, team_id)


@router.post("/teams/{team_id}/members", tags=["teams"])
def add_team_member(team_id: str, body: TeamMemberIn, db: DbSession, admin: Admin) -> TeamOut:
    return teams_out(db, [do_add_team_member(db, admin, team_id, body.user_id)])[0]


@router.delete("/teams/{team_id}/members/{user_id}", status_code=204, tags=["teams"])
def remove_team_member(team_id: str, user_id: str, db: DbSession, admin: Admin) -> None:
    do_remove_team_member(db, admin, team_id, user_id)


# ------------------------------------------------------------------------------------------- policies


@router.get("/policies", tags=["policies"])
def list_policies(db: DbSession, principal: CurrentPrincipal) -> list[PolicyOut]:
    """The active version of every policy the shop has set (at most one per kind)."""
    return [PolicyOut.model_validate(p) for p in active_policies(db, principal)]


@router.get("/policies/{kind}", tags=["policies"])
def get_policy(kind: PolicyKind, db: DbSession, principal: CurrentPrincipal) -> PolicyOut:
    return PolicyOut.model_validate(access_active_policy(db, principal, kind))


@router.get("/policies/{kind}/history", tags=["policies"])
def list_policy_versions(
    kind: PolicyKind,
    db: DbSession,
    principal: CurrentPrincipal,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[PolicyOut]:
    """Every version of one policy, newest first."""
    rows, next_cursor = policy_history(db, principal, kind, cursor, limit)
    return Page(items=[PolicyOut.model_validate(p) for p in rows], next_cursor=next_cursor)


@router.put("/policies/{kind}", tags=["policies"])
def set_policy(
    kind: PolicyKind, db: DbSession, admin: Admin, body: Annotated[dict[str, Any], Body()]
) -> PolicyOut:
    """Save a new version of the policy; the body's shape depends on ``kind`` (see the error details)."""
    return PolicyOut.model_validate(do_set_policy(db, admin, kind, parse_policy(kind, body)))
