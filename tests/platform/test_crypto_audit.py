"""Secrets at rest, signed tokens, the hash-chained audit log, ids."""

import pytest
from sqlalchemy import update

from sprawa.platform.audit import AuditEntry, append_audit, verify_chain
from sprawa.platform.crypto import SecretBox, sign, unsign
from sprawa.platform.ids import new_id


def test_secretbox_round_trip_and_wrong_key():
    sealed = SecretBox("key-one").seal({"password": "hunter2"})
    assert "hunter2" not in sealed
    assert SecretBox("key-one").open(sealed) == {"password": "hunter2"}
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox("key-two").open(sealed)


@pytest.mark.parametrize(
    "forged",
    ["visitor-1.", "visitor-1", "visitor-2.AAAA", ".abc", "", "visitor-1.AAAAAAAAAAAAAAAAAAAAAAAAAAA"],
)
def test_signed_tokens_reject_forgeries(forged):
    token = sign("secret", "visitor", "visitor-1")
    assert unsign("secret", "visitor", token) == "visitor-1"
    assert unsign("secret", "other-purpose", token) is None
    assert unsign("other-secret", "visitor", token) is None
    assert unsign("secret", "visitor", forged) is None


def test_ids_are_unique_sortable_and_not_sequential():
    ids = [new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(i) == 26 for i in ids)
    assert ids[0][:10] <= ids[-1][:10]  # time prefix grows
    assert len({i[-16:] for i in ids}) == 1000  # random tail


def test_audit_chain_detects_tampering(db, workspace):
    for n in range(3):
        append_audit(
            db,
            workspace.id,
            actor_kind="agent",
            actor_id=None,
            action="customer.viewed",
            subject_type="customer",
            subject_id=f"c{n}",
            data={"n": n},
        )
    db.commit()
    assert verify_chain(db, workspace.id) is None
    db.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(data={"n": 99}))
    db.commit()
    assert verify_chain(db, workspace.id) == 2
