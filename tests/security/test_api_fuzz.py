"""Schemathesis against the OpenAPI document: generated requests to every operation (as an admin with an
API token, so that the deepest code paths run) never cause a server error.

The suite keeps it bounded (SPRAWA_FUZZ_EXAMPLES, default 2 per operation); ``make fuzz`` runs 100.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from sprawa.auth.models import ApiToken, Role
from sprawa.platform.crypto import token_digest
from tests.factories import make_workspace

EXAMPLES = int(os.environ.get("SPRAWA_FUZZ_EXAMPLES", "2"))
TOKEN = "spr_fuzz-admin-token"


@pytest.fixture
def admin_token(db):
    workspace = make_workspace(db, "fuzz")
    db.add(ApiToken(workspace_id=workspace.id, name="fuzz", role=Role.ADMIN, token_hash=token_digest(TOKEN)))
    db.commit()
    return TOKEN


def test_no_server_errors(app, admin_token):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {admin_token}"}
    errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
        )
        def run(case) -> None:
            try:
                response = case.call(headers=headers)
            except Exception as exc:  # the in-process transport re-raises what the server did not handle
                errors.append(f"{case.method} {case.formatted_path} -> {type(exc).__name__}: {exc}")
                return
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        run()
    assert operations >= 50
    assert errors == []
