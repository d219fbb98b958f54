"""Shapes of canned replies and of a reply filled in for a case."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from sprawa.workspaces.schemas import Patch, Strict

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class MacroIn(Strict):
    title: Title
    body: Body


class MacroPatch(Patch):
    title: Title | None = None
    body: Body | None = None


class MacroOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    body: str
    created_at: datetime
    updated_at: datetime


class FilledMacro(BaseModel):
    """The macro's text for one case; ``missing`` names the variables the case has no value for."""

    text: str
    missing: list[str]
