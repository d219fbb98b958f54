"""Data shapes of the chat widget's API and of its WebSocket frames."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, field_validator

from sprawa.cases.models import AuthorKind, Direction

MAX_TEXT = 5000
MAX_CLIENT_ID = 64


class SessionIn(BaseModel):
    """What the visitor may tell us up front; e-mail and phone are unverified claims."""

    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    language: str | None = Field(None, pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")

    @field_validator("name", "email", "phone")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        value = " ".join(value.split()) if value else None
        return value or None


class SessionOut(BaseModel):
    visitor_token: str
    visitor_id: str
    channel_name: str
    language: str | None
    greeting: str | None = None


class SendIn(BaseModel):
    """One visitor message; ``client_message_id`` makes a retried send harmless."""

    client_message_id: str = Field(min_length=1, max_length=MAX_CLIENT_ID)
    text: str = Field(min_length=1, max_length=MAX_TEXT)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the message is empty")
        return value


class AckOut(BaseModel):
    """The message is stored: its place in the case (``seq``) and whether it had been stored before."""

    client_message_id: str
    message_id: str
    case_id: str
    seq: int
    duplicate: bool


class VisitorFile(BaseModel):
    """A file of a message in the visitor's conversation; its bytes come from ``GET /widget/v1/files/{id}``
    with the visitor token."""

    id: str
    filename: str
    content_type: str
    size: int


class VisitorMessage(BaseModel):
    """A message as the widget shows it (no internal fields: no notes, no delivery errors, no user ids)."""

    id: str
    seq: int
    direction: Direction
    author: AuthorKind
    text: str
    created_at: datetime
    status: str
    client_message_id: str | None = None
    files: list[VisitorFile] = Field(default_factory=list)


class VisitorCase(BaseModel):
    id: str
    number: int
    status: str


class HistoryOut(BaseModel):
    """The visitor's current conversation after ``after_seq``; ask again with ``last_seq`` for more."""

    case: VisitorCase | None
    messages: list[VisitorMessage]
    last_seq: int
    has_more: bool


# WebSocket frames from the widget ------------------------------------------------------------------


class MessageFrame(SendIn):
    type: Literal["message"]


class TypingFrame(BaseModel):
    type: Literal["typing"]


class PingFrame(BaseModel):
    type: Literal["ping"]


ClientFrame = TypeAdapter[Any](Annotated[MessageFrame | TypingFrame | PingFrame, Field(discriminator="type")])


# Widget set-up, hand-off to a person, files, e-mail -----------------------------------------------


class WidgetConfig(BaseModel):
    """How the widget looks and speaks on the shop's site (from the channel's settings)."""

    channel_name: str
    language: str
    greeting: str | None
    accent_color: str | None
    logo_url: str | None
    open_now: bool
    next_open: datetime | None
    email_capture: bool
    max_file_bytes: int
    file_types: list[str]


class HandoffIn(BaseModel):
    """``client_message_id`` makes a repeated click (or a retry after a drop) harmless."""

    client_message_id: str = Field(min_length=1, max_length=MAX_CLIENT_ID)


class HandoffOut(BaseModel):
    case_id: str
    open_now: bool
    already: bool


class ContactIn(BaseModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
