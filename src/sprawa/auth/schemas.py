"""Who is acting (the principal every service call and access chokepoint receives); users and tokens."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sprawa.auth.models import Role
from sprawa.cases.models import AuthorKind
from sprawa.workspaces.schemas import Language, Name, Patch, Strict


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


# ------------------------------------------------------------------------------- users and API tokens

EmailAddress = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=200)]


class UserCreate(Strict):
    email: EmailAddress
    name: Name
    password: Password
    role: Role = Role.AGENT
    language: Language = "pl"


class UserPatch(Patch):
    name: Name | None = None
    role: Role | None = None
    active: bool | None = None
    language: Language | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    language: str
    active: bool
    created_at: datetime
    team_ids: list[str] = Field(default_factory=list)


class ApiTokenOut(BaseModel):
    """A token as admins see it: never the secret, which was shown once when it was created."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    user_id: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
