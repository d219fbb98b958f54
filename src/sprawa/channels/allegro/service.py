"""Allegro: Message Center threads and disputes ("Dyskusje i reklamacje") polled, replies posted back.

Allegro has no webhooks. Each poll refreshes the access token when it is close to expiry (the rotated
refresh token is sealed again at once), lists threads and disputes newest first until it reaches the
cursor, and stores each buyer message as an inbound event keyed by Allegro's id, the cursor moving in
the same transaction. A message about an order carries the order id (linked to the case) and the
buyer's e-mail from that order (Allegro vouches for it), so the buyer is one customer across channels.

Allegro forbids marketing in these conversations: a reply that advertises is refused before sending.
"""

import json
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.channels.allegro.client import TokenExpired, call, refreshed
from sprawa.channels.base import (
    Capabilities,
    IdentityClaim,
    InboundMessage,
    OutboundMessage,
    Parsed,
    SendResult,
)
from sprawa.channels.errors import ConnectionProblem
from sprawa.channels.models import Channel, ChannelCursor, ChannelKind
from sprawa.customers.models import IdentityKind
from sprawa.db import utcnow
from sprawa.platform.crypto import SecretBox
from sprawa.platform.http import SafeHttp
from sprawa.platform.inbound import record_inbound
from sprawa.platform.jobs import PermanentFailure, RetryLater

PAGE = 20
DISPUTE_PAGE = 100
REFRESH_BEFORE = timedelta(hours=1)
MARKETING = re.compile(
    r"(promocj|rabat\w* na (kolejne|następne)|kod rabatow|newsletter|zapisz się|odwiedź nasz (sklep|stronę)|"
    r"kup (u nas|taniej)|https?://(?!allegro\.pl)\S+)",
    re.IGNORECASE,
)
NO_MARKETING = (
    "Regulamin Allegro nie pozwala na reklamę w wiadomościach do kupujących (promocje, kody rabatowe, "
    "linki do innych sklepów). Usuń ten fragment i wyślij ponownie. / Allegro's rules forbid marketing "
    "in messages to buyers (promotions, discount codes, links to other shops). Remove it and send again."
)


def _iso(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


class AllegroAdapter:
    kind = ChannelKind.ALLEGRO
    capabilities = Capabilities(attachments=True, polls=True, marketing=False)

    def __init__(self, http: SafeHttp, secrets: SecretBox) -> None:
        self.http = http
        self.secrets = secrets

    # ---------------------------------------------------------------------------------------- polling

    def poll(self, factory: sessionmaker[Session], channel: Channel, credentials: dict[str, Any]) -> bool:
        settings = channel.settings or {}
        credentials = self._fresh(factory, channel, credentials)
        token = credentials["access_token"]
        try:
            self._poll_threads(factory, channel, settings, token)
            self._poll_disputes(factory, channel, settings, token)
        except TokenExpired as exc:
            raise RetryLater("Allegro refused the access token; it is refreshed on the next poll") from exc
        return False

    def _fresh(
        self, factory: sessionmaker[Session], channel: Channel, credentials: dict[str, Any]
    ) -> dict[str, Any]:
        expires = _iso(credentials.get("expires_at"))
        if credentials.get("access_token") and expires and expires - utcnow() > REFRESH_BEFORE:
            return credentials
        updated = {**credentials, **refreshed(self.http, channel.settings or {}, credentials)}
        with factory.begin() as session:
            row = session.get(Channel, channel.id, with_for_update=True)
            assert row is not None
            row.credentials_encrypted = self.secrets.seal(updated)
        return updated

    def _poll_threads(
        self, factory: sessionmaker[Session], channel: Channel, settings: dict[str, Any], token: str
    ) -> None:
        since = _cursor_time(factory, channel, "allegro:threads")
        changed, newest, offset = [], since, 0
        while True:
            page = call(
                self.http,
                settings,
                token,
                "GET",
                "/messaging/threads",
                params={"limit": PAGE, "offset": offset},
            )
            threads = page.get("threads") or []
            fresh = [
                t for t in threads if since is None or (_iso(t.get("lastMessageDateTime")) or since) > since
            ]
            changed += fresh
            newest = max(
                [newest, *[_iso(t.get("lastMessageDateTime")) for t in fresh]],
                key=lambda d: d or datetime.min.replace(tzinfo=utcnow().tzinfo),
            )
            if len(fresh) < len(threads) or len(threads) < PAGE:
                break
            offset += PAGE
        for thread in changed:
            messages = self._thread_messages(settings, token, thread["id"], since)
            buyer = [m for m in messages if (m.get("author") or {}).get("isInterlocutor")]
            with factory.begin() as session:
                for message in buyer:
                    payload = {
                        "source": "thread",
                        "thread": thread["id"],
                        "message": message,
                        "buyer_email": self._buyer_email(settings, token, message),
                    }
                    record_inbound(
                        session,
                        workspace_id=channel.workspace_id,
                        channel_id=channel.id,
                        provider_key=f"msg:{message['id']}",
                        payload=json.dumps(payload, ensure_ascii=False),
                    )
        if newest is not None and newest != since:
            with factory.begin() as session:
                _save_cursor_time(session, channel, "allegro:threads", newest)

    def _thread_messages(
        self, settings: dict[str, Any], token: str, thread_id: str, since: datetime | None
    ) -> list[dict[str, Any]]:
        """Every message after ``since`` (Allegro gives at most 20 a page)."""
        params = {"after": since.isoformat().replace("+00:00", "Z")} if since is not None else {}
        path = f"/messaging/threads/{thread_id}/messages"
        return self._all_pages(settings, token, path, "messages", PAGE, params)

    def _all_pages(
        self,
        settings: dict[str, Any],
        token: str,
        path: str,
        key: str,
        limit: int,
        params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """A whole list resource, paged by ``offset`` until a page comes back short."""
        found: list[dict[str, Any]] = []
        while True:
            query = {**(params or {}), "limit": limit, "offset": len(found)}
            page = call(self.http, settings, token, "GET", path, params=query).get(key) or []
            found += page
            if len(page) < limit:
                return found

    def _poll_disputes(
        self, factory: sessionmaker[Session], channel: Channel, settings: dict[str, Any], token: str
    ) -> None:
        since = _cursor_time(factory, channel, "allegro:disputes")
        disputes = self._all_pages(settings, token, "/sale/disputes", "disputes", DISPUTE_PAGE)
        newest = since
        for dispute in disputes:
            last = _iso(dispute.get("lastMessageCreationDate"))
            if since is not None and last is not None and last <= since:
                continue
            path = f"/sale/disputes/{dispute['id']}/messages"
            messages = self._all_pages(settings, token, path, "messages", DISPUTE_PAGE)
            with factory.begin() as session:
                for message in messages:
                    if (message.get("author") or {}).get("role") != "BUYER":
                        continue
                    payload = {
                        "source": "dispute",
                        "thread": dispute["id"],
                        "message": message,
                        "dispute": dispute,
                        "buyer_email": None,
                    }
                    record_inbound(
                        session,
                        workspace_id=channel.workspace_id,
                        channel_id=channel.id,
                        provider_key=f"dispute-msg:{message['id']}",
                        payload=json.dumps(payload, ensure_ascii=False),
                    )
            if last is not None and (newest is None or last > newest):
                newest = last
        if newest is not None and newest != since:
            with factory.begin() as session:
                _save_cursor_time(session, channel, "allegro:disputes", newest)

    def _buyer_email(self, settings: dict[str, Any], token: str, message: dict[str, Any]) -> str | None:
        order_id = ((message.get("relatesTo") or {}).get("order") or {}).get("id")
        if not order_id:
            return None
        form = call(self.http, settings, token, "GET", f"/order/checkout-forms/{order_id}")
        return (form.get("buyer") or {}).get("email")

    # ---------------------------------------------------------------------------------------- inbound

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> list[Parsed]:
        item = json.loads(payload)
        message = item["message"]
        source = item["source"]
        author = message.get("author") or {}
        login = author.get("login") or ((item.get("dispute") or {}).get("buyer") or {}).get("login")
        if not login:
            raise PermanentFailure("an Allegro message without the buyer's login")
        claims = [IdentityClaim(IdentityKind.ALLEGRO_LOGIN, login, verified=True)]
        if item.get("buyer_email"):
            claims.append(IdentityClaim(IdentityKind.EMAIL, item["buyer_email"], verified=True))
        order = ((message.get("relatesTo") or {}).get("order") or {}).get("id") or (
            ((item.get("dispute") or {}).get("checkoutForm") or {}).get("id")
        )
        subject = message.get("subject") or ((item.get("dispute") or {}).get("subject") or {}).get("name")
        files = [
            f"{a.get('fileName')}: {a.get('url')}" for a in message.get("attachments") or [] if a.get("url")
        ]
        text = "\n".join([str(message.get("text") or ""), *files]).strip()
        return [
            InboundMessage(
                provider_message_id=f"{source}:{message['id']}",
                thread_external_id=f"{source}:{item['thread']}",
                identities=claims,
                text=text or "(pusta wiadomość)",
                subject=subject,
                sent_at=_iso(message.get("createdAt")),
                order_refs=[str(order)] if order else [],
            )
        ]

    # --------------------------------------------------------------------------------------- outbound

    def send(self, channel: Channel, credentials: dict[str, Any], message: OutboundMessage) -> SendResult:
        if MARKETING.search(message.text):
            raise PermanentFailure(NO_MARKETING)
        token = credentials.get("access_token")
        if not token:
            raise PermanentFailure("Allegro is not connected: connect the account in the channel settings")
        source, _, thread = message.thread_external_id.partition(":")
        try:
            if source == "dispute":
                body = {"text": message.text[:20000], "type": "REGULAR"}
                data = call(
                    self.http,
                    channel.settings or {},
                    token,
                    "POST",
                    f"/sale/disputes/{thread}/messages",
                    body,
                )
            else:
                data = call(
                    self.http,
                    channel.settings or {},
                    token,
                    "POST",
                    f"/messaging/threads/{thread}/messages",
                    {"text": message.text},
                )
        except TokenExpired as exc:
            raise RetryLater(
                "Allegro refused the access token; it is refreshed on the next poll", 60
            ) from exc
        return SendResult(provider_message_id=str(data.get("id") or "") or None)

    def check_connection(self, channel: Channel, credentials: dict[str, Any]) -> None:
        if not credentials.get("access_token"):
            raise ConnectionProblem(
                "Konto Allegro nie jest jeszcze połączone.", "The Allegro account is not connected yet."
            )
        try:
            call(
                self.http,
                channel.settings or {},
                credentials["access_token"],
                "GET",
                "/messaging/threads",
                params={"limit": 1},
            )
        except (TokenExpired, PermanentFailure, RetryLater) as exc:
            raise ConnectionProblem(
                f"Allegro odrzuciło połączenie: {exc}", f"Allegro refused the connection: {exc}"
            ) from exc


def _cursor_time(factory: sessionmaker[Session], channel: Channel, name: str) -> datetime | None:
    with factory() as session:
        value = session.scalar(
            select(ChannelCursor.value).where(
                ChannelCursor.channel_id == channel.id, ChannelCursor.name == name
            )
        )
    return _iso((value or {}).get("since"))


def _save_cursor_time(session: Session, channel: Channel, name: str, when: datetime) -> None:
    cursor = session.scalars(
        select(ChannelCursor).where(ChannelCursor.channel_id == channel.id, ChannelCursor.name == name)
    ).first()
    if cursor is None:
        session.add(
            ChannelCursor(
                workspace_id=channel.workspace_id,
                channel_id=channel.id,
                name=name,
                value={"since": when.isoformat()},
            )
        )
    else:
        cursor.value = {"since": when.isoformat()}
