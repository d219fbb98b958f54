"""The Allegro OAuth tokens of a workspace's shop connection: renewed when expired or refused, kept sealed.

The refresh itself is the Allegro channel's (``channels.allegro.client.refreshed``: Basic client auth,
``grant_type=refresh_token``). Allegro rotates the refresh token, so whoever refreshes must store the new
pair before anyone else uses the old one:

- the workspace row is locked (``SELECT … FOR UPDATE``) and the stored token re-read first: a process that
  waited for the lock finds the token already replaced and uses it instead of refreshing again (and a
  process-level lock does the same for threads of one process);
- on PostgreSQL the new pair is written in its own short transaction, so a caller that rolls back (a job
  retried later) cannot lose it. SQLite has one writer at a time and the caller already holds the write
  lock (``BEGIN IMMEDIATE``), so there the caller's own transaction carries it.
"""

import threading
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sprawa.channels.allegro.client import refreshed
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.db import utcnow
from sprawa.platform.crypto import SecretBox
from sprawa.platform.http import SafeHttp
from sprawa.platform.jobs import PermanentFailure, RetryLater
from sprawa.workspaces.models import Workspace

#: A token this close to its expiry is refreshed before it is used.
REFRESH_BEFORE = timedelta(minutes=5)
_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)


def expired(credentials: Mapping[str, Any], now: datetime | None = None) -> bool:
    """The stored expiry (``expires_at``, ISO) has passed or is near; unknown expiry counts as valid."""
    try:
        at = datetime.fromisoformat(str(credentials.get("expires_at") or ""))
    except ValueError:
        return False
    return at - (now or utcnow()) <= REFRESH_BEFORE


def auth_base_for(api_base: str) -> str:
    """Allegro's OAuth host for its API host (``api.allegro.pl`` → ``allegro.pl``, the sandbox alike);
    any other host (a local fake) serves both."""
    return api_base.replace("://api.", "://", 1)


class AllegroTokens:
    """Refreshes and stores the access token of one workspace's Allegro shop connection."""

    def __init__(
        self, session: Session, workspace_id: str, secrets: SecretBox, http: SafeHttp, api_base: str
    ) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.secrets = secrets
        self.http = http
        self.auth = {"auth_base_url": auth_base_for(api_base)}

    def refresh(self, stale_token: str) -> str:
        """A valid access token in place of ``stale_token`` (refused or expired); stored before returned."""
        with _LOCKS[self.workspace_id]:
            if self.session.get_bind().dialect.name == "sqlite":
                return self._refresh_in(self.session, stale_token)
            with Session(self.session.get_bind()) as own, own.begin():
                token = self._refresh_in(own, stale_token)
            cached = self.session.get(Workspace, self.workspace_id)
            if cached is not None and cached not in self.session.dirty:
                self.session.expire(cached, ["settings"])  # the caller must not write the old pair back
            return token

    def _refresh_in(self, session: Session, stale_token: str) -> str:
        workspace = session.get(Workspace, self.workspace_id, with_for_update=True, populate_existing=True)
        if workspace is None:
            raise ConnectorError(ConnectorProblem.NOT_CONFIGURED, "the workspace is gone")
        config = dict((workspace.settings or {}).get("commerce") or {})
        try:
            stored = self.secrets.open(str(config.get("credentials") or ""))
        except ValueError as exc:
            raise ConnectorError(ConnectorProblem.NOT_CONFIGURED, str(exc)) from exc
        current = str(stored.get("access_token") or "")
        if current and current != stale_token and not expired(stored):
            return current  # someone refreshed it while we waited for the lock
        try:
            fresh = refreshed(self.http, self.auth, stored)
        except PermanentFailure as exc:
            raise ConnectorError(ConnectorProblem.BAD_CREDENTIALS, str(exc)) from exc
        except RetryLater as exc:
            raise ConnectorError(ConnectorProblem.UNREACHABLE, str(exc), retry_after=exc.retry_after) from exc
        config["credentials"] = self.secrets.seal({**stored, **fresh})
        workspace.settings = {**(workspace.settings or {}), "commerce": config}
        session.flush()
        return str(fresh["access_token"])
