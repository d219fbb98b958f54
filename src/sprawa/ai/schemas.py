"""Request and response shapes of the AI endpoints."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from sprawa.ai.models import FlagKind
from sprawa.workspaces.schemas import Strict


class ActionIn(Strict):
    """Arguments of one action (see ``ai.actions.base``); ``confirm`` false only previews the policy check."""

    args: dict[str, Any] = Field(default_factory=dict)
    confirm: bool = False


class ActionOut(BaseModel):
    action: str
    status: Literal["done", "preview", "denied", "needs_approval"]
    check: dict[str, Any]
    data: dict[str, Any]
    message_pl: str
    message_en: str


class FlagIn(Strict):
    kind: FlagKind
    comment: str = Field("", max_length=2000)


class FlagOut(BaseModel):
    id: str
    decision_id: str
    kind: FlagKind
    comment: str


class ModeIn(Strict):
    mode: Literal["active", "stopped"]
