"""Settings, read once from the environment (prefix ``SPRAWA_``)."""

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process settings. Shop policy lives in the database, never here."""

    model_config = SettingsConfigDict(env_prefix="SPRAWA_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    # HTTP server processes of `sprawa serve` (more than one needs PostgreSQL).
    web_concurrency: int = Field(default=1, ge=1, le=64)
    data_dir: Path = Path("var")
    database_url: str = ""
    # Secret for sessions, signed tokens and the encryption of credentials at rest.
    # The demo derives a stable one under data_dir when unset.
    secret_key: str = ""
    # Earlier secret keys, still accepted for opening sealed credentials until `sprawa secrets rotate` ran.
    previous_secret_keys: list[str] = Field(default_factory=list)
    # Largest request body the server reads (bytes); uploads have their own limit (attachment_max_bytes).
    max_request_bytes: int = 1024 * 1024
    # Origin serving attachment downloads (e.g. https://files.shop.example); empty: this server, /files/...
    files_url: str = ""
    event_bus: str = Field(default="auto", pattern="^(auto|memory|postgres)$")
    log_level: str = "INFO"
    public_url: str = ""
    worker_poll_seconds: float = 0.5
    worker_batch: int = 20
    job_lease_seconds: int = 60
    # Outbox: tries of one delivery before the message is marked failed; retry backoff bounds.
    outbox_max_attempts: int = 10
    job_backoff_base_seconds: float = 1.0
    job_backoff_cap_seconds: float = 3600.0
    # The tau2-bench retail db.json for the second demo workspace (found beside the checkout when unset).
    tau2_db: Path | None = None
    attachment_max_bytes: int = 25 * 1024 * 1024
    cookie_secure: bool = False
    # host:port pairs outbound HTTP may reach although they are private (local fakes, an intranet shop).
    outbound_allow: list[str] = Field(default_factory=list)
    # Trained intent classifier + embedding cache (default ~/.cache/sprawa/nlu, shared by all data dirs).
    nlu_cache_dir: Path | None = None
    # Optional LLM phrasing of AI replies (an OpenAI-compatible chat-completions URL); empty = templates.
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_seconds: float = 8.0

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sprawa.db').resolve()}"

    @cached_property
    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def is_postgres(self) -> bool:
        return self.resolved_database_url.startswith("postgresql")

    @property
    def bus_kind(self) -> str:
        if self.event_bus != "auto":
            return self.event_bus
        return "postgres" if self.is_postgres else "memory"
