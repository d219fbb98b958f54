"""Secrets at rest (Fernet) and signed tokens compared in constant time."""

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def _derive(secret_key: str, purpose: str) -> bytes:
    return hashlib.sha256(f"sprawa:{purpose}:{secret_key}".encode()).digest()


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret_key, "secretbox")))


class SecretBox:
    """Encrypts credentials before they reach the database.

    Key rotation: after changing ``SPRAWA_SECRET_KEY``, list the old key in ``SPRAWA_PREVIOUS_SECRET_KEYS``;
    values sealed with it still open, new ones use the new key, and ``sprawa secrets rotate`` re-seals
    everything stored so the old key can be dropped.
    """

    def __init__(self, secret_key: str, previous_keys: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([_fernet(secret_key), *(_fernet(k) for k in previous_keys if k)])

    def rotate(self, token: str) -> str:
        """``token`` re-sealed with the current key (whichever known key sealed it)."""
        if not token:
            return token
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("credentials cannot be decrypted with any known secret key") from exc

    def seal(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode()).decode()

    def open(self, token: str) -> dict[str, Any]:
        if not token:
            return {}
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise ValueError("credentials cannot be decrypted with this secret key") from exc


def sign(secret_key: str, purpose: str, value: str) -> str:
    """``value.signature`` where the signature is an HMAC-SHA256 bound to ``purpose``."""
    mac = hmac.new(_derive(secret_key, purpose), value.encode(), hashlib.sha256).digest()
    return f"{value}.{base64.urlsafe_b64encode(mac[:20]).decode().rstrip('=')}"


def unsign(secret_key: str, purpose: str, token: str) -> str | None:
    """The value of a token made by :func:`sign`, or None when forged."""
    value, _, _sig = token.rpartition(".")
    if not value:
        return None
    return value if hmac.compare_digest(sign(secret_key, purpose, value), token) else None


def hmac_sha256_hex(key: str | bytes, body: bytes) -> str:
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """Stored form of an API/visitor token: we keep only its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()
