"""Reads the agent workspace needs beyond the features' own: inbox view counts, the workspace's
directory (users, teams, channels by id) and a customer's conversations for the composer.

Everything starts from the features' access chokepoints, so it is scoped by the principal's workspace.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from sprawa.auth.models import User
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case, CaseRead, CaseStatus
from sprawa.cases.queries import CaseFilters, readable_cases
from sprawa.cases.service import OPEN_STATES
from sprawa.channels.models import Channel, ChannelKind, Thread
from sprawa.channels.queries import readable_channels
from sprawa.workspaces.models import Team
from sprawa.workspaces.queries import readable_teams

OPEN = tuple(s for s in CaseStatus if s in OPEN_STATES)
PENDING = (CaseStatus.PENDING_CUSTOMER, CaseStatus.PENDING_INTERNAL)


@dataclass(frozen=True)
class InboxView:
    """A named slice of the open cases (the left column of the inbox)."""

    key: str
    label: str  # Polish; translated in the template
    filters: CaseFilters


VIEWS = [
    InboxView("mine", "Moje", CaseFilters(status=OPEN, assignee="me")),
    InboxView("unassigned", "Nieprzypisane", CaseFilters(status=OPEN, assignee="none")),
    InboxView("escalated", "Eskalowane przez AI", CaseFilters(status=OPEN, escalated=True)),
    InboxView("pending", "Oczekujące", CaseFilters(status=PENDING)),
    InboxView("open", "Wszystkie otwarte", CaseFilters(status=OPEN)),
    InboxView("resolved", "Rozwiązane", CaseFilters(status=(CaseStatus.RESOLVED,))),
]
VIEW_BY_KEY = {view.key: view for view in VIEWS}


@dataclass
class Directory:
    """Names of the workspace's users, teams and channels, for showing ids as people and places."""

    users: dict[str, str] = field(default_factory=dict)
    active_users: list[tuple[str, str]] = field(default_factory=list)
    teams: dict[str, str] = field(default_factory=dict)
    channels: dict[str, tuple[str, ChannelKind]] = field(default_factory=dict)


def directory(session: Session, principal: Principal) -> Directory:
    found = Directory()
    users = session.execute(
        select(User.id, User.name, User.active)
        .where(User.workspace_id == principal.workspace_id)
        .order_by(User.name)
    ).all()
    found.users = {row.id: row.name for row in users}
    found.active_users = [(row.id, row.name) for row in users if row.active]
    found.teams = {
        team.id: team.name for team in session.scalars(readable_teams(principal).order_by(Team.name))
    }
    found.channels = {
        ch.id: (ch.name, ch.kind)
        for ch in session.scalars(readable_channels(principal).order_by(Channel.name))
    }
    return found


@dataclass
class InboxCounts:
    views: dict[str, int]
    unread: dict[str, int]
    channels: dict[str, int]
    teams: dict[str, int]


def inbox_counts(session: Session, principal: Principal) -> InboxCounts:
    """Open cases per view, per channel and per team from one grouped pass over the open range of the
    workspace (the groups are few: statuses × flags × channels × teams). Resolved cases are not
    counted: they pile up over the years and nobody works from their number."""
    mine = (Case.assignee_id == principal.user_id) if principal.user_id else false()
    # Unread for this agent: a customer message newer than the agent's read mark (see CaseRead).
    read = aliased(CaseRead)
    unread = and_(
        Case.last_inbound_at.is_not(None),
        or_(read.seen_inbound_at.is_(None), Case.last_inbound_at > read.seen_inbound_at),
    )
    query = (
        readable_cases(principal)
        .with_only_columns(
            Case.status,
            Case.assignee_id.is_(None).label("unassigned"),
            mine.label("mine"),
            Case.escalated,
            Case.channel_id,
            Case.team_id,
            func.count().label("n"),
            func.sum(case((unread if principal.user_id else false(), 1), else_=0)).label("unread"),
        )
        .outerjoin(read, and_(read.case_id == Case.id, read.user_id == (principal.user_id or "")))
    )
    rows = session.execute(
        query.where(Case.status.in_(OPEN)).group_by(
            Case.status, "unassigned", "mine", Case.escalated, Case.channel_id, Case.team_id
        )
    ).all()
    views = dict.fromkeys(("open", "unassigned", "mine", "escalated", "pending"), 0)
    unread_views = dict.fromkeys(views, 0)
    channels: dict[str, int] = defaultdict(int)
    teams: dict[str, int] = defaultdict(int)
    for row in rows:
        for key, member in (
            ("open", True),
            ("unassigned", row.unassigned),
            ("mine", row.mine),
            ("escalated", row.escalated),
            ("pending", row.status in PENDING),
        ):
            if member:
                views[key] += row.n
                unread_views[key] += row.unread or 0
        if row.channel_id:
            channels[row.channel_id] += row.n
        if row.team_id:
            teams[row.team_id] += row.n
    return InboxCounts(views=views, unread=unread_views, channels=dict(channels), teams=dict(teams))


@dataclass(frozen=True)
class Conversation:
    """A channel conversation of the case's customer that the composer may answer on."""

    thread_id: str
    channel_id: str
    channel_name: str
    channel_kind: ChannelKind
    subject: str | None


def customer_conversations(session: Session, principal: Principal, customer_id: str) -> list[Conversation]:
    """The customer's threads on active channels, most recent first (the reply's channel picker)."""
    rows = session.execute(
        select(Thread.id, Thread.channel_id, Thread.subject, Channel.name, Channel.kind)
        .join(Channel, Channel.id == Thread.channel_id)
        .where(
            Thread.workspace_id == principal.workspace_id,
            Thread.customer_id == customer_id,
            Channel.active.is_(True),
        )
        .order_by(Thread.last_message_at.desc())
        .limit(20)
    ).all()
    return [
        Conversation(
            thread_id=r.id,
            channel_id=r.channel_id,
            channel_name=r.name,
            channel_kind=r.kind,
            subject=r.subject,
        )
        for r in rows
    ]
