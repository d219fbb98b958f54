"""Search across cases, messages and customers: what matches, in which order, and only one's own."""

import pytest

from sprawa.channels.base import IdentityClaim
from sprawa.customers.models import IdentityKind
from sprawa.customers.service import resolve_customer
from tests.cases.factories import inbound
from tests.factories import make_channel


@pytest.fixture
def shop(db, runtime, workspace, other_workspace, channel):  # type: ignore[no-untyped-def]
    anna = inbound(
        db, runtime, channel, "Gdzie jest moja paczka? Numer ZAM12345", subject="Paczka nie dotarła"
    )
    resolve_customer(
        db, workspace.id, [IdentityClaim(IdentityKind.EMAIL, "anna@example.pl", True)], name="Anna Nowak"
    )
    resolve_customer(
        db,
        workspace.id,
        [
            IdentityClaim(IdentityKind.EMAIL, "anna@example.pl", True),
            IdentityClaim(IdentityKind.PHONE, "+48 500 100 200", True),
        ],
    )
    jan = inbound(
        db,
        runtime,
        channel,
        "Proszę o fakturę, rabat 100% nie został naliczony",
        subject="Faktura",
        email="jan@example.pl",
        name="Jan Kowalski",
        thread="j",
    )
    ola = inbound(
        db, runtime, channel, "Dzień dobry", email="ola_k@example.pl", name="Aleksandra", thread="o1"
    )
    olap = inbound(
        db, runtime, channel, "Dzień dobry", email="olapk@example.pl", name="Aleksandra", thread="o2"
    )
    foreign = make_channel(db, other_workspace)
    inbound(
        db,
        runtime,
        foreign,
        "Moja paczka też zginęła",
        subject="Paczka",
        name="Anna Obca",
        email="obca@example.pl",
    )
    db.commit()
    return {"anna": anna, "jan": jan, "ola": ola, "olap": olap}


def search(actor, q: str, **params):  # type: ignore[no-untyped-def]
    response = actor.client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    return (
        [c["id"] for c in body["cases"]],
        [m["id"] for m in body["messages"]],
        [c["id"] for c in body["customers"]],
    )


def test_words_find_subjects_and_message_bodies(shop, agent):
    anna = shop["anna"]
    response = agent.client.get("/api/v1/search", params={"q": "paczk"}).json()
    assert response["cases"] == [
        {
            "id": anna.case_id,
            "number": 1,
            "subject": "Paczka nie dotarła",
            "status": "new",
            "customer_id": anna.customer_id,
            "customer_name": "Anna Nowak",
            "last_message_at": response["cases"][0]["last_message_at"],
        }
    ]
    assert response["messages"] == [
        {
            "id": anna.id,
            "case_id": anna.case_id,
            "case_number": 1,
            "seq": 1,
            "direction": "in",
            "author_kind": "customer",
            "snippet": "Gdzie jest moja paczka? Numer ZAM12345",
            "created_at": anna.created_at.isoformat().replace("+00:00", "Z"),
        }
    ]
    assert response["customers"] == []


WHAT_MATCHES = [
    ("FAKTURĘ", ([], ["jan"], [])),
    ("faktur", (["jan"], ["jan"], [])),
    ("rabat naliczony", ([], ["jan"], [])),
    ("rabat paczka", ([], [], [])),
    ("#2", (["jan"], [], [])),
    ("#1", (["anna"], [], [])),
    ("anna", ([], [], ["anna"])),
    ("Kowal", ([], [], ["jan"])),
    ("ANNA@example", ([], [], ["anna"])),
    ("500 100 200", ([], [], ["anna"])),
    ("+48500", ([], [], ["anna"])),
    ("ola_", ([], [], ["ola"])),
    ("%", ([], [], [])),
    ("_", ([], [], [])),
    ("ZAM12345", ([], ["anna"], [])),
]


def test_what_matches(shop, agent):
    for q, (cases, messages, customers) in WHAT_MATCHES:
        assert search(agent, q) == (
            [shop[k].case_id for k in cases],
            [shop[k].id for k in messages],
            [shop[k].customer_id for k in customers],
        ), q


def test_messages_newest_first_and_bounded(db, runtime, channel, agent):
    sent = [inbound(db, runtime, channel, f"Reklamacja numer {n}", thread=f"t{n}") for n in range(3)]
    db.commit()
    assert search(agent, "reklamacja", limit=2)[1] == [sent[2].id, sent[1].id]


def test_snippet_shows_the_match(db, runtime, channel, agent):
    text = "Dzień dobry. " + "Opis sytuacji. " * 30 + "Kurier zostawił awizo. " + "Dalszy tekst. " * 30
    inbound(db, runtime, channel, text)
    db.commit()
    (hit,) = agent.client.get("/api/v1/search", params={"q": "awizo"}).json()["messages"]
    assert hit["snippet"].startswith("…")
    assert hit["snippet"].endswith("…")
    assert "Kurier zostawił awizo." in hit["snippet"]
    assert len(hit["snippet"]) <= 162


def test_other_workspace_sees_nothing(shop, agent, outsider):
    assert search(outsider, "Nowak") == ([], [], [])
    assert search(outsider, "faktura") == ([], [], [])
    assert search(outsider, "anna@example.pl") == ([], [], [])
    cases, messages, customers = search(agent, "paczka")
    assert (cases, messages) == ([shop["anna"].case_id], [shop["anna"].id])
    # The outsider finds only its own shop's case.
    own_cases, own_messages, own_customers = search(outsider, "paczka")
    assert len(own_cases) == 1 and own_cases[0] != shop["anna"].case_id
    assert len(own_messages) == 1 and own_messages[0] != shop["anna"].id


def test_bad_searches_are_refused(agent):
    for params in [
        {},
        {"q": ""},
        {"q": "x" * 201},
        {"q": "paczka", "limit": 0},
        {"q": "paczka", "limit": 51},
    ]:
        response = agent.client.get("/api/v1/search", params=params)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input"), params
