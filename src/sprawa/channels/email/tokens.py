"""Signed reply tokens: our Message-ID and Reply-To carry the thread id and an HMAC of it.

A reply that quotes the token (In-Reply-To/References, or the plus-address it was sent to) joins the
thread without trusting anything the sender could guess: thread ids are not secret, the 128-bit MAC is,
and it is compared in constant time over its full length. Local parts are lower-cased by some MTAs, so
the token is lower-case base32 (our ids are lower-case already).
"""

import base64
import hashlib
import hmac
import re

_TOKEN = re.compile(r"\bs([0-9a-z]{26})-([a-z2-7]{26})\b")


def _mac(key: bytes, channel_id: str, thread_id: str) -> str:
    digest = hmac.new(key, f"email-thread:{channel_id}:{thread_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:16]).decode().rstrip("=").lower()


def thread_token(key: bytes, channel_id: str, thread_id: str) -> str:
    return f"s{thread_id.lower()}-{_mac(key, channel_id, thread_id.lower())}"


def verified_thread(key: bytes, channel_id: str, texts: list[str]) -> str | None:
    """The thread id of the first token in ``texts`` whose MAC is right; forged tokens are ignored."""
    for text in texts:
        for match in _TOKEN.finditer(text.lower()):
            thread_id = match.group(1)
            if hmac.compare_digest(_mac(key, channel_id, thread_id), match.group(2)):
                return thread_id
    return None


def token_key(secret_key: str) -> bytes:
    """The MAC key of reply tokens, derived from the installation's secret key for this purpose only."""
    return hashlib.sha256(f"sprawa:email-reply-token:{secret_key}".encode()).digest()
