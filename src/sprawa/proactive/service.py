"""Writes of proactive configuration and of the customer's opt-out from proactive notices."""

from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.customers.models import Customer
from sprawa.platform.audit import append_audit, append_audit_by
from sprawa.platform.crypto import SecretBox
from sprawa.platform.errors import Forbidden, InvalidInput
from sprawa.platform.events import Event, emit
from sprawa.privacy.models import ConsentRecord
from sprawa.proactive.notifications import NOTICES_CHANNEL, NOTICES_PURPOSE
from sprawa.proactive.schemas import ProactiveSettings
from sprawa.proactive.tasks import schedule_scan
from sprawa.workspaces.models import Workspace


def do_set_proactive_settings(
    session: Session, actor: Principal, settings: ProactiveSettings
) -> ProactiveSettings:
    """Save the workspace's proactive rules; switching them on starts the periodic scan."""
    if not actor.is_admin:
        raise Forbidden("only owners and admins may change proactive service", code="admin_only")
    workspace = session.get(Workspace, actor.workspace_id, with_for_update=True)
    assert workspace is not None
    data = settings.model_dump(mode="json")
    workspace.settings = {**(workspace.settings or {}), "proactive": data}
    if settings.enabled:
        schedule_scan(session, workspace.id)
    append_audit_by(
        session, actor, "proactive.settings_changed", "workspace", workspace.id, enabled=settings.enabled
    )
    emit(session, Event("proactive.settings", workspace.id, {"enabled": settings.enabled}))
    return settings


def read_opt_out_token(secrets: SecretBox, token: str) -> tuple[str, str]:
    try:
        data = secrets.open(token)
    except ValueError as exc:
        raise InvalidInput("this link is not valid", code="invalid_token") from exc
    if data.get("p") != "notices" or not data.get("c") or not data.get("w"):
        raise InvalidInput("this link is not valid", code="invalid_token")
    return str(data["w"]), str(data["c"])


def do_opt_out(session: Session, customer: Customer, source: str = "link") -> None:
    """The customer asks for no more proactive notices (a withdrawal record; service replies still go)."""
    session.add(
        ConsentRecord(
            workspace_id=customer.workspace_id,
            customer_id=customer.id,
            channel=NOTICES_CHANNEL,
            purpose=NOTICES_PURPOSE,
            granted=False,
            source=source,
        )
    )
    append_audit(
        session,
        customer.workspace_id,
        actor_kind="customer",
        actor_id=None,
        action="proactive.opted_out",
        subject_type="customer",
        subject_id=customer.id,
        data={"source": source},
    )
    emit(
        session,
        Event("customer.updated", customer.workspace_id, {"id": customer.id, "proactive_opt_out": True}),
    )
