"""Writes on workspace configuration: settings, teams and their members, new policy versions.

Every change is audited and announced to the workspace's agents after commit.
"""

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from sprawa.auth.models import TeamMember
from sprawa.auth.queries import access_user
from sprawa.auth.schemas import Principal
from sprawa.platform.audit import append_audit_by
from sprawa.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from sprawa.platform.events import Event, emit
from sprawa.workspaces.models import Policy, PolicyKind, Team, Workspace
from sprawa.workspaces.queries import access_team, current_workspace, readable_teams
from sprawa.workspaces.schemas import EscalationPolicy, Strict, TeamIn, TeamPatch, WorkspacePatch


def check_admin(actor: Principal) -> None:
    """Only owners and admins write configuration (the API checks first; this holds for every caller)."""
    if not actor.is_admin:
        raise Forbidden("only owners and admins may do this", code="admin_only")


# ------------------------------------------------------------------------------------------ workspace


def do_update_workspace(session: Session, actor: Principal, patch: WorkspacePatch) -> Workspace:
    check_admin(actor)
    workspace = current_workspace(session, actor)
    sent = patch.changes()
    languages = sent.get("languages", workspace.languages)
    default_language = sent.get("default_language", workspace.default_language)
    if default_language not in languages:
        raise InvalidInput(
            f"the default language {default_language} must be one of the workspace's languages",
            code="default_language_not_enabled",
        )
    settings = dict(workspace.settings or {})
    before = {
        "name": workspace.name,
        "timezone": workspace.timezone,
        "languages": list(workspace.languages),
        "default_language": workspace.default_language,
        "order_number_pattern": settings.get("order_number_pattern"),
        "link_window_minutes": settings.get("link_window_minutes"),
    }
    changes = {k: {"from": before[k], "to": v} for k, v in sent.items() if before[k] != v}
    if not changes:
        return workspace
    for key in ("name", "timezone", "languages", "default_language"):
        if key in changes:
            setattr(workspace, key, sent[key])
    for key in ("order_number_pattern", "link_window_minutes"):
        if key in changes:
            if sent[key] is None:
                settings.pop(key, None)
            else:
                settings[key] = sent[key]
    # A new dict, so that the JSON column is seen as changed.
    workspace.settings = settings
    append_audit_by(session, actor, "workspace.updated", "workspace", workspace.id, changes=changes)
    emit(session, Event("workspace.updated", workspace.id, {"changed": sorted(changes)}))
    return workspace


# ---------------------------------------------------------------------------------------------- teams


def _check_team_name_free(session: Session, actor: Principal, name: str, team_id: str | None = None) -> None:
    stmt = readable_teams(actor).where(func.lower(Team.name) == name.lower())
    if team_id:
        stmt = stmt.where(Team.id != team_id)
    if session.scalars(stmt.limit(1)).first() is not None:
        raise Conflict(f"a team named {name!r} already exists", code="team_name_taken")


def _emit_team(session: Session, kind: str, team: Team) -> None:
    emit(session, Event(kind, team.workspace_id, {"id": team.id, "name": team.name}))


def do_create_team(session: Session, actor: Principal, body: TeamIn) -> Team:
    check_admin(actor)
    _check_team_name_free(session, actor, body.name)
    team = Team(workspace_id=actor.workspace_id, name=body.name, skills=list(body.skills))
    session.add(team)
    session.flush()
    append_audit_by(session, actor, "team.created", "team", team.id, name=team.name, skills=team.skills)
    _emit_team(session, "team.created", team)
    return team


def do_update_team(session: Session, actor: Principal, team_id: str, patch: TeamPatch) -> Team:
    check_admin(actor)
    team = access_team(session, actor, team_id, for_update=True)
    sent = patch.changes()
    if "name" in sent and sent["name"] != team.name:
        _check_team_name_free(session, actor, sent["name"], team.id)
    before = {"name": team.name, "skills": list(team.skills)}
    changes = {k: {"from": before[k], "to": list(v) if k == "skills" else v} for k, v in sent.items()}
    changes = {k: c for k, c in changes.items() if c["from"] != c["to"]}
    if not changes:
        return team
    if "name" in changes:
        team.name = sent["name"]
    if "skills" in changes:
        team.skills = list(sent["skills"])
    append_audit_by(session, actor, "team.updated", "team", team.id, changes=changes)
    _emit_team(session, "team.updated", team)
    return team


def do_delete_team(session: Session, actor: Principal, team_id: str) -> None:
    """Remove a team; its cases keep their assignee and lose only the team (ON DELETE SET NULL)."""
    check_admin(actor)
    team = access_team(session, actor, team_id, for_update=True)
    append_audit_by(session, actor, "team.deleted", "team", team.id, name=team.name)
    _emit_team(session, "team.deleted", team)
    session.delete(team)
    session.flush()


def do_add_team_member(session: Session, actor: Principal, team_id: str, user_id: str) -> Team:
    """Add a user of the same workspace to a team; adding a member again changes nothing."""
    check_admin(actor)
    team = access_team(session, actor, team_id, for_update=True)
    user = access_user(session, actor, user_id)
    exists = session.scalars(
        select(TeamMember.id).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id)
    ).first()
    if exists is None:
        session.add(TeamMember(team_id=team.id, user_id=user.id))
        session.flush()
        append_audit_by(session, actor, "team.member_added", "team", team.id, user_id=user.id)
        _emit_team(session, "team.updated", team)
    return team


def do_remove_team_member(session: Session, actor: Principal, team_id: str, user_id: str) -> None:
    check_admin(actor)
    team = access_team(session, actor, team_id, for_update=True)
    removed = session.execute(
        delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user_id)
    ).rowcount
    if not removed:
        raise NotFound("this user is not a member of the team")
    append_audit_by(session, actor, "team.member_removed", "team", team.id, user_id=user_id)
    _emit_team(session, "team.updated", team)


# ------------------------------------------------------------------------------------------- policies


def _check_policy_refs(session: Session, actor: Principal, policy: Strict) -> None:
    """Ids inside a policy must point into the same workspace (escalation routes to its own teams)."""
    if not isinstance(policy, EscalationPolicy):
        return
    wanted = {r.team_id for r in policy.rules if r.team_id}
    if not wanted:
        return
    found = set(
        session.scalars(
            select(Team.id).where(Team.id.in_(wanted)).where(Team.workspace_id == actor.workspace_id)
        )
    )
    missing = sorted(wanted - found)
    if missing:
        raise InvalidInput(
            "escalation rules name teams that do not exist",
            code="unknown_team",
            details=[{"field": "rules.team_id", "problem": f"unknown team {t}"} for t in missing],
        )


def do_set_policy(session: Session, actor: Principal, kind: PolicyKind, policy: Strict) -> Policy:
    """Store ``policy`` as the new version of ``kind``; older versions stay (inactive) for the audit."""
    check_admin(actor)
    _check_policy_refs(session, actor, policy)
    # Serialise writers of this workspace's policies, so two saves cannot take the same version.
    session.execute(select(Workspace.id).where(Workspace.id == actor.workspace_id).with_for_update())
    previous = session.scalar(
        select(func.max(Policy.version)).where(Policy.workspace_id == actor.workspace_id, Policy.kind == kind)
    )
    session.execute(
        update(Policy)
        .where(Policy.workspace_id == actor.workspace_id, Policy.kind == kind, Policy.active.is_(True))
        .values(active=False)
    )
    row = Policy(
        workspace_id=actor.workspace_id,
        kind=kind,
        version=(previous or 0) + 1,
        data=policy.model_dump(mode="json"),
        active=True,
        created_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    append_audit_by(
        session,
        actor,
        "policy.updated",
        "policy",
        row.id,
        kind=str(kind),
        version=row.version,
        previous_version=previous,
        data=row.data,
    )
    emit(session, Event("policy.updated", actor.workspace_id, {"kind": str(kind), "version": row.version}))
    return row
