"""Fixtures of the connector contract tests: a workspace wired to a fake platform, a connector env."""

from typing import Any

import pytest

from sprawa.commerce.remote import ConnectorEnv
from sprawa.platform.crypto import SecretBox


class Sleeps(list[float]):
    """Records the waits of a connector instead of sleeping (the fakes ask for Retry-After seconds)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def env(runtime: Any, sleeps: Sleeps) -> ConnectorEnv:
    return ConnectorEnv(runtime.http, runtime.ingest.secrets, sleep=sleeps)


def shop_config(runtime: Any, kind: str, base_url: str, **credentials: str) -> dict[str, Any]:
    box: SecretBox = runtime.ingest.secrets
    return {"kind": kind, "base_url": base_url, "credentials": box.seal(credentials)}
