"""Erasure: a customer seeded with canary values through the real inbound paths (raw webhook payload,
messages, attachment file, notes, AI decision, cached order, consent, logs) is gone everywhere afterwards,
except the complaint case the law makes the shop keep, which the answer reports."""

import json
import logging
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import select

from sprawa.ai.models import AIDecision
from sprawa.cases.models import Case
from sprawa.channels.base import InboundAttachment
from sprawa.channels.models import ChannelKind
from sprawa.channels.service import run_inbound_job
from sprawa.commerce.models import Order
from sprawa.db import utcnow
from sprawa.logs import JsonFormatter
from sprawa.platform.jobs import Worker
from sprawa.privacy.models import DataSubjectRequest
from tests.cases.factories import inbound
from tests.factories import make_channel
from tests.privacy.scan import scan_files, scan_tables

NAME = "Zofia Qxcanaryname"
EMAIL = "qx7-canary@example.pl"
PHONE = "+48 512 777 931"
BODY = "QX7-CANARY-BODY zamowienie nie doszlo"
FILE = b"%PDF QX7-CANARY-FILE"
NOTE = "QX7-CANARY-NOTE klientka prosi o kontakt"
HELD = "QX7-CANARY-HELD reklamacja: pekniety obcas"
CANARIES = [
    "Qxcanaryname",
    "qx7-canary@example.pl",
    "+48512777931",
    "QX7-CANARY-BODY",
    "QX7-CANARY-FILE",
    "QX7-CANARY-NOTE",
]


def inbound_worker(runtime) -> Worker:
    """A worker that only turns stored inbound events into messages (what this test needs)."""
    return Worker(
        factory=runtime.factory, handlers={"inbound.process": partial(run_inbound_job, runtime.ingest)}
    )


@pytest.fixture
def log_file(tmp_path):
    """Every log line of the test written as the server writes them (JSON, masked) to a file."""
    path = tmp_path / "sprawa.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(old)
    handler.close()


def _seed(db, runtime, client, workspace, agent, *, held: bool):
    form = make_channel(db, workspace, ChannelKind.FORM, name="Formularz")
    chat = make_channel(db, workspace, ChannelKind.WEBCHAT, name="Czat")
    db.commit()
    payload = {"id": "qx7-1", "email": EMAIL, "name": NAME, "phone": PHONE, "text": BODY, "thread_id": "f-1"}
    response = client.post(f"/api/v1/inbound/form/{form.public_key}", content=json.dumps(payload))
    assert response.status_code == 202, response.text
    assert inbound_worker(runtime).run_once() == 1
    message = inbound(
        db,
        runtime,
        chat,
        "Zalaczam fakture",
        email=EMAIL,
        name=NAME,
        thread="c-1",
        attachments=[InboundAttachment("faktura-qx7.pdf", "application/pdf", FILE)],
    )
    db.commit()
    case_id = message.case_id
    agent.client.post(f"/api/v1/cases/{case_id}/notes", json={"text": NOTE}).raise_for_status()
    case = db.get(Case, case_id)
    db.add(
        AIDecision(
            workspace_id=workspace.id,
            case_id=case_id,
            message_ids=[message.id],
            reason=f"customer {EMAIL} asks about the order",
            reply_text=BODY,
        )
    )
    db.add(
        Order(
            workspace_id=workspace.id,
            external_id="qx7-o1",
            number="QX7-1001",
            customer_id=case.customer_id,
            customer_email=EMAIL,
            customer_phone="+48512777931",
            status="shipped",
            payment_status="paid",
            total=Decimal("99.00"),
            shipping_address={"name": NAME, "street": "ul. Kwiatowa 7"},
            placed_at=utcnow(),
        )
    )
    if held:
        complaint = inbound(db, runtime, chat, HELD, email=EMAIL, name=NAME, thread="c-2")
        db.get(Case, complaint.case_id).intent = "complaint"
    db.commit()
    agent.client.post(
        f"/api/v1/customers/{case.customer_id}/consents", json={"channel": "email", "granted": True}
    ).raise_for_status()
    return case.customer_id


@pytest.mark.parametrize("held", [False, True], ids=["no-legal-hold", "complaint-kept"])
def test_erasure_leaves_no_canary_anywhere(db, runtime, client, workspace, agent, admin, log_file, held):
    customer_id = _seed(db, runtime, client, workspace, agent, held=held)
    admin.client.get(f"/api/v1/customers/{customer_id}").raise_for_status()
    # The seed really put them everywhere.
    assert set(scan_tables(db, CANARIES)) == set(CANARIES) - {"QX7-CANARY-FILE"}
    assert set(scan_files([runtime.settings.attachments_dir], CANARIES)) == {"QX7-CANARY-FILE"}

    opened = agent.client.post(
        "/api/v1/privacy/requests",
        json={
            "kind": "erasure",
            "identity_kind": "phone",
            "identity_value": "512-777-931",
            "note": "Klientka prosi o usuniecie danych",
        },
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["customer_id"] == customer_id
    response = admin.client.post(f"/api/v1/privacy/requests/{opened.json()['id']}/erase")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["residual"] == {}
    assert answer["files_deleted"] == 1
    assert answer["request"]["status"] == "completed"
    assert answer["request"]["identity_value"].startswith("sha256:")

    # Database: every table, and on SQLite the database and WAL files byte for byte.
    assert scan_tables(db, CANARIES) == {}
    files = [runtime.settings.attachments_dir, log_file]
    if runtime.engine.dialect.name == "sqlite":
        db_path = runtime.engine.url.database
        files += [p for p in (runtime.settings.data_dir.glob("*.db*")) if str(p).startswith(db_path)]
    assert scan_files(files, CANARIES) == {}

    if held:
        [kept] = answer["kept"]
        assert kept["reason"].startswith("complaint record")
        assert "reklamacji" in answer["message"] and "complaint" in answer["message"]
        assert scan_tables(db, ["QX7-CANARY-HELD"]) == {"QX7-CANARY-HELD": {"cases": 1, "messages": 1}}
        customer = db.get(Case, kept["case_id"]).customer_id
        db.rollback()
        assert customer == customer_id  # kept under the anonymised record
    else:
        assert answer["kept"] == []
        assert "Usunęliśmy wszystkie" in answer["message"]
    request = db.scalars(select(DataSubjectRequest)).one()
    assert request.note == ""
    db.rollback()
