"""Data shapes of the form / HTTP API channel: the inbound webhook body and its answer."""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sprawa.customers.models import IdentityKind
from sprawa.customers.service import normalise_identity
from sprawa.platform.errors import InvalidInput

# The webhook refuses larger bodies before reading them whole (413).
MAX_BODY_BYTES = 256 * 1024


class FormMessageIn(BaseModel):
    """One message posted by the shop's contact form or own system.

    ``id`` is the sender's own message id: posting the same id again is acknowledged, not stored twice.
    ``verified`` (the shop vouches for the e-mail) is honoured only on channels that require signatures.
    """

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=255)
    email: str = Field(min_length=3, max_length=254)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    subject: str | None = Field(default=None, max_length=500)
    text: str = Field(min_length=1, max_length=50_000)
    thread_id: str | None = Field(default=None, min_length=1, max_length=255)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2})?$")
    verified: bool = False

    @field_validator("id", "thread_id")
    @classmethod
    def _no_blank_ids(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("text")
    @classmethod
    def _has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _identity(IdentityKind.EMAIL, value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return _identity(IdentityKind.PHONE, value)


def _identity(kind: IdentityKind, value: str) -> str:
    # Validated here so that a message the worker could never store is refused at the door (422).
    try:
        normalise_identity(kind, value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc
    return value


class InboundAccepted(BaseModel):
    """The webhook's answer: the stored event, and whether it had been stored before."""

    event_id: str
    duplicate: bool


class ContactFormIn(BaseModel):
    """Fields of the HTML contact form; ``website`` is the hidden honeypot people never fill in."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    email: str = Field(min_length=3, max_length=254)
    message: str = Field(min_length=1, max_length=20_000)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    subject: str | None = Field(default=None, max_length=500)
    website: str = Field(default="", max_length=500)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _identity(IdentityKind.EMAIL, value)

    @field_validator("phone", "name", "subject")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return _identity(IdentityKind.PHONE, value) if value else None
