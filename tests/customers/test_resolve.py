"""One customer across channels: identities normalise, verified links merge, unverified never do."""

import pytest
from sqlalchemy import func, select

from sprawa.channels.base import IdentityClaim
from sprawa.customers.models import Customer, CustomerMerge, Identity, IdentityKind
from sprawa.customers.service import normalise_identity, resolve_customer
from sprawa.platform.errors import InvalidInput

E, P, V = IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.VISITOR


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (E, " Anna.Nowak@Example.PL ", "anna.nowak@example.pl"),
        (P, "500 100 200", "+48500100200"),
        (P, "+48 500-100-200", "+48500100200"),
        (IdentityKind.WHATSAPP, "48500100200", "+48500100200"),
        (P, "+49 30 901820", "+4930901820"),
    ],
)
def test_normalise_identity(kind, raw, expected):
    assert normalise_identity(kind, raw) == expected


@pytest.mark.parametrize(("kind", "raw"), [(E, "not-an-email"), (P, "12"), (P, "abc"), (V, "")])
def test_bad_identities_are_refused(kind, raw):
    with pytest.raises(InvalidInput):
        normalise_identity(kind, raw)


def test_same_email_on_two_channels_is_one_customer(db, workspace):
    a = resolve_customer(db, workspace.id, [IdentityClaim(E, "anna@x.pl", True)], name="Anna")
    b = resolve_customer(
        db, workspace.id, [IdentityClaim(E, "ANNA@x.pl", True), IdentityClaim(P, "500100200")]
    )
    assert a.id == b.id
    assert b.phone == "+48500100200"
    assert db.scalar(select(func.count()).select_from(Customer)) == 1


def test_verified_link_merges_two_customers_and_records_it(db, workspace):
    email = resolve_customer(db, workspace.id, [IdentityClaim(E, "jan@x.pl", True)])
    phone = resolve_customer(db, workspace.id, [IdentityClaim(P, "600700800", True)])
    assert email.id != phone.id
    both = resolve_customer(
        db, workspace.id, [IdentityClaim(E, "jan@x.pl", True), IdentityClaim(P, "600700800", True)]
    )
    merge = db.scalars(select(CustomerMerge)).one()
    assert both.id == merge.target_id
    assert {merge.source_id, merge.target_id} == {email.id, phone.id}
    assert set(db.scalars(select(Identity.customer_id))) == {both.id}


def test_unverified_claim_never_attaches_to_someone_else(db, workspace):
    owner = resolve_customer(db, workspace.id, [IdentityClaim(E, "ola@x.pl", True)])
    visitor = resolve_customer(
        db, workspace.id, [IdentityClaim(V, "v-1", True), IdentityClaim(E, "ola@x.pl")]
    )
    assert visitor.id != owner.id
    assert db.scalar(select(func.count()).select_from(CustomerMerge)) == 0


def test_identities_are_scoped_per_workspace(db, workspace, other_workspace):
    a = resolve_customer(db, workspace.id, [IdentityClaim(E, "ewa@x.pl", True)])
    b = resolve_customer(db, other_workspace.id, [IdentityClaim(E, "ewa@x.pl", True)])
    assert a.id != b.id
    assert (a.workspace_id, b.workspace_id) == (workspace.id, other_workspace.id)


def test_someone_elses_typed_email_is_not_copied_into_contact_data(db, workspace):
    resolve_customer(db, workspace.id, [IdentityClaim(E, "ola@x.pl", True)])
    visitor = resolve_customer(
        db, workspace.id, [IdentityClaim(V, "v-2", True), IdentityClaim(E, "ola@x.pl")]
    )
    assert visitor.email is None
