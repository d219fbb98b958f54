"""Shapes of channel configuration: settings and credentials typed per kind, and what the API shows.

Credentials are accepted on write only; responses say which credential keys are set, never a value.
A channel adapter that needs a new setting or credential adds it to its kind's model here.
"""

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sprawa.channels.models import ChannelKind
from sprawa.platform.errors import InvalidInput
from sprawa.workspaces.schemas import Language, Name, Patch, Strict, WeeklyHours, validation_details

Secret = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Host = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+$")]
Port = Annotated[int, Field(ge=1, le=65535)]
ProviderId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
EmailAddress = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError("an origin looks like https://sklep.pl (scheme and host, no path)")
    return f"{parts.scheme}://{parts.netloc}".lower()


Origin = Annotated[str, StringConstraints(max_length=300), AfterValidator(_origin)]


class AutoReply(Strict):
    """An automatic first answer; ``outside_hours_only`` sends it only when the shop is closed."""

    enabled: bool = False
    text: str = Field("", max_length=2000)
    outside_hours_only: bool = True

    @model_validator(mode="after")
    def _text_when_enabled(self) -> "AutoReply":
        if self.enabled and not self.text.strip():
            raise ValueError("an enabled auto-reply needs a text")
        return self


class ChannelSettings(Strict):
    """Settings every kind has: opening hours (None uses the shop's business-hours policy), auto-reply."""

    business_hours: WeeklyHours | None = None
    auto_reply: AutoReply = Field(default_factory=AutoReply)
    language: Language | None = None


class WebchatSettings(ChannelSettings):
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=20)
    greeting: str = Field("", max_length=500)
    color: str = Field("#1f6feb", pattern=r"^#[0-9a-fA-F]{6}$")
    # The widget's header logo (an https address on the shop's site) and its "answer me by e-mail" offer.
    logo_url: str | None = Field(None, max_length=500, pattern=r"^https://\S+$")
    email_capture: bool = True


class EmailSettings(ChannelSettings):
    """``plain`` (no TLS) only to a host the operator allowed (a local relay or test server).

    Nothing is flagged or deleted on the server unless ``mark_seen``/``delete_after_import`` is set;
    ``plus_addressing`` puts the reply token in Reply-To (``sklep+token@…``) when the mailbox accepts it.
    """

    address: EmailAddress
    display_name: str = Field("", max_length=200)
    imap_host: Host
    imap_port: Port = 993
    imap_security: str = Field("ssl", pattern="^(ssl|starttls|plain)$")
    imap_folder: str = Field("INBOX", min_length=1, max_length=200)
    smtp_host: Host
    smtp_port: Port = 465
    smtp_security: str = Field("ssl", pattern="^(ssl|starttls|plain)$")
    poll_seconds: int = Field(60, ge=5, le=3600)
    mark_seen: bool = False
    delete_after_import: bool = False
    plus_addressing: bool = False

    @model_validator(mode="after")
    def _plain_only_to_allowed(self, info: ValidationInfo) -> "EmailSettings":
        allow = {a.lower() for a in (info.context or {}).get("outbound_allow", [])}
        for security, host, port in (
            (self.imap_security, self.imap_host, self.imap_port),
            (self.smtp_security, self.smtp_host, self.smtp_port),
        ):
            if security == "plain" and host.lower() not in allow and f"{host.lower()}:{port}" not in allow:
                raise ValueError(f"{host} needs TLS (ssl or starttls); plain is only for allowed local hosts")
        return self


def _https_or_allowed(value: str | None, info: ValidationInfo) -> str | None:
    """An API address: https, or plain http only to a host the operator allowed (a local fake)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query:
        raise ValueError("an API address looks like https://graph.facebook.com/v21.0")
    if parts.scheme == "http":
        allow = {a.lower() for a in (info.context or {}).get("outbound_allow", [])}
        host = parts.hostname.lower()
        if host not in allow and f"{host}:{parts.port or 80}" not in allow:
            raise ValueError("the API address must use https")
    return value.rstrip("/")


class GraphSettings(ChannelSettings):
    """Meta channels; ``api_base_url`` only changes for a local fake or a pinned Graph API version."""

    api_base_url: str | None = Field(None, max_length=300)

    _base_url = field_validator("api_base_url")(_https_or_allowed)


class Template(Strict):
    """An approved WhatsApp message template (sent when the 24-hour window is closed)."""

    name: str = Field(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")
    language: str = Field("pl", min_length=2, max_length=15)


class WhatsappSettings(GraphSettings):
    phone_number_id: ProviderId
    business_account_id: ProviderId | None = None
    display_phone: str = Field("", max_length=32)
    reengagement_template: Template | None = None


class MessengerSettings(GraphSettings):
    page_id: ProviderId


class InstagramSettings(GraphSettings):
    instagram_account_id: ProviderId
    page_id: ProviderId | None = None


class AllegroSettings(ChannelSettings):
    """``api_base_url``/``auth_base_url`` only change for a local fake; ``environment`` picks the sandbox."""

    seller_login: str = Field(min_length=1, max_length=100)
    environment: str = Field("production", pattern="^(production|sandbox)$")
    poll_seconds: int = Field(60, ge=10, le=3600)
    api_base_url: str | None = Field(None, max_length=300)
    auth_base_url: str | None = Field(None, max_length=300)

    _base_urls = field_validator("api_base_url", "auth_base_url")(_https_or_allowed)


class FormSettings(ChannelSettings):
    """``callback_url`` receives our replies: https, or plain http only to a host the operator allowed."""

    callback_url: str | None = Field(None, max_length=2000)
    timeout_seconds: float = Field(10.0, ge=0.5, le=30.0)
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=20)

    @field_validator("callback_url")
    @classmethod
    def _safe_callback(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the callback URL must be an http(s) URL with a host")
        if parts.username or parts.password:
            raise ValueError("put secrets in credentials, not in the callback URL")
        if parts.scheme == "http":
            allow = {a.lower() for a in (info.context or {}).get("outbound_allow", [])}
            host = parts.hostname.lower()
            if host not in allow and f"{host}:{parts.port or 80}" not in allow:
                raise ValueError("the callback URL must use https")
        return value


class WebchatCredentials(Strict):
    # Signs the shop's logged-in customer identity passed to the widget (verified visitor).
    identity_secret: Secret | None = None


class EmailCredentials(Strict):
    """One mailbox login for IMAP and SMTP; ``smtp_*`` only when sending uses another login."""

    username: Secret | None = None
    password: Secret | None = None
    smtp_username: Secret | None = None
    smtp_password: Secret | None = None


class WhatsappCredentials(Strict):
    """WhatsApp Cloud API: a system-user token; the app secret signs webhooks; the verify token subscribes."""

    access_token: Secret | None = None
    app_secret: Secret | None = None
    verify_token: Secret | None = None


class PageCredentials(Strict):
    """Messenger and Instagram messaging: the Facebook page's token and the app's webhook secrets."""

    page_access_token: Secret | None = None
    app_secret: Secret | None = None
    verify_token: Secret | None = None


class AllegroCredentials(Strict):
    client_id: Secret | None = None
    client_secret: Secret | None = None
    refresh_token: Secret | None = None


class FormCredentials(Strict):
    # HMAC key of inbound posts and of our replies to the callback URL.
    signing_secret: Secret | None = None


SETTINGS_MODELS: dict[ChannelKind, type[ChannelSettings]] = {
    ChannelKind.WEBCHAT: WebchatSettings,
    ChannelKind.EMAIL: EmailSettings,
    ChannelKind.WHATSAPP: WhatsappSettings,
    ChannelKind.MESSENGER: MessengerSettings,
    ChannelKind.INSTAGRAM: InstagramSettings,
    ChannelKind.ALLEGRO: AllegroSettings,
    ChannelKind.FORM: FormSettings,
}
CREDENTIAL_MODELS: dict[ChannelKind, type[Strict]] = {
    ChannelKind.WEBCHAT: WebchatCredentials,
    ChannelKind.EMAIL: EmailCredentials,
    ChannelKind.WHATSAPP: WhatsappCredentials,
    ChannelKind.MESSENGER: PageCredentials,
    ChannelKind.INSTAGRAM: PageCredentials,
    ChannelKind.ALLEGRO: AllegroCredentials,
    ChannelKind.FORM: FormCredentials,
}


def parse_settings(kind: ChannelKind, data: dict[str, Any], outbound_allow: list[str]) -> dict[str, Any]:
    """Validated settings of a ``kind`` channel as stored, or InvalidInput listing every problem."""
    try:
        model = SETTINGS_MODELS[kind].model_validate(data, context={"outbound_allow": outbound_allow})
    except ValidationError as exc:
        raise InvalidInput(
            f"these are not valid {kind} channel settings",
            code="invalid_settings",
            details=validation_details(exc, "settings"),
        ) from exc
    return model.model_dump(mode="json")


def parse_credentials(kind: ChannelKind, data: dict[str, Any]) -> dict[str, str]:
    """Validated credentials (only the keys given), or InvalidInput naming the bad keys."""
    try:
        model = CREDENTIAL_MODELS[kind].model_validate(data)
    except ValidationError as exc:
        # validation_details names the field and the problem, never the input: these values are secrets.
        raise InvalidInput(
            f"these are not valid {kind} channel credentials",
            code="invalid_credentials",
            details=validation_details(exc, "credentials"),
        ) from exc
    return {k: v for k, v in model.model_dump().items() if v is not None}


CredentialsIn = Annotated[dict[str, Secret | None], Field(max_length=20)]


class ChannelIn(Strict):
    kind: ChannelKind
    name: Name
    settings: dict[str, Any] = Field(default_factory=dict)
    credentials: CredentialsIn = Field(default_factory=dict)


class ChannelPatch(Patch):
    """``settings`` replaces all settings; ``credentials`` sets the keys given (null removes a key)."""

    name: Name | None = None
    settings: dict[str, Any] | None = None
    credentials: CredentialsIn | None = None


class ChannelOut(BaseModel):
    id: str
    kind: ChannelKind
    name: str
    public_key: str
    active: bool
    settings: dict[str, Any]
    has_credentials: bool
    credential_keys: list[str]
    created_at: datetime


class ConnectionCheckOut(BaseModel):
    """The result of "test connection": what failed, for the admin, in Polish and English."""

    ok: bool
    message_pl: str
    message_en: str


class QuarantinedEventOut(BaseModel):
    """An inbound event given up on; the raw payload stays stored for a replay, it is not shown here."""

    id: str
    provider_key: str
    error: str | None
    received_at: datetime
    processed_at: datetime | None
    size: int
