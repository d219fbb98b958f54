"""``/demo/poczta`` (only while ``sprawa demo`` runs): what the local fakes received from Sprawa — the
e-mails at the SMTP sink, the WhatsApp/Messenger/Instagram sends at the Graph fakes, the contact-form
replies at the shop's callback — and a form that
drops a customer's e-mail into the demo mailbox (IMAP IDLE brings it into the inbox within a second)."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from sprawa.channels.demo import DemoFakes, running_fakes
from sprawa.db import utcnow
from sprawa.deps import Writer
from sprawa.platform.errors import NotFound
from sprawa.web.render import CurrentPageUser, render

router = APIRouter(include_in_schema=False)
SHOWN = 50


def _fakes() -> DemoFakes:
    fakes = running_fakes()
    if fakes is None:
        raise NotFound("the demo's local fakes run only under `sprawa demo`", code="not_demo")
    return fakes


def _mail_row(mail: EmailMessage) -> dict[str, Any]:
    body = mail.get_body(preferencelist=("plain", "html"))
    return {
        "from": str(mail.get("From", "")),
        "to": str(mail.get("To", "")),
        "subject": str(mail.get("Subject", "")),
        "date": str(mail.get("Date", "")),
        "automatic": bool(mail.get("Auto-Submitted")),
        "text": body.get_content() if body is not None else "",
    }


def _graph_rows(fakes: DemoFakes) -> list[dict[str, Any]]:
    rows = []
    for graph in fakes.graphs:
        with graph.lock:
            sent = list(graph.sent)
        for item in sent:
            text = (item.get("text") or {}).get("body") or (item.get("message") or {}).get("text")
            template = (item.get("template") or {}).get("name")
            rows.append(
                {"channel": graph.channel_name, "to": item.get("to", ""), "text": text, "template": template}
            )
    with fakes.allegro.lock:
        posted = list(fakes.allegro.posted)
    for path, body in posted:  # /messaging/threads/<id>/messages or /sale/disputes/<id>/messages
        rows.append(
            {"channel": "Allegro", "to": path.split("/")[3], "text": body.get("text"), "template": None}
        )
    return rows


@router.get("/demo/poczta", response_class=HTMLResponse)
def demo_outbox(request: Request, user: CurrentPageUser) -> HTMLResponse:
    fakes = _fakes()
    mails = [_mail_row(m) for m in reversed(fakes.smtp.mails)][:SHOWN]
    sends = list(reversed(_graph_rows(fakes)))[:SHOWN]
    with fakes.callback.lock:
        form_replies = list(reversed(fakes.callback.received))[:SHOWN]
    return render(
        request,
        "demo_outbox/page.html",
        {"mails": mails, "sends": sends, "form_replies": form_replies, "shop_address": fakes.mailbox.user},
        user=user,
    )


@router.post("/demo/poczta/do-sklepu", response_class=HTMLResponse)
def demo_mail_to_shop(
    request: Request,
    writer: Writer,
    sender: Annotated[str, Form(max_length=200)],
    subject: Annotated[str, Form(max_length=300)],
    text: Annotated[str, Form(max_length=10_000)],
) -> HTMLResponse:
    """A customer's e-mail lands in the demo mailbox; the worker's IDLE connection sees it at once."""
    fakes = _fakes()
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = fakes.mailbox.user
    mail["Subject"] = subject
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "demo.invalid")
    mail.set_content(text)
    fakes.mailbox.append(mail.as_bytes())
    return render(request, "demo_outbox/sent.html", {})
