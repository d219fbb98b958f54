"""Canned replies: admins write them, everyone fills them for a case with its values."""

from tests.factories import assert_error
from tests.web.conftest import inbound


def test_admin_writes_canned_replies_and_agents_only_read(admin, agent):
    created = admin.client.post("/api/v1/macros", json={"title": "Powitanie", "body": "Dzień dobry, {imie}!"})
    twice = admin.client.post("/api/v1/macros", json={"title": "Powitanie", "body": "x"})
    by_agent = agent.client.post("/api/v1/macros", json={"title": "Inna", "body": "x"})
    macro_id = created.json()["id"]
    renamed = admin.client.patch(f"/api/v1/macros/{macro_id}", json={"title": "Dzień dobry"})

    assert created.status_code == 201
    assert_error(twice, 409, "title_taken")
    assert_error(by_agent, 403, "admin_only")
    assert renamed.json()["title"] == "Dzień dobry"
    assert [m["title"] for m in agent.client.get("/api/v1/macros").json()] == ["Dzień dobry"]
    assert admin.client.delete(f"/api/v1/macros/{macro_id}").status_code == 204
    assert agent.client.get("/api/v1/macros").json() == []


def test_a_macro_is_filled_with_the_cases_values(admin, agent, outsider, db, runtime, channel):
    case = inbound(db, runtime, channel, "Hej")
    body = (
        "Dzień dobry, {imie}! Sprawa {numer_sprawy}, zamówienie {zamowienie}. {inne} Pozdrawiam, {konsultant}"
    )
    macro_id = admin.client.post("/api/v1/macros", json={"title": "Test", "body": body}).json()["id"]

    filled = agent.client.post(f"/api/v1/cases/{case.id}/macros/{macro_id}/fill").json()
    foreign = outsider.client.post(f"/api/v1/cases/{case.id}/macros/{macro_id}/fill")

    assert filled["text"] == (
        f"Dzień dobry, Ewa! Sprawa {case.number}, zamówienie {{zamowienie}}. {{inne}} Pozdrawiam, "
        f"{agent.user.name}"
    )
    assert filled["missing"] == ["zamowienie"]
    assert foreign.status_code == 404
