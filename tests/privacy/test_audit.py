"""The audit trail: reads of cases and customers by people, admin filters, tamper detection (API and CLI)."""

from sqlalchemy import update

from sprawa.cli import main
from sprawa.platform.audit import AuditEntry
from tests.cases.factories import inbound


def test_reads_are_audited_and_the_admin_filters_them(db, runtime, channel, agent, admin):
    message = inbound(db, runtime, channel, "Dzień dobry")
    db.commit()
    agent.client.get(f"/api/v1/cases/{message.case_id}").raise_for_status()
    agent.client.get(f"/api/v1/customers/{message.customer_id}").raise_for_status()
    entries = admin.client.get("/api/v1/audit", params={"actor_id": agent.user.id}).json()["items"]
    assert [(e["action"], e["subject_id"]) for e in entries] == [
        ("customer.read", message.customer_id),
        ("case.read", message.case_id),
    ]
    only_cases = admin.client.get("/api/v1/audit", params={"subject_type": "case"}).json()["items"]
    assert [e["action"] for e in only_cases] == ["case.read"]
    assert agent.client.get("/api/v1/audit").status_code == 403


def test_tampering_is_detected_by_the_api_and_the_command(
    db, runtime, channel, agent, admin, capsys, monkeypatch
):
    message = inbound(db, runtime, channel, "Dzień dobry")
    db.commit()
    for _ in range(3):
        agent.client.get(f"/api/v1/cases/{message.case_id}").raise_for_status()
    verified = admin.client.post("/api/v1/audit/verify").json()
    assert verified["intact"] is True and verified["entries"] >= 3

    db.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor_id=None))  # someone hides a read
    db.commit()
    broken = admin.client.post("/api/v1/audit/verify").json()
    assert (broken["intact"], broken["first_broken_seq"]) == (False, 2)

    for key, value in {
        "DATABASE_URL": runtime.settings.resolved_database_url,
        "DATA_DIR": str(runtime.settings.data_dir),
        "SECRET_KEY": "x",
    }.items():
        monkeypatch.setenv(f"SPRAWA_{key}", value)
    try:
        main(["audit", "verify"])
    except SystemExit as exc:
        assert "Audit trail altered" in str(exc)
    else:
        raise AssertionError("the command must fail on a broken chain")
    assert "ALTERED at entry 2" in capsys.readouterr().out
