"""Who is acting: the principal every service call and access chokepoint receives."""

from dataclasses import dataclass, field

from sprawa.auth.models import Role
from sprawa.cases.models import AuthorKind


@dataclass(frozen=True)
class Principal:
    """An authenticated actor inside exactly one workspace."""

    workspace_id: str
    role: Role
    user_id: str | None = None
    name: str | None = None
    team_ids: frozenset[str] = field(default_factory=frozenset)
    kind: AuthorKind = AuthorKind.AGENT

    @property
    def can_write(self) -> bool:
        return self.role != Role.VIEWER

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)

    @classmethod
    def system(cls, workspace_id: str, kind: AuthorKind = AuthorKind.SYSTEM) -> "Principal":
        return cls(workspace_id=workspace_id, role=Role.ADMIN, kind=kind, name="Sprawa")
