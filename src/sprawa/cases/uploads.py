"""Agents' files for replies: uploaded to a case first, bound to the reply that sends them."""

from collections.abc import Sequence

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.cases.models import Attachment, Case
from sprawa.platform.errors import Conflict, Forbidden, InvalidInput
from sprawa.platform.storage import FileStore

# What a customer can safely open: images, PDF and common office documents (detected from the bytes).
ALLOWED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/rtf",
    }
)
NO_FILES = (
    "Ten kanał nie przyjmuje załączników — wyślij link albo wybierz inny kanał. / "
    "This channel does not take attachments — send a link or choose another channel."
)


def do_upload_attachment(
    session: Session,
    actor: Principal,
    case: Case,
    store: FileStore,
    filename: str,
    data: bytes,
    *,
    max_bytes: int,
) -> Attachment:
    """Store an agent's file as a not-yet-sent attachment of ``case``; its type comes from the bytes."""
    if not actor.can_write:
        raise Forbidden("your role cannot reply to customers")
    if not data:
        raise InvalidInput("Plik jest pusty. / The file is empty.", code="attachment_empty")
    if len(data) > max_bytes:
        raise InvalidInput(
            f"Plik jest za duży (limit {max_bytes / 1_048_576:.1f} MB). / The file is too large.",
            code="attachment_too_large",
            details={"max_bytes": max_bytes},
        )
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise InvalidInput(
            "Tego typu pliku nie można wysłać — dozwolone są obrazy, PDF i dokumenty biurowe. / "
            "This file type cannot be sent — images, PDF and office documents are allowed.",
            code="attachment_type_not_allowed",
        )
    key, digest = store.put(data)
    attachment = Attachment(
        workspace_id=case.workspace_id,
        case_id=case.id,
        filename=(filename.replace("/", "_").replace("\\", "_").strip() or f"plik.{kind.extension}")[:255],
        content_type=kind.mime,
        size=len(data),
        sha256=digest,
        storage_key=key,
    )
    session.add(attachment)
    session.flush()
    return attachment


def pending_attachments(session: Session, case: Case, ids: Sequence[str]) -> list[Attachment]:
    """The case's uploads not yet sent, exactly ``ids``; anything else is invalid input (no hint why)."""
    wanted = list(dict.fromkeys(ids))
    found = list(
        session.scalars(
            select(Attachment).where(
                Attachment.id.in_(wanted),
                Attachment.workspace_id == case.workspace_id,
                Attachment.case_id == case.id,
                Attachment.message_id.is_(None),
                Attachment.note_id.is_(None),
            )
        )
    )
    if len(found) != len(wanted):
        raise InvalidInput(
            "Załącznik nie należy do tej sprawy albo został już wysłany. / "
            "An attachment is not this case's or was already sent.",
            code="invalid_attachment",
        )
    return found


def check_channel_takes_files(sends_files: bool) -> None:
    if not sends_files:
        raise Conflict(NO_FILES, code="channel_no_attachments")
