"""The public self-service page's intake: find the customer's order, check uploads, open or join a case.

No login: the customer proves the order is theirs with its number plus the e-mail or the delivery
postcode. Every miss answers the same way (no hint which part was wrong) and is counted; after
``MAX_LOOKUP_FAILURES`` misses for one order number within ``LOOKUP_WINDOW`` the page asks to wait.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

import filetype
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sprawa.aftersales.models import LookupFailure
from sprawa.cases.models import Case, Message
from sprawa.cases.service import link_orders
from sprawa.channels.base import IdentityClaim, InboundAttachment, InboundMessage
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.service import IngestContext, ingest_message
from sprawa.commerce.base import CommerceConnector
from sprawa.commerce.models import Order
from sprawa.commerce.service import connector_for, refresh_order
from sprawa.customers.models import IdentityKind
from sprawa.db import utcnow
from sprawa.platform.errors import AppError, Conflict, InvalidInput, RateLimited
from sprawa.platform.ids import new_id
from sprawa.workspaces.models import Workspace

MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
#: What customers may upload as evidence: photos and short videos (checked by content, not by name).
ALLOWED_TYPES = {
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/heic": "HEIC",
    "image/heif": "HEIC",
    "video/mp4": "MP4",
    "video/quicktime": "MOV",
}
MAX_LOOKUP_FAILURES = 10
LOOKUP_WINDOW = timedelta(minutes=15)
#: Channels a self-service request is filed on when the shop has not chosen one, best first: the
#: customer typed no chat, so the answer goes to the e-mail the order carries.
INTAKE_CHANNEL_PREFERENCE = (ChannelKind.EMAIL, ChannelKind.FORM, ChannelKind.WEBCHAT)


# The shop has no channel to answer on, or the order no e-mail: the form cannot promise an answer.
NO_ANSWER_CHANNEL = (
    "Nie możemy przyjąć tego zgłoszenia przez formularz, bo nie mamy jak odpowiedzieć. Napisz do nas, "
    "proszę, e-mailem lub na czacie — pomożemy."
)


class UploadRejected(InvalidInput):
    """A refused file; ``details`` carries the Polish template and its values for other languages' pages."""

    code = "upload_rejected"

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template.format(**values), details={"template": template, "values": values})


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def check_uploads(uploads: list[Upload]) -> list[InboundAttachment]:
    """Photos/videos as attachments, or UploadRejected with a message a customer understands (Polish)."""
    files = [u for u in uploads if u.filename or u.data]
    if len(files) > MAX_FILES:
        raise UploadRejected("Można dodać najwyżej {n} plików.", n=MAX_FILES)
    accepted = []
    for upload in files:
        name = upload.filename or "plik"
        if len(upload.data) > MAX_FILE_BYTES:
            size = f"{len(upload.data) / 1024 / 1024:.1f}".replace(".", ",")
            raise UploadRejected(
                "Plik „{name}” ma {size} MB — jeden plik może mieć najwyżej {mb} MB. Zmniejsz zdjęcie albo "
                "dodaj krótszy film.",
                name=name,
                size=size,
                mb=MAX_FILE_BYTES // 1024 // 1024,
            )
        kind = filetype.guess(upload.data)
        mime = kind.mime if kind else None
        if mime not in ALLOWED_TYPES:
            raise UploadRejected(
                "Plik „{name}” nie jest zdjęciem ani filmem, który możemy przyjąć. Dodaj zdjęcie JPG, PNG, "
                "WEBP lub HEIC albo film MP4 lub MOV.",
                name=name,
            )
        accepted.append(InboundAttachment(filename=name[:255], content_type=mime, data=upload.data))
    return accepted


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


ORDER_NOT_FOUND = (
    "Nie znaleźliśmy zamówienia o tym numerze z takim adresem e-mail lub kodem pocztowym. Sprawdź dane w "
    "potwierdzeniu zamówienia."
)


def find_customer_order(
    session: Session,
    workspace: Workspace,
    number: str,
    *,
    email: str = "",
    postcode: str = "",
    connector: CommerceConnector | None = None,
) -> Order | None:
    """The order if the e-mail or the delivery postcode matches it; None otherwise (the miss is recorded
    in the caller's transaction, which must commit it; show ``ORDER_NOT_FOUND`` whatever was wrong).

    The order is re-read from the shop through ``connector`` (remote platforms need one built with a
    ``ConnectorEnv``); when the shop cannot be reached the cached copy answers."""
    number = number.strip().lstrip("#")
    if not number or not (email.strip() or _digits(postcode)):
        raise InvalidInput(
            "Podaj numer zamówienia oraz adres e-mail albo kod pocztowy.", code="missing_identification"
        )
    since = utcnow() - LOOKUP_WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(LookupFailure)
        .where(
            LookupFailure.workspace_id == workspace.id,
            LookupFailure.order_number == number[:64],
            LookupFailure.created_at > since,
        )
    )
    if (failures or 0) >= MAX_LOOKUP_FAILURES:
        raise RateLimited(
            "Zbyt wiele nieudanych prób dla tego numeru zamówienia. Spróbuj ponownie za kwadrans.",
            code="too_many_attempts",
        )
    order = _fresh_order(session, workspace, number, connector)
    if order is not None and _matches(order, email, postcode):
        return order
    session.execute(delete(LookupFailure).where(LookupFailure.created_at < since))
    session.add(LookupFailure(workspace_id=workspace.id, order_number=number[:64]))
    session.flush()
    return None


def _fresh_order(
    session: Session, workspace: Workspace, number: str, connector: CommerceConnector | None
) -> Order | None:
    """The order re-read from the shop when it answers; the cached copy when it cannot be reached."""
    try:
        shop = connector if connector is not None else connector_for(session, workspace.id)
        for candidate in (number, f"#{number}"):
            order = refresh_order(session, shop, workspace.id, candidate)
            if order is not None:
                return order
    except AppError:
        pass
    return session.scalars(
        select(Order).where(Order.workspace_id == workspace.id, Order.number.in_([number, f"#{number}"]))
    ).first()


def _matches(order: Order, email: str, postcode: str) -> bool:
    if email.strip() and order.customer_email:
        return email.strip().casefold() == order.customer_email.casefold()
    wanted = _digits(postcode)
    return bool(wanted) and wanted == _digits((order.shipping_address or {}).get("postcode"))


def intake_channel(session: Session, workspace: Workspace) -> Channel:
    """The channel self-service requests are filed on (``settings["aftersales"]["channel_id"]`` if set)."""
    chosen = ((workspace.settings or {}).get("aftersales") or {}).get("channel_id")
    channels = list(
        session.scalars(select(Channel).where(Channel.workspace_id == workspace.id, Channel.active.is_(True)))
    )
    for channel in channels:
        if channel.id == chosen:
            return channel
    for kind in INTAKE_CHANNEL_PREFERENCE:
        for channel in channels:
            if channel.kind == kind:
                return channel
    raise Conflict(NO_ANSWER_CHANNEL, code="no_channel")


def file_request(
    session: Session,
    ctx: IngestContext,
    workspace: Workspace,
    order: Order,
    *,
    text: str,
    subject: str,
    attachments: list[InboundAttachment],
    language: str,
) -> tuple[Case, Message]:
    """Store the customer's request as their message (new case, or their open case of this order)."""
    if not order.customer_email:
        raise Conflict(NO_ANSWER_CHANNEL, code="no_contact")
    claims = [IdentityClaim(IdentityKind.EMAIL, order.customer_email, verified=True)]
    token = new_id()
    message = ingest_message(
        session,
        ctx,
        intake_channel(session, workspace),
        InboundMessage(
            provider_message_id=f"self-service-{token}",
            thread_external_id=f"self-service-{token}",
            identities=claims,
            text=text,
            subject=subject,
            name=(order.shipping_address or {}).get("name") or None,
            language=language,
            attachments=attachments,
        ),
    )
    assert message is not None  # a fresh provider id is never a duplicate
    case = session.get(Case, message.case_id)
    assert case is not None
    case.language = language  # chosen on the page: the answers and notifications follow it
    # The page confirms the request itself (with the dates): the AI first line must not answer the form.
    from sprawa.ai.service import case_state

    state = case_state(session, case)
    state.last_seq = max(state.last_seq, message.seq)
    link_orders(session, case, [order.id], reason="self-service form")
    session.flush()
    return case, message
