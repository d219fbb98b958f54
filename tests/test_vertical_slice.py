"""End to end in one process: a form message becomes a case, an agent replies, the outbox delivers."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from sqlalchemy import select

from sprawa.cases.models import Case, CaseStatus, DeliveryStatus, Message
from sprawa.channels.models import ChannelKind
from sprawa.platform.inbound import record_inbound
from tests.factories import make_channel


class _Sink(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"key": self.headers["Idempotency-Key"], "body": json.loads(body)})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_form_message_to_case_and_reply_delivered(db, runtime, workspace, agent):
    server = HTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    channel = make_channel(
        db,
        workspace,
        ChannelKind.FORM,
        settings={"callback_url": f"http://127.0.0.1:{server.server_port}/reply"},
    )
    payload = {"id": "f-1", "email": "Anna@Example.pl", "name": "Anna", "text": "Gdzie jest moja paczka?"}
    record_inbound(
        db,
        workspace_id=workspace.id,
        channel_id=channel.id,
        provider_key="f-1",
        payload=json.dumps(payload),
    )
    db.commit()
    worker = runtime.worker()
    assert worker.run_once() == 1
    case = db.scalars(select(Case)).one()
    assert case.status == CaseStatus.NEW
    assert case.number == 1

    from sprawa.cases.service import do_reply

    do_reply(db, agent.principal, case, "Paczka jest w drodze.")
    db.commit()
    assert worker.run_once() == 1
    server.shutdown()
    server.server_close()
    out = db.scalars(select(Message).where(Message.direction == "out")).one()
    db.refresh(out)
    assert out.delivery_status == DeliveryStatus.SENT
    assert _Sink.received == [
        {
            "key": out.id,
            "body": {
                "message_id": out.id,
                "case_number": 1,
                "thread_id": "f-1",
                "to": {"email": "anna@example.pl"},
                "subject": "Gdzie jest moja paczka?",
                "text": "Paczka jest w drodze.",
            },
        }
    ]
